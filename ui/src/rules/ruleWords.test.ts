import { describe, expect, it } from "vitest";
import { ACTIONS, CONDITIONS, words } from "./forms";
import { missing, rw } from "./ruleWords";
import { i18n } from "../lib/i18n.svelte";

/** Every word the rule forms show: labels, choices (as words() writes them), "none" options. */
function formWords(): string[] {
  const out = new Set<string>();
  for (const kind of [...Object.values(CONDITIONS), ...Object.values(ACTIONS)]) {
    out.add(kind.label);
    for (const p of kind.params) {
      out.add(p.label);
      const w = p.widget;
      if ("options" in w && w.options) for (const o of w.options) if (!["new", "open", "pending", "on_hold", "resolved", "closed", "urgent", "high", "medium", "low"].includes(o)) out.add(words(o));
      if ("none" in w && w.none) out.add(w.none);
    }
  }
  return [...out];
}

describe("the rule editor in three languages", () => {
  it("has every label and choice of every form in Korean and Polish", () => {
    const all = formWords();
    expect(all.length).toBeGreaterThan(60);
    expect(missing("ko", all)).toEqual([]);
    expect(missing("pl", all)).toEqual([]);
  });
  it("speaks the window's language and falls back to the English words", () => {
    i18n.lang = "pl";
    expect(rw("Set status")).toBe("Ustaw status");
    i18n.lang = "ko";
    expect(rw("Set status")).toBe("상태 설정");
    i18n.lang = "en";
    expect(rw("Set status")).toBe("Set status");
    expect(rw("Something new")).toBe("Something new");
  });
});

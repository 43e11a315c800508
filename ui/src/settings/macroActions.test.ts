import { describe as group, expect, it } from "vitest";
import { changes, describe, toChange, toRow } from "./macroActions";
import { i18n } from "../lib/i18n.svelte";
import type { BulkChange } from "../lib/api/types";

group("a macro's actions in the editor", () => {
  it("turns filled rows into changes and leaves out the unfinished ones", () => {
    expect(changes([
      { field: "status", value: "resolved" },
      { field: "priority", value: "" },
      { field: "assignee", value: "me" },
      { field: "team", value: " " },
      { field: "add_tags", value: "vpn, , wifi" },
      { field: "remove_tags", value: " , " },
    ])).toEqual([
      { set: "status", to: "resolved", reason: null },
      { set: "assignee", to: "me" },
      { set: "team", to: null },
      { set: "add_tags", tags: ["vpn", "wifi"] },
    ]);
  });

  it("gives back the row a change came from", () => {
    const all: BulkChange[] = [
      { set: "status", to: "pending", reason: null }, { set: "type", to: "Incident" }, { set: "assignee", to: null },
      { set: "team", to: "Network" }, { set: "tags", tags: ["a", "b"] },
    ];
    for (const c of all) expect(toChange(toRow(c))).toEqual(c);
  });

  it("says each change in the window's language", () => {
    i18n.lang = "en";
    expect(describe({ set: "status", to: "resolved", reason: null })).toBe("Status: Resolved");
    expect(describe({ set: "assignee", to: "me" })).toBe("Assignee: whoever applies it");
    expect(describe({ set: "assignee", to: "ola@acme.test" }, () => "Ola Nowak")).toBe("Assignee: Ola Nowak");
    i18n.lang = "pl";
    expect(describe({ set: "priority", to: "high" })).toBe("Priorytet: Wysoki");
    expect(describe({ set: "add_tags", tags: ["vpn"] })).toBe("Dodaj tagi: vpn");
    i18n.lang = "ko";
    expect(describe({ set: "team", to: null })).toMatch(/^팀: /);
    i18n.lang = "en";
  });
});

import { describe, expect, it } from "vitest";
import { backInDraft, loadHeld, saveHeld, setUndoSendSeconds, undoSendSeconds } from "./held";

function memory() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe("replies held for undo send", () => {
  it("survive a restart per workspace, and only readable entries count", () => {
    const s = memory();
    saveHeld(s, "ws1", { 12: "On its way." });
    expect(loadHeld(s, "ws1")).toEqual({ 12: "On its way." });
    expect(loadHeld(s, "ws2")).toEqual({});
    s.setItem("casebook.held.ws3", '{"x": "a", "4": 5, "7": "  ", "8": "kept"}');
    expect(loadHeld(s, "ws3")).toEqual({ 8: "kept" });
    s.setItem("casebook.held.ws4", "not json");
    expect(loadHeld(s, "ws4")).toEqual({});
  });

  it("go back into the draft after what it already has", () => {
    expect(backInDraft({}, 3, "Hello")).toEqual({ 3: { body: "Hello", mode: "public" } });
    expect(backInDraft({ 3: { body: "Typed since", mode: "internal" } }, 3, "Hello")[3]).toEqual({ body: "Typed since\n\nHello", mode: "public" });
  });

  it("wait the chosen seconds, 5 unless set, never something odd", () => {
    const s = memory();
    expect(undoSendSeconds(s)).toBe(5);
    setUndoSendSeconds(s, 0);
    expect(undoSendSeconds(s)).toBe(0);
    s.setItem("casebook.undo_send_seconds", "7");
    expect(undoSendSeconds(s)).toBe(5);
  });
});

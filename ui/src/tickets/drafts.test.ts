import { describe, expect, it } from "vitest";
import { hasDraft, loadDrafts, saveDrafts, withDraft, type DraftStorage } from "./drafts";

function memory(): DraftStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe("drafts", () => {
  it("keep one draft per ticket and never show one ticket's on another", () => {
    let all = withDraft({}, 7, { body: "Dear Kim, restart the VPN client", mode: "public" })!;
    all = withDraft(all, 9, { body: "Same as #880?", mode: "internal" })!;
    expect(all[7].body).toContain("Kim");
    expect(all[9]).toEqual({ body: "Same as #880?", mode: "internal" });
    expect(all[8]).toBeUndefined();
    expect(hasDraft(all, 7) && hasDraft(all, 9) && !hasDraft(all, 8)).toBe(true);
  });

  it("an empty body (a sent reply) clears the draft; the same text changes nothing", () => {
    const all = withDraft({}, 7, { body: "x", mode: "public" })!;
    expect(withDraft(all, 7, { body: "x", mode: "public" })).toBeNull();
    expect(withDraft(all, 7, { body: "  ", mode: "public" })).toEqual({});
    expect(withDraft({}, 7, { body: "", mode: "public" })).toBeNull();
  });

  it("survive a restart, per workspace, and bad stored data counts as none", () => {
    const store = memory();
    saveDrafts(store, "ws-a", { 7: { body: "half a reply", mode: "public" } });
    expect(loadDrafts(store, "ws-a")).toEqual({ 7: { body: "half a reply", mode: "public" } });
    expect(loadDrafts(store, "ws-b")).toEqual({});
    store.setItem("casebook.drafts.ws-c", "{not json");
    expect(loadDrafts(store, "ws-c")).toEqual({});
    store.setItem("casebook.drafts.ws-d", JSON.stringify({ x: { body: "?" }, 3: { body: 5 }, 4: { body: "ok" } }));
    expect(loadDrafts(store, "ws-d")).toEqual({ 4: { body: "ok", mode: "public" } });
    expect(loadDrafts(null, "ws-a")).toEqual({});
  });
});

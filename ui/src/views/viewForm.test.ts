import { describe, expect, it } from "vitest";
import { dayOf, dayStart, emptyForm, moved, ordered, toForm, toQuery } from "./viewForm";

describe("the view editor's form", () => {
  it("makes a query of what is filled in and nothing else", () => {
    const f = { ...emptyForm(), name: "VPN", statuses: ["open" as const], assignee: "me", tags: "vpn, , wifi", team: " ", sla: "breached" as const };
    const q = toQuery(f);
    expect(q.filters.assignee).toEqual({ kind: "me" });
    expect(q.filters.tags).toEqual(["vpn", "wifi"]);
    expect(q.filters.team).toBeNull();
    expect(q.filters.sla).toBe("breached");
    expect(q.filters.created_after).toBeNull();
    expect(q.sort).toEqual({ key: "updated", descending: true });
    expect(toQuery({ ...emptyForm(), assignee: "ola@acme.test" }).filters.assignee).toEqual({ kind: "agent", email: "ola@acme.test" });
  });

  it("takes a date range as whole days and gives the same days back", () => {
    const f = { ...emptyForm(), createdFrom: "2026-03-01", createdTo: "2026-03-31" };
    const q = toQuery(f);
    expect(new Date(q.filters.created_after!).getDate()).toBe(1);
    expect(new Date(q.filters.created_before!).getDate()).toBe(1); // 1 April: all of 31 March is in
    const back = toForm("x", true, q).form;
    expect([back.createdFrom, back.createdTo]).toEqual(["2026-03-01", "2026-03-31"]);
    expect(dayStart("March")).toBeNull();
    expect(dayOf("not a time")).toBe("");
  });

  it("reads a saved view that leaves most filters out", () => {
    const { form, rest } = toForm("Old", false, { filters: { priorities: ["urgent"], resolved_within_hours: 168 }, sort: { key: "sla_due", descending: false } } as never);
    expect(form.priorities).toEqual(["urgent"]);
    expect(form.statuses).toEqual([]);
    expect([form.sortKey, form.descending]).toEqual(["sla_due", false]);
    expect(rest.resolved_within_hours).toBe(168);
  });

  it("keeps the sidebar in the order the person chose, new views after", () => {
    expect(ordered(["b", "a", "c"], ["c", "gone"])).toEqual(["c", "a", "b"]);
    expect(moved(["a", "b", "c"], [], "c", -1)).toEqual(["a", "c", "b"]);
    expect(moved(["a", "b", "c"], [], "a", -1)).toEqual(["a", "b", "c"]);
  });
});

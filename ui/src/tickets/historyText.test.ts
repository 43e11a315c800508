import { describe, expect, it } from "vitest";
import { whatText as what, who, type People } from "./historyText";
import { i18n } from "../lib/i18n.svelte";
import type { HistoryEvent } from "../lib/api/types";

const people: People = {
  agent: (e) => ({ "mina@acme.test": "Mina Park", "ola@acme.test": "Ola Nowak" })[e.toLowerCase()] ?? null,
  requester: { email: "kim@acme.kr", name: "Kim Jiho" },
};
const ev = (kind: string, payload: unknown, actor = "agent:mina@acme.test"): HistoryEvent =>
  ({ seq: 1, id: "x", ticket_number: 1, actor, kind, payload: payload as HistoryEvent["payload"], at: "2026-03-02T09:00:00Z", device: "d" });

describe("the history as a person writes it", () => {
  it("names people, not their emails", () => {
    expect(who("agent:mina@acme.test", people)).toBe("Mina Park");
    expect(who("customer:KIM@acme.kr", people)).toBe("Kim Jiho");
    expect(who("customer:someone@else.org", people)).toBe("someone@else.org");
    i18n.lang = "en";
    expect(who("rule:Close resolved", people)).toBe("rule “Close resolved”");
  });

  it("says each change in words, in the window's language", () => {
    i18n.lang = "en";
    expect(what(ev("ticket.field_changed", { field: "priority", from: "medium", to: "high" }), people)).toBe("Priority: Medium > High");
    expect(what(ev("ticket.field_changed", { field: "assignee", from: null, to: "ola@acme.test" }), people)).toBe("Assignee: — > Ola Nowak");
    expect(what(ev("ticket.status_changed", { from: "open", to: "resolved", resolution: "solved" }), people)).toBe("Status: Open > Resolved (solved)");
    expect(what(ev("message.added", { kind: "public" }), people)).toBe("replied");
    expect(what(ev("message.added", { kind: "public", author_customer_id: "c1" }, "customer:kim@acme.kr"), people)).toBe("wrote");
    expect(what(ev("ticket.merged", { original_number: 7 }), people)).toBe("merged into #7");
    i18n.lang = "pl";
    expect(what(ev("ticket.field_changed", { field: "tags", from: [], to: ["vpn"] }), people)).toBe("Tagi: — > vpn");
    expect(what(ev("message.added", { kind: "internal" }), people)).toBe("notatka wewnętrzna");
    i18n.lang = "ko";
    expect(what(ev("ticket.created", {}), people)).toBe("티켓 생성");
    i18n.lang = "en";
    expect(what(ev("something.new", {}), people)).toBe("something.new");
  });
});

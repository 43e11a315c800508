import { describe, expect, it } from "vitest";
import { actorLabel, alertDetail, badgeText, duration, pieces, relative } from "./format";
import { i18n } from "./i18n.svelte";

describe("format", () => {
  it("highlights by byte ranges, also in Korean", () => {
    // "서버" is 6 bytes in UTF-8.
    expect(pieces("서버가 다운", [[0, 6]])).toEqual([{ text: "서버", hit: true }, { text: "가 다운", hit: false }]);
    expect(pieces("VPN drops", [[4, 9]])).toEqual([{ text: "VPN ", hit: false }, { text: "drops", hit: true }]);
    expect(pieces("abc", [[5, 9]])).toEqual([{ text: "abc", hit: false }]);
  });
  it("durations and SLA badges carry words", () => {
    expect(duration(90 * 60)).toBe("1 h 30 min");
    expect(badgeText({ state: "breached", due_at: null, seconds_left: -7200 })).toBe("2 h 0 min over");
    expect(badgeText({ state: "at_risk", due_at: null, seconds_left: 600 })).toBe("10 min ⚠");
    expect(badgeText({ state: "paused", due_at: null, seconds_left: 600 })).toBe("paused");
    // In the window's language, units too.
    i18n.lang = "ko";
    expect(duration(26 * 3600)).toBe("1일 2시간");
    expect(badgeText({ state: "breached", due_at: null, seconds_left: -7200 })).toBe("2시간 0분 초과");
    i18n.lang = "pl";
    expect(duration(90 * 60)).toBe("1 godz. 30 min");
    expect(badgeText({ state: "breached", due_at: null, seconds_left: -600 })).toBe("10 min po terminie");
    i18n.lang = "en";
  });
  it("names rules as the actor and shows a rule alert's message", () => {
    expect(actorLabel("rule:Close resolved tickets after 4 days")).toBe("rule “Close resolved tickets after 4 days”");
    expect(actorLabel("customer:kim@acme.kr")).toBe("kim@acme.kr");
    expect(actorLabel("system")).toBe("Casebook");
    expect(alertDetail({ terms: [], due_at: null, rule: "Escalate", message: "Customer waiting 2 hours" })).toBe("Customer waiting 2 hours (rule “Escalate”)");
  });
  it("relative times", () => {
    const now = Date.parse("2026-03-02T12:00:00Z");
    expect(relative("2026-03-02T10:00:00Z", now)).toBe("2 h ago");
    expect(relative("2026-03-02T11:59:50Z", now)).toBe("just now");
    i18n.lang = "pl";
    expect(relative("2026-03-02T10:00:00Z", now)).toBe("2 godz. temu");
    expect(relative("2026-02-28T12:00:00Z", now)).toBe("przedwczoraj");
    i18n.lang = "ko";
    expect(relative("2026-03-02T10:00:00Z", now)).toBe("2시간 전");
    i18n.lang = "en";
  });
});

describe("alertDetail", () => {
  it("quotes keyword terms and words SLA due times", () => {
    expect(alertDetail({ terms: ["asap", "서버 다운"], due_at: null })).toBe("“asap”, “서버 다운”");
    const now = Date.parse("2026-03-02T09:00:00Z");
    expect(alertDetail({ terms: [], due_at: "2026-03-02T09:25:00Z" }, now)).toBe("due in 25 min");
    expect(alertDetail({ terms: [], due_at: "2026-03-02T07:55:00Z" }, now)).toBe("due 1 h 5 min ago");
  });
});

describe("status and priority names", () => {
  it("follow the window's language", async () => {
    const { statusLabel, priorityLabel } = await import("./format");
    const { i18n } = await import("./i18n.svelte");
    i18n.lang = "en";
    expect([statusLabel.on_hold, priorityLabel.urgent]).toEqual(["On hold", "Urgent"]);
    i18n.lang = "ko";
    expect([statusLabel.on_hold, priorityLabel.urgent]).toEqual(["보류", "긴급"]);
    expect(Object.keys(statusLabel)).toHaveLength(6);
    i18n.lang = "en";
  });
});

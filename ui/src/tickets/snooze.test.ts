import { describe, expect, it } from "vitest";
import { fromInput, toInput, when } from "./snooze";

// Local times: the tests read what the window's time zone makes of them.
const wednesday = new Date(2026, 2, 4, 10, 15); // Wed 4 March 2026, 10:15
const friday = new Date(2026, 2, 6, 16, 0);

describe("when a snooze or follow-up ends", () => {
  const local = (d: Date) => toInput(d);

  it("takes a named day at 9:00, never today", () => {
    expect(local(when("tomorrow", wednesday))).toBe("2026-03-05T09:00");
    expect(local(when("in_2_days", wednesday))).toBe("2026-03-06T09:00");
    expect(local(when("monday", wednesday))).toBe("2026-03-09T09:00");
    expect(local(when("friday", wednesday))).toBe("2026-03-06T09:00");
    expect(local(when("friday", friday))).toBe("2026-03-13T09:00");
    expect(local(when("monday", new Date(2026, 2, 9, 8, 0)))).toBe("2026-03-16T09:00");
  });

  it("takes a week as the same weekday next week, at 9:00", () => {
    expect(local(when("next_week", wednesday))).toBe("2026-03-11T09:00");
    expect(local(when("next_week", friday))).toBe("2026-03-13T09:00");
  });

  it("later is three hours on", () => {
    expect(when("later", wednesday).getTime() - wednesday.getTime()).toBe(3 * 3600_000);
  });

  it("reads the date-and-time input and refuses what is past or not a time", () => {
    expect(local(fromInput("2026-03-09T14:30", wednesday)!)).toBe("2026-03-09T14:30");
    expect(fromInput("2026-03-01T14:30", wednesday)).toBeNull();
    expect(fromInput("", wednesday)).toBeNull();
    expect(fromInput("tomorrow", wednesday)).toBeNull();
  });
});

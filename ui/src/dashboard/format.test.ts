import { describe, expect, it } from "vitest";
import { change, percent, seconds } from "./format";

describe("dashboard numbers", () => {
  it("times and rates read as words", () => {
    expect(seconds(45)).toBe("45 s");
    expect(seconds(3600)).toBe("1 h 0 min");
    expect(seconds(null)).toBe("—");
    expect(percent(0.756)).toBe("75.6 %");
  });
  it("changes against the previous period say whether they are good news", () => {
    expect(change(120, 100, "count", true)).toEqual({ text: "+20 %", good: true });
    expect(change(0.8, 0.9, "rate", true)).toEqual({ text: "−10.0 pts", good: false });
    expect(change(1800, 3600, "time", false)).toEqual({ text: "−30 min", good: true });
    expect(change(5, 5, "count", true)).toEqual({ text: "no change", good: null });
    expect(change(3, 0, "count", true)).toEqual({ text: "+3", good: true });
    expect(change(null, 1, "count", true).text).toBe("");
  });
});

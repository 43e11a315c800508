import { describe, expect, it } from "vitest";
import { extend, toggle } from "./selection";

describe("picking tickets for a bulk action", () => {
  const rows = [10, 11, 12, 13, 14];

  it("toggles one ticket in and out", () => {
    const one = toggle(new Set(), 12);
    expect([...one]).toEqual([12]);
    expect([...toggle(one, 12)]).toEqual([]);
    expect(one.has(12)).toBe(true);
  });

  it("takes the run between the anchor and the clicked row, either way round", () => {
    expect([...extend(new Set(), rows, 11, 13)].sort()).toEqual([11, 12, 13]);
    expect([...extend(new Set([10]), rows, 14, 12)].sort()).toEqual([10, 12, 13, 14]);
  });

  it("picks the row alone when the anchor is gone", () => {
    expect([...extend(new Set(), rows, 99, 13)]).toEqual([13]);
    expect([...extend(new Set(), rows, null, 10)]).toEqual([10]);
  });
});

import { describe, expect, it } from "vitest";
import { join, split } from "./duration";

describe("SLA targets in hours and days", () => {
  it("shows the largest whole unit", () => {
    expect(split(2880)).toEqual({ value: 2, unit: "days" });
    expect(split(240)).toEqual({ value: 4, unit: "hours" });
    expect(split(90)).toEqual({ value: 90, unit: "minutes" });
  });
  it("turns a value and unit back into minutes, refusing what is not a positive number", () => {
    expect(join(1.5, "hours")).toBe(90);
    expect(join(3, "days")).toBe(4320);
    expect(join(0, "hours")).toBeNull();
    expect(join(Number.NaN, "minutes")).toBeNull();
  });
});

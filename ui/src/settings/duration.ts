// SLA targets as a person says them (issue 17): "4 hours", "2 days", not 240 or 2880 minutes.
// The engine keeps minutes; the form shows the largest unit the value is a whole number of.

export type Unit = "minutes" | "hours" | "days";
export const UNITS: Unit[] = ["minutes", "hours", "days"];
const MINUTES: Record<Unit, number> = { minutes: 1, hours: 60, days: 24 * 60 };

export function split(minutes: number): { value: number; unit: Unit } {
  for (const unit of ["days", "hours"] as const) {
    if (minutes > 0 && minutes % MINUTES[unit] === 0) return { value: minutes / MINUTES[unit], unit };
  }
  return { value: minutes, unit: "minutes" };
}

/** Whole minutes, at least one; null for what is not a positive number. */
export function join(value: number, unit: Unit): number | null {
  if (!Number.isFinite(value) || value <= 0) return null;
  return Math.max(1, Math.round(value * MINUTES[unit]));
}

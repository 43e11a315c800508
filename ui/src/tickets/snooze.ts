// When a snooze or a follow-up ends, as the menus offer it: in the computer's time zone, a day
// named alone starts at 9:00 (the engine's `parse_when` reads the same words for the CLI).

export type WhenChoice = "later" | "tomorrow" | "in_2_days" | "monday" | "friday" | "next_week";

const MORNING = 9;

function at9(d: Date): Date {
  const x = new Date(d);
  x.setHours(MORNING, 0, 0, 0);
  return x;
}

/** The next `weekday` (0 = Sunday … 6 = Saturday) after today, never today, at 9:00. */
function next(now: Date, weekday: number): Date {
  const d = at9(now);
  d.setDate(d.getDate() + ((weekday - now.getDay() + 6) % 7) + 1);
  return d;
}

/** The moment each choice stands for at `now`. */
export function when(choice: WhenChoice, now: Date): Date {
  switch (choice) {
    case "later": return new Date(now.getTime() + 3 * 3600_000);
    case "tomorrow": { const d = at9(now); d.setDate(d.getDate() + 1); return d; }
    case "in_2_days": { const d = at9(now); d.setDate(d.getDate() + 2); return d; }
    case "monday": return next(now, 1);
    case "friday": return next(now, 5);
    case "next_week": { const d = at9(now); d.setDate(d.getDate() + 7); return d; }
  }
}

export const SNOOZE_CHOICES: WhenChoice[] = ["later", "tomorrow", "monday", "next_week"];
export const FOLLOW_UP_CHOICES: WhenChoice[] = ["tomorrow", "in_2_days", "friday", "next_week"];

/** A `datetime-local` input's value ("2026-03-09T14:30", local time) as a moment; null when
 * it is empty, not a time, or not ahead of `now`. */
export function fromInput(value: string, now: Date): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) || d <= now ? null : d;
}

/** `datetime-local`'s value for a moment (its minimum: now). */
export function toInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

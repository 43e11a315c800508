// How the dashboard writes its numbers.
import { duration, statusLabel } from "../lib/format";
import { t, type Key } from "../lib/i18n.svelte";
import type { Count } from "../lib/api/types";

export function seconds(s: number | null | undefined): string {
  return s === null || s === undefined ? "—" : s < 60 ? `${s} s` : duration(s);
}

export function percent(r: number | null | undefined): string {
  return r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)} %`;
}

/** The change from the previous period, in words and whether it is good news. */
export function change(now: number | null, before: number | null, kind: "count" | "rate" | "time", higherIsBetter: boolean): { text: string; good: boolean | null } {
  if (now === null || before === null) return { text: "", good: null };
  const diff = now - before;
  if (diff === 0) return { text: t("dash.no_change"), good: null };
  const up = diff > 0;
  const text =
    kind === "rate" ? `${up ? "+" : "−"}${Math.abs(diff * 100).toFixed(1)} ${t("dash.pts")}`
    : kind === "time" ? `${up ? "+" : "−"}${seconds(Math.abs(diff))}`
    : before === 0 ? `${up ? "+" : "−"}${Math.abs(diff)}`
    : `${up ? "+" : "−"}${Math.abs((diff / before) * 100).toFixed(0)} %`;
  return { text, good: up === higherIsBetter };
}

/** A count's label in the window's language: the engine names statuses and the backlog's
 * ages in English, and its keys say which they are ("status:open", "age:2"). */
export function countLabel(c: Count): string {
  const [kind, value] = c.key.split(":");
  if ((kind === "status" || kind === "stuck") && value in statusLabel) return statusLabel[value];
  if (kind === "age" && /^[0-4]$/.test(value)) return t(`dash.age.${value}` as Key);
  return c.label;
}

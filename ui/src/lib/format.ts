// Times and durations as people read them.
import type { SlaBadge, SlaState } from "./api/types";
import { i18n, t, tf, type Key } from "./i18n.svelte";

/** "2 h ago" in English (the house's short form); Korean and Polish as Intl words them. */
export function relative(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  const abs = Math.abs(s);
  if (i18n.lang !== "en") {
    const [n, unit]: [number, Intl.RelativeTimeFormatUnit] =
      abs < 60 ? [0, "second"] : abs < 3600 ? [Math.floor(abs / 60), "minute"] : abs < 86400 ? [Math.floor(abs / 3600), "hour"] : [Math.floor(abs / 86400), "day"];
    return relativeFormat(i18n.lang).format(s >= 0 ? -n : n, unit);
  }
  const unit = abs < 60 ? "now" : abs < 3600 ? `${Math.floor(abs / 60)} min` : abs < 86400 ? `${Math.floor(abs / 3600)} h` : `${Math.floor(abs / 86400)} d`;
  if (unit === "now") return "just now";
  return s >= 0 ? `${unit} ago` : `in ${unit}`;
}

/** A date and time in the window's language (English follows the system's own locale). */
export function absolute(iso: string): string {
  return dateTimeFormat(i18n.lang).format(new Date(iso));
}

// Intl formatters, made once per language: making one costs far more than using it, and a
// language switch formats every time on the screen at once.
const cache = new Map<string, Intl.DateTimeFormat | Intl.RelativeTimeFormat>();
function dateTimeFormat(lang: string): Intl.DateTimeFormat {
  const key = `dt:${lang}`;
  if (!cache.has(key)) cache.set(key, new Intl.DateTimeFormat(lang === "en" ? undefined : lang, { dateStyle: "medium", timeStyle: "short" }));
  return cache.get(key) as Intl.DateTimeFormat;
}
function relativeFormat(lang: string): Intl.RelativeTimeFormat {
  const key = `rt:${lang}`;
  if (!cache.has(key)) cache.set(key, new Intl.RelativeTimeFormat(lang, { numeric: "auto", style: "short" }));
  return cache.get(key) as Intl.RelativeTimeFormat;
}

/** The short units of a time span in each language ("3 d 4 h", "3일 4시간", "3 dn. 4 godz."). */
const UNITS = {
  en: { d: " d", h: " h", min: " min" },
  ko: { d: "일", h: "시간", min: "분" },
  pl: { d: " dn.", h: " godz.", min: " min" },
} as const;

export function duration(seconds: number): string {
  const s = Math.abs(seconds);
  const u = UNITS[i18n.lang];
  if (s >= 86400) return `${Math.floor(s / 86400)}${u.d} ${Math.floor((s % 86400) / 3600)}${u.h}`;
  if (s >= 3600) return `${Math.floor(s / 3600)}${u.h} ${Math.floor((s % 3600) / 60)}${u.min}`;
  return `${Math.max(0, Math.floor(s / 60))}${u.min}`;
}

/** The text of an SLA badge; never colour alone. */
export function badgeText(b: SlaBadge): string {
  if (b.state === "met" || b.seconds_left === null) return "";
  if (b.state === "paused") return t("sla.paused");
  if (b.seconds_left < 0 || b.state === "breached") return tf("sla.over", { time: duration(b.seconds_left) });
  return `${duration(b.seconds_left)}${b.state === "at_risk" ? " ⚠" : ""}`;
}

export const stateClass = (s: SlaState) => `sla-${s}`;

/** Names in the window's language, read where they are shown (so they follow a switch). */
function labels(prefix: "status" | "priority", keys: readonly string[]): Record<string, string> {
  return new Proxy({} as Record<string, string>, {
    get: (_, k) => (typeof k === "string" && keys.includes(k) ? t(`${prefix}.${k}` as Key) : undefined),
    has: (_, k) => typeof k === "string" && keys.includes(k),
    ownKeys: () => [...keys],
    getOwnPropertyDescriptor: (_, k) => (typeof k === "string" && keys.includes(k) ? { enumerable: true, configurable: true, value: t(`${prefix}.${k}` as Key) } : undefined),
  });
}
export const statusLabel = labels("status", ["new", "open", "pending", "on_hold", "resolved", "closed"]);
export const priorityLabel = labels("priority", ["urgent", "high", "medium", "low"]);

/** Splits text into plain and highlighted pieces (byte ranges from the engine → UTF-16). */
export function pieces(text: string, ranges: [number, number][]): { text: string; hit: boolean }[] {
  const bytes = new TextEncoder().encode(text);
  const dec = new TextDecoder();
  const out: { text: string; hit: boolean }[] = [];
  let at = 0;
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    if (a < at || b > bytes.length) continue;
    if (a > at) out.push({ text: dec.decode(bytes.slice(at, a)), hit: false });
    out.push({ text: dec.decode(bytes.slice(a, b)), hit: true });
    at = b;
  }
  if (at < bytes.length) out.push({ text: dec.decode(bytes.slice(at)), hit: false });
  return out;
}

/** What an alert is about, in words: the terms a customer wrote, or when the target is due. */
export function alertDetail(a: { terms: string[]; due_at: string | null; rule?: string | null; message?: string | null }, now = Date.now()): string {
  if (a.message) return a.rule ? `${a.message} (rule “${a.rule}”)` : a.message;
  if (a.terms.length > 0) return a.terms.map((x) => `“${x}”`).join(", ");
  if (a.due_at === null) return "";
  const left = (Date.parse(a.due_at) - now) / 1000;
  return left > 0 ? `due in ${duration(left)}` : `due ${duration(left)} ago`;
}

/** Who did it, in words: "rule:Close resolved tickets" → "rule “Close resolved tickets”". */
export function actorLabel(actor: string): string {
  if (actor.startsWith("rule:")) return `rule “${actor.slice(5)}”`;
  if (actor.startsWith("customer:")) return actor.slice(9);
  if (actor.startsWith("agent:")) return actor.slice(6);
  return actor === "system" ? "Casebook" : actor;
}

// The ticket's history as a person would write it (issue 17): who by name (not an email or an
// event's name), what changed in words, in the window's language, one line per change.
import type { HistoryEvent } from "../lib/api/types";
import { t, tf, type Key } from "../lib/i18n.svelte";
import { absolute, priorityLabel, statusLabel } from "../lib/format";

/** Names for the emails a history holds: the agents', and the ticket's requester. */
export type People = { agent: (email: string) => string | null; requester: { email: string; name: string } | null };

function payload(ev: HistoryEvent): Record<string, unknown> {
  const p = ev.payload;
  return p && typeof p === "object" && !Array.isArray(p) ? (p as Record<string, unknown>) : {};
}

export function who(actor: string, people: People): string {
  if (actor.startsWith("rule:")) return tf("hist.rule", { name: actor.slice(5) });
  if (actor.startsWith("agent:")) return people.agent(actor.slice(6)) ?? actor.slice(6);
  if (actor.startsWith("customer:")) {
    const email = actor.slice(9);
    return people.requester && people.requester.email.toLowerCase() === email.toLowerCase() ? people.requester.name || email : email;
  }
  return actor === "system" ? "Casebook" : actor;
}

const none = () => "—";
function fieldValue(field: string, v: unknown, people: People): string {
  if (v === null || v === undefined || v === "") return none();
  if (field === "priority") return priorityLabel[String(v)] ?? String(v);
  if (field === "assignee") return people.agent(String(v)) ?? String(v);
  if (field === "tags") return Array.isArray(v) ? (v.length ? v.join(", ") : none()) : String(v);
  return String(v);
}

/** A change from one value to another, drawn with an arrow icon (the fonts here have no →). */
export type Change = { label: string; from: string; to: string; extra: string };

/** What happened, after the actor's name: "replied", or Priority: Medium → High. */
export function what(ev: HistoryEvent, people: People): string | Change {
  const p = payload(ev);
  const n = (k: string) => String(p[k] ?? "");
  switch (ev.kind) {
    case "ticket.created": return t("hist.created");
    case "message.added": return p.kind === "internal" ? t("hist.note") : p.author_customer_id || ev.actor.startsWith("customer:") ? t("hist.customer") : t("hist.reply");
    case "message.marked_solution": return t("hist.solution");
    case "mail.sent": return t("hist.mail_sent");
    case "mail.bounced": return t("hist.mail_bounced");
    case "ticket.status_changed":
      return {
        label: t("ticket.status"), from: statusLabel[n("from")] ?? n("from"), to: statusLabel[n("to")] ?? n("to"),
        extra: p.resolution ? ` (${t(`resolution.${n("resolution")}` as Key)})` : "",
      };
    case "ticket.field_changed": {
      const field = n("field");
      const label = ["priority", "type", "assignee", "team", "tags"].includes(field) ? t(`ticket.${field}` as Key) : field;
      return { label, from: fieldValue(field, p.from, people), to: fieldValue(field, p.to, people), extra: "" };
    }
    case "ticket.merged": return tf("hist.merged", { n: n("original_number") });
    case "ticket.merge_received": return tf("hist.merge_received", { n: n("duplicate_number") });
    case "ticket.linked": return tf("hist.linked", { n: n("to_number") });
    case "ticket.snoozed": return p.until ? tf("hist.snoozed", { when: absolute(new Date(Number(p.until)).toISOString()) }) : t("hist.unsnoozed");
    case "ticket.follow_up_set": return p.at ? tf("hist.follow_up", { when: absolute(new Date(Number(p.at)).toISOString()) }) : t("hist.follow_up_off");
    case "ticket.rated": return p.good ? t("hist.rated_good") : t("hist.rated_bad");
    case "similar.feedback": return t("hist.feedback");
    case "rule.notified": return tf("hist.notified", { message: n("message") });
    case "rules.stopped": return tf("hist.stopped", { reason: n("reason") });
    default: return ev.kind;
  }
}

/** The same in one line of text (for tests and titles), with a word for the arrow. */
export function whatText(ev: HistoryEvent, people: People): string {
  const w = what(ev, people);
  return typeof w === "string" ? w : `${w.label}: ${w.from} > ${w.to}${w.extra}`;
}

// The view editor's form (issue 17) and the engine's ViewQuery, both ways. Dates are days in
// this computer's time zone: "created from" is that day's start, "created to" includes the
// whole day (the engine's `created_before` is the next day's start).
import type { AssigneeFilter, Filters, Priority, SlaFilter, SortKey, Status, ViewQuery } from "../lib/api/types";

export type ViewForm = {
  name: string;
  shared: boolean;
  statuses: Status[];
  priorities: Priority[];
  types: string[];
  /** "" any, "me", "unassigned", or an agent's email. */
  assignee: string;
  team: string;
  /** Comma-separated; a ticket must have every one. */
  tags: string;
  requester: string;
  organisation: string;
  createdFrom: string;
  createdTo: string;
  updatedFrom: string;
  updatedTo: string;
  sla: SlaFilter | "";
  sortKey: SortKey;
  descending: boolean;
};

export const STATUSES: Status[] = ["new", "open", "pending", "on_hold", "resolved", "closed"];
export const PRIORITIES: Priority[] = ["urgent", "high", "medium", "low"];
export const SLA_FILTERS: SlaFilter[] = ["needs_attention", "at_risk", "breached", "paused"];
export const SORT_KEYS: SortKey[] = ["updated", "created", "priority", "sla_due", "number", "resolved"];

export function emptyForm(): ViewForm {
  return {
    name: "", shared: false, statuses: [], priorities: [], types: [], assignee: "", team: "", tags: "", requester: "", organisation: "",
    createdFrom: "", createdTo: "", updatedFrom: "", updatedTo: "", sla: "", sortKey: "updated", descending: true,
  };
}

/** A yyyy-mm-dd day's start here, as an instant; `plusDays` moves it (the end of a range). */
export function dayStart(day: string, plusDays = 0): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.trim());
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).toISOString();
}

/** The day (here) an instant falls on, `minusDays` earlier: the form's value for a bound. */
export function dayOf(instant: string | null | undefined, minusDays = 0): string {
  if (!instant) return "";
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return "";
  d.setDate(d.getDate() - minusDays);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function assigneeFilter(v: string): AssigneeFilter | null {
  const a = v.trim();
  if (!a) return null;
  if (a === "me") return { kind: "me" };
  if (a === "unassigned") return { kind: "unassigned" };
  return { kind: "agent", email: a };
}

export function toQuery(f: ViewForm): ViewQuery {
  const text = (v: string) => (v.trim() ? v.trim() : null);
  const filters: Filters = {
    statuses: f.statuses, priorities: f.priorities, types: f.types,
    assignee: assigneeFilter(f.assignee), team: text(f.team),
    tags: f.tags.split(",").map((s) => s.trim()).filter(Boolean),
    requester: text(f.requester), organisation: text(f.organisation),
    created_after: dayStart(f.createdFrom), created_before: dayStart(f.createdTo, 1),
    updated_after: dayStart(f.updatedFrom), updated_before: dayStart(f.updatedTo, 1),
    resolved_within_hours: null, sla: f.sla || null, snoozed: null,
  };
  return { filters, sort: { key: f.sortKey, descending: f.descending } };
}

/** The form for a saved view; filters the editor has no control for are kept in `rest`. */
export function toForm(name: string, shared: boolean, q: ViewQuery): { form: ViewForm; rest: Partial<Filters> } {
  const x: Partial<Filters> = q.filters ?? {};
  const a = x.assignee;
  return {
    form: {
      name, shared,
      statuses: x.statuses ?? [], priorities: x.priorities ?? [], types: x.types ?? [],
      assignee: !a ? "" : a.kind === "agent" ? a.email : a.kind,
      team: x.team ?? "", tags: (x.tags ?? []).join(", "), requester: x.requester ?? "", organisation: x.organisation ?? "",
      createdFrom: dayOf(x.created_after), createdTo: dayOf(x.created_before, 1),
      updatedFrom: dayOf(x.updated_after), updatedTo: dayOf(x.updated_before, 1),
      sla: x.sla ?? "", sortKey: q.sort?.key ?? "updated", descending: q.sort?.descending ?? true,
    },
    rest: { resolved_within_hours: x.resolved_within_hours ?? null, snoozed: x.snoozed ?? null },
  };
}

/** The sidebar's order of saved views: the names as the person arranged them (this computer),
 * then any others by name. */
export function ordered(names: string[], order: string[]): string[] {
  const known = order.filter((n) => names.includes(n));
  return [...known, ...names.filter((n) => !known.includes(n)).sort((a, b) => a.localeCompare(b))];
}

/** `order` with `name` moved one place up (-1) or down (+1) among `names`. */
export function moved(names: string[], order: string[], name: string, by: -1 | 1): string[] {
  const list = ordered(names, order);
  const i = list.indexOf(name);
  const j = i + by;
  if (i < 0 || j < 0 || j >= list.length) return list;
  [list[i], list[j]] = [list[j], list[i]];
  return list;
}

// A macro's actions as the editor shows them (issue 17): one row per change, a field and the
// value typed or picked, turned into the engine's BulkChange and back, and said in words.
import type { BulkChange, Priority, Status } from "../lib/api/types";
import { t, type Key } from "../lib/i18n.svelte";
import { priorityLabel, statusLabel } from "../lib/format";

export type ActionField = BulkChange["set"];
export const ACTION_FIELDS: ActionField[] = ["status", "priority", "type", "assignee", "team", "add_tags", "remove_tags", "tags"];
/** The assignee that means "whoever applies the macro" (the engine's `macros::ME`). */
export const ME = "me";

/** One editor row: the field and its value as text (tags comma-separated, "" for none). */
export type ActionRow = { field: ActionField; value: string };

const tagList = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);

/** The change a row stands for; null while it is not filled in (a status or priority not picked). */
export function toChange(row: ActionRow): BulkChange | null {
  const v = row.value.trim();
  switch (row.field) {
    case "status": return v ? { set: "status", to: v as Status, reason: null } : null;
    case "priority": return v ? { set: "priority", to: v as Priority } : null;
    case "type": return v ? { set: "type", to: v } : null;
    case "assignee": return { set: "assignee", to: v || null };
    case "team": return { set: "team", to: v || null };
    case "tags": return { set: "tags", tags: tagList(v) };
    case "add_tags": case "remove_tags": return tagList(v).length ? { set: row.field, tags: tagList(v) } : null;
  }
}

export function toRow(c: BulkChange): ActionRow {
  switch (c.set) {
    case "status": case "priority": case "type": return { field: c.set, value: c.to };
    case "assignee": case "team": return { field: c.set, value: c.to ?? "" };
    default: return { field: c.set, value: c.tags.join(", ") };
  }
}

/** The rows that are filled in, as changes, in order. */
export function changes(rows: ActionRow[]): BulkChange[] {
  return rows.map(toChange).filter((c): c is BulkChange => c !== null);
}

/** "Status: Resolved", "Assignee: whoever applies it", "Add tags: vpn, wifi". */
export function describe(c: BulkChange, agentName: (email: string) => string = (e) => e): string {
  const label = t(`macro.field.${c.set}` as Key);
  switch (c.set) {
    case "status": return `${label}: ${statusLabel[c.to] ?? c.to}`;
    case "priority": return `${label}: ${priorityLabel[c.to] ?? c.to}`;
    case "type": return `${label}: ${c.to}`;
    case "assignee": return `${label}: ${c.to === null ? t("bulk.unassign") : c.to.toLowerCase() === ME ? t("macro.me") : agentName(c.to)}`;
    case "team": return `${label}: ${c.to ?? t("bulk.no_team")}`;
    default: return `${label}: ${c.tags.length ? c.tags.join(", ") : "—"}`;
  }
}

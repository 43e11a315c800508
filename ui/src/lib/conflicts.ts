// A conflict team sync kept, in the window's language (the engine's own sentence is English).
import type { Conflict } from "./api/types";
import { priorityLabel, statusLabel } from "./format";
import { t, tf, type Key } from "./i18n.svelte";

export function conflictText(c: Conflict): string {
  const label = (v: string) => (c.field === "priority" ? priorityLabel[v] ?? v : c.field === "status" ? statusLabel[v] ?? v : v);
  const values = { who: c.actor, device: c.device, field: t(`field.${c.field}` as Key) || c.field, kept: label(c.kept), lost: label(c.lost) };
  if (c.kind === "number") return tf("conflict.number", values);
  if (c.kind === "merge") return tf("conflict.merge", values);
  if (c.kind === "status" && c.kept === "closed") return tf("conflict.closed", values);
  return tf("conflict.field", values);
}

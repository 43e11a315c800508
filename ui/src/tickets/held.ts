// Undo send (issue 17): a public reply waits a few seconds on this computer before it is
// written (and, on a mail ticket, mailed), with Undo. What waits is also kept in local storage,
// so a reply held when the window closed comes back as its ticket's draft, not lost and not sent.
import type { DraftStorage, Drafts } from "./drafts";

export type Held = Record<number, string>;

const storageKey = (workspace: string) => `casebook.held.${workspace}`;
const delayKey = "casebook.undo_send_seconds";

/** The delays the setting offers; 0 sends at once. */
export const UNDO_SEND_CHOICES = [0, 5, 10, 20, 30];
export const DEFAULT_UNDO_SEND = 5;

export function loadHeld(store: DraftStorage | null, workspace: string): Held {
  try {
    const raw = JSON.parse(store?.getItem(storageKey(workspace)) ?? "{}") as Record<string, unknown>;
    const out: Held = {};
    for (const [k, v] of Object.entries(raw ?? {})) if (Number.isInteger(Number(k)) && typeof v === "string" && v.trim()) out[Number(k)] = v;
    return out;
  } catch {
    return {};
  }
}

export function saveHeld(store: DraftStorage | null, workspace: string, held: Held): void {
  try {
    store?.setItem(storageKey(workspace), JSON.stringify(held));
  } catch {
    // Storage refused: the reply still waits in memory.
  }
}

/** A held reply back in its ticket's draft, after what the draft already has. */
export function backInDraft(drafts: Drafts, n: number, body: string): Drafts {
  const old = drafts[n]?.body.trim() ? drafts[n].body : "";
  return { ...drafts, [n]: { body: old ? `${old}\n\n${body}` : body, mode: "public" } };
}

/** The setting, read safely: a number among the choices, else the default. */
export function undoSendSeconds(store: DraftStorage | null): number {
  const n = Number(store?.getItem(delayKey) ?? DEFAULT_UNDO_SEND);
  return UNDO_SEND_CHOICES.includes(n) ? n : DEFAULT_UNDO_SEND;
}

export function setUndoSendSeconds(store: DraftStorage | null, seconds: number): void {
  try {
    store?.setItem(delayKey, String(seconds));
  } catch {
    // Kept for this session only.
  }
}

// Drafts of replies and notes, one per ticket, kept on this computer (the window's local
// storage, per workspace): a restart loses none, and a draft never follows the agent to the
// next ticket, where it could be sent to the wrong customer.
import type { MessageKind } from "../lib/api/types";

export type Draft = { body: string; mode: MessageKind };
export type Drafts = Record<number, Draft>;

/** The part of `Storage` drafts need (a fake in tests). */
export interface DraftStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const storageKey = (workspace: string) => `casebook.drafts.${workspace}`;

/** The drafts of a workspace; anything unreadable counts as none. */
export function loadDrafts(store: DraftStorage | null, workspace: string): Drafts {
  try {
    const raw = JSON.parse(store?.getItem(storageKey(workspace)) ?? "{}") as unknown;
    if (typeof raw !== "object" || raw === null) return {};
    const out: Drafts = {};
    for (const [k, v] of Object.entries(raw as Record<string, Partial<Draft>>)) {
      const n = Number(k);
      if (Number.isInteger(n) && typeof v?.body === "string" && v.body.trim()) out[n] = { body: v.body, mode: v.mode ?? "public" };
    }
    return out;
  } catch {
    return {};
  }
}

/** `all` with ticket `n`'s draft replaced (an empty body removes it), or null when that
 * changes nothing. */
export function withDraft(all: Drafts, n: number, draft: Draft): Drafts | null {
  const old = all[n];
  if (!draft.body.trim()) {
    if (!old) return null;
    const rest = { ...all };
    delete rest[n];
    return rest;
  }
  if (old && old.body === draft.body && old.mode === draft.mode) return null;
  return { ...all, [n]: { body: draft.body, mode: draft.mode } };
}

export function saveDrafts(store: DraftStorage | null, workspace: string, all: Drafts): void {
  try {
    store?.setItem(storageKey(workspace), JSON.stringify(all));
  } catch {
    // Storage full or refused: the drafts stay in memory for this session.
  }
}

export const hasDraft = (all: Drafts, n: number): boolean => !!all[n]?.body.trim();

// The window's state and what it does, in one controller; components read its fields and
// call its methods. Every write goes through the engine; the shell's change event reloads.
import type { Api } from "./api/client";
import type * as T from "./api/types";
import { count, t, tf } from "./i18n.svelte";
import { problemText } from "./problems";
import { loadDrafts, saveDrafts, withDraft, type Draft, type Drafts } from "../tickets/drafts";
import { extend, toggle, type Picked } from "../tickets/selection";
import { backInDraft, loadHeld, saveHeld, setUndoSendSeconds, undoSendSeconds, type Held } from "../tickets/held";

/** The window's local storage, where there is one (not in unit tests). */
const draftStorage = () => (typeof localStorage === "undefined" ? null : localStorage);

/** A short word on what an action did; `undo` takes it back. */
export type Toast = { text: string; undo: (() => Promise<void>) | null; n: number };

export type Pane = "ticket" | "new" | "settings" | "alerts" | "health" | "rules" | "dashboard" | "view";

export class AppState {
  ws = $state<T.WorkspaceState | null>(null);
  counts = $state<T.ViewCount[]>([]);
  view = $state("my-open");
  // Raw, not deeply reactive: rows are only ever replaced whole, and a deep proxy made every
  // page appended while scrolling cost time in proportion to the rows already loaded.
  rows = $state.raw<T.TicketRow[]>([]);
  next = $state<string | null>(null);
  loading = $state(false);
  selected = $state<number | null>(null);
  /** The ticket the pane is meant to show: set by open, cleared by Esc. A load still under
   * way when Esc comes (or a refresh after it) must not bring the closed ticket back. */
  showing = $state<number | null>(null);
  detail = $state<T.TicketDetail | null>(null);
  similar = $state<T.SimilarTicket[]>([]);
  history = $state<T.HistoryEvent[]>([]);
  /** Agents, teams, types, macros, SLA: read once, and again after any change. */
  settings = $state<T.Settings | null>(null);
  pane = $state<Pane>("ticket");
  /** The alert centre: newest first, and the unread count for the sidebar's badge. */
  alerts = $state<T.Alert[]>([]);
  unreadAlerts = $state(0);
  paletteOpen = $state(false);
  shortcutsOpen = $state(false);
  /** A problem not tied to a field (shown in a banner). */
  error = $state<string | null>(null);
  /** Bumped to ask the composer to take focus in a mode. */
  composeRequest = $state<{ kind: "public" | "internal"; n: number } | null>(null);
  /** Text for the composer (from "insert fix" or a macro). */
  insertRequest = $state<{ text: string; n: number } | null>(null);
  /** Team sync in brief (the sidebar's indicator, Settings → Sync). */
  sync = $state<T.SyncOverview | null>(null);
  /** This laptop's mailbox in brief (Settings → Email, Health). */
  mail = $state<T.MailStatus | null>(null);
  /** What a drop of mail files on the window imported (a banner). */
  dropped = $state<string | null>(null);
  /** Unsent replies and notes, one per ticket number (kept in local storage). */
  drafts = $state<Drafts>({});
  /** Tickets picked for a bulk action, and the one a shift-click's run starts from. */
  picked = $state<Picked>(new Set());
  pickAnchor = $state<number | null>(null);
  /** What the last action did, with its undo while the toast is up. */
  toast = $state<Toast | null>(null);
  /** Bumped by every request for the list's first page: only the newest answer is shown. */
  private listAsked = 0;
  /** The saved view the view editor has open (null: a new one). */
  editingView = $state<T.SavedView | null>(null);
  /** The sidebar's order of saved views, as this person arranged them on this computer. */
  viewOrder = $state<string[]>(loadViewOrder());
  /** Seconds a public reply waits before it is written (Settings; this computer). */
  undoSend = $state(undoSendSeconds(draftStorage()));
  /** Text a held reply brings back to the composer of ticket `n` when it is undone. */
  restoreRequest = $state<{ n: number; text: string; k: number } | null>(null);
  /** Public replies waiting out the undo-send delay, by ticket (with their files and timer). */
  private waiting = new Map<number, { body: string; uploads: T.Upload[]; timer: ReturnType<typeof setTimeout> }>();

  constructor(public api: Api) {}

  async init() {
    this.ws = await this.api.workspaceState();
    if (this.ws.open) {
      this.drafts = loadDrafts(draftStorage(), this.draftsKey());
      this.recoverHeld();
      await this.api.onChange(() => void this.refresh());
      await this.api.onAlerts(() => void this.loadAlerts());
      await this.api.onAlertClicked((n) => (n === null ? this.showAlerts() : void this.open(n)));
      await this.api.onSync((o) => (this.sync = o));
      await this.api.onMail((m) => (this.mail = m));
      await this.api.onFilesDropped((paths) => void this.importDropped(paths));
      await Promise.all([this.loadView(this.view), this.loadSettings(), this.loadAlerts(), this.loadSync()]);
    }
  }

  async afterCreate() {
    this.ws = null;
    await this.init();
  }

  /** Which workspace the drafts belong to: its id, the same on every open. */
  private draftsKey(): string {
    return this.ws?.info?.workspace_id || this.ws?.data_dir || "default";
  }

  /** Keeps (or, when empty, drops) ticket `n`'s unsent text. */
  keepDraft(n: number, draft: Draft) {
    const next = withDraft(this.drafts, n, draft);
    if (!next) return;
    this.drafts = next;
    saveDrafts(draftStorage(), this.draftsKey(), next);
  }

  setUndoSend(seconds: number) {
    this.undoSend = seconds;
    setUndoSendSeconds(draftStorage(), seconds);
  }

  /** A public reply held for `undoSend` seconds, then written; the toast offers Undo. */
  holdReply(n: number, body: string, uploads: T.Upload[]) {
    const seconds = this.undoSend;
    const timer = setTimeout(() => void this.sendHeld(n), seconds * 1000);
    this.waiting.set(n, { body, uploads, timer });
    this.storeHeld();
    this.say(tf("send.held", { n, s: seconds }), async () => this.unsendHeld(n));
  }

  private async sendHeld(n: number) {
    const h = this.waiting.get(n);
    if (!h) return;
    try {
      await this.api.addMessage(n, "public", h.body, h.uploads);
      this.waiting.delete(n);
      this.storeHeld();
      if (this.toast?.text.startsWith(`#${n}`)) this.toast = null;
    } catch (e) {
      this.waiting.delete(n);
      this.storeHeld();
      this.backToDraft(n, h.body);
      this.error = tf("send.failed", { n, why: (e as Error).message });
    }
  }

  private async unsendHeld(n: number) {
    const h = this.waiting.get(n);
    if (!h) return;
    clearTimeout(h.timer);
    this.waiting.delete(n);
    this.storeHeld();
    this.backToDraft(n, h.body);
    this.say(tf("send.undone", { n }), null);
  }

  /** The text back where it was typed: the open composer, else the ticket's draft. */
  private backToDraft(n: number, body: string) {
    if (this.showing === n && this.pane === "ticket") this.restoreRequest = { n, text: body, k: Date.now() };
    else {
      this.drafts = backInDraft(this.drafts, n, body);
      saveDrafts(draftStorage(), this.draftsKey(), this.drafts);
    }
  }

  private storeHeld() {
    const held: Held = {};
    for (const [n, h] of this.waiting) held[n] = h.body;
    saveHeld(draftStorage(), this.draftsKey(), held);
  }

  /** Replies still held when the window last closed were never written: back into drafts. */
  private recoverHeld() {
    const held = loadHeld(draftStorage(), this.draftsKey());
    const numbers = Object.keys(held).map(Number);
    if (numbers.length === 0) return;
    for (const n of numbers) this.drafts = backInDraft(this.drafts, n, held[n]);
    saveDrafts(draftStorage(), this.draftsKey(), this.drafts);
    saveHeld(draftStorage(), this.draftsKey(), {});
    this.dropped = tf("send.recovered", { list: numbers.map((n) => `#${n}`).join(", ") });
  }

  /** Works as another agent from now on ("My open" follows). */
  async switchAgent(email: string) {
    try {
      await this.api.switchAgent(email);
      this.ws = await this.api.workspaceState();
      await this.loadView(this.view);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Opens the view editor on saved view `name`, or on a new view. */
  async editView(name: string | null) {
    try {
      this.editingView = name === null ? null : ((await this.api.savedViews()).find((v) => v.name === name) ?? null);
      this.pane = "view";
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  setViewOrder(order: string[]) {
    this.viewOrder = order;
    draftStorage()?.setItem(VIEW_ORDER_KEY, JSON.stringify(order));
  }

  async refreshCounts() {
    this.counts = await this.api.viewCounts();
  }

  async loadView(name: string) {
    if (name !== this.view) this.clearPicked();
    this.view = name;
    this.loading = true;
    const asked = ++this.listAsked;
    try {
      const [page] = await Promise.all([this.api.listTickets(name, null, 100), this.refreshCounts()]);
      if (asked !== this.listAsked) return;
      this.rows = page.rows;
      this.next = page.next;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  async loadMore() {
    if (!this.next || this.loading) return;
    this.loading = true;
    const asked = this.listAsked;
    try {
      const page = await this.api.listTickets(this.view, this.next, 200);
      if (asked !== this.listAsked) return;
      this.rows = [...this.rows, ...page.rows];
      this.next = page.next;
    } finally {
      this.loading = false;
    }
  }

  async loadSettings() {
    this.settings = await this.api.settings();
  }

  /** Who on the other laptops has ticket `n` open, and who is writing on it. */
  presenceOn(n: number): T.Presence[] {
    return this.sync?.presence.filter((p) => p.ticket_number === n) ?? [];
  }

  /** Mail files dropped on the window (.eml, .mbox; folders as Maildir) become tickets. */
  async importDropped(paths: string[]) {
    const mail = paths.filter((p) => /\.(eml|mbox|mbx)$/i.test(p) || !/\.[a-z0-9]{1,5}$/i.test(p));
    if (mail.length === 0) return;
    try {
      const r = await this.api.mailImport(mail);
      this.dropped = `${r.fetched} message(s): ${r.new_tickets} new ticket(s), ${r.threaded} threaded, ${r.duplicates} already here.`;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async loadSync() {
    try {
      this.sync = await this.api.syncOverview();
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async loadAlerts() {
    try {
      [this.alerts, this.unreadAlerts] = await Promise.all([this.api.alerts({ unread_only: false, ticket_number: null, limit: 500 }), this.api.unreadAlertCount()]);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  showAlerts() {
    this.pane = "alerts";
    void this.loadAlerts();
  }

  /** Opens the ticket an alert is about, marking the alert read. */
  async openAlert(a: T.Alert) {
    if (a.read_at === null) await this.api.markAlertRead(a.id).catch((e) => (this.error = e.message));
    await this.open(a.ticket_number);
    void this.loadAlerts();
  }

  /** Reload what is on screen after a change anywhere. */
  async refresh() {
    void this.loadSettings();
    // A customer message may have raised a keyword alert in the same transaction.
    void this.loadAlerts();
    const shown = this.rows.length;
    const asked = ++this.listAsked;
    const [page] = await Promise.all([this.api.listTickets(this.view, null, Math.max(100, Math.min(shown, 1000))), this.refreshCounts()]);
    // A view opened meanwhile has its own rows: this answer is for the one before it.
    if (asked === this.listAsked) {
      this.rows = page.rows;
      this.next = page.next;
    }
    // Similar tickets come from the index, which may have been building when the ticket opened.
    if (this.showing !== null && this.pane === "ticket") await this.loadTicket(this.showing, this.similar.length === 0);
  }

  async open(number: number) {
    this.pane = "ticket";
    this.selected = number;
    this.showing = number;
    await this.loadTicket(number, true);
  }

  async loadTicket(number: number, withSimilar: boolean) {
    try {
      const [detail, history] = await Promise.all([this.api.ticketDetail(number), this.api.ticketHistory(number)]);
      if (this.showing !== number) return;
      this.detail = detail;
      this.history = history;
      if (withSimilar) {
        this.similar = [];
        // After a moment, and not at all when the agent has moved on (j, j, j): the search
        // would hold the workspace while the next ticket waits to be read.
        await new Promise((r) => setTimeout(r, SIDE_PANEL_DELAY_MS));
        if (this.showing !== number) return;
        const similar = await this.api.similar(number, 5);
        if (this.showing === number) this.similar = similar;
      }
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Tells the engine what a suggestion was worth for the open ticket, then asks again: one
   * that did not help goes away and the next takes its place. */
  async similarFeedback(similar: number, verdict: "helpful" | "not_helpful" | "fix_inserted") {
    const n = this.showing;
    if (n === null) return;
    try {
      await this.api.similarFeedback(n, similar, verdict);
      const fresh = await this.api.similar(n, 5);
      if (this.showing === n) this.similar = fresh;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Back to the list ("Esc" on a ticket): the ticket stays selected. */
  closeTicket() {
    this.showing = null;
    this.detail = null;
    this.similar = [];
    this.history = [];
  }

  /** Click or x: picks ticket `n` or lets it go. Shift-click: the run from the last one. */
  pick(n: number, run = false) {
    this.picked = run ? extend(this.picked, this.rows.map((r) => r.number), this.pickAnchor, n) : toggle(this.picked, n);
    this.pickAnchor = n;
  }

  /** Every ticket of the view, not only the rows loaded so far. */
  async pickAll() {
    try {
      this.picked = new Set(await this.api.viewNumbers(this.view));
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  clearPicked() {
    this.picked = new Set();
    this.pickAnchor = null;
  }

  /** Sets one field on the picked tickets (or on `only`); the toast says what changed and
   * offers the undo. */
  async bulk(change: T.BulkChange, label: string, only: number[] | null = null) {
    return this.bulkWrite((numbers) => this.api.bulkChange(numbers, change), label, only);
  }

  /** Makes the changes of macro `name` on the picked tickets (or on `only`), undoable the same way. */
  async applyMacro(name: string, only: number[] | null = null) {
    return this.bulkWrite((numbers) => this.api.applyMacro(name, numbers), tf("macro.applied", { name }), only);
  }

  /** Merges the picked tickets into `into`; the toast says so, with no undo (a merge closes them). */
  async mergePicked(into: number) {
    return this.bulkWrite((numbers) => this.api.bulkMerge(numbers, into), tf("bulk.merged_into", { n: into }), null);
  }

  private async bulkWrite(write: (numbers: number[]) => Promise<T.BulkOutcome>, label: string, only: number[] | null) {
    const numbers = only ?? [...this.picked].sort((a, b) => a - b);
    if (numbers.length === 0) return;
    try {
      const outcome = await write(numbers);
      if (only === null) this.clearPicked();
      const undo = outcome.undo.length > 0 ? () => this.undoBulk(outcome.undo) : null;
      this.say(bulkText(label, outcome), undo);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private async undoBulk(entries: T.UndoEntry[]) {
    try {
      const outcome = await this.api.bulkUndo(entries);
      this.say(undoneText(outcome), null);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Shows the toast; a newer one replaces it. It goes by itself after a while. */
  say(text: string, undo: (() => Promise<void>) | null) {
    // By its number: the state holds a proxy of the object, never the object itself.
    const n = ++toasts;
    this.toast = { text, undo, n };
    setTimeout(() => {
      if (this.toast?.n === n) this.toast = null;
    }, TOAST_MS);
  }

  move(delta: number) {
    if (this.rows.length === 0) return;
    const i = this.rows.findIndex((r) => r.number === this.selected);
    const j = Math.max(0, Math.min(this.rows.length - 1, (i < 0 ? -1 : i) + delta));
    this.selected = this.rows[j].number;
    if (j >= this.rows.length - 20) void this.loadMore();
  }
}

const VIEW_ORDER_KEY = "casebook.view-order";
function loadViewOrder(): string[] {
  try {
    const v = JSON.parse(draftStorage()?.getItem(VIEW_ORDER_KEY) ?? "[]");
    return Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** The ticket's side panels (similar tickets, suggestions, the customer) ask this long after
 * the ticket is shown: each request waits its turn for the workspace, so one made for a ticket
 * already left behind would delay the next ticket. */
export const SIDE_PANEL_DELAY_MS = 150;

/** How long the toast (and its undo) stays. */
const TOAST_MS = 10_000;
let toasts = 0;

/** "Priority: 3 tickets changed · 1 already so · 1 skipped (#7 closed tickets do not change)". */
export function bulkText(label: string, o: T.BulkOutcome): string {
  return [`${label}: ${count(o.changed.length, "tickets")} ${t("bulk.changed")}`, ...rest(o)].join(" · ");
}

export function undoneText(o: T.BulkOutcome): string {
  return [`${t("bulk.undone")}: ${count(o.changed.length, "tickets")}`, ...rest(o)].join(" · ");
}

function rest(o: T.BulkOutcome): string[] {
  const out: string[] = [];
  if (o.unchanged.length > 0) out.push(`${o.unchanged.length} ${t("bulk.already")}`);
  if (o.skipped.length > 0) {
    const first = o.skipped[0];
    out.push(`${o.skipped.length} ${t("bulk.skipped")} (#${first.number}: ${problemText(first.problem)}${o.skipped.length > 1 ? ", …" : ""})`);
  }
  return out;
}

// The one module components talk to. `Api` is an interface so tests can hand in a fake;
// `tauriApi` is the real thing, calling the shell's commands by name in one place only.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { save } from "@tauri-apps/plugin-dialog";
import type * as T from "./types";
import type { Problem } from "./bindings/Problem";
import { errorText } from "../problems";

export interface Api {
  workspaceState(): Promise<T.WorkspaceState>;
  createWorkspace(demo: boolean, name: string, email: string): Promise<void>;
  /** First run on a team's new laptop: the workspace in the shared folder, as this agent. */
  joinWorkspace(folder: string, email: string): Promise<void>;
  switchAgent(email: string): Promise<void>;
  viewCounts(): Promise<T.ViewCount[]>;
  listTickets(view: string, after: string | null, limit: number): Promise<T.Page>;
  ticketDetail(number: number): Promise<T.TicketDetail>;
  ticketHistory(number: number): Promise<T.HistoryEvent[]>;
  /** Every problem of a new ticket, each with its field (empty: it can be created). */
  checkNewTicket(ticket: T.NewTicket): Promise<T.ErrorPayload[]>;
  createTicket(ticket: T.NewTicket): Promise<T.Ticket>;
  addMessage(number: number, kind: T.MessageKind, body: string, files: T.Upload[]): Promise<T.Message>;
  openAttachment(storedPath: string): Promise<void>;
  setField(number: number, field: T.Field, value: string): Promise<T.Ticket>;
  setStatus(number: number, status: T.Status, reason: T.Resolution | null): Promise<T.Ticket>;
  /** One field on many tickets at once; the outcome carries its undo. */
  bulkChange(numbers: number[], change: T.BulkChange): Promise<T.BulkOutcome>;
  bulkUndo(undo: T.UndoEntry[]): Promise<T.BulkOutcome>;
  /** What macro `name` sets, on these tickets; undone like a bulk change. */
  applyMacro(name: string, numbers: number[]): Promise<T.BulkOutcome>;
  /** Merges these tickets into `into` (not undoable). */
  bulkMerge(numbers: number[], into: number): Promise<T.BulkOutcome>;
  /** Every ticket number of a view (select all). */
  viewNumbers(view: string): Promise<number[]>;
  savedViews(): Promise<T.SavedView[]>;
  /** `editing`: the name of the view being changed (it stays the same view when renamed). */
  saveView(editing: string | null, name: string, query: T.ViewQuery, shared: boolean): Promise<T.SavedView>;
  deleteView(name: string): Promise<void>;
  /** How many tickets a view being built matches now. */
  countView(query: T.ViewQuery): Promise<number>;
  /** Out of the working views until `until` (RFC 3339); back then, or when the customer writes. */
  snooze(number: number, until: string): Promise<T.Ticket>;
  unsnooze(number: number): Promise<T.Ticket>;
  /** The requester of ticket `number`: who, since when, their other tickets. */
  customerCard(number: number): Promise<T.CustomerCard>;
  /** Remind me at `at` unless the customer answers first; null takes it off. */
  followUp(number: number, at: string | null): Promise<T.Ticket>;
  claim(number: number): Promise<T.Ticket>;
  merge(number: number, into: number): Promise<T.Ticket>;
  link(number: number, related: number): Promise<void>;
  markSolution(number: number, messageId: string): Promise<void>;
  renderMacro(name: string, number: number): Promise<string>;
  search(query: string, filters: T.SearchFilters | null, limit: number): Promise<T.SearchResults>;
  similar(number: number, limit: number): Promise<T.SimilarTicket[]>;
  /** The agent's word on a suggested similar ticket (it ranks later suggestions). */
  similarFeedback(number: number, similar: number, verdict: "helpful" | "not_helpful" | "fix_inserted"): Promise<void>;
  /** Triage suggestions and the expected time to resolve, from the similar solved tickets. */
  predictions(number: number): Promise<T.Predictions>;
  /** Triage suggestions for a ticket still being typed. */
  triageText(subject: string, body: string): Promise<T.Suggestion[]>;
  /** When the open backlog should be done, from similar solved tickets. */
  backlogEta(): Promise<T.BacklogEta | null>;
  settings(): Promise<T.Settings>;
  saveSlaSettings(sla: T.SlaSettings): Promise<void>;
  addAgent(name: string, email: string, admin: boolean, teams: string[]): Promise<T.Agent>;
  addTeam(name: string, backupAgent: string | null): Promise<T.Team>;
  addTicketType(name: string): Promise<void>;
  removeTicketType(name: string): Promise<void>;
  saveMacro(name: string, body: string, actions: T.BulkChange[]): Promise<T.Macro>;
  saveAlertSettings(alerts: T.AlertSettings): Promise<void>;
  healthCheck(): Promise<T.HealthReport>;
  repairHealth(): Promise<string[]>;
  backupNow(): Promise<T.BackupReport>;
  listBackups(): Promise<T.BackupInfo[]>;
  restoreBackup(path: string): Promise<void>;
  logEntries(query: T.LogQuery): Promise<T.LogPage>;
  openLogFolder(): Promise<void>;
  alerts(query: T.AlertQuery): Promise<T.Alert[]>;
  unreadAlertCount(): Promise<number>;
  markAlertRead(id: number): Promise<T.Alert>;
  markAllAlertsRead(): Promise<number>;
  rateTicket(number: number, good: boolean, comment: string): Promise<T.Rating>;
  ticketRating(number: number): Promise<T.Rating | null>;
  stats(query: T.StatsQuery): Promise<T.Stats>;
  /** The tickets behind one dashboard number (its key). */
  statsTickets(query: T.StatsQuery, key: string): Promise<T.FigureTicket[]>;
  exportStatsCsv(query: T.StatsQuery, table: string, path: string): Promise<void>;
  /** The OS "Save as" dialog; null when cancelled. */
  chooseSavePath(defaultName: string): Promise<string | null>;
  rules(): Promise<T.Rule[]>;
  saveRule(id: string | null, definition: T.RuleDefinition): Promise<T.Rule>;
  setRuleEnabled(id: string, enabled: boolean): Promise<T.Rule>;
  moveRule(id: string, position: number): Promise<T.Rule[]>;
  deleteRule(id: string): Promise<void>;
  resetRule(id: string): Promise<T.Rule>;
  /** A dry run: what the rule(s) would change now, written nowhere. */
  tryRules(target: T.TryTarget): Promise<T.RulePassReport>;
  runTimeRules(): Promise<T.RulePassReport>;
  syncOverview(): Promise<T.SyncOverview>;
  /** Shares this workspace in an empty folder that Syncthing (or a network share) replicates. */
  syncShare(folder: string): Promise<T.SyncOverview>;
  syncSetPaused(paused: boolean): Promise<T.SyncOverview>;
  syncConflicts(): Promise<T.Conflict[]>;
  /** Tells the other laptops which ticket is open here (null: none) and whether a reply is being written. */
  setPresence(ticket: number | null, replying: boolean): Promise<void>;
  mailSettings(): Promise<T.MailSettingsView>;
  saveMailIdentity(identity: T.MailIdentity): Promise<void>;
  /** This laptop's mailbox; a password given goes to the system keyring (null: keep the one there). */
  saveMailbox(mailbox: T.MailboxSettings, imapPassword: string | null, smtpPassword: string | null): Promise<void>;
  /** Fetch and send now; the status it leaves. */
  mailCheckNow(): Promise<T.MailStatus>;
  mailLog(query: string | null, limit: number): Promise<T.MailLogLine[]>;
  mailOutbox(limit: number): Promise<T.OutboxItem[]>;
  ticketMail(number: number): Promise<T.MessageMail[]>;
  /** Imports .eml / .mbox files and Maildir folders (dropped on the window). */
  mailImport(paths: string[]): Promise<T.FetchReport>;
  /** A received mail's HTML, sanitised; null when it has none. */
  messageHtml(messageId: string): Promise<T.MessageHtml | null>;
  /** Opens a mail's link in the system browser (web and mail addresses only). */
  openLink(url: string): Promise<void>;
  onMail(f: (s: T.MailStatus) => void): Promise<UnlistenFn>;
  /** Calls `f` with the paths of files dropped on the window. */
  onFilesDropped(f: (paths: string[]) => void): Promise<UnlistenFn>;
  /** Calls `f` with the new overview whenever team sync's state changes. */
  onSync(f: (o: T.SyncOverview) => void): Promise<UnlistenFn>;
  /** Calls `f` when alerts were raised or delivered in the background. */
  onAlerts(f: () => void): Promise<UnlistenFn>;
  /** Calls `f` when a notification is clicked: its ticket, or null for the alert centre. */
  onAlertClicked(f: (ticket: number | null) => void): Promise<UnlistenFn>;
  /** Calls `f` whenever the shell says data changed (any view, rule or background task). */
  onChange(f: () => void): Promise<UnlistenFn>;
}

/** Errors arrive as `{code, message, field?, problem?}`; this keeps them as an Error whose
 *  message is in the user's language when the engine said what the problem is. */
export class ApiError extends Error {
  constructor(public code: string, message: string, public field?: string, public problem?: Problem) {
    super(message);
  }
}

async function call<R>(command: string, args?: Record<string, unknown>): Promise<R> {
  try {
    return await invoke<R>(command, args);
  } catch (e) {
    const p = e as T.ErrorPayload;
    if (p && typeof p === "object" && "message" in p) throw new ApiError(p.code, errorText(p), p.field ?? undefined, p.problem);
    throw new ApiError("internal", String(e));
  }
}

export const tauriApi: Api = {
  workspaceState: () => call("workspace_state"),
  createWorkspace: (demo, name, email) => call("create_workspace", { demo, name, email }),
  joinWorkspace: (folder, email) => call("join_workspace", { folder, email }),
  switchAgent: (email) => call("switch_agent", { email }),
  viewCounts: () => call("view_counts"),
  listTickets: (view, after, limit) => call("list_tickets", { view, after, limit }),
  ticketDetail: (number) => call("ticket_detail", { number }),
  ticketHistory: (number) => call("ticket_history", { number }),
  checkNewTicket: (ticket) => call("check_new_ticket", { ticket }),
  createTicket: (ticket) => call("create_ticket", { ticket }),
  addMessage: (number, kind, body, files) => call("add_message", { number, kind, body, files }),
  openAttachment: (storedPath) => call("open_attachment", { storedPath }),
  setField: (number, field, value) => call("set_field", { number, field, value }),
  bulkChange: (numbers, change) => call("bulk_change", { numbers, change }),
  bulkUndo: (undo) => call("bulk_undo", { undo }),
  applyMacro: (name, numbers) => call("apply_macro", { name, numbers }),
  bulkMerge: (numbers, into) => call("bulk_merge", { numbers, into }),
  viewNumbers: (view) => call("view_numbers", { view }),
  savedViews: () => call("saved_views"),
  saveView: (editing, name, query, shared) => call("save_view", { editing, name, query, shared }),
  deleteView: (name) => call("delete_view", { name }),
  countView: (query) => call("count_view", { query }),
  snooze: (number, until) => call("snooze_ticket", { number, until }),
  unsnooze: (number) => call("unsnooze_ticket", { number }),
  customerCard: (number) => call("customer_card", { number }),
  followUp: (number, at) => call("follow_up", { number, at }),
  setStatus: (number, status, reason) => call("set_status", { number, status, reason }),
  claim: (number) => call("claim_ticket", { number }),
  merge: (number, into) => call("merge_tickets", { number, into }),
  link: (number, related) => call("link_tickets", { number, related }),
  markSolution: (number, messageId) => call("mark_solution", { number, messageId }),
  renderMacro: (name, number) => call("render_macro", { name, number }),
  search: (query, filters, limit) => call("search_tickets", { query, filters, limit }),
  similar: (number, limit) => call("similar_tickets", { number, limit }),
  similarFeedback: (number, similar, verdict) => call("similar_feedback", { number, similar, verdict }),
  predictions: (number) => call("ticket_predictions", { number }),
  triageText: (subject, body) => call("triage_text", { subject, body }),
  backlogEta: () => call("backlog_eta", {}),
  settings: () => call("settings"),
  saveSlaSettings: (sla) => call("save_sla_settings", { sla }),
  addAgent: (name, email, admin, teams) => call("add_agent", { name, email, admin, teams }),
  addTeam: (name, backupAgent) => call("add_team", { name, backupAgent }),
  addTicketType: (name) => call("add_ticket_type", { name }),
  removeTicketType: (name) => call("remove_ticket_type", { name }),
  saveMacro: (name, body, actions) => call("save_macro", { name, body, actions }),
  saveAlertSettings: (alerts) => call("save_alert_settings", { alerts }),
  healthCheck: () => call("health_check"),
  repairHealth: () => call("repair_health"),
  backupNow: () => call("backup_now"),
  listBackups: () => call("list_backups"),
  restoreBackup: (path) => call("restore_backup", { path }),
  logEntries: (query) => call("log_entries", { query }),
  openLogFolder: () => call("open_log_folder"),
  alerts: (query) => call("alerts", { query }),
  unreadAlertCount: () => call("unread_alert_count"),
  markAlertRead: (id) => call("mark_alert_read", { id }),
  markAllAlertsRead: () => call("mark_all_alerts_read"),
  rateTicket: (number, good, comment) => call("rate_ticket", { number, good, comment }),
  ticketRating: (number) => call("ticket_rating", { number }),
  stats: (query) => call("stats", { query }),
  statsTickets: (query, key) => call("stats_tickets", { query, key }),
  exportStatsCsv: (query, table, path) => call("export_stats_csv", { query, table, path }),
  chooseSavePath: (defaultName) => save({ defaultPath: defaultName, filters: [{ name: "CSV", extensions: ["csv"] }] }),
  rules: () => call("rules"),
  saveRule: (id, definition) => call("save_rule", { id, definition }),
  setRuleEnabled: (id, enabled) => call("set_rule_enabled", { id, enabled }),
  moveRule: (id, position) => call("move_rule", { id, position }),
  deleteRule: (id) => call("delete_rule", { id }),
  resetRule: (id) => call("reset_rule", { id }),
  tryRules: (target) => call("try_rules", { target }),
  runTimeRules: () => call("run_time_rules"),
  syncOverview: () => call("sync_overview"),
  syncShare: (folder) => call("sync_share", { folder }),
  syncSetPaused: (paused) => call("sync_set_paused", { paused }),
  syncConflicts: () => call("sync_conflicts"),
  setPresence: (ticket, replying) => call("set_presence", { ticket, replying }),
  mailSettings: () => call("mail_settings"),
  saveMailIdentity: (identity) => call("save_mail_identity", { identity }),
  saveMailbox: (mailbox, imapPassword, smtpPassword) => call("save_mailbox", { mailbox, imapPassword, smtpPassword }),
  mailCheckNow: () => call("mail_check_now"),
  mailLog: (query, limit) => call("mail_log", { query, limit }),
  mailOutbox: (limit) => call("mail_outbox", { limit }),
  ticketMail: (number) => call("ticket_mail", { number }),
  mailImport: (paths) => call("mail_import", { paths }),
  messageHtml: (messageId) => call("message_html", { messageId }),
  openLink: (url) => call("open_link", { url }),
  onMail: (f) => listen<T.MailStatus>("mail_changed", (e) => f(e.payload)),
  onFilesDropped: (f) => getCurrentWebview().onDragDropEvent((e) => {
    if (e.payload.type === "drop") f(e.payload.paths);
  }),
  onSync: (f) => listen<T.SyncOverview>("sync_changed", (e) => f(e.payload)),
  onAlerts: (f) => listen("alerts_changed", f),
  onAlertClicked: (f) => listen<number | null>("open_alert_target", (e) => f(e.payload)),
  onChange: async (f) => {
    const a = await listen("entities_changed", f);
    const b = await listen("search_updated", f);
    return () => { a(); b(); };
  },
};

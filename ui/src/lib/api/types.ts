// The shapes the engine sends across the IPC (serde's JSON of the Rust types in src/).
// Keep in step with the Rust side: `ui/src/lib/api/types.test.ts` checks them against
// JSON the engine really produced (ui/src/lib/api/fixtures/, written by a Rust test).

export type Status = "new" | "open" | "pending" | "on_hold" | "resolved" | "closed";
export type Priority = "urgent" | "high" | "medium" | "low";
export type Resolution = "solved" | "duplicate" | "no_action_needed" | "auto_closed" | "confirmed_by_customer";
export type MessageKind = "public" | "internal" | "customer" | "system";
export type SlaState = "ok" | "at_risk" | "breached" | "met" | "paused";
export type Field = "status" | "priority" | "type" | "assignee" | "team" | "tags";
export type Role = "admin" | "agent";
export type Tier = "vip" | "normal";
export type Timestamp = string;

export interface ErrorPayload { code: string; message: string; field?: string }

export interface Agent { id: string; name: string; email: string; role: Role; teams: string[]; skills: string[]; active: boolean }
export interface Team { id: string; name: string; backup_agent: string | null }
export interface Customer { id: string; name: string; email: string; organisation: string | null; tier: Tier }
export interface PersonRef { id: string; name: string; email: string }

export interface Ticket {
  id: string; number: number; subject: string; description: string; type: string;
  priority: Priority; status: Status; resolution: Resolution | null; duplicate_of: number | null;
  requester: Customer; assignee: PersonRef | null; team: string | null; tags: string[];
  channel: "manual" | "email" | "import";
  created_at: Timestamp; updated_at: Timestamp; first_response_at: Timestamp | null;
  resolved_at: Timestamp | null; closed_at: Timestamp | null;
}

export interface Attachment { id: string; filename: string; sha256: string; size: number; stored_path: string }
export interface Message {
  id: string; ticket_number: number; kind: MessageKind; author_name: string; author_email: string | null;
  body: string; created_at: Timestamp; is_solution: boolean; attachments: Attachment[];
}
export interface TicketLink { kind: "related" | "duplicate"; number: number; subject: string; status: Status; incoming: boolean }
export interface TargetStatus {
  target: "first_response" | "resolution"; target_minutes: number; state: SlaState;
  due_at: Timestamp | null; at_risk_at: Timestamp | null; remaining_seconds: number | null; achieved_at: Timestamp | null;
}
export interface SlaStatus { first_response: TargetStatus; resolution: TargetStatus }
export interface TicketDetail { ticket: Ticket; messages: Message[]; links: TicketLink[]; sla: SlaStatus }
export interface HistoryEvent { seq: number; id: string; ticket_number: number | null; actor: string; kind: string; payload: Record<string, unknown>; at: Timestamp; device: string }

export interface SlaBadge { state: SlaState; due_at: Timestamp | null; seconds_left: number | null }
export interface TicketRow {
  number: number; subject: string; status: Status; priority: Priority; type: string;
  requester_name: string; requester_email: string; organisation: string | null; vip: boolean;
  assignee_name: string | null; assignee_email: string | null; team: string | null;
  created_at: Timestamp; updated_at: Timestamp; sla: SlaBadge;
}
export interface Page { rows: TicketRow[]; next: string | null }
export interface ViewCount { name: string; label: string; builtin: boolean; count: number }

export interface NewTicket {
  subject: string; description: string; requester_email: string; requester_name?: string | null;
  organisation?: string | null; priority?: Priority | null; type?: string | null; tags?: string[];
  assignee_email?: string | null; team?: string | null;
}

export interface SearchFilters { statuses?: Status[]; priorities?: Priority[]; types?: string[]; assignee?: string; team?: string; tags?: string[]; requester?: string }
export interface Snippet { text: string; highlights: [number, number][] }
export interface SearchHit { number: number; subject: string; status: Status; priority: Priority; score: number; subject_highlights: [number, number][]; snippet: Snippet; updated_at: Timestamp }
export interface SearchResults { hits: SearchHit[]; total: number; notes: string[] }
export interface Fix { message_id: string; kind: MessageKind; author: string; body: string; marked: boolean }
export interface SimilarTicket { number: number; subject: string; status: Status; resolved_at: Timestamp | null; score: number; reference: boolean; fix: Fix | null }

export interface WorkspaceInfo { name: string; device_id: string; created_at: Timestamp; schema_version: number }
export interface WorkspaceState { open: boolean; data_dir: string; info: WorkspaceInfo | null; me: Agent | null; agents: Agent[] }

export interface SlaPolicy { priority: Priority; first_response_minutes: number; resolution_minutes: number }
export interface WorkingHours { weekday: number; start: string; end: string }
export interface BusinessHours { time_zone: string; week: WorkingHours[]; holidays: string[] }
export interface SlaSettings { policies: SlaPolicy[]; at_risk_share: number; business_hours: BusinessHours | null }
export interface Macro { id: string; name: string; body: string }
export interface Settings { sla: SlaSettings; agents: Agent[]; teams: Team[]; ticket_types: string[]; macros: Macro[] }

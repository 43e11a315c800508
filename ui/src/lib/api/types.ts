// The shapes the engine sends across the IPC, generated from the Rust types by ts-rs into
// ./bindings/ (by `cargo test --workspace`; scripts/test fails when they are stale).
// This module only re-exports them under the names the UI uses.
export type { Agent } from "./bindings/Agent";
export type { Attachment } from "./bindings/Attachment";
export type { BusinessHours } from "./bindings/BusinessHours";
export type { Customer } from "./bindings/Customer";
export type { ErrorPayload } from "./bindings/ErrorPayload";
export type { Event as HistoryEvent } from "./bindings/Event";
export type { Field } from "./bindings/Field";
export type { Fix } from "./bindings/Fix";
export type { Macro } from "./bindings/Macro";
export type { Message } from "./bindings/Message";
export type { MessageKind } from "./bindings/MessageKind";
export type { NewTicket } from "./bindings/NewTicket";
export type { Page } from "./bindings/Page";
export type { PersonRef } from "./bindings/PersonRef";
export type { Priority } from "./bindings/Priority";
export type { Resolution } from "./bindings/Resolution";
export type { Role } from "./bindings/Role";
export type { SearchFilters } from "./bindings/SearchFilters";
export type { SearchHit } from "./bindings/SearchHit";
export type { SearchResults } from "./bindings/SearchResults";
export type { Settings } from "./bindings/Settings";
export type { SimilarTicket } from "./bindings/SimilarTicket";
export type { SlaBadge } from "./bindings/SlaBadge";
export type { SlaPolicy } from "./bindings/SlaPolicy";
export type { SlaSettings } from "./bindings/SlaSettings";
export type { SlaState } from "./bindings/SlaState";
export type { SlaStatus } from "./bindings/SlaStatus";
export type { Snippet } from "./bindings/Snippet";
export type { Status } from "./bindings/Status";
export type { Team } from "./bindings/Team";
export type { TargetStatus } from "./bindings/TargetStatus";
export type { Ticket } from "./bindings/Ticket";
export type { TicketDetail } from "./bindings/TicketDetail";
export type { TicketLink } from "./bindings/TicketLink";
export type { TicketRow } from "./bindings/TicketRow";
export type { Tier } from "./bindings/Tier";
export type { Upload } from "./bindings/Upload";
export type { ViewCount } from "./bindings/ViewCount";
export type { WorkingHours } from "./bindings/WorkingHours";
export type { WorkspaceInfo } from "./bindings/WorkspaceInfo";
export type { WorkspaceState } from "./bindings/WorkspaceState";

export type Timestamp = string;

// What the rule editor's forms show for each kind of condition and action: a label, the
// fields with the control each needs, and a starting value. The engine validates; this only
// decides how to ask. (No free-form code: every field is a choice, a number or words.)
import type { Action, Condition, RuleDefinition } from "../lib/api/types";

export type Source = "types" | "teams" | "agents" | "macros";

export type Widget =
  | { kind: "multi"; options: readonly string[] }
  | { kind: "select"; options?: readonly string[]; source?: Source; none?: string }
  | { kind: "list"; source?: Source; none?: string }
  | { kind: "terms" }
  | { kind: "number"; optional?: boolean; step?: number; min?: number }
  | { kind: "check" }
  | { kind: "text" }
  | { kind: "textarea" };

export interface Param {
  key: string;
  label: string;
  widget: Widget;
}

export interface Kind<T> {
  label: string;
  params: Param[];
  make: () => T;
  /** Only triggers can use it (it needs a ticket that just arrived or changed). */
  triggerOnly?: boolean;
}

const STATUSES = ["new", "open", "pending", "on_hold", "resolved", "closed"] as const;
const PRIORITIES = ["urgent", "high", "medium", "low"] as const;
const RESOLUTIONS = ["solved", "duplicate", "no_action_needed", "auto_closed", "confirmed_by_customer"] as const;
const not: Param = { key: "not", label: "is none of these", widget: { kind: "check" } };

export const CONDITIONS: Record<Condition["if"], Kind<Condition>> = {
  event: {
    label: "What happened",
    triggerOnly: true,
    params: [{ key: "events", label: "the ticket was", widget: { kind: "multi", options: ["created", "customer_message", "agent_reply", "note", "status_changed", "field_changed"] } }],
    make: () => ({ if: "event", events: ["created"] }),
  },
  status: { label: "Status", params: [{ key: "values", label: "is", widget: { kind: "multi", options: STATUSES } }, not], make: () => ({ if: "status", values: ["open"], not: false }) },
  priority: { label: "Priority", params: [{ key: "values", label: "is", widget: { kind: "multi", options: PRIORITIES } }, not], make: () => ({ if: "priority", values: ["urgent"], not: false }) },
  type: { label: "Type", params: [{ key: "values", label: "is", widget: { kind: "list", source: "types" } }, not], make: () => ({ if: "type", values: [], not: false }) },
  team: { label: "Team", params: [{ key: "values", label: "is", widget: { kind: "list", source: "teams", none: "none" } }, not], make: () => ({ if: "team", values: ["none"], not: false }) },
  assignee: { label: "Assignee", params: [{ key: "values", label: "is", widget: { kind: "list", source: "agents", none: "none" } }, not], make: () => ({ if: "assignee", values: ["none"], not: false }) },
  requester_tier: { label: "Requester tier", params: [{ key: "values", label: "is", widget: { kind: "multi", options: ["vip", "normal"] } }, not], make: () => ({ if: "requester_tier", values: ["vip"], not: false }) },
  channel: { label: "Channel", params: [{ key: "values", label: "is", widget: { kind: "multi", options: ["manual", "email", "import"] } }, not], make: () => ({ if: "channel", values: ["email"], not: false }) },
  tags: { label: "Tags", params: [{ key: "values", label: "has any of", widget: { kind: "list" } }, not], make: () => ({ if: "tags", values: [], not: false }) },
  text: {
    label: "Text contains",
    params: [
      { key: "field", label: "in", widget: { kind: "select", options: ["subject", "body", "latest_customer_message", "any"] } },
      { key: "terms", label: "any of these words or phrases (one per line)", widget: { kind: "terms" } },
      { key: "not", label: "contains none of them", widget: { kind: "check" } },
    ],
    make: () => ({ if: "text", field: "latest_customer_message", terms: [], not: false }),
  },
  hours_since: {
    label: "Hours since",
    params: [
      { key: "since", label: "since", widget: { kind: "select", options: ["created", "updated", "last_agent_reply", "last_customer_reply", "status_change", "pending_since", "awaiting_reply"] } },
      { key: "at_least", label: "at least (hours)", widget: { kind: "number", optional: true, step: 0.5, min: 0 } },
      { key: "less_than", label: "less than (hours)", widget: { kind: "number", optional: true, step: 0.5, min: 0 } },
    ],
    make: () => ({ if: "hours_since", since: "awaiting_reply", at_least: 2, less_than: null }),
  },
  sla: { label: "SLA", params: [{ key: "values", label: "is", widget: { kind: "multi", options: ["ok", "at_risk", "breached", "met", "paused"] } }, not], make: () => ({ if: "sla", values: ["breached"], not: false }) },
  similar_from_requester: {
    label: "Same problem again",
    params: [
      { key: "at_least", label: "tickets from the same requester (this one included), at least", widget: { kind: "number", min: 2 } },
      { key: "days", label: "within days", widget: { kind: "number", min: 1 } },
    ],
    make: () => ({ if: "similar_from_requester", at_least: 3, days: 30 }),
  },
  affected_users: { label: "People affected", params: [{ key: "at_least", label: "the customer says at least", widget: { kind: "number", min: 1 } }], make: () => ({ if: "affected_users", at_least: 10 }) },
  duplicate_of: {
    label: "Duplicate of an earlier ticket",
    triggerOnly: true,
    params: [
      { key: "within_hours", label: "same requester within (hours)", widget: { kind: "number", min: 1 } },
      { key: "min_similarity", label: "subject similarity at least (0–1)", widget: { kind: "number", step: 0.05, min: 0.1 } },
      { key: "same_type", label: "and the same type", widget: { kind: "check" } },
    ],
    make: () => ({ if: "duplicate_of", within_hours: 12, min_similarity: 0.8, same_type: true }),
  },
};

export const ACTIONS: Record<Action["do"], Kind<Action>> = {
  set_status: {
    label: "Set status",
    params: [
      { key: "status", label: "to", widget: { kind: "select", options: STATUSES.filter((s) => s !== "new") } },
      { key: "reason", label: "reason", widget: { kind: "select", options: RESOLUTIONS, none: "none" } },
    ],
    make: () => ({ do: "set_status", status: "resolved", reason: null }),
  },
  set_priority: { label: "Set priority", params: [{ key: "priority", label: "to", widget: { kind: "select", options: PRIORITIES } }], make: () => ({ do: "set_priority", priority: "high" }) },
  raise_priority: { label: "Raise priority one step", params: [], make: () => ({ do: "raise_priority" }) },
  set_type: { label: "Set type", params: [{ key: "type", label: "to", widget: { kind: "select", source: "types" } }], make: () => ({ do: "set_type", type: "" }) },
  set_team: { label: "Set team", params: [{ key: "team", label: "to", widget: { kind: "select", source: "teams", none: "no team" } }], make: () => ({ do: "set_team", team: null }) },
  assign: { label: "Assign to", params: [{ key: "agent", label: "agent", widget: { kind: "select", source: "agents", none: "nobody" } }], make: () => ({ do: "assign", agent: null }) },
  assign_backup: { label: "Reassign to the team's backup agent", params: [], make: () => ({ do: "assign_backup" }) },
  auto_assign: {
    label: "Assign automatically",
    params: [
      { key: "strategy", label: "how", widget: { kind: "select", options: ["round_robin", "least_loaded", "by_skill"] } },
      { key: "team", label: "within team", widget: { kind: "select", source: "teams", none: "the ticket's team" } },
      { key: "skill", label: "skill (by skill)", widget: { kind: "text" } },
    ],
    make: () => ({ do: "auto_assign", strategy: "round_robin", team: null, skill: null }),
  },
  add_tags: { label: "Add tags", params: [{ key: "tags", label: "tags", widget: { kind: "list" } }], make: () => ({ do: "add_tags", tags: [] }) },
  remove_tags: { label: "Remove tags", params: [{ key: "tags", label: "tags", widget: { kind: "list" } }], make: () => ({ do: "remove_tags", tags: [] }) },
  apply_triage: {
    label: "Apply the similar tickets' triage",
    params: [{ key: "min_confidence", label: "where at least this share agree (0.5–1)", widget: { kind: "number", step: 0.05, min: 0.5 } }],
    make: () => ({ do: "apply_triage", min_confidence: 0.8 }),
  },
  add_note: { label: "Add internal note", params: [{ key: "body", label: "note", widget: { kind: "textarea" } }], make: () => ({ do: "add_note", body: "" }) },
  send_macro: { label: "Reply with a macro", params: [{ key: "macro", label: "macro", widget: { kind: "select", source: "macros" } }], make: () => ({ do: "send_macro", macro: "" }) },
  merge_into_original: { label: "Close as duplicate of the earlier ticket", params: [], make: () => ({ do: "merge_into_original" }) },
  notify: {
    label: "Notify",
    params: [
      { key: "to", label: "who", widget: { kind: "multi", options: ["assignee", "lead", "admin"] } },
      { key: "message", label: "message", widget: { kind: "text" } },
    ],
    make: () => ({ do: "notify", to: ["assignee"], message: "" }),
  },
};

/** Words for the values of enums ("on_hold" → "on hold"). */
export function words(value: string): string {
  return value.replaceAll("_", " ");
}

/** "a, b ,, c" → ["a", "b", "c"]; one per line for terms. */
export function splitList(text: string, byLine = false): string[] {
  return text
    .split(byLine ? /\r?\n/ : /[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A new rule to start from. */
export function blankRule(kind: RuleDefinition["kind"]): RuleDefinition {
  return {
    name: "",
    kind,
    enabled: true,
    note: "",
    all: [kind === "trigger" ? CONDITIONS.event.make() : CONDITIONS.hours_since.make()],
    any: [],
    actions: [ACTIONS.add_tags.make()],
  };
}

/** A deep copy to edit, so the list keeps the stored rule until it is saved. */
export function copy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

// The engine's refusals in the user's language. The engine sends what it refused as a key and
// its values (`Problem`, crates/core/src/problem.rs) beside its English; each key has a text
// "err.KEY" in every catalogue, and the type check fails when one is missing. Values that are
// words of the domain (a status, a priority, what was not found) are translated; what the
// user typed is shown as typed.
import type { Problem } from "./api/bindings/Problem";
import type { RulePart } from "./api/bindings/RulePart";
import { catalogues, i18n, type Key } from "./i18n.svelte";
// The rule editor's own names for the kinds of condition and action, in each language.
import { ACTIONS, CONDITIONS } from "../rules/forms";
import { rw } from "../rules/ruleWords";

type ProblemKey = `err.${Problem["key"]}`;
// A problem without its text in the catalogues fails here, at the type check.
const everyProblemHasAText: ProblemKey extends Key ? true : never = true;
void everyProblemHasAText;

const isKey = (k: string): k is Key => k in catalogues.en;

/** A value as the sentence needs it: a domain word translated, anything else as it came. */
function word(name: string, value: unknown): string {
  const v = String(value);
  const as = (prefix: string) => (isKey(`${prefix}.${v}`) ? i18n.t(`${prefix}.${v}` as Key) : v);
  switch (name) {
    case "status": case "from": case "to": return as("status");
    case "priority": return as("priority");
    case "what": {
      if (isKey(`err.area.${v}`)) return as("err.area");
      const w = v.toLowerCase().replaceAll(" ", "_");
      return isKey(`err.what.${w}`) ? i18n.t(`err.what.${w}` as Key) : v;
    }
    case "field": return as("err.field");
    default: return v;
  }
}

/** A part of a rule as the rule editor names it: "Condition 2 (Team)". */
function partText(part: RulePart): string {
  switch (part.part) {
    case "name": case "conditions": case "actions": return i18n.t(`err.part.${part.part}`);
    case "condition": {
      const kind = CONDITIONS[part.kind as keyof typeof CONDITIONS]?.label ?? part.kind;
      return i18n.t("err.part.condition").replace("{n}", String(part.n)).replace("{kind}", rw(kind));
    }
    case "action": {
      const kind = ACTIONS[part.kind as keyof typeof ACTIONS]?.label ?? part.kind;
      return i18n.t("err.part.action").replace("{n}", String(part.n)).replace("{kind}", rw(kind));
    }
  }
}

/** The problem's sentence in the current language. */
export function problemText(p: Problem): string {
  if (p.key === "in_rule") {
    return i18n.t("err.in_rule").replace("{part}", partText(p.args.part)).replace("{problem}", problemText(p.args.problem));
  }
  const args: Record<string, unknown> = "args" in p ? p.args : {};
  // One pass, so a value that itself holds "{name}" is shown as typed.
  return i18n.t(`err.${p.key}` as ProblemKey).replace(/\{(\w+)\}/g, (all, name: string) => (name in args ? word(name, args[name]) : all));
}

/** What an error from the engine says, in the current language when it can be translated. */
export function errorText(e: { message: string; problem?: Problem | null }): string {
  return e.problem ? problemText(e.problem) : e.message;
}

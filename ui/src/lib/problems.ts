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

/** `template` with its `{name}` placeholders filled in one pass, so a value that itself
 *  holds "{name}" is shown as typed. */
function fill(template: string, values: Record<string, unknown>, say = (_name: string, v: unknown) => String(v)): string {
  return template.replace(/\{(\w+)\}/g, (all, name: string) => (name in values ? say(name, values[name]) : all));
}

/** A part of a rule as the rule editor names it: "Condition 2 (Team)". */
function partText(part: RulePart): string {
  if (part.part === "name" || part.part === "conditions" || part.part === "actions") return i18n.t(`err.part.${part.part}`);
  const kinds: Record<string, { label: string }> = part.part === "condition" ? CONDITIONS : ACTIONS;
  return fill(i18n.t(`err.part.${part.part}`), { n: part.n, kind: rw(kinds[part.kind]?.label ?? part.kind) });
}

/** The problem's sentence in the current language. */
export function problemText(p: Problem): string {
  if (p.key === "in_rule") {
    return fill(i18n.t("err.in_rule"), { part: partText(p.args.part), problem: problemText(p.args.problem) });
  }
  return fill(i18n.t(`err.${p.key}` as ProblemKey), "args" in p ? p.args : {}, word);
}

/** What an error from the engine says, in the current language when it can be translated. */
export function errorText(e: { message: string; problem?: Problem | null }): string {
  return e.problem ? problemText(e.problem) : e.message;
}

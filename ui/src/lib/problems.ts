// The engine's refusals in the user's language. The engine sends what it refused as a key and
// its values (`Problem`, crates/core/src/problem.rs) beside its English; each key has a text
// "err.KEY" in every catalogue, and the type check fails when one is missing. Values that are
// words of the domain (a status, a priority, what was not found) are translated; what the
// user typed is shown as typed.
import type { Problem } from "./api/bindings/Problem";
import { catalogues, i18n, type Key } from "./i18n.svelte";

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
    case "what": return isKey(`err.area.${v}`) ? as("err.area") : as("err.what");
    case "field": return as("err.field");
    default: return v;
  }
}

/** The problem's sentence in the current language. */
export function problemText(p: Problem): string {
  const args: Record<string, unknown> = "args" in p ? p.args : {};
  return Object.entries(args).reduce(
    (text, [name, value]) => text.replaceAll(`{${name}}`, word(name, value)),
    i18n.t(`err.${p.key}` as ProblemKey),
  );
}

/** What an error from the engine says, in the current language when it can be translated. */
export function errorText(e: { message: string; problem?: Problem | null }): string {
  return e.problem ? problemText(e.problem) : e.message;
}

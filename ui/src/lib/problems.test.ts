import { describe, expect, it } from "vitest";
import { i18n } from "./i18n.svelte";
import { errorText, problemText } from "./problems";

describe("the engine's refusals", () => {
  it("are said in the user's language, domain words translated and typed text kept", () => {
    const snoozed = { key: "snooze_solved", args: { number: 7, status: "on_hold" } } as const;
    i18n.lang = "en";
    expect(problemText(snoozed)).toBe("#7 is On hold: only unsolved tickets are snoozed");
    i18n.lang = "ko";
    expect(problemText(snoozed)).toBe("#7은(는) 보류 상태입니다. 해결되지 않은 티켓만 미룰 수 있습니다");
    i18n.lang = "pl";
    expect(problemText(snoozed)).toBe("#7 ma status Wstrzymane: odłożyć można tylko nierozwiązane zgłoszenie");
    expect(problemText({ key: "not_an_email", args: { text: "a@{b}" } })).toBe("„a@{b}” nie jest adresem e-mail");
    expect(problemText({ key: "illegal_transition", args: { number: 3, from: "pending", to: "new" } }))
      .toBe("Zgłoszenia #3 nie można przenieść ze statusu Oczekujące do Nowe");
    expect(problemText({ key: "not_found", args: { what: "view", key: "Mine" } })).toBe("Nie istnieje: widok Mine");
    expect(problemText({ key: "admin_only", args: { what: "sla_policies", email: "a@b.c" } }))
      .toBe("Tylko administrator może zmienić: polityki SLA; a@b.c jest agentem");
    // What the user typed stays as typed, even when it looks like a placeholder.
    expect(problemText({ key: "hours_backwards", args: { start: "{end}", end: "08:00" } })).toBe("Godziny pracy {end}–08:00 kończą się, zanim się zaczną");
    expect(problemText({ key: "unknown_placeholder", args: { name: "x", known: "a" } })).toBe("Nieznany symbol zastępczy {{x}} (znane: a)");
    expect(problemText({ key: "name_empty", args: { field: "team" } })).toBe("Pole „Zespół” nie może być puste");
    // Why a bulk change skipped a ticket.
    expect(problemText({ key: "not_directly", args: { from: "new", to: "closed" } })).toBe("ze statusu Nowe nie można przejść wprost do Zamknięte");
    // A rule's part as the rule editor names it, and the problem in it.
    const inRule = { key: "in_rule", args: { part: { part: "condition", n: 2, kind: "team" }, problem: { key: "choose_at_least_one", args: { what: "SLA state" } } } } as const;
    expect(problemText(inRule)).toBe("Warunek 2 (Zespół): Wybierz co najmniej jedno: stan SLA");
    i18n.lang = "en";
    expect(problemText(inRule)).toBe("Condition 2 (Team): Choose at least one SLA state");
    i18n.lang = "pl";
    // A name the catalogue does not know is shown as it came.
    expect(problemText({ key: "not_found", args: { what: "figure", key: "x" } })).toBe("Nie istnieje: figure x");
    i18n.lang = "en";
  });
  it("fall back to the engine's English when it names no problem", () => {
    i18n.lang = "ko";
    expect(errorText({ message: "line 2 (type): 'Incident' is not a ticket type" })).toBe("line 2 (type): 'Incident' is not a ticket type");
    expect(errorText({ message: "Subject can't be empty", problem: { key: "subject_empty" } })).toBe("제목을 입력하세요");
    i18n.lang = "en";
  });
});

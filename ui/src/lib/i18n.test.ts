import { describe, expect, it } from "vitest";
import { catalogues, count, i18n, t } from "./i18n.svelte";

const placeholders = (s: string) => [...s.matchAll(/\{\{?[a-z_.]+\}?\}/g)].map((m) => m[0]).sort();

describe("i18n", () => {
  it("has every text in every language, with the same placeholders as English", () => {
    const keys = Object.keys(catalogues.en) as (keyof typeof catalogues.en)[];
    for (const lang of ["ko", "pl"] as const) {
      for (const key of keys) {
        const text = catalogues[lang][key];
        expect(text, `${lang} ${key}`).toBeTruthy();
        expect(placeholders(text), `${lang} ${key}`).toEqual(placeholders(catalogues.en[key]));
      }
      expect(Object.keys(catalogues[lang]).sort()).toEqual([...keys].sort());
    }
  });
  it("counts in Polish with its three forms, in Korean without a space", () => {
    expect([1, 2, 4, 5, 12, 22, 25, 101].map((n) => count(n, "tickets", "pl"))).toEqual([
      "1 zgłoszenie", "2 zgłoszenia", "4 zgłoszenia", "5 zgłoszeń", "12 zgłoszeń", "22 zgłoszenia", "25 zgłoszeń", "101 zgłoszeń",
    ]);
    expect([1, 3].map((n) => count(n, "tickets", "en"))).toEqual(["1 ticket", "3 tickets"]);
    expect(count(3, "tickets", "ko")).toBe("3건");
    expect(count(3002, "events", "en")).toBe("3,002 events");
    // The palette's result count ("1 matches" before).
    expect([1, 2, 5].map((n) => count(n, "matches", "en"))).toEqual(["1 match", "2 matches", "5 matches"]);
    expect([1, 3, 5].map((n) => count(n, "matches", "pl"))).toEqual(["1 wynik", "3 wyniki", "5 wyników"]);
  });
  it("switches language at once", () => {
    i18n.lang = "pl";
    expect(t("views.all")).toBe("Wszystkie");
    i18n.lang = "ko";
    expect(t("views.all")).not.toBe("All");
    i18n.lang = "en";
    expect(t("views.all")).toBe("All");
  });
});

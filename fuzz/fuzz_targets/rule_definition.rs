//! A rule as the editor sends it (JSON): a dry run over the workspace and a save either work or
//! are refused with nothing written; a saved rule reads back as it was saved.
#![no_main]

use casebook::rules::{RuleDefinition, TryTarget};
use casebook_fuzz::Fixture;
use std::cell::RefCell;

thread_local!(static FIXTURE: RefCell<Fixture> = RefCell::new(Fixture::new(40)));

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(definition) = serde_json::from_slice::<RuleDefinition>(data) else { return };
    FIXTURE.with_borrow_mut(|f| {
        let before = f.fingerprint();
        let _ = f.ws.try_rules(&TryTarget::Draft { definition: definition.clone(), id: None });
        assert_eq!(before, f.fingerprint(), "a dry run wrote something");
        match f.ws.save_rule(None, definition) {
            Ok(rule) => {
                let stored = f.ws.rule(&rule.id.to_string()).expect("a saved rule reads back");
                assert_eq!(stored.definition, rule.definition);
                // Keep the workspace as it was for the next input.
                f.ws.delete_rule(&rule.id.to_string()).expect("a saved rule can be deleted");
            }
            Err(e) => f.assert_unchanged(&before, "a rule", &e),
        }
    });
});

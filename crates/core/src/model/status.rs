//! The one status machine of PRODUCT T2, enforced here and nowhere else.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Status {
    /// Nobody has touched it yet; the SLA clock runs.
    New,
    /// Being worked.
    Open,
    /// Waiting on the customer: the SLA clock is paused; a customer reply moves it to Open.
    Pending,
    /// Waiting on a third party (engineering, approval): the clock runs.
    OnHold,
    /// A fix was given; the customer or an agent may reopen it.
    Resolved,
    /// Final and read-only.
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] = [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Resolved, Status::Closed];
    /// Statuses in which the ticket still needs work ("unsolved").
    pub const UNSOLVED: [Status; 4] = [Status::New, Status::Open, Status::Pending, Status::OnHold];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Pending => "pending",
            Status::OnHold => "on_hold",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Open => "Open",
            Status::Pending => "Pending",
            Status::OnHold => "On hold",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> crate::Result<Status> {
        let norm: String = s.trim().to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphabetic()).collect();
        Ok(match norm.as_str() {
            "new" => Status::New,
            "open" => Status::Open,
            "pending" => Status::Pending,
            "onhold" | "hold" => Status::OnHold,
            "resolved" | "solved" => Status::Resolved,
            "closed" => Status::Closed,
            _ => return Err(crate::Error::validation("status", format!("'{s}' is not a status (new, open, pending, on_hold, resolved, closed)"))),
        })
    }

    pub fn is_solved(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }

    /// Whether a person (or rule) may move a ticket from `self` to `to`.
    /// Closed is final; nothing returns to New; Closed is reached from any other status
    /// (merging a duplicate, closing a solved ticket, auto-closing) but needs a reason.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        match (self, to) {
            (Closed, _) => false,
            (_, New) => false,
            (a, b) if a == b => false,
            (Resolved, Open) | (Resolved, Closed) => true,
            (Resolved, _) => false,
            (New | Open | Pending | OnHold, _) => true,
        }
    }

    /// The full rule, reason included: an unsolved ticket is closed directly only when there
    /// was nothing to solve (duplicate, no action needed) or a rule gave up waiting
    /// (auto-closed); anything else is resolved first, so the fix is on record.
    pub fn allows(self, to: Status, reason: Option<Resolution>) -> bool {
        if !self.can_become(to) {
            return false;
        }
        if to == Status::Closed && self != Status::Resolved {
            return matches!(reason, Some(Resolution::Duplicate | Resolution::NoActionNeeded | Resolution::AutoClosed));
        }
        true
    }

    /// The SLA clock is paused only while waiting on the customer.
    pub fn pauses_sla(self) -> bool {
        self == Status::Pending
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a ticket was resolved or closed (PRODUCT T2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Resolution {
    Solved,
    Duplicate,
    NoActionNeeded,
    AutoClosed,
    ConfirmedByCustomer,
}

impl Resolution {
    pub const ALL: [Resolution; 5] =
        [Resolution::Solved, Resolution::Duplicate, Resolution::NoActionNeeded, Resolution::AutoClosed, Resolution::ConfirmedByCustomer];

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Solved => "solved",
            Resolution::Duplicate => "duplicate",
            Resolution::NoActionNeeded => "no_action_needed",
            Resolution::AutoClosed => "auto_closed",
            Resolution::ConfirmedByCustomer => "confirmed_by_customer",
        }
    }

    pub fn parse(s: &str) -> crate::Result<Resolution> {
        let norm: String = s.trim().to_ascii_lowercase().chars().filter(|c| c.is_ascii_alphabetic()).collect();
        Ok(match norm.as_str() {
            "solved" => Resolution::Solved,
            "duplicate" => Resolution::Duplicate,
            "noactionneeded" | "noaction" => Resolution::NoActionNeeded,
            "autoclosed" => Resolution::AutoClosed,
            "confirmedbycustomer" | "confirmed" => Resolution::ConfirmedByCustomer,
            _ => {
                return Err(crate::Error::validation(
                    "resolution",
                    format!("'{s}' is not a resolution (solved, duplicate, no_action_needed, auto_closed, confirmed_by_customer)"),
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    /// Every pair of statuses, with the expected verdict written out in full.
    #[test]
    fn every_transition_is_decided() {
        let legal = [
            (New, Open),
            (New, Pending),
            (New, OnHold),
            (New, Resolved),
            (New, Closed),
            (Open, Pending),
            (Open, OnHold),
            (Open, Resolved),
            (Open, Closed),
            (Pending, Open),
            (Pending, OnHold),
            (Pending, Resolved),
            (Pending, Closed),
            (OnHold, Open),
            (OnHold, Pending),
            (OnHold, Resolved),
            (OnHold, Closed),
            (Resolved, Open),
            (Resolved, Closed),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(from.can_become(to), legal.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn closing_an_unsolved_ticket_needs_a_reason_that_explains_it() {
        for from in [New, Open, Pending, OnHold] {
            assert!(!from.allows(Closed, None), "{from:?}");
            assert!(!from.allows(Closed, Some(Resolution::Solved)), "{from:?}");
            assert!(!from.allows(Closed, Some(Resolution::ConfirmedByCustomer)), "{from:?}");
            for r in [Resolution::Duplicate, Resolution::NoActionNeeded, Resolution::AutoClosed] {
                assert!(from.allows(Closed, Some(r)), "{from:?} {r:?}");
            }
        }
        assert!(Resolved.allows(Closed, None));
        assert!(!Closed.allows(Open, None));
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
            assert_eq!(Status::parse(s.label()).unwrap(), s);
        }
        for r in Resolution::ALL {
            assert_eq!(Resolution::parse(r.as_str()).unwrap(), r);
        }
        assert!(Status::parse("banana").is_err());
    }
}

//! `bench soak` in small: two days of traffic with the scheduler's passes every two minutes.
//! The month (README → Reliability) is run by hand; this keeps its checks working.

use casebook::bench::{soak, SoakOptions};

#[test]
fn two_days_of_traffic_with_the_background_jobs_stay_sound() {
    let opts = SoakOptions { days: 2, tickets: 160, pass_seconds: 120, seed: 5, measure_memory: false };
    let report = soak(opts, &mut |_| {}).unwrap();
    assert!(report.ok(), "{}", report.table());
    assert_eq!(report.checks.len(), 7, "{}", report.table());
}

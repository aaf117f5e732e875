//! Invariants of the evaluator: arrival order and repetition change nothing, and a record that
//! is rejected never raises a count.

use crate::common::*;
use chrono::Duration;
use proptest::prelude::*;
use zhucun_shared::record::{DeviceRecord, RecordBody, ReportKind};
use zhucun_shared::role::Role;
use zhucun_shared::verdict::PersonReport;

/// A month of mixed work by the team leader: stays with visits, a short stay, reports.
fn month_of_work(w: &World) -> Vec<DeviceRecord> {
    let mut rec = w.recorder(Role::TeamLeader);
    let mut out = Vec::new();
    for d in [2u32, 3, 5, 9, 10, 16, 17] {
        let length = if d == 5 {
            Duration::hours(3)
        } else {
            Duration::hours(8) + Duration::minutes(5)
        };
        out.extend(w.stay(&mut rec, at(2026, 11, d, 8, 0), length, 10));
    }
    out.push(rec.report(
        at(2026, 11, 30, 20, 0),
        ReportKind::MonthlyReport,
        Some(QINGSHAN),
        "2026-11".parse().unwrap(),
    ));
    out.push(rec.report(
        at(2026, 11, 6, 20, 0),
        ReportKind::WeeklyEntry,
        Some(QINGSHAN),
        "2026-W45".parse().unwrap(),
    ));
    out
}

fn report(w: &World, records: &[DeviceRecord]) -> PersonReport {
    w.report(Role::TeamLeader, records, "2026-11", at(2026, 12, 10, 9, 0))
}

fn counts(r: &PersonReport) -> Vec<(String, String, u32)> {
    r.verdicts
        .iter()
        .flat_map(|v| {
            v.parts
                .iter()
                .map(move |p| (v.rule_id.clone(), p.label_zh.clone() + &p.period, p.counted))
        })
        .collect()
}

/// A record the evaluator must reject, built from random numbers.
fn rejected_record(
    w: &World,
    rec: &mut zhucun_shared::synth::Recorder,
    kind: u8,
    day: u32,
    minute: i64,
    house: usize,
) -> Vec<DeviceRecord> {
    let t = at(2026, 11, day, 6, 0) + Duration::minutes(minute);
    let h = w.household(house % 12).clone();
    match kind % 4 {
        // A fix too inaccurate to use.
        0 => vec![{
            let mut r = rec.fix(t, h.location, 150.0);
            if let RecordBody::Fix { fix } = &mut r.body {
                fix.accuracy_m = 100.5 + minute as f64;
            }
            r
        }],
        // A mock location.
        1 => vec![{
            let mut r = rec.fix(t, h.location, 5.0);
            if let RecordBody::Fix { fix } = &mut r.body {
                fix.mock = true;
            }
            r
        }],
        // A visit of four minutes.
        2 => rec.visit(&h, t, 4, Some("x")),
        // A visit without a photo.
        _ => {
            let mut v = rec.visit(&h, t, 15, Some("x"));
            v.retain(|r| !matches!(r.body, RecordBody::Photo { .. }));
            v
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn order_and_repetition_change_nothing(seed in any::<u64>(), dup_every in 2usize..9) {
        let w = World::new();
        let records = month_of_work(&w);
        let expected = report(&w, &records);
        // Shuffle deterministically from the seed, and send every n-th record twice.
        let mut shuffled: Vec<DeviceRecord> = records.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let dups: Vec<DeviceRecord> = shuffled.iter().step_by(dup_every).cloned().collect();
        shuffled.extend(dups);
        prop_assert_eq!(report(&w, &shuffled), expected);
    }

    #[test]
    fn a_rejected_record_never_raises_a_count(
        extra in proptest::collection::vec((any::<u8>(), 1u32..=30, 0i64..900, 0usize..12), 1..12)
    ) {
        let w = World::new();
        let records = month_of_work(&w);
        let before = counts(&report(&w, &records));
        let mut rec = zhucun_shared::synth::Recorder::new(person(Role::TeamLeader), zhucun_shared::ids::DeviceId::from_u128(4242));
        let mut more = records.clone();
        for (kind, day, minute, house) in extra {
            more.extend(rejected_record(&w, &mut rec, kind, day, minute, house));
        }
        let after = counts(&report(&w, &more));
        prop_assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            prop_assert!(a.2 <= b.2, "{:?} rose to {:?}", b, a);
        }
    }
}

#[test]
fn evaluating_after_appending_equals_evaluating_everything_at_once() {
    let w = World::new();
    let records = month_of_work(&w);
    let (first, rest) = records.split_at(records.len() / 2);
    let partial = report(&w, first);
    // As the server holds a phone's log: the first half synced, then the rest appended after
    // it, with the first half sent again by a phone that never heard the answer.
    let mut appended = first.to_vec();
    appended.extend_from_slice(rest);
    appended.extend_from_slice(first);
    let whole = report(&w, &records);
    assert_eq!(report(&w, &appended), whole);
    assert_ne!(partial, whole, "the second half carries evidence");
}

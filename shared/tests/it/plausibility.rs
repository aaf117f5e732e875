//! Grounds to reject or flag a record: what a supervisor's spot check looks at first.

use crate::common::*;
use chrono::Duration;
use zhucun_shared::geometry::offset;
use zhucun_shared::plausibility::PhotoFacts;
use zhucun_shared::record::{DeviceRecord, RecordBody, ServerReceipt};
use zhucun_shared::role::Role;
use zhucun_shared::verdict::{FlagKind, PersonReport, RejectReason};

fn flags(r: &PersonReport) -> Vec<FlagKind> {
    r.flags.iter().map(|f| f.kind).collect()
}

fn eval(w: &World, records: &[DeviceRecord]) -> PersonReport {
    w.report(
        Role::PairingCadre,
        records,
        "2026-11",
        at(2026, 12, 1, 9, 0),
    )
}

#[test]
fn mock_locations_are_flagged_and_not_counted() {
    let w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let mut records = rec.visit(w.household(0), at(2026, 11, 3, 10, 0), 10, Some("x"));
    for r in &mut records {
        if let RecordBody::HouseholdCheckIn { fix: Some(f), .. }
        | RecordBody::HouseholdCheckOut { fix: Some(f), .. } = &mut r.body
        {
            f.mock = true;
        }
    }
    let report = eval(&w, &records);
    assert!(flags(&report).contains(&FlagKind::MockLocation));
    let v = report.verdict("R-242").unwrap();
    assert_eq!(v.parts[0].counted, 0);
    assert!(v.parts[0]
        .rejected
        .iter()
        .any(|r| r.reason == RejectReason::NoFix));
}

#[test]
fn a_jump_faster_than_a_car_is_flagged_and_the_fix_set_aside() {
    let w = World::new();
    let mut rec = w.recorder(Role::TeamLeader);
    let start = at(2026, 11, 3, 8, 0);
    let mut records = rec.track(start, Duration::minutes(30), Duration::minutes(1), |_| {
        CENTRE
    });
    // 30 km away one minute later.
    records.push(rec.fix(
        start + Duration::seconds(30 * 60 + 30),
        offset(CENTRE, 30_000.0, 0.0),
        10.0,
    ));
    let report = w.report(Role::TeamLeader, &records, "2026-11", at(2026, 12, 1, 9, 0));
    assert!(
        flags(&report).contains(&FlagKind::ImpossibleSpeed),
        "{:?}",
        report.flags
    );
    let rejected = &report.verdict("R-212").unwrap().parts[0].rejected;
    assert!(rejected
        .iter()
        .any(|r| r.reason == RejectReason::ImpossibleSpeed));
}

#[test]
fn a_photo_reused_from_another_visit_does_not_count_again() {
    let w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let mut records = rec.visit(w.household(0), at(2026, 11, 3, 10, 0), 10, Some("x"));
    let original = records.iter().find_map(|r| match &r.body {
        RecordBody::Photo { sha256, .. } => Some(sha256.clone()),
        _ => None,
    });
    let mut second = rec.visit(w.household(1), at(2026, 11, 4, 10, 0), 10, Some("x"));
    for r in &mut second {
        if let RecordBody::Photo { sha256, .. } = &mut r.body {
            *sha256 = original.clone().unwrap();
        }
    }
    records.extend(second);
    let report = eval(&w, &records);
    assert!(flags(&report).contains(&FlagKind::PhotoReused));
    let part = &report.verdict("R-242").unwrap().parts[0];
    assert_eq!(part.counted, 1);
    assert!(part
        .rejected
        .iter()
        .any(|r| r.reason == RejectReason::PhotoReused));
}

#[test]
fn the_same_picture_re_encoded_is_found_by_its_perceptual_hash() {
    let mut w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let mut records = rec.visit(w.household(0), at(2026, 11, 3, 10, 0), 10, Some("x"));
    records.extend(rec.visit(w.household(1), at(2026, 11, 4, 10, 0), 10, Some("x")));
    for r in &records {
        if let RecordBody::Photo { sha256, .. } = &r.body {
            w.facts.insert(
                sha256.clone(),
                PhotoFacts {
                    phash: Some("same-picture".into()),
                    ..Default::default()
                },
            );
        }
    }
    let part = eval(&w, &records).verdict("R-242").unwrap().parts[0].clone();
    assert_eq!(part.counted, 1);
}

#[test]
fn photo_time_and_position_far_from_the_visit_are_flagged() {
    let mut w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let records = rec.visit(w.household(0), at(2026, 11, 3, 10, 0), 10, Some("x"));
    for r in &records {
        if let RecordBody::Photo { sha256, .. } = &r.body {
            w.facts.insert(
                sha256.clone(),
                PhotoFacts {
                    exif_time: Some(at(2026, 10, 1, 9, 0)),
                    exif_position: Some(offset(CENTRE, 3000.0, 0.0)),
                    phash: None,
                },
            );
        }
    }
    let report = eval(&w, &records);
    let f = flags(&report);
    assert!(
        f.contains(&FlagKind::PhotoTimeOutsideVisit) && f.contains(&FlagKind::PhotoFarFromVisit),
        "{f:?}"
    );
    // EXIF says the picture was taken a month earlier: it does not prove this visit.
    assert_eq!(report.verdict("R-242").unwrap().parts[0].counted, 0);
}

#[test]
fn a_phone_clock_far_from_the_server_is_flagged_and_deadlines_use_the_receipt() {
    let w = World::new();
    let mut rec = w.recorder(Role::FirstSecretary);
    // Entered "on Dec 5" by a phone whose clock ran three days slow; the server got it Dec 8.
    let mut r = rec.report(
        at(2026, 12, 5, 12, 0),
        zhucun_shared::record::ReportKind::MonthlyReport,
        Some(QINGSHAN),
        "2026-11".parse().unwrap(),
    );
    r.received = Some(ServerReceipt {
        received_at: at(2026, 12, 8, 12, 0),
        clock_offset_s: 3 * 86_400,
    });
    let report = w.report(
        Role::FirstSecretary,
        std::slice::from_ref(&r),
        "2026-11",
        at(2026, 12, 10, 9, 0),
    );
    assert_eq!(
        report.verdict("R-31b").unwrap().status,
        zhucun_shared::verdict::Status::Late
    );
    // The flag belongs to the month the record was captured in.
    assert!(report.flags.is_empty(), "{:?}", report.flags);
    let report_dec = w.report(
        Role::FirstSecretary,
        &[r],
        "2026-12",
        at(2026, 12, 10, 9, 0),
    );
    assert_eq!(flags(&report_dec), vec![FlagKind::DeviceClockSkew]);
}

#[test]
fn a_wall_clock_changed_between_fixes_is_flagged() {
    let w = World::new();
    let mut rec = w.recorder(Role::TeamLeader);
    let start = at(2026, 11, 3, 8, 0);
    let mut records = rec.track(start, Duration::minutes(10), Duration::minutes(1), |_| {
        CENTRE
    });
    for (i, r) in records.iter_mut().enumerate() {
        if let RecordBody::Fix { fix } = &mut r.body {
            // The monotonic clock advances a minute per fix, but after the fifth fix the wall
            // clock was moved back an hour… and the record times say only a minute passed.
            fix.monotonic_ms =
                Some(1_000_000 + i as u64 * 60_000 + if i >= 5 { 3_600_000 } else { 0 });
        }
    }
    let report = w.report(Role::TeamLeader, &records, "2026-11", at(2026, 12, 1, 9, 0));
    assert_eq!(flags(&report), vec![FlagKind::ClockJump]);
}

#[test]
fn on_the_server_a_photo_counts_only_once_its_file_has_arrived() {
    let mut w = World::new();
    let mut rec = w.recorder(Role::PairingCadre);
    let records: Vec<DeviceRecord> = (0..2)
        .flat_map(|i| {
            rec.visit(
                w.household(i),
                at(2026, 11, 3 + i as u32, 10, 0),
                10,
                Some("x"),
            )
        })
        .collect();
    // The server holds the first visit's photo only.
    let first = records
        .iter()
        .find_map(|r| match &r.body {
            RecordBody::Photo { sha256, .. } => Some(sha256.clone()),
            _ => None,
        })
        .unwrap();
    w.facts.insert(first, PhotoFacts::default());
    let part = eval(&w, &records).verdict("R-242").unwrap().parts[0].clone();
    assert_eq!(part.counted, 1);
    assert!(part
        .rejected
        .iter()
        .any(|r| r.reason == RejectReason::PhotoNotReceived));
}

//! Phone-side figures, measured in one run (`cargo bench -p zhucun-mobile-core --bench mobile`):
//! saving a fix and a visit locally (p50/p99), re-encoding a 12-megapixel JPEG (time, bytes),
//! and bytes sent per household visit with its photo against ODK Collect's "small" setting.

use chrono::{DateTime, Duration, Utc};
use std::time::Instant;
use zhucun_mobile_core::platform::photo::{reencode, PhotoPolicy, SimulatedCamera};
use zhucun_mobile_core::store::Identity;
use zhucun_mobile_core::Store;
use zhucun_shared::ids::{DeviceId, HouseholdId, PersonId, RecordId};
use zhucun_shared::record::{Fix, FixProvider, RecordBody};
use zhucun_shared::sync::{PushRequest, PROTOCOL_VERSION};

fn t0() -> DateTime<Utc> {
    "2026-11-16T01:00:00Z".parse().unwrap()
}

fn fix(at: DateTime<Utc>) -> Fix {
    Fix {
        lat: 26.570_213,
        lon: 106.711_542,
        accuracy_m: 8.5,
        time: at,
        monotonic_ms: Some(81_234_567),
        provider: FixProvider::Gps,
        mock: false,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut us: Vec<f64>) {
    us.sort_by(f64::total_cmp);
    println!(
        "{name}: n={} p50={:.0} µs p99={:.0} µs max={:.0} µs",
        us.len(),
        percentile(&us, 0.5),
        percentile(&us, 0.99),
        us[us.len() - 1]
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(dir.path().join("bench.sqlite")).expect("store");
    store
        .set_identity(
            Identity {
                device_id: DeviceId::new(),
                person_id: PersonId::new(),
            },
            0,
        )
        .expect("identity");
    store
        .append(t0(), RecordBody::DutyStart { village_id: None })
        .expect("duty");

    // 1. A trajectory fix saved (one transaction, WAL, synchronous=FULL).
    let mut fix_us = Vec::new();
    for i in 0..2000 {
        let t = t0() + Duration::seconds(30 * i);
        let start = Instant::now();
        store
            .append(t, RecordBody::Fix { fix: fix(t) })
            .expect("fix");
        fix_us.push(start.elapsed().as_secs_f64() * 1e6);
    }
    summary("save fix", fix_us);

    // 2. A household check-in saved (the moment the cadre taps 入户签到).
    let mut visit_us = Vec::new();
    let mut last_visit = RecordId::new();
    for i in 0..500 {
        let t = t0() + Duration::seconds(60 * i);
        let start = Instant::now();
        last_visit = store
            .append(
                t,
                RecordBody::HouseholdCheckIn {
                    household_id: HouseholdId::new(),
                    fix: Some(fix(t)),
                    event: None,
                },
            )
            .expect("visit")
            .id;
        visit_us.push(start.elapsed().as_secs_f64() * 1e6);
        store
            .append(
                t,
                RecordBody::HouseholdCheckOut {
                    check_in: last_visit,
                    fix: None,
                },
            )
            .expect("check-out");
    }
    summary("save visit check-in", visit_us);

    // 3. Re-encoding a 12-megapixel camera JPEG.
    let shot = SimulatedCamera::twelve_megapixel(7).shoot();
    println!("camera JPEG: 4000x3000, {} bytes", shot.len());
    let mut times = Vec::new();
    let mut ours = None;
    for _ in 0..5 {
        let start = Instant::now();
        let p = reencode(&shot, &PhotoPolicy::default()).expect("re-encode");
        times.push(start.elapsed().as_secs_f64() * 1e3);
        ours = Some(p);
    }
    times.sort_by(f64::total_cmp);
    let ours = ours.expect("five runs");
    println!(
        "re-encode 12 MP: median {:.0} ms (min {:.0}, max {:.0}) -> {}x{} q{} {} bytes",
        times[2],
        times[0],
        times[4],
        ours.width,
        ours.height,
        ours.quality,
        ours.data.len()
    );
    // ODK Collect "small": longest side 1024 px, saved once at quality 80.
    let odk = reencode(
        &shot,
        &PhotoPolicy {
            target_bytes: usize::MAX,
            ..PhotoPolicy::odk_small()
        },
    )
    .expect("odk small");
    println!(
        "ODK small reference: {}x{} {} bytes",
        odk.width,
        odk.height,
        odk.data.len()
    );

    // 4. Bytes sent per household visit with its photo: the visit's records as pushed (JSON)
    //    plus the photo file.
    let t = t0();
    let visit = |photo_bytes: u64, sha: &str| -> Vec<RecordBody> {
        vec![
            RecordBody::HouseholdCheckIn {
                household_id: HouseholdId::new(),
                fix: Some(fix(t)),
                event: None,
            },
            RecordBody::VisitFix {
                check_in: last_visit,
                fix: fix(t),
            },
            RecordBody::Photo {
                attached_to: last_visit,
                sha256: sha.to_string(),
                taken_at: t,
                position: Some(fix(t).position()),
                bytes: photo_bytes,
            },
            RecordBody::Note {
                attached_to: last_visit,
                text: "了解家中茶园收成，宣讲小额信贷政策，户主反映饮水管道老化。".into(),
                replaces: None,
                kind: None,
            },
            RecordBody::HouseholdCheckOut {
                check_in: last_visit,
                fix: Some(fix(t)),
            },
        ]
    };
    let records: Vec<_> = visit(ours.data.len() as u64, &ours.sha256)
        .into_iter()
        .map(|body| store.append(t, body).expect("append"))
        .collect();
    let device_id = records[0].device_id;
    let push = PushRequest {
        protocol: PROTOCOL_VERSION,
        device_id,
        sent_at: t,
        records,
    };
    let json = serde_json::to_vec(&push).expect("json").len();
    println!(
        "per visit: records {} bytes + photo {} bytes = {} bytes; with an ODK-small photo: {} bytes",
        json,
        ours.data.len(),
        json + ours.data.len(),
        json + odk.data.len()
    );
}

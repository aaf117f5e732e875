//! The trajectory with the screen off, through the location-source interface: a scripted
//! platform stands for the Android foreground service (or the webview) and is started by
//! 开始值守 and stopped by 结束值守, as the app does. Fixes keep what the platform said of them
//! (provider, mock flag, elapsed realtime), and gaps are typed records with their cause.

use chrono::{DateTime, Duration, Utc};
use zhucun_mobile_core::capture::{Capture, Command, TrackPolicy, NO_SIGNAL_AFTER};
use zhucun_mobile_core::demo;
use zhucun_mobile_core::platform::location::{LocationEvent, LocationSource, ScriptedLocation};
use zhucun_mobile_core::store::{Identity, LocationGap, Reference};
use zhucun_mobile_core::{strings, Store};
use zhucun_shared::ids::DeviceId;
use zhucun_shared::record::{DeviceRecord, Fix, FixProvider, GapCause, NoteKind, RecordBody};
use zhucun_shared::stays::{clean_track, TrackPoint};
use zhucun_shared::verdict::{FlagKind, RejectReason};

fn t0() -> DateTime<Utc> {
    "2026-11-16T01:00:00Z".parse().unwrap()
}

/// The phone: its store, capture flows, and the location source following the duty.
struct Phone {
    store: Store,
    reference: Reference,
    capture: Capture,
    source: ScriptedLocation,
}

impl Phone {
    fn new() -> Phone {
        let mut store = Store::in_memory().unwrap();
        store
            .set_identity(
                Identity {
                    device_id: DeviceId::new(),
                    person_id: demo::ME,
                },
                0,
            )
            .unwrap();
        store.save_pull(&demo::pull(t0())).unwrap();
        let reference = store.reference().unwrap();
        let capture = Capture::load(&store, TrackPolicy::default()).unwrap();
        Phone {
            store,
            reference,
            capture,
            source: ScriptedLocation::new(),
        }
    }

    /// A cadre's command, then the source follows the duty (as the app's location loop does).
    fn exec(&mut self, cmd: Command, now: DateTime<Utc>) {
        self.capture
            .exec(&mut self.store, &self.reference, cmd, now)
            .unwrap();
        self.follow();
    }

    fn follow(&mut self) {
        let duty = self.capture.state().duty.as_ref().map(|d| d.duty);
        self.source.follow(duty);
    }

    /// The platform reports `event` at `now`; whatever the source delivers is taken in.
    fn platform(&mut self, event: LocationEvent, now: DateTime<Utc>) -> Vec<DeviceRecord> {
        self.source.deliver(event);
        let mut out = Vec::new();
        while let Some(e) = self.source.step() {
            out.extend(
                self.capture
                    .on_location(&mut self.store, &self.reference, e, now)
                    .unwrap(),
            );
        }
        out
    }

    fn fix(&mut self, minutes: i64, provider: FixProvider, mock: bool) -> Vec<DeviceRecord> {
        let at = t0() + Duration::minutes(minutes);
        let p = demo::village_centre();
        let fix = Fix {
            lat: p.lat + minutes as f64 * 0.0005,
            lon: p.lon,
            accuracy_m: 6.0,
            time: at,
            // Android's elapsedRealtime: milliseconds since boot.
            monotonic_ms: Some(3_600_000 + minutes as u64 * 60_000),
            provider,
            mock,
        };
        self.platform(LocationEvent::Fix(fix), at)
    }

    fn duty(&self) -> zhucun_shared::ids::RecordId {
        self.capture.state().duty.as_ref().unwrap().duty
    }

    fn gaps(&self, duty: zhucun_shared::ids::RecordId) -> Vec<LocationGap> {
        self.store.location_gaps(duty).unwrap()
    }

    fn track_fixes(&self) -> Vec<Fix> {
        self.store
            .all_records()
            .unwrap()
            .into_iter()
            .filter_map(|r| match r.body {
                RecordBody::Fix { fix } => Some(fix),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn off_duty_no_location_is_taken_and_nothing_is_recorded() {
    let mut p = Phone::new();
    p.follow();
    assert_eq!(p.source.running(), None);
    assert!(p.fix(0, FixProvider::Gps, false).is_empty());
    assert_eq!(p.source.dropped, 1, "the platform's fix was not taken");
    assert_eq!(p.store.last_seq().unwrap(), 0);
    assert!(p.capture.state().last_fix.is_none());
    // After 结束值守 likewise.
    p.exec(Command::StartDuty { village_id: None }, t0());
    assert!(p.source.running().is_some());
    p.fix(1, FixProvider::Gps, false);
    p.exec(Command::EndDuty, t0() + Duration::minutes(2));
    assert_eq!(p.source.running(), None);
    let before = p.store.last_seq().unwrap();
    assert!(p.fix(5, FixProvider::Gps, false).is_empty());
    assert_eq!(p.store.last_seq().unwrap(), before);
}

#[test]
fn on_duty_fixes_are_recorded_with_provider_mock_flag_and_elapsed_realtime() {
    let mut p = Phone::new();
    p.exec(Command::StartDuty { village_id: None }, t0());
    assert_eq!(p.source.starts, 1);
    p.fix(0, FixProvider::Gps, false);
    p.fix(5, FixProvider::Fused, false);
    p.fix(10, FixProvider::Network, false);
    let fixes = p.track_fixes();
    let seen: Vec<(FixProvider, bool, Option<u64>)> = fixes
        .iter()
        .map(|f| (f.provider, f.mock, f.monotonic_ms))
        .collect();
    assert_eq!(
        seen,
        [
            (FixProvider::Gps, false, Some(3_600_000)),
            (FixProvider::Fused, false, Some(3_900_000)),
            (FixProvider::Network, false, Some(4_200_000)),
        ]
    );
    assert_eq!(p.store.track(p.duty()).unwrap().len(), 3);
}

#[test]
fn a_mock_fix_is_recorded_as_mock_and_the_servers_track_check_flags_it() {
    let mut p = Phone::new();
    p.exec(Command::StartDuty { village_id: None }, t0());
    p.fix(0, FixProvider::Gps, false);
    let recs = p.fix(5, FixProvider::Gps, true);
    let RecordBody::Fix { fix } = &recs[0].body else {
        panic!("{recs:?}")
    };
    assert!(fix.mock);
    // What the server makes of the pushed fixes (the shared check its verdicts use).
    let points = p
        .store
        .all_records()
        .unwrap()
        .into_iter()
        .filter_map(|r| match r.body {
            RecordBody::Fix { fix } => Some(TrackPoint::new(r.id, fix)),
            _ => None,
        })
        .collect();
    let clean = clean_track(points, &p.reference.catalogue.interpretation);
    assert_eq!(clean.points.len(), 1);
    assert_eq!(clean.rejected.len(), 1);
    assert_eq!(clean.rejected[0].1, RejectReason::MockLocation);
    assert_eq!(clean.flags[0].kind, FlagKind::MockLocation);
    assert_eq!(clean.flags[0].records, vec![recs[0].id]);
}

#[test]
fn a_twenty_minute_screen_off_gap_is_a_typed_record_with_its_cause_and_times() {
    let mut p = Phone::new();
    p.exec(Command::StartDuty { village_id: None }, t0());
    p.fix(0, FixProvider::Unknown, false);
    // The screen goes off at 09:05 (China time); the webview's geolocation stops.
    let off = t0() + Duration::minutes(5);
    let opened = p.platform(
        LocationEvent::Gap {
            cause: GapCause::ScreenOff,
            since: off,
        },
        off,
    );
    assert_eq!(opened.len(), 1);
    assert!(p.capture.state().location_lost);
    // The screen comes back on 20 minutes later and a fix arrives.
    let recs = p.fix(25, FixProvider::Unknown, false);
    let gap_note = recs
        .iter()
        .find_map(|r| match &r.body {
            RecordBody::Note {
                attached_to,
                kind: Some(NoteKind::LocationGap { cause, from, to }),
                replaces,
                ..
            } => Some((*attached_to, *cause, *from, *to, *replaces)),
            _ => None,
        })
        .expect("the gap's closing note");
    assert_eq!(
        gap_note,
        (
            p.duty(),
            GapCause::ScreenOff,
            off,
            Some(t0() + Duration::minutes(25)),
            Some(opened[0].id)
        )
    );
    // And the fix after it is on the track.
    assert!(matches!(recs.last().unwrap().body, RecordBody::Fix { .. }));
    let gaps = p.gaps(p.duty());
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].duration(t0()), Duration::minutes(20));
    let shown = strings::location_gap(&gaps[0], t0() + Duration::hours(1));
    assert_eq!(shown, "定位中断 09:05–09:25（20 分钟）：熄屏或应用在后台");
    // Every record written passes the server's own checks.
    for r in p.store.all_records().unwrap() {
        r.validate(t0() + Duration::hours(1)).unwrap();
    }
}

#[test]
fn permission_withdrawn_mid_duty_writes_a_gap_and_says_what_to_do() {
    let mut p = Phone::new();
    p.exec(Command::StartDuty { village_id: None }, t0());
    p.fix(0, FixProvider::Gps, false);
    let at = t0() + Duration::minutes(3);
    let recs = p.platform(
        LocationEvent::Gap {
            cause: GapCause::PermissionWithdrawn,
            since: at,
        },
        at,
    );
    assert_eq!(recs.len(), 1);
    let gap = p.capture.state().gap.expect("an open gap");
    assert_eq!(gap.cause, GapCause::PermissionWithdrawn);
    let advice = strings::gap_advice(gap.cause);
    assert!(
        advice.contains("权限") && advice.contains("始终允许"),
        "{advice}"
    );
    // 结束值守 with the gap open closes it at the end of duty.
    let duty = p.duty();
    let end = t0() + Duration::minutes(30);
    p.exec(Command::EndDuty, end);
    assert_eq!(
        p.gaps(duty),
        [LocationGap {
            cause: GapCause::PermissionWithdrawn,
            from: at,
            to: Some(end),
        }]
    );
    assert!(p.capture.state().gap.is_none());
}

#[test]
fn silence_on_duty_is_a_gap_for_no_signal_and_a_restart_after_a_kill_is_one_for_the_service() {
    let mut p = Phone::new();
    p.exec(Command::StartDuty { village_id: None }, t0());
    p.fix(0, FixProvider::Gps, false);
    let quiet = t0() + NO_SIGNAL_AFTER - Duration::minutes(1);
    assert!(p.capture.on_tick(&mut p.store, quiet).unwrap().is_empty());
    let late = t0() + NO_SIGNAL_AFTER;
    assert_eq!(p.capture.on_tick(&mut p.store, late).unwrap().len(), 1);
    assert_eq!(p.capture.state().gap.unwrap().cause, GapCause::NoSignal);
    assert_eq!(p.capture.state().gap.unwrap().since, t0());
    p.fix(12, FixProvider::Gps, false);
    assert!(p.capture.state().gap.is_none());

    // The app is killed with the duty open; it starts again 40 minutes later.
    let mut again = Capture::load(&p.store, TrackPolicy::default()).unwrap();
    let restart = t0() + Duration::minutes(52);
    let recs = again.on_source_restarted(&mut p.store, restart).unwrap();
    assert_eq!(recs.len(), 1);
    let gap = again.state().gap.unwrap();
    assert_eq!(
        (gap.cause, gap.since),
        (GapCause::ServiceKilled, t0() + Duration::minutes(12))
    );
}

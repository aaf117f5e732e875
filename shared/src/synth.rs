//! Building device records the way a phone would: for demo data, tests and benchmarks.
//!
//! [`Recorder`] writes one device's log record by record; [`DutyDays`] writes a cadre's whole
//! day on duty into a [`DeviceLog`] — duty start, a fix a minute along a walk round the day's
//! households, village check-in and check-out, visits with photos and notes — deterministic
//! from a seed, with the quirks (gaps, poor fixes, mock locations, reused photos) that the
//! plausibility checks look for.

use crate::geometry::offset;
use crate::ids::*;
use crate::org::{Household, LatLon};
use crate::period::{day_start, Period};
use crate::record::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use uuid::Builder;

/// Writes one device's log: ids are UUIDv7 from the record's time, seqs count up from 1.
#[derive(Clone, Debug)]
pub struct Recorder {
    pub person: PersonId,
    pub device: DeviceId,
    seq: u64,
}

impl Recorder {
    pub fn new(person: PersonId, device: DeviceId) -> Self {
        Self {
            person,
            device,
            seq: 0,
        }
    }

    /// The last seq written.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn record(&mut self, at: DateTime<Utc>, body: RecordBody) -> DeviceRecord {
        self.seq += 1;
        // The seq (in order within a millisecond, unique in the log), then bits of a digest of
        // device and seq: apart from other devices' records of the same millisecond, and as
        // even in the low bits as a random id (the spot-check sample is drawn by them).
        let digest = Sha256::new()
            .chain_update(self.device.0.as_bytes())
            .chain_update(self.seq.to_be_bytes())
            .finalize();
        let mut random = [0u8; 10];
        random[..4].copy_from_slice(&(self.seq as u32).to_be_bytes());
        random[4..].copy_from_slice(&digest[..6]);
        let id = Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &random)
            .into_uuid();
        DeviceRecord {
            id: RecordId(id),
            device_id: self.device,
            seq: self.seq,
            person_id: self.person,
            captured_at: at,
            body,
            received: None,
        }
    }

    pub fn fix_at(at: DateTime<Utc>, pos: LatLon, accuracy_m: f64) -> Fix {
        Fix {
            lat: pos.lat,
            lon: pos.lon,
            accuracy_m,
            time: at,
            monotonic_ms: None,
            provider: FixProvider::Gps,
            mock: false,
        }
    }

    /// A trajectory fix.
    pub fn fix(&mut self, at: DateTime<Utc>, pos: LatLon, accuracy_m: f64) -> DeviceRecord {
        self.record(
            at,
            RecordBody::Fix {
                fix: Self::fix_at(at, pos, accuracy_m),
            },
        )
    }

    /// Fixes every `every` from `start` for `length`, at positions given by `at(i)`.
    pub fn track(
        &mut self,
        start: DateTime<Utc>,
        length: Duration,
        every: Duration,
        mut at: impl FnMut(u32) -> LatLon,
    ) -> Vec<DeviceRecord> {
        let mut out = Vec::new();
        let mut t = start;
        let mut i = 0;
        while t <= start + length {
            out.push(self.fix(t, at(i), 10.0));
            t += every;
            i += 1;
        }
        out
    }

    /// A complete household visit: check-in with a fix at the house, a photo two minutes in,
    /// an optional note, and check-out after `minutes`.
    pub fn visit(
        &mut self,
        h: &Household,
        start: DateTime<Utc>,
        minutes: i64,
        note: Option<&str>,
    ) -> Vec<DeviceRecord> {
        let check_in = self.record(
            start,
            RecordBody::HouseholdCheckIn {
                household_id: h.id,
                fix: Some(Self::fix_at(start, h.location, 8.0)),
                event: None,
            },
        );
        let id = check_in.id;
        let shot = start + Duration::minutes(2.min(minutes));
        let mut out = vec![check_in];
        out.push(self.photo(id, shot, Some(h.location)));
        if let Some(text) = note {
            out.push(self.record(
                shot,
                RecordBody::Note {
                    attached_to: id,
                    text: text.into(),
                    replaces: None,
                    kind: None,
                },
            ));
        }
        let end = start + Duration::minutes(minutes);
        out.push(self.record(
            end,
            RecordBody::HouseholdCheckOut {
                check_in: id,
                fix: Some(Self::fix_at(end, h.location, 8.0)),
            },
        ));
        out
    }

    /// A photo with a content hash unique to this record.
    pub fn photo(
        &mut self,
        attached_to: RecordId,
        at: DateTime<Utc>,
        position: Option<LatLon>,
    ) -> DeviceRecord {
        // The digest of bytes unique to this record stands in for a picture's.
        let mut h = Sha256::new();
        h.update(self.device.0.as_bytes());
        h.update((self.seq + 1).to_be_bytes());
        let sha256: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.record(
            at,
            RecordBody::Photo {
                attached_to,
                sha256,
                taken_at: at,
                position,
                bytes: 180_000,
            },
        )
    }

    pub fn activity(
        &mut self,
        at: DateTime<Utc>,
        kind: ActivityKind,
        village_id: Option<VillageId>,
        held_on: NaiveDate,
        amount: Option<u32>,
    ) -> DeviceRecord {
        self.record(
            at,
            RecordBody::Activity {
                kind,
                village_id,
                held_on,
                person_times: amount.filter(|_| kind == ActivityKind::Training),
                quantity: amount.filter(|_| kind != ActivityKind::Training),
                title: kind.label_zh().into(),
                text: String::new(),
            },
        )
    }

    pub fn report(
        &mut self,
        at: DateTime<Utc>,
        kind: ReportKind,
        village_id: Option<VillageId>,
        period: Period,
    ) -> DeviceRecord {
        self.record(
            at,
            RecordBody::Report {
                kind,
                village_id,
                period,
                title: format!("{}{}", period.label_zh(), kind.label_zh()),
                text: "本期工作情况。".into(),
                attachments: Vec::new(),
            },
        )
    }
}

/// The instant `hour:minute` local time on `day`.
pub fn at_local(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day_start(day) + Duration::minutes(i64::from(hour * 60 + minute))
}

/// One device's log as the phone writes it, in any order; read back in time order with seqs
/// counted from 1, as the phone would have numbered them.
#[derive(Clone, Debug)]
pub struct DeviceLog {
    recorder: Recorder,
    records: Vec<DeviceRecord>,
}

impl DeviceLog {
    pub fn new(person: PersonId, device: DeviceId) -> Self {
        Self {
            recorder: Recorder::new(person, device),
            records: Vec::new(),
        }
    }

    pub fn person(&self) -> PersonId {
        self.recorder.person
    }

    pub fn device(&self) -> DeviceId {
        self.recorder.device
    }

    pub fn write(&mut self, at: DateTime<Utc>, body: RecordBody) -> RecordId {
        let r = self.recorder.record(at, body);
        let id = r.id;
        self.records.push(r);
        id
    }

    /// The records in time order (those of one instant in the order written), seqs from 1.
    pub fn into_records(mut self) -> Vec<DeviceRecord> {
        self.records.sort_by_key(|r| r.captured_at);
        for (i, r) in self.records.iter_mut().enumerate() {
            r.seq = i as u64 + 1;
        }
        self.records
    }
}

/// A visit's notes, as cadres write them.
pub const VISIT_NOTES: &[&str] = &[
    "了解家庭收入和务工情况，宣传产业扶持政策。",
    "查看危房改造进度，房屋主体已完工。",
    "核对家庭人口和医保参保情况，协助办理慢病卡。",
    "了解孩子就学情况，落实教育资助。",
    "查看种植的青花椒长势，联系农技员指导病虫害防治。",
    "老人身体尚可，叮嘱注意冬季取暖安全。",
    "帮助联系村里的合作社，收购自家养的土鸡。",
    "宣传小额信贷政策，户主有意发展养牛。",
];

/// How a day's records depart from a conscientious cadre's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quirks {
    /// Every fix is marked as coming from a mock-location app.
    pub mock: bool,
    /// Now and then a visit's photo is the previous visit's picture again.
    pub reuses_photos: bool,
    /// The chance of a stretch without fixes: the phone in a pocket, no signal in a hollow.
    pub gap_chance: f64,
}

impl Quirks {
    pub const PLAIN: Quirks = Quirks {
        mock: false,
        reuses_photos: false,
        gap_chance: 0.3,
    };
}

/// A household visit (走访) planned for a day on duty.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedVisit {
    pub household_id: HouseholdId,
    pub location: LatLon,
    /// The 四必到 event the visit attends, if any.
    pub event: Option<RecordId>,
}

impl PlannedVisit {
    pub fn to(h: &Household) -> Self {
        Self {
            household_id: h.id,
            location: h.location,
            event: None,
        }
    }

    pub fn attending(h: &Household, event: RecordId) -> Self {
        Self {
            event: Some(event),
            ..Self::to(h)
        }
    }
}

/// A day on duty in a village: from the village office round the planned households, a
/// fix a minute, and back to the office.
#[derive(Clone, Debug)]
pub struct DutyDay {
    pub village_id: VillageId,
    pub office: LatLon,
    pub date: NaiveDate,
    /// Local time the day starts, give or take a quarter of an hour.
    pub starts: (u32, u32),
    /// How long it lasts, give or take twenty minutes.
    pub hours: f64,
    pub visits: Vec<PlannedVisit>,
    pub quirks: Quirks,
}

/// A picture's file as the camera made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoFile {
    pub sha256: String,
    pub bytes: u64,
}

/// Takes a visit's photo: the demo server makes a real picture and stores it; a test can
/// name a file that is never made ([`NoFiles`]). It draws on the generator's `rng`, so the
/// pictures too follow from the seed.
pub trait Camera {
    type Error;
    fn shoot(
        &mut self,
        rng: &mut StdRng,
        by: PersonId,
        at: DateTime<Utc>,
        position: LatLon,
    ) -> Result<PhotoFile, Self::Error>;
}

/// A camera whose pictures are only named: a digest drawn from the seed, never made.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl Camera for NoFiles {
    type Error = std::convert::Infallible;
    fn shoot(
        &mut self,
        rng: &mut StdRng,
        _by: PersonId,
        _at: DateTime<Utc>,
        _position: LatLon,
    ) -> Result<PhotoFile, Self::Error> {
        let digest: [u8; 32] = rng.gen();
        Ok(PhotoFile {
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
            bytes: 180_000,
        })
    }
}

/// Cadres' days on duty as their phones record them, all drawn from one seeded generator.
#[derive(Clone, Debug)]
pub struct DutyDays {
    /// The generator every day draws on; callers draw their own plans from it too.
    pub rng: StdRng,
    now: DateTime<Utc>,
    /// One duty a day per person, or the trajectory would jump.
    on_duty: HashSet<(PersonId, NaiveDate)>,
    last_photo: Option<PhotoFile>,
}

/// A visit in a day's plan: arrival, departure, where.
type Stop = (DateTime<Utc>, DateTime<Utc>, PlannedVisit);

impl DutyDays {
    /// Days recorded up to `now` (a phone records nothing in the future).
    pub fn new(seed: u64, now: DateTime<Utc>) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            now,
            on_duty: HashSet::new(),
            last_photo: None,
        }
    }

    pub fn is_on_duty(&self, person: PersonId, date: NaiveDate) -> bool {
        self.on_duty.contains(&(person, date))
    }

    /// Writes `day` into `log`: duty start and village check-in at the office, a fix a minute
    /// (now and then a poor one, now and then a gap) walking to each household in turn, a
    /// visit there with a photo and a note, and check-out and duty end back at the office.
    /// A day not yet begun, or a second duty the same day, writes nothing (false).
    pub fn write<C: Camera>(
        &mut self,
        log: &mut DeviceLog,
        day: DutyDay,
        camera: &mut C,
    ) -> Result<bool, C::Error> {
        let (hour, minute) = day.starts;
        let start = at_local(day.date, hour, minute) + Duration::minutes(self.rng.gen_range(0..15));
        let end = start + Duration::minutes((day.hours * 60.0) as i64 + self.rng.gen_range(0..20));
        if start >= self.now || !self.on_duty.insert((log.person(), day.date)) {
            return Ok(false);
        }
        let end = end.min(self.now - Duration::minutes(1));
        let mock = day.quirks.mock;
        let duty = log.write(
            start,
            RecordBody::DutyStart {
                village_id: Some(day.village_id),
            },
        );
        let fix = self.fix(start, day.office, mock);
        let check_in = log.write(
            start,
            RecordBody::VillageCheckIn {
                village_id: day.village_id,
                fix: Some(fix),
            },
        );
        let (office, quirks) = (day.office, day.quirks);
        self.walk(log, day.visits, (start, end), office, quirks, camera)?;
        let fix = self.fix(end, office, mock);
        log.write(
            end,
            RecordBody::VillageCheckOut {
                check_in,
                fix: Some(fix),
            },
        );
        log.write(end, RecordBody::DutyEnd { duty });
        Ok(true)
    }

    /// From the office round the households and back, a fix a minute but in a gap, each
    /// visit made on arrival if it ends before the day does.
    fn walk<C: Camera>(
        &mut self,
        log: &mut DeviceLog,
        visits: Vec<PlannedVisit>,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        office: LatLon,
        quirks: Quirks,
        camera: &mut C,
    ) -> Result<(), C::Error> {
        let span = (end - start).num_minutes().max(30);
        let stops = self.stops(start, span, visits);
        let gap = self.gap(start, span, quirks.gap_chance);
        let path = waypoints(start, end, office, &stops);
        let mut stops = stops.into_iter().peekable();
        let mut t = start + Duration::minutes(1);
        while t < end {
            if !gap.is_some_and(|(a, b)| t >= a && t < b) {
                let fix = self.fix(t, position_at(&path, t), quirks.mock);
                log.write(t, RecordBody::Fix { fix });
                while let Some(stop) = stops.next_if(|s| s.0 <= t) {
                    if stop.1 < end {
                        self.visit(log, stop, quirks, camera)?;
                    }
                }
            }
            t += Duration::minutes(1);
        }
        Ok(())
    }

    /// The visits spread evenly over the day, each nine to twenty minutes long.
    fn stops(&mut self, start: DateTime<Utc>, span: i64, visits: Vec<PlannedVisit>) -> Vec<Stop> {
        let slot = span / (visits.len() as i64 + 1);
        visits
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let arrive = start + Duration::minutes(slot * (i as i64 + 1) - slot / 2);
                let stay = Duration::minutes(self.rng.gen_range(9..22));
                (arrive, arrive + stay, v)
            })
            .collect()
    }

    /// A stretch without fixes, short mostly, sometimes over twenty minutes.
    fn gap(
        &mut self,
        start: DateTime<Utc>,
        span: i64,
        chance: f64,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.rng.gen_bool(chance) {
            return None;
        }
        let at = start + Duration::minutes(self.rng.gen_range(30..span.max(31)));
        let len = if self.rng.gen_bool(0.25) {
            self.rng.gen_range(25..45)
        } else {
            self.rng.gen_range(5..15)
        };
        Some((at, at + Duration::minutes(len)))
    }

    /// Check-in at the house (the app waits for a good fix), a photo a few minutes in, a
    /// note, check-out.
    fn visit<C: Camera>(
        &mut self,
        log: &mut DeviceLog,
        (arrive, leave, v): Stop,
        quirks: Quirks,
        camera: &mut C,
    ) -> Result<(), C::Error> {
        let fix = self.fix_of(arrive, v.location, quirks.mock, false);
        let check_in = log.write(
            arrive,
            RecordBody::HouseholdCheckIn {
                household_id: v.household_id,
                fix: Some(fix),
                event: v.event,
            },
        );
        let shot = arrive + Duration::minutes(self.rng.gen_range(2..6));
        let reuse = quirks.reuses_photos && self.rng.gen_bool(0.3);
        let spot = toward(v.location, self.rng.gen_range(0.0..15.0), 1.0);
        self.photo(log, shot, spot, check_in, reuse, camera)?;
        let text = VISIT_NOTES[self.rng.gen_range(0..VISIT_NOTES.len())].to_string();
        log.write(
            shot + Duration::minutes(1),
            RecordBody::Note {
                attached_to: check_in,
                text,
                replaces: None,
                kind: None,
            },
        );
        let fix = self.fix_of(leave, v.location, quirks.mock, false);
        log.write(
            leave,
            RecordBody::HouseholdCheckOut {
                check_in,
                fix: Some(fix),
            },
        );
        Ok(())
    }

    /// A new picture, or with `reuse` the last one taken (by anyone) again.
    fn photo<C: Camera>(
        &mut self,
        log: &mut DeviceLog,
        at: DateTime<Utc>,
        position: LatLon,
        attached_to: RecordId,
        reuse: bool,
        camera: &mut C,
    ) -> Result<(), C::Error> {
        let file = match (&self.last_photo, reuse) {
            (Some(last), true) => last.clone(),
            _ => {
                let file = camera.shoot(&mut self.rng, log.person(), at, position)?;
                self.last_photo = Some(file.clone());
                file
            }
        };
        log.write(
            at,
            RecordBody::Photo {
                attached_to,
                sha256: file.sha256,
                taken_at: at,
                position: Some(position),
                bytes: file.bytes,
            },
        );
        Ok(())
    }

    /// A fix near `p`: one in twenty-five a poor network fix a few hundred metres off.
    fn fix(&mut self, at: DateTime<Utc>, p: LatLon, mock: bool) -> Fix {
        let poor = self.rng.gen_bool(0.04);
        self.fix_of(at, p, mock, poor)
    }

    fn fix_of(&mut self, at: DateTime<Utc>, p: LatLon, mock: bool, poor: bool) -> Fix {
        let jitter = if poor {
            self.rng.gen_range(120.0..350.0)
        } else {
            self.rng.gen_range(0.0..12.0)
        };
        let q = toward(p, jitter, self.rng.gen_range(0.0..std::f64::consts::TAU));
        let accuracy_m = if poor {
            self.rng.gen_range(150.0..400.0)
        } else {
            self.rng.gen_range(4.0..25.0)
        };
        Fix {
            lat: q.lat,
            lon: q.lon,
            accuracy_m,
            time: at,
            monotonic_ms: None,
            provider: if poor {
                FixProvider::Network
            } else {
                FixProvider::Fused
            },
            mock,
        }
    }
}

/// The point `metres` from `p` toward `bearing` (radians clockwise from north).
pub fn toward(p: LatLon, metres: f64, bearing: f64) -> LatLon {
    offset(p, metres * bearing.sin(), metres * bearing.cos())
}

/// The day's timed waypoints: the office, each house on arrival and departure, the office.
fn waypoints(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    office: LatLon,
    stops: &[Stop],
) -> Vec<(DateTime<Utc>, LatLon)> {
    let mut path = vec![(start, office)];
    for (arrive, leave, v) in stops {
        path.push((*arrive, v.location));
        path.push((*leave, v.location));
    }
    path.push((end, office));
    path
}

/// Where someone following `path` is at `t`: still at a waypoint, or walking to the next
/// (in at most twenty minutes, a walking pace between houses).
fn position_at(path: &[(DateTime<Utc>, LatLon)], t: DateTime<Utc>) -> LatLon {
    for w in path.windows(2) {
        let ((a, pa), (b, pb)) = (w[0], w[1]);
        if t < a || t > b {
            continue;
        }
        let walk_from = a.max(b - Duration::minutes(20));
        if t <= walk_from || b <= walk_from {
            return pa;
        }
        let k = (t - walk_from).num_seconds() as f64 / (b - walk_from).num_seconds() as f64;
        return crate::geometry::between(pa, pb, k);
    }
    path.last().expect("a day's path starts at the office").1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::distance_m;

    const PERSON: PersonId = PersonId::from_u128(1);
    const DEVICE: DeviceId = DeviceId::from_u128(2);

    fn now() -> DateTime<Utc> {
        "2026-11-20T12:00:00Z".parse().unwrap()
    }

    fn day(visits: usize, quirks: Quirks) -> DutyDay {
        let office = LatLon::new(31.932, 107.243);
        DutyDay {
            village_id: VillageId::from_u128(3),
            office,
            date: NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(),
            starts: (8, 30),
            hours: 8.0,
            visits: (0..visits)
                .map(|i| PlannedVisit {
                    household_id: HouseholdId::from_u128(10 + i as u128),
                    location: toward(office, 300.0 + 100.0 * i as f64, i as f64),
                    event: None,
                })
                .collect(),
            quirks,
        }
    }

    fn records(seed: u64, days: &[DutyDay]) -> Vec<DeviceRecord> {
        let mut gen = DutyDays::new(seed, now());
        let mut log = DeviceLog::new(PERSON, DEVICE);
        for d in days {
            gen.write(&mut log, d.clone(), &mut NoFiles).unwrap();
        }
        log.into_records()
    }

    #[test]
    fn a_seed_gives_the_same_day_every_time() {
        let plain = [day(4, Quirks::PLAIN)];
        assert_eq!(records(7, &plain), records(7, &plain));
        assert_ne!(records(7, &plain), records(8, &plain));
    }

    #[test]
    fn a_day_is_a_valid_log_walked_at_a_walking_pace() {
        let log = records(7, &[day(6, Quirks::PLAIN)]);
        let seqs: Vec<u64> = log.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=log.len() as u64).collect::<Vec<_>>());
        assert!(log.windows(2).all(|w| w[0].captured_at <= w[1].captured_at));
        for r in &log {
            r.validate(now()).unwrap();
        }
        assert!(matches!(log[0].body, RecordBody::DutyStart { .. }));
        assert!(matches!(log[1].body, RecordBody::VillageCheckIn { .. }));
        assert!(matches!(
            log.last().unwrap().body,
            RecordBody::DutyEnd { .. }
        ));
        let good: Vec<&Fix> = log
            .iter()
            .filter_map(|r| match &r.body {
                RecordBody::Fix { fix } if fix.provider == FixProvider::Fused => Some(fix),
                _ => None,
            })
            .collect();
        assert!(good.len() > 400, "{} fixes", good.len());
        for w in good.windows(2) {
            let secs = (w[1].time - w[0].time).num_seconds() as f64;
            let metres = distance_m(
                LatLon::new(w[0].lat, w[0].lon),
                LatLon::new(w[1].lat, w[1].lon),
            );
            assert!(metres / secs < 2.5, "{metres} m in {secs} s");
            assert!(w[1].accuracy_m <= 25.0);
        }
    }

    #[test]
    fn every_planned_visit_has_a_photo_a_note_and_a_check_out() {
        let log = records(7, &[day(5, Quirks::PLAIN)]);
        let check_ins: Vec<RecordId> = log
            .iter()
            .filter(|r| matches!(r.body, RecordBody::HouseholdCheckIn { .. }))
            .map(|r| r.id)
            .collect();
        assert_eq!(check_ins.len(), 5);
        for id in check_ins {
            let attached = |r: &&DeviceRecord| match &r.body {
                RecordBody::Photo { attached_to, .. } | RecordBody::Note { attached_to, .. } => {
                    *attached_to == id
                }
                RecordBody::HouseholdCheckOut { check_in, .. } => *check_in == id,
                _ => false,
            };
            assert_eq!(log.iter().filter(attached).count(), 3);
        }
    }

    #[test]
    fn one_duty_a_day_and_none_in_the_future() {
        let mut later = day(2, Quirks::PLAIN);
        later.date = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let once = records(7, &[day(2, Quirks::PLAIN)]);
        let duties = |log: &[DeviceRecord]| {
            log.iter()
                .filter(|r| matches!(r.body, RecordBody::DutyStart { .. }))
                .count()
        };
        assert_eq!(duties(&once), 1);
        assert_eq!(
            duties(&records(7, &[day(2, Quirks::PLAIN), day(2, Quirks::PLAIN)])),
            1
        );
        assert_eq!(duties(&records(7, &[later])), 0);
    }

    #[test]
    fn quirks_show_in_the_records() {
        let mock = Quirks {
            mock: true,
            reuses_photos: true,
            gap_chance: 1.0,
        };
        let log = records(7, &[day(8, mock)]);
        let fixes: Vec<&DeviceRecord> = log
            .iter()
            .filter(|r| matches!(r.body, RecordBody::Fix { .. }))
            .collect();
        assert!(fixes
            .iter()
            .all(|r| matches!(&r.body, RecordBody::Fix { fix } if fix.mock)));
        assert!(
            fixes
                .windows(2)
                .any(|w| w[1].captured_at - w[0].captured_at > Duration::minutes(4)),
            "a gap"
        );
        let mut photos: Vec<&str> = log
            .iter()
            .filter_map(|r| match &r.body {
                RecordBody::Photo { sha256, .. } => Some(sha256.as_str()),
                _ => None,
            })
            .collect();
        let taken = photos.len();
        photos.sort();
        photos.dedup();
        assert!(photos.len() < taken, "a photo reused");
    }
}

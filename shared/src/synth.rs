//! Building device records the way a phone would: for demo data, tests and benchmarks.

use crate::ids::*;
use crate::org::{Household, LatLon};
use crate::period::Period;
use crate::record::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};
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
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.seq.to_be_bytes());
        random[8..].copy_from_slice(&self.device.0.as_bytes()[..2]);
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

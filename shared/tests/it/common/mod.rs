//! A small township to evaluate rules against: two villages, registered households, one
//! person per role, and helpers that write records the way a phone would.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use std::collections::HashMap;
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::geometry::{offset, rectangle_around};
use zhucun_shared::ids::*;
use zhucun_shared::org::*;
use zhucun_shared::period::Period;
use zhucun_shared::plausibility::PhotoFiles;
use zhucun_shared::record::DeviceRecord;
use zhucun_shared::role::Role;
use zhucun_shared::synth::Recorder;
use zhucun_shared::verdict::{PersonReport, Verdict};
use zhucun_shared::{evaluate, EvalContext};

pub const CENTRE: LatLon = LatLon {
    lat: 27.70,
    lon: 106.90,
};
pub const TOWNSHIP: TownshipId = TownshipId::from_u128(1);
pub const QINGSHAN: VillageId = VillageId::from_u128(10);
pub const HETAO: VillageId = VillageId::from_u128(11);

pub fn person(role: Role) -> PersonId {
    PersonId::from_u128(100 + role as u128)
}

/// Local time in the township.
pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub struct World {
    pub villages: Vec<Village>,
    pub households: Vec<Household>,
    pub assignments: Vec<Assignment>,
    pub pairings: Vec<Pairing>,
    pub calendar: WorkCalendar,
    pub catalogue: Catalogue,
    pub facts: HashMap<String, zhucun_shared::plausibility::PhotoFacts>,
    /// Enrolled devices and the late-receipt limit: empty and none, as on the phone, unless a
    /// test plays the server.
    pub devices: Vec<zhucun_shared::org::Device>,
    pub late_receipt_after: Option<Duration>,
    /// Spot-check findings on the records, as the caller of the evaluator prepares them.
    pub findings: Vec<zhucun_shared::spot_check::Finding>,
    /// The monthly ledgers' submission-chain steps.
    pub ledger_steps: Vec<zhucun_shared::ledger_chain::LedgerStep>,
}

impl World {
    /// 青山村 with 12 poor households (4 of them paired with the pairing cadre) and 3 四必访
    /// households; 河套村 next to it. Every role posted from 2026-01-01, open-ended.
    pub fn new() -> Self {
        let villages = vec![
            Village {
                id: QINGSHAN,
                township_id: TOWNSHIP,
                name: "青山村".into(),
                code: None,
                boundary: rectangle_around(CENTRE, 2000.0, 1200.0),
                poor: true,
                exiting_this_year: false,
            },
            Village {
                id: HETAO,
                township_id: TOWNSHIP,
                name: "河套村".into(),
                code: None,
                boundary: rectangle_around(offset(CENTRE, 6000.0, 0.0), 2000.0, 1200.0),
                poor: true,
                exiting_this_year: true,
            },
        ];
        let mut households = Vec::new();
        for i in 0..12u32 {
            households.push(Household {
                id: HouseholdId::from_u128(1000 + i as u128),
                village_id: QINGSHAN,
                head_name: format!("贫困户{i}"),
                location: offset(CENTRE, -600.0 + 100.0 * i as f64, 150.0 * (i % 3) as f64),
                categories: vec![HouseholdCategory::Poor],
                members: 3,
                group: None,
            });
        }
        for (i, c) in [
            HouseholdCategory::PartyMember,
            HouseholdCategory::CriticallyIll,
            HouseholdCategory::EmptyNestOrLeftBehind,
        ]
        .into_iter()
        .enumerate()
        {
            households.push(Household {
                id: HouseholdId::from_u128(2000 + i as u128),
                village_id: QINGSHAN,
                head_name: format!("{}{i}", c.label_zh()),
                location: offset(CENTRE, 200.0 * i as f64, -300.0),
                categories: vec![c],
                members: 2,
                group: None,
            });
        }
        let assignments = Role::ALL
            .iter()
            .map(|r| Assignment {
                id: AssignmentId::from_u128(500 + *r as u128),
                person_id: person(*r),
                role: *r,
                village_id: (!matches!(r, Role::Supervisor | Role::Admin)).then_some(QINGSHAN),
                township_id: TOWNSHIP,
                starts_on: day(2026, 1, 1),
                ends_on: None,
            })
            .collect();
        let pairings = (0..4)
            .map(|i| Pairing {
                id: PairingId::from_u128(700 + i),
                person_id: person(Role::PairingCadre),
                household_id: HouseholdId::from_u128(1000 + i),
                starts_on: day(2026, 1, 1),
                ends_on: None,
            })
            .collect();
        World {
            villages,
            households,
            assignments,
            pairings,
            calendar: WorkCalendar::bundled(),
            catalogue: Catalogue::bundled(),
            facts: HashMap::new(),
            devices: Vec::new(),
            late_receipt_after: None,
            findings: Vec::new(),
            ledger_steps: Vec::new(),
        }
    }

    pub fn household(&self, i: usize) -> &Household {
        &self.households[i]
    }

    pub fn must_visit(&self) -> Vec<Household> {
        self.households[12..].to_vec()
    }

    pub fn recorder(&self, role: Role) -> Recorder {
        Recorder::new(person(role), DeviceId::from_u128(900 + role as u128))
    }

    pub fn report(
        &self,
        role: Role,
        records: &[DeviceRecord],
        month: &str,
        now: DateTime<Utc>,
    ) -> PersonReport {
        let org = Directory {
            assignments: self.assignments.clone(),
            pairings: self.pairings.clone(),
            villages: self.villages.clone(),
            households: self.households.clone(),
            ..Directory::default()
        };
        let ctx = EvalContext {
            person: person(role),
            earlier: &[],
            org: &org,
            records,
            calendar: &self.calendar,
            catalogue: &self.catalogue,
            // The phone's view, unless a test plays the server by giving what it read from files.
            photo_files: if self.facts.is_empty() {
                PhotoFiles::Unchecked
            } else {
                PhotoFiles::Held(&self.facts)
            },
            device_logs: zhucun_shared::plausibility::DeviceLogs {
                devices: &self.devices,
                late_receipt_after: self.late_receipt_after,
            },
            findings: &self.findings,
            ledger_steps: &self.ledger_steps,
            history: None,
        };
        evaluate(&ctx, month.parse::<Period>().unwrap(), now)
    }

    pub fn verdict(
        &self,
        role: Role,
        rule: &str,
        records: &[DeviceRecord],
        month: &str,
        now: DateTime<Utc>,
    ) -> Verdict {
        self.report(role, records, month, now)
            .verdict(rule)
            .unwrap_or_else(|| panic!("{rule} does not apply to {role}"))
            .clone()
    }

    /// A stay in 青山村 from `start` lasting `length`, one fix a minute, with visits to the
    /// poor households `households` (10 minutes each, back to back, starting 5 minutes in).
    pub fn stay(
        &self,
        rec: &mut Recorder,
        start: DateTime<Utc>,
        length: Duration,
        households: usize,
    ) -> Vec<DeviceRecord> {
        let hs: Vec<Household> = self.households[..households].to_vec();
        let mut out = Vec::new();
        let minutes = length.num_minutes() as u32;
        // Walk from house to house; stand at each house for the visit.
        let mut t = start;
        let mut i = 0u32;
        while i <= minutes {
            let k = (i.saturating_sub(5) / 12) as usize;
            let pos = hs.get(k).map(|h| h.location).unwrap_or(CENTRE);
            out.push(rec.fix(t, pos, 10.0));
            t += Duration::minutes(1);
            i += 1;
        }
        for (k, h) in hs.iter().enumerate() {
            out.extend(rec.visit(
                h,
                start + Duration::minutes(5 + 12 * k as i64),
                10,
                Some("了解生产生活情况"),
            ));
        }
        out
    }
}

/// (counted, required) of a verdict's first part.
pub fn numbers(v: &Verdict) -> (u32, u32) {
    (v.parts[0].counted, v.parts[0].required)
}

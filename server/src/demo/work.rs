//! What everyone does over the two months, day by day: the village teams' days on duty, the
//! liaison leaders' half days in their cluster, the technician's days, a 四必到 event attended.
//! Some teams do what the plan asks and some fall short (their village's effort), so the
//! verdicts differ. Each day's records are written by the shared generator
//! ([`zhucun_shared::synth::DutyDays`]).

use super::paperwork;
use super::people::{Liaison, Team};
use super::photos::DemoCamera;
use super::places::Places;
use super::DemoError;
use crate::store::Org;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rand::Rng;
use std::collections::HashMap;
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::ids::{PersonId, RecordId};
use zhucun_shared::org::Household;
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::record::{EventKind, RecordBody};
use zhucun_shared::synth::{at_local, DeviceLog, DutyDay, DutyDays, PlannedVisit, Quirks};

/// The days the demo covers: last month and this one up to today (or more months before).
pub(super) struct Months {
    pub now: DateTime<Utc>,
    /// The first day covered: everyone is posted from then.
    pub first_day: NaiveDate,
    /// The first of last month: the month the paperwork reports on.
    pub last_month_start: NaiveDate,
    /// The first of this month.
    pub this_month: NaiveDate,
    pub days: Vec<NaiveDate>,
    calendar: WorkCalendar,
}

impl Months {
    pub fn ending(now: DateTime<Utc>) -> Self {
        Self::over(now, 2)
    }

    /// `count` months (at least two) up to today: this one and those before it.
    pub fn over(now: DateTime<Utc>, count: u32) -> Self {
        let today = local_date(now);
        let this_month =
            NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first of month");
        let before = |first: NaiveDate| {
            (first - Duration::days(1))
                .with_day(1)
                .expect("first of month")
        };
        let last_month_start = before(this_month);
        let mut first_day = last_month_start;
        for _ in 2..count {
            first_day = before(first_day);
        }
        Self {
            now,
            first_day,
            last_month_start,
            this_month,
            days: first_day.iter_days().take_while(|d| *d <= today).collect(),
            calendar: WorkCalendar::bundled(),
        }
    }

    pub fn working(&self, d: NaiveDate) -> bool {
        self.calendar
            .is_working_day(d)
            .unwrap_or(!matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
    }

    pub fn last_month(&self) -> Period {
        Period::month(self.last_month_start.year(), self.last_month_start.month())
    }

    /// The working days of `day`'s month within the demo.
    fn working_days_of_month(&self, day: NaiveDate) -> Vec<NaiveDate> {
        self.days
            .iter()
            .copied()
            .filter(|d| (d.year(), d.month()) == (day.year(), day.month()) && self.working(*d))
            .collect()
    }
}

/// Everyone's phone log, written day by day.
pub(super) struct Work<'a> {
    pub days: DutyDays,
    pub camera: DemoCamera,
    pub phones: HashMap<PersonId, DeviceLog>,
    pub months: &'a Months,
    pub places: &'a Places,
    pub org: &'a Org,
}

/// A village's households as its team sees them.
struct Village {
    i: usize,
    /// The share of the plan its team meets.
    effort: f64,
    poor: Vec<Household>,
    /// Households of another category (party members, hardship, …).
    others: Vec<Household>,
}

impl Work<'_> {
    /// A record on `who`'s phone.
    pub fn write(&mut self, who: PersonId, at: DateTime<Utc>, body: RecordBody) -> RecordId {
        self.phones
            .get_mut(&who)
            .expect("everyone has a phone")
            .write(at, body)
    }

    /// A day on duty in village `vi` on `who`'s phone.
    #[allow(clippy::too_many_arguments)]
    fn duty(
        &mut self,
        who: PersonId,
        vi: usize,
        date: NaiveDate,
        starts: (u32, u32),
        hours: f64,
        visits: Vec<PlannedVisit>,
        quirks: Quirks,
    ) -> Result<(), DemoError> {
        let day = DutyDay {
            village_id: self.places.villages[vi].id,
            office: self.places.offices[vi],
            date,
            starts,
            hours,
            visits,
            quirks,
        };
        let log = self.phones.get_mut(&who).expect("everyone has a phone");
        self.days.write(log, day, &mut self.camera)?;
        Ok(())
    }

    /// A village team's two months: days on duty, paperwork, and an event attended.
    pub fn village(&mut self, i: usize, team: &Team) -> Result<(), DemoError> {
        let id = self.places.villages[i].id;
        let others = self.places.households_of(id, false);
        let v = Village {
            i,
            effort: self.places.efforts[i],
            poor: self.places.households_of(id, true),
            others: others
                .into_iter()
                .filter(|h| !h.categories.is_empty())
                .collect(),
        };
        let months = self.months;
        for (d_i, day) in months.days.iter().enumerate() {
            if months.working(*day) {
                self.resident_days(&v, team, d_i, *day)?;
                self.full_days(&v, team, d_i, *day)?;
                self.pairing_morning(&v, team, *day)?;
            }
        }
        paperwork::weekly_entries(self, i, team, v.effort);
        paperwork::monthly_reports(self, i, team.leader, v.effort);
        if v.effort >= 0.9 {
            paperwork::team_activities(self, i, team.leader);
        }
        self.event_attended(&v, team)
    }

    /// First secretary and resident member: most working days in the village, a few
    /// households each; one resident member's phone fakes its location now and then.
    fn resident_days(
        &mut self,
        v: &Village,
        team: &Team,
        d_i: usize,
        day: NaiveDate,
    ) -> Result<(), DemoError> {
        let mock = Quirks {
            mock: v.i % 5 == 2 && d_i.is_multiple_of(4),
            ..Quirks::PLAIN
        };
        for (who, quirks) in [(team.secretary, Quirks::PLAIN), (team.member, mock)] {
            if self.days.rng.gen_bool((0.85 * v.effort).min(0.95)) {
                let mut visits = Vec::new();
                for _ in 0..self.days.rng.gen_range(1..=3) {
                    let pool = if self.days.rng.gen_bool(0.5) && !v.others.is_empty() {
                        &v.others
                    } else {
                        &v.poor
                    };
                    visits.push(PlannedVisit::to(
                        &pool[self.days.rng.gen_range(0..pool.len())],
                    ));
                }
                self.duty(who, v.i, day, (8, 30), 8.4, visits, quirks)?;
            }
        }
        Ok(())
    }

    /// Team leader and assisting cadre: full days visiting ten or more poor households, eight
    /// days a month evenly spread where the team does its work, fewer elsewhere.
    fn full_days(
        &mut self,
        v: &Village,
        team: &Team,
        d_i: usize,
        day: NaiveDate,
    ) -> Result<(), DemoError> {
        let month = self.months.working_days_of_month(day);
        let wanted = (8.0 * v.effort).round() as usize;
        let nth = month.iter().position(|d| *d == day).unwrap_or(0);
        let per = month.len().max(1);
        if wanted == 0 || (nth * wanted) / per == ((nth + 1) * wanted) / per {
            return Ok(());
        }
        for (k, who) in [team.leader, team.assistant].into_iter().enumerate() {
            let n = if v.effort >= 0.9 {
                12
            } else {
                self.days.rng.gen_range(7..=11)
            };
            let start = (d_i * 3 + k * 5) % v.poor.len();
            let visits = (0..n)
                .map(|j| PlannedVisit::to(&v.poor[(start + j) % v.poor.len()]))
                .collect();
            self.duty(who, v.i, day, (8, 20), 8.5, visits, Quirks::PLAIN)?;
        }
        Ok(())
    }

    /// The pairing cadre: a morning with two of their paired households once a week or so;
    /// one reuses photos.
    fn pairing_morning(
        &mut self,
        v: &Village,
        team: &Team,
        day: NaiveDate,
    ) -> Result<(), DemoError> {
        if !self
            .days
            .rng
            .gen_bool(if v.i % 5 == 4 { 0.08 } else { 0.22 })
        {
            return Ok(());
        }
        let org = self.org;
        let mine: Vec<&Household> = org
            .pairings
            .iter()
            .filter(|p| p.person_id == team.pairing)
            .filter_map(|p| org.household(p.household_id))
            .collect();
        let visits = (0..2)
            .map(|_| PlannedVisit::to(mine[self.days.rng.gen_range(0..mine.len())]))
            .collect();
        let quirks = Quirks {
            reuses_photos: v.i % 5 == 3,
            ..Quirks::PLAIN
        };
        self.duty(team.pairing, v.i, day, (9, 0), 2.5, visits, quirks)
    }

    /// A 四必到 event in the village, reported by the team leader and attended by the first
    /// secretary: within three days where the team works, later elsewhere.
    fn event_attended(&mut self, v: &Village, team: &Team) -> Result<(), DemoError> {
        let Some(family) = v.others.first().or(v.poor.first()).cloned() else {
            return Ok(());
        };
        let day = self.months.last_month_start + Duration::days(12 + (v.i % 5) as i64);
        let kind = EventKind::ALL[v.i % EventKind::ALL.len()];
        let event = self.write(
            team.leader,
            at_local(day, 8, 0),
            RecordBody::VillageEvent {
                village_id: self.places.villages[v.i].id,
                kind,
                occurred_at: at_local(day, 7, 0),
                household_id: Some(family.id),
                description: format!("{}家{}", family.head_name, kind.label_zh()),
            },
        );
        let mut attend = day + Duration::days(if v.effort >= 0.9 { 1 } else { 5 });
        while self.days.is_on_duty(team.secretary, attend) {
            attend += Duration::days(1);
        }
        let visits = vec![PlannedVisit::attending(&family, event)];
        self.duty(
            team.secretary,
            v.i,
            attend,
            (9, 0),
            3.0,
            visits,
            Quirks::PLAIN,
        )
    }

    /// A liaison leader: half days in the villages of their cluster, six households or more
    /// each; then last month's ledger.
    pub fn liaison(&mut self, liaison: &Liaison) -> Result<(), DemoError> {
        let (who, cluster) = (liaison.id, &liaison.cluster);
        let months = self.months;
        for (d_i, day) in months.days.iter().enumerate() {
            if months.working(*day) && self.days.rng.gen_bool(liaison.rate) {
                let vi = cluster[d_i % cluster.len()];
                let poor = self.places.households_of(self.places.villages[vi].id, true);
                let visits = (0..self.days.rng.gen_range(6..=8))
                    .map(|j| PlannedVisit::to(&poor[(d_i + j * 2) % poor.len()]))
                    .collect();
                self.duty(who, vi, *day, (8, 40), 4.6, visits, Quirks::PLAIN)?;
            }
        }
        paperwork::liaison_ledger(self, liaison);
        Ok(())
    }

    /// The agricultural technician: days in the first two villages, and now and then a
    /// training or a technique shown.
    pub fn technician(&mut self, who: PersonId) -> Result<(), DemoError> {
        let months = self.months;
        for (d_i, day) in months.days.iter().enumerate() {
            if months.working(*day) && self.days.rng.gen_bool(0.3) {
                let vi = d_i % self.places.villages.len().min(2);
                let poor = self.places.households_of(self.places.villages[vi].id, true);
                let visits = vec![PlannedVisit::to(&poor[d_i % poor.len()])];
                self.duty(who, vi, *day, (8, 30), 6.0, visits, Quirks::PLAIN)?;
                if d_i % 9 == 0 {
                    paperwork::technician_activity(self, who, vi, *day, d_i % 18 == 0);
                }
            }
        }
        Ok(())
    }
}

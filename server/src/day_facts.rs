//! Kept day facts ([`zhucun_shared::day_facts`]): each person's stays and where their track
//! stood at the end of each day their phone captured fixes, kept in the database so that a month
//! is evaluated from its own raw records and the facts of the days before
//! ([`crate::evaluation`]). A push queues the person-days it touches in the same transaction as
//! the records ([`crate::store::Store::push_records`]); [`drain`] folds them again, each from the
//! day before's facts, going on to the following days until a day folds to what was kept. The
//! queue is shared by every server over the database: a worker claims a person's days before
//! folding them.

use crate::app::AppState;
use crate::evaluation::EvalResult;
use crate::store::{Org, QueuedDay, Store};
use crate::verdicts::CLAIM_LEASE;
use chrono::{Datelike, Duration, NaiveDate};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use zhucun_shared::catalogue::Interpretation;
use zhucun_shared::day_facts::{fold_day, shapes, stay_villages, DayFacts};
use zhucun_shared::ids::{PersonId, RecordId, TownshipId};
use zhucun_shared::period::{day_start, local_date, Period};
use zhucun_shared::record::{DeviceRecord, RecordBody};

/// What facts are folded under: the interpretation of evidence (fix accuracy, speed, stay gap)
/// of the rules in force. Facts folded under another are not read.
pub fn basis(interp: &Interpretation) -> String {
    serde_json::to_string(interp).unwrap_or_default()
}

/// The directories of the townships read so far.
#[derive(Default)]
struct Orgs(HashMap<TownshipId, Arc<Org>>);

impl Orgs {
    async fn of(&mut self, state: &AppState, person: PersonId) -> EvalResult<Option<Arc<Org>>> {
        let Some(p) = state.store.person(person).await? else {
            return Ok(None);
        };
        if let Some(o) = self.0.get(&p.township_id) {
            return Ok(Some(o.clone()));
        }
        let o = Arc::new(state.store.township_org(p.township_id).await?);
        self.0.insert(p.township_id, o.clone());
        Ok(Some(o))
    }
}

/// The records a person withdrew.
async fn withdrawn_by(state: &AppState, person: PersonId) -> EvalResult<HashSet<RecordId>> {
    Ok(state
        .store
        .retractions_of(person)
        .await?
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Retraction { target, .. } => Some(*target),
            _ => None,
        })
        .collect())
}

/// Claims up to `limit` people with days queued, folds their queued days again (and the days
/// after them whose facts change), takes them off the queue and lets the people go; answers
/// how many days it took. People another server holds are left to it, so that no two servers
/// fold one person's days side by side. A person whose fold fails stays claimed until the
/// lease ([`CLAIM_LEASE`]) runs out, and the failure is the answer.
pub async fn drain(state: &AppState, limit: u32) -> EvalResult<usize> {
    let me = &state.worker_id;
    let now = state.clock.now();
    let queued = state
        .store
        .claim_days(limit, me, now, now + CLAIM_LEASE)
        .await?;
    let mut by_person: BTreeMap<PersonId, Vec<&QueuedDay>> = BTreeMap::new();
    for q in &queued {
        by_person.entry(q.person_id).or_default().push(q);
    }
    let mut orgs = Orgs::default();
    let mut renewed = now;
    for (person, days) in by_person {
        let t = state.clock.now();
        if t - renewed >= CLAIM_LEASE / 2 {
            state.store.renew_day_claims(me, t, t + CLAIM_LEASE).await?;
            renewed = t;
        }
        let touched: BTreeSet<NaiveDate> = days.iter().map(|q| q.day).collect();
        if let Some(org) = orgs.of(state, person).await? {
            refold(state, &org, person, &touched).await?;
        }
        for q in days {
            state.store.settle_day(q).await?;
        }
        state.store.release_days(person, me).await?;
    }
    Ok(queued.len())
}

/// Folds `person`'s `touched` days again, each on the facts of the day before, with every later
/// kept day after the first touched one, until a day past the last touched one folds to what
/// was kept (the days after it then follow as they were).
async fn refold(
    state: &AppState,
    org: &Org,
    person: PersonId,
    touched: &BTreeSet<NaiveDate>,
) -> EvalResult<()> {
    let (Some(first), Some(last)) = (touched.first(), touched.last()) else {
        return Ok(());
    };
    let villages = stay_villages(org, person);
    let shapes = shapes(org, &villages);
    let gone = withdrawn_by(state, person).await?;
    let mut before = state
        .store
        .last_day_facts(person, *first)
        .await?
        .map(|(f, _)| f);
    let far = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");
    let kept: BTreeMap<NaiveDate, (DayFacts, String)> = state
        .store
        .day_facts(person, *first, far)
        .await?
        .into_iter()
        .map(|(f, b)| (f.day, (f, b)))
        .collect();
    let days: BTreeSet<NaiveDate> = touched.iter().chain(kept.keys()).copied().collect();
    for d in days {
        let records = state
            .store
            .records_of(person, day_start(d), day_start(d + Duration::days(1)))
            .await?;
        let (catalogue, _) = state.policy_for(Period::month(d.year(), d.month()));
        let basis = basis(&catalogue.interpretation);
        let f = fold_day(
            person,
            d,
            records.iter(),
            &gone,
            before.as_ref(),
            &shapes,
            &catalogue.interpretation,
        );
        let same = kept.get(&d).is_some_and(|(k, b)| *k == f && *b == basis);
        if !same {
            state
                .store
                .put_day_facts(&f, &basis, state.clock.now())
                .await?;
        }
        before = Some(f);
        if same && d >= *last {
            break;
        }
    }
    Ok(())
}

/// Forgets every kept day fact and folds every person's days again from their records, month
/// by month; `progress` is called after each person-month of `months` (person, `YYYY-MM`).
pub async fn rebuild(
    state: &AppState,
    months: &[(PersonId, String)],
    mut progress: impl FnMut(u64),
) -> EvalResult<()> {
    state.store.clear_day_facts().await?;
    let mut by_person: BTreeMap<PersonId, Vec<Period>> = BTreeMap::new();
    for (p, m) in months {
        if let Ok(period) = m.parse::<Period>() {
            by_person.entry(*p).or_default().push(period);
        }
    }
    let mut orgs = Orgs::default();
    let mut done = 0;
    for (person, mut periods) in by_person {
        periods.sort();
        let Some(org) = orgs.of(state, person).await? else {
            done += periods.len() as u64;
            progress(done);
            continue;
        };
        let shapes = shapes(&org, &stay_villages(&org, person));
        let gone = withdrawn_by(state, person).await?;
        let mut before: Option<DayFacts> = None;
        for month in periods {
            let (catalogue, _) = state.policy_for(month);
            let basis = basis(&catalogue.interpretation);
            let records: Vec<DeviceRecord> = state
                .store
                .fix_records_of(
                    person,
                    day_start(month.first_day()),
                    day_start(month.last_day() + Duration::days(1)),
                )
                .await?;
            let mut by_day: BTreeMap<NaiveDate, Vec<&DeviceRecord>> = BTreeMap::new();
            for r in records
                .iter()
                .filter(|r| matches!(r.body, RecordBody::Fix { .. }))
            {
                by_day.entry(local_date(r.captured_at)).or_default().push(r);
            }
            for (d, day) in by_day {
                let f = fold_day(
                    person,
                    d,
                    day,
                    &gone,
                    before.as_ref(),
                    &shapes,
                    &catalogue.interpretation,
                );
                state
                    .store
                    .put_day_facts(&f, &basis, state.clock.now())
                    .await?;
                before = Some(f);
            }
            done += 1;
            progress(done);
        }
    }
    Ok(())
}

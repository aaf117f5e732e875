//! Verdicts recomputed on the server from the stored records, with what the server itself read
//! from the photo files. The phone's own verdicts are never taken on trust.

use crate::app::AppState;
use crate::ledgers::submission::{ledger_step, LedgerStep};
use crate::store::{Org, Store};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use zhucun_shared::day_facts::{raw_from, DayFacts, History};
use zhucun_shared::ids::{PersonId, RecordId, TownshipId, VillageId};
use zhucun_shared::org::jurisdiction::CHECKERS;
use zhucun_shared::org::{Assignment, Device, Township};
use zhucun_shared::period::{day_start, local_date, Period};
use zhucun_shared::plausibility::{DeviceLogs, PhotoFacts, PhotoFiles};
use zhucun_shared::record::{DeviceRecord, RecordBody};
use zhucun_shared::role::Role;
use zhucun_shared::spot_check::{may_judge, Finding};
use zhucun_shared::verdict::PersonReport;
use zhucun_shared::{evaluate_deriving, EvalContext, RecordsDerived};

/// Why an evaluation could not be made. The HTTP layer turns it into an [`crate::ApiError`].
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The bound on evaluations running at once was closed (the server is stopping).
    #[error("evaluations stopped: {0}")]
    Stopped(#[from] tokio::sync::AcquireError),
    /// The evaluator panicked or was cancelled.
    #[error("evaluation task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

pub type EvalResult<T> = Result<T, EvalError>;

/// What one request has read already: each person's records over a window, and what is known
/// of photo files. A queue over a township then reads each person once, not once for every
/// teammate whose verdicts count their work.
#[derive(Default)]
pub struct Loaded {
    records: HashMap<(PersonId, DateTime<Utc>), Arc<Vec<DeviceRecord>>>,
    /// `None`: not a picture the server holds.
    facts: HashMap<String, Option<PhotoFacts>>,
    /// The basis of kept verdicts as of this request (see [`crate::verdicts`]): read once.
    pub(crate) basis: Option<crate::verdicts::Basis>,
    /// Each month's close as far as this request read it (see [`crate::verdicts`]).
    pub(crate) closed_months: HashMap<String, Option<crate::store::ClosedMonth>>,
    /// Each month's people with a person-month queued, read once per request (see
    /// [`crate::verdicts`]).
    pub(crate) queued: HashMap<String, Arc<BTreeSet<PersonId>>>,
    /// Kept verdicts read ahead for many people at once ([`crate::verdicts::read_ahead`]), per
    /// month: served when they still hold; a person absent is read alone.
    pub(crate) kept: HashMap<String, HashMap<PersonId, crate::store::KeptVerdict>>,
    /// Each checker's notes over a window, for the findings on the records evaluated.
    notes: HashMap<(PersonId, DateTime<Utc>), Arc<Vec<DeviceRecord>>>,
    /// The server's townships and the organisations of those read so far.
    townships: Option<Arc<Vec<Township>>>,
    orgs: HashMap<TownshipId, Arc<Org>>,
    /// Each village's monthly-ledger chain per month (`YYYY-MM`).
    ledger_steps: HashMap<(VillageId, String), Arc<Vec<LedgerStep>>>,
    /// Each person's records for an evaluation with day facts: all but fixes from the window's
    /// start to the raw days' start, then everything (see [`with_day_facts`]).
    #[allow(clippy::type_complexity)]
    since_facts: HashMap<(PersonId, DateTime<Utc>, DateTime<Utc>), [Arc<Vec<DeviceRecord>>; 2]>,
    /// Teams' records for evaluations with day facts, and their pictures' facts, by the team,
    /// the window's start and the raw days' start: put together once for the evaluations of
    /// the members of a team (a push re-evaluates them all). The last [`TEAM_INPUTS`] only, so
    /// that a pass over a township holds a few teams' copies.
    #[allow(clippy::type_complexity)]
    team_inputs: Vec<((Vec<PersonId>, DateTime<Utc>, DateTime<Utc>), Arc<Input>)>,
    /// Each person's kept day facts before a day: all of them, or only the last.
    #[allow(clippy::type_complexity)]
    day_facts: HashMap<(PersonId, NaiveDate, bool), Arc<Vec<(DayFacts, String)>>>,
}

/// How many teams' records one request keeps put together ([`Loaded`]): a person's
/// evaluation reads the team of each of their villages together, and those the person counts
/// for are evaluated in turn, so a few teams come back in turn.
const TEAM_INPUTS: usize = 6;

/// The records an evaluation reads and what the server read from their pictures.
struct Input {
    /// With day facts, those from the raw days on; else all.
    records: Vec<DeviceRecord>,
    /// With day facts, each person's records before the raw days as kept
    /// ([`records_before`]): given to the evaluator as they are, not copied.
    earlier: Vec<Arc<Vec<DeviceRecord>>>,
    files: HashMap<String, PhotoFacts>,
    /// What the evaluator derived from these records, for the next evaluation of them.
    derived: RecordsDerived,
}

impl Input {
    /// The records before the raw days, in the parts they are held in.
    fn earlier_parts(&self) -> impl Iterator<Item = &[DeviceRecord]> {
        self.earlier.iter().map(|e| e.as_slice())
    }

    /// Every record, in the parts they are held in.
    fn parts(&self) -> Vec<&[DeviceRecord]> {
        std::iter::once(self.records.as_slice())
            .chain(self.earlier_parts())
            .collect()
    }

    /// `records` and `earlier` with the facts of their pictures, each file read once per
    /// request.
    async fn read(
        state: &AppState,
        records: Vec<DeviceRecord>,
        earlier: Vec<Arc<Vec<DeviceRecord>>>,
        loaded: &mut Loaded,
    ) -> EvalResult<Self> {
        // Each file once: the same picture attached to two visits is what reuse looks like.
        let shas: BTreeSet<&str> = records
            .iter()
            .chain(earlier.iter().flat_map(|e| e.iter()))
            .filter_map(|r| match &r.body {
                RecordBody::Photo { sha256, .. } => Some(sha256.as_str()),
                _ => None,
            })
            .collect();
        let unknown: Vec<String> = shas
            .iter()
            .filter(|s| !loaded.facts.contains_key(**s))
            .map(|s| s.to_string())
            .collect();
        if !unknown.is_empty() {
            let (mut found, unread) = state.file_facts.get(&unknown);
            if !unread.is_empty() {
                let read = state.store.photo_facts(&unread).await?;
                state.file_facts.put(&read);
                found.extend(read);
            }
            for sha in unknown {
                let f = found.remove(&sha);
                loaded.facts.insert(sha, f);
            }
        }
        let files = shas
            .into_iter()
            .filter_map(|s| {
                let f = loaded.facts.get(s).cloned().flatten()?;
                Some((s.to_string(), f))
            })
            .collect();
        Ok(Self {
            records,
            earlier,
            files,
            derived: RecordsDerived::default(),
        })
    }
}

/// Evaluates `person` for `month` as of `now`. `org` is the person's township, shared by the
/// evaluations of one request.
pub async fn person_report(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
) -> EvalResult<PersonReport> {
    person_report_with(state, org, person, month, now, &mut Loaded::default()).await
}

/// [`person_report`], reading through `loaded`: for evaluating many people in one request.
pub async fn person_report_with(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<PersonReport> {
    person_report_as_of(state, org, person, month, now, now, loaded).await
}

/// Evaluates `person` for `month` as it stood at `as_of` (the records captured by then, the
/// statuses of then) with the spot-check findings written up to `now`: a closed month
/// re-evaluated for what arrived late, and only for that ([`crate::verdicts`]).
pub async fn person_report_as_of(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<PersonReport> {
    report_from(state, org, person, month, as_of, now, loaded, true).await
}

/// [`person_report`] from the raw records alone, never from day facts: what the kept facts
/// must agree with (tests, `verdicts rebuild` checks).
pub async fn person_report_raw(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
) -> EvalResult<PersonReport> {
    let mut loaded = Loaded::default();
    report_from(state, org, person, month, now, now, &mut loaded, false).await
}

#[allow(clippy::too_many_arguments)]
async fn report_from(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
    facts_allowed: bool,
) -> EvalResult<PersonReport> {
    // Day facts stand for the fixes before the month's raw days when they are kept and fresh;
    // a month as it stood in the past is evaluated from the raw records of then.
    let with_facts = if facts_allowed && as_of == now {
        with_day_facts(state, &org, person, month, now, loaded).await?
    } else {
        None
    };
    let (input, day_facts) = match with_facts {
        Some((input, from, facts)) => (input, Some((from, facts))),
        None => {
            let records = records_for(state, &org, person, month, as_of, loaded).await?;
            let input = Input::read(state, records, Vec::new(), loaded).await?;
            (Arc::new(input), None)
        }
    };
    let own_before = day_facts
        .as_ref()
        .map(|(from, _)| (person, day_start(*from)));
    let findings = findings_with(state, &org, &input.parts(), own_before, now, loaded).await?;
    let ledger_steps = chain_steps(state, &org, person, month, loaded).await?;
    // The person's devices, for records dated before their device was enrolled.
    let devices: Vec<Device> = state
        .store
        .devices_of(person)
        .await?
        .into_iter()
        .map(|d| d.device)
        .collect();
    let late_receipt_after = Duration::days(i64::from(state.config.late_receipt_days));
    // The rules and calendar in force on the month's first day.
    let (catalogue, calendar) = state.policy_for(month);
    // Evaluations are CPU work: bounded, and off the async threads.
    let _permit = state.evaluations.acquire().await?;
    let report = tokio::task::spawn_blocking(move || {
        let history = day_facts.as_ref().map(|(from, days)| History {
            from: *from,
            days: days.as_slice(),
        });
        let earlier: Vec<&[DeviceRecord]> = input.earlier_parts().collect();
        let ctx = EvalContext {
            person,
            org: &org,
            records: &input.records,
            earlier: &earlier,
            calendar: &calendar,
            catalogue: &catalogue,
            photo_files: PhotoFiles::Held(&input.files),
            device_logs: DeviceLogs {
                devices: &devices,
                late_receipt_after: Some(late_receipt_after),
            },
            findings: &findings,
            ledger_steps: &ledger_steps,
            history,
        };
        evaluate_deriving(&ctx, month, as_of, &input.derived)
    })
    .await?;

    Ok(report)
}

/// The submission-chain steps of the monthly ledgers of `person`'s villages in `month`,
/// as taken up to now: like a spot-check finding, a step taken after a month closed re-opens
/// it ([`crate::verdicts`]), the late step judged late by its own time.
pub async fn chain_steps(
    state: &AppState,
    org: &Org,
    person: PersonId,
    month: Period,
    loaded: &mut Loaded,
) -> EvalResult<Vec<LedgerStep>> {
    let key = month.to_string();
    let mut out = Vec::new();
    for v in org.villages_of(person, month.first_day(), month.last_day()) {
        let steps = match loaded.ledger_steps.get(&(v, key.clone())) {
            Some(s) => s.clone(),
            None => {
                let rows = state.store.ledger_steps(v, &key).await?;
                let s = Arc::new(rows.iter().filter_map(ledger_step).collect::<Vec<_>>());
                loaded.ledger_steps.insert((v, key.clone()), s.clone());
                s
            }
        };
        out.extend(steps.iter().cloned());
    }
    Ok(out)
}

/// The records the evaluator reads for `month`: from the start of its year (year-long rules
/// count year to date) or, if earlier, the start of the person's postings overlapping the
/// month (posting-long rules count the whole posting), less a month for stays crossing the
/// boundary, up to now.
async fn records_for(
    state: &AppState,
    org: &Org,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<Vec<DeviceRecord>> {
    let from = window_start(org, person, month);
    // Phones' clocks run ahead sometimes; the validator allows a day.
    let to = now + Duration::days(2);
    let mut records = Vec::new();
    for p in org.team_of(person, month.first_day(), month.last_day()) {
        let theirs = match loaded.records.get(&(p, from)) {
            Some(r) => r.clone(),
            None => {
                let r = Arc::new(state.store.records_of(p, from, to).await?);
                loaded.records.insert((p, from), r.clone());
                r
            }
        };
        records.extend(theirs.iter().cloned());
    }
    Ok(records)
}

/// Whether `person`'s `month` as of `now` is evaluated from kept day facts (rather than from
/// every raw record): the facts are kept, fresh, folded under the month's rules and continued
/// by the records.
pub async fn uses_day_facts(
    state: &AppState,
    org: &Org,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
) -> EvalResult<bool> {
    let mut loaded = Loaded::default();
    Ok(with_day_facts(state, org, person, month, now, &mut loaded)
        .await?
        .is_some())
}

/// The records and day facts the evaluator reads for `person`'s `month` as of `now`, when the
/// kept day facts can stand for the fixes before the month's raw days (from
/// [`raw_from`]): every record but fixes over the window [`records_for`] reads, the team's
/// records of every kind from the raw days on, the person's facts of every earlier day and
/// each teammate's last; `None` when a day of the team before the raw days is still queued,
/// a fact was folded under other rules, or the records do not continue the facts
/// ([`History::fits`]): then the raw records are read.
async fn with_day_facts(
    state: &AppState,
    org: &Org,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<Option<(Arc<Input>, NaiveDate, Vec<DayFacts>)>> {
    let (catalogue, _) = state.policy_for(month);
    let from_day = raw_from(&catalogue, month);
    let team: Vec<PersonId> = org
        .team_of(person, month.first_day(), month.last_day())
        .into_iter()
        .collect();
    if state.store.days_pending(&team, from_day).await? {
        return Ok(None);
    }
    let basis = crate::day_facts::basis(&catalogue.interpretation);
    let window = window_start(org, person, month);
    let raw_start = day_start(from_day);
    let input = team_input(state, &team, window, raw_start, now, loaded).await?;
    let mut facts = Vec::new();
    for p in team {
        let all = p == person;
        let rows = match loaded.day_facts.get(&(p, from_day, all)) {
            Some(f) => f.clone(),
            None => {
                let f = if all {
                    facts_before(state, p, from_day, now).await?
                } else {
                    let last = state.store.last_day_facts(p, from_day).await?;
                    Arc::new(last.into_iter().collect())
                };
                loaded.day_facts.insert((p, from_day, all), f.clone());
                f
            }
        };
        for (f, b) in rows.iter() {
            if *b != basis {
                return Ok(None);
            }
            facts.push(f.clone());
        }
    }
    let history = History {
        from: from_day,
        days: &facts,
    };
    if !history.fits(org, person, month, &input.records) {
        return Ok(None);
    }
    Ok(Some((input, from_day, facts)))
}

/// `team`'s records for an evaluation with day facts, and their pictures' facts: every record
/// but fixes from `window` to `raw_start`, everything from then on. Put together once per
/// request for every evaluation that reads the same team.
async fn team_input(
    state: &AppState,
    team: &[PersonId],
    window: DateTime<Utc>,
    raw_start: DateTime<Utc>,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<Arc<Input>> {
    let key = (team.to_vec(), window, raw_start);
    if let Some((_, input)) = loaded.team_inputs.iter().find(|(k, _)| *k == key) {
        return Ok(input.clone());
    }
    let to = now + Duration::days(2);
    let unread: Vec<PersonId> = team
        .iter()
        .filter(|p| !loaded.since_facts.contains_key(&(**p, window, raw_start)))
        .copied()
        .collect();
    let mut before = records_before(state, &unread, window, raw_start, now).await?;
    let (mut records, mut earlier) = (Vec::new(), Vec::new());
    for p in team {
        let theirs = match loaded.since_facts.get(&(*p, window, raw_start)) {
            Some(r) => r.clone(),
            None => {
                let earlier = before.remove(p).unwrap_or_default();
                let raw = Arc::new(state.store.records_of(*p, raw_start, to).await?);
                let r = [earlier, raw];
                loaded
                    .since_facts
                    .insert((*p, window, raw_start), r.clone());
                r
            }
        };
        let [before_raw, raw] = theirs;
        if !before_raw.is_empty() {
            earlier.push(before_raw);
        }
        records.extend(raw.iter().cloned());
    }
    let input = Arc::new(Input::read(state, records, earlier, loaded).await?);
    if loaded.team_inputs.len() == TEAM_INPUTS {
        loaded.team_inputs.remove(0);
    }
    loaded.team_inputs.push((key, input.clone()));
    Ok(input)
}

/// Every day fact of `person` before `from_day`, with the basis each was folded on: as kept in
/// memory while their history mark holds ([`crate::evaluation_memory`]), else read and kept —
/// kept only when `from_day` is by the first day of the month of `now` (the facts of a later
/// month's days are written without renewing the mark).
async fn facts_before(
    state: &AppState,
    person: PersonId,
    from_day: NaiveDate,
    now: DateTime<Utc>,
) -> EvalResult<Arc<Vec<(DayFacts, String)>>> {
    let first = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
    let this_month = local_date(now).with_day(1).expect("day 1 exists");
    if from_day > this_month {
        return Ok(Arc::new(
            state.store.day_facts(person, first, from_day).await?,
        ));
    }
    // Read before the facts: a fact written meanwhile leaves what is kept under the old mark.
    let marks = state.store.history_marks(&[person]).await?;
    let mark = marks.get(&person).map(String::as_str);
    if let Some(kept) = state.facts_history.get(&(person, from_day), mark) {
        return Ok(kept);
    }
    let read = Arc::new(state.store.day_facts(person, first, from_day).await?);
    state
        .facts_history
        .put((person, from_day), mark.map(str::to_string), read.clone());
    Ok(read)
}

/// Each of `people`'s records other than fixes captured in [`from`, `raw_start`), the days day
/// facts stand for: as kept in memory while their history mark holds
/// ([`crate::evaluation_memory`]), else read and kept — kept only when they end by the first
/// day of the month of `now` (a later month's may still grow without a mark renewed).
async fn records_before(
    state: &AppState,
    people: &[PersonId],
    from: DateTime<Utc>,
    raw_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> EvalResult<HashMap<PersonId, Arc<Vec<DeviceRecord>>>> {
    if people.is_empty() {
        return Ok(HashMap::new());
    }
    let this_month = local_date(now).with_day(1).expect("day 1 exists");
    if raw_start > day_start(this_month) {
        let mut out = HashMap::with_capacity(people.len());
        for p in people {
            let read = state
                .store
                .records_except_fixes_of(*p, from, raw_start)
                .await?;
            out.insert(*p, Arc::new(read));
        }
        return Ok(out);
    }
    // Read before the records: a push renewing a mark meanwhile leaves what is kept under
    // the old one.
    let marks = state.store.history_marks(people).await?;
    let mut out = HashMap::with_capacity(people.len());
    for p in people {
        let key = (*p, from, raw_start);
        let mark = marks.get(p).map(String::as_str);
        let records = match state.record_history.get(&key, mark) {
            Some(kept) => kept,
            None => {
                let read = Arc::new(
                    state
                        .store
                        .records_except_fixes_of(*p, from, raw_start)
                        .await?,
                );
                state
                    .record_history
                    .put(key, mark.map(str::to_string), read.clone());
                read
            }
        };
        out.insert(*p, records);
    }
    Ok(out)
}

/// The start of the records read for `person`'s `month`: the start of its year or, if earlier,
/// of the person's postings overlapping the month, less a month.
fn window_start(org: &Org, person: PersonId, month: Period) -> DateTime<Utc> {
    let year_start =
        NaiveDate::from_ymd_opt(month.first_day().year(), 1, 1).expect("1 January exists");
    let posting_start = org
        .assignments_of(person)
        .filter(|a| a.overlaps(month.first_day(), month.last_day()))
        .map(|a| a.starts_on)
        .min();
    let first = posting_start.map_or(year_start, |p| p.min(year_start));
    day_start(first) - Duration::days(31)
}

/// The findings that count on `person`'s own records read for `month` (the phone's pull: its
/// own estimate applies them).
pub async fn own_findings(
    state: &AppState,
    org: &Org,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<Vec<Finding>> {
    let mut records = records_for(state, org, person, month, now, loaded).await?;
    records.retain(|r| r.person_id == person);
    findings_on(state, org, &records, now, loaded).await
}

/// The spot-check findings that count on `records` (the records an evaluation reads; `org` is
/// their authors' township): notes with an outcome written by the checkers who may judge them
/// — team and liaison leaders and supervisors of the township, the county office — each kept
/// only when its author, on the day they wrote it, had jurisdiction over the record's author
/// on the record's day ([`may_judge`]). Leave decisions (请假审批) travel with them, each kept
/// only when its author may decide the requester's leave
/// ([`zhucun_shared::leave::may_decide`]). Whichever of several findings on a record stands is
/// the evaluator's to say.
pub async fn findings_on(
    state: &AppState,
    org: &Org,
    records: &[DeviceRecord],
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<Vec<Finding>> {
    findings_with(state, org, &[records], None, now, loaded).await
}

/// [`findings_on`] over `records` in parts, and with `own_before` (person, instant) also those
/// on the person's records captured before the instant that are not in `records`: their fixes
/// that day facts stand for.
async fn findings_with(
    state: &AppState,
    org: &Org,
    records: &[&[DeviceRecord]],
    own_before: Option<(PersonId, DateTime<Utc>)>,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<Vec<Finding>> {
    let all = || records.iter().flat_map(|part| part.iter());
    let Some(first) = all().map(|r| r.captured_at).min() else {
        return Ok(Vec::new());
    };
    // Findings are written after the records they judge, up to now. From the start of the
    // first record's month: evaluations of one request then read each checker's notes once.
    let month_start = local_date(first).with_day(1).expect("day 1 exists");
    let (from, to) = (day_start(month_start), now + Duration::days(2));
    let (first_day, last_day) = (local_date(from), local_date(to));
    let townships = match &loaded.townships {
        Some(t) => t.clone(),
        None => {
            let t = Arc::new(state.store.townships().await?);
            loaded.townships = Some(t.clone());
            t
        }
    };
    // The checkers: those of the township, and the county office wherever it is posted.
    let mut checkers: HashMap<PersonId, Vec<Assignment>> = HashMap::new();
    let is_checker = |a: &Assignment| CHECKERS.contains(&a.role) && a.overlaps(first_day, last_day);
    for a in org.assignments.iter().filter(|a| is_checker(a)) {
        checkers.insert(
            a.person_id,
            org.assignments_of(a.person_id).cloned().collect(),
        );
    }
    let own: BTreeSet<TownshipId> = org.townships.iter().map(|t| t.id).collect();
    let counties: BTreeSet<&str> = townships
        .iter()
        .filter(|t| own.contains(&t.id))
        .map(|t| t.county.as_str())
        .collect();
    for t in townships
        .iter()
        .filter(|t| counties.contains(t.county.as_str()) && !own.contains(&t.id))
    {
        let other = match loaded.orgs.get(&t.id) {
            Some(o) => o.clone(),
            None => {
                let o = Arc::new(state.store.township_org(t.id).await?);
                loaded.orgs.insert(t.id, o.clone());
                o
            }
        };
        for a in other
            .assignments
            .iter()
            .filter(|a| a.role == Role::Admin && is_checker(a))
        {
            checkers.insert(
                a.person_id,
                other.assignments_of(a.person_id).cloned().collect(),
            );
        }
    }
    // With day facts, the notes before the raw days are among the checkers' records kept in
    // memory; those after are read.
    let raw_start = own_before.map(|(_, at)| at).filter(|at| *at > from);
    let unread: Vec<PersonId> = checkers
        .keys()
        .filter(|c| !loaded.notes.contains_key(&(**c, from)))
        .copied()
        .collect();
    let mut before = match raw_start {
        Some(at) => records_before(state, &unread, from, at, now).await?,
        None => HashMap::new(),
    };
    let mut notes: Vec<Finding> = Vec::new();
    for c in checkers.keys() {
        let theirs = match loaded.notes.get(&(*c, from)) {
            Some(n) => n.clone(),
            None => {
                let n = match (before.remove(c), raw_start) {
                    (Some(kept), Some(at)) => {
                        let mut n: Vec<DeviceRecord> = kept
                            .iter()
                            .filter(|r| matches!(r.body, RecordBody::Note { .. }))
                            .cloned()
                            .collect();
                        n.extend(state.store.notes_of(*c, at, to).await?);
                        n
                    }
                    _ => state.store.notes_of(*c, from, to).await?,
                };
                let n = Arc::new(n);
                loaded.notes.insert((*c, from), n.clone());
                n
            }
        };
        notes.extend(
            theirs
                .iter()
                .filter_map(Finding::of_note)
                .filter(|f| f.outcome.is_some() || f.decision.is_some()),
        );
    }
    if notes.is_empty() {
        return Ok(notes);
    }
    let judged: BTreeSet<RecordId> = notes.iter().map(|f| f.attached_to).collect();
    let mut authors: HashMap<RecordId, (PersonId, chrono::NaiveDate)> = all()
        .filter(|r| judged.contains(&r.id))
        .map(|r| (r.id, (r.person_id, local_date(r.captured_at))))
        .collect();
    if let Some((person, before)) = own_before {
        let absent: Vec<RecordId> = judged
            .iter()
            .filter(|id| !authors.contains_key(id))
            .copied()
            .collect();
        if !absent.is_empty() {
            for (id, (who, at)) in state.store.record_authors(&absent).await? {
                if who == person && at < before {
                    authors.insert(id, (who, local_date(at)));
                }
            }
        }
    }
    let posted: HashMap<PersonId, Vec<Assignment>> = authors
        .values()
        .map(|(p, _)| (*p, org.assignments_of(*p).cloned().collect()))
        .collect();
    notes.retain(|f| {
        let Some((author, day)) = authors.get(&f.attached_to) else {
            return false;
        };
        let Some(target) = org.person(*author) else {
            return false;
        };
        // A leave decision counts from the approvers alone (shared::leave::may_decide).
        let judge = if f.decision.is_some() {
            zhucun_shared::leave::may_decide
        } else {
            may_judge
        };
        judge(
            f,
            &checkers[&f.by],
            target,
            &posted[author],
            *day,
            *day,
            &townships,
        )
    });
    notes.sort_by_key(|f| (f.at, f.record_id));
    Ok(notes)
}

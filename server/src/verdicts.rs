//! Verdicts kept, not recomputed on every read. A person-month's report is computed once and
//! kept with its basis — the rules and calendar versions, its township's organisation version
//! and the China day it was computed on (statuses such as "not yet due" turn with the day,
//! never within it). A push
//! queues the person-months its records may change, in the same transaction as the records
//! (a crash loses no pending re-evaluation); a worker drains the queue, re-evaluating everyone
//! whose verdicts count the author's records ([`Directory::counted_for`]). A read uses the kept
//! report when its basis still holds and nothing for the person's team is queued; otherwise it
//! evaluates — with the same pure evaluator — and keeps the result. Either way the answer is
//! the one a from-scratch evaluation gives.
//!
//! Month close (月结, [`zhucun_shared::month_close`]): once a month is past its grace date the
//! worker (or `zhucun-server months close`) closes it: everyone posted in it is evaluated and
//! their kept reports marked final. A final report no longer follows the basis — rules,
//! calendar, organisation and day may change, it stays as it was reported upward. Only records
//! arriving for the month change it: the person-month is re-evaluated as of the moment its
//! verdicts stood, with the late records, marked re-opened, and the change (before → after for
//! each requirement, and the records that caused it) is appended to the audit log. A step of
//! the monthly ledger's submission chain taken after the close re-opens it the same way.
//!
//! [`Directory::counted_for`]: zhucun_shared::org::Directory::counted_for

use crate::app::AppState;
use crate::audit::{self, AuditKind};
use crate::evaluation::{findings_on, person_report_as_of, person_report_with, EvalResult, Loaded};
use crate::store::{ClosedMonth, KeptVerdict, Org, QueuedMonth, Store};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use zhucun_shared::ids::{PersonId, TownshipId};
use zhucun_shared::month_close::{self, MonthStanding, MonthState};
use zhucun_shared::period::{day_start, local_date, Period};
use zhucun_shared::verdict::PersonReport;

/// What kept reports are computed from as of one instant: the rules and calendar versions,
/// the China day, and each township's organisation version. A kept report whose basis differs
/// from the one its township has now is stale; a change to one township's postings or
/// households leaves the other townships' reports standing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Basis {
    policy: String,
    day: NaiveDate,
    org: BTreeMap<TownshipId, i64>,
}

impl Basis {
    /// The basis kept with a report of someone in `township`.
    fn of(&self, township: Option<TownshipId>) -> String {
        let org = township
            .and_then(|t| self.org.get(&t))
            .copied()
            .unwrap_or(0);
        format!("{}|org {org}|{}", self.policy, self.day)
    }

    /// The basis kept with `person`'s report, `org` being their township's organisation.
    fn of_person(&self, org: &Org, person: PersonId) -> String {
        let township = org
            .person(person)
            .map(|p| p.township_id)
            .or_else(|| org.townships.first().map(|t| t.id));
        self.of(township)
    }
}

/// The basis as of `now`. Takes in a rules or calendar version set since the server loaded
/// them first.
async fn basis(state: &AppState, now: DateTime<Utc>) -> EvalResult<Basis> {
    if let Err(e) = state.refresh_policy().await {
        tracing::warn!(error = %e, "reading rules and calendar versions: those loaded stay in use");
    }
    Ok(Basis {
        policy: state.policy_basis(),
        day: local_date(now),
        org: state.store.org_versions().await?,
    })
}

/// `person`'s report for `month` as of `now`: the kept one when it still holds, else evaluated
/// and kept. `org` is the person's township.
pub async fn report(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
) -> EvalResult<PersonReport> {
    report_or(state, org, person, month, now, loaded, "evaluated").await
}

/// [`report`], an evaluation labelled `outcome` in the metrics.
async fn report_or(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
    outcome: &str,
) -> EvalResult<PersonReport> {
    let key = month.to_string();
    let basis = match &loaded.basis {
        Some(b) => b.of_person(&org, person),
        None => {
            let b = basis(state, now).await?;
            let mine = b.of_person(&org, person);
            loaded.basis = Some(b);
            mine
        }
    };
    // The queue first, then what is kept: an answer as of the queue's reading.
    let queued = queued(state, &key, loaded).await?;
    // Taken out of what was read ahead: served as it is, or evaluated again and put back.
    let ahead = loaded.kept.get_mut(&key).and_then(|a| a.remove(&person));
    let read_ahead = ahead.is_some();
    let kept = match ahead {
        Some(k) => Some(k),
        None => state.store.kept_verdict(person, &key).await?,
    };
    if let Some(k) = &kept {
        // A final report stands whatever the basis; a provisional one while the basis holds
        // and the month has not been closed meanwhile.
        let frozen = k.report.standing.state.is_closed();
        let holds = frozen || (k.basis == basis && closed(state, &key, loaded).await?.is_none());
        if holds
            && !org
                .team_of(person, month.first_day(), month.last_day())
                .iter()
                .any(|p| queued.contains(p))
        {
            state.metrics.count_verdict("kept");
            return Ok(kept.map(|k| k.report).expect("kept"));
        }
    }
    // About to evaluate and keep: what is kept now, not what was read ahead (a close or a
    // re-opening since must be seen).
    let kept = if read_ahead {
        state.store.kept_verdict(person, &key).await?
    } else {
        kept
    };
    let kept = fresh(
        state, org, person, month, now, loaded, kept, &basis, outcome,
    )
    .await?;
    if let Some(ahead) = loaded.kept.get_mut(&key) {
        ahead.insert(person, kept.clone());
    }
    Ok(kept.report)
}

/// `person`'s report for `month` as it was kept at `at`: the latest version kept at or before
/// it (kept reports are versioned whenever what they say changes: a requirement's status,
/// count or number required, or the month's standing). `None` when none was kept by then: the answer is what was
/// kept, not a new evaluation (which would use today's organisation and rules, and records
/// that may not have been taken in then).
pub async fn report_as_of(
    state: &AppState,
    person: PersonId,
    month: Period,
    at: DateTime<Utc>,
) -> EvalResult<Option<PersonReport>> {
    Ok(state
        .store
        .verdict_as_of(person, &month.to_string(), at)
        .await?
        .map(|v| v.report))
}

/// Reads ahead the kept verdicts of `people` for `month` in one read, for the [`report`]s of
/// a page of many people that follow with the same `loaded`.
pub async fn read_ahead(
    state: &AppState,
    people: &[PersonId],
    month: Period,
    loaded: &mut Loaded,
) -> EvalResult<()> {
    let key = month.to_string();
    // The queue first, then what is kept (see [`report`]).
    queued(state, &key, loaded).await?;
    let mut ahead = state.store.kept_verdicts(&key, people).await?;
    if let Some(before) = loaded.kept.remove(&key) {
        for (p, k) in before {
            ahead.entry(p).or_insert(k);
        }
    }
    loaded.kept.insert(key, ahead);
    Ok(())
}

/// The people with `month` queued, read once per request: a request answers as the queue
/// stood when it first asked.
async fn queued(
    state: &AppState,
    month: &str,
    loaded: &mut Loaded,
) -> EvalResult<Arc<BTreeSet<PersonId>>> {
    if let Some(q) = loaded.queued.get(month) {
        return Ok(q.clone());
    }
    let q = Arc::new(state.store.queued_people(month).await?);
    loaded.queued.insert(month.to_string(), q.clone());
    Ok(q)
}

/// The month's close, read once per request.
async fn closed(
    state: &AppState,
    month: &str,
    loaded: &mut Loaded,
) -> EvalResult<Option<ClosedMonth>> {
    if let Some(c) = loaded.closed_months.get(month) {
        return Ok(c.clone());
    }
    let c = state.store.closed_month(month).await?;
    loaded.closed_months.insert(month.to_string(), c.clone());
    Ok(c)
}

/// Evaluates `person`'s `month` and keeps it: re-opening it when it was kept final, final when
/// the month is closed, else provisional. `kept` is what was kept before; `outcome` labels the
/// evaluation in the metrics. Answers what is kept now.
#[allow(clippy::too_many_arguments)]
async fn fresh(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
    loaded: &mut Loaded,
    kept: Option<KeptVerdict>,
    basis: &str,
    outcome: &str,
) -> EvalResult<KeptVerdict> {
    let key = month.to_string();
    if let Some(kept) = kept.filter(|k| k.report.standing.state.is_closed()) {
        return reopen(state, org, person, month, now, kept, basis).await;
    }
    let closed = closed(state, &key, loaded).await?;
    let mut report = match &closed {
        // Closed, with nothing kept (a rebuild, or someone the close did not reach): as the
        // month stood when it closed. Read apart from the request's other months, whose
        // records run up to now.
        Some(c) => {
            let mut apart = Loaded::default();
            person_report_as_of(state, org, person, month, c.closed_at, now, &mut apart).await?
        }
        None => person_report_with(state, org, person, month, now, loaded).await?,
    };
    state.metrics.count_verdict(outcome);
    report.standing = match &closed {
        Some(c) => MonthStanding {
            state: MonthState::Final,
            grace_date: Some(c.grace_date),
            since: Some(c.closed_at),
        },
        None => MonthStanding {
            state: MonthState::Provisional,
            grace_date: Some(month_close::grace_date(month, state.config.month_grace_day)),
            since: None,
        },
    };
    // Kept as evaluated no earlier than the close: records received before it are in the
    // report, and must never count as late when a later record re-opens the month.
    let evaluated_at = closed.as_ref().map_or(now, |c| now.max(c.closed_at));
    keep(state, person, &key, report, evaluated_at, basis.to_string()).await
}

/// Re-evaluates a final person-month after records arrived for it: as of the moment its kept
/// verdicts stand (so that only the late records and spot-check findings, not the passing of
/// time, change them). When records or findings arrived after the last evaluation, or the
/// verdicts changed, the month is kept re-opened and the change goes to the audit log;
/// otherwise (a queue entry that brought nothing for this month) the final report stays as it
/// was. Answers what is kept now.
async fn reopen(
    state: &AppState,
    org: Arc<Org>,
    person: PersonId,
    month: Period,
    now: DateTime<Utc>,
    kept: KeptVerdict,
    basis: &str,
) -> EvalResult<KeptVerdict> {
    let key = month.to_string();
    let _one_at_a_time = state.reopening.lock().await;
    // Another re-evaluation may have taken the same records in while this one waited.
    let kept = state
        .store
        .kept_verdict(person, &key)
        .await?
        .unwrap_or(kept);
    let as_of = kept.report.evaluated_at;
    let mut loaded = Loaded::default();
    let mut after =
        person_report_as_of(state, org.clone(), person, month, as_of, now, &mut loaded).await?;
    state.metrics.count_verdict("reopened");
    let first = NaiveDate::from_ymd_opt(month.first_day().year(), 1, 1).expect("1 January");
    let (from, to) = (
        day_start(first) - chrono::Duration::days(31),
        day_start(month.next_month_first_day()),
    );
    let mut team_records = Vec::new();
    for p in org.team_of(person, month.first_day(), month.last_day()) {
        team_records.extend(state.store.records_of(p, from, to).await?);
    }
    let late = month_close::late_records(month, kept.evaluated_at, &team_records);
    // Findings written since on the team's records (a finding is a checker's note).
    let mut findings: Vec<_> = findings_on(state, &org, &team_records, now, &mut loaded)
        .await?
        .into_iter()
        .filter(|f| f.at > kept.evaluated_at)
        .map(|f| f.record_id)
        .collect();
    findings.sort();
    findings.dedup();
    // Submission-chain steps taken since: a late step re-opens the month like a late
    // record.
    let steps: Vec<_> = crate::evaluation::chain_steps(state, &org, person, month, &mut loaded)
        .await?
        .into_iter()
        .filter(|s| s.at > kept.evaluated_at)
        .map(|s| serde_json::json!({"village": s.village_id, "step": s.step, "at": s.at}))
        .collect();
    let changes = month_close::changes(&kept.report, &after);
    if late.is_empty() && findings.is_empty() && steps.is_empty() && changes.is_empty() {
        return Ok(kept);
    }
    after.standing = MonthStanding {
        state: kept
            .report
            .standing
            .state
            .after_record(month, month.last_day()),
        grace_date: kept.report.standing.grace_date,
        since: Some(now),
    };
    let reopened = KeptVerdict {
        report: after,
        evaluated_at: now,
        basis: basis.to_string(),
    };
    if !state
        .store
        .replace_kept_verdict(person, &key, &reopened, kept.evaluated_at)
        .await?
    {
        // Another server re-opened it first, and wrote the audit entry: serve what it kept.
        let theirs = state.store.kept_verdict(person, &key).await?;
        return Ok(theirs.unwrap_or(reopened));
    }
    let township = org.person(person).map(|p| p.township_id);
    let detail = serde_json::json!({
        "person": person,
        "month": key,
        "as_of": as_of,
        "records": late,
        "findings": findings,
        "ledger_steps": steps,
        "changes": changes,
    });
    let entry = audit::new_entry(
        now,
        None,
        township,
        AuditKind::MonthReopened,
        format!("{key} {person}"),
        detail,
    );
    audit::record(&state.store, entry).await?;
    Ok(reopened)
}

async fn keep(
    state: &AppState,
    person: PersonId,
    month: &str,
    report: PersonReport,
    now: DateTime<Utc>,
    basis: String,
) -> EvalResult<KeptVerdict> {
    let kept = KeptVerdict {
        report,
        evaluated_at: now,
        basis,
    };
    state.store.keep_verdict(person, month, &kept).await?;
    Ok(kept)
}

/// How long a worker holds the queued person-months (and the people whose queued days) it
/// claimed. Past it, another worker (of this server or another) takes them again: a worker
/// that died loses nothing. A batch that runs past half of it renews the lease of what it has
/// not reached yet.
pub const CLAIM_LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// Claims up to `limit` queued person-months, re-evaluates them (and everyone whose verdicts
/// count them) and takes them off the queue; answers how many it took. Entries another server
/// holds are left to it; callers within this server take turns. One that fails stays claimed,
/// to be taken again after its lease, while the rest of the batch goes on; the first failure
/// is the answer.
pub async fn drain(state: &AppState, limit: u32) -> EvalResult<usize> {
    let _turn = state.draining.lock().await;
    // The day facts first: a month is evaluated from them only when none before it is queued.
    while crate::day_facts::drain(state, 200).await? > 0 {}
    let now = state.clock.now();
    let queued = state
        .store
        .claim_dirty(limit, &state.worker_id, now, now + CLAIM_LEASE)
        .await?;
    let mut orgs: HashMap<TownshipId, Arc<Org>> = HashMap::new();
    let mut loaded = Loaded::default();
    let mut done: BTreeSet<(PersonId, String)> = BTreeSet::new();
    let mut failed = None;
    let mut renewed = now;
    for q in &queued {
        let t = state.clock.now();
        if t - renewed >= CLAIM_LEASE / 2 {
            state
                .store
                .renew_claims(&state.worker_id, t, t + CLAIM_LEASE)
                .await?;
            renewed = t;
        }
        // Each entry under the instant it is taken: a batch begun before a month closed keeps
        // what it evaluates after the close as of then, not as of its start.
        match refresh(state, q, t, &mut orgs, &mut loaded, &mut done).await {
            Ok(()) => state.store.settle(q).await?,
            // Left claimed: taken again when its lease runs out, and the rest of the batch
            // goes on meanwhile.
            Err(e) => {
                tracing::warn!(error = %e, person = %q.person_id, month = %q.month,
                    "re-evaluating a queued person-month");
                failed.get_or_insert(e);
            }
        }
    }
    failed.map_or(Ok(queued.len()), Err)
}

/// Re-evaluates and keeps the verdicts the queued person-month bears on.
async fn refresh(
    state: &AppState,
    q: &QueuedMonth,
    now: DateTime<Utc>,
    orgs: &mut HashMap<TownshipId, Arc<Org>>,
    loaded: &mut Loaded,
    done: &mut BTreeSet<(PersonId, String)>,
) -> EvalResult<()> {
    let Ok(month) = q.month.parse::<Period>() else {
        return Ok(()); // not a month: nothing to evaluate
    };
    let Some(author) = state.store.person(q.person_id).await? else {
        return Ok(());
    };
    let org = match orgs.get(&author.township_id) {
        Some(o) => o.clone(),
        None => {
            let o = Arc::new(state.store.township_org(author.township_id).await?);
            orgs.insert(author.township_id, o.clone());
            o
        }
    };
    let basis = basis(state, now).await?;
    for p in org.counted_for(author.id, month.first_day(), month.last_day()) {
        if !done.insert((p, q.month.clone())) || org.person(p).is_none() {
            continue;
        }
        let basis = basis.of_person(&org, p);
        let kept = state.store.kept_verdict(p, &q.month).await?;
        fresh(
            state,
            org.clone(),
            p,
            month,
            now,
            loaded,
            kept,
            &basis,
            "refreshed",
        )
        .await?;
    }
    Ok(())
}

/// After a push wakes it, the worker lets this long pass before it drains: a phone sending its
/// day in a burst of batches costs one re-evaluation, not one per batch. (Reads meanwhile find
/// the person-month queued and evaluate it themselves.)
const SETTLE: Duration = Duration::from_secs(2);

/// Drains the queue in the background for the server's life: shortly after a push, and every
/// few seconds for what other server instances queued.
pub async fn run_worker(state: AppState) {
    // Months past their grace date are closed on the first pass of each day.
    let mut closed_on: Option<NaiveDate> = None;
    // The basis the kept verdicts were last brought to.
    let mut warmed_for: Option<Basis> = None;
    loop {
        // A rules or calendar version set since (by the command line, or another server).
        if let Err(e) = state.refresh_policy().await {
            tracing::warn!(error = %e, "reading rules and calendar versions: those loaded stay in use");
        }
        let today = local_date(state.clock.now());
        if closed_on != Some(today) {
            match close_due(&state).await {
                Ok(_) => closed_on = Some(today),
                Err(e) => tracing::warn!(error = %e, "closing months past their grace date"),
            }
        }
        // Verdicts turn with the day, the rules and the organisation: each change is taken
        // in once, before the pages read it.
        if state.config.warm_verdicts {
            let now = state.clock.now();
            match basis(&state, now).await {
                Ok(b) if warmed_for.as_ref() != Some(&b) => {
                    match warm(&state, now).await {
                        Ok(n) => {
                            tracing::info!(person_months = n, "kept verdicts brought to the day");
                            warmed_for = Some(b);
                        }
                        // Not tried again until the basis changes: the reads evaluate what
                        // is stale themselves meanwhile.
                        Err(e) => {
                            tracing::warn!(error = %e, "bringing kept verdicts to the day");
                            warmed_for = Some(b);
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reading the verdicts' basis"),
            }
        }
        match drain(&state, 50).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "re-evaluating queued verdicts"),
        }
        if tokio::time::timeout(Duration::from_secs(5), state.verdict_work.notified())
            .await
            .is_ok()
        {
            tokio::time::sleep(SETTLE).await;
        }
    }
}

/// Forgets every kept verdict and recomputes the verdicts of every person-month that has
/// records, reporting progress as (done, total).
pub async fn rebuild(state: &AppState, mut progress: impl FnMut(u64, u64)) -> EvalResult<u64> {
    state.store.clear_kept_verdicts().await?;
    let months = state.store.recorded_months().await?;
    let total = months.len() as u64;
    // The day facts, folded again from the records first (the first half of the progress),
    // then the verdicts (the second).
    progress(0, total);
    crate::day_facts::rebuild(state, &months, |n| progress(n / 2, total)).await?;
    state.store.mark_dirty(&months).await?;
    let mut done = 0;
    loop {
        let n = drain(state, 20).await?;
        if n == 0 {
            break;
        }
        done = (done + n as u64).min(total);
        progress((total + done) / 2, total);
    }
    Ok(total)
}

/// What closing a month did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloseOutcome {
    /// Closed now: this many person-months were made final.
    Closed { person_months: usize },
    /// It was closed before (at that time); nothing changed.
    AlreadyClosed(DateTime<Utc>),
    /// Its grace date has not passed: it stays provisional until after that day.
    NotDue(NaiveDate),
}

/// The rules and calendar a month is closed with (those in force on its first day), as kept in
/// its close: the versions' ids (`rules history`) and the catalogue's own label.
fn closing_policy(state: &AppState, month: Period) -> String {
    let (rules_id, calendar_id) = state.policy_ids_for(month);
    let (catalogue, _) = state.policy_for(month);
    serde_json::json!({
        "rules_version_id": rules_id,
        "rules_version": catalogue.version,
        "calendar_version_id": calendar_id,
    })
    .to_string()
}

/// Closes `month` as of `now`, if past its grace date: the close is recorded first (one closer
/// wins; a read meanwhile keeps what it evaluates as final), then everyone posted in the month
/// in every township is evaluated and kept final, unless already so; one audit entry says so.
pub async fn close_month(
    state: &AppState,
    month: Period,
    now: DateTime<Utc>,
) -> EvalResult<CloseOutcome> {
    let key = month.to_string();
    let grace_date = month_close::grace_date(month, state.config.month_grace_day);
    if !month_close::is_due(month, local_date(now), state.config.month_grace_day) {
        return Ok(CloseOutcome::NotDue(grace_date));
    }
    let close = ClosedMonth {
        month: key.clone(),
        closed_at: now,
        grace_date,
        policy: closing_policy(state, month),
    };
    if !state.store.close_month(&close).await? {
        let at = state
            .store
            .closed_month(&key)
            .await?
            .map_or(now, |c| c.closed_at);
        return Ok(CloseOutcome::AlreadyClosed(at));
    }
    let basis = basis(state, now).await?;
    let mut loaded = Loaded::default();
    let mut person_months = 0;
    for township in state.store.townships().await? {
        let org = Arc::new(state.store.township_org(township.id).await?);
        let basis = basis.of(Some(township.id));
        for p in posted_in(&org, township.id, month) {
            let kept = state.store.kept_verdict(p, &key).await?;
            if kept.is_some_and(|k| k.report.standing.state.is_closed()) {
                continue; // a read kept it final already
            }
            let mut report =
                person_report_with(state, org.clone(), p, month, now, &mut loaded).await?;
            report.standing = MonthStanding {
                state: MonthState::Final,
                grace_date: Some(grace_date),
                since: Some(now),
            };
            keep(state, p, &key, report, now, basis.clone()).await?;
            person_months += 1;
        }
    }
    let detail = serde_json::json!({
        "grace_date": grace_date,
        "person_months": person_months,
        "policy": close.policy,
    });
    let entry = audit::new_entry(now, None, None, AuditKind::MonthClosed, &key, detail);
    audit::record(&state.store, entry).await?;
    Ok(CloseOutcome::Closed { person_months })
}

/// The people of `township` posted in `month`.
fn posted_in(org: &Org, township: TownshipId, month: Period) -> BTreeSet<PersonId> {
    org.assignments
        .iter()
        .filter(|a| a.overlaps(month.first_day(), month.last_day()))
        .map(|a| a.person_id)
        .filter(|p| org.person(*p).is_some_and(|p| p.township_id == township))
        .collect()
}

/// The months whose provisional verdicts turn with the day as of `today`: the current month,
/// and the one before it until it closes.
fn turning_months(today: NaiveDate) -> [Period; 2] {
    let this = Period::month(today.year(), today.month());
    let before = this.first_day() - chrono::Duration::days(1);
    [Period::month(before.year(), before.month()), this]
}

/// Brings the kept verdicts of everyone posted in the months still provisional up to the basis
/// of `now` (a new day, a rules or calendar version, a changed organisation), a township at a
/// time with the queue drained between townships, so that the pages that read them — the
/// overview, the spot-check queue, the ledgers — find them kept instead of evaluating each
/// person on the first read of the day. Answers how many person-months it evaluated.
pub async fn warm(state: &AppState, now: DateTime<Utc>) -> EvalResult<usize> {
    let mut evaluated = 0;
    let basis = basis(state, now).await?;
    for month in turning_months(local_date(now)) {
        let key = month.to_string();
        for township in state.store.townships().await? {
            // A new version or posting meanwhile: the next pass brings everyone to it.
            let now = state.clock.now();
            if self::basis(state, now).await? != basis {
                return Ok(evaluated);
            }
            let mut loaded = Loaded::default();
            loaded.basis = Some(basis.clone());
            if closed(state, &key, &mut loaded).await?.is_some() {
                break;
            }
            let org = Arc::new(state.store.township_org(township.id).await?);
            let kept_basis = basis.of(Some(township.id));
            let people: Vec<PersonId> = posted_in(&org, township.id, month).into_iter().collect();
            read_ahead(state, &people, month, &mut loaded).await?;
            for (i, p) in people.into_iter().enumerate() {
                let holds = loaded
                    .kept
                    .get(&key)
                    .and_then(|k| k.get(&p))
                    .is_some_and(|k| k.report.standing.state.is_closed() || k.basis == kept_basis);
                if holds {
                    continue;
                }
                // One that fails is left to the reads, which evaluate it themselves.
                match report_or(state, org.clone(), p, month, now, &mut loaded, "warmed").await {
                    Ok(_) => evaluated += 1,
                    Err(e) => tracing::warn!(error = %e, person = %p, month = %key,
                        "bringing a kept verdict to the day"),
                }
                // Pushes meanwhile are taken in every few dozen people.
                if i % 50 == 49 {
                    drain(state, 50).await?;
                }
            }
            drain(state, 50).await?;
        }
    }
    Ok(evaluated)
}

/// Closes every month past its grace date and not closed yet that has records, or in which
/// anyone was posted since the first month the server holds records of (a month in which the
/// people posted recorded nothing closes too, with their short verdicts); answers the months
/// closed.
pub async fn close_due(state: &AppState) -> EvalResult<Vec<String>> {
    let now = state.clock.now();
    let today = local_date(now);
    let mut months: BTreeSet<String> = state
        .store
        .recorded_months()
        .await?
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let first = months.iter().next().and_then(|m| m.parse::<Period>().ok());
    if let Some(first) = first {
        for township in state.store.townships().await? {
            let org = state.store.township_org(township.id).await?;
            for a in &org.assignments {
                let from = a.starts_on.max(first.first_day());
                let to = a.ends_on.map_or(today, |e| e.min(today));
                let mut day = from;
                while day <= to {
                    let month = Period::month(day.year(), day.month());
                    months.insert(month.to_string());
                    day = month.next_month_first_day();
                }
            }
        }
    }
    let mut out = Vec::new();
    for key in months {
        let Ok(month) = key.parse::<Period>() else {
            continue;
        };
        if !month_close::is_due(month, today, state.config.month_grace_day)
            || state.store.closed_month(&key).await?.is_some()
        {
            continue;
        }
        if let CloseOutcome::Closed { .. } = close_month(state, month, now).await? {
            out.push(key);
        }
    }
    Ok(out)
}

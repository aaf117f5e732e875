//! Verdicts kept, not recomputed on every read. A person-month's report is computed once and
//! kept with its basis — the rules, calendar and organisation versions and the China day it was
//! computed on (statuses such as "not yet due" turn with the day, never within it). A push
//! queues the person-months its records may change, in the same transaction as the records
//! (a crash loses no pending re-evaluation); a worker drains the queue, re-evaluating everyone
//! whose verdicts count the author's records ([`Directory::counted_for`]). A read uses the kept
//! report when its basis still holds and nothing for the person's team is queued; otherwise it
//! evaluates — with the same pure evaluator — and keeps the result. Either way the answer is
//! the one a from-scratch evaluation gives.
//!
//! [`Directory::counted_for`]: zhucun_shared::org::Directory::counted_for

use crate::app::AppState;
use crate::evaluation::{person_report_with, EvalResult, Loaded};
use crate::store::{KeptVerdict, Org, QueuedMonth, Store};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use zhucun_shared::ids::{PersonId, TownshipId};
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::verdict::PersonReport;

/// What a kept report was computed from; a kept report whose basis differs from today's is
/// stale.
async fn basis(state: &AppState, now: DateTime<Utc>) -> EvalResult<String> {
    let org = state
        .store
        .setting("org_version")
        .await?
        .unwrap_or_default();
    Ok(format!(
        "{}|org {org}|{}",
        state.policy_basis,
        local_date(now)
    ))
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
    let key = month.to_string();
    let basis = match &loaded.basis {
        Some(b) => b.clone(),
        None => {
            let b = basis(state, now).await?;
            loaded.basis = Some(b.clone());
            b
        }
    };
    if let Some(kept) = state.store.kept_verdict(person, &key).await? {
        if kept.basis == basis {
            let team: Vec<PersonId> = org
                .team_of(person, month.first_day(), month.last_day())
                .into_iter()
                .collect();
            if !state.store.pending(&key, &team).await? {
                state.metrics.count_verdict("kept");
                return Ok(kept.report);
            }
        }
    }
    let report = person_report_with(state, org, person, month, now, loaded).await?;
    state.metrics.count_verdict("evaluated");
    keep(state, person, &key, report.clone(), now, basis).await?;
    Ok(report)
}

async fn keep(
    state: &AppState,
    person: PersonId,
    month: &str,
    report: PersonReport,
    now: DateTime<Utc>,
    basis: String,
) -> EvalResult<()> {
    let kept = KeptVerdict {
        report,
        evaluated_at: now,
        basis,
    };
    Ok(state.store.keep_verdict(person, month, &kept).await?)
}

/// Re-evaluates up to `limit` queued person-months (and everyone whose verdicts count them)
/// and takes them off the queue; answers how many it took.
pub async fn drain(state: &AppState, limit: u32) -> EvalResult<usize> {
    let queued = state.store.dirty(limit).await?;
    let now = state.clock.now();
    let mut orgs: HashMap<TownshipId, Arc<Org>> = HashMap::new();
    let mut loaded = Loaded::default();
    let mut done: BTreeSet<(PersonId, String)> = BTreeSet::new();
    for q in &queued {
        refresh(state, q, now, &mut orgs, &mut loaded, &mut done).await?;
        state.store.settle(q).await?;
    }
    Ok(queued.len())
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
        let report = person_report_with(state, org.clone(), p, month, now, loaded).await?;
        state.metrics.count_verdict("refreshed");
        keep(state, p, &q.month, report, now, basis.clone()).await?;
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
    loop {
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
    state.store.mark_dirty(&months).await?;
    let mut done = 0;
    progress(done, total);
    loop {
        let n = drain(state, 20).await?;
        if n == 0 {
            break;
        }
        done = (done + n as u64).min(total);
        progress(done, total);
    }
    Ok(total)
}

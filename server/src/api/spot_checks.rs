//! 抽查: the spot-check queue of everyone in the caller's jurisdiction for a month — flagged
//! records first, then a routine sample of the visits that counted — with the findings
//! checkers have attached as notes, each with its outcome (核查结论) when it records one.
//! Verdicts and flags are recomputed from the records.

use super::extract::ApiQuery;
use super::reports::{month_param, townships_in_reach};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::evaluation::Loaded;
use crate::store::Store;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use std::collections::{BTreeSet, HashMap};
use zhucun_shared::ids::PersonId;
use zhucun_shared::org::jurisdiction::CHECKERS;
use zhucun_shared::org::{Assignment, Person};
use zhucun_shared::period::{day_end, day_start, local_date};
use zhucun_shared::spot_check::{spot_check_queue, Finding, SpotCheckQueue};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(zhucun_shared::sync::paths::SPOT_CHECKS, get(spot_checks))
        .with_state(state)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SpotCheckQuery {
    /// `2026-11`; the current month when absent.
    pub month: Option<String>,
    /// The routine sample's seed: absent or 0, the month's standing sample; another number
    /// draws a new sample, the same for everyone who asks with it.
    pub seed: Option<u64>,
}

/// The spot-check queue over the people the caller may see (not the caller): a supervisor's
/// township, a team leader's team. A finding is a note attached to one of an item's records.
#[utoipa::path(get, path = "/api/v1/spot-checks", tag = "reports",
    params(
        ("month" = Option<String>, Query, pattern = "^(20[2-9][0-9]|2100)-(0[1-9]|1[0-2])$", description = "Month as YYYY-MM, of 2020..2100; default: the current month"),
        ("seed" = Option<u64>, Query, description = "Seed of the routine sample, weighted by risk (a person's visits are drawn once more often for each kind of flag their records raised, up to five times): absent or 0, the month's standing sample; another number draws a new sample that the same number draws again"),
    ),
    responses(
        (status = 200, description = "Unchecked items first, the most telling flags first; a checked item carries its finding", body = SpotCheckQueue),
        (status = 422, description = "Bad month (field month)", body = zhucun_shared::sync::ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn spot_checks(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SpotCheckQuery>,
) -> ApiResult<Json<SpotCheckQueue>> {
    let now = state.clock.now();
    let month = month_param(q.month.as_deref(), now)?;
    let (first, last) = (month.first_day(), month.last_day());
    let access = caller.access(&state, local_date(now)).await?;
    let all_townships = state.store.townships().await?;
    let townships = townships_in_reach(&access, &caller);
    let mut reports = Vec::new();
    let mut loaded = Loaded::default();
    let mut checkers = BTreeSet::from([caller.person.id]);
    let mut people: HashMap<PersonId, (Person, Vec<Assignment>)> = HashMap::new();
    for t in townships {
        let org = std::sync::Arc::new(state.store.township_org(t).await?);
        let ids: Vec<PersonId> = org
            .people
            .iter()
            .filter(|p| {
                let assignments: Vec<_> = org.assignments_of(p.id).cloned().collect();
                p.id != caller.person.id && access.can_see(p, &assignments, first, last)
            })
            .map(|p| p.id)
            .collect();
        crate::verdicts::read_ahead(&state, &ids, month, &mut loaded).await?;
        for p in &org.people {
            let assignments: Vec<_> = org.assignments_of(p.id).cloned().collect();
            people.insert(p.id, (p.clone(), assignments.clone()));
            if assignments
                .iter()
                .any(|a| CHECKERS.contains(&a.role) && a.overlaps(first, last))
            {
                checkers.insert(p.id);
            }
            if p.id == caller.person.id || !access.can_see(p, &assignments, first, last) {
                continue;
            }
            let report =
                crate::verdicts::report(&state, org.clone(), p.id, month, now, &mut loaded).await?;
            reports.push((p.id, p.name.clone(), report));
        }
    }
    // Findings may be written after the month, while the queue is worked through.
    let mut notes = Vec::new();
    for c in checkers {
        notes.extend(
            state
                .store
                .notes_of(c, day_start(first), day_end(last).max(now))
                .await?,
        );
    }
    // A note is a finding only from someone whose jurisdiction, on the day they wrote it,
    // covered the person for the month.
    let may_judge = |f: &Finding, person: PersonId| {
        let (Some((_, by)), Some((target, posted))) = (people.get(&f.by), people.get(&person))
        else {
            return false;
        };
        zhucun_shared::spot_check::may_judge(f, by, target, posted, first, last, &all_townships)
    };
    Ok(Json(spot_check_queue(
        month,
        &reports,
        &notes,
        may_judge,
        q.seed.unwrap_or(0),
    )))
}

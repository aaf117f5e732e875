//! The trajectory (轨迹): which fixes to keep, only while on duty.

use super::CaptureState;
use zhucun_shared::geometry::distance_m;
use zhucun_shared::record::{Fix, RecordBody};

/// How densely the trajectory is kept. Dense enough that the server sees presence without
/// gaps (its stay rule tolerates 20 minutes between fixes), sparse enough for a cheap phone's
/// battery and a rural data plan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackPolicy {
    /// Never two saved fixes closer in time than this, unless the first was poor.
    pub min_interval_s: i64,
    /// Save a fix at least this often, even standing still.
    pub max_interval_s: i64,
    /// Save earlier than `max_interval_s` once moved this far.
    pub min_distance_m: f64,
    /// Fixes worse than this are not kept at all.
    pub max_accuracy_m: f64,
}

impl Default for TrackPolicy {
    fn default() -> Self {
        TrackPolicy {
            min_interval_s: 30,
            max_interval_s: 300,
            min_distance_m: 25.0,
            max_accuracy_m: 500.0,
        }
    }
}

impl TrackPolicy {
    /// Whether `fix` goes into the trajectory after `last`.
    pub fn keeps(&self, last: Option<&Fix>, fix: &Fix) -> bool {
        if !fix.accuracy_m.is_finite() || fix.accuracy_m > self.max_accuracy_m {
            return false;
        }
        let Some(last) = last else { return true };
        let elapsed = (fix.time - last.time).num_seconds();
        if elapsed < 0 {
            // The wall clock went back: keep it, the server judges the clock.
            return true;
        }
        if elapsed >= self.max_interval_s {
            return true;
        }
        if elapsed < self.min_interval_s {
            // Only a much better fix replaces a poor one this soon.
            return last.accuracy_m > 100.0 && fix.accuracy_m * 2.0 < last.accuracy_m;
        }
        let moved = distance_m(last.position(), fix.position());
        moved >= self.min_distance_m.max(fix.accuracy_m.min(100.0))
    }
}

/// The records a new fix produces: a trajectory fix while on duty, and a `VisitFix` when the
/// open visit has no fix within `accuracy_cap_m` yet.
pub(super) fn on_fix(
    state: &CaptureState,
    policy: &TrackPolicy,
    fix: Fix,
    accuracy_cap_m: f64,
) -> Vec<RecordBody> {
    let mut out = Vec::new();
    if state.duty.is_some() && policy.keeps(state.last_track_fix.as_ref(), &fix) {
        out.push(RecordBody::Fix { fix });
    }
    if let Some(v) = &state.visit {
        let good_enough = v.accuracy_m.is_some_and(|a| a <= accuracy_cap_m);
        let better = v.accuracy_m.is_none_or(|a| fix.accuracy_m < a);
        if !good_enough && better && fix.time >= v.since - super::FRESH_FIX {
            out.push(RecordBody::VisitFix {
                check_in: v.check_in,
                fix,
            });
        }
    }
    out
}

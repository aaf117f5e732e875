//! Where syncing stands, for the line at the top of 今日: under way, waiting to retry (and
//! when), failed (why and what to do), or the last success — from the engine's own state:
//! the syncing mark, the retry it is waiting for, and the store's last success and error.

use crate::store::QueueState;
use chrono::{DateTime, Utc};

/// A retry the engine is waiting for: set while `sync_with_retry` sleeps after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The attempt that failed (1 for the first).
    pub failed_attempt: u32,
    /// When the next attempt starts.
    pub at: DateTime<Utc>,
}

/// Where syncing stands.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncStatus {
    /// A sync is under way.
    Syncing { pending: u64 },
    /// The last attempt failed for a passing reason; the engine tries again at `at`.
    Retrying {
        at: DateTime<Utc>,
        /// Whole seconds from now (0 when due).
        in_seconds: i64,
        failed_attempt: u32,
        /// The failure, in Chinese, with what to do.
        why: String,
    },
    /// The last sync failed and no retry is waiting.
    Failed {
        why: String,
        last_success: Option<DateTime<Utc>>,
        pending: u64,
    },
    /// The last sync went through; `pending` recorded since.
    Synced { at: DateTime<Utc>, pending: u64 },
    /// Never synced (no server yet, or not tried).
    Never { pending: u64 },
}

impl SyncStatus {
    /// From the syncing mark, the retry awaited, and the store's queue, at `now`.
    pub fn of(
        queue: &QueueState,
        syncing: bool,
        retry: Option<Retry>,
        now: DateTime<Utc>,
    ) -> SyncStatus {
        let pending = queue.pending_records + queue.pending_photos;
        match (syncing, retry, &queue.last_error) {
            (true, Some(r), why) => SyncStatus::Retrying {
                at: r.at,
                in_seconds: (r.at - now).num_seconds().max(0),
                failed_attempt: r.failed_attempt,
                why: why.clone().unwrap_or_default(),
            },
            (true, None, _) => SyncStatus::Syncing { pending },
            (false, _, Some(why)) => SyncStatus::Failed {
                why: why.clone(),
                last_success: queue.last_success,
                pending,
            },
            (false, _, None) => match queue.last_success {
                Some(at) => SyncStatus::Synced { at, pending },
                None => SyncStatus::Never { pending },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t(s: i64) -> DateTime<Utc> {
        "2026-11-16T02:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s)
    }

    fn queue(pending: u64, ok: Option<i64>, err: Option<&str>) -> QueueState {
        QueueState {
            pending_records: pending,
            last_success: ok.map(t),
            last_error: err.map(str::to_string),
            ..QueueState::default()
        }
    }

    #[test]
    fn each_state_of_the_engine_has_its_status() {
        let retry = Retry {
            failed_attempt: 2,
            at: t(30),
        };
        let cases: Vec<(QueueState, bool, Option<Retry>, SyncStatus)> = vec![
            (
                queue(3, None, None),
                false,
                None,
                SyncStatus::Never { pending: 3 },
            ),
            (
                queue(3, Some(-60), None),
                true,
                None,
                SyncStatus::Syncing { pending: 3 },
            ),
            (
                queue(3, Some(-60), Some("网络不通")),
                true,
                Some(retry),
                SyncStatus::Retrying {
                    at: t(30),
                    in_seconds: 30,
                    failed_attempt: 2,
                    why: "网络不通".into(),
                },
            ),
            (
                queue(3, Some(-60), Some("网络不通")),
                false,
                None,
                SyncStatus::Failed {
                    why: "网络不通".into(),
                    last_success: Some(t(-60)),
                    pending: 3,
                },
            ),
            // A retry left behind by a sync no longer under way is not waited for.
            (
                queue(0, Some(-60), Some("网络不通")),
                false,
                Some(retry),
                SyncStatus::Failed {
                    why: "网络不通".into(),
                    last_success: Some(t(-60)),
                    pending: 0,
                },
            ),
            (
                queue(1, Some(-60), None),
                false,
                None,
                SyncStatus::Synced {
                    at: t(-60),
                    pending: 1,
                },
            ),
        ];
        for (q, syncing, retry, want) in cases {
            assert_eq!(SyncStatus::of(&q, syncing, retry, t(0)), want);
        }
        // Past its time, the retry is due now.
        let late = SyncStatus::of(&queue(0, None, Some("x")), true, Some(retry), t(45));
        assert!(matches!(late, SyncStatus::Retrying { in_seconds: 0, .. }));
    }
}

//! Trajectory segments (轨迹): a silence longer than [`TRACK_GAP`] between two fixes breaks the
//! line, so that a map never draws a path across time the phone did not see. One rule for the
//! phone's own trajectory and for a team member's as the leader sees it.

use chrono::{DateTime, Duration, Utc};

/// Fixes further apart than this start a new segment.
pub const TRACK_GAP: Duration = Duration::minutes(10);

/// The segment of a fix taken at `time`, after a fix taken at `prev` in segment `segment`
/// (none: the first fix, segment 0). A clock set back keeps the segment.
pub fn segment_after(prev: Option<(DateTime<Utc>, u32)>, time: DateTime<Utc>) -> u32 {
    match prev {
        None => 0,
        Some((t, segment)) => segment + u32::from(time - t > TRACK_GAP),
    }
}

/// The segment of each fix, for fixes in the order they are drawn.
pub fn segments(times: impl IntoIterator<Item = DateTime<Utc>>) -> Vec<u32> {
    let mut prev = None;
    times
        .into_iter()
        .map(|t| {
            let s = segment_after(prev, t);
            prev = Some((t, s));
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silence_longer_than_the_gap_starts_a_segment() {
        let t0: DateTime<Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
        let at = |m: i64| t0 + Duration::minutes(m);
        // 10 minutes exactly is no gap; 11 is; a clock set back is none.
        let times = [0, 3, 13, 24, 20, 60, 61].map(at);
        assert_eq!(segments(times), vec![0, 0, 0, 1, 1, 2, 2]);
    }
}

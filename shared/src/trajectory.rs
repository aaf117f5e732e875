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

/// Most vertices a day's line keeps for display.
pub const DISPLAY_MAX_VERTICES: usize = 3_000;

/// The vertices of `points` (latitude, longitude, in drawing order) kept to draw the line:
/// Douglas–Peucker in metres with a tolerance of `tolerance_m`, doubled until at most
/// `max_vertices` are left. For display only: durations and distances are always measured
/// on the raw fixes. The first and last points are always kept.
pub fn simplified_for_display(
    points: &[(f64, f64)],
    tolerance_m: f64,
    max_vertices: usize,
) -> Vec<usize> {
    use geo::SimplifyIdx;
    let Some(&(lat0, lon0)) = points.first() else {
        return Vec::new();
    };
    let frame = crate::geometry::LocalFrame::around(crate::org::LatLon::new(lat0, lon0));
    let line: geo::LineString<f64> = points
        .iter()
        .map(|&(lat, lon)| frame.project(lat, lon))
        .collect();
    let mut tolerance = tolerance_m.max(0.1);
    loop {
        let kept = line.simplify_idx(tolerance);
        if kept.len() <= max_vertices.max(2) || tolerance > 100_000.0 {
            return kept;
        }
        tolerance *= 2.0;
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn a_straight_walk_keeps_its_ends_and_a_corner_survives() {
        // 100 fixes north, then 100 east, about a metre apart, with 0.3 m of jitter.
        let mut pts = Vec::new();
        for i in 0..100 {
            let jitter = if i % 2 == 0 { 0.000_003 } else { -0.000_003 };
            pts.push((32.0 + f64::from(i) * 0.000_009, 107.5 + jitter));
        }
        for i in 0..100 {
            pts.push((32.0 + 99.0 * 0.000_009, 107.5 + f64::from(i) * 0.000_011));
        }
        let kept = simplified_for_display(&pts, 5.0, DISPLAY_MAX_VERTICES);
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&(pts.len() - 1)));
        assert!(kept.len() <= 4, "{kept:?}");
        assert!(
            kept.iter().any(|&i| (98..=100).contains(&i)),
            "the corner: {kept:?}"
        );
    }

    #[test]
    fn a_long_wandering_day_is_cut_to_the_vertex_budget() {
        let pts: Vec<(f64, f64)> = (0..20_000)
            .map(|i| {
                let t = f64::from(i) / 50.0;
                (
                    32.0 + t.sin() * 0.01 + f64::from(i % 7) * 0.00005,
                    107.5 + t.cos() * 0.01,
                )
            })
            .collect();
        let kept = simplified_for_display(&pts, 1.0, 2_000);
        assert!(kept.len() <= 2_000 && kept.len() > 100, "{}", kept.len());
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
    }
}

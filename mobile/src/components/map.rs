//! A trajectory drawn over the village boundary and its households, as SVG: no map tiles,
//! so it works offline. Segments are drawn apart; a gap is left as a gap. Each segment's
//! start and end carry their time, and so does the track every half hour between; stays are
//! drawn under the track, households coloured by the verdicts' answer on their visit, and a
//! scale bar gives the distances.

use crate::store::TrackPoint;
use crate::strings;
use chrono::{DateTime, Duration, Utc};
use dioxus::prelude::*;
use geo::MultiPolygon;
use zhucun_shared::geometry;
use zhucun_shared::org::LatLon;

#[derive(Clone, Debug, PartialEq)]
pub struct MapHousehold {
    pub position: LatLon,
    pub name: String,
    pub visited: bool,
    /// The verdicts' answer on the visit: counted, not counted, or none yet.
    pub counted: Option<bool>,
}

/// A household's marker colour: 计入 green, 不计入 red, visited and not judged yet amber,
/// not visited grey.
fn marker(h: &MapHousehold) -> &'static str {
    match (h.counted, h.visited) {
        (Some(true), _) => "#17612f",
        (Some(false), _) => "#b3261e",
        (None, true) => "#c27c00",
        (None, false) => "#6b7a72",
    }
}

/// Whether a time label goes at this point: a segment's ends, and the first point of each
/// half hour after the last label.
fn labelled(last: Option<DateTime<Utc>>, t: DateTime<Utc>) -> bool {
    last.is_none_or(|l| t - l >= Duration::minutes(30))
}

const SIZE: f64 = 360.0;
const PAD: f64 = 12.0;

/// Fits WGS-84 positions into the picture, keeping distances true in both directions.
struct Projection {
    min_lon: f64,
    max_lat: f64,
    scale: f64,
    kx: f64,
}

impl Projection {
    fn fit(points: impl Iterator<Item = (f64, f64)>) -> Option<Projection> {
        let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for (lon, lat) in points {
            min_lon = min_lon.min(lon);
            max_lon = max_lon.max(lon);
            min_lat = min_lat.min(lat);
            max_lat = max_lat.max(lat);
        }
        if !min_lon.is_finite() {
            return None;
        }
        // A degree east is shorter than a degree north by this much.
        let kx = geometry::metres_per_degree_lon((min_lat + max_lat) / 2.0)
            / geometry::METRES_PER_DEGREE_LAT;
        let w = ((max_lon - min_lon) * kx).max(1e-6);
        let h = (max_lat - min_lat).max(1e-6);
        let scale = (SIZE - 2.0 * PAD) / w.max(h);
        Some(Projection {
            min_lon,
            max_lat,
            scale,
            kx,
        })
    }
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            PAD + (lon - self.min_lon) * self.kx * self.scale,
            PAD + (self.max_lat - lat) * self.scale,
        )
    }
}

/// The scale bar's length in metres, a round figure that takes at most `max_px` pixels at
/// `metres_per_px`, and its length in pixels.
fn scale_bar(metres_per_px: f64, max_px: f64) -> (f64, f64) {
    const ROUND_M: [f64; 13] = [
        5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0,
        50_000.0,
    ];
    let m = ROUND_M
        .iter()
        .copied()
        .take_while(|m| m / metres_per_px <= max_px)
        .last()
        .unwrap_or(ROUND_M[0]);
    (m, m / metres_per_px)
}

fn polyline(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[component]
pub fn TrajectoryMap(
    boundary: MultiPolygon<f64>,
    households: Vec<MapHousehold>,
    track: Vec<TrackPoint>,
    /// Stays (停留) to draw under the track, as spans of time.
    #[props(default)]
    stays: Vec<(DateTime<Utc>, DateTime<Utc>)>,
) -> Element {
    let all = boundary
        .iter()
        .flat_map(|p| {
            p.exterior()
                .coords()
                .map(|c| (c.x, c.y))
                .collect::<Vec<_>>()
        })
        .chain(households.iter().map(|h| (h.position.lon, h.position.lat)))
        .chain(track.iter().map(|p| (p.lon, p.lat)))
        .collect::<Vec<_>>();
    let Some(proj) = Projection::fit(all.into_iter()) else {
        return rsx! { p { class: "muted", "{strings::HISTORY_EMPTY}" } };
    };
    let rings: Vec<String> = boundary
        .iter()
        .map(|p| {
            let pts: Vec<_> = p.exterior().coords().map(|c| proj.xy(c.x, c.y)).collect();
            polyline(&pts)
        })
        .collect();
    let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
    // Where each segment starts and ends, with the time there.
    let mut times: Vec<(f64, f64, String)> = Vec::new();
    let mut last_seg = None;
    let mut last_label: Option<DateTime<Utc>> = None;
    for (i, p) in track.iter().enumerate() {
        let xy = proj.xy(p.lon, p.lat);
        if last_seg != Some(p.segment) {
            segments.push(Vec::new());
            last_seg = Some(p.segment);
            times.push((xy.0, xy.1, super::hm(p.time)));
            last_label = Some(p.time);
        } else if track.get(i + 1).is_none_or(|n| n.segment != p.segment)
            || labelled(last_label, p.time)
        {
            times.push((xy.0, xy.1, super::hm(p.time)));
            last_label = Some(p.time);
        }
        if let Some(s) = segments.last_mut() {
            s.push(xy);
        }
    }
    let (bar_m, bar_px) = scale_bar(geometry::METRES_PER_DEGREE_LAT / proj.scale, SIZE / 4.0);
    let bar_label = strings::distance(bar_m);
    let bar_y = SIZE - PAD / 2.0;
    let lines: Vec<String> = segments.iter().map(|s| polyline(s)).collect();
    // The track's points within each stay, drawn wide under the track.
    let stay_lines: Vec<String> = stays
        .iter()
        .map(|(from, to)| {
            let pts: Vec<(f64, f64)> = track
                .iter()
                .filter(|p| p.time >= *from && p.time <= *to)
                .map(|p| proj.xy(p.lon, p.lat))
                .collect();
            polyline(&pts)
        })
        .filter(|l| !l.is_empty())
        .collect();
    // Where a segment ends and the next begins: the two sides of a gap.
    let gap_marks: Vec<(f64, f64)> = segments
        .windows(2)
        .flat_map(|w| [w[0].last().copied(), w[1].first().copied()])
        .flatten()
        .collect();
    let gaps = segments.len().saturating_sub(1);
    let homes: Vec<(f64, f64, String, &'static str)> = households
        .iter()
        .map(|h| {
            let (x, y) = proj.xy(h.position.lon, h.position.lat);
            (x, y, h.name.clone(), marker(h))
        })
        .collect();
    rsx! {
        svg {
            class: "map",
            view_box: "0 0 {SIZE} {SIZE}",
            xmlns: "http://www.w3.org/2000/svg",
            for ring in rings {
                polygon { class: "boundary", points: "{ring}", fill: "#e3efe1", stroke: "#4c7a4f", stroke_width: "2", stroke_dasharray: "6 3" }
            }
            for line in stay_lines {
                polyline { class: "stay", points: "{line}", fill: "none", stroke: "#17612f", stroke_opacity: "0.3", stroke_width: "10", stroke_linecap: "round", stroke_linejoin: "round" }
            }
            for line in lines {
                polyline { class: "track", points: "{line}", fill: "none", stroke: "#b3261e", stroke_width: "2.5", stroke_linejoin: "round" }
            }
            for (x, y) in gap_marks {
                circle { class: "gap", cx: "{x:.1}", cy: "{y:.1}", r: "4", fill: "#fff", stroke: "#b3261e", stroke_width: "1.5" }
            }
            for (x, y, time) in times {
                text { class: "track-time", x: "{x + 5.0:.1}", y: "{y - 5.0:.1}", font_size: "9", fill: "#b3261e", "{time}" }
            }
            g { class: "scale-bar",
                line { x1: "{PAD:.1}", y1: "{bar_y:.1}", x2: "{PAD + bar_px:.1}", y2: "{bar_y:.1}", stroke: "#1d2a24", stroke_width: "2" }
                text { x: "{PAD + bar_px + 4.0:.1}", y: "{bar_y + 3.0:.1}", font_size: "9", fill: "#1d2a24", "{bar_label}" }
            }
            for (x, y, name, colour) in homes {
                g { class: "household",
                    rect { x: "{x - 4.0:.1}", y: "{y - 4.0:.1}", width: "8", height: "8", fill: "{colour}" }
                    text { x: "{x + 6.0:.1}", y: "{y + 4.0:.1}", font_size: "10", fill: "#1d2a24", "{name}" }
                }
            }
        }
        p { class: "muted legend",
            "{strings::BOUNDARY} · {strings::HOUSEHOLDS} {households.len()} · {strings::TRAJECTORY} {track.len()}"
            if gaps > 0 { " · {strings::TRACK_GAP} {gaps}" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{labelled, scale_bar};

    #[test]
    fn the_track_is_timed_every_half_hour() {
        let t0: chrono::DateTime<chrono::Utc> = "2026-11-16T01:00:00Z".parse().unwrap();
        let m = |n| t0 + chrono::Duration::minutes(n);
        assert!(labelled(None, t0));
        assert!(!labelled(Some(t0), m(29)));
        assert!(labelled(Some(t0), m(30)));
    }

    #[test]
    fn the_scale_bar_is_the_longest_round_length_that_fits() {
        assert_eq!(scale_bar(2.0, 90.0), (100.0, 50.0));
        assert_eq!(scale_bar(10.0, 90.0), (500.0, 50.0));
        assert_eq!(scale_bar(0.01, 90.0), (5.0, 500.0));
    }
}

//! A trajectory drawn over the village boundary and its households, as SVG: no map tiles,
//! so it works offline. Segments are drawn apart; a gap is left as a gap.

use crate::store::TrackPoint;
use crate::strings;
use dioxus::prelude::*;
use geo::MultiPolygon;
use zhucun_shared::geometry;
use zhucun_shared::org::LatLon;

#[derive(Clone, Debug, PartialEq)]
pub struct MapHousehold {
    pub position: LatLon,
    pub name: String,
    pub visited: bool,
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
    let mut last_seg = None;
    for p in &track {
        if last_seg != Some(p.segment) {
            segments.push(Vec::new());
            last_seg = Some(p.segment);
        }
        if let Some(s) = segments.last_mut() {
            s.push(proj.xy(p.lon, p.lat));
        }
    }
    let lines: Vec<String> = segments.iter().map(|s| polyline(s)).collect();
    // Where a segment ends and the next begins: the two sides of a gap.
    let gap_marks: Vec<(f64, f64)> = segments
        .windows(2)
        .flat_map(|w| [w[0].last().copied(), w[1].first().copied()])
        .flatten()
        .collect();
    let gaps = segments.len().saturating_sub(1);
    let homes: Vec<(f64, f64, String, bool)> = households
        .iter()
        .map(|h| {
            let (x, y) = proj.xy(h.position.lon, h.position.lat);
            (x, y, h.name.clone(), h.visited)
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
            for line in lines {
                polyline { class: "track", points: "{line}", fill: "none", stroke: "#b3261e", stroke_width: "2.5", stroke_linejoin: "round" }
            }
            for (x, y) in gap_marks {
                circle { class: "gap", cx: "{x:.1}", cy: "{y:.1}", r: "4", fill: "#fff", stroke: "#b3261e", stroke_width: "1.5" }
            }
            for (x, y, name, visited) in homes {
                g { class: "household",
                    rect { x: "{x - 4.0:.1}", y: "{y - 4.0:.1}", width: "8", height: "8", fill: if visited { "#17612f" } else { "#6b7a72" } }
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

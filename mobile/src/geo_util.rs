//! Small geometry on WGS-84 positions: distances in metres, boundary containment.

use geo::{Contains, MultiPolygon, Point};
use zhucun_shared::org::LatLon;

const EARTH_RADIUS_M: f64 = 6_371_008.8;

pub use zhucun_shared::geometry::distance_m;

/// Whether the boundary contains the position.
pub fn contains(boundary: &MultiPolygon<f64>, p: LatLon) -> bool {
    boundary.contains(&Point::new(p.lon, p.lat))
}

/// Distance in metres from a position to the nearest edge of the boundary (0 inside).
/// Uses a local flat projection around the position: villages are a few kilometres across.
pub fn distance_to_boundary_m(boundary: &MultiPolygon<f64>, p: LatLon) -> f64 {
    if contains(boundary, p) {
        return 0.0;
    }
    let kx = EARTH_RADIUS_M * p.lat.to_radians().cos() * std::f64::consts::PI / 180.0;
    let ky = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let local = |c: geo::Coord<f64>| ((c.x - p.lon) * kx, (c.y - p.lat) * ky);
    let mut best = f64::INFINITY;
    for poly in boundary {
        let rings = std::iter::once(poly.exterior()).chain(poly.interiors());
        for ring in rings {
            for seg in ring.lines() {
                let (ax, ay) = local(seg.start);
                let (bx, by) = local(seg.end);
                best = best.min(point_segment_distance(ax, ay, bx, by));
            }
        }
    }
    best
}

/// Distance from the origin to the segment a–b.
fn point_segment_distance(ax: f64, ay: f64, bx: f64, by: f64) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (ax + t * dx, ay + t * dy);
    (x * x + y * y).sqrt()
}

/// A position moved by metres north and east (for simulated routes and test data).
pub fn offset(p: LatLon, north_m: f64, east_m: f64) -> LatLon {
    let dlat = north_m / EARTH_RADIUS_M;
    let dlon = east_m / (EARTH_RADIUS_M * p.lat.to_radians().cos());
    LatLon::new(p.lat + dlat.to_degrees(), p.lon + dlon.to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: 106.0, y: 26.0),
            (x: 106.01, y: 26.0),
            (x: 106.01, y: 26.01),
            (x: 106.0, y: 26.01),
        ]])
    }

    #[test]
    fn distances_are_metres() {
        let a = LatLon::new(26.0, 106.0);
        let b = offset(a, 100.0, 0.0);
        assert!((distance_m(a, b) - 100.0).abs() < 0.5);
        let c = offset(a, 0.0, 250.0);
        assert!((distance_m(a, c) - 250.0).abs() < 0.5);
    }

    #[test]
    fn boundary_distance_is_zero_inside_and_metres_outside() {
        let b = square();
        assert_eq!(
            distance_to_boundary_m(&b, LatLon::new(26.005, 106.005)),
            0.0
        );
        let outside = offset(LatLon::new(26.005, 106.01), 0.0, 200.0);
        let d = distance_to_boundary_m(&b, outside);
        assert!((d - 200.0).abs() < 2.0, "{d}");
    }
}

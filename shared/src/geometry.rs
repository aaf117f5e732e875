//! Distances on the ground and village boundaries in a local metric frame.
//!
//! Villages span a few kilometres, so an equirectangular projection around the village is
//! accurate to well under a metre there and lets boundary tests run on plain planar maths.

use crate::ids::VillageId;
use crate::org::{LatLon, Village};
use geo::{
    BoundingRect, Contains, Coord, Distance, Haversine, LineString, MultiPolygon, Point, Polygon,
    Rect,
};

const METRES_PER_DEGREE_LAT: f64 = 111_320.0;

/// Great-circle distance in metres.
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(a.point(), b.point())
}

/// A flat frame in metres around a reference point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LocalFrame {
    lat0: f64,
    lon0: f64,
    kx: f64,
}

impl LocalFrame {
    pub fn around(origin: LatLon) -> Self {
        Self {
            lat0: origin.lat,
            lon0: origin.lon,
            kx: METRES_PER_DEGREE_LAT * origin.lat.to_radians().cos(),
        }
    }
    pub fn project(&self, lat: f64, lon: f64) -> Coord<f64> {
        Coord {
            x: (lon - self.lon0) * self.kx,
            y: (lat - self.lat0) * METRES_PER_DEGREE_LAT,
        }
    }
}

/// A village boundary ready for fast "is this fix in the village" questions.
#[derive(Clone, Debug)]
pub struct VillageShape {
    pub village_id: VillageId,
    frame: LocalFrame,
    shape: MultiPolygon<f64>,
    bbox: Option<Rect<f64>>,
}

impl VillageShape {
    pub fn new(v: &Village) -> Self {
        let origin = v
            .boundary
            .bounding_rect()
            .map(|r| LatLon::new(r.center().y, r.center().x))
            .unwrap_or(LatLon::new(0.0, 0.0));
        let frame = LocalFrame::around(origin);
        let project_ring = |ring: &LineString<f64>| -> LineString<f64> {
            ring.coords().map(|c| frame.project(c.y, c.x)).collect()
        };
        let shape: MultiPolygon<f64> = v
            .boundary
            .iter()
            .map(|p| {
                Polygon::new(
                    project_ring(p.exterior()),
                    p.interiors().iter().map(project_ring).collect(),
                )
            })
            .collect();
        let bbox = shape.bounding_rect();
        Self {
            village_id: v.id,
            frame,
            shape,
            bbox,
        }
    }

    /// Whether the point lies inside the boundary, or within `buffer_m` of it.
    pub fn contains_within(&self, lat: f64, lon: f64, buffer_m: f64) -> bool {
        let Some(bbox) = self.bbox else {
            return false;
        };
        let p = self.frame.project(lat, lon);
        let (min, max) = (bbox.min(), bbox.max());
        if p.x < min.x - buffer_m
            || p.x > max.x + buffer_m
            || p.y < min.y - buffer_m
            || p.y > max.y + buffer_m
        {
            return false;
        }
        let point = Point::from(p);
        if self.shape.contains(&point) {
            return true;
        }
        buffer_m > 0.0 && self.distance_to_edge(p) <= buffer_m
    }

    fn distance_to_edge(&self, p: Coord<f64>) -> f64 {
        self.shape
            .iter()
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .flat_map(|ring| ring.lines())
            .map(|seg| segment_distance(p, seg.start, seg.end))
            .fold(f64::INFINITY, f64::min)
    }
}

fn segment_distance(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (a.x + t * dx, a.y + t * dy);
    ((p.x - cx).powi(2) + (p.y - cy).powi(2)).sqrt()
}

/// A rectangle of roughly `w_m` × `h_m` metres centred on `centre`, as a village boundary
/// (demo data and tests).
pub fn rectangle_around(centre: LatLon, w_m: f64, h_m: f64) -> MultiPolygon<f64> {
    let dlat = h_m / 2.0 / METRES_PER_DEGREE_LAT;
    let dlon = w_m / 2.0 / (METRES_PER_DEGREE_LAT * centre.lat.to_radians().cos());
    let ring = LineString::from(vec![
        (centre.lon - dlon, centre.lat - dlat),
        (centre.lon + dlon, centre.lat - dlat),
        (centre.lon + dlon, centre.lat + dlat),
        (centre.lon - dlon, centre.lat + dlat),
        (centre.lon - dlon, centre.lat - dlat),
    ]);
    MultiPolygon(vec![Polygon::new(ring, vec![])])
}

/// The point `east_m` metres east and `north_m` metres north of `from`.
pub fn offset(from: LatLon, east_m: f64, north_m: f64) -> LatLon {
    LatLon::new(
        from.lat + north_m / METRES_PER_DEGREE_LAT,
        from.lon + east_m / (METRES_PER_DEGREE_LAT * from.lat.to_radians().cos()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TownshipId;

    fn village() -> Village {
        Village {
            id: VillageId::from_u128(1),
            township_id: TownshipId::from_u128(1),
            name: "青山村".into(),
            code: None,
            boundary: rectangle_around(LatLon::new(27.7, 106.9), 2000.0, 1000.0),
            poor: true,
            exiting_this_year: false,
        }
    }

    #[test]
    fn boundary_is_buffered_by_accuracy() {
        let shape = VillageShape::new(&village());
        let c = LatLon::new(27.7, 106.9);
        assert!(shape.contains_within(c.lat, c.lon, 0.0));
        // 1030 m east of the centre: 30 m outside the edge.
        let p = offset(c, 1030.0, 0.0);
        assert!(!shape.contains_within(p.lat, p.lon, 20.0));
        assert!(shape.contains_within(p.lat, p.lon, 40.0));
        let far = offset(c, 0.0, 5000.0);
        assert!(!shape.contains_within(far.lat, far.lon, 100.0));
    }

    #[test]
    fn offsets_match_great_circle_distance() {
        let a = LatLon::new(27.7, 106.9);
        let b = offset(a, 300.0, 400.0);
        assert!((distance_m(a, b) - 500.0).abs() < 1.0);
    }
}

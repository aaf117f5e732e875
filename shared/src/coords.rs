//! China's map datums. Positions are stored in WGS-84 (what GPS gives); web maps in China
//! draw in GCJ-02 (AMap, Tencent) or BD-09 (Baidu), which lie up to several hundred metres
//! from WGS-84 by design. A coordinate copied from such a map must be converted before it is
//! stored, or every 50 m household check fails; a track drawn on such a map must be converted
//! for display only. The transform is the published GCJ-02 one (it is not defined outside
//! China, where the datums coincide); its inverse is found by iteration to well under a
//! centimetre.

use crate::org::LatLon;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// A datum in which a pair of coordinates may be given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Datum {
    /// GPS, 天地图 (CGCS2000, within centimetres of WGS-84), OpenStreetMap.
    #[default]
    Wgs84,
    /// 国测局坐标: AMap (高德), Tencent (腾讯) maps.
    Gcj02,
    /// Baidu (百度) maps.
    Bd09,
}

impl Datum {
    pub const ALL: [Datum; 3] = [Datum::Wgs84, Datum::Gcj02, Datum::Bd09];

    pub fn code(self) -> &'static str {
        match self {
            Datum::Wgs84 => "wgs84",
            Datum::Gcj02 => "gcj02",
            Datum::Bd09 => "bd09",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS-84（GPS、天地图）",
            Datum::Gcj02 => "GCJ-02（高德、腾讯地图）",
            Datum::Bd09 => "BD-09（百度地图）",
        }
    }

    /// `p`, given in this datum, in WGS-84.
    pub fn to_wgs84(self, p: LatLon) -> LatLon {
        match self {
            Datum::Wgs84 => p,
            Datum::Gcj02 => gcj02_to_wgs84(p),
            Datum::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
        }
    }

    /// `p`, given in WGS-84, in this datum (for drawing on such a map).
    pub fn from_wgs84(self, p: LatLon) -> LatLon {
        match self {
            Datum::Wgs84 => p,
            Datum::Gcj02 => wgs84_to_gcj02(p),
            Datum::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(p)),
        }
    }
}

impl fmt::Display for Datum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Datum {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "wgs84" | "cgcs2000" => Ok(Datum::Wgs84),
            "gcj02" => Ok(Datum::Gcj02),
            "bd09" => Ok(Datum::Bd09),
            _ => Err(format!("坐标系须为 wgs84、gcj02 或 bd09，而不是 {s}")),
        }
    }
}

/// Krasovsky 1940, as the GCJ-02 transform uses it.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;

/// Whether GCJ-02 shifts `p` at all (mainland China's rough bounding box; outside it the
/// datums coincide).
pub fn in_china(p: LatLon) -> bool {
    (72.004..=137.8347).contains(&p.lon) && (0.8293..=55.8271).contains(&p.lat)
}

fn shift(lat: f64, lon: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * PI);
    (dlat, dlon)
}

pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if !in_china(p) {
        return p;
    }
    let (dlat, dlon) = shift(p.lat, p.lon);
    LatLon::new(p.lat + dlat, p.lon + dlon)
}

/// The inverse of [`wgs84_to_gcj02`], by fixed-point iteration (the shift varies slowly, so a
/// few steps reach a millionth of a metre).
pub fn gcj02_to_wgs84(p: LatLon) -> LatLon {
    if !in_china(p) {
        return p;
    }
    let mut w = p;
    for _ in 0..10 {
        let g = wgs84_to_gcj02(w);
        let (elat, elon) = (g.lat - p.lat, g.lon - p.lon);
        w = LatLon::new(w.lat - elat, w.lon - elon);
        if elat.abs() < 1e-12 && elon.abs() < 1e-12 {
            break;
        }
    }
    w
}

const X_PI: f64 = PI * 3000.0 / 180.0;

pub fn gcj02_to_bd09(p: LatLon) -> LatLon {
    let (x, y) = (p.lon, p.lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    LatLon::new(z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

pub fn bd09_to_gcj02(p: LatLon) -> LatLon {
    let (x, y) = (p.lon - 0.0065, p.lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    LatLon::new(z * theta.sin(), z * theta.cos())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::distance_m;

    /// Tiananmen's flagpole, as published for each datum by the maps themselves.
    const WGS: LatLon = LatLon {
        lat: 39.906_217,
        lon: 116.391_276,
    };

    #[test]
    fn gcj02_lies_hundreds_of_metres_off_and_comes_back() {
        let g = wgs84_to_gcj02(WGS);
        let off = distance_m(WGS, g);
        assert!((100.0..700.0).contains(&off), "shift {off} m");
        assert!(distance_m(gcj02_to_wgs84(g), WGS) < 0.01);
    }

    #[test]
    fn bd09_round_trips_through_gcj02() {
        for d in Datum::ALL {
            let there = d.from_wgs84(WGS);
            assert!(distance_m(d.to_wgs84(there), WGS) < 0.05, "{d}");
        }
        let b = Datum::Bd09.from_wgs84(WGS);
        assert!(distance_m(b, WGS) > 500.0);
    }

    #[test]
    fn outside_china_nothing_moves() {
        let paris = LatLon::new(48.8584, 2.2945);
        assert_eq!(wgs84_to_gcj02(paris), paris);
        assert_eq!(gcj02_to_wgs84(paris), paris);
    }

    #[test]
    fn datums_parse_from_what_people_write() {
        assert_eq!("GCJ-02".parse::<Datum>(), Ok(Datum::Gcj02));
        assert_eq!("bd09".parse::<Datum>(), Ok(Datum::Bd09));
        assert_eq!("CGCS2000".parse::<Datum>(), Ok(Datum::Wgs84));
        assert!("火星".parse::<Datum>().is_err());
    }
}

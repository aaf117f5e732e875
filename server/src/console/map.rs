//! The console's base map, as configured: 天地图 (WGS-84, with the office's key), AMap or
//! Tencent tiles (GCJ-02: positions are converted for display only, never stored so), or
//! OpenStreetMap, or none — then boundaries, households and tracks are drawn on a plain
//! background with a scale bar, and the page needs no internet at all.

use crate::config::{BaseMapKind, Config};
use serde::Serialize;
use zhucun_shared::coords::Datum;
use zhucun_shared::org::LatLon;

/// A base map the console can draw under its layers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaseMap {
    /// `none`, `osm`, `tianditu`, `amap`, `tencent`.
    pub kind: &'static str,
    /// Leaflet tile URL templates, drawn in order (a road layer, then its labels).
    pub tiles: Vec<String>,
    pub subdomains: &'static str,
    /// Tencent numbers tile rows from the south.
    pub tms: bool,
    pub attribution: &'static str,
    /// The datum the tiles are drawn in; positions are converted to it for display.
    pub datum: Datum,
}

impl BaseMap {
    pub fn of(config: &Config) -> BaseMap {
        let none = BaseMap {
            kind: "none",
            tiles: Vec::new(),
            subdomains: "",
            tms: false,
            attribution: "",
            datum: Datum::Wgs84,
        };
        match config.console_base_map {
            BaseMapKind::Osm => BaseMap {
                kind: "osm",
                tiles: vec!["https://tile.openstreetmap.org/{z}/{x}/{y}.png".into()],
                subdomains: "",
                tms: false,
                attribution: "© OpenStreetMap",
                datum: Datum::Wgs84,
            },
            BaseMapKind::Tianditu => match config.tianditu_key.as_deref() {
                Some(key) if !key.is_empty() => {
                    let layer = |l: &str| {
                        format!(
                            "https://t{{s}}.tianditu.gov.cn/{l}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0\
                             &LAYER={l}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
                        )
                    };
                    BaseMap {
                        kind: "tianditu",
                        tiles: vec![layer("vec"), layer("cva")],
                        subdomains: "01234567",
                        tms: false,
                        attribution: "© 天地图",
                        datum: Datum::Wgs84,
                    }
                }
                // Without a key the tiles would all be refused: no base map rather than a broken one.
                _ => none,
            },
            BaseMapKind::Amap => BaseMap {
                kind: "amap",
                tiles: vec![
                    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
                        .into(),
                ],
                subdomains: "1234",
                tms: false,
                attribution: "© 高德地图",
                datum: Datum::Gcj02,
            },
            BaseMapKind::Tencent => BaseMap {
                kind: "tencent",
                tiles: vec!["https://rt{s}.map.gtimg.com/tile?z={z}&x={x}&y={y}&type=vector&styleid=0".into()],
                subdomains: "0123",
                tms: true,
                attribution: "© 腾讯地图",
                datum: Datum::Gcj02,
            },
            BaseMapKind::None => none,
        }
    }

    /// The origins the tiles come from, for the content security policy.
    pub fn tile_origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .tiles
            .iter()
            .filter_map(|t| {
                let rest = t.strip_prefix("https://")?;
                let host = rest.split('/').next()?;
                Some(format!("https://{}", host.replace("{s}", "*")))
            })
            .map(|o| {
                // A wildcard must lead the host name in a CSP source.
                match o.split_once('*') {
                    Some((scheme_and_prefix, rest)) if !scheme_and_prefix.ends_with("//") => {
                        let dot = rest.find('.').map_or(rest, |i| &rest[i..]);
                        format!("https://*{dot}")
                    }
                    _ => o,
                }
            })
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// `p` (WGS-84) where this map draws it.
    pub fn display(&self, p: LatLon) -> LatLon {
        self.datum.from_wgs84(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(kind: &str, key: Option<&str>) -> BaseMap {
        let mut c = Config::default();
        c.console_base_map = kind.parse().unwrap();
        c.tianditu_key = key.map(String::from);
        BaseMap::of(&c)
    }

    #[test]
    fn tile_hosts_become_csp_sources() {
        assert_eq!(
            with("osm", None).tile_origins(),
            ["https://tile.openstreetmap.org"]
        );
        assert_eq!(
            with("amap", None).tile_origins(),
            ["https://*.is.autonavi.com"]
        );
        assert_eq!(
            with("tianditu", Some("k")).tile_origins(),
            ["https://*.tianditu.gov.cn"]
        );
        assert_eq!(
            with("tencent", None).tile_origins(),
            ["https://*.map.gtimg.com"]
        );
        assert!(with("none", None).tile_origins().is_empty());
    }

    #[test]
    fn tianditu_without_a_key_is_no_base_map() {
        assert_eq!(with("tianditu", None).kind, "none");
        assert_eq!(with("tianditu", Some("abc")).kind, "tianditu");
    }

    #[test]
    fn gcj02_maps_move_positions_for_display_only() {
        let p = LatLon::new(32.0, 107.5);
        assert_eq!(with("osm", None).display(p), p);
        assert_ne!(with("amap", None).display(p), p);
    }
}

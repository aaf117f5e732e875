//! Schemas for the server's API document where a type's JSON is not what its Rust shape says:
//! a period is written as text, and a village boundary is geo's serde form of a multipolygon.
//! Only with the `openapi` feature, which the server turns on; the phone builds without utoipa.

use crate::period::Period;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

impl utoipa::PartialSchema for Period {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A period: an ISO week `2026-W47`, a month `2026-11`, a quarter `2026-Q4`, \
                 a half-year `2026-H2` or a year `2026`.",
            ))
            .pattern(Some("^[0-9]{4}(-(W[0-9]{2}|[0-9]{2}|Q[1-4]|H[12]))?$"))
            .examples(["2026-11"])
            .into()
    }
}

impl utoipa::ToSchema for Period {}

/// A village boundary as geo writes a `MultiPolygon`: polygons, each an exterior ring and its
/// holes, each ring a closed list of `{x: longitude, y: latitude}` in WGS-84 degrees.
pub(crate) fn multi_polygon() -> RefOr<Schema> {
    let coordinate = |description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Double,
            )))
            .description(Some(description))
    };
    let position = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("x", coordinate("Longitude"))
        .required("x")
        .property("y", coordinate("Latitude"))
        .required("y")
        .build();
    let ring = || {
        ArrayBuilder::new()
            .items(position.clone())
            .description(Some("A closed ring: its last position repeats its first"))
    };
    let polygon = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("exterior", ring())
        .required("exterior")
        .property("interiors", ArrayBuilder::new().items(ring()))
        .required("interiors");
    ArrayBuilder::new()
        .items(polygon)
        .description(Some(
            "Polygons, each an exterior ring and interior rings (holes); \
             positions are {x: longitude, y: latitude} in WGS-84 degrees",
        ))
        .into()
}

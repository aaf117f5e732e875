//! The API document at `/api/openapi.json` describes every request and response body with a
//! schema, so that a client can be generated from it and a schema-driven tester can exercise
//! every route; and what the server answers, and what the phone sends, match those schemas.

use crate::common::*;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::BTreeSet;
use zhucun_shared::ids::*;
use zhucun_shared::period::local_date;
use zhucun_shared::record::{DeviceRecord, RecordBody};

/// Routes whose success answer is the stored file itself, not JSON.
const FILE_DOWNLOADS: [&str; 3] = [
    "/api/v1/photos/{sha256}",
    "/api/v1/files/{sha256}",
    "/api/v1/ledgers/{document}",
];

async fn document(app: &TestApp) -> Value {
    let (s, doc) = app.get("", "/api/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    doc
}

/// The schema a `$ref` names (followed through further references), or the schema itself.
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> Result<&'a Value, String> {
    for _ in 0..8 {
        let Some(r) = schema.get("$ref").and_then(Value::as_str) else {
            return Ok(schema);
        };
        let name = r
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("`{r}` is not a component schema"))?;
        schema = doc["components"]["schemas"]
            .get(name)
            .ok_or_else(|| format!("`{r}` resolves to nothing"))?;
    }
    Err("a cycle of references".into())
}

fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a schema says what the value looks like: no "any value", no object without
/// properties, no array of either, at any depth.
fn described(doc: &Value, schema: &Value, seen: &mut BTreeSet<String>) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        if !seen.insert(r.to_string()) {
            return Ok(());
        }
        return described(doc, resolve(doc, schema)?, seen).map_err(|e| format!("{r}: {e}"));
    }
    let mut combined = false;
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema[key].as_array() {
            combined = true;
            for p in parts {
                described(doc, p, seen)?;
            }
        }
    }
    let ts = types(schema);
    if ts.is_empty() && !combined && schema.get("enum").is_none() {
        return Err(format!("a schema of any value: {schema}"));
    }
    if ts.contains(&"object")
        && schema.get("properties").is_none()
        && schema.get("additionalProperties").is_none()
    {
        return Err(format!("an object without properties: {schema}"));
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, p) in props {
            described(doc, p, seen).map_err(|e| format!(".{name}: {e}"))?;
        }
    }
    if ts.contains(&"array") {
        described(doc, &schema["items"], seen).map_err(|e| format!("[]: {e}"))?;
    }
    Ok(())
}

/// Every `$ref` in the document, with where it stands.
fn references(v: &Value, at: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push((at.clone(), x.as_str().unwrap_or_default().to_string()));
                } else {
                    references(x, format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                references(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

#[tokio::test]
async fn every_body_has_a_schema_and_every_reference_resolves() {
    let app = TestApp::start(&Backend::Sqlite).await;
    let doc = document(&app).await;
    let mut faults = Vec::new();

    let mut refs = Vec::new();
    references(&doc, String::new(), &mut refs);
    assert!(!refs.is_empty());
    for (at, r) in &refs {
        if let Err(e) = resolve(&doc, &json!({ "$ref": r })) {
            faults.push(format!("{at}: {e}"));
        }
    }

    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            operations += 1;
            let route = format!("{} {path}", method.to_uppercase());
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (media, c) in content {
                    if media == "application/json" {
                        if let Err(e) = described(&doc, &c["schema"], &mut BTreeSet::new()) {
                            faults.push(format!("{route} request body: {e}"));
                        }
                    }
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured && op["responses"].get("401").is_none() {
                faults.push(format!(
                    "{route}: takes a token but does not say it answers 401"
                ));
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let json_schema = &response["content"]["application/json"]["schema"];
                if status.starts_with('2') {
                    let file = method == "get" && FILE_DOWNLOADS.contains(&path.as_str());
                    if status != "204" && !file && json_schema.is_null() {
                        faults.push(format!("{route} {status}: no JSON body described"));
                    }
                    if !json_schema.is_null() {
                        if let Err(e) = described(&doc, json_schema, &mut BTreeSet::new()) {
                            faults.push(format!("{route} {status}: {e}"));
                        }
                    }
                } else if json_schema["$ref"] != "#/components/schemas/ErrorBody" {
                    faults.push(format!("{route} {status}: not an ErrorBody"));
                }
            }
        }
    }
    assert!(operations >= 18, "only {operations} operations documented");
    for name in [
        "PushRequest",
        "RecordBody",
        "PullResponse",
        "PersonReport",
        "ErrorBody",
    ] {
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{name} is not among the components"
        );
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
    app.stop().await;
}

/// The names of the properties an object schema (with the parts it is made of) declares.
fn property_names(doc: &Value, schema: &Value, out: &mut BTreeSet<String>) {
    let Ok(s) = resolve(doc, schema) else { return };
    if let Some(props) = s["properties"].as_object() {
        out.extend(props.keys().cloned());
    }
    for part in s["allOf"].as_array().into_iter().flatten() {
        property_names(doc, part, out);
    }
}

/// Checks `v` against `schema` as JSON Schema would, for what the document uses: references,
/// oneOf / anyOf / allOf, types, enums, required and declared properties, items, minimum and
/// the uuid / date / date-time formats. Properties the schema does not declare are faults too:
/// the document should name everything the server sends.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, strict: bool, out: &mut Vec<String>) {
    let s = match resolve(doc, schema) {
        Ok(s) => s,
        Err(e) => return out.push(format!("{at}: {e}")),
    };
    if let Some(parts) = s["allOf"].as_array() {
        for p in parts {
            check(doc, p, v, at, false, out);
        }
        if let (true, Some(m)) = (strict, v.as_object()) {
            let mut known = BTreeSet::new();
            property_names(doc, s, &mut known);
            for k in m.keys().filter(|k| !known.contains(*k)) {
                out.push(format!("{at}.{k}: not in the schema"));
            }
        }
        return;
    }
    for (key, want_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(parts) = s[key].as_array() {
            let results: Vec<Vec<String>> = parts
                .iter()
                .map(|p| {
                    let mut e = Vec::new();
                    check(doc, p, v, at, strict, &mut e);
                    e
                })
                .collect();
            let matching = results.iter().filter(|e| e.is_empty()).count();
            if matching == 0 {
                let nearest = results.iter().min_by_key(|e| e.len()).unwrap();
                out.push(format!("{at}: matches none of {key}; nearest: {nearest:?}"));
            } else if want_one && matching > 1 {
                out.push(format!("{at}: matches {matching} of oneOf"));
            }
            return;
        }
    }
    if let Some(allowed) = s["enum"].as_array() {
        if !allowed.contains(v) {
            out.push(format!("{at}: {v} is not one of {allowed:?}"));
        }
    }
    let ts = types(s);
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = ts.is_empty() || ts.contains(&kind) || (kind == "integer" && ts.contains(&"number"));
    if !fits {
        return out.push(format!("{at}: a {kind} where the schema says {ts:?}"));
    }
    if let (Some(min), Some(n)) = (s["minimum"].as_f64(), v.as_f64()) {
        if n < min {
            out.push(format!("{at}: {n} is below the minimum {min}"));
        }
    }
    if let (Some(format), Some(text)) = (s["format"].as_str(), v.as_str()) {
        let ok = match format {
            "uuid" => uuid::Uuid::parse_str(text).is_ok(),
            "date" => text.parse::<chrono::NaiveDate>().is_ok(),
            "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            _ => true,
        };
        if !ok {
            out.push(format!("{at}: `{text}` is not a {format}"));
        }
    }
    if let Some(m) = v.as_object() {
        for r in s["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap_or_default();
            if !m.contains_key(r) {
                out.push(format!("{at}.{r}: required, missing"));
            }
        }
        let props = s["properties"].as_object();
        for (k, x) in m {
            match props.and_then(|p| p.get(k)) {
                Some(p) => check(doc, p, x, &format!("{at}.{k}"), true, out),
                None if strict => out.push(format!("{at}.{k}: not in the schema")),
                None => {}
            }
        }
    }
    if let (Some(xs), Some(items)) = (v.as_array(), s.get("items")) {
        for (i, x) in xs.iter().enumerate() {
            check(doc, items, x, &format!("{at}[{i}]"), true, out);
        }
    }
}

fn assert_matches(doc: &Value, schema: &Value, v: &Value, what: &str) {
    assert!(!schema.is_null(), "{what}: no schema in the document");
    let mut faults = Vec::new();
    check(doc, schema, v, "$", true, &mut faults);
    assert!(
        faults.is_empty(),
        "{what} differs from its schema:\n{}",
        faults.join("\n")
    );
}

/// The schema the document gives for the answer `status` of `method path`.
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: StatusCode) -> &'a Value {
    &doc["paths"][path][method]["responses"][status.as_str()]["content"]["application/json"]
        ["schema"]
}

fn request_schema<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
}

/// A record of every kind, as the phone writes it (written as JSON so that a field added with
/// a default keeps this list valid).
fn one_record_of_each_kind() -> Vec<RecordBody> {
    let (id, village, household) = (RecordId::new(), VillageId::new(), HouseholdId::new());
    let now = Utc::now();
    let fix = serde_json::to_value(fix_at(V1.0, V1.1, now)).unwrap();
    [
        json!({"type": "duty_start", "village_id": village}),
        json!({"type": "duty_start", "village_id": null}),
        json!({"type": "duty_end", "duty": id}),
        json!({"type": "fix", "fix": fix}),
        json!({"type": "village_check_in", "village_id": village, "fix": fix}),
        json!({"type": "village_check_out", "check_in": id, "fix": null}),
        json!({"type": "household_check_in", "household_id": household, "fix": fix, "event": id}),
        json!({"type": "visit_fix", "check_in": id, "fix": fix}),
        json!({"type": "household_check_out", "check_in": id, "fix": fix}),
        json!({"type": "photo", "attached_to": id, "sha256": "ab".repeat(32), "taken_at": now,
               "position": {"lat": V1.0, "lon": V1.1}, "bytes": 123_456}),
        json!({"type": "note", "attached_to": id, "text": "家中两位老人身体尚好", "replaces": null}),
        json!({"type": "village_event", "village_id": village, "kind": "emergency",
               "occurred_at": now, "household_id": household, "description": "山体滑坡"}),
        json!({"type": "activity", "kind": "training", "village_id": village, "held_on": "2026-11-02",
               "person_times": 40, "quantity": null, "title": "柑橘修剪培训", "text": "…"}),
        json!({"type": "report", "kind": "monthly_report", "village_id": village, "period": "2026-11",
               "title": "十一月工作月报", "text": "…", "attachments": ["cd".repeat(32)]}),
        json!({"type": "retraction", "target": id, "reason": "重复录入"}),
        json!({"type": "leave_request", "kind": "official_business", "from": "2026-11-23",
               "to": "2026-11-25", "reason": "县里集中培训"}),
        json!({"type": "note", "attached_to": id, "text": "同意", "replaces": null,
               "kind": {"leave_decision": {"decision": "approved"}}}),
        json!({"type": "on_site", "attached_to": id, "fix": fix}),
    ]
    .into_iter()
    .map(|v| serde_json::from_value(v).unwrap())
    .collect()
}

#[tokio::test]
async fn what_the_phone_sends_matches_the_record_schemas() {
    let app = TestApp::start(&Backend::Sqlite).await;
    let doc = document(&app).await;
    let (device, person) = (DeviceId::new(), app.fx.cadre1);
    let records: Vec<DeviceRecord> = one_record_of_each_kind()
        .into_iter()
        .enumerate()
        .map(|(i, body)| DeviceRecord {
            id: RecordId::new(),
            device_id: device,
            seq: i as u64 + 1,
            person_id: person,
            captured_at: Utc::now(),
            body,
            received: None,
        })
        .collect();
    let mut tags = BTreeSet::new();
    for r in &records {
        let v = serde_json::to_value(r).unwrap();
        tags.insert(v["body"]["type"].as_str().unwrap().to_string());
        assert_matches(
            &doc,
            &json!({"$ref": "#/components/schemas/DeviceRecord"}),
            &v,
            "a record",
        );
    }
    let documented: BTreeSet<String> = doc["components"]["schemas"]["RecordBody"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| {
            b["properties"]["type"]["enum"][0]
                .as_str()
                .map(String::from)
        })
        .collect();
    assert_eq!(
        tags, documented,
        "every kind of record is documented, and sampled here"
    );
    let push =
        json!({"protocol": 1, "device_id": device, "sent_at": Utc::now(), "records": records});
    assert_matches(
        &doc,
        request_schema(&doc, "post", "/api/v1/sync/push"),
        &push,
        "a push",
    );

    // The check is one a body can fail.
    let record = json!({"$ref": "#/components/schemas/DeviceRecord"});
    let good = serde_json::to_value(&records[3]).unwrap();
    type Change = fn(&mut Value);
    let differing: [(&str, Change); 6] = [
        ("an undeclared field", |v| v["body"]["extra"] = json!(1)),
        ("an unknown kind", |v| v["body"]["type"] = json!("selfie")),
        ("a missing field", |v| {
            drop(v["body"].as_object_mut().unwrap().remove("fix"))
        }),
        ("a string for a number", |v| {
            v["body"]["fix"]["lat"] = json!("31.9")
        }),
        ("a malformed id", |v| v["id"] = json!("R-1")),
        ("a negative seq", |v| v["seq"] = json!(-1)),
    ];
    for (what, change) in differing {
        let mut v = good.clone();
        change(&mut v);
        let mut faults = Vec::new();
        check(&doc, &record, &v, "$", true, &mut faults);
        assert!(!faults.is_empty(), "{what} passed the check");
    }
    app.stop().await;
}

#[tokio::test]
async fn what_the_server_answers_matches_the_document() {
    on_each_backend(async |app: &TestApp| {
        let doc = document(&app).await;
        let fx = app.fx.clone();
        let check_answer = |method: &str, path: &str, status: StatusCode, v: &Value| {
            assert_matches(
                &doc,
                response_schema(&doc, method, path, status),
                v,
                &format!("{} {path} {status}", method.to_uppercase()),
            )
        };

        let login = json!({"username": username(&fx, fx.cadre1), "password": PASSWORD});
        assert_matches(
            &doc,
            request_schema(&doc, "post", "/api/v1/auth/login"),
            &login,
            "login",
        );
        let (s, v) = app.post_json("", "/api/v1/auth/login", &login).await;
        assert_eq!(s, StatusCode::OK);
        check_answer("post", "/api/v1/auth/login", s, &v);
        let token = v["token"].as_str().unwrap().to_string();
        let wrong = json!({"username": username(&fx, fx.cadre1), "password": "not it at all"});
        let (s, v) = app.post_json("", "/api/v1/auth/login", &wrong).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        check_answer("post", "/api/v1/auth/login", s, &v);

        let enroll = json!({"label": "华为 Mate 20"});
        assert_matches(
            &doc,
            request_schema(&doc, "post", "/api/v1/devices"),
            &enroll,
            "enrol",
        );
        let (s, v) = app.post_json(&token, "/api/v1/devices", &enroll).await;
        assert_eq!(s, StatusCode::OK);
        check_answer("post", "/api/v1/devices", s, &v);
        let device: DeviceId = v["device_id"].as_str().unwrap().parse().unwrap();

        // A morning in the village: on duty, checked in, a household visited with a photo.
        let start = Utc::now() - Duration::hours(3);
        let household = fx.households[0];
        let mut records = fix_records(device, fx.cadre1, 1..=3, start);
        let (duty, check_in) = (RecordId::new(), RecordId::new());
        let bodies = [
            (duty, json!({"type": "duty_start", "village_id": fx.v1})),
            (
                RecordId::new(),
                json!({"type": "village_check_in", "village_id": fx.v1,
                "fix": fix_at(V1.0, V1.1, start + Duration::minutes(5))}),
            ),
            (
                check_in,
                json!({"type": "household_check_in", "household_id": household,
                "fix": fix_at(V1.0, V1.1, start + Duration::minutes(6)), "event": null}),
            ),
            (
                RecordId::new(),
                json!({"type": "note", "attached_to": check_in,
                "text": "了解家中生产情况", "replaces": null}),
            ),
            (
                RecordId::new(),
                json!({"type": "household_check_out", "check_in": check_in,
                "fix": fix_at(V1.0, V1.1, start + Duration::minutes(30))}),
            ),
            (RecordId::new(), json!({"type": "duty_end", "duty": duty})),
        ];
        for (i, (id, body)) in bodies.into_iter().enumerate() {
            records.push(DeviceRecord {
                id,
                device_id: device,
                seq: 4 + i as u64,
                person_id: fx.cadre1,
                captured_at: start + Duration::minutes(5 + 10 * i as i64),
                body: serde_json::from_value(body).unwrap(),
                received: None,
            });
        }
        let (s, v) = app.push(&token, device, &records).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        check_answer("post", "/api/v1/sync/push", s, &v);
        let (s, v) = app.push(&token, device, &records[..1]).await;
        assert_eq!(s, StatusCode::OK);
        check_answer("post", "/api/v1/sync/push", s, &v);
        let mut bad = records[..1].to_vec();
        bad[0].seq = 100;
        bad[0].body = RecordBody::Fix {
            fix: fix_at(123.0, V1.1, start),
        };
        let (s, v) = app.push(&token, device, &bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        check_answer("post", "/api/v1/sync/push", s, &v);

        let jpeg = test_jpeg();
        let sha = hex::encode(sha2::Sha256::digest(&jpeg));
        let status_path = "/api/v1/photos/{sha256}/status";
        let (s, v) = app
            .get(&token, &format!("/api/v1/photos/{sha}/status"))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        check_answer("get", status_path, s, &v);
        let (s, v) = app
            .put_chunk(
                &token,
                &format!("/api/v1/photos/{sha}"),
                0,
                jpeg.len(),
                &jpeg,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        check_answer("put", "/api/v1/photos/{sha256}", s, &v);
        let (s, v) = app
            .get(&token, &format!("/api/v1/photos/{sha}/status"))
            .await;
        assert_eq!(s, StatusCode::OK);
        check_answer("get", status_path, s, &v);

        let (s, v) = app.get(&token, "/api/v1/sync/pull").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            !v["villages"].as_array().unwrap().is_empty(),
            "the pull carries villages"
        );
        check_answer("get", "/api/v1/sync/pull", s, &v);
        let (s, v) = app.get(&token, "/api/v1/auth/sessions").await;
        assert_eq!(s, StatusCode::OK);
        check_answer("get", "/api/v1/auth/sessions", s, &v);

        let leader = app.login(fx.leader1).await;
        let (s, v) = app.get(&leader, "/api/v1/people").await;
        assert_eq!(s, StatusCode::OK);
        check_answer("get", "/api/v1/people", s, &v);
        let report = format!("/api/v1/people/{}/report", fx.cadre1);
        let (s, v) = app.get(&leader, &report).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!v["verdicts"].as_array().unwrap().is_empty());
        check_answer("get", "/api/v1/people/{id}/report", s, &v);
        let (s, v) = app.get(&leader, &format!("{report}?month=2026-13")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        check_answer("get", "/api/v1/people/{id}/report", s, &v);
        let day = local_date(start);
        let trajectory = format!("/api/v1/people/{}/trajectory?date={day}", fx.cadre1);
        let (s, v) = app.get(&leader, &trajectory).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!v["points"].as_array().unwrap().is_empty());
        check_answer("get", "/api/v1/people/{id}/trajectory", s, &v);
        let (s, v) = app.get(&leader, &format!("/api/v1/team?date={day}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!v["members"].as_array().unwrap().is_empty());
        check_answer("get", "/api/v1/team", s, &v);
        let (s, v) = app.get(&leader, "/api/v1/team?date=1999-01-01").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        check_answer("get", "/api/v1/team", s, &v);
        let outsider = format!("/api/v1/people/{}/report", fx.outsider);
        let (s, v) = app.get(&leader, &outsider).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        check_answer("get", "/api/v1/people/{id}/report", s, &v);

        let supervisor = app.login(fx.supervisor).await;
        let (s, v) = app.get(&supervisor, "/api/v1/spot-checks").await;
        assert_eq!(s, StatusCode::OK);
        check_answer("get", "/api/v1/spot-checks", s, &v);
    })
    .await;
}

fn test_jpeg() -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(48, 32, |x, y| {
        image::Rgb([(x * 5) as u8, (y * 7) as u8, 90])
    }));
    zhucun_server::photos::inspect::jpeg_with_exif(&img, Utc::now(), None)
}

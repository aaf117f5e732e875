//! Import of what township offices keep: a good file is imported whole; a bad row is reported
//! with the file, row and column, and nothing of the file is stored.

use crate::common::*;
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};
use zhucun_server::import::{import_households, import_pairings, import_villages, ImportError};
use zhucun_server::store::Store;
use zhucun_shared::coords::Datum;
use zhucun_shared::org::HouseholdCategory;

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn square_feature(name: &str, lat: f64, lon: f64) -> serde_json::Value {
    let h = 0.008;
    serde_json::json!({
        "type": "Feature",
        "properties": {"村名": name, "代码": "511921099", "贫困村": "是"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [lon - h, lat - h], [lon + h, lat - h], [lon + h, lat + h], [lon - h, lat + h], [lon - h, lat - h]
        ]]}
    })
}

fn row_error(e: ImportError) -> (String, usize, String) {
    match e {
        ImportError::Row {
            file, row, column, ..
        } => (file, row, column),
        other => panic!("expected a row error, got {other}"),
    }
}

#[tokio::test]
async fn villages_from_geojson() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let dir = tempfile::tempdir().unwrap();
        let bar = ProgressBar::hidden();
        let fc = serde_json::json!({"type": "FeatureCollection", "features": [
            square_feature("白岩村", 31.90, 107.20),
            square_feature("龙泉村", 31.92, 107.23),
        ]});
        let good = write(dir.path(), "村界.geojson", fc.to_string().as_bytes());
        assert_eq!(
            import_villages(&store, &good, "新场镇", "通江县", Datum::Wgs84, &bar)
                .await
                .unwrap(),
            2
        );
        let t = store
            .townships()
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == "新场镇")
            .unwrap();
        let org = store.township_org(t.id).await.unwrap();
        assert_eq!(org.villages.len(), 2);
        let v = org.villages.iter().find(|v| v.name == "白岩村").unwrap();
        assert!(v.poor);
        assert_eq!(v.code.as_deref(), Some("511921099"));
        // Importing again updates in place.
        assert_eq!(
            import_villages(&store, &good, "新场镇", "通江县", Datum::Wgs84, &bar)
                .await
                .unwrap(),
            2
        );
        let again = store.township_org(t.id).await.unwrap();
        assert_eq!(again.villages.len(), 2, "{backend:?}");
        assert_eq!(
            again
                .villages
                .iter()
                .find(|x| x.name == "白岩村")
                .unwrap()
                .id,
            v.id
        );

        // The second feature is off the globe: nothing is imported, not even the township.
        let mut bad_fc = fc.clone();
        bad_fc["features"][0]["properties"]["村名"] = "新村".into();
        bad_fc["features"][1]["geometry"]["coordinates"][0][2] = serde_json::json!([107.2, 95.0]);
        let bad = write(dir.path(), "坏村界.geojson", bad_fc.to_string().as_bytes());
        let e = import_villages(&store, &bad, "另一个镇", "通江县", Datum::Wgs84, &bar)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("坏村界.geojson"), "{e}");
        assert_eq!(
            row_error(e),
            ("坏村界.geojson".into(), 2, "geometry".into())
        );
        assert!(store
            .townships()
            .await
            .unwrap()
            .iter()
            .all(|t| t.name != "另一个镇"));
        let not_json = write(dir.path(), "x.geojson", b"{\"type\": ");
        assert!(matches!(
            import_villages(&store, &not_json, "新场镇", "通江县", Datum::Wgs84, &bar).await,
            Err(ImportError::Format { .. })
        ));
        store.close().await;
        db.cleanup().await;
    }
}

const HOUSEHOLDS_CSV: &str = "\u{feff}村名,户主,纬度,经度,类别,人口
青峰村,王德明,31.951,107.251,贫困户、党员家庭,4
青峰村,李秀英,31.952,107.252,空巢老人及留守儿童家庭,1
石门村,张国富,31.991,107.301,critically_ill,3
";

#[tokio::test]
async fn households_from_csv() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        let dir = tempfile::tempdir().unwrap();
        let bar = ProgressBar::hidden();
        let before = store
            .township_org(fx.township)
            .await
            .unwrap()
            .households
            .len();

        let good = write(dir.path(), "农户.csv", HOUSEHOLDS_CSV.as_bytes());
        assert_eq!(
            import_households(&store, &good, "青峰乡", Datum::Wgs84, &bar)
                .await
                .unwrap(),
            3
        );
        let org = store.township_org(fx.township).await.unwrap();
        assert_eq!(org.households.len(), before + 3, "{backend:?}");
        let wang = org
            .households
            .iter()
            .find(|h| h.head_name == "王德明")
            .unwrap();
        assert_eq!(
            wang.categories,
            vec![HouseholdCategory::Poor, HouseholdCategory::PartyMember]
        );
        assert_eq!((wang.members, wang.village_id), (4, fx.v1));
        // Again: the same households, updated, not doubled.
        import_households(&store, &good, "青峰乡", Datum::Wgs84, &bar)
            .await
            .unwrap();
        assert_eq!(
            store
                .township_org(fx.township)
                .await
                .unwrap()
                .households
                .len(),
            before + 3
        );

        for (name, csv, row, column) in [
            ("坏纬度.csv", "村名,户主,纬度,经度,类别\n青峰村,甲,31.9,107.2,贫困户\n青峰村,乙,31.9,107.2,贫困户\n青峰村,丙,abc,107.2,贫困户\n", 4, "纬度"),
            ("超范围.csv", "村名,户主,纬度,经度,类别\n青峰村,甲,31.9,190.0,贫困户\n", 2, "经度"),
            ("无此村.csv", "村名,户主,纬度,经度,类别\n青峰村,甲,31.9,107.2,贫困户\n白云村,乙,31.9,107.2,贫困户\n", 3, "村名"),
            ("类别.csv", "村名,户主,纬度,经度,类别\n青峰村,甲,31.9,107.2,富裕户\n", 2, "类别"),
            ("空户主.csv", "村名,户主,纬度,经度,类别\n青峰村,,31.9,107.2,贫困户\n", 2, "户主"),
        ] {
            let path = write(dir.path(), name, csv.as_bytes());
            let e = import_households(&store, &path, "青峰乡", Datum::Wgs84, &bar).await.unwrap_err();
            let message = e.to_string();
            assert_eq!(row_error(e), (name.to_string(), row, column.to_string()), "{message}");
            assert!(message.contains(name) && message.contains(&format!("第 {row} 行")) && message.contains(column), "{message}");
        }
        let missing = write(
            dir.path(),
            "缺列.csv",
            "村名,户主,经度,类别\n青峰村,甲,107.2,贫困户\n".as_bytes(),
        );
        let e = import_households(&store, &missing, "青峰乡", Datum::Wgs84, &bar)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ImportError::MissingColumn { column, .. } if column == "纬度"),
            "{e}"
        );
        assert_eq!(
            store
                .township_org(fx.township)
                .await
                .unwrap()
                .households
                .len(),
            before + 3,
            "nothing of a bad file stored"
        );
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn households_from_xlsx() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        let dir = tempfile::tempdir().unwrap();
        let bar = ProgressBar::hidden();
        let before = store
            .township_org(fx.township)
            .await
            .unwrap()
            .households
            .len();
        let header = ["村名", "户主", "纬度", "经度", "类别", "人口"];
        let good = xlsx(&[
            &header,
            &["青峰村", "赵桂兰", "31.953", "107.249", "困难家庭", "2"],
            &["石门村", "钱长贵", "31.99", "107.3", "贫困户", "5"],
        ]);
        let path = write(dir.path(), "农户台账.xlsx", &good);
        assert_eq!(
            import_households(&store, &path, "青峰乡", Datum::Wgs84, &bar)
                .await
                .unwrap(),
            2,
            "{backend:?}"
        );
        let org = store.township_org(fx.township).await.unwrap();
        let zhao = org
            .households
            .iter()
            .find(|h| h.head_name == "赵桂兰")
            .unwrap();
        assert_eq!(zhao.categories, vec![HouseholdCategory::Hardship]);
        assert!((zhao.location.lat - 31.953).abs() < 1e-9);

        let bad = xlsx(&[
            &header,
            &["青峰村", "孙淑芬", "31.95", "107.25", "贫困户", "3"],
            &["青峰村", "周有才", "31.95", "107.25", "贫困户", "三口人"],
        ]);
        let path = write(dir.path(), "坏台账.xlsx", &bad);
        let e = import_households(&store, &path, "青峰乡", Datum::Wgs84, &bar)
            .await
            .unwrap_err();
        assert_eq!(row_error(e), ("坏台账.xlsx".into(), 3, "人口".into()));
        assert_eq!(
            store
                .township_org(fx.township)
                .await
                .unwrap()
                .households
                .len(),
            before + 2
        );
        store.close().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn pairings_from_csv() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        let dir = tempfile::tempdir().unwrap();
        let bar = ProgressBar::hidden();
        let before = store
            .township_org(fx.township)
            .await
            .unwrap()
            .pairings
            .len();
        // By username, and by a name unique in the township.
        let good = write(dir.path(), "结对.csv", "帮扶责任人,村名,户主,开始日期\nleader1,青峰村,户主1,2026-03-01\n李二,青峰村,户主2,2026/03/01\n".as_bytes());
        assert_eq!(
            import_pairings(&store, &good, "青峰乡", &bar)
                .await
                .unwrap(),
            2
        );
        let org = store.township_org(fx.township).await.unwrap();
        assert_eq!(org.pairings.len(), before + 2, "{backend:?}");
        assert!(org
            .pairings
            .iter()
            .any(|p| p.person_id == fx.cadre2 && p.household_id == fx.households[2]));

        let bad = write(dir.path(), "坏结对.csv", "帮扶责任人,村名,户主,开始日期\nleader1,青峰村,户主3,2026-03-01\nnobody,青峰村,户主4,2026-03-01\n".as_bytes());
        let e = import_pairings(&store, &bad, "青峰乡", &bar)
            .await
            .unwrap_err();
        assert_eq!(row_error(e), ("坏结对.csv".into(), 3, "帮扶责任人".into()));
        let bad_date = write(
            dir.path(),
            "日期.csv",
            "帮扶责任人,村名,户主,开始日期\nleader1,青峰村,户主3,三月\n".as_bytes(),
        );
        let e = import_pairings(&store, &bad_date, "青峰乡", &bar)
            .await
            .unwrap_err();
        assert_eq!(row_error(e), ("日期.csv".into(), 2, "开始日期".into()));
        assert_eq!(
            store
                .township_org(fx.township)
                .await
                .unwrap()
                .pairings
                .len(),
            before + 2
        );
        store.close().await;
        db.cleanup().await;
    }
}

/// A minimal XLSX (what Excel writes, less styles) with inline strings and numbers.
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, cells) in rows.iter().enumerate() {
        sheet.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, v) in cells.iter().enumerate() {
            let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            if r > 0 && v.parse::<f64>().is_ok() {
                sheet.push_str(&format!(r#"<c r="{at}"><v>{v}</v></c>"#));
            } else {
                sheet.push_str(&format!(
                    r#"<c r="{at}" t="inlineStr"><is><t>{v}</t></is></c>"#
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.into()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="农户" sheetId="1" r:id="rId1"/></sheets></workbook>"#.into()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.into()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    stored_zip(&files)
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive with its entries stored uncompressed.
fn stored_zip(files: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in files {
        let data = content.as_bytes();
        let crc = crc32(data);
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes());
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(0u16.to_le_bytes()); // stored
            h.extend(0u16.to_le_bytes()); // time
            h.extend(0x21u16.to_le_bytes()); // 1980-01-01
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend(0u16.to_le_bytes()); // comment
                h.extend(0u16.to_le_bytes()); // disk
                h.extend(0u16.to_le_bytes()); // internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// The 村民小组 column: kept with each household on both backends, a blank cell is no group,
/// and a file without the column imports as before.
#[tokio::test]
async fn households_keep_their_villager_group() {
    const CSV: &str = "村名,户主,村民小组,纬度,经度,类别
青峰村,赵三组,三组,31.951,107.251,贫困户
青峰村,钱无组,,31.952,107.252,贫困户
";
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let store = db.open().await;
        let fx = seed(&store).await;
        let dir = tempfile::tempdir().unwrap();
        let bar = ProgressBar::hidden();
        let file = write(dir.path(), "小组.csv", CSV.as_bytes());
        import_households(&store, &file, "青峰乡", Datum::Wgs84, &bar)
            .await
            .unwrap();
        let org = store.township_org(fx.township).await.unwrap();
        let group = |name: &str| {
            org.households
                .iter()
                .find(|h| h.head_name == name)
                .unwrap()
                .group
                .clone()
        };
        assert_eq!(group("赵三组").as_deref(), Some("三组"), "{backend:?}");
        assert_eq!(group("钱无组"), None, "{backend:?}");
        // Without the column, the households import with no group.
        let file = write(dir.path(), "农户.csv", HOUSEHOLDS_CSV.as_bytes());
        import_households(&store, &file, "青峰乡", Datum::Wgs84, &bar)
            .await
            .unwrap();
        let org = store.township_org(fx.township).await.unwrap();
        let wang = org
            .households
            .iter()
            .find(|h| h.head_name == "王德明")
            .unwrap();
        assert_eq!(wang.group, None);
        store.close().await;
        db.cleanup().await;
    }
}

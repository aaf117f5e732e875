//! The operator's commands, run as the real binary: accounts are refused with a Chinese
//! message and a non-zero exit when their username or password would be unsafe.

use std::process::{Command, Output};

/// The real binary, on SQLite in `dir`, with cheap password hashes.
pub(crate) fn zhucun(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zhucun-server"))
        .args(args)
        .env("ZHUCUN_DATA_DIR", dir)
        .env_remove("ZHUCUN_DATABASE_URL")
        .env_remove("ZHUCUN_NEW_PASSWORD")
        .env("ZHUCUN_ARGON2_MEMORY_KIB", "1024")
        .env("ZHUCUN_ARGON2_ITERATIONS", "1")
        .output()
        .unwrap()
}

fn add(dir: &std::path::Path, username: &str, password: &str) -> Output {
    zhucun(
        dir,
        &[
            "user",
            "add",
            "--username",
            username,
            "--name",
            "李明",
            "--township",
            "青峰乡",
            "--role",
            "resident_member",
            "--password",
            password,
        ],
    )
}

#[test]
fn unsafe_usernames_and_passwords_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for (username, password, says) in [
        ("li", "", "密码至少"),
        ("li", "password123", "太常见"),
        ("liming", "liming-2026-x", "不得包含用户名"),
        ("admin\u{200B}", "马蹄湾-橘子-47-晴", "U+200B"),
        ("a b", "马蹄湾-橘子-47-晴", "用户名只能"),
    ] {
        let out = add(dir.path(), username, password);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{username:?}/{password:?} was accepted"
        );
        assert!(err.contains(says), "{username:?}/{password:?}: {err}");
    }
    // A good pair gets as far as the township, which does not exist yet.
    let out = add(dir.path(), "li", "马蹄湾-橘子-47-晴");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("乡镇“青峰乡”不存在"), "{err}");
}

/// `import … --datum`: villages given in BD-09 and households in GCJ-02 (as copied from Baidu
/// and AMap) are stored in WGS-84; an unknown coordinate system is refused before anything is
/// read.
#[tokio::test]
async fn imports_name_their_coordinate_system_and_are_stored_in_wgs84() {
    use zhucun_server::store::Store;
    use zhucun_shared::coords::Datum;
    use zhucun_shared::geometry::distance_m;
    use zhucun_shared::org::LatLon;
    let dir = tempfile::tempdir().unwrap();
    let (lat, lon, h) = (31.9, 107.2, 0.008);
    let ring = [
        [lon - h, lat - h],
        [lon + h, lat - h],
        [lon + h, lat + h],
        [lon - h, lat + h],
        [lon - h, lat - h],
    ];
    let villages = serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"村名": "青峰村"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}
    }]});
    let v = dir.path().join("村界.geojson");
    std::fs::write(&v, villages.to_string()).unwrap();
    let given = LatLon::new(31.9012, 107.2034);
    let hh = dir.path().join("农户.csv");
    std::fs::write(
        &hh,
        format!(
            "村名,户主,纬度,经度,类别\n青峰村,高德户,{},{},贫困户\n",
            given.lat, given.lon
        ),
    )
    .unwrap();
    let (v, hh) = (v.to_str().unwrap(), hh.to_str().unwrap());

    let out = zhucun(
        dir.path(),
        &[
            "import",
            "households",
            hh,
            "--township",
            "青峰乡",
            "--datum",
            "mars",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("坐标系须为"));
    for args in [
        &[
            "import",
            "villages",
            v,
            "--township",
            "青峰乡",
            "--county",
            "通江县",
            "--datum",
            "bd09",
        ][..],
        &[
            "import",
            "households",
            hh,
            "--township",
            "青峰乡",
            "--datum",
            "gcj02",
        ],
    ] {
        let out = zhucun(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {out:?}");
    }

    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("zhucun.sqlite").display()
    );
    let store = zhucun_server::open_store(&url).await.unwrap();
    let t = store.townships().await.unwrap().remove(0);
    let org = store.township_org(t.id).await.unwrap();
    let stored = org.households[0].location;
    assert!(
        distance_m(stored, Datum::Gcj02.to_wgs84(given)) < 1.0,
        "{stored:?}"
    );
    assert!(distance_m(stored, given) > 100.0);
    let corner = org.villages[0].boundary.0[0].exterior().0[0];
    let expected = Datum::Bd09.to_wgs84(LatLon::new(lat - h, lon - h));
    assert!(distance_m(LatLon::new(corner.y, corner.x), expected) < 1.0);
    store.close().await;
}

//! A database made by an earlier release migrates with its data, on each backend.

use crate::common::*;
use chrono::Utc;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;
use zhucun_server::store::{FileRow, Store, StoreError};
use zhucun_shared::ids::PersonId;
use zhucun_shared::plausibility::PhotoFacts;

/// The backend's migrations older than `version`, as the server compiles them in.
fn migrations_before(dir: &str, version: i64) -> Migrator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    let mut files: Vec<_> = std::fs::read_dir(path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let migrations = files
        .iter()
        .filter_map(|f| {
            let name = f.file_stem()?.to_str()?;
            let (v, description) = name.split_once('_')?;
            let v: i64 = v.parse().ok()?;
            (v < version).then(|| {
                Migration::new(
                    v,
                    Cow::Owned(description.replace('_', " ")),
                    MigrationType::Simple,
                    Cow::Owned(std::fs::read_to_string(f).unwrap()),
                    false,
                )
            })
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// A database at `url` made by the migrations before stored files became `files`, holding
/// what `seed` puts in it.
async fn make_old<DB>(url: &str, dir: &str, seed: &str)
where
    DB: sqlx::Database,
    DB::Connection: sqlx::migrate::Migrate,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let pool = sqlx::Pool::<DB>::connect(url).await.unwrap();
    migrations_before(dir, 20261205000000)
        .run(&pool)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql(seed).execute(&mut *conn).await.unwrap();
    drop(conn);
    pool.close().await;
}

/// A file stored before stored files had their own table (`photos`, version 20261204000000),
/// with its uploader: both there after the table became `files`, and its references follow it.
#[tokio::test]
async fn stored_files_survive_the_table_becoming_files() {
    for backend in backends() {
        let db = TestDb::new(&backend).await;
        let (uploader, colleague) = (PersonId::new(), PersonId::new());
        let sha = "ab".repeat(32);
        let township = uuid::Uuid::now_v7();
        let seed = [
            format!("INSERT INTO townships (id, name, county) VALUES ('{township}', '青峰乡', '通江县')"),
            format!("INSERT INTO people (id, name, township_id) VALUES ('{uploader}', '李明', '{township}')"),
            format!("INSERT INTO people (id, name, township_id) VALUES ('{colleague}', '王芳', '{township}')"),
            format!(
                "INSERT INTO photos (sha256, bytes, format, width, height, uploaded_by, uploaded_at) \
                 VALUES ('{sha}', 1234, 'pdf', 0, 0, '{uploader}', '2026-11-20T08:00:00Z')"
            ),
            format!(
                "INSERT INTO file_uploaders (sha256, person_id, uploaded_at) \
                 VALUES ('{sha}', '{uploader}', '2026-11-20T08:00:00Z')"
            ),
        ];
        let seed = seed.join(";\n");
        match &backend {
            Backend::Sqlite => make_old::<sqlx::Sqlite>(&db.url, "sqlite", &seed).await,
            Backend::Postgres(_) => make_old::<sqlx::Postgres>(&db.url, "postgres", &seed).await,
        }

        let store = db.open().await;
        let row = store.file(&sha).await.unwrap().expect("the old file");
        assert_eq!(
            (row.bytes, row.format.as_str()),
            (1234, "pdf"),
            "{backend:?}"
        );
        assert_eq!(row.uploaded_by, uploader, "{backend:?}");
        assert!(store.is_file_uploader(&sha, uploader).await.unwrap());
        // The uploaders' table refers to the renamed table: a second uploader of the old file
        // is recorded, an uploader of a file never stored is refused.
        store
            .add_file_uploader(&sha, colleague, Utc::now())
            .await
            .unwrap();
        assert!(store.is_file_uploader(&sha, colleague).await.unwrap());
        let unknown = "cd".repeat(32);
        assert!(
            matches!(
                store
                    .add_file_uploader(&unknown, colleague, Utc::now())
                    .await,
                Err(StoreError::Missing(_))
            ),
            "{backend:?}"
        );
        // New files go to the same table.
        let new = "ef".repeat(32);
        store
            .put_file(&FileRow {
                sha256: new.clone(),
                bytes: 10,
                format: "jpeg".into(),
                width: 4,
                height: 3,
                facts: PhotoFacts::default(),
                uploaded_by: colleague,
                uploaded_at: Utc::now(),
            })
            .await
            .unwrap();
        let held = store
            .held_files(colleague, &[sha.clone(), new.clone()])
            .await
            .unwrap();
        assert_eq!(held.len(), 2, "{backend:?}");
        store.close().await;
        db.cleanup().await;
    }
}

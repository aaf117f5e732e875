//! A fresh database for a benchmark run: SQLite in a directory, or a schema of its own on the
//! PostgreSQL server named by ZHUCUN_TEST_PG_URL. Each bench uses what it needs of it.
#![allow(dead_code)]

/// The backends to measure: SQLite always, PostgreSQL when ZHUCUN_TEST_PG_URL is set.
/// ZHUCUN_BENCH_ONLY=sqlite or =postgresql keeps one of them, for a size whose run on both
/// would not fit in one sitting.
pub fn backends() -> Vec<(&'static str, Option<String>)> {
    let mut runs = vec![("SQLite", None)];
    if let Ok(url) = std::env::var("ZHUCUN_TEST_PG_URL") {
        if !url.trim().is_empty() {
            runs.push(("PostgreSQL", Some(url)));
        }
    }
    match std::env::var("ZHUCUN_BENCH_ONLY") {
        Ok(only) if !only.trim().is_empty() => {
            runs.retain(|(name, _)| name.eq_ignore_ascii_case(only.trim()));
            assert!(
                !runs.is_empty(),
                "ZHUCUN_BENCH_ONLY={only}: no such backend here (sqlite, or postgresql with ZHUCUN_TEST_PG_URL set)"
            );
            runs
        }
        _ => runs,
    }
}

/// A fresh database on `pg` (a schema of its own) or SQLite in `dir`; answers its URL and what
/// to drop afterwards.
pub async fn fresh(
    pg: Option<&str>,
    dir: &std::path::Path,
    name: &str,
) -> (String, Option<String>) {
    match pg {
        None => (
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("{name}.sqlite")).display()
            ),
            None,
        ),
        Some(base) => {
            let schema = format!("zb_{}", uuid::Uuid::now_v7().simple());
            let pool = sqlx::PgPool::connect(base).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            let sep = if base.contains('?') { '&' } else { '?' };
            (
                format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                Some(schema),
            )
        }
    }
}

/// Drops the schema [`fresh`] made on PostgreSQL.
pub async fn drop_schema(pg: Option<&str>, schema: Option<String>) {
    if let (Some(base), Some(schema)) = (pg, schema) {
        let pool = sqlx::PgPool::connect(base).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

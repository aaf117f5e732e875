//! `zhucun-server export`: a township's documents for a month, written as files.

use super::{
    file_name, generate_in, render, township_ledgers, Batch, DocumentKind, Format, LedgerError,
};
use crate::app::AppState;
use crate::store::Store;
use chrono::{Datelike, Duration};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zhucun_shared::period::{local_date, Period};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("未知文书 `{0}`：可选 liaison-ledger、attendance、work-log、pairing-ledger、five-ones、compliance 或 all")]
    UnknownDocument(String),
    #[error("格式须为 xlsx 或 csv，而非 `{0}`")]
    UnknownFormat(String),
    #[error("月份须为 YYYY-MM，而非 `{0}`")]
    BadMonth(String),
    #[error("未找到乡镇：{0}")]
    UnknownTownship(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("写入 {path}：{source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What to export: `document` is a kind's name or `all`, `month` `YYYY-MM` (last month when
/// absent).
pub struct ExportRequest<'a> {
    pub document: &'a str,
    pub township: &'a str,
    pub month: Option<&'a str>,
    pub format: &'a str,
    pub out: &'a Path,
}

/// Writes the documents into `out`, calling `progress(done, total)` after each; answers the
/// files written.
pub async fn export(
    state: &AppState,
    req: ExportRequest<'_>,
    mut progress: impl FnMut(u64, u64, &str),
) -> Result<Vec<PathBuf>, ExportError> {
    let kind = match req.document {
        "all" => None,
        d => {
            Some(DocumentKind::from_slug(d).ok_or_else(|| ExportError::UnknownDocument(d.into()))?)
        }
    };
    let format = Format::from_name(req.format)
        .ok_or_else(|| ExportError::UnknownFormat(req.format.into()))?;
    let now = state.clock.now();
    let today = local_date(now);
    let month = match req.month {
        None => {
            let last = today.with_day(1).expect("day 1 exists") - Duration::days(1);
            Period::month(last.year(), last.month())
        }
        Some(m) => match m.parse::<Period>() {
            Ok(p @ Period::Month { .. }) => p,
            _ => return Err(ExportError::BadMonth(m.into())),
        },
    };
    let township = state
        .store
        .townships()
        .await
        .map_err(LedgerError::from)?
        .into_iter()
        .find(|t| t.name == req.township)
        .ok_or_else(|| ExportError::UnknownTownship(req.township.into()))?;
    let org = Arc::new(
        state
            .store
            .township_org(township.id)
            .await
            .map_err(LedgerError::from)?,
    );
    std::fs::create_dir_all(req.out).map_err(|source| ExportError::Io {
        path: req.out.to_path_buf(),
        source,
    })?;
    let ledgers = township_ledgers(&org, &township, kind, month, today);
    let total = ledgers.len() as u64;
    let mut written = Vec::new();
    progress(0, total, "");
    // One generation: each team's records, photo facts and reports read once for all documents.
    let mut batch = Batch::default();
    for (i, ledger) in ledgers.into_iter().enumerate() {
        let doc = generate_in(state, org.clone(), &township, ledger, now, &mut batch).await?;
        let bytes = render(&doc, ledger.kind(), format)?;
        let path = req.out.join(file_name(&doc, format));
        std::fs::write(&path, bytes).map_err(|source| ExportError::Io {
            path: path.clone(),
            source,
        })?;
        progress(i as u64 + 1, total, &doc.file_stem);
        written.push(path);
    }
    Ok(written)
}

//! Importing what township offices keep: village boundaries as GeoJSON, households and pairings
//! as CSV or XLSX spreadsheets with Chinese headers. Every row is checked before anything is
//! written, and a file is written in one transaction: a bad row names the file, the row and the
//! column, and nothing of the file is imported.

use crate::store::{Org, Store, StoreError};
use calamine::{Data, Reader};
use chrono::{Duration, NaiveDate};
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::path::Path;
use zhucun_shared::ids::*;
use zhucun_shared::org::{Household, HouseholdCategory, LatLon, Pairing, Township, Village};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Format { file: String, message: String },
    #[error("{file}: 缺少“{column}”列")]
    MissingColumn { file: String, column: String },
    #[error("{file} 第 {row} 行，“{column}”列：{problem}")]
    Row {
        file: String,
        row: usize,
        column: String,
        problem: String,
    },
    #[error("乡镇“{0}”不存在，请先导入其村界")]
    UnknownTownship(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A spreadsheet: its header row and data rows, each with its row number in the file.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub file: String,
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Each row, with what an error about one of its cells must name.
    fn row_ctxs(&self) -> impl Iterator<Item = RowCtx<'_>> {
        self.rows.iter().map(|(row, cells)| RowCtx {
            file: &self.file,
            row: *row,
            headers: &self.headers,
            cells,
        })
    }

    /// The index of the first header among `names`.
    fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| {
            let h = h.trim().trim_start_matches('\u{feff}');
            names.iter().any(|n| h.eq_ignore_ascii_case(n))
        })
    }

    fn require(&self, names: &[&str]) -> Result<usize, ImportError> {
        self.column(names)
            .ok_or_else(|| ImportError::MissingColumn {
                file: self.file.clone(),
                column: names[0].to_string(),
            })
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads a CSV (UTF-8, optionally with BOM) or an XLSX/XLS/ODS file (first sheet).
pub fn read_table(path: &Path) -> Result<Table, ImportError> {
    let file = file_name(path);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => {
            let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
                file: file.clone(),
                source,
            })?;
            let text = std::str::from_utf8(&bytes).map_err(|_| ImportError::Format {
                file: file.clone(),
                message: "不是 UTF-8 编码的 CSV（请在 Excel 中另存为“CSV UTF-8”）".into(),
            })?;
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
            let headers = reader
                .headers()
                .map_err(|e| ImportError::Format {
                    file: file.clone(),
                    message: e.to_string(),
                })?
                .iter()
                .map(str::to_string)
                .collect();
            let mut rows = Vec::new();
            for (i, rec) in reader.records().enumerate() {
                let rec = rec.map_err(|e| ImportError::Row {
                    file: file.clone(),
                    row: i + 2,
                    column: "-".into(),
                    problem: e.to_string(),
                })?;
                let line = rec.position().map(|p| p.line() as usize).unwrap_or(i + 2);
                rows.push((line, rec.iter().map(str::to_string).collect()));
            }
            Ok(Table {
                file,
                headers,
                rows,
            })
        }
        "xlsx" | "xlsm" | "xls" | "ods" => {
            let mut book = calamine::open_workbook_auto(path).map_err(|e| ImportError::Format {
                file: file.clone(),
                message: e.to_string(),
            })?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| ImportError::Format {
                    file: file.clone(),
                    message: "没有工作表".into(),
                })?
                .map_err(|e| ImportError::Format {
                    file: file.clone(),
                    message: e.to_string(),
                })?;
            let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
            let mut rows = range.rows().enumerate().map(|(i, cells)| {
                (
                    first_row + i + 1,
                    cells.iter().map(cell_text).collect::<Vec<_>>(),
                )
            });
            let headers = rows.next().map(|(_, h)| h).unwrap_or_default();
            let rows = rows
                .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
                .collect();
            Ok(Table {
                file,
                headers,
                rows,
            })
        }
        _ => Err(ImportError::Format {
            file,
            message: "只支持 .csv、.xlsx、.xls、.ods 文件".into(),
        }),
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // Excel keeps dates as days since 1899-12-30.
        Data::DateTime(dt) => {
            let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
            (epoch + Duration::days(dt.as_f64().floor() as i64)).to_string()
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

struct RowCtx<'a> {
    file: &'a str,
    row: usize,
    headers: &'a [String],
    cells: &'a [String],
}

impl RowCtx<'_> {
    fn get(&self, col: usize) -> &str {
        self.cells.get(col).map(|s| s.trim()).unwrap_or("")
    }
    fn fail(&self, col: usize, problem: impl Into<String>) -> ImportError {
        ImportError::Row {
            file: self.file.to_string(),
            row: self.row,
            column: self.headers.get(col).cloned().unwrap_or_default(),
            problem: problem.into(),
        }
    }
    fn text(&self, col: usize, max: usize) -> Result<String, ImportError> {
        let v = self.get(col);
        if v.is_empty() {
            return Err(self.fail(col, "不能为空"));
        }
        if v.chars().count() > max {
            return Err(self.fail(col, format!("超过 {max} 个字符")));
        }
        Ok(v.to_string())
    }
    fn number(&self, col: usize, range: std::ops::RangeInclusive<f64>) -> Result<f64, ImportError> {
        let v = self.get(col);
        let n: f64 = v
            .parse()
            .map_err(|_| self.fail(col, format!("“{v}”不是数字")))?;
        if !n.is_finite() || !range.contains(&n) {
            return Err(self.fail(
                col,
                format!("{n} 超出范围 {}..{}", range.start(), range.end()),
            ));
        }
        Ok(n)
    }
    fn date(&self, col: usize) -> Result<NaiveDate, ImportError> {
        let v = self.get(col);
        ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(v, f).ok())
            .ok_or_else(|| self.fail(col, format!("“{v}”不是日期（如 2026-11-01）")))
    }
}

async fn township_org<S: Store>(store: &S, name: &str) -> Result<Org, ImportError> {
    let t = store
        .townships()
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ImportError::UnknownTownship(name.to_string()))?;
    Ok(store.township_org(t.id).await?)
}

fn progress(bar: &ProgressBar, len: usize, what: &str) {
    bar.set_length(len as u64);
    bar.set_position(0);
    bar.set_message(what.to_string());
}

/// Villages from a GeoJSON FeatureCollection. A village already known by name in the township
/// keeps its id and gets the new boundary.
pub async fn import_villages<S: Store>(
    store: &S,
    path: &Path,
    township: &str,
    county: &str,
    bar: &ProgressBar,
) -> Result<usize, ImportError> {
    let file = file_name(path);
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        file: file.clone(),
        source,
    })?;
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| ImportError::Format {
            file: file.clone(),
            message: format!("不是有效的 GeoJSON：{e}"),
        })?;
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        return Err(ImportError::Format {
            file,
            message: "须为 FeatureCollection".into(),
        });
    };
    let existing = store
        .townships()
        .await?
        .into_iter()
        .find(|t| t.name == township);
    let township = existing.unwrap_or_else(|| Township {
        id: TownshipId::new(),
        name: township.to_string(),
        county: county.to_string(),
    });
    let known = store.township_org(township.id).await?;
    progress(bar, fc.features.len(), "村界");
    let mut villages: Vec<Village> = Vec::new();
    for (i, f) in fc.features.iter().enumerate() {
        let row = i + 1;
        let fail = |column: &str, problem: String| ImportError::Row {
            file: file.clone(),
            row,
            column: column.to_string(),
            problem,
        };
        let prop = |names: &[&str]| names.iter().find_map(|n| f.property(n)).cloned();
        let name = match prop(&["村名", "name", "NAME", "名称"]) {
            Some(serde_json::Value::String(s))
                if !s.trim().is_empty() && s.chars().count() <= 50 =>
            {
                s.trim().to_string()
            }
            _ => {
                return Err(fail(
                    "村名",
                    "缺少村名（properties.村名 或 name），或超过 50 字".into(),
                ))
            }
        };
        let flag = |names: &[&str]| match prop(names) {
            Some(serde_json::Value::Bool(b)) => b,
            Some(serde_json::Value::String(s)) => matches!(s.trim(), "是" | "true" | "1" | "yes"),
            Some(serde_json::Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        };
        let code = match prop(&["代码", "code", "行政区划代码"]) {
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let geometry = f
            .geometry
            .as_ref()
            .ok_or_else(|| fail("geometry", "缺少村界".into()))?;
        let boundary: geo::MultiPolygon<f64> =
            match geo::Geometry::<f64>::try_from(geometry.clone()) {
                Ok(geo::Geometry::Polygon(p)) => geo::MultiPolygon(vec![p]),
                Ok(geo::Geometry::MultiPolygon(mp)) => mp,
                _ => return Err(fail("geometry", "须为 Polygon 或 MultiPolygon".into())),
            };
        let coords_ok = boundary.0.iter().all(|p| {
            p.exterior().0.len() >= 4
                && p.exterior()
                    .0
                    .iter()
                    .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
                    .all(|c| LatLon::new(c.y, c.x).is_valid())
        });
        if boundary.0.is_empty() || !coords_ok {
            return Err(fail("geometry", "坐标超出经纬度范围或多边形不完整".into()));
        }
        if villages.iter().any(|v| v.name == name) {
            return Err(fail("村名", format!("“{name}”在文件中出现两次")));
        }
        let id = known
            .villages
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.id)
            .unwrap_or_default();
        villages.push(Village {
            id,
            township_id: township.id,
            name,
            code,
            boundary,
            poor: flag(&["贫困村", "poor"]),
            exiting_this_year: flag(&["当年脱贫", "exiting", "exiting_this_year"]),
        });
        bar.inc(1);
    }
    let n = villages.len();
    store
        .put_org(&Org {
            townships: vec![township],
            villages,
            ..Org::default()
        })
        .await?;
    Ok(n)
}

fn categories(s: &str) -> Result<Vec<HouseholdCategory>, String> {
    let mut out = Vec::new();
    for part in s
        .split(['、', ',', '，', ';', '；', '/', '|', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let c = HouseholdCategory::from_code(part).ok_or_else(|| {
            format!("未知类别“{part}”（可用：贫困户、党员家庭、困难家庭、危重病人家庭、空巢老人及留守儿童家庭）")
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// Households from a spreadsheet. A household already known (same village and head) keeps its id.
pub fn households_from_table(
    table: &Table,
    org: &Org,
    bar: &ProgressBar,
) -> Result<Vec<Household>, ImportError> {
    let village_col = table.require(&["村名", "村", "行政村", "village"])?;
    let head_col = table.require(&["户主", "户主姓名", "head_name"])?;
    let lat_col = table.require(&["纬度", "lat", "latitude"])?;
    let lon_col = table.require(&["经度", "lon", "longitude"])?;
    let cat_col = table.require(&["类别", "户类别", "categories"])?;
    let members_col = table.column(&["人口", "家庭人口", "人数", "members"]);
    progress(bar, table.rows.len(), "农户");
    let mut out: Vec<Household> = Vec::with_capacity(table.rows.len());
    for r in table.row_ctxs() {
        let village_name = r.text(village_col, 50)?;
        let village = org
            .villages
            .iter()
            .find(|v| v.name == village_name)
            .ok_or_else(|| r.fail(village_col, format!("本乡镇没有“{village_name}”")))?;
        let head_name = r.text(head_col, 50)?;
        let lat = r.number(lat_col, -90.0..=90.0)?;
        let lon = r.number(lon_col, -180.0..=180.0)?;
        let categories = categories(r.get(cat_col)).map_err(|p| r.fail(cat_col, p))?;
        let members = match members_col {
            Some(c) if !r.get(c).is_empty() => r.number(c, 1.0..=100.0)? as u32,
            _ => 1,
        };
        if out
            .iter()
            .any(|h| h.village_id == village.id && h.head_name == head_name)
        {
            return Err(r.fail(head_col, format!("“{head_name}”在本村重复")));
        }
        let id = org
            .households
            .iter()
            .find(|h| h.village_id == village.id && h.head_name == head_name)
            .map(|h| h.id)
            .unwrap_or_default();
        out.push(Household {
            id,
            village_id: village.id,
            head_name,
            location: LatLon::new(lat, lon),
            categories,
            members,
        });
        bar.inc(1);
    }
    Ok(out)
}

pub async fn import_households<S: Store>(
    store: &S,
    path: &Path,
    township: &str,
    bar: &ProgressBar,
) -> Result<usize, ImportError> {
    let table = read_table(path)?;
    let org = township_org(store, township).await?;
    let households = households_from_table(&table, &org, bar)?;
    let n = households.len();
    store
        .put_org(&Org {
            households,
            ..Org::default()
        })
        .await?;
    Ok(n)
}

/// Pairings from a spreadsheet: the cadre by username, the household by village and head.
pub async fn import_pairings<S: Store>(
    store: &S,
    path: &Path,
    township: &str,
    bar: &ProgressBar,
) -> Result<usize, ImportError> {
    let table = read_table(path)?;
    let org = township_org(store, township).await?;
    let cadre_col = table.require(&["帮扶责任人", "帮扶干部", "username"])?;
    let village_col = table.require(&["村名", "村", "village"])?;
    let head_col = table.require(&["户主", "户主姓名", "head_name"])?;
    let start_col = table.column(&["开始日期", "starts_on"]);
    let end_col = table.column(&["结束日期", "ends_on"]);
    progress(bar, table.rows.len(), "结对");
    let mut users: HashMap<String, Option<PersonId>> = HashMap::new();
    let mut pairings: Vec<Pairing> = Vec::new();
    for r in table.row_ctxs() {
        let who = r.text(cadre_col, 64)?;
        if !users.contains_key(&who) {
            let by_user = store.user_by_username(&who).await?.map(|u| u.person_id);
            // Offices write names more often than usernames: accept a name unique in the township.
            let by_name = || {
                let mut same = org.people.iter().filter(|p| p.name == who);
                match (same.next(), same.next()) {
                    (Some(p), None) => Some(p.id),
                    _ => None,
                }
            };
            users.insert(who.clone(), by_user.or_else(by_name));
        }
        let person = users[&who]
            .filter(|p| org.person(*p).is_some())
            .ok_or_else(|| r.fail(cadre_col, format!("本乡镇没有用户名或姓名为“{who}”的干部")))?;
        let village_name = r.text(village_col, 50)?;
        let village = org
            .villages
            .iter()
            .find(|v| v.name == village_name)
            .ok_or_else(|| r.fail(village_col, format!("本乡镇没有“{village_name}”")))?;
        let head = r.text(head_col, 50)?;
        let household = org
            .households
            .iter()
            .find(|h| h.village_id == village.id && h.head_name == head)
            .ok_or_else(|| r.fail(head_col, format!("{village_name}没有户主为“{head}”的农户")))?;
        let starts_on = match start_col {
            Some(c) if !r.get(c).is_empty() => r.date(c)?,
            // Today in China, not in UTC (before 08:00 they differ).
            _ => zhucun_shared::period::local_date(chrono::Utc::now()),
        };
        let ends_on = match end_col {
            Some(c) if !r.get(c).is_empty() => Some(r.date(c)?),
            _ => None,
        };
        if ends_on.is_some_and(|e| e < starts_on) {
            return Err(r.fail(end_col.unwrap_or(0), "结束日期早于开始日期"));
        }
        let id = org
            .pairings
            .iter()
            .find(|p| p.person_id == person && p.household_id == household.id)
            .map(|p| p.id)
            .unwrap_or_default();
        pairings.push(Pairing {
            id,
            person_id: person,
            household_id: household.id,
            starts_on,
            ends_on,
        });
        bar.inc(1);
    }
    let n = pairings.len();
    store
        .put_org(&Org {
            pairings,
            ..Org::default()
        })
        .await?;
    Ok(n)
}

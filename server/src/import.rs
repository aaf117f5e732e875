//! Importing what township offices keep: village boundaries as GeoJSON, households and pairings
//! as CSV or XLSX spreadsheets with Chinese headers, for the command line and the console alike.
//! A file names its coordinate system (WGS-84, or GCJ-02 / BD-09 as copied from AMap, Tencent
//! or Baidu maps); positions are stored in WGS-84. Every row is checked into a plan before
//! anything is written — every bad row named by file, row and column, and then nothing of the
//! file is imported — and a plan is written in one transaction.

use crate::office::MovedBy;
use crate::store::{AnyStore, Org, Store, StoreError};
use calamine::{Data, Reader};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use geo::MapCoords;
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::path::Path;
use zhucun_shared::coords::Datum;
use zhucun_shared::geometry::distance_m;
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
    /// Several rows are wrong: each named (row and column), in file order.
    #[error("{}", many(.0))]
    Many(Vec<ImportError>),
}

fn many(errors: &[ImportError]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    format!("{} 处错误：\n{}", errors.len(), lines.join("\n"))
}

/// At most this many row errors are listed; a file with more is wrong throughout.
pub const MAX_ERRORS: usize = 200;

impl ImportError {
    /// Each error on its own: the rows of [`ImportError::Many`], or this one.
    pub fn each(&self) -> Vec<&ImportError> {
        match self {
            ImportError::Many(v) => v.iter().collect(),
            e => vec![e],
        }
    }
}

/// Row errors gathered over a whole file: one is returned as itself, several as
/// [`ImportError::Many`].
#[derive(Default)]
struct Errors(Vec<ImportError>);

impl Errors {
    /// Keeps the error of `r`, if any, and answers its value.
    fn keep<T>(&mut self, r: Result<T, ImportError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                if self.0.len() < MAX_ERRORS {
                    self.0.push(e);
                }
                None
            }
        }
    }
    fn done(mut self) -> Result<(), ImportError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.remove(0)),
            _ => Err(ImportError::Many(self.0)),
        }
    }
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
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        file: file.clone(),
        source,
    })?;
    table_from_bytes(&file, &bytes)
}

/// A table from the bytes of a file named `file` (its extension tells CSV from a workbook):
/// what a browser uploads.
pub fn table_from_bytes(file: &str, bytes: &[u8]) -> Result<Table, ImportError> {
    let file = file.to_string();
    let ext = Path::new(&file)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => {
            let text = std::str::from_utf8(bytes).map_err(|_| ImportError::Format {
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
            let mut book =
                calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
                    .map_err(|e| ImportError::Format {
                        file: file.clone(),
                        message: format!("无法读取表格：{e}"),
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

async fn township_org(store: &AnyStore, name: &str) -> Result<Org, ImportError> {
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

/// What a row of a file does to what is stored.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Something new.
    Create,
    /// Something known, changed as described.
    Update(Vec<String>),
    /// Something known, as it is.
    Same,
}

/// One row of a file and what it does.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanLine {
    /// The row (spreadsheets) or feature (GeoJSON, from 1) it comes from.
    pub row: usize,
    /// What it names: a village, a household (村 · 户主), a pairing (干部 → 户).
    pub subject: String,
    pub change: Change,
}

/// A checked file: what it will write and, row by row, what that changes. Nothing is written
/// until [`apply`]; a file with any bad row has no plan (its errors instead).
#[derive(Clone, Debug)]
pub struct ImportPlan {
    /// The township the file is for.
    pub township: Township,
    /// Whether the township is new (a villages file for a township not yet known).
    pub new_township: bool,
    /// What will be written: the villages, households or pairings of the file.
    pub org: Org,
    pub lines: Vec<PlanLine>,
}

impl ImportPlan {
    /// An empty plan for the township whose organisation is `org`.
    fn of(org: &Org) -> Result<Self, ImportError> {
        let township = org
            .townships
            .first()
            .cloned()
            .ok_or_else(|| ImportError::Store(StoreError::Missing("township".into())))?;
        Ok(ImportPlan {
            township,
            new_township: false,
            org: Org::default(),
            lines: Vec::new(),
        })
    }

    pub fn created(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.change == Change::Create)
            .count()
    }
    pub fn updated(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l.change, Change::Update(_)))
            .count()
    }
    /// How many rows the file has.
    pub fn len(&self) -> usize {
        self.lines.len()
    }
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Writes `plan` in one transaction: all of it or nothing. Households moved by it keep their
/// earlier position in their history, stamped `by` (none: the command line) and `at`. Answers
/// how many rows were written.
pub async fn apply(
    store: &AnyStore,
    plan: &ImportPlan,
    by: Option<PersonId>,
    at: DateTime<Utc>,
) -> Result<usize, ImportError> {
    if !plan.org.households.is_empty() {
        crate::office::put_households(store, &plan.org.households, by, MovedBy::Import, at).await?;
    } else {
        let mut org = plan.org.clone();
        if !plan.org.villages.is_empty() {
            org.townships = vec![plan.township.clone()];
        }
        store.put_org(&org).await?;
    }
    Ok(plan.len())
}

/// Checks a villages GeoJSON text of the file `file`, for `township` whose organisation so far
/// is `known` (empty for a new township). Boundaries given in `datum` are kept in WGS-84. A
/// village already known by name keeps its id and gets the new boundary.
pub fn plan_villages(
    file: &str,
    text: &str,
    township: Township,
    new_township: bool,
    known: &Org,
    datum: Datum,
    bar: &ProgressBar,
) -> Result<ImportPlan, ImportError> {
    let file = file.to_string();
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
    progress(bar, fc.features.len(), "村界");
    let mut errors = Errors::default();
    let mut plan = ImportPlan {
        township: township.clone(),
        new_township,
        org: Org::default(),
        lines: Vec::new(),
    };
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
                Ok(s.trim().to_string())
            }
            _ => Err(fail(
                "村名",
                "缺少村名（properties.村名 或 name），或超过 50 字".into(),
            )),
        };
        let Some(name) = errors.keep(name) else {
            continue;
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
        let boundary = match f.geometry.as_ref() {
            None => Err(fail("geometry", "缺少村界".into())),
            Some(g) => match geo::Geometry::<f64>::try_from(g.clone()) {
                Ok(geo::Geometry::Polygon(p)) => Ok(geo::MultiPolygon(vec![p])),
                Ok(geo::Geometry::MultiPolygon(mp)) => Ok(mp),
                _ => Err(fail("geometry", "须为 Polygon 或 MultiPolygon".into())),
            },
        };
        let Some(boundary) = errors.keep(boundary) else {
            continue;
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
            errors.keep::<()>(Err(fail(
                "geometry",
                "坐标超出经纬度范围或多边形不完整".into(),
            )));
            continue;
        }
        if plan.org.villages.iter().any(|v| v.name == name) {
            errors.keep::<()>(Err(fail("村名", format!("“{name}”在文件中出现两次"))));
            continue;
        }
        let boundary = boundary.map_coords(|c| {
            let p = datum.to_wgs84(LatLon::new(c.y, c.x));
            geo::coord! { x: p.lon, y: p.lat }
        });
        let old = known.villages.iter().find(|v| v.name == name);
        let village = Village {
            id: old.map(|v| v.id).unwrap_or_default(),
            township_id: township.id,
            name: name.clone(),
            code,
            boundary,
            poor: flag(&["贫困村", "poor"]),
            exiting_this_year: flag(&["当年脱贫", "exiting", "exiting_this_year"]),
        };
        let change = match old {
            None => Change::Create,
            Some(o) => {
                let mut what = Vec::new();
                if o.boundary != village.boundary {
                    what.push("村界".to_string());
                }
                if o.code != village.code {
                    what.push("代码".to_string());
                }
                if o.poor != village.poor || o.exiting_this_year != village.exiting_this_year {
                    what.push("贫困村标记".to_string());
                }
                if what.is_empty() {
                    Change::Same
                } else {
                    Change::Update(what)
                }
            }
        };
        plan.lines.push(PlanLine {
            row,
            subject: name,
            change,
        });
        plan.org.villages.push(village);
        bar.inc(1);
    }
    errors.done()?;
    Ok(plan)
}

/// Villages from a GeoJSON FeatureCollection whose coordinates are in `datum`. A village
/// already known by name in the township keeps its id and gets the new boundary; a township
/// not yet known is created in `county`.
pub async fn import_villages(
    store: &AnyStore,
    path: &Path,
    township: &str,
    county: &str,
    datum: Datum,
    bar: &ProgressBar,
) -> Result<usize, ImportError> {
    let file = file_name(path);
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        file: file.clone(),
        source,
    })?;
    let existing = store
        .townships()
        .await?
        .into_iter()
        .find(|t| t.name == township);
    let new_township = existing.is_none();
    let township = existing.unwrap_or_else(|| Township {
        id: TownshipId::new(),
        name: township.to_string(),
        county: county.to_string(),
    });
    let known = store.township_org(township.id).await?;
    let plan = plan_villages(&file, &text, township, new_township, &known, datum, bar)?;
    apply(store, &plan, None, Utc::now()).await
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

/// Checks a households table against the township's organisation `org`; positions given in
/// `datum` are kept in WGS-84. A household already known (same village and head) keeps its id.
pub fn plan_households(
    table: &Table,
    org: &Org,
    datum: Datum,
    bar: &ProgressBar,
) -> Result<ImportPlan, ImportError> {
    let village_col = table.require(&["村名", "村", "行政村", "village"])?;
    let head_col = table.require(&["户主", "户主姓名", "head_name"])?;
    let lat_col = table.require(&["纬度", "lat", "latitude"])?;
    let lon_col = table.require(&["经度", "lon", "longitude"])?;
    let cat_col = table.require(&["类别", "户类别", "categories"])?;
    let members_col = table.column(&["人口", "家庭人口", "人数", "members"]);
    let group_col = table.column(&["村民小组", "小组", "组别", "group"]);
    progress(bar, table.rows.len(), "农户");
    let mut errors = Errors::default();
    let mut plan = ImportPlan::of(org)?;
    for r in table.row_ctxs() {
        // Every cell is checked, so that one look at the preview names every mistake.
        let village = errors.keep(r.text(village_col, 50).and_then(|name| {
            org.villages
                .iter()
                .find(|v| v.name == name)
                .ok_or_else(|| r.fail(village_col, format!("本乡镇没有“{name}”")))
        }));
        let head_name = errors.keep(r.text(head_col, 50));
        let lat = errors.keep(r.number(lat_col, -90.0..=90.0));
        let lon = errors.keep(r.number(lon_col, -180.0..=180.0));
        let cats = errors.keep(categories(r.get(cat_col)).map_err(|p| r.fail(cat_col, p)));
        let members = errors.keep(match members_col {
            Some(c) if !r.get(c).is_empty() => r.number(c, 1.0..=100.0).map(|n| n as u32),
            _ => Ok(1),
        });
        // 村民小组: optional; a blank cell is no group.
        let group = match group_col {
            Some(c) if !r.get(c).trim().is_empty() => errors.keep(r.text(c, 20)).map(Some),
            _ => Some(None),
        };
        let (
            Some(village),
            Some(head_name),
            Some(lat),
            Some(lon),
            Some(categories),
            Some(members),
            Some(group),
        ) = (village, head_name, lat, lon, cats, members, group)
        else {
            continue;
        };
        if plan
            .org
            .households
            .iter()
            .any(|h| h.village_id == village.id && h.head_name == head_name)
        {
            errors.keep::<()>(Err(r.fail(head_col, format!("“{head_name}”在本村重复"))));
            continue;
        }
        let old = org
            .households
            .iter()
            .find(|h| h.village_id == village.id && h.head_name == head_name);
        let household = Household {
            id: old.map(|h| h.id).unwrap_or_default(),
            village_id: village.id,
            head_name: head_name.clone(),
            location: datum.to_wgs84(LatLon::new(lat, lon)),
            categories,
            members,
            group,
        };
        let change = match old {
            None => Change::Create,
            Some(o) => {
                let mut what = Vec::new();
                let moved = distance_m(o.location, household.location);
                if moved >= 0.5 {
                    what.push(format!("位置移动 {moved:.0} 米"));
                }
                if o.categories != household.categories {
                    what.push("类别".to_string());
                }
                if o.members != household.members {
                    what.push(format!("人口 {} → {}", o.members, household.members));
                }
                if what.is_empty() {
                    Change::Same
                } else {
                    Change::Update(what)
                }
            }
        };
        plan.lines.push(PlanLine {
            row: r.row,
            subject: format!("{} · {}", village.name, head_name),
            change,
        });
        plan.org.households.push(household);
        bar.inc(1);
    }
    errors.done()?;
    Ok(plan)
}

/// Households from a spreadsheet whose positions are in `datum`.
pub async fn import_households(
    store: &AnyStore,
    path: &Path,
    township: &str,
    datum: Datum,
    bar: &ProgressBar,
) -> Result<usize, ImportError> {
    let table = read_table(path)?;
    let org = township_org(store, township).await?;
    let plan = plan_households(&table, &org, datum, bar)?;
    apply(store, &plan, None, Utc::now()).await
}

/// Checks a pairings table against the township's organisation `org`: the cadre by username
/// (or a name unique in the township), the household by village and head. A pairing without a
/// start date starts `today`.
pub async fn plan_pairings(
    store: &AnyStore,
    table: &Table,
    org: &Org,
    today: NaiveDate,
    bar: &ProgressBar,
) -> Result<ImportPlan, ImportError> {
    let cadre_col = table.require(&["帮扶责任人", "帮扶干部", "username"])?;
    let village_col = table.require(&["村名", "村", "village"])?;
    let head_col = table.require(&["户主", "户主姓名", "head_name"])?;
    let start_col = table.column(&["开始日期", "starts_on"]);
    let end_col = table.column(&["结束日期", "ends_on"]);
    progress(bar, table.rows.len(), "结对");
    let mut users: HashMap<String, Option<PersonId>> = HashMap::new();
    let mut errors = Errors::default();
    let mut plan = ImportPlan::of(org)?;
    for r in table.row_ctxs() {
        let who = errors.keep(r.text(cadre_col, 64));
        let mut person = None;
        if let Some(who) = &who {
            if !users.contains_key(who) {
                let by_user = store.user_by_username(who).await?.map(|u| u.person_id);
                // Offices write names more often than usernames: accept a name unique in the
                // township.
                let by_name = || {
                    let mut same = org.people.iter().filter(|p| &p.name == who);
                    match (same.next(), same.next()) {
                        (Some(p), None) => Some(p.id),
                        _ => None,
                    }
                };
                users.insert(who.clone(), by_user.or_else(by_name));
            }
            person = errors.keep(users[who].filter(|p| org.person(*p).is_some()).ok_or_else(
                || r.fail(cadre_col, format!("本乡镇没有用户名或姓名为“{who}”的干部")),
            ));
        }
        let village = errors.keep(r.text(village_col, 50).and_then(|name| {
            org.villages
                .iter()
                .find(|v| v.name == name)
                .ok_or_else(|| r.fail(village_col, format!("本乡镇没有“{name}”")))
        }));
        let head = errors.keep(r.text(head_col, 50));
        let household = match (village, &head) {
            (Some(village), Some(head)) => errors.keep(
                org.households
                    .iter()
                    .find(|h| h.village_id == village.id && &h.head_name == head)
                    .ok_or_else(|| {
                        r.fail(
                            head_col,
                            format!("{}没有户主为“{head}”的农户", village.name),
                        )
                    }),
            ),
            _ => None,
        };
        let starts_on = errors.keep(match start_col {
            Some(c) if !r.get(c).is_empty() => r.date(c),
            _ => Ok(today),
        });
        let ends_on = errors.keep(match end_col {
            Some(c) if !r.get(c).is_empty() => r.date(c).map(Some),
            _ => Ok(None),
        });
        let (Some(person), Some(household), Some(starts_on), Some(ends_on)) =
            (person, household, starts_on, ends_on)
        else {
            continue;
        };
        if ends_on.is_some_and(|e| e < starts_on) {
            errors.keep::<()>(Err(r.fail(end_col.unwrap_or(0), "结束日期早于开始日期")));
            continue;
        }
        let old = org
            .pairings
            .iter()
            .find(|p| p.person_id == person && p.household_id == household.id);
        let pairing = Pairing {
            id: old.map(|p| p.id).unwrap_or_default(),
            person_id: person,
            household_id: household.id,
            starts_on,
            ends_on,
        };
        let change = match old {
            None => Change::Create,
            Some(o) if o.starts_on == starts_on && o.ends_on == ends_on => Change::Same,
            Some(_) => Change::Update(vec!["起止日期".to_string()]),
        };
        let cadre = org.person(person).map(|p| p.name.as_str()).unwrap_or("");
        let village = org
            .village(household.village_id)
            .map(|v| v.name.as_str())
            .unwrap_or("");
        plan.lines.push(PlanLine {
            row: r.row,
            subject: format!("{cadre} → {village} · {}", household.head_name),
            change,
        });
        plan.org.pairings.push(pairing);
        bar.inc(1);
    }
    errors.done()?;
    Ok(plan)
}

/// Pairings from a spreadsheet: the cadre by username, the household by village and head.
pub async fn import_pairings(
    store: &AnyStore,
    path: &Path,
    township: &str,
    bar: &ProgressBar,
) -> Result<usize, ImportError> {
    let table = read_table(path)?;
    let org = township_org(store, township).await?;
    // Today in China, not in UTC (before 08:00 they differ).
    let today = zhucun_shared::period::local_date(Utc::now());
    let plan = plan_pairings(store, &table, &org, today, bar).await?;
    apply(store, &plan, None, Utc::now()).await
}

//! Ledgers generated from the records, never typed (三(二)–(五)): the 领导挂联工作月台账, the
//! team's 考勤表, a cadre's 工作日志, a pairing cadre's 结对帮扶台账, the township's 五个一
//! 登记表 and the 考核汇总表. Each builder is a pure function from the organisation, a month's
//! work (the shared domain's stays and visits) and the kept verdicts to one [`Document`];
//! [`xlsx`] and [`csv`] render any document. [`generate`] reads what a document needs.

pub mod attendance;
pub mod compliance;
pub mod csv;
pub mod document;
pub mod export;
pub mod five_ones;
pub mod labels;
pub mod liaison_ledger;
pub mod month_work;
pub mod pairing_ledger;
pub mod submission;
pub mod versions;
pub mod work_log;
pub mod xlsx;

pub use document::{Cell, Document};

use crate::app::AppState;
use crate::evaluation::{EvalError, Loaded};
use crate::store::{Org, Store};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use zhucun_shared::ids::{HouseholdId, PersonId, TownshipId, VillageId};
use zhucun_shared::period::{local_date, Period};
use zhucun_shared::plausibility::{PhotoFacts, PhotoFiles};
use zhucun_shared::record::{DeviceRecord, RecordBody};

pub type Township = zhucun_shared::org::Township;

/// The kinds of document, by the name a URL or the command line gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// 领导挂联工作月台账: per village and month.
    LiaisonLedger,
    /// 考勤表: per village team and month.
    Attendance,
    /// 工作日志: per person and month.
    WorkLog,
    /// 结对帮扶台账: per pairing cadre (or per household) and month.
    PairingLedger,
    /// 五个一登记表: per township on a date.
    FiveOnes,
    /// 考核汇总表: per township for a month, quarter or year.
    Compliance,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 6] = [
        DocumentKind::LiaisonLedger,
        DocumentKind::Attendance,
        DocumentKind::WorkLog,
        DocumentKind::PairingLedger,
        DocumentKind::FiveOnes,
        DocumentKind::Compliance,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            DocumentKind::LiaisonLedger => "liaison-ledger",
            DocumentKind::Attendance => "attendance",
            DocumentKind::WorkLog => "work-log",
            DocumentKind::PairingLedger => "pairing-ledger",
            DocumentKind::FiveOnes => "five-ones",
            DocumentKind::Compliance => "compliance",
        }
    }

    /// The sheet's name.
    pub fn label_zh(self) -> &'static str {
        match self {
            DocumentKind::LiaisonLedger => "领导挂联工作月台账",
            DocumentKind::Attendance => "考勤表",
            DocumentKind::WorkLog => "工作日志",
            DocumentKind::PairingLedger => "结对帮扶台账",
            DocumentKind::FiveOnes => "五个一登记表",
            DocumentKind::Compliance => "考核汇总表",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.slug() == s)
    }
}

/// One document asked for: its kind and what it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ledger {
    LiaisonLedger {
        village: VillageId,
        month: Period,
    },
    Attendance {
        village: VillageId,
        month: Period,
    },
    WorkLog {
        person: PersonId,
        month: Period,
    },
    PairingLedger {
        person: PersonId,
        month: Period,
    },
    /// One household's 结对帮扶台账: the visits of the cadres paired with it.
    HouseholdPairing {
        household: HouseholdId,
        month: Period,
    },
    FiveOnes {
        township: TownshipId,
        date: NaiveDate,
    },
    Compliance {
        township: TownshipId,
        period: Period,
    },
}

impl Ledger {
    pub fn kind(&self) -> DocumentKind {
        match self {
            Ledger::LiaisonLedger { .. } => DocumentKind::LiaisonLedger,
            Ledger::Attendance { .. } => DocumentKind::Attendance,
            Ledger::WorkLog { .. } => DocumentKind::WorkLog,
            Ledger::PairingLedger { .. } | Ledger::HouseholdPairing { .. } => {
                DocumentKind::PairingLedger
            }
            Ledger::FiveOnes { .. } => DocumentKind::FiveOnes,
            Ledger::Compliance { .. } => DocumentKind::Compliance,
        }
    }

    /// The people whose records and verdicts the document shows.
    pub fn people(&self, org: &Org, township: &Township) -> Vec<PersonId> {
        match *self {
            Ledger::LiaisonLedger { village, month } => {
                liaison_ledger::leaders(org, village, month)
                    .into_iter()
                    .map(|(p, _)| p)
                    .collect()
            }
            Ledger::Attendance { village, month } => attendance::members(org, village, month),
            Ledger::WorkLog { person, .. } | Ledger::PairingLedger { person, .. } => vec![person],
            Ledger::HouseholdPairing { household, month } => {
                pairing_ledger::cadres_of(org, household, month)
            }
            Ledger::FiveOnes { date, .. } => org
                .assignments
                .iter()
                .filter(|a| a.township_id == township.id && a.overlaps(date, date))
                .map(|a| a.person_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            Ledger::Compliance { period, .. } => compliance::people(org, township, period),
        }
    }
}

/// The file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing the CSV: {0}")]
    Csv(#[from] ::csv::Error),
}

impl From<crate::store::StoreError> for LedgerError {
    fn from(e: crate::store::StoreError) -> Self {
        LedgerError::Eval(e.into())
    }
}

/// A document's bytes in `format`.
pub fn render(doc: &Document, kind: DocumentKind, format: Format) -> Result<Vec<u8>, LedgerError> {
    Ok(match format {
        Format::Xlsx => xlsx::write(doc, kind.label_zh())?,
        Format::Csv => csv::write(doc)?,
    })
}

/// What the documents of one generation read, each once: every person's records over a month's
/// window (a team's records serve each of its members' documents), the photo facts, the kept
/// reports, and what the evaluator reads ([`Loaded`]). One per request, or per township and
/// month for [`export`] — never kept beyond it.
#[derive(Default)]
pub struct Batch {
    loaded: Loaded,
    records: HashMap<(PersonId, Period), Arc<Vec<DeviceRecord>>>,
    facts: HashMap<String, PhotoFacts>,
    reports: HashMap<(PersonId, Period), zhucun_shared::verdict::PersonReport>,
}

/// Generates `ledger` for the township `org` as of `now`: reads the records and verdicts it is
/// made of, then builds it. The caller has checked jurisdiction.
pub async fn generate(
    state: &AppState,
    org: Arc<Org>,
    township: &Township,
    ledger: Ledger,
    now: DateTime<Utc>,
) -> Result<Document, LedgerError> {
    generate_in(state, org, township, ledger, now, &mut Batch::default()).await
}

/// [`generate`], reading through `batch`: what an earlier document of the same generation read
/// is not read again.
pub async fn generate_in(
    state: &AppState,
    org: Arc<Org>,
    township: &Township,
    ledger: Ledger,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<Document, LedgerError> {
    let today = local_date(now);
    let people = ledger.people(&org, township);
    // The rules and calendar in force for the document's month (a period's last month begun).
    let (catalogue, calendar) = state.policy_for(policy_month(ledger, today));
    Ok(match ledger {
        Ledger::LiaisonLedger { village, month } => {
            let work = load_work(state, &org, &people, month, now, batch).await?;
            let reports = month_reports(state, &org, &people, month, now, batch).await?;
            liaison_ledger::build(township, &org, &catalogue, village, month, &work, &reports)
        }
        Ledger::Attendance { village, month } => {
            let work = load_work(state, &org, &people, month, now, batch).await?;
            let reports = month_reports(state, &org, &people, month, now, batch).await?;
            attendance::build(
                township, &org, &catalogue, &calendar, village, month, today, &work, &reports,
            )
        }
        Ledger::WorkLog { person, month } => {
            let work = load_work(state, &org, &people, month, now, batch).await?;
            work_log::build(township, &org, person, month, &work)
        }
        Ledger::PairingLedger { person, month } => {
            let work = load_work(state, &org, &people, month, now, batch).await?;
            let reports = month_reports(state, &org, &people, month, now, batch).await?;
            pairing_ledger::build(township, &org, &catalogue, person, month, &work, &reports)
        }
        Ledger::HouseholdPairing { household, month } => {
            let work = load_work(state, &org, &people, month, now, batch).await?;
            let reports = month_reports(state, &org, &people, month, now, batch).await?;
            pairing_ledger::build_household(
                township, &org, &catalogue, household, month, &work, &reports,
            )
        }
        Ledger::FiveOnes { date, .. } => {
            let units = crate::office::support_units(&state.store, township.id).await?;
            five_ones::build(township, &org, &units, date)
        }
        Ledger::Compliance { period, .. } => {
            let mut reports: HashMap<PersonId, Vec<_>> = HashMap::new();
            for month in compliance::months(period, today) {
                let of_month = month_reports(state, &org, &people, month, now, batch).await?;
                for (p, r) in of_month {
                    reports.entry(p).or_default().push(r);
                }
            }
            compliance::build(township, &org, &catalogue, period, &people, &reports)
        }
    })
}

/// The month whose rules and calendar a document is made with: its own month; a 五个一
/// table's date's; a compliance table's last month begun.
pub fn policy_month(ledger: Ledger, today: NaiveDate) -> Period {
    let month_of = |d: NaiveDate| {
        Period::containing(zhucun_shared::period::PeriodKind::Month, d)
            .expect("a month holds every day")
    };
    match ledger {
        Ledger::LiaisonLedger { month, .. }
        | Ledger::Attendance { month, .. }
        | Ledger::WorkLog { month, .. }
        | Ledger::PairingLedger { month, .. }
        | Ledger::HouseholdPairing { month, .. } => month,
        Ledger::FiveOnes { date, .. } => month_of(date),
        Ledger::Compliance { period, .. } => {
            month_of(period.last_day().min(today).max(period.first_day()))
        }
    }
}

/// The kept verdicts of `people` for `month`.
pub async fn month_reports(
    state: &AppState,
    org: &Arc<Org>,
    people: &[PersonId],
    month: Period,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<labels::Reports, EvalError> {
    let mut out = HashMap::new();
    let unread: Vec<PersonId> = people
        .iter()
        .filter(|p| !batch.reports.contains_key(&(**p, month)))
        .copied()
        .collect();
    if unread.len() > 1 {
        crate::verdicts::read_ahead(state, &unread, month, &mut batch.loaded).await?;
    }
    for p in people {
        let r = match batch.reports.get(&(*p, month)) {
            Some(r) => r.clone(),
            None => {
                let r =
                    crate::verdicts::report(state, org.clone(), *p, month, now, &mut batch.loaded)
                        .await?;
                batch.reports.insert((*p, month), r.clone());
                r
            }
        };
        out.insert(*p, r);
    }
    Ok(out)
}

/// The records of `people` and their teams over `month`'s window, as the evaluator reads them
/// (a photo reused from a teammate's visit is found as it finds it), with their photo facts;
/// each person's records and each photo's facts read once per `batch`.
pub async fn load_records(
    state: &AppState,
    org: &Org,
    people: &[PersonId],
    month: Period,
    batch: &mut Batch,
) -> Result<(Vec<DeviceRecord>, HashMap<String, PhotoFacts>), crate::store::StoreError> {
    let (from, to) = month_work::window(month);
    let mut whose: BTreeSet<PersonId> = BTreeSet::new();
    for p in people {
        whose.extend(org.team_of(*p, month.first_day(), month.last_day()));
    }
    let mut records = Vec::new();
    for p in whose {
        let theirs = match batch.records.get(&(p, month)) {
            Some(r) => r.clone(),
            None => {
                let r = Arc::new(state.store.records_of(p, from, to).await?);
                batch.records.insert((p, month), r.clone());
                r
            }
        };
        records.extend(theirs.iter().cloned());
    }
    let shas: BTreeSet<&String> = records
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Photo { sha256, .. } => Some(sha256),
            _ => None,
        })
        .collect();
    let missing: Vec<String> = shas
        .iter()
        .filter(|s| !batch.facts.contains_key(**s))
        .map(|s| (*s).clone())
        .collect();
    if !missing.is_empty() {
        batch.facts.extend(state.store.photo_facts(&missing).await?);
    }
    let facts = shas
        .into_iter()
        .filter_map(|s| batch.facts.get(s).map(|f| (s.clone(), f.clone())))
        .collect();
    Ok((records, facts))
}

/// The month's work of `people`, with the spot-check findings the verdicts apply, off the async
/// threads (assembling and checking a team's month is CPU work).
pub async fn load_work(
    state: &AppState,
    org: &Arc<Org>,
    people: &[PersonId],
    month: Period,
    now: DateTime<Utc>,
    batch: &mut Batch,
) -> Result<month_work::MonthWork, EvalError> {
    let (records, facts) = load_records(state, org, people, month, batch).await?;
    let findings =
        crate::evaluation::findings_on(state, org, &records, now, &mut batch.loaded).await?;
    let _permit = state.evaluations.acquire().await?;
    let (catalogue, _) = state.policy_for(month);
    let org = org.clone();
    let people: BTreeSet<PersonId> = people.iter().copied().collect();
    Ok(tokio::task::spawn_blocking(move || {
        month_work::month_work(
            &org,
            &people,
            &records,
            &findings,
            PhotoFiles::Held(&facts),
            &catalogue.interpretation,
            month,
        )
    })
    .await?)
}

/// The file name of a document: 石门村_考勤表_2026-11.xlsx.
pub fn file_name(doc: &Document, format: Format) -> String {
    let stem: String = doc
        .file_stem
        .chars()
        .map(|c| if "/\\:*?\"<>|".contains(c) { '_' } else { c })
        .collect();
    format!("{stem}.{}", format.extension())
}

/// Every document of `kind` (all kinds when `None`) for a township and month: each village's
/// ledgers, each cadre's log, each pairing cadre's ledger, the township's 五个一 table as of
/// the month's last day (today, for the current month) and its compliance table.
pub fn township_ledgers(
    org: &Org,
    township: &Township,
    kind: Option<DocumentKind>,
    month: Period,
    today: NaiveDate,
) -> Vec<Ledger> {
    use zhucun_shared::role::Role;
    let (first, last) = (month.first_day(), month.last_day());
    let mut villages: Vec<_> = org
        .villages
        .iter()
        .filter(|v| v.township_id == township.id)
        .collect();
    villages.sort_by(|a, b| a.name.cmp(&b.name));
    let mut people: Vec<_> = org
        .people
        .iter()
        .filter(|p| p.township_id == township.id)
        .collect();
    people.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    let posted = |p: PersonId| {
        org.postings(p, first, last)
            .any(|a| !zhucun_shared::org::jurisdiction::township_wide(a.role))
    };
    let pairing = |p: PersonId| {
        org.postings(p, first, last)
            .any(|a| a.role == Role::PairingCadre)
            || !org.paired(p, first, last).is_empty()
    };
    let wanted = |k: DocumentKind| kind.is_none_or(|w| w == k);
    let mut out = Vec::new();
    for v in &villages {
        if wanted(DocumentKind::LiaisonLedger) {
            out.push(Ledger::LiaisonLedger {
                village: v.id,
                month,
            });
        }
        if wanted(DocumentKind::Attendance) {
            out.push(Ledger::Attendance {
                village: v.id,
                month,
            });
        }
    }
    for p in &people {
        if wanted(DocumentKind::WorkLog) && posted(p.id) {
            out.push(Ledger::WorkLog {
                person: p.id,
                month,
            });
        }
        if wanted(DocumentKind::PairingLedger) && pairing(p.id) {
            out.push(Ledger::PairingLedger {
                person: p.id,
                month,
            });
        }
    }
    if wanted(DocumentKind::FiveOnes) {
        out.push(Ledger::FiveOnes {
            township: township.id,
            date: last.min(today),
        });
    }
    if wanted(DocumentKind::Compliance) {
        out.push(Ledger::Compliance {
            township: township.id,
            period: month,
        });
    }
    out
}

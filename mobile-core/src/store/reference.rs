//! Reference data pulled from the server and kept offline: who I am, my assignments, village
//! boundaries, households, pairings, the rules and the calendar in force, my verdicts, the
//! spot-check findings on my records and the submission chains of my villages' monthly ledgers.

use super::{Result, Store};
use rusqlite::{params, OptionalExtension};
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::ledger_chain::LedgerStep;
use zhucun_shared::org::{Directory, Person};
use zhucun_shared::spot_check::Finding;
use zhucun_shared::sync::PullResponse;
use zhucun_shared::verdict::PersonReport;

/// What the phone knows of the organisation, as last pulled. Questions about it (roles on a
/// day, villages, pairings) are asked of [`Directory`], as on the server.
#[derive(Clone, Debug)]
pub struct Reference {
    pub cursor: Option<String>,
    pub me: Option<Person>,
    /// The part of the township the phone keeps offline (see the pull).
    pub org: Directory,
    pub catalogue: Catalogue,
    pub calendar: WorkCalendar,
    /// The server's latest reports on me, one per month.
    pub verdicts: Vec<PersonReport>,
    /// Spot-check findings on my records, as last pulled: my own estimate applies them.
    pub findings: Vec<Finding>,
    /// The submission-chain steps of my villages' monthly ledgers, as last pulled: my own
    /// estimate of R-32 follows them.
    pub ledger_steps: Vec<LedgerStep>,
}

impl Default for Reference {
    fn default() -> Self {
        Reference {
            cursor: None,
            me: None,
            org: Directory::default(),
            catalogue: Catalogue::bundled(),
            calendar: WorkCalendar::bundled(),
            verdicts: Vec::new(),
            findings: Vec::new(),
            ledger_steps: Vec::new(),
        }
    }
}

impl Store {
    /// Keeps a pull's answer. Reference data is replaced only when the server says it changed;
    /// verdicts always are. One transaction: a half-saved pull never shows. (The pull's device
    /// watermarks are not kept: the sync engine checks them with `check_watermark`.)
    pub fn save_pull(&mut self, pull: &PullResponse) -> Result<()> {
        let tx = self.conn.transaction()?;
        let put = |key: &str, json: String| -> Result<()> {
            tx.execute(
                "INSERT INTO reference (key, json) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET json = excluded.json",
                params![key, json],
            )?;
            Ok(())
        };
        if pull.changed {
            put("me", serde_json::to_string(&pull.me)?)?;
            put("townships", serde_json::to_string(&pull.org.townships)?)?;
            put("assignments", serde_json::to_string(&pull.org.assignments)?)?;
            put("villages", serde_json::to_string(&pull.org.villages)?)?;
            put("households", serde_json::to_string(&pull.org.households)?)?;
            put("pairings", serde_json::to_string(&pull.org.pairings)?)?;
            put("people", serde_json::to_string(&pull.org.people)?)?;
            put("rules_toml", serde_json::to_string(&pull.rules_toml)?)?;
            put("calendar_toml", serde_json::to_string(&pull.calendar_toml)?)?;
            put("cursor", serde_json::to_string(&pull.cursor)?)?;
        }
        put("verdicts", serde_json::to_string(&pull.verdicts)?)?;
        put("findings", serde_json::to_string(&pull.findings)?)?;
        put("ledger_steps", serde_json::to_string(&pull.ledger_steps)?)?;
        put("team_events", serde_json::to_string(&pull.team_events)?)?;
        tx.commit()?;
        *self.reference.get_mut() = None;
        Ok(())
    }

    fn reference_json<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT json FROM reference WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        json.map(|j| Ok(serde_json::from_str(&j)?)).transpose()
    }

    /// The reference data as last pulled; the bundled rules and calendar until the first pull
    /// (or when the server's cannot be read).
    pub fn reference(&self) -> Result<Reference> {
        if let Some(r) = self.reference.borrow().as_ref() {
            return Ok(r.clone());
        }
        let r = self.read_reference()?;
        *self.reference.borrow_mut() = Some(r.clone());
        Ok(r)
    }

    fn read_reference(&self) -> Result<Reference> {
        let rules: Option<String> = self.reference_json("rules_toml")?;
        let calendar: Option<String> = self.reference_json("calendar_toml")?;
        let me = self.reference_json::<Option<Person>>("me")?.flatten();
        // Me, and the people the pull names (who wrote the findings and decisions on my
        // records), so that my own verdicts name them as the server's do.
        let mut people: Vec<Person> = me.iter().cloned().collect();
        for p in self
            .reference_json::<Vec<Person>>("people")?
            .unwrap_or_default()
        {
            if people.iter().all(|q| q.id != p.id) {
                people.push(p);
            }
        }
        Ok(Reference {
            cursor: self.reference_json("cursor")?,
            org: Directory {
                townships: self.reference_json("townships")?.unwrap_or_default(),
                people,
                assignments: self.reference_json("assignments")?.unwrap_or_default(),
                villages: self.reference_json("villages")?.unwrap_or_default(),
                households: self.reference_json("households")?.unwrap_or_default(),
                pairings: self.reference_json("pairings")?.unwrap_or_default(),
            },
            me,
            catalogue: rules
                .filter(|t| !t.trim().is_empty())
                .and_then(|t| Catalogue::from_toml(&t).ok())
                .unwrap_or_else(Catalogue::bundled),
            calendar: calendar
                .filter(|t| !t.trim().is_empty())
                .and_then(|t| WorkCalendar::from_toml(&t).ok())
                .unwrap_or_else(WorkCalendar::bundled),
            verdicts: self.reference_json("verdicts")?.unwrap_or_default(),
            findings: self.reference_json("findings")?.unwrap_or_default(),
            ledger_steps: self.reference_json("ledger_steps")?.unwrap_or_default(),
        })
    }

    /// The team's 四必到 events and the check-ins linked to them, as last pulled.
    pub fn team_event_records(&self) -> Result<Vec<zhucun_shared::record::DeviceRecord>> {
        Ok(self.reference_json("team_events")?.unwrap_or_default())
    }

    /// My log and the team's 四必到 records as last pulled, each once: what my own estimate
    /// evaluates, so that R-241 counts the team's events and attendance as the server does.
    pub fn records_for_estimate(&self) -> Result<Vec<zhucun_shared::record::DeviceRecord>> {
        let mut records = self.all_records()?;
        let mine: std::collections::HashSet<_> = records.iter().map(|r| r.id).collect();
        records.extend(
            self.team_event_records()?
                .into_iter()
                .filter(|r| !mine.contains(&r.id)),
        );
        Ok(records)
    }

    /// The reference-data cursor to send with the next pull.
    pub fn pull_cursor(&self) -> Result<Option<String>> {
        self.reference_json("cursor")
    }
}

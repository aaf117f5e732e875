//! Reference data pulled from the server and kept offline: who I am, my assignments, village
//! boundaries, households, pairings, the rules and the calendar in force, and my verdicts.

use super::{Result, Store};
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use zhucun_shared::calendar::WorkCalendar;
use zhucun_shared::catalogue::Catalogue;
use zhucun_shared::ids::{HouseholdId, PersonId, VillageId};
use zhucun_shared::org::{Assignment, Household, Pairing, Person, Township, Village};
use zhucun_shared::role::Role;
use zhucun_shared::sync::PullResponse;
use zhucun_shared::verdict::PersonReport;

/// What the phone knows of the organisation, as last pulled.
#[derive(Clone, Debug)]
pub struct Reference {
    pub cursor: Option<String>,
    pub me: Option<Person>,
    pub townships: Vec<Township>,
    pub assignments: Vec<Assignment>,
    pub villages: Vec<Village>,
    pub households: Vec<Household>,
    pub pairings: Vec<Pairing>,
    pub catalogue: Catalogue,
    pub calendar: WorkCalendar,
    /// The server's latest reports on me, one per month.
    pub verdicts: Vec<PersonReport>,
}

impl Default for Reference {
    fn default() -> Self {
        Reference {
            cursor: None,
            me: None,
            townships: Vec::new(),
            assignments: Vec::new(),
            villages: Vec::new(),
            households: Vec::new(),
            pairings: Vec::new(),
            catalogue: Catalogue::bundled(),
            calendar: WorkCalendar::bundled(),
            verdicts: Vec::new(),
        }
    }
}

impl Reference {
    pub fn village(&self, id: VillageId) -> Option<&Village> {
        self.villages.iter().find(|v| v.id == id)
    }

    pub fn household(&self, id: HouseholdId) -> Option<&Household> {
        self.households.iter().find(|h| h.id == id)
    }

    pub fn households_of(&self, village: VillageId) -> impl Iterator<Item = &Household> {
        self.households
            .iter()
            .filter(move |h| h.village_id == village)
    }

    /// The roles `person` holds on `day`.
    pub fn roles(&self, person: PersonId, day: NaiveDate) -> Vec<Role> {
        self.roles_between(person, day, day)
    }

    /// The roles `person` holds at any time of `from..=to`; a pairing makes a pairing cadre.
    pub fn roles_between(&self, person: PersonId, from: NaiveDate, to: NaiveDate) -> Vec<Role> {
        let mut roles: Vec<Role> = self
            .assignments
            .iter()
            .filter(|a| a.person_id == person && a.overlaps(from, to))
            .map(|a| a.role)
            .collect();
        if self
            .pairings
            .iter()
            .any(|p| p.person_id == person && p.overlaps(from, to))
        {
            roles.push(Role::PairingCadre);
        }
        roles.sort();
        roles.dedup();
        roles
    }

    /// The villages `person` is assigned to on `day`, in assignment order.
    pub fn villages_of(&self, person: PersonId, day: NaiveDate) -> Vec<VillageId> {
        let mut out = Vec::new();
        for a in &self.assignments {
            if a.person_id == person && a.overlaps(day, day) {
                if let Some(v) = a.village_id {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }

    /// Whether `household` is paired with `person` on `day`.
    pub fn is_paired(&self, person: PersonId, household: HouseholdId, day: NaiveDate) -> bool {
        self.pairings
            .iter()
            .any(|p| p.person_id == person && p.household_id == household && p.overlaps(day, day))
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
            put("townships", serde_json::to_string(&pull.townships)?)?;
            put("assignments", serde_json::to_string(&pull.assignments)?)?;
            put("villages", serde_json::to_string(&pull.villages)?)?;
            put("households", serde_json::to_string(&pull.households)?)?;
            put("pairings", serde_json::to_string(&pull.pairings)?)?;
            put("rules_toml", serde_json::to_string(&pull.rules_toml)?)?;
            put("calendar_toml", serde_json::to_string(&pull.calendar_toml)?)?;
            put("cursor", serde_json::to_string(&pull.cursor)?)?;
        }
        put("verdicts", serde_json::to_string(&pull.verdicts)?)?;
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
        Ok(Reference {
            cursor: self.reference_json("cursor")?,
            me: self.reference_json::<Option<Person>>("me")?.flatten(),
            townships: self.reference_json("townships")?.unwrap_or_default(),
            assignments: self.reference_json("assignments")?.unwrap_or_default(),
            villages: self.reference_json("villages")?.unwrap_or_default(),
            households: self.reference_json("households")?.unwrap_or_default(),
            pairings: self.reference_json("pairings")?.unwrap_or_default(),
            catalogue: rules
                .filter(|t| !t.trim().is_empty())
                .and_then(|t| Catalogue::from_toml(&t).ok())
                .unwrap_or_else(Catalogue::bundled),
            calendar: calendar
                .filter(|t| !t.trim().is_empty())
                .and_then(|t| WorkCalendar::from_toml(&t).ok())
                .unwrap_or_else(WorkCalendar::bundled),
            verdicts: self.reference_json("verdicts")?.unwrap_or_default(),
        })
    }

    /// The reference-data cursor to send with the next pull.
    pub fn pull_cursor(&self) -> Result<Option<String>> {
        self.reference_json("cursor")
    }
}

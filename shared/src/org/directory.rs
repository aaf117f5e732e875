//! A township's organisation — people, villages, households, postings and pairings — with every
//! question the phone, the server and the evaluator ask of it, written once.
//!
//! One decided rule about pairings: **roles come from postings only.** A pairing (结对) links a
//! cadre to a household; it makes no one a pairing cadre (帮扶责任人) by itself — the township
//! office posts people as pairing cadres, and only then do apply to them. A
//! pairing without that posting still counts the cadre's visits to the household for the
//! village's team (see [`Directory::team_of`]).

use super::{Assignment, Household, Pairing, Person, Township, Village};
use crate::ids::{HouseholdId, PersonId, TownshipId, VillageId};
use crate::role::Role;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The organisation of one or more townships.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Directory {
    pub townships: Vec<Township>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<Person>,
    pub villages: Vec<Village>,
    pub households: Vec<Household>,
    pub assignments: Vec<Assignment>,
    pub pairings: Vec<Pairing>,
}

impl Directory {
    pub fn person(&self, id: PersonId) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

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

    /// The township `village` belongs to, if the directory holds the village.
    pub fn township_of(&self, village: VillageId) -> Option<TownshipId> {
        self.village(village).map(|v| v.township_id)
    }

    /// Every posting of `person`, whatever its dates.
    pub fn assignments_of(&self, person: PersonId) -> impl Iterator<Item = &Assignment> {
        self.assignments
            .iter()
            .filter(move |a| a.person_id == person)
    }

    /// The postings of `person` in force at some time of `from..=to`.
    pub fn postings(
        &self,
        person: PersonId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = &Assignment> {
        self.assignments_of(person)
            .filter(move |a| a.overlaps(from, to))
    }

    /// The roles `person` holds on `day`, sorted, once each (postings only: see the module).
    pub fn roles_on(&self, person: PersonId, day: NaiveDate) -> Vec<Role> {
        self.roles_between(person, day, day)
    }

    /// The roles `person` holds at some time of `from..=to`.
    pub fn roles_between(&self, person: PersonId, from: NaiveDate, to: NaiveDate) -> Vec<Role> {
        roles_of(self.postings(person, from, to))
    }

    /// The villages `person` is posted to at some time of `from..=to`, in posting order.
    pub fn villages_of(&self, person: PersonId, from: NaiveDate, to: NaiveDate) -> Vec<VillageId> {
        let mut out = Vec::new();
        for v in self.postings(person, from, to).filter_map(|a| a.village_id) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// The households `person` is paired with at some time of `from..=to`.
    pub fn paired(
        &self,
        person: PersonId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> BTreeSet<HouseholdId> {
        self.pairings
            .iter()
            .filter(|p| p.person_id == person && p.overlaps(from, to))
            .map(|p| p.household_id)
            .collect()
    }

    /// Whether `household` is paired with `person` on `day`.
    pub fn is_paired(&self, person: PersonId, household: HouseholdId, day: NaiveDate) -> bool {
        self.pairings
            .iter()
            .any(|p| p.person_id == person && p.household_id == household && p.overlaps(day, day))
    }

    /// Everyone posted to `village` at some time of `from..=to`.
    pub fn posted_to(
        &self,
        village: VillageId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> BTreeSet<PersonId> {
        self.assignments
            .iter()
            .filter(|a| a.village_id == Some(village) && a.overlaps(from, to))
            .map(|a| a.person_id)
            .collect()
    }

    /// Whose records bear on `person`'s verdicts for `from..=to`: the person, everyone posted
    /// to one of the person's villages then, and the cadres paired then with households of
    /// those villages (village-scoped rules count the team's work, and nobody else's).
    pub fn team_of(&self, person: PersonId, from: NaiveDate, to: NaiveDate) -> BTreeSet<PersonId> {
        let villages: BTreeSet<VillageId> =
            self.villages_of(person, from, to).into_iter().collect();
        let households: BTreeSet<HouseholdId> = self
            .households
            .iter()
            .filter(|h| villages.contains(&h.village_id))
            .map(|h| h.id)
            .collect();
        let mut team: BTreeSet<PersonId> = villages
            .iter()
            .flat_map(|v| self.posted_to(*v, from, to))
            .collect();
        team.extend(
            self.pairings
                .iter()
                .filter(|p| households.contains(&p.household_id) && p.overlaps(from, to))
                .map(|p| p.person_id),
        );
        team.insert(person);
        team
    }
}

impl Directory {
    /// Whose verdicts for `from..=to` count `author`'s records: the inverse of
    /// [`Directory::team_of`] — the author, and everyone posted then to a village the author
    /// was posted to or had a paired household in.
    pub fn counted_for(
        &self,
        author: PersonId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> BTreeSet<PersonId> {
        let mut villages: BTreeSet<VillageId> =
            self.villages_of(author, from, to).into_iter().collect();
        villages.extend(
            self.paired(author, from, to)
                .into_iter()
                .filter_map(|h| self.household(h).map(|h| h.village_id)),
        );
        let mut people: BTreeSet<PersonId> = villages
            .iter()
            .flat_map(|v| self.posted_to(*v, from, to))
            .collect();
        people.insert(author);
        people
    }
}

/// The roles of `postings`, sorted, once each.
pub fn roles_of<'a>(postings: impl IntoIterator<Item = &'a Assignment>) -> Vec<Role> {
    let mut roles: Vec<Role> = postings.into_iter().map(|a| a.role).collect();
    roles.sort();
    roles.dedup();
    roles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AssignmentId, PairingId};

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn posting(p: PersonId, role: Role, v: Option<VillageId>, t: TownshipId) -> Assignment {
        Assignment {
            id: AssignmentId::new(),
            person_id: p,
            role,
            village_id: v,
            township_id: t,
            starts_on: day(1, 1),
            ends_on: None,
        }
    }

    #[test]
    fn a_pairing_alone_makes_no_pairing_cadre() {
        let (t, v) = (TownshipId::new(), VillageId::new());
        let (member, paired_only) = (PersonId::new(), PersonId::new());
        let h = HouseholdId::new();
        let pairing = |p| Pairing {
            id: PairingId::new(),
            person_id: p,
            household_id: h,
            starts_on: day(1, 1),
            ends_on: None,
        };
        let dir = Directory {
            assignments: vec![
                posting(member, Role::ResidentMember, Some(v), t),
                posting(member, Role::PairingCadre, None, t),
            ],
            pairings: vec![pairing(member), pairing(paired_only)],
            households: vec![Household {
                id: h,
                village_id: v,
                head_name: "王".into(),
                location: super::super::LatLon::new(31.9, 107.2),
                categories: vec![],
                members: 2,
                group: None,
            }],
            ..Directory::default()
        };
        assert_eq!(
            dir.roles_on(member, day(11, 3)),
            [Role::ResidentMember, Role::PairingCadre]
        );
        assert!(dir.roles_on(paired_only, day(11, 3)).is_empty());
        // Their visits still count for the village's team.
        assert!(dir
            .team_of(member, day(11, 1), day(11, 30))
            .contains(&paired_only));
        assert!(dir.is_paired(paired_only, h, day(11, 3)));
    }

    #[test]
    fn counted_for_is_the_inverse_of_team_of() {
        let (t, v1, v2) = (TownshipId::new(), VillageId::new(), VillageId::new());
        let people: Vec<PersonId> = (0..6).map(|_| PersonId::new()).collect();
        let hh = |v| Household {
            id: HouseholdId::new(),
            village_id: v,
            head_name: "户".into(),
            location: super::super::LatLon::new(31.9, 107.2),
            categories: vec![],
            members: 1,
            group: None,
        };
        let (h1, h2) = (hh(v1), hh(v2));
        let mut ended = posting(people[3], Role::ResidentMember, Some(v2), t);
        ended.ends_on = Some(day(10, 31));
        let dir = Directory {
            assignments: vec![
                posting(people[0], Role::TeamLeader, Some(v1), t),
                posting(people[1], Role::ResidentMember, Some(v1), t),
                posting(people[2], Role::ResidentMember, Some(v2), t),
                ended,
                posting(people[4], Role::LiaisonLeader, Some(v1), t),
                posting(people[4], Role::LiaisonLeader, Some(v2), t),
                posting(people[5], Role::Supervisor, None, t),
            ],
            pairings: vec![Pairing {
                id: PairingId::new(),
                person_id: people[5],
                household_id: h2.id,
                starts_on: day(1, 1),
                ends_on: None,
            }],
            households: vec![h1, h2],
            ..Directory::default()
        };
        let (from, to) = (day(11, 1), day(11, 30));
        for author in &people {
            let counted = dir.counted_for(*author, from, to);
            for p in &people {
                assert_eq!(
                    counted.contains(p),
                    dir.team_of(*p, from, to).contains(author),
                    "author {author}, person {p}"
                );
            }
        }
    }

    #[test]
    fn postings_count_only_within_their_dates() {
        let (t, v) = (TownshipId::new(), VillageId::new());
        let p = PersonId::new();
        let mut a = posting(p, Role::TeamLeader, Some(v), t);
        a.starts_on = day(3, 1);
        a.ends_on = Some(day(5, 31));
        let dir = Directory {
            assignments: vec![a],
            ..Directory::default()
        };
        assert!(dir.roles_on(p, day(2, 28)).is_empty());
        assert_eq!(dir.roles_on(p, day(4, 1)), [Role::TeamLeader]);
        assert_eq!(dir.villages_of(p, day(5, 31), day(5, 31)), [v]);
        assert!(dir.villages_of(p, day(6, 1), day(6, 30)).is_empty());
        assert_eq!(dir.posted_to(v, day(1, 1), day(3, 1)), BTreeSet::from([p]));
    }
}

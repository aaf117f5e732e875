//! Jurisdiction: whose records a viewer may see, and who works township-wide or checks
//! others' work. Pure: the server enforces it on every route, the phone uses it for its team
//! and spot-check screens.
//!
//! Whose records a viewer may see. A cadre sees their own; a team leader the
//! people posted to their villages; a liaison leader everyone posted to the villages of their
//! cluster; a supervisor everyone of their township; the county office (admin) everyone of
//! the townships of its county — not the other counties sharing the server.

use super::{Assignment, Person, Township};
use crate::ids::{PersonId, TownshipId, VillageId};
use crate::role::Role;
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// Roles whose notes on other people's records are findings (抽查), within their jurisdiction.
pub const CHECKERS: [Role; 4] = [
    Role::Supervisor,
    Role::Admin,
    Role::LiaisonLeader,
    Role::TeamLeader,
];

/// Roles that work across a whole township rather than in villages of their own.
pub fn township_wide(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    viewer: Option<PersonId>,
    admin: bool,
    /// Townships seen whole: a supervisor's, and every township of an admin's county.
    townships: BTreeSet<TownshipId>,
    /// Villages the viewer leads a team in.
    team_villages: BTreeSet<VillageId>,
    /// Villages of the viewer's liaison cluster.
    cluster_villages: BTreeSet<VillageId>,
}

impl Access {
    /// What `viewer` may see, from the assignments they hold on `day`. `townships` are the
    /// server's townships, for an admin's county (others may pass none).
    pub fn of(
        viewer: PersonId,
        assignments: &[Assignment],
        day: NaiveDate,
        townships: &[Township],
    ) -> Self {
        let mut access = Access {
            viewer: Some(viewer),
            ..Access::default()
        };
        for a in assignments
            .iter()
            .filter(|a| a.person_id == viewer && a.overlaps(day, day))
        {
            match a.role {
                Role::Admin => {
                    access.admin = true;
                    access.townships.insert(a.township_id);
                    let county = townships
                        .iter()
                        .find(|t| t.id == a.township_id)
                        .map(|t| &t.county);
                    access.townships.extend(
                        townships
                            .iter()
                            .filter(|t| Some(&t.county) == county)
                            .map(|t| t.id),
                    );
                }
                Role::Supervisor => {
                    access.townships.insert(a.township_id);
                }
                Role::TeamLeader => access.team_villages.extend(a.village_id),
                Role::LiaisonLeader => access.cluster_villages.extend(a.village_id),
                _ => {}
            }
        }
        access
    }

    /// Whether the viewer works for the county office (township-wide on the phone).
    pub fn is_admin(&self) -> bool {
        self.admin
    }

    /// The townships the viewer sees whole.
    pub fn whole_townships(&self) -> impl Iterator<Item = TownshipId> + '_ {
        self.townships.iter().copied()
    }

    /// Whether the viewer may see `target`'s records, reports and trajectory for the days
    /// `from..=to`. `target_assignments` are the target's assignments: a team or liaison leader
    /// sees the target only through a posting to the leader's village that overlaps those days
    /// (a cadre posted there last year, or next month, is not theirs for today).
    pub fn can_see(
        &self,
        target: &Person,
        target_assignments: &[Assignment],
        from: NaiveDate,
        to: NaiveDate,
    ) -> bool {
        if self.viewer == Some(target.id) {
            return true;
        }
        if self.townships.contains(&target.township_id) {
            return true;
        }
        target_assignments.iter().any(|a| {
            let Some(v) = a.village_id else { return false };
            if a.person_id != target.id || !a.overlaps(from, to) {
                return false;
            }
            self.cluster_villages.contains(&v)
                // A team leader oversees the team, not the township leaders linked to the village.
                || (self.team_villages.contains(&v) && a.role != Role::LiaisonLeader)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::*;

    fn assign(p: PersonId, role: Role, v: Option<VillageId>, t: TownshipId) -> Assignment {
        Assignment {
            id: AssignmentId::new(),
            person_id: p,
            role,
            village_id: v,
            township_id: t,
            starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: None,
        }
    }

    fn person(t: TownshipId) -> Person {
        Person {
            id: PersonId::new(),
            name: "某".into(),
            township_id: t,
            unit_id: None,
        }
    }

    #[test]
    fn each_role_reaches_its_jurisdiction_only() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let see = |a: &Access, p: &Person, pa: &[Assignment]| a.can_see(p, pa, day, day);
        let t = TownshipId::new();
        let other_t = TownshipId::new();
        let (v1, v2) = (VillageId::new(), VillageId::new());
        let cadre1 = person(t);
        let cadre2 = person(t);
        let leader1 = person(t);
        let liaison = person(t);
        let outsider = person(other_t);
        let a = |p: &Person, r, v| vec![assign(p.id, r, v, p.township_id)];
        let cadre1_a = a(&cadre1, Role::ResidentMember, Some(v1));
        let cadre2_a = a(&cadre2, Role::ResidentMember, Some(v2));
        let liaison_a = a(&liaison, Role::LiaisonLeader, Some(v1));
        let outsider_a = a(&outsider, Role::ResidentMember, Some(VillageId::new()));

        let cadre = Access::of(cadre1.id, &cadre1_a, day, &[]);
        assert!(see(&cadre, &cadre1, &cadre1_a));
        assert!(!see(&cadre, &cadre2, &cadre2_a));

        let leader = Access::of(
            leader1.id,
            &a(&leader1, Role::TeamLeader, Some(v1)),
            day,
            &[],
        );
        assert!(see(&leader, &cadre1, &cadre1_a));
        assert!(!see(&leader, &cadre2, &cadre2_a));
        assert!(!see(&leader, &liaison, &liaison_a));

        let l = Access::of(liaison.id, &liaison_a, day, &[]);
        assert!(see(&l, &cadre1, &cadre1_a));
        assert!(!see(&l, &cadre2, &cadre2_a));

        let sup_p = person(t);
        let sup = Access::of(sup_p.id, &a(&sup_p, Role::Supervisor, None), day, &[]);
        assert!(see(&sup, &cadre2, &cadre2_a));
        assert!(!see(&sup, &outsider, &outsider_a));

        // The county office sees both townships of its county, not a third county's.
        let county = |id, county: &str| Township {
            id,
            name: String::new(),
            county: county.into(),
        };
        let far_t = TownshipId::new();
        let far = person(far_t);
        let far_a = a(&far, Role::ResidentMember, Some(VillageId::new()));
        let townships = [
            county(t, "通江县"),
            county(other_t, "通江县"),
            county(far_t, "南江县"),
        ];
        let admin_p = person(other_t);
        let admin = Access::of(admin_p.id, &a(&admin_p, Role::Admin, None), day, &townships);
        assert!(see(&admin, &cadre1, &cadre1_a) && see(&admin, &outsider, &outsider_a));
        assert!(!see(&admin, &far, &far_a));
    }

    #[test]
    fn an_ended_assignment_grants_nothing() {
        let t = TownshipId::new();
        let sup = person(t);
        let mut a = assign(sup.id, Role::Supervisor, None, t);
        a.ends_on = NaiveDate::from_ymd_opt(2026, 6, 30);
        let access = Access::of(
            sup.id,
            &[a],
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            &[],
        );
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert!(!access.can_see(&person(t), &[], d, d));
    }

    #[test]
    fn a_leader_sees_a_cadre_only_while_posted_to_the_leaders_village() {
        let t = TownshipId::new();
        let v = VillageId::new();
        let leader = person(t);
        let cadre = person(t);
        let mut posting = assign(cadre.id, Role::ResidentMember, Some(v), t);
        posting.starts_on = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        posting.ends_on = NaiveDate::from_ymd_opt(2025, 12, 31);
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let access = Access::of(
            leader.id,
            &[assign(leader.id, Role::TeamLeader, Some(v), t)],
            day(11, 10),
            &[],
        );
        let posting = [posting];
        assert!(!access.can_see(&cadre, &posting, day(11, 10), day(11, 10)));
        let old = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        assert!(access.can_see(&cadre, &posting, old, old));
    }
}

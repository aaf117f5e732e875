//! The nine roles (岗位) of the plan.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role a person holds. One person can hold several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 连片领导 / 挂联领导
    LiaisonLeader,
    /// 驻村帮扶工作队队长
    TeamLeader,
    /// 协助驻村乡干部
    AssistingCadre,
    /// 驻村第一书记
    FirstSecretary,
    /// 乡镇派驻成员 / 帮扶单位派驻成员
    ResidentMember,
    /// 驻村农业科技员
    AgriTech,
    /// 帮扶责任人
    PairingCadre,
    /// 乡纪委 / 目标督查办
    Supervisor,
    /// 协调小组办公室
    Admin,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::LiaisonLeader,
        Role::TeamLeader,
        Role::AssistingCadre,
        Role::FirstSecretary,
        Role::ResidentMember,
        Role::AgriTech,
        Role::PairingCadre,
        Role::Supervisor,
        Role::Admin,
    ];

    /// The code used in files and the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::LiaisonLeader => "liaison_leader",
            Role::TeamLeader => "team_leader",
            Role::AssistingCadre => "assisting_cadre",
            Role::FirstSecretary => "first_secretary",
            Role::ResidentMember => "resident_member",
            Role::AgriTech => "agri_tech",
            Role::PairingCadre => "pairing_cadre",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// The title officials use.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::LiaisonLeader => "连片领导",
            Role::TeamLeader => "驻村工作队队长",
            Role::AssistingCadre => "协助驻村乡干部",
            Role::FirstSecretary => "驻村第一书记",
            Role::ResidentMember => "驻村工作队员",
            Role::AgriTech => "驻村农业科技员",
            Role::PairingCadre => "帮扶责任人",
            Role::Supervisor => "督查人员",
            Role::Admin => "协调小组办公室",
        }
    }

    /// Members of a village's resident team (驻村工作队).
    pub fn is_team_member(self) -> bool {
        matches!(
            self,
            Role::TeamLeader
                | Role::AssistingCadre
                | Role::FirstSecretary
                | Role::ResidentMember
                | Role::AgriTech
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`; expected one of liaison_leader, team_leader, assisting_cadre, first_secretary, resident_member, agri_tech, pairing_cadre, supervisor, admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

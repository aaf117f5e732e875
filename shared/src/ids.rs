//! Identifier newtypes. Every id is a UUID; records created on a device use UUIDv7 so that ids
//! sort roughly by creation time and can be minted offline without coordination.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// A fixed id, for demo data and tests.
            pub const fn from_u128(v: u128) -> Self {
                Self(Uuid::from_u128(v))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A person: cadre, leader, supervisor or administrator.
    PersonId
);
id_type!(
    /// A township (乡镇).
    TownshipId
);
id_type!(
    /// A village (村).
    VillageId
);
id_type!(
    /// A registered household (农户).
    HouseholdId
);
id_type!(
    /// A support unit (帮扶单位).
    UnitId
);
id_type!(
    /// An assignment of a person to a role, in a village or township.
    AssignmentId
);
id_type!(
    /// A pairing of a cadre with a household (结对帮扶).
    PairingId
);
id_type!(
    /// An enrolled phone.
    DeviceId
);
id_type!(
    /// One immutable record of a device's log.
    RecordId
);

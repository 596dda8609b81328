//! Roles of staff and the other actors that can change a case.

use crate::code_enum;
use serde::{Deserialize, Serialize};

code_enum! {
    pub enum Role {
        Intake = "intake",
        Coordinator = "coordinator",
        UnitOfficer = "unit_officer",
        UnitHead = "unit_head",
        Leadership = "leadership",
        Auditor = "auditor",
        Monitor = "monitor",
        Admin = "admin",
    }
}

impl Role {
    /// Roles that work inside one unit and need a unit assigned.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::UnitOfficer | Role::UnitHead)
    }
}

/// Who does something to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A staff member. `units` is the member's unit and all units below it.
    Staff {
        username: String,
        role: Role,
        units: Vec<String>,
    },
    /// The citizen who holds the ticket and access code.
    Reporter,
    /// Aduan itself, acting on a rule (deadline lapsed, window closed).
    System { rule: String },
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { username, .. } => username.clone(),
            Actor::Reporter => "reporter".into(),
            Actor::System { .. } => "system".into(),
        }
    }

    pub fn role_code(&self) -> &'static str {
        match self {
            Actor::Staff { role, .. } => role.code(),
            Actor::Reporter => "reporter",
            Actor::System { .. } => "system",
        }
    }
}

/// Which cases a staff member may see. Computed here, applied inside the store's queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every case.
    All,
    /// Cases whose lead or supporting units include one of these.
    Units(Vec<String>),
    /// Cases this user registered at the desk.
    RegisteredBy(String),
    /// No case content at all (monitor, admin).
    Nothing,
}

impl Scope {
    pub fn for_staff(username: &str, role: Role, units: &[String]) -> Scope {
        match role {
            Role::Coordinator | Role::Leadership | Role::Auditor => Scope::All,
            Role::UnitOfficer | Role::UnitHead => Scope::Units(units.to_vec()),
            Role::Intake => Scope::RegisteredBy(username.to_string()),
            Role::Monitor | Role::Admin => Scope::Nothing,
        }
    }
}

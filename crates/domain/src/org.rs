//! The organisation as configuration: units as a tree, categories with their lead unit,
//! deadlines and policies. Loaded from a file at start; nothing here is compiled in except the
//! shape.

use crate::Kind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub agency: Agency,
    #[serde(default)]
    pub deadlines: Deadlines,
    #[serde(default)]
    pub policy: Policy,
    pub units: Vec<Unit>,
    pub categories: Vec<Category>,
    /// Stage deadlines that differ for one kind of case (an aspiration may get longer).
    #[serde(
        default,
        rename = "deadline_override",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub deadline_overrides: Vec<DeadlineOverride>,
    /// How imports from SP4N-LAPOR! and social media find their category.
    #[serde(default)]
    pub imports: crate::external::ImportSettings,
    /// How statistics and reports are given.
    #[serde(default)]
    pub reports: ReportSettings,
}

/// Statistics and reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// The fewest cases a rate (on-time, satisfaction) is given for: a rate over two or three
    /// cases says little and can point at the people behind them.
    pub min_group: u32,
    /// Who receives the monthly report by e-mail on the first working day of the next month
    /// (leadership, the ministry's bureau); nobody when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub monthly_recipients: Vec<String>,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            min_group: 5,
            monthly_recipients: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    pub name: String,
    /// The unit whose staff coordinate: receives, verifies, approves and publishes.
    pub coordinator_unit: String,
    /// Hours east of UTC of the agency's clock (WIB = 7).
    #[serde(default = "default_utc_offset")]
    pub utc_offset_hours: i8,
    /// How citizens reach the agency besides the website, shown on the portal's home page.
    #[serde(default)]
    pub contact: Contact,
    /// The `jurisdiction_id` Open311 clients may send (usually the agency's domain). Requests
    /// naming another jurisdiction are answered 404, as the GeoReport v2 specification says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open311_jurisdiction: Option<String>,
}

/// The agency's channels as the public sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Where the walk-in desk is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The agency's page on SP4N-LAPOR!.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapor: Option<String>,
    /// Social media accounts, as shown (e.g. `Instagram @perumahan_pupr`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub social: Vec<String>,
}

fn default_utc_offset() -> i8 {
    7
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The unit's shared mailbox, told of dispositions and reminders besides its staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub lead_unit: String,
    /// Restricted categories (integrity) go only to their lead unit.
    #[serde(default)]
    pub restricted: bool,
    #[serde(default)]
    pub help_id: String,
    #[serde(default)]
    pub help_en: String,
}

/// Deadlines in working days unless the name says otherwise (DOMAIN.md defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Deadlines {
    pub verify: u32,
    pub answer: u32,
    /// The coordinator's (or unit head's) approval of a submitted draft.
    pub approval: u32,
    pub info_decision: u32,
    pub info_extension: u32,
    pub reporter_reaction: u32,
    pub reporter_info: u32,
    pub settlement_calendar_days: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            verify: 3,
            answer: 5,
            approval: 2,
            info_decision: 10,
            info_extension: 7,
            reporter_reaction: 10,
            reporter_info: 10,
            settlement_calendar_days: 60,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Whether a unit head must approve a draft before the coordinator may publish it.
    pub unit_head_approval: bool,
    /// How many times a reporter may object to answers of one case.
    pub max_objections: u32,
    /// Working days before a due time at which the responsible unit is reminded.
    pub remind_before: u32,
    /// Working days past a breached due time before the unit head is alerted (0: at once).
    pub escalate_to_head_after: u32,
    /// Working days past a breached due time before leadership is alerted.
    pub escalate_to_leadership_after: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            unit_head_approval: true,
            max_objections: 2,
            remind_before: 1,
            escalate_to_head_after: 0,
            escalate_to_leadership_after: 3,
        }
    }
}

crate::code_enum! {
    /// A stage of the lifecycle that has its own deadline.
    pub enum Stage {
        Verify = "verify",
        Answer = "answer",
        Approval = "approval",
        InfoDecision = "info_decision",
        InfoExtension = "info_extension",
        ReporterReaction = "reporter_reaction",
        ReporterInfo = "reporter_info",
    }
}

/// One stage's deadline for one kind of case, replacing the general one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineOverride {
    pub kind: Kind,
    pub stage: Stage,
    pub working_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrganisationError {
    #[error("unit code `{0}` appears twice")]
    DuplicateUnit(String),
    #[error("unit `{unit}` names a parent `{parent}` that does not exist")]
    UnknownParent { unit: String, parent: String },
    #[error("the units form a cycle through `{0}`")]
    Cycle(String),
    #[error("category code `{0}` appears twice")]
    DuplicateCategory(String),
    #[error("category `{category}` is led by unknown unit `{unit}`")]
    UnknownLeadUnit { category: String, unit: String },
    #[error("the coordinator unit `{0}` does not exist")]
    UnknownCoordinator(String),
    #[error("code `{0}` must be 1–40 lower-case letters, digits or underscores")]
    BadCode(String),
    #[error("the import settings name an unknown category `{0}`")]
    UnknownImportCategory(String),
    #[error("there must be at least one unit and one category")]
    Empty,
    #[error("deadline `{stage}` of `{kind}` is {days} working days; it must be 1–{MAX_STAGE_DAYS}")]
    BadDeadline {
        kind: String,
        stage: String,
        days: u32,
    },
    #[error("reports.min_group must be 1–1000, not {0}")]
    BadMinGroup(u32),
    #[error("reports.monthly_recipients: `{0}` is not an e-mail address")]
    BadRecipient(String),
    #[error("deadline override for `{kind}` / `{stage}` appears twice")]
    DuplicateOverride { kind: String, stage: String },
}

/// The longest stage deadline accepted, in working days (about a year).
pub const MAX_STAGE_DAYS: u32 = 250;

impl Organisation {
    /// Checks the tree and the references before the organisation is used or stored.
    pub fn validate(&self) -> Result<(), OrganisationError> {
        if self.units.is_empty() || self.categories.is_empty() {
            return Err(OrganisationError::Empty);
        }
        let mut codes = BTreeSet::new();
        for unit in &self.units {
            check_code(&unit.code)?;
            if !codes.insert(unit.code.as_str()) {
                return Err(OrganisationError::DuplicateUnit(unit.code.clone()));
            }
        }
        for unit in &self.units {
            if let Some(parent) = &unit.parent
                && !codes.contains(parent.as_str())
            {
                return Err(OrganisationError::UnknownParent {
                    unit: unit.code.clone(),
                    parent: parent.clone(),
                });
            }
        }
        let parents: BTreeMap<&str, Option<&str>> = self
            .units
            .iter()
            .map(|u| (u.code.as_str(), u.parent.as_deref()))
            .collect();
        for unit in &self.units {
            let mut seen = BTreeSet::new();
            let mut current = Some(unit.code.as_str());
            while let Some(code) = current {
                if !seen.insert(code) {
                    return Err(OrganisationError::Cycle(unit.code.clone()));
                }
                current = parents.get(code).copied().flatten();
            }
        }
        if !codes.contains(self.agency.coordinator_unit.as_str()) {
            return Err(OrganisationError::UnknownCoordinator(
                self.agency.coordinator_unit.clone(),
            ));
        }
        let mut categories = BTreeSet::new();
        for category in &self.categories {
            check_code(&category.code)?;
            if !categories.insert(category.code.as_str()) {
                return Err(OrganisationError::DuplicateCategory(category.code.clone()));
            }
            if !codes.contains(category.lead_unit.as_str()) {
                return Err(OrganisationError::UnknownLeadUnit {
                    category: category.code.clone(),
                    unit: category.lead_unit.clone(),
                });
            }
        }
        if let Some(code) = self
            .imports
            .named_categories()
            .find(|code| !categories.contains(code))
        {
            return Err(OrganisationError::UnknownImportCategory(code.to_string()));
        }
        if !(1..=1000).contains(&self.reports.min_group) {
            return Err(OrganisationError::BadMinGroup(self.reports.min_group));
        }
        if let Some(bad) = self
            .reports
            .monthly_recipients
            .iter()
            .find(|to| crate::Email::parse(to).is_err())
        {
            return Err(OrganisationError::BadRecipient(bad.clone()));
        }
        let mut overridden = BTreeSet::new();
        for o in &self.deadline_overrides {
            if !overridden.insert((o.kind, o.stage)) {
                return Err(OrganisationError::DuplicateOverride {
                    kind: o.kind.code().into(),
                    stage: o.stage.code().into(),
                });
            }
        }
        for kind in Kind::ALL {
            for stage in Stage::ALL {
                let days = self.working_days(*kind, *stage);
                if days == 0 || days > MAX_STAGE_DAYS {
                    return Err(OrganisationError::BadDeadline {
                        kind: kind.code().into(),
                        stage: stage.code().into(),
                        days,
                    });
                }
            }
        }
        Ok(())
    }

    /// The deadline of a stage for a kind of case, in working days: the kind's override if
    /// there is one, else the general deadline.
    pub fn working_days(&self, kind: Kind, stage: Stage) -> u32 {
        if let Some(o) = self
            .deadline_overrides
            .iter()
            .find(|o| o.kind == kind && o.stage == stage)
        {
            return o.working_days;
        }
        let d = &self.deadlines;
        match stage {
            Stage::Verify => d.verify,
            Stage::Answer => d.answer,
            Stage::Approval => d.approval,
            Stage::InfoDecision => d.info_decision,
            Stage::InfoExtension => d.info_extension,
            Stage::ReporterReaction => d.reporter_reaction,
            Stage::ReporterInfo => d.reporter_info,
        }
    }

    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The unit and every unit below it: what a unit's staff may see.
    pub fn subtree(&self, code: &str) -> Vec<String> {
        let mut found = vec![code.to_string()];
        let mut index = 0;
        while index < found.len() {
            let parent = found[index].clone();
            found.extend(
                self.units
                    .iter()
                    .filter(|u| u.parent.as_deref() == Some(parent.as_str()))
                    .map(|u| u.code.clone()),
            );
            index += 1;
        }
        found
    }
}

fn check_code(code: &str) -> Result<(), OrganisationError> {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(OrganisationError::BadCode(code.to_string()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small organisation for unit tests: a coordinator, two directorates, one sub-unit and an
    /// internal-compliance unit for restricted cases.
    pub fn sample() -> Organisation {
        let unit = |code: &str, parent: Option<&str>| Unit {
            code: code.into(),
            name: code.to_uppercase(),
            parent: parent.map(Into::into),
            email: None,
        };
        let category = |code: &str, lead: &str, restricted: bool| Category {
            code: code.into(),
            name_id: code.into(),
            name_en: code.into(),
            lead_unit: lead.into(),
            restricted,
            help_id: String::new(),
            help_en: String::new(),
        };
        Organisation {
            agency: Agency {
                name: "Test".into(),
                coordinator_unit: "hukmas".into(),
                utc_offset_hours: 7,
                contact: Contact::default(),
                open311_jurisdiction: None,
            },
            deadlines: Deadlines::default(),
            policy: Policy::default(),
            units: vec![
                unit("ditjen", None),
                unit("hukmas", Some("ditjen")),
                unit("rusun", Some("ditjen")),
                unit("rusun_teknis", Some("rusun")),
                unit("swadaya", Some("ditjen")),
                unit("kepatuhan", Some("ditjen")),
            ],
            categories: vec![
                category("rusun", "rusun", false),
                category("swadaya", "swadaya", false),
                category("integritas", "kepatuhan", true),
                category("lainnya", "hukmas", false),
            ],
            deadline_overrides: Vec::new(),
            imports: Default::default(),
            reports: Default::default(),
        }
    }

    #[test]
    fn sample_is_valid_and_subtrees_follow_parents() {
        let org = sample();
        org.validate().unwrap();
        assert_eq!(
            org.subtree("rusun"),
            vec!["rusun".to_string(), "rusun_teknis".to_string()]
        );
        assert_eq!(org.subtree("ditjen").len(), 6);
    }

    #[test]
    fn report_settings_are_checked() {
        let mut org = sample();
        org.reports.min_group = 0;
        assert!(matches!(
            org.validate(),
            Err(OrganisationError::BadMinGroup(0))
        ));
        let mut org = sample();
        org.reports.monthly_recipients = vec!["pimpinan@pu.go.id".into(), "bukan alamat".into()];
        assert!(matches!(
            org.validate(),
            Err(OrganisationError::BadRecipient(to)) if to == "bukan alamat"
        ));
    }

    #[test]
    fn broken_trees_are_refused() {
        let mut org = sample();
        org.units[0].parent = Some("rusun_teknis".into());
        assert!(matches!(org.validate(), Err(OrganisationError::Cycle(_))));
        let mut org = sample();
        org.categories[0].lead_unit = "nowhere".into();
        assert!(matches!(
            org.validate(),
            Err(OrganisationError::UnknownLeadUnit { .. })
        ));
        let mut org = sample();
        org.units.push(org.units[1].clone());
        assert!(matches!(
            org.validate(),
            Err(OrganisationError::DuplicateUnit(_))
        ));
        let mut org = sample();
        org.units[2].code = "Rusun Baru".into();
        assert!(matches!(org.validate(), Err(OrganisationError::BadCode(_))));
    }
}

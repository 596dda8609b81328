//! Who hears of what. Each event of a case may call for notices: the reporter hears of the
//! steps that concern them, units of work given to them, unit heads and leadership of
//! escalations. Recipients' addresses are looked up when a notice is sent, so an anonymous
//! reporter without contact simply has none; no notice to staff ever carries the reporter's data.

use crate::lifecycle::{Change, Event, Workflow};

/// Who a notice goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The reporter, at the address given with the case (if any).
    Reporter,
    /// A unit's staff and its shared mailbox.
    Unit(String),
    /// The heads of a unit.
    UnitHeads(String),
    /// The agency's leadership.
    Leadership,
}

impl Audience {
    /// A short stable code, used in deduplication keys and job listings.
    pub fn key(&self) -> String {
        match self {
            Audience::Reporter => "reporter".into(),
            Audience::Unit(unit) => format!("unit:{unit}"),
            Audience::UnitHeads(unit) => format!("unit_heads:{unit}"),
            Audience::Leadership => "leadership".into(),
        }
    }

    pub fn parse(key: &str) -> Option<Audience> {
        match key.split_once(':') {
            None if key == "reporter" => Some(Audience::Reporter),
            None if key == "leadership" => Some(Audience::Leadership),
            Some(("unit", unit)) => Some(Audience::Unit(unit.into())),
            Some(("unit_heads", unit)) => Some(Audience::UnitHeads(unit.into())),
            _ => None,
        }
    }
}

/// Every message template, in the order an admin sees them.
pub const TEMPLATES: &[&str] = &[
    "received",
    "verified",
    "rejected",
    "forwarded",
    "merged",
    "info_requested",
    "answered",
    "closed",
    "unit_disposition",
    "unit_reopened",
    "unit_reminder",
    "escalation",
];

/// One message to send because of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub audience: Audience,
    pub template: &'static str,
}

/// The notices an event calls for. `before` is the case as it was before the event.
pub fn notices(before: &Workflow, event: &Event) -> Vec<Notice> {
    let to = |audience: Audience, template: &'static str| Notice { audience, template };
    let reporter = |template| vec![to(Audience::Reporter, template)];
    match &event.change {
        Change::Received { .. } => reporter("received"),
        Change::Verified { .. } => reporter("verified"),
        Change::Rejected { .. } => reporter("rejected"),
        Change::Forwarded { .. } => reporter("forwarded"),
        Change::Merged { .. } => reporter("merged"),
        Change::InfoRequested { .. } => reporter("info_requested"),
        Change::AnswerPublished { .. } => reporter("answered"),
        Change::Closed { .. } => reporter("closed"),
        Change::Dispositioned {
            lead_unit,
            supporting_units,
            ..
        } => std::iter::once(lead_unit)
            .chain(supporting_units)
            .map(|unit| to(Audience::Unit(unit.clone()), "unit_disposition"))
            .collect(),
        Change::Objected { .. } => before
            .lead_unit
            .iter()
            .map(|unit| to(Audience::Unit(unit.clone()), "unit_reopened"))
            .collect(),
        Change::Reminded { unit, .. } => vec![to(Audience::Unit(unit.clone()), "unit_reminder")],
        Change::Escalated { unit, level, .. } => {
            let audience = if *level >= 2 {
                Audience::Leadership
            } else {
                Audience::UnitHeads(unit.clone())
            };
            vec![to(audience, "escalation")]
        }
        _ => Vec::new(),
    }
}

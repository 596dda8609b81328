//! A small organisation and a case builder shared by the lifecycle tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::new_without_default
)]

use aduan_domain::calendar::{Calendar, HolidayTable, SHIPPED_HOLIDAYS};
use aduan_domain::lifecycle::{Context, Workflow, apply, decide};
use aduan_domain::org::{Agency, Category, Deadlines, Policy, Unit};
use aduan_domain::{Action, Actor, Kind, Organisation, Role, Ticket};
use time::OffsetDateTime;
use time::macros::{datetime, offset};

pub fn org() -> Organisation {
    let unit = |code: &str, parent: Option<&str>| Unit {
        code: code.into(),
        name: code.into(),
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
            contact: Default::default(),
            open311_jurisdiction: None,
        },
        deadlines: Deadlines::default(),
        policy: Policy::default(),
        units: vec![
            unit("ditjen", None),
            unit("hukmas", Some("ditjen")),
            unit("rusun", Some("ditjen")),
            unit("swadaya", Some("ditjen")),
            unit("kepatuhan", Some("ditjen")),
        ],
        categories: vec![
            category("rusun", "rusun", false),
            category("integritas", "kepatuhan", true),
        ],
        deadline_overrides: Vec::new(),
        imports: Default::default(),
        reports: Default::default(),
    }
}

pub fn calendar() -> Calendar {
    let table: HolidayTable = toml::from_str(SHIPPED_HOLIDAYS).unwrap();
    Calendar::new(offset!(+7), &table)
}

pub const START: OffsetDateTime = datetime!(2026-03-02 09:00 +7);

pub fn staff(role: Role, unit: &str) -> Actor {
    Actor::Staff {
        username: format!("{}_{unit}", role.code()),
        role,
        units: vec![unit.to_string()],
    }
}

pub fn coordinator() -> Actor {
    staff(Role::Coordinator, "hukmas")
}

pub struct Harness {
    pub org: Organisation,
    pub cal: Calendar,
    pub ticket: Ticket,
}

impl Harness {
    pub fn new() -> Self {
        Self {
            org: org(),
            cal: calendar(),
            ticket: Ticket::new(Kind::Complaint, 2026, 1),
        }
    }

    pub fn received(&self, kind: Kind) -> Workflow {
        Workflow::received(kind, "rusun".into(), START, &self.org, &self.cal)
    }

    pub fn try_act(
        &self,
        case: &Workflow,
        action: &Action,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> Result<Workflow, aduan_domain::Refusal> {
        let ctx = Context {
            now,
            org: &self.org,
            calendar: &self.cal,
            ticket: &self.ticket,
            channel: None,
        };
        let events = decide(case, action, actor, &ctx)?;
        let mut next = case.clone();
        for event in &events {
            apply(&mut next, event);
        }
        Ok(next)
    }

    pub fn act(&self, case: &Workflow, action: Action, actor: &Actor) -> Workflow {
        self.try_act(case, &action, actor, START)
            .unwrap_or_else(|e| panic!("{action:?} by {actor:?}: {e}"))
    }
}

/// An action of each kind with valid fields for a case of `kind`.
pub fn sample_action(code: aduan_domain::ActionCode, kind: Kind) -> Action {
    use aduan_domain::ActionCode as A;
    use aduan_domain::lifecycle::{Decision, RejectReason};
    match code {
        A::Verify => Action::Verify { category: None },
        A::Reject => Action::Reject {
            reason: RejectReason::Spam,
            note: None,
        },
        A::Forward => Action::Forward {
            agency: "Pemprov DKI".into(),
            reason: "kewenangan daerah".into(),
        },
        A::Merge => Action::Merge {
            into: "ADU-2026-000002".into(),
        },
        A::Link => Action::Link {
            ticket: "ADU-2026-000003".into(),
        },
        A::Unlink => Action::Unlink {
            ticket: "ADU-2026-000003".into(),
        },
        A::Classify => Action::Classify {
            maladministration: vec![aduan_domain::Maladministration::UndueDelay],
        },
        A::Dispose => Action::Dispose {
            lead_unit: "rusun".into(),
            supporting_units: vec!["swadaya".into()],
            instruction: "mohon ditindaklanjuti".into(),
            due_date: None,
        },
        A::Accept => Action::Accept {},
        A::Return => Action::Return {
            reason: "bukan unit kami".into(),
        },
        A::Assign => Action::Assign {
            officer: "andi".into(),
        },
        A::AskInfo => Action::AskInfo {
            question: "Di blok mana?".into(),
        },
        A::AddInfo => Action::AddInfo {
            text: "Blok B".into(),
        },
        A::Message => Action::Message {
            text: "balasan lewat surel".into(),
        },
        A::Note => Action::Note {
            text: "catatan".into(),
        },
        A::SubmitDraft => Action::SubmitDraft {
            text: "Jawaban".into(),
            decision: (kind == Kind::InfoRequest).then_some(Decision::Granted),
            exemption: None,
            attachments: vec![7],
        },
        A::SendBack => Action::SendBack {
            reason: "lengkapi".into(),
        },
        A::Approve => Action::Approve {},
        A::Extend => Action::Extend {
            reason: "data tersebar".into(),
        },
        A::AcceptAnswer => Action::AcceptAnswer { rating: Some(5) },
        A::Object => Action::Object {
            reason: "belum selesai".into(),
            rating: Some(2),
        },
        A::CloseInfoLapsed => Action::CloseInfoLapsed {},
        A::CloseNoReaction => Action::CloseNoReaction {},
    }
}

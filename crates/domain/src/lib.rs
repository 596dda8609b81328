//! The model of Aduan. Pure: no I/O, no async, no database. The outside calls in; nothing here
//! calls out. Randomness and time are passed in by the caller.

pub mod attachment;
pub mod calendar;
pub mod case;
mod codes;
pub mod duplicates;
mod email;
pub mod external;
pub mod info_service;
pub mod intake;
pub mod lapor;
pub mod lifecycle;
pub mod maladministration;
mod nik;
pub mod notify;
pub mod org;
mod phone;
pub mod redact;
pub mod role;
pub mod search;
pub mod social;
pub mod statistics;
pub mod ticket;
pub mod watch;

pub use calendar::Calendar;
pub use case::{Channel, Kind, Language, Location, NewCase, Privacy, Reporter};
pub use email::{Email, EmailError};
pub use lifecycle::{Action, ActionCode, Change, Event, Refusal, State, Workflow};
pub use maladministration::Maladministration;
pub use nik::{Nik, NikError};
pub use org::Organisation;
pub use phone::{Phone, PhoneError};
pub use role::{Actor, Role, Scope};
pub use ticket::{AccessCode, Ticket};

pub mod auth;
pub mod public;
pub mod staff;

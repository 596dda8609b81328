pub mod admin;
pub mod auth;
pub mod public;
pub mod staff;

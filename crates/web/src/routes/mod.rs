pub mod admin;
pub mod auth;
pub mod files;
pub mod imports;
pub mod open311;
pub mod public;
pub mod staff;
pub mod stats;

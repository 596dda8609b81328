pub mod admin;
pub mod auth;
pub mod files;
pub mod imports;
pub mod public;
pub mod staff;

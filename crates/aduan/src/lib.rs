//! The Aduan binary's pieces, as a library so that tests start the real server in-process on
//! a random port.

pub mod cli;
pub mod demo;
pub mod mail_fetcher;
pub mod mail_listener;
pub mod server;
pub mod settings;

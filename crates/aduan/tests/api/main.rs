//! Black-box tests of the JSON API: the real server on a random port, a fresh database each,
//! on SQLite by default and on PostgreSQL with ADUAN_TEST_BACKEND=postgres.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::zombie_processes
)]

mod answers_and_links;
mod bad_input;
mod deadlines;
mod duplicates;
mod durability;
mod helpers;
mod imports;
mod lifecycle;
mod listing;
mod mail_corpus;
mod mail_in;
mod open311;
mod organisation_admin;
mod portal;
mod privacy;
mod smtp;
mod statistics;

//! The portal in a real browser: Debian's chromium driven through chromedriver (WebDriver) by
//! fantoccini, against the real server on a random port. Built only with
//! `--features browser-tests` (`.ci/run` installs chromium and chromedriver and runs it); when
//! either is missing the suite fails, it never skips.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::zombie_processes
)]

mod accessibility;
mod driver;
mod portal;
mod staff;

//! Command-line helpers: parsing arguments the way the API does and printing tables.

use aduan_app::calendar::{CalendarView, ExtraDayKind};
use aduan_app::imports::{ImportReport, RowOutcome};
use aduan_app::views::BacklogView;
use aduan_app::{AppError, StaffUser};
use aduan_domain::{Organisation, Role};
use std::fmt::Write;
use time::Date;

pub fn parse_date(text: &str) -> anyhow::Result<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format)
        .map_err(|_| anyhow::anyhow!("`{text}` is not a date as YYYY-MM-DD"))
}

/// Whoever runs the command on the server's machine acts as an administrator.
pub fn operator() -> StaffUser {
    StaffUser {
        username: "cli".into(),
        role: Role::Admin,
        unit: None,
        units: Vec::new(),
    }
}

/// The operator importing social media messages acts as the intake desk, which records them.
pub fn intake_operator() -> StaffUser {
    StaffUser {
        username: "cli".into(),
        role: Role::Intake,
        unit: None,
        units: Vec::new(),
    }
}

/// An import's outcome: the counts, then each row that was not imported, by line.
pub fn import_text(report: &ImportReport) -> String {
    let mut out = format!(
        "created {}, joined {}, imported before {}, refused {}\n",
        report.created, report.joined, report.already_imported, report.refused
    );
    // Only the rows that need a person: a file of thousands lists nothing when all went well.
    for row in &report.rows {
        let _ = match &row.outcome {
            RowOutcome::Refused { errors } => {
                let list: Vec<String> = errors
                    .iter()
                    .map(|e| format!("{} ({})", e.field, e.code))
                    .collect();
                writeln!(out, "line {}: refused: {}", row.line, list.join(", "))
            }
            RowOutcome::Unreadable { message } => {
                writeln!(out, "line {}: unreadable: {message}", row.line)
            }
            RowOutcome::Created { .. }
            | RowOutcome::Joined { .. }
            | RowOutcome::AlreadyImported { .. } => Ok(()),
        };
    }
    out
}

/// An application error as one line a person can act on.
pub fn explain(error: AppError) -> anyhow::Error {
    match error {
        AppError::Validation(fields) => {
            let list: Vec<String> = fields
                .iter()
                .map(|f| format!("{} ({})", f.field, f.code))
                .collect();
            anyhow::anyhow!("invalid: {}", list.join(", "))
        }
        AppError::NotFound => anyhow::anyhow!("not found"),
        other => anyhow::anyhow!(other),
    }
}

/// The backlog as plain-text tables.
pub fn backlog_table(view: &BacklogView, org: &Organisation) -> String {
    let unit_name = |code: &Option<String>| match code {
        Some(code) => org
            .unit(code)
            .map_or_else(|| code.clone(), |u| format!("{} ({code})", u.name)),
        None => "(belum didisposisi / not dispositioned)".to_string(),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Tunggakan / backlog at {}\n",
        view.at.to_offset(time::UtcOffset::UTC)
    );
    let width = view
        .lines
        .iter()
        .map(|l| unit_name(&l.unit).chars().count())
        .max()
        .unwrap_or(10)
        .max(10);
    let _ = writeln!(
        out,
        "{:<width$}  {:<18}  {:>8}  {:>8}",
        "Unit", "Tahap / stage", "Terbuka", "Terlambat"
    );
    let _ = writeln!(out, "{}", "-".repeat(width + 42));
    for line in &view.lines {
        let _ = writeln!(
            out,
            "{:<width$}  {:<18}  {:>8}  {:>8}",
            unit_name(&line.unit),
            line.state,
            line.open,
            line.overdue
        );
    }
    let _ = writeln!(out, "{}", "-".repeat(width + 42));
    let _ = writeln!(
        out,
        "{:<width$}  {:<18}  {:>8}  {:>8}\n",
        "Jumlah / total", "", view.open, view.overdue
    );
    let on_time = &view.on_time;
    let rate = on_time
        .rate_percent
        .map_or_else(|| "-".to_string(), |r| format!("{r:.1}%"));
    let _ = writeln!(
        out,
        "Tepat waktu / on time {} .. {}: {rate}  (selesai tepat waktu {} dari {} selesai; {} terbuka terlambat)\n",
        on_time.from, on_time.to, on_time.closed_on_time, on_time.closed, on_time.open_overdue
    );
    if !view.overdue_cases.is_empty() {
        let _ = writeln!(
            out,
            "Perkara terlambat, terlama dahulu / overdue cases, longest first (max {}):",
            view.overdue_cases.len()
        );
        for case in &view.overdue_cases {
            let _ = writeln!(
                out,
                "  {:<16} {:<18} {:<22} {:>4} hari kerja / working days",
                case.ticket,
                case.state,
                case.unit.as_deref().unwrap_or("-"),
                case.working_days_overdue
            );
        }
    }
    out
}

pub fn calendar_text(view: &CalendarView) -> String {
    let mut out = String::new();
    let years: Vec<String> = view.covered_years.iter().map(i32::to_string).collect();
    let _ = writeln!(out, "UTC offset: +{}", view.utc_offset_hours);
    let _ = writeln!(out, "Holiday data for: {}", years.join(", "));
    for year in &view.missing_years {
        let _ = writeln!(
            out,
            "WARNING: no holiday data for {year}: every weekday counts as a working day"
        );
    }
    if view.extra_days.is_empty() {
        let _ = writeln!(out, "No added days.");
    }
    for day in &view.extra_days {
        let kind = match day.kind {
            ExtraDayKind::DayOff => "day off",
            ExtraDayKind::WorkingDay => "working day",
        };
        let _ = writeln!(out, "{}  {:<12} {}", day.date, kind, day.reason);
    }
    out
}

//! The monthly report for leadership and the ministry: the month's statistics, every table,
//! and the cases overdue when it is made. Its figures are the statistics' own, so the file and
//! the API cannot disagree; its labels come from `locales/reports.toml`, Indonesian first.

use crate::AppError;
use crate::service::{Aduan, StaffUser};
use crate::statistics::{StatisticsReport, StatsQuery, summary_rows};
use crate::views::OverdueCase;
use aduan_domain::Organisation;
use aduan_domain::info_service::{InfoServiceReport, info_service};
use aduan_domain::intake::FieldError;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use time::{Date, Month, OffsetDateTime};

/// A label in both languages.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub id: String,
    pub en: String,
}

impl Label {
    /// "Diterima / Received": one cell read by people of both languages.
    pub fn both(&self) -> String {
        format!("{} / {}", self.id, self.en)
    }
}

/// The labels of the report files.
#[derive(Debug, Deserialize)]
pub struct Labels {
    pub sheets: BTreeMap<String, Label>,
    pub columns: BTreeMap<String, Label>,
    pub measures: BTreeMap<String, Label>,
    pub text: BTreeMap<String, Label>,
    pub info: BTreeMap<String, Label>,
    pub charts: BTreeMap<String, Label>,
    pub channels: BTreeMap<String, Label>,
    pub maladministration: BTreeMap<String, Label>,
}

impl Labels {
    fn find(group: &BTreeMap<String, Label>, key: &str) -> String {
        group.get(key).map_or_else(|| key.to_string(), Label::both)
    }
    pub fn sheet(&self, key: &str) -> String {
        Self::find(&self.sheets, key)
    }
    pub fn column(&self, key: &str) -> String {
        Self::find(&self.columns, key)
    }
    pub fn measure(&self, key: &str) -> String {
        Self::find(&self.measures, key)
    }
    pub fn text(&self, key: &str) -> String {
        Self::find(&self.text, key)
    }
    pub fn info(&self, key: &str) -> String {
        Self::find(&self.info, key)
    }
    pub fn chart(&self, key: &str) -> String {
        Self::find(&self.charts, key)
    }
    pub fn channel(&self, key: &str) -> String {
        Self::find(&self.channels, key)
    }
    pub fn maladministration(&self, key: &str) -> String {
        Self::find(&self.maladministration, key)
    }
}

/// The shipped labels, read once.
pub fn labels() -> Result<&'static Labels, AppError> {
    static LABELS: OnceLock<Result<Labels, String>> = OnceLock::new();
    LABELS
        .get_or_init(|| {
            toml::from_str(include_str!("../locales/reports.toml")).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| AppError::Internal(format!("report labels: {e}")))
}

/// A month's report.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyReport {
    pub agency: String,
    /// `YYYY-MM`.
    pub month: String,
    pub generated_at: OffsetDateTime,
    pub statistics: StatisticsReport,
    /// Overdue when the report was made, longest overdue first.
    pub overdue: Vec<OverdueCase>,
}

/// The first and last day of `YYYY-MM`.
pub fn month_bounds(month: &str) -> Result<(Date, Date), AppError> {
    let invalid = || AppError::Validation(vec![FieldError::new("month", "invalid")]);
    let (year, number) = month.trim().split_once('-').ok_or_else(invalid)?;
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(invalid)?;
    let number: u8 = number.parse().map_err(|_| invalid())?;
    let month = Month::try_from(number).map_err(|_| invalid())?;
    let first = Date::from_calendar_date(year, month, 1).map_err(|_| invalid())?;
    let last = Date::from_calendar_date(year, month, month.length(year)).map_err(|_| invalid())?;
    Ok((first, last))
}

impl Aduan {
    /// The report of `month` (`YYYY-MM`) as `user` may see it, or the whole agency's.
    pub async fn monthly_report(
        &self,
        user: Option<&StaffUser>,
        month: &str,
    ) -> Result<MonthlyReport, AppError> {
        let (first, last) = month_bounds(month)?;
        let query = StatsQuery {
            from: Some(first.to_string()),
            to: Some(last.to_string()),
            ..StatsQuery::default()
        };
        let (statistics, backlog) = match user {
            Some(user) => (
                self.statistics(user, &query).await?,
                self.backlog(user, None, None).await?,
            ),
            None => (
                self.statistics_all(&query).await?,
                self.backlog_all(None, None).await?,
            ),
        };
        Ok(MonthlyReport {
            agency: self.organisation().agency.name.clone(),
            month: format!("{:04}-{:02}", first.year(), u8::from(first.month())),
            generated_at: self.now(),
            statistics,
            overdue: backlog.overdue_cases,
        })
    }
}

/// A year's information-service report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InfoServiceFile {
    pub agency: String,
    pub year: i32,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub generated_at: OffsetDateTime,
    pub report: InfoServiceReport,
}

impl Aduan {
    /// The information-service report of `year`, as `user` may see it or the whole agency's.
    pub async fn info_service_report(
        &self,
        user: Option<&StaffUser>,
        year: i32,
    ) -> Result<InfoServiceFile, AppError> {
        if !(2000..=2100).contains(&year) {
            return Err(AppError::Validation(vec![FieldError::new(
                "year", "invalid",
            )]));
        }
        let units = match user {
            Some(user) => self.statistics_units(user)?,
            None => None,
        };
        let calendar = self.calendar();
        let offset = calendar.offset();
        let start = |y: i32| {
            Date::from_calendar_date(y, Month::January, 1)
                .map(|d| d.midnight().assume_offset(offset))
                .map_err(|_| AppError::Validation(vec![FieldError::new("year", "invalid")]))
        };
        let now = self.now();
        let from = start(year)?;
        let to = start(year + 1)?.min(now + time::Duration::SECOND).max(from);
        let filter = aduan_domain::statistics::Filter {
            kind: Some(aduan_domain::Kind::InfoRequest),
            ..Default::default()
        };
        let facts = self
            .store
            .case_facts(units.as_deref(), &filter, from, to)
            .await?;
        Ok(InfoServiceFile {
            agency: self.organisation().agency.name.clone(),
            year,
            generated_at: now,
            report: info_service(
                &facts,
                aduan_domain::statistics::Period { from, to },
                &calendar,
            ),
        })
    }
}

/// The summary of the information-service report, in the order every file shows it (keys of
/// `[info]` in the labels); a duration is `None` when no request was decided.
pub fn info_summary_rows(r: &InfoServiceReport) -> Vec<(&'static str, Option<f64>)> {
    vec![
        ("requests", Some(r.requests as f64)),
        ("decided", Some(r.decided as f64)),
        ("granted", Some(r.granted as f64)),
        ("partly_granted", Some(r.partly_granted as f64)),
        ("refused", Some(r.refused as f64)),
        ("not_held", Some(r.not_held as f64)),
        ("decided_on_time", Some(r.decided_on_time as f64)),
        ("extended", Some(r.extended as f64)),
        ("pending_at_end", Some(r.pending_at_end as f64)),
        ("days_median", r.days_to_decide.median.map(|d| d as f64)),
        ("days_p90", r.days_to_decide.p90.map(|d| d as f64)),
        ("objections", Some(r.objections as f64)),
        ("objections_answered", Some(r.objections_answered as f64)),
        (
            "objections_granted_more",
            Some(r.objections_granted_more as f64),
        ),
    ]
}

/// The information-service report as a workbook: the figures the regulation asks for, every
/// request with its time and decision, and the exemption grounds used.
pub fn info_service_xlsx(file: &InfoServiceFile) -> Result<Vec<u8>, AppError> {
    let labels = labels()?;
    let r = &file.report;
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let write = |book: &mut Workbook| -> Result<(), XlsxError> {
        let sheet = book.add_worksheet();
        sheet.set_name(
            labels
                .info
                .get("sheet_summary")
                .map_or("Ringkasan", |l| &l.id),
        )?;
        sheet.write_string_with_format(0, 0, labels.info("title"), &title)?;
        sheet.write_string(1, 0, &file.agency)?;
        sheet.write_string(2, 0, labels.text("period"))?;
        sheet.write_number(2, 1, f64::from(file.year))?;
        sheet.write_string(3, 0, labels.info("basis"))?;
        header(
            sheet,
            5,
            &[labels.column("measure"), labels.column("value")],
            &bold,
        )?;
        for (row, (key, value)) in (6u32..).zip(info_summary_rows(r)) {
            sheet.write_string(row, 0, labels.info(key))?;
            if let Some(value) = value {
                sheet.write_number(row, 1, value)?;
            }
        }

        let sheet = book.add_worksheet();
        sheet.set_name(
            labels
                .info
                .get("sheet_requests")
                .map_or("Permohonan", |l| &l.id),
        )?;
        header(
            sheet,
            0,
            &[
                labels.column("ticket"),
                labels.info("received"),
                labels.info("decided_on"),
                labels.info("working_days"),
                labels.info("extended"),
                labels.info("decision"),
                labels.info("ground"),
                labels.info("objected"),
            ],
            &bold,
        )?;
        let yes = labels.info("yes");
        for (row, request) in (1u32..).zip(&r.rows) {
            sheet.write_string(row, 0, &request.ticket)?;
            sheet.write_string(row, 1, request.received.to_string())?;
            if let Some(decided) = request.decided {
                sheet.write_string(row, 2, decided.to_string())?;
            }
            if let Some(days) = request.working_days {
                sheet.write_number(row, 3, days as f64)?;
            }
            if request.extended {
                sheet.write_string(row, 4, &yes)?;
            }
            if let Some(decision) = &request.decision {
                sheet.write_string(row, 5, labels.info(decision))?;
            }
            if let Some(ground) = &request.exemption {
                sheet.write_string(row, 6, ground)?;
            }
            if request.objected {
                sheet.write_string(row, 7, &yes)?;
            }
        }

        let sheet = book.add_worksheet();
        sheet.set_name(
            labels
                .info
                .get("sheet_exemptions")
                .map_or("Pengecualian", |l| &l.id),
        )?;
        header(
            sheet,
            0,
            &[labels.info("ground"), labels.info("refused")],
            &bold,
        )?;
        for (row, count) in (1u32..).zip(&r.exemptions) {
            sheet.write_string(row, 0, &count.key)?;
            sheet.write_number(row, 1, count.cases as f64)?;
        }
        Ok(())
    };
    write(&mut book).map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// A sheet of counts by code: the code, its name and the cases received.
fn coded_sheet(
    book: &mut Workbook,
    labels: &Labels,
    sheet_key: &str,
    counts: &[aduan_domain::statistics::Count],
    bold: &Format,
    name_of: impl Fn(&str) -> String,
) -> Result<(), XlsxError> {
    let sheet = book.add_worksheet();
    sheet.set_name(labels.sheets.get(sheet_key).map_or(sheet_key, |l| &l.id))?;
    header(
        sheet,
        0,
        &[
            labels.column("code"),
            labels.column("name"),
            labels.measure("received"),
        ],
        bold,
    )?;
    for (row, count) in (1u32..).zip(counts) {
        sheet.write_string(row, 0, &count.key)?;
        sheet.write_string(row, 1, name_of(&count.key))?;
        sheet.write_number(row, 2, count.cases as f64)?;
    }
    Ok(())
}

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// Writes a header row in bold and sets the columns' widths.
fn header(
    sheet: &mut Worksheet,
    row: u32,
    titles: &[String],
    bold: &Format,
) -> Result<(), XlsxError> {
    for (col, title) in (0u16..).zip(titles) {
        sheet.write_string_with_format(row, col, title, bold)?;
        sheet.set_column_width(col, if col == 0 { 48 } else { 20 })?;
    }
    Ok(())
}

fn name_of_category(org: &Organisation, code: &str) -> String {
    org.categories
        .iter()
        .find(|c| c.code == code)
        .map_or_else(String::new, |c| format!("{} / {}", c.name_id, c.name_en))
}

fn name_of_unit(org: &Organisation, code: &str) -> String {
    org.units
        .iter()
        .find(|u| u.code == code)
        .map_or_else(String::new, |u| u.name.clone())
}

/// The report as a workbook: a summary sheet and one sheet per table.
pub fn monthly_xlsx(report: &MonthlyReport, org: &Organisation) -> Result<Vec<u8>, AppError> {
    let labels = labels()?;
    let f = &report.statistics.figures;
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let one_decimal = Format::new().set_num_format("0.0");
    let write = |book: &mut Workbook| -> Result<(), XlsxError> {
        let sheet = book.add_worksheet();
        sheet.set_name(labels.sheets.get("summary").map_or("Ringkasan", |l| &l.id))?;
        sheet.write_string_with_format(0, 0, labels.text("title"), &title)?;
        sheet.write_string(1, 0, &report.agency)?;
        sheet.write_string(2, 0, labels.text("period"))?;
        sheet.write_string(
            2,
            1,
            format!("{} – {}", report.statistics.from, report.statistics.to),
        )?;
        sheet.write_string(3, 0, labels.text("generated"))?;
        sheet.write_string(3, 1, report.generated_at.date().to_string())?;
        header(
            sheet,
            5,
            &[labels.column("measure"), labels.column("value")],
            &bold,
        )?;
        for (row, (code, figure)) in (6u32..).zip(summary_rows(f)) {
            sheet.write_string(row, 0, labels.measure(code))?;
            match figure.number() {
                Some(n) if matches!(figure, crate::statistics::Figure::Rate(_)) => {
                    sheet.write_number_with_format(row, 1, n, &one_decimal)?;
                }
                Some(n) => {
                    sheet.write_number(row, 1, n)?;
                }
                None if code == "on_time_rate" => {
                    let note = labels
                        .text("not_shown")
                        .replace("{n}", &report.statistics.min_group.to_string());
                    sheet.write_string(row, 1, note)?;
                }
                None => {
                    sheet.write_blank(row, 1, &Format::new())?;
                }
            }
        }

        coded_sheet(book, labels, "category", &f.by_category, &bold, |code| {
            name_of_category(org, code)
        })?;

        let sheet = book.add_worksheet();
        sheet.set_name(labels.sheets.get("unit").map_or("Unit kerja", |l| &l.id))?;
        header(
            sheet,
            0,
            &[
                labels.column("code"),
                labels.column("name"),
                labels.measure("received"),
                labels.measure("closed"),
                labels.measure("open_at_end"),
                labels.measure("overdue_at_end"),
                labels.measure("on_time_rate"),
            ],
            &bold,
        )?;
        for (row, unit) in (1u32..).zip(&f.by_unit) {
            sheet.write_string(row, 0, &unit.unit)?;
            sheet.write_string(row, 1, name_of_unit(org, &unit.unit))?;
            for (col, n) in [
                (2u16, unit.received),
                (3, unit.closed),
                (4, unit.open_at_end),
                (5, unit.overdue_at_end),
            ] {
                sheet.write_number(row, col, n as f64)?;
            }
            if let Some(rate) = unit.on_time.rate {
                sheet.write_number_with_format(row, 6, rate, &one_decimal)?;
            }
        }

        for (key, counts) in [
            ("region", &f.by_region),
            ("channel", &f.by_channel),
            ("kind", &f.by_kind),
        ] {
            let sheet = book.add_worksheet();
            sheet.set_name(labels.sheets.get(key).map_or(key, |l| &l.id))?;
            header(
                sheet,
                0,
                &[labels.column("name"), labels.measure("received")],
                &bold,
            )?;
            for (row, count) in (1u32..).zip(counts) {
                sheet.write_string(row, 0, &count.key)?;
                sheet.write_number(row, 1, count.cases as f64)?;
            }
        }

        coded_sheet(
            book,
            labels,
            "maladministration",
            &f.by_maladministration,
            &bold,
            |code| labels.maladministration(code),
        )?;

        let sheet = book.add_worksheet();
        sheet.set_name(labels.sheets.get("week").map_or("Mingguan", |l| &l.id))?;
        header(
            sheet,
            0,
            &[
                labels.column("week"),
                labels.measure("received"),
                labels.measure("closed"),
            ],
            &bold,
        )?;
        for (row, week) in (1u32..).zip(&f.weeks) {
            sheet.write_string(row, 0, week.week.to_string())?;
            sheet.write_number(row, 1, week.received as f64)?;
            sheet.write_number(row, 2, week.closed as f64)?;
        }

        let sheet = book.add_worksheet();
        sheet.set_name(labels.sheets.get("overdue").map_or("Terlambat", |l| &l.id))?;
        sheet.write_string_with_format(0, 0, labels.text("overdue_as_of"), &bold)?;
        header(
            sheet,
            1,
            &[
                labels.column("ticket"),
                labels.sheet("kind"),
                labels.sheet("category"),
                labels.sheet("unit"),
                labels.column("state"),
                labels.column("due_at"),
                labels.column("days_overdue"),
            ],
            &bold,
        )?;
        for (row, case) in (2u32..).zip(&report.overdue) {
            sheet.write_string(row, 0, &case.ticket)?;
            sheet.write_string(row, 1, &case.kind)?;
            sheet.write_string(row, 2, &case.category)?;
            sheet.write_string(row, 3, case.unit.as_deref().unwrap_or("-"))?;
            sheet.write_string(row, 4, &case.state)?;
            sheet.write_string(row, 5, case.due_at.date().to_string())?;
            sheet.write_number(row, 6, case.working_days_overdue as f64)?;
        }
        Ok(())
    };
    write(&mut book).map_err(xlsx_error)?;
    book.save_to_buffer().map_err(xlsx_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_has_both_languages() {
        let labels = labels().unwrap();
        let figures = aduan_domain::statistics::compute(
            &[],
            aduan_domain::statistics::Period {
                from: time::macros::datetime!(2026-10-01 00:00 +7),
                to: time::macros::datetime!(2026-11-01 00:00 +7),
            },
            &aduan_domain::calendar::Calendar::new(
                time::macros::offset!(+7),
                &toml::from_str(aduan_domain::calendar::SHIPPED_HOLIDAYS).unwrap(),
            ),
            5,
        );
        for (code, _) in summary_rows(&figures) {
            let label = labels
                .measures
                .get(code)
                .unwrap_or_else(|| panic!("{code}"));
            assert!(!label.id.is_empty() && !label.en.is_empty() && label.id != label.en);
        }
    }

    #[test]
    fn every_form_of_maladministration_has_both_languages() {
        let labels = labels().unwrap();
        for form in aduan_domain::Maladministration::ALL {
            let label = labels
                .maladministration
                .get(form.code())
                .unwrap_or_else(|| panic!("{form}"));
            assert!(!label.id.is_empty() && !label.en.is_empty() && label.id != label.en);
        }
    }

    #[test]
    fn months_are_read_strictly() {
        let (first, last) = month_bounds("2028-02").unwrap();
        assert_eq!(
            (first.to_string(), last.to_string()),
            ("2028-02-01".into(), "2028-02-29".into())
        );
        for bad in ["2026", "2026-13", "2026-00", "1999-01", "x-01", ""] {
            assert!(month_bounds(bad).is_err(), "{bad}");
        }
    }
}

//! The report files as PDF: typst lays out `reports/monthly.typ` and `reports/info_service.typ`
//! with every figure, label and chart handed over as one JSON document, using only the fonts
//! typst embeds, so that every machine makes the same file. The figures are the statistics'
//! own.

use crate::AppError;
use crate::charts::{ChartWords, statistics_charts};
use crate::reports::{InfoServiceFile, Labels, MonthlyReport, info_summary_rows, labels};
use crate::statistics::{Figure, summary_rows};
use aduan_domain::Organisation;
use serde::Serialize;
use std::sync::OnceLock;
use typst::foundations::{Dict, IntoValue};
use typst_as_lib::typst_kit_options::TypstKitFontOptions;
use typst_as_lib::{TypstEngine, TypstTemplateCollection};
use typst_layout::PagedDocument;

const MONTHLY: (&str, &str) = ("monthly.typ", include_str!("../reports/monthly.typ"));
const INFO_SERVICE: (&str, &str) = (
    "info_service.typ",
    include_str!("../reports/info_service.typ"),
);

#[derive(Serialize)]
struct Chart {
    caption: String,
    svg: String,
}

#[derive(Serialize)]
struct MonthlyData {
    title: String,
    agency: String,
    month: String,
    period: String,
    generated: String,
    labels: std::collections::BTreeMap<&'static str, String>,
    summary: Vec<[String; 2]>,
    charts: Vec<Chart>,
    units_header: Vec<String>,
    units: Vec<[String; 7]>,
    categories_header: Vec<String>,
    categories: Vec<[String; 3]>,
    maladministration: Vec<[String; 2]>,
    weeks_header: Vec<String>,
    weeks: Vec<[String; 3]>,
    overdue_header: Vec<String>,
    overdue: Vec<[String; 7]>,
}

/// The engine with the templates and the embedded fonts, built once (loading fonts is slow).
fn engine() -> &'static TypstEngine<TypstTemplateCollection> {
    static ENGINE: OnceLock<TypstEngine<TypstTemplateCollection>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        TypstEngine::builder()
            .with_static_source_file_resolver([MONTHLY, INFO_SERVICE])
            .search_fonts_with(
                TypstKitFontOptions::default()
                    .include_system_fonts(false)
                    .include_embedded_fonts(true),
            )
            .build()
    })
}

fn both(labels: &Labels, group: &str, key: &str) -> String {
    match group {
        "sheets" => labels.sheet(key),
        "charts" => labels.chart(key),
        "info" => labels.info(key),
        "text" => labels.text(key),
        _ => labels.column(key),
    }
}

fn monthly_data(report: &MonthlyReport, org: &Organisation) -> Result<MonthlyData, AppError> {
    let labels = labels()?;
    let s = &report.statistics;
    let f = &s.figures;
    let not_shown = labels
        .text("not_shown")
        .replace("{n}", &s.min_group.to_string());
    let summary = summary_rows(f)
        .into_iter()
        .map(|(code, figure)| {
            let value = match figure {
                Figure::Rate(None) if code == "on_time_rate" => not_shown.clone(),
                other => {
                    let text = other.text();
                    if text.is_empty() { "-".into() } else { text }
                }
            };
            [labels.measure(code), value]
        })
        .collect();
    let words = ChartWords {
        trend: labels.chart("trend"),
        backlog: labels.chart("backlog"),
        on_time: labels.chart("on_time"),
        channels: labels.chart("channels"),
        received: labels.measure("received"),
        finished: labels.measure("closed"),
        open: labels.chart("open"),
        overdue: labels.chart("overdue"),
    };
    let charts = statistics_charts(f, &words, |code| labels.channel(code))
        .into_iter()
        .map(|(caption, svg)| Chart { caption, svg })
        .collect();
    let unit_name = |code: &str| {
        org.units
            .iter()
            .find(|u| u.code == code)
            .map_or_else(String::new, |u| u.name.clone())
    };
    let rate = |r: Option<f64>| r.map_or_else(|| "-".into(), |r| format!("{r:.1}"));
    let mut text = std::collections::BTreeMap::new();
    for (key, group, label) in [
        ("period", "text", "period"),
        ("generated", "text", "generated"),
        ("summary", "sheets", "summary"),
        ("measure", "columns", "measure"),
        ("value", "columns", "value"),
        ("units", "sheets", "unit"),
        ("categories", "sheets", "category"),
        ("maladministration", "sheets", "maladministration"),
        ("weeks", "sheets", "week"),
        ("overdue", "text", "overdue_as_of"),
        ("none", "charts", "none"),
    ] {
        text.insert(key, both(labels, group, label));
    }
    Ok(MonthlyData {
        title: labels.text("title"),
        agency: report.agency.clone(),
        month: report.month.clone(),
        period: format!("{} – {}", s.from, s.to),
        generated: report.generated_at.date().to_string(),
        labels: text,
        summary,
        charts,
        units_header: vec![
            labels.column("code"),
            labels.column("name"),
            labels.measure("received"),
            labels.measure("closed"),
            labels.measure("open_at_end"),
            labels.measure("overdue_at_end"),
            labels.measure("on_time_rate"),
        ],
        units: f
            .by_unit
            .iter()
            .map(|u| {
                [
                    u.unit.clone(),
                    unit_name(&u.unit),
                    u.received.to_string(),
                    u.closed.to_string(),
                    u.open_at_end.to_string(),
                    u.overdue_at_end.to_string(),
                    rate(u.on_time.rate),
                ]
            })
            .collect(),
        categories_header: vec![
            labels.column("code"),
            labels.column("name"),
            labels.measure("received"),
        ],
        categories: f
            .by_category
            .iter()
            .map(|c| {
                let name = org
                    .categories
                    .iter()
                    .find(|k| k.code == c.key)
                    .map_or_else(String::new, |k| k.name_id.clone());
                [c.key.clone(), name, c.cases.to_string()]
            })
            .collect(),
        maladministration: f
            .by_maladministration
            .iter()
            .map(|c| [labels.maladministration(&c.key), c.cases.to_string()])
            .collect(),
        weeks_header: vec![
            labels.column("week"),
            labels.measure("received"),
            labels.measure("closed"),
        ],
        weeks: f
            .weeks
            .iter()
            .map(|w| {
                [
                    w.week.to_string(),
                    w.received.to_string(),
                    w.closed.to_string(),
                ]
            })
            .collect(),
        overdue_header: vec![
            labels.column("ticket"),
            labels.sheet("kind"),
            labels.sheet("category"),
            labels.sheet("unit"),
            labels.column("state"),
            labels.column("due_at"),
            labels.column("days_overdue"),
        ],
        overdue: report
            .overdue
            .iter()
            .map(|c| {
                [
                    c.ticket.clone(),
                    c.kind.clone(),
                    c.category.clone(),
                    c.unit.clone().unwrap_or_else(|| "-".into()),
                    c.state.clone(),
                    c.due_at.date().to_string(),
                    c.working_days_overdue.to_string(),
                ]
            })
            .collect(),
    })
}

/// The monthly report as a PDF document.
pub fn monthly_pdf(report: &MonthlyReport, org: &Organisation) -> Result<Vec<u8>, AppError> {
    render(MONTHLY.0, &monthly_data(report, org)?)
}

#[derive(Serialize)]
struct InfoServiceData {
    title: String,
    agency: String,
    year: String,
    basis: String,
    generated: String,
    labels: std::collections::BTreeMap<&'static str, String>,
    summary: Vec<[String; 2]>,
    exemptions_header: Vec<String>,
    exemptions: Vec<[String; 2]>,
    requests_header: Vec<String>,
    requests: Vec<[String; 8]>,
    objections: Vec<[String; 2]>,
}

/// Keys of the summary that belong to part C (objections) rather than part B.
const OBJECTION_ROWS: &[&str] = &[
    "objections",
    "objections_answered",
    "objections_granted_more",
];

fn info_service_data(file: &InfoServiceFile) -> Result<InfoServiceData, AppError> {
    let labels = labels()?;
    let r = &file.report;
    let mut text = std::collections::BTreeMap::new();
    for (key, group, label) in [
        ("period", "text", "period"),
        ("generated", "text", "generated"),
        ("measure", "columns", "measure"),
        ("value", "columns", "value"),
        ("requests", "info", "requests_list"),
        ("none", "info", "none"),
    ] {
        text.insert(key, both(labels, group, label));
    }
    for part in [
        "part_a",
        "part_b",
        "part_c",
        "part_d",
        "part_e",
        "by_ppid",
        "disputes_note",
    ] {
        text.insert(part, labels.info(part));
    }
    text.insert("exemptions", labels.info("sheet_exemptions"));
    text.insert("basis", labels.info("basis_label"));
    let (summary, objections): (Vec<_>, Vec<_>) = info_summary_rows(r)
        .into_iter()
        .partition(|(key, _)| !OBJECTION_ROWS.contains(key));
    let rows = |rows: Vec<(&str, Option<f64>)>| -> Vec<[String; 2]> {
        rows.into_iter()
            .map(|(key, value)| {
                [
                    labels.info(key),
                    value.map_or_else(|| "-".into(), |v| format!("{v}")),
                ]
            })
            .collect()
    };
    let yes = labels.info("yes");
    let flag = |on: bool| if on { yes.clone() } else { String::new() };
    Ok(InfoServiceData {
        title: labels.info("title"),
        agency: file.agency.clone(),
        year: file.year.to_string(),
        basis: labels.info("basis"),
        generated: file.generated_at.date().to_string(),
        labels: text,
        summary: rows(summary),
        exemptions_header: vec![labels.info("ground"), labels.info("refused")],
        exemptions: r
            .exemptions
            .iter()
            .map(|c| [c.key.clone(), c.cases.to_string()])
            .collect(),
        requests_header: vec![
            labels.column("ticket"),
            labels.info("received"),
            labels.info("decided_on"),
            labels.info("working_days"),
            labels.info("extended"),
            labels.info("decision"),
            labels.info("ground"),
            labels.info("objected"),
        ],
        requests: r
            .rows
            .iter()
            .map(|q| {
                [
                    q.ticket.clone(),
                    q.received.to_string(),
                    q.decided.map(|d| d.to_string()).unwrap_or_default(),
                    q.working_days.map(|d| d.to_string()).unwrap_or_default(),
                    flag(q.extended),
                    q.decision
                        .as_deref()
                        .map(|d| labels.info(d))
                        .unwrap_or_default(),
                    q.exemption.clone().unwrap_or_default(),
                    flag(q.objected),
                ]
            })
            .collect(),
        objections: rows(objections),
    })
}

/// The yearly information-service report as a PDF document, in the regulation's parts.
pub fn info_service_pdf(file: &InfoServiceFile) -> Result<Vec<u8>, AppError> {
    render(INFO_SERVICE.0, &info_service_data(file)?)
}

/// Lays out one template with `data` as its input and writes the PDF.
fn render(template: &str, data: &impl Serialize) -> Result<Vec<u8>, AppError> {
    let data =
        serde_json::to_string(data).map_err(|e| AppError::Internal(format!("pdf data: {e}")))?;
    let mut inputs = Dict::new();
    inputs.insert("data".into(), data.into_value());
    let document: PagedDocument = engine()
        .compile_with_input(template, inputs)
        .output
        .map_err(|e| AppError::Internal(format!("pdf layout: {e:?}")))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|e| AppError::Internal(format!("pdf: {e:?}")))
}

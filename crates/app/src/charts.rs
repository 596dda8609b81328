//! Small bar charts as SVG, drawn on the server so that the pages need no script and the same
//! picture can go into a PDF. Only what the dashboards need: grouped vertical bars (a trend over
//! weeks) and horizontal bars (one per unit or channel). Colours are attributes, not CSS, so the
//! SVG stands alone; every chart has a title for screen readers, and the pages show the same
//! figures in a table beside it.

use std::fmt::Write;

/// Colours with enough contrast on white (WCAG 3:1 for graphics).
pub const BLUE: &str = "#1d5f8a";
pub const ORANGE: &str = "#b35900";
pub const RED: &str = "#b42318";

/// One series of bars.
pub struct Series<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub values: Vec<f64>,
}

/// Text safe inside SVG elements and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A round number at or above `max`, for the axis.
fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Grouped vertical bars: one group per label, one bar per series, with a legend.
/// `id` must be unique on the page (it names the title for screen readers).
pub fn grouped_bars(id: &str, title: &str, labels: &[String], series: &[Series<'_>]) -> String {
    let (width, height, left, bottom, top) = (640.0, 260.0, 40.0, 40.0, 30.0);
    let plot_w = width - left - 10.0;
    let plot_h = height - bottom - top;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    let ceiling = nice_ceiling(max);
    let groups = labels.len().max(1) as f64;
    let group_w = plot_w / groups;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-title" font-family="sans-serif" font-size="11"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    for tick in 0..=4 {
        let value = ceiling * f64::from(tick) / 4.0;
        let y = top + plot_h - plot_h * f64::from(tick) / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d5dd"/><text x="{}" y="{:.1}" text-anchor="end" fill="#344054">{}</text>"##,
            width - 10.0,
            left - 4.0,
            y + 4.0,
            number(value)
        );
    }
    for (g, label) in labels.iter().enumerate() {
        let x0 = left + group_w * g as f64 + group_w * 0.1;
        for (s, one) in series.iter().enumerate() {
            let value = one.values.get(g).copied().unwrap_or(0.0);
            let h = plot_h * value / ceiling;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                x0 + bar_w * s as f64,
                top + plot_h - h,
                one.colour,
                escape(&format!("{label}, {}", one.name)),
                number(value)
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#344054">{}</text>"##,
            left + group_w * (g as f64 + 0.5),
            height - bottom + 16.0,
            escape(label)
        );
    }
    legend(&mut svg, series, left, 14.0);
    svg.push_str("</svg>");
    svg
}

fn legend(svg: &mut String, series: &[Series<'_>], x: f64, y: f64) {
    let mut at = x;
    for one in series {
        let _ = write!(
            svg,
            r##"<rect x="{at:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{y:.1}" fill="#101828">{}</text>"##,
            y - 9.0,
            one.colour,
            at + 14.0,
            escape(one.name)
        );
        at += 24.0 + 7.0 * one.name.chars().count() as f64;
    }
}

/// Horizontal bars, one row per label and one bar per series in that row; `max` fixes the
/// scale (100 for percentages).
pub fn row_bars(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    max: Option<f64>,
    suffix: &str,
) -> String {
    let rows = labels.len().max(1) as f64;
    let per_row = 8.0 + 14.0 * series.len().max(1) as f64;
    let (width, left, top) = (640.0, 170.0, 26.0);
    let height = top + rows * per_row + 8.0;
    let plot_w = width - left - 60.0;
    let biggest = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    let ceiling = max.unwrap_or_else(|| nice_ceiling(biggest));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0}" role="img" aria-labelledby="{id}-title" font-family="sans-serif" font-size="11"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    for (r, label) in labels.iter().enumerate() {
        let y0 = top + per_row * r as f64;
        let short: String = label.chars().take(28).collect();
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#344054">{}</text>"##,
            left - 6.0,
            y0 + per_row / 2.0 + 3.0,
            escape(&short)
        );
        for (s, one) in series.iter().enumerate() {
            let value = one.values.get(r).copied().unwrap_or(0.0);
            let w = if ceiling > 0.0 {
                plot_w * (value / ceiling).min(1.0)
            } else {
                0.0
            };
            let y = y0 + 4.0 + 14.0 * s as f64;
            let _ = write!(
                svg,
                r##"<rect x="{left}" y="{y:.1}" width="{w:.1}" height="12" fill="{}"><title>{}: {}{suffix}</title></rect><text x="{:.1}" y="{:.1}" fill="#101828">{}{suffix}</text>"##,
                one.colour,
                escape(&format!("{label}, {}", one.name)),
                number(value),
                left + w + 4.0,
                y + 10.0,
                number(value)
            );
        }
    }
    if series.len() > 1 {
        legend(&mut svg, series, left, 14.0);
    }
    svg.push_str("</svg>");
    svg
}

/// The words a chart set is drawn with, in the language of the page or file.
pub struct ChartWords {
    pub trend: String,
    pub backlog: String,
    pub on_time: String,
    pub channels: String,
    pub received: String,
    pub finished: String,
    pub open: String,
    pub overdue: String,
}

/// The four charts of a period's statistics (dashboard and monthly report): received against
/// finished per week, open and overdue per unit, on-time rate per unit (units with a rate
/// only), and cases per channel. Each is a caption and its SVG.
pub fn statistics_charts(
    f: &aduan_domain::statistics::Statistics,
    words: &ChartWords,
    channel_name: impl Fn(&str) -> String,
) -> Vec<(String, String)> {
    let weeks: Vec<String> = f
        .weeks
        .iter()
        .map(|w| format!("{:02}/{:02}", w.week.day(), u8::from(w.week.month())))
        .collect();
    let units: Vec<String> = f.by_unit.iter().map(|u| u.unit.clone()).collect();
    let rated: Vec<_> = f
        .by_unit
        .iter()
        .filter(|u| u.on_time.rate.is_some())
        .collect();
    vec![
        (
            words.trend.clone(),
            grouped_bars(
                "chart-trend",
                &words.trend,
                &weeks,
                &[
                    Series {
                        name: &words.received,
                        colour: BLUE,
                        values: f.weeks.iter().map(|w| w.received as f64).collect(),
                    },
                    Series {
                        name: &words.finished,
                        colour: ORANGE,
                        values: f.weeks.iter().map(|w| w.closed as f64).collect(),
                    },
                ],
            ),
        ),
        (
            words.backlog.clone(),
            row_bars(
                "chart-backlog",
                &words.backlog,
                &units,
                &[
                    Series {
                        name: &words.open,
                        colour: BLUE,
                        values: f.by_unit.iter().map(|u| u.open_at_end as f64).collect(),
                    },
                    Series {
                        name: &words.overdue,
                        colour: RED,
                        values: f.by_unit.iter().map(|u| u.overdue_at_end as f64).collect(),
                    },
                ],
                None,
                "",
            ),
        ),
        (
            words.on_time.clone(),
            row_bars(
                "chart-on-time",
                &words.on_time,
                &rated.iter().map(|u| u.unit.clone()).collect::<Vec<_>>(),
                &[Series {
                    name: "%",
                    colour: BLUE,
                    values: rated.iter().filter_map(|u| u.on_time.rate).collect(),
                }],
                Some(100.0),
                "%",
            ),
        ),
        (
            words.channels.clone(),
            row_bars(
                "chart-channels",
                &words.channels,
                &f.by_channel
                    .iter()
                    .map(|c| channel_name(&c.key))
                    .collect::<Vec<_>>(),
                &[Series {
                    name: &words.received,
                    colour: BLUE,
                    values: f.by_channel.iter().map(|c| c.cases as f64).collect(),
                }],
                None,
                "",
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_values_scaled() {
        let svg = grouped_bars(
            "tren",
            "Diterima <script>",
            &["Minggu 1".into(), "A&B".into()],
            &[Series {
                name: "Diterima",
                colour: BLUE,
                values: vec![3.0, 7.0],
            }],
        );
        assert!(svg.contains("Diterima &lt;script&gt;") && svg.contains("A&amp;B"));
        assert!(!svg.contains("<script>"));
        // 7 is drawn against an axis of 8: 87.5% of the plot's 190 px height.
        assert!(svg.contains(r#"height="166.2""#), "{svg}");
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 8.0);
        assert_eq!(nice_ceiling(12.0), 12.0);
        assert_eq!(nice_ceiling(230.0), 250.0);
        assert_eq!(nice_ceiling(567.0), 600.0);
    }

    #[test]
    fn percentages_keep_their_scale() {
        let svg = row_bars(
            "tepat",
            "Tepat waktu",
            &["rusun".into()],
            &[Series {
                name: "%",
                colour: BLUE,
                values: vec![50.0],
            }],
            Some(100.0),
            "%",
        );
        assert!(svg.contains(r#"width="205.0""#), "half of 410 px: {svg}");
        assert!(svg.contains(">50%</text>"));
    }
}

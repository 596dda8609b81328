//! `aduan-bench`: measures Aduan as a separate process over loopback, next to the ceilings of
//! the same machine in the same run. See BENCHMARKS.md for how to read and reproduce it.

mod ceilings;
mod load;
mod server;

use clap::{Parser, Subcommand};
use load::Stats;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "aduan-bench",
    about = "Benchmarks of Aduan over loopback (never run against other hosts)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill a fresh database with N demo cases, start `aduan serve`, and measure.
    Run {
        #[arg(long, default_value = "sqlite")]
        backend: String,
        #[arg(long, default_value_t = 10_000)]
        cases: u64,
        /// Seconds per measurement.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// The aduan binary to measure (build it with --release).
        #[arg(long, default_value = "target/release/aduan")]
        aduan: PathBuf,
        /// Folder for the SQLite database (on the disk under test).
        #[arg(long, default_value = "target/bench-data")]
        data: PathBuf,
        #[arg(
            long,
            env = "ADUAN_BENCH_POSTGRES_URL",
            default_value = "postgres://postgres@127.0.0.1:5432/postgres"
        )]
        postgres: String,
        /// Append the result rows as Markdown to this file.
        #[arg(long)]
        markdown: Option<PathBuf>,
        /// Exit with an error if any measurement saw a failed request or none at all (for the
        /// CI smoke run; timings are never asserted).
        #[arg(long)]
        strict: bool,
        /// Fill the database once (DATA/kept-CASES on SQLite, `aduan_bench_kept_CASES` on
        /// PostgreSQL) and reuse it in later runs.
        #[arg(long)]
        keep: bool,
    },
    /// The bare HTTP ceiling: serve a small JSON body on ADDR.
    BareHttp {
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::BareHttp { listen } => ceilings::serve_bare_http(&listen).await,
        Command::Run {
            backend,
            cases,
            seconds,
            clients,
            aduan,
            data,
            postgres,
            markdown,
            strict,
            keep,
        } => {
            let setup = server::Setup {
                backend,
                cases,
                aduan,
                data,
                postgres,
                keep,
            };
            let report = run(&setup, Duration::from_secs(seconds), clients).await?;
            println!("{}", report.table());
            if let Some(path) = markdown {
                use std::io::Write;
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                writeln!(file, "{}", report.markdown_rows())?;
            }
            if strict {
                for (name, stats, _) in report.rows() {
                    anyhow::ensure!(
                        stats.requests > 0 && stats.errors == 0,
                        "{name}: {} requests, {} errors",
                        stats.requests,
                        stats.errors
                    );
                }
            }
            Ok(())
        }
    }
}

struct Report {
    backend: String,
    cases: u64,
    demo_rate: f64,
    http_ceiling: Stats,
    insert_ceiling: Stats,
    submissions: Stats,
    tracking: Stats,
    list: Stats,
    search: Stats,
    backlog: Stats,
    monthly: Stats,
    period_statistics: Stats,
    period_statistics_cold: Stats,
    report_files: Stats,
    idle_rss_mb: f64,
}

impl Report {
    fn rows(&self) -> Vec<(String, &Stats, Option<f64>)> {
        let ratio = |s: &Stats, c: &Stats| {
            if c.rate() > 0.0 {
                Some(s.rate() / c.rate())
            } else {
                None
            }
        };
        vec![
            ("ceiling: bare HTTP GET".into(), &self.http_ceiling, None),
            (
                "ceiling: bare durable insert (group commit)".into(),
                &self.insert_ceiling,
                None,
            ),
            (
                "case submissions (durable)".into(),
                &self.submissions,
                ratio(&self.submissions, &self.insert_ceiling),
            ),
            (
                "tracking lookups".into(),
                &self.tracking,
                ratio(&self.tracking, &self.http_ceiling),
            ),
            ("staff list, filtered".into(), &self.list, None),
            ("full-text search".into(), &self.search, None),
            ("backlog".into(), &self.backlog, None),
            ("monthly statistics".into(), &self.monthly, None),
            (
                "statistics of a month from case facts".into(),
                &self.period_statistics,
                None,
            ),
            (
                "statistics of a month, each filter new (1 client)".into(),
                &self.period_statistics_cold,
                None,
            ),
            (
                "monthly report file (xlsx, pdf; 1 client)".into(),
                &self.report_files,
                None,
            ),
        ]
    }

    /// The server's peak over the whole run: the largest of the measurements' peaks.
    fn peak_rss_mb(&self) -> f64 {
        self.rows()
            .iter()
            .map(|(_, s, _)| s.peak_rss_mb)
            .fold(self.idle_rss_mb, f64::max)
    }

    fn table(&self) -> String {
        let mut out = format!(
            "backend {} with {} cases (demo data loaded at {:.0} cases/s)\n{:<46} {:>10} {:>9} {:>9} {:>8} {:>7} {:>8}\n",
            self.backend,
            self.cases,
            self.demo_rate,
            "measurement",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "ratio",
            "peak MB"
        );
        for (name, s, ratio) in self.rows() {
            let ratio = ratio
                .map(|r| format!("{r:.2}"))
                .unwrap_or_else(|| "-".into());
            out.push_str(&format!(
                "{name:<46} {:>10.0} {:>9.2} {:>9.2} {:>8} {:>7} {:>8}\n",
                s.rate(),
                s.p50_ms,
                s.p99_ms,
                s.errors,
                ratio,
                peak(s)
            ));
        }
        out.push_str(&format!(
            "server RSS: idle {:.1} MB, peak {:.1} MB\n",
            self.idle_rss_mb,
            self.peak_rss_mb()
        ));
        out
    }

    fn markdown_rows(&self) -> String {
        let mut out = String::new();
        for (name, s, ratio) in self.rows() {
            let ratio = ratio
                .map(|r| format!("{r:.2}"))
                .unwrap_or_else(|| "–".into());
            out.push_str(&format!(
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} |\n",
                self.backend,
                self.cases,
                name,
                s.rate(),
                s.p50_ms,
                s.p99_ms,
                s.errors,
                ratio,
                peak(s)
            ));
        }
        out.push_str(&format!(
            "| {} | {} | server RSS idle / peak (MB) | {:.1} / {:.1} | | | | | |\n| {} | {} | demo-data load (cases/s) | {:.0} | | | | | |",
            self.backend,
            self.cases,
            self.idle_rss_mb,
            self.peak_rss_mb(),
            self.backend,
            self.cases,
            self.demo_rate
        ));
        out
    }
}

/// A measurement's peak memory as shown; `-` for the ceilings, which run without the server.
fn peak(stats: &Stats) -> String {
    if stats.peak_rss_mb > 0.0 {
        format!("{:.0}", stats.peak_rss_mb)
    } else {
        "-".into()
    }
}

async fn run(setup: &server::Setup, duration: Duration, clients: usize) -> anyhow::Result<Report> {
    let prepared = server::prepare(setup).await?;
    eprintln!("demo data: {}", prepared.demo_summary);

    eprintln!("ceiling: bare HTTP");
    let http_ceiling = server::bare_http_ceiling(clients, duration).await?;
    eprintln!("ceiling: durable insert");
    let insert_ceiling = ceilings::durable_insert(&prepared.scratch_url, clients, duration).await?;

    let running = server::start(setup, &prepared).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss_mb = server::rss_mb(running.pid, "VmRSS");
    let measures = server::Measures::new(&running, setup).await?;
    let watch = server::PeakWatch::new(running.pid);
    eprintln!("measuring submissions");
    let submissions = watch.measured(measures.submissions(clients, duration).await);
    eprintln!("measuring tracking");
    let tracking = watch.measured(measures.tracking(clients, duration).await);
    eprintln!("measuring staff queries");
    let list = watch.measured(measures.list(clients, duration).await);
    let search = watch.measured(measures.search(clients, duration).await);
    let backlog = watch.measured(measures.backlog(clients, duration).await);
    let monthly = watch.measured(measures.monthly(clients, duration).await);
    eprintln!("measuring statistics and reports");
    let period_statistics = watch.measured(measures.period_statistics(clients, duration).await);
    let period_statistics_cold = watch.measured(measures.period_statistics_cold(duration).await);
    let report_files = watch.measured(measures.report_files(duration).await);
    running.stop();
    prepared.cleanup().await;
    Ok(Report {
        backend: setup.backend.clone(),
        cases: setup.cases,
        demo_rate: prepared.demo_rate,
        http_ceiling,
        insert_ceiling,
        submissions,
        tracking,
        list,
        search,
        backlog,
        monthly,
        period_statistics,
        period_statistics_cold,
        report_files,
        idle_rss_mb,
    })
}

//! `aduan`: public complaints and information requests for government agencies.

use aduan::mail_fetcher::ImapSettings;
use aduan::settings::{DEFAULT_DATABASE, DEFAULT_LISTEN, DEFAULT_MAIL_FROM, FileSettings};
use aduan::{cli, demo, server};
use aduan_app::SystemClock;
use aduan_domain::Role;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

/// mimalloc instead of glibc's allocator: under the benchmark's load it served about a tenth
/// more tracking lookups and submissions, for about 10 MB more memory at rest.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "aduan",
    version,
    about = "Aduan: public complaints and information requests for government agencies"
)]
struct Cli {
    /// TOML config file with `listen`, `database` and `organisation` keys. Flags and ADUAN_*
    /// environment variables override it.
    #[arg(long, global = true, env = "ADUAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DatabaseArg {
    /// Database URL: sqlite://PATH (embedded, the default: sqlite://./data/aduan.db) or
    /// postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, env = "ADUAN_DATABASE_URL")]
    database: Option<String>,
    /// Organisation file (units, categories, deadlines); stored and used from then on. Without
    /// it, the stored organisation is used, or the shipped Ditjen Perumahan default.
    #[arg(long, env = "ADUAN_ORGANISATION")]
    organisation: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct WorkerArgs {
    /// SMTP server for notifications, as lettre reads it: smtp://HOST:PORT (plain, e.g. a local
    /// relay), smtp://USER:PASS@HOST:587?tls=required (STARTTLS) or smtps://USER:PASS@HOST:465.
    /// Without it, messages wait in the outbox and are retried.
    #[arg(long, env = "ADUAN_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of notifications, e.g. "Pengaduan Ditjen Perumahan <pengaduan@example.go.id>".
    #[arg(long, env = "ADUAN_MAIL_FROM")]
    mail_from: Option<String>,
    /// Address of the portal, used in tracking links sent to reporters.
    #[arg(long, env = "ADUAN_PUBLIC_URL")]
    public_url: Option<String>,
    /// Seconds between worker passes (deadline watch and outbox).
    #[arg(long, env = "ADUAN_WORKER_INTERVAL", default_value_t = 30)]
    worker_interval: u64,
}

#[derive(Args, Clone)]
struct ImapArgs {
    /// The complaints mailbox to poll over IMAP with TLS: imaps://USER@HOST[:993][/MAILBOX]
    /// or imap://USER@HOST[:143][/MAILBOX] with STARTTLS (required). A user that is an e-mail
    /// address is written with %40 for its @. Each mail becomes a case, a reply on its case,
    /// or waits in the quarantine, and is then moved to the processed folder.
    #[arg(long, env = "ADUAN_IMAP_URL")]
    imap_url: Option<String>,
    /// The mailbox password (better here or in the environment than in the URL).
    #[arg(long, env = "ADUAN_IMAP_PASSWORD", hide_env_values = true)]
    imap_password: Option<String>,
    /// The folder handled mail is moved to; created when missing [default: Aduan-Diproses].
    #[arg(long, env = "ADUAN_IMAP_DONE_FOLDER")]
    imap_done_folder: Option<String>,
    /// A PEM file of certificate authorities to trust besides the system's.
    #[arg(long, env = "ADUAN_IMAP_CA_FILE")]
    imap_ca_file: Option<PathBuf>,
    /// Seconds between polls of the mailbox [default: 60].
    #[arg(long, env = "ADUAN_IMAP_INTERVAL")]
    imap_interval: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API and background worker) until Ctrl-C or SIGTERM. Migrations run at start.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ADUAN_LISTEN")]
        listen: Option<String>,
        /// Serve only; leave deadlines and mail to a separate `aduan worker`.
        #[arg(long)]
        no_worker: bool,
        /// Take mail for the complaints mailbox over SMTP on this loopback address (e.g.
        /// 127.0.0.1:2525), handed on by the agency's mail server. Each mail becomes a case, a
        /// reply on its case, or waits in the quarantine on the admin page.
        #[arg(long, env = "ADUAN_MAIL_LISTEN")]
        mail_listen: Option<String>,
        #[command(flatten)]
        imap: ImapArgs,
        #[command(flatten)]
        db: DatabaseArg,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Poll the complaints mailbox over IMAP (see `serve --imap-url`) without the server:
    /// once, or every --imap-interval seconds until Ctrl-C or SIGTERM.
    FetchMail {
        /// Read the mailbox once and exit, printing what became of its mail.
        #[arg(long)]
        once: bool,
        #[command(flatten)]
        imap: ImapArgs,
        #[command(flatten)]
        db: DatabaseArg,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Run only the background worker: the deadline watch (reminders, escalations, closing
    /// lapsed cases) and the outbox (e-mail). Several may share one PostgreSQL database.
    Worker {
        /// Run one pass and exit (for cron or a test) instead of running until stopped.
        #[arg(long)]
        once: bool,
        #[command(flatten)]
        db: DatabaseArg,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Print the backlog (tunggakan): open and overdue cases per unit and stage, the overdue
    /// cases longest overdue first, and the on-time rate of a period.
    Backlog {
        /// First day of the on-time period (YYYY-MM-DD; default: the first of this month).
        #[arg(long)]
        from: Option<String>,
        /// Last day of the on-time period (YYYY-MM-DD; default: today).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Show or change the working-day calendar (days off and worked weekend days added on top
    /// of the shipped national holidays and cuti bersama).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Fill the database with N realistic Indonesian demo cases spread over three years.
    DemoData {
        /// How many cases.
        count: u64,
        /// Seed of the generator: the same seed makes the same cases.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Print the organisation in force as TOML, to edit and pass back with --organisation.
    Organisation {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Import reports from SP4N-LAPOR! or messages from social media (docs/IMPORTS.md). Good
    /// rows are imported, bad rows are listed by line; a row imported before is skipped.
    Import {
        /// `lapor` or `social`.
        source: ImportSource,
        /// The file (JSON array or CSV with a header row).
        file: PathBuf,
        /// `json` or `csv`; by default from the file's extension.
        #[arg(long)]
        format: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Make a report: `monthly YYYY-MM` for leadership and the ministry (the month's figures,
    /// every table, the charts and the overdue cases) as a workbook (xlsx), PDF, CSV (UTF-8
    /// with BOM) or JSON;
    /// `info-service YYYY`, the yearly public information service report, as xlsx, pdf or JSON.
    Report {
        /// `monthly` or `info-service`.
        kind: ReportKind,
        /// The month (YYYY-MM) or, for info-service, the year (YYYY).
        period: String,
        /// `xlsx` (default), `pdf` or `csv` (monthly only), or `json`.
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Export what the agency did on cases from SP4N-LAPOR! (verification, follow-ups,
    /// closures) to post back to LAPOR!.
    Export {
        /// `lapor`.
        target: ExportTarget,
        /// From this day on (YYYY-MM-DD, the agency's time).
        #[arg(long)]
        since: String,
        /// `csv` (default) or `json`.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ImportSource {
    Lapor,
    Social,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportTarget {
    Lapor,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportKind {
    Monthly,
    InfoService,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account. The password is read from standard input (at least 10 characters).
    Add {
        #[arg(long)]
        username: String,
        /// intake, coordinator, unit_officer, unit_head, leadership, auditor, monitor or admin.
        #[arg(long)]
        role: String,
        /// Unit code; required for unit_officer and unit_head.
        #[arg(long)]
        unit: Option<String>,
        /// Where this member's notifications go (dispositions, reminders, escalations).
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Years with holiday data, years missing it, and the added days.
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Add a day: --day-off for an extra holiday, --working-day for a weekend day that is worked.
    Add {
        /// YYYY-MM-DD
        date: String,
        #[arg(
            long,
            conflicts_with = "working_day",
            required_unless_present = "working_day"
        )]
        day_off: bool,
        #[arg(long)]
        working_day: bool,
        /// Why: the decree or the occasion.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Remove an added day.
    Remove {
        /// YYYY-MM-DD
        date: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Demo data drives thousands of actions: log only what goes wrong.
    let quiet = matches!(cli.command, Command::DemoData { .. });
    init_logging(if quiet { "warn" } else { "info,sqlx=warn" });
    without_huge_pages();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("aduan: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Memory in small pages only. With transparent huge pages the kernel backs the allocator's
/// arenas 2 MB at a time, so a few live objects keep whole huge pages resident: the server held
/// 47 MB at rest instead of 21, and 238 MB at the benchmark's peak instead of about 180
/// (BENCHMARKS.md, session 10).
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = nix::sys::prctl::set_thp_disable(true) {
        tracing::warn!(error = %e, "transparent huge pages stay on for this process");
    }
}

/// Writes a command's file to `output`, or to standard output.
fn write_out(output: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(bytes)?;
            Ok(())
        }
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ADUAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = FileSettings::load(cli.config.as_deref())?;
    let database = |db: &DatabaseArg| {
        db.database
            .clone()
            .or(file.database.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE.into())
    };
    let organisation = |db: &DatabaseArg| {
        db.organisation
            .clone()
            .or(file.organisation.clone().map(PathBuf::from))
    };
    let worker_settings = |w: &WorkerArgs| server::WorkerSettings {
        smtp_url: w.smtp_url.clone().or(file.smtp_url.clone()),
        mail_from: w
            .mail_from
            .clone()
            .or(file.mail_from.clone())
            .unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
        public_url: w.public_url.clone().or(file.public_url.clone()),
        interval: std::time::Duration::from_secs(w.worker_interval.max(1)),
    };
    let imap_settings = |i: &ImapArgs| -> anyhow::Result<Option<ImapSettings>> {
        let Some(url) = i.imap_url.clone().or(file.imap_url.clone()) else {
            return Ok(None);
        };
        let password = i.imap_password.clone().or(file.imap_password.clone());
        let mut settings = ImapSettings::from_url(&url, password.as_deref())?;
        if let Some(folder) = i.imap_done_folder.clone().or(file.imap_done_folder.clone()) {
            settings.done_folder = folder;
        }
        settings.ca_file = i
            .imap_ca_file
            .clone()
            .or(file.imap_ca_file.clone().map(PathBuf::from));
        if let Some(seconds) = i.imap_interval.or(file.imap_interval) {
            settings.interval = std::time::Duration::from_secs(seconds.max(5));
        }
        Ok(Some(settings))
    };
    let open = |db: &DatabaseArg| {
        let (database, organisation) = (database(db), organisation(db));
        async move { server::open(&database, organisation.as_deref(), Arc::new(SystemClock)).await }
    };
    match &cli.command {
        Command::Serve {
            listen,
            no_worker,
            mail_listen,
            imap,
            db,
            worker,
        } => {
            let listen = listen
                .clone()
                .or(file.listen.clone())
                .unwrap_or_else(|| DEFAULT_LISTEN.into());
            let worker = (!no_worker).then(|| worker_settings(worker));
            let mail_in = server::MailIn {
                listen: mail_listen.clone().or(file.mail_listen.clone()),
                imap: imap_settings(imap)?,
            };
            server::serve(
                &database(db),
                &listen,
                organisation(db).as_deref(),
                worker,
                mail_in,
            )
            .await
        }
        Command::FetchMail {
            once,
            imap,
            db,
            worker,
        } => {
            let Some(settings) = imap_settings(imap)? else {
                bail!("no mailbox to read: give --imap-url (or ADUAN_IMAP_URL)");
            };
            let aduan = open(db).await?;
            server::fetch_mail(aduan, &worker_settings(worker), settings, *once).await
        }
        Command::Worker { once, db, worker } => {
            let aduan = open(db).await?;
            server::run_worker(aduan, &worker_settings(worker), *once).await
        }
        Command::Backlog { from, to, db } => {
            let aduan = open(db).await?;
            let from = from.as_deref().map(cli::parse_date).transpose()?;
            let to = to.as_deref().map(cli::parse_date).transpose()?;
            let view = aduan.backlog_all(from, to).await.map_err(cli::explain)?;
            print!("{}", cli::backlog_table(&view, &aduan.organisation()));
            Ok(())
        }
        Command::Calendar { command } => {
            let admin = cli::operator();
            let view = match command {
                CalendarCommand::List { db } => open(db).await?.calendar_view(&admin).await,
                CalendarCommand::Add {
                    date,
                    working_day,
                    reason,
                    db,
                    ..
                } => {
                    let day = aduan_app::calendar::ExtraDay {
                        date: cli::parse_date(date)?,
                        kind: if *working_day {
                            aduan_app::calendar::ExtraDayKind::WorkingDay
                        } else {
                            aduan_app::calendar::ExtraDayKind::DayOff
                        },
                        reason: reason.clone(),
                    };
                    open(db).await?.set_calendar_day(&admin, day).await
                }
                CalendarCommand::Remove { date, db } => {
                    let date = cli::parse_date(date)?;
                    open(db).await?.remove_calendar_day(&admin, date).await
                }
            }
            .map_err(cli::explain)?;
            print!("{}", cli::calendar_text(&view));
            Ok(())
        }
        Command::Migrate { db } => {
            server::open(
                &database(db),
                organisation(db).as_deref(),
                Arc::new(SystemClock),
            )
            .await?;
            println!("database is up to date: {}", server::redact(&database(db)));
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    unit,
                    email,
                    db,
                },
        } => {
            let role = Role::parse(role).with_context(|| {
                let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
                format!("unknown role `{role}`; one of: {}", all.join(", "))
            })?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                bail!(
                    "give the password on standard input, e.g. `echo 'long password' | aduan user add …`"
                );
            }
            let aduan = server::open(
                &database(db),
                organisation(db).as_deref(),
                Arc::new(SystemClock),
            )
            .await?;
            aduan
                .add_user(username, role, unit.as_deref(), email.as_deref(), password)
                .await
                .map_err(cli::explain)?;
            println!("user `{username}` added as {role}");
            Ok(())
        }
        Command::DemoData { count, seed, db } => {
            let summary =
                demo::generate(&database(db), organisation(db).as_deref(), *count, *seed).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Import {
            source,
            file,
            format,
            db,
        } => {
            let format = format
                .as_deref()
                .or(file.to_str())
                .and_then(aduan_app::imports::ImportFormat::guess)
                .context("give --format json or --format csv (the file name does not tell)")?;
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let aduan = open(db).await?;
            let report = match source {
                ImportSource::Lapor => aduan.import_lapor(&cli::operator(), &bytes, format).await,
                ImportSource::Social => {
                    aduan
                        .import_social(&cli::intake_operator(), &bytes, format)
                        .await
                }
            }
            .map_err(cli::explain)?
            .map_err(|problem| anyhow::anyhow!("{}: {problem}", file.display()))?;
            print!("{}", cli::import_text(&report));
            if report.refused > 0 {
                bail!("{} rows were not imported (listed above)", report.refused);
            }
            Ok(())
        }
        Command::Export {
            target: ExportTarget::Lapor,
            since,
            format,
            output,
            db,
        } => {
            let aduan = open(db).await?;
            let since = cli::parse_date(since)?;
            let since = aduan.calendar().start_of_day(since);
            let updates = aduan
                .lapor_updates(&cli::operator(), since)
                .await
                .map_err(cli::explain)?;
            let bytes = match format.as_str() {
                "csv" => aduan_app::imports::lapor_updates_csv(&updates).map_err(cli::explain)?,
                "json" => serde_json::to_vec_pretty(&updates)?,
                other => bail!("unknown format `{other}`; csv or json"),
            };
            write_out(output.as_deref(), &bytes)?;
            eprintln!("{} updates", updates.len());
            Ok(())
        }
        Command::Report {
            kind: ReportKind::InfoService,
            period,
            format,
            output,
            db,
        } => {
            let year: i32 = period
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("`{period}` is not a year (YYYY)"))?;
            let aduan = open(db).await?;
            let file = aduan
                .info_service_report(None, year)
                .await
                .map_err(cli::explain)?;
            let bytes = match format.as_str() {
                "json" => serde_json::to_vec_pretty(&file)?,
                "xlsx" => aduan_app::reports::info_service_xlsx(&file).map_err(cli::explain)?,
                "pdf" => aduan_app::pdf::info_service_pdf(&file).map_err(cli::explain)?,
                other => bail!("unknown format `{other}`; xlsx, pdf or json"),
            };
            write_out(output.as_deref(), &bytes)?;
            let r = &file.report;
            eprintln!(
                "{year}: {} requests, {} decided ({} granted, {} in part, {} refused), {} objections",
                r.requests, r.decided, r.granted, r.partly_granted, r.refused, r.objections
            );
            Ok(())
        }
        Command::Report {
            kind: ReportKind::Monthly,
            period: month,
            format,
            output,
            db,
        } => {
            if !matches!(format.as_str(), "xlsx" | "pdf" | "csv" | "json") {
                bail!("unknown format `{format}`; xlsx, pdf, csv or json");
            }
            let aduan = open(db).await?;
            let report = aduan
                .monthly_report(None, month)
                .await
                .map_err(cli::explain)?;
            let bytes = match format.as_str() {
                "csv" => aduan_app::statistics::statistics_csv(&report.statistics)
                    .map_err(cli::explain)?,
                "json" => serde_json::to_vec_pretty(&report.statistics)?,
                "pdf" => aduan_app::pdf::monthly_pdf(&report, &aduan.organisation())
                    .map_err(cli::explain)?,
                _ => aduan_app::reports::monthly_xlsx(&report, &aduan.organisation())
                    .map_err(cli::explain)?,
            };
            write_out(output.as_deref(), &bytes)?;
            let f = &report.statistics.figures;
            eprintln!(
                "{}: {} received, {} finished, {} open and {} overdue at the end",
                report.month, f.received, f.closed, f.open_at_end, f.overdue_at_end
            );
            Ok(())
        }
        Command::Organisation { db } => {
            let aduan = server::open(
                &database(db),
                organisation(db).as_deref(),
                Arc::new(SystemClock),
            )
            .await?;
            print!("{}", toml::to_string(&*aduan.organisation())?);
            Ok(())
        }
    }
}

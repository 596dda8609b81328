//! `aduan`: public complaints and information requests for government agencies.

use aduan::settings::{DEFAULT_DATABASE, DEFAULT_LISTEN, FileSettings};
use aduan::{demo, server};
use aduan_app::SystemClock;
use aduan_domain::Role;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

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

#[derive(Subcommand)]
enum Command {
    /// Run the server (API, worker) until Ctrl-C or SIGTERM. Migrations run at start.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ADUAN_LISTEN")]
        listen: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
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
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("aduan: {error:#}");
            std::process::ExitCode::FAILURE
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
    match &cli.command {
        Command::Serve { listen, db } => {
            let listen = listen
                .clone()
                .or(file.listen.clone())
                .unwrap_or_else(|| DEFAULT_LISTEN.into());
            server::serve(&database(db), &listen, organisation(db).as_deref()).await
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
                .add_user(username, role, unit.as_deref(), password)
                .await
                .map_err(|e| match e {
                    aduan_app::AppError::Validation(fields) => {
                        let list: Vec<String> = fields
                            .iter()
                            .map(|f| format!("{} ({})", f.field, f.code))
                            .collect();
                        anyhow::anyhow!("invalid: {}", list.join(", "))
                    }
                    other => anyhow::anyhow!(other),
                })?;
            println!("user `{username}` added as {role}");
            Ok(())
        }
        Command::DemoData { count, seed, db } => {
            let summary =
                demo::generate(&database(db), organisation(db).as_deref(), *count, *seed).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Organisation { db } => {
            let aduan = server::open(
                &database(db),
                organisation(db).as_deref(),
                Arc::new(SystemClock),
            )
            .await?;
            print!("{}", toml::to_string(aduan.organisation())?);
            Ok(())
        }
    }
}

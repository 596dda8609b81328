//! Starting Aduan: connect the store, load the organisation, bind, serve until told to stop.

use crate::mail_fetcher::{self, ImapSettings};
use aduan_app::mail::{Mailer, SmtpMailer};
use aduan_app::worker::Worker;
use aduan_app::{Aduan, Clock, SystemClock};
use aduan_domain::Organisation;
use aduan_store::{SqlStore, Store};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Connects to the database (running its migrations) and wires the use cases.
pub async fn open(
    database: &str,
    organisation: Option<&Path>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Aduan> {
    let store = SqlStore::connect(database)
        .await
        .with_context(|| format!("cannot open database {}", redact(database)))?;
    let org = organisation.map(load_organisation).transpose()?;
    let store: Arc<dyn Store> = Arc::new(store);
    Ok(Aduan::start(store, org, clock).await?)
}

pub fn load_organisation(path: &Path) -> anyhow::Result<Organisation> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read organisation file {}", path.display()))?;
    Ok(aduan_app::config::parse_organisation(&text)?)
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub aduan: Aduan,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, finishes requests in flight and waits.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(());
        self.task.await??;
        Ok(())
    }
}

/// Binds `listen` (port 0 picks a free port) and serves in the background.
pub async fn spawn(aduan: Aduan, listen: &str) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let app = aduan_web::router(aduan.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(Running {
        addr,
        aduan,
        shutdown: tx,
        task,
    })
}

/// How the background worker runs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub public_url: Option<String>,
    pub interval: std::time::Duration,
}

/// The worker with its mailer, if an SMTP server is configured.
pub fn worker(aduan: Aduan, settings: &WorkerSettings) -> anyhow::Result<Worker> {
    let aduan = match &settings.public_url {
        Some(url) => aduan.with_public_url(url),
        None => aduan,
    }
    .with_mail_from(&settings.mail_from);
    let (mailer, domain): (Option<Arc<dyn Mailer>>, String) = match &settings.smtp_url {
        Some(url) => {
            let mailer = SmtpMailer::new(url, &settings.mail_from)?;
            let domain = mailer.from_domain();
            (Some(Arc::new(mailer)), domain)
        }
        None => {
            tracing::warn!("no SMTP server configured (--smtp-url): e-mail waits in the outbox");
            (None, "localhost".into())
        }
    };
    Ok(Worker::new(aduan, mailer, &domain))
}

/// Runs `aduan worker`: one pass, or passes until Ctrl-C or SIGTERM.
pub async fn run_worker(aduan: Aduan, settings: &WorkerSettings, once: bool) -> anyhow::Result<()> {
    let worker = worker(aduan, settings)?;
    if once {
        let report = worker.run_once().await?;
        println!(
            "deadline watch changed {} cases; jobs done {}, retried {}, failed {}",
            report.watched, report.done, report.retried, report.failed
        );
        return Ok(());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stop_signal = shutdown_signal();
    let task = tokio::spawn(worker.run(settings.interval, stopped));
    stop_signal.await;
    let _ = stop.send(true);
    task.await?;
    Ok(())
}

/// Where mail comes in besides the API: an SMTP listener on loopback, an IMAP mailbox, both or
/// neither.
#[derive(Debug, Default)]
pub struct MailIn {
    pub listen: Option<String>,
    pub imap: Option<ImapSettings>,
}

/// Runs `aduan fetch-mail`: one pass over the mailbox, or passes until Ctrl-C or SIGTERM.
pub async fn fetch_mail(
    aduan: Aduan,
    worker: &WorkerSettings,
    settings: ImapSettings,
    once: bool,
) -> anyhow::Result<()> {
    let mut aduan = aduan.with_mail_from(&worker.mail_from);
    if let Some(url) = &worker.public_url {
        aduan = aduan.with_public_url(url);
    }
    if once {
        let report = mail_fetcher::fetch_once(&aduan, &settings).await?;
        println!(
            "mail read: {} new cases, {} replies on cases, {} received before, {} quarantined",
            report.created, report.joined, report.already, report.quarantined
        );
        return Ok(());
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stop_signal = shutdown_signal();
    let task = tokio::spawn(mail_fetcher::run(aduan, settings, stopped));
    stop_signal.await;
    let _ = stop.send(true);
    task.await?;
    Ok(())
}

/// Runs `aduan serve` until Ctrl-C or SIGTERM, with the worker unless `worker` is `None`.
pub async fn serve(
    database: &str,
    listen: &str,
    organisation: Option<&Path>,
    worker_settings: Option<WorkerSettings>,
    mail_in: MailIn,
) -> anyhow::Result<()> {
    let mut aduan = open(database, organisation, Arc::new(SystemClock)).await?;
    if let Some(settings) = &worker_settings {
        aduan = aduan.with_mail_from(&settings.mail_from);
    }
    if let Some(url) = worker_settings
        .as_ref()
        .and_then(|w| w.public_url.as_deref())
    {
        aduan = aduan.with_public_url(url);
    }
    if let Some(password) = aduan.ensure_admin().await? {
        println!(
            "\n  No administrator existed, so one was created.\n  Username: admin\n  Password: {password}\n  It is shown only this once: write it down and change it.\n"
        );
    }
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker_task = match &worker_settings {
        Some(settings) => {
            let worker = worker(aduan.clone(), settings)?;
            Some(tokio::spawn(worker.run(settings.interval, worker_stopped)))
        }
        None => None,
    };
    if let Some(addr) = &mail_in.listen {
        let bound = crate::mail_listener::start(aduan.clone(), addr)?;
        println!("Aduan: mail in on smtp://{bound}");
    }
    let fetcher_task = mail_in.imap.map(|settings| {
        println!(
            "Aduan: reading the mailbox {} on {} every {} s",
            settings.mailbox,
            settings.host,
            settings.interval.as_secs()
        );
        tokio::spawn(mail_fetcher::run(
            aduan.clone(),
            settings,
            stop_worker.subscribe(),
        ))
    });
    let running = spawn(aduan, listen).await?;
    let stop_signal = shutdown_signal();
    tracing::info!(address = %running.addr, database = %redact(database), "Aduan is listening");
    println!(
        "Aduan: http://{}  (API: /api/v1, OpenAPI: /api/openapi.json)",
        running.addr
    );
    stop_signal.await;
    tracing::info!("shutting down");
    let _ = stop_worker.send(true);
    for task in [worker_task, fetcher_task].into_iter().flatten() {
        let _ = task.await;
    }
    running.stop().await
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are registered when this is called, not when
/// it is first awaited, so a signal sent right after the server says it is ready is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match term {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    }
}

/// The database URL without its password, for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_hidden_from_messages() {
        assert_eq!(
            super::redact("postgres://aduan:s3cret@db:5432/aduan"),
            "postgres://aduan:***@db:5432/aduan"
        );
        assert_eq!(
            super::redact("sqlite://./data/aduan.db"),
            "sqlite://./data/aduan.db"
        );
    }
}

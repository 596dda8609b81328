//! The IMAP fetcher: polls the agency's complaints mailbox, always over TLS (port 993, or
//! STARTTLS on 143), and hands each mail to the same pipeline as the SMTP listener. A mail is
//! moved to the "processed" folder only after its case, message or quarantine entry is
//! committed; if the process dies in between, the next pass fetches it again and its
//! Message-ID (or its hash, for quarantined mail) makes that harmless. Nothing is deleted.

use aduan_app::Aduan;
use aduan_app::mail_in::{MAX_MAIL_BYTES, MailOutcome};
use anyhow::{Context, bail};
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

/// Where processed mail goes when no folder is configured.
pub const DEFAULT_DONE_FOLDER: &str = "Aduan-Diproses";
/// Mails fetched and handled before they are moved together.
const BATCH: usize = 20;
/// The longest wait for one answer of the IMAP server.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// How the connection is secured; there is no plain-text option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `imaps://`: TLS from the first byte (port 993).
    Tls,
    /// `imap://`: STARTTLS, required before logging in (port 143).
    StartTls,
}

/// The mailbox to poll.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    pub password: String,
    pub mailbox: String,
    pub done_folder: String,
    /// A PEM file of certificate authorities to trust besides the system's (an agency's own CA).
    pub ca_file: Option<PathBuf>,
    pub interval: Duration,
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &"***")
            .field("mailbox", &self.mailbox)
            .field("done_folder", &self.done_folder)
            .finish()
    }
}

impl ImapSettings {
    /// Reads `imaps://USER@HOST[:PORT][/MAILBOX]` (or `imap://` for STARTTLS). The password
    /// comes from `password` (ADUAN_IMAP_PASSWORD) or else from the URL; the user may be
    /// percent-encoded (`aduan%40example.go.id`).
    pub fn from_url(url: &str, password: Option<&str>) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url).context("the IMAP URL is not a URL")?;
        let (security, default_port) = match parsed.scheme() {
            "imaps" => (Security::Tls, 993),
            "imap" => (Security::StartTls, 143),
            other => {
                bail!("the IMAP URL must start with imaps:// or imap:// (STARTTLS), not {other}://")
            }
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .context("the IMAP URL has no host")?
            .trim_matches(['[', ']'])
            .to_string();
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = decode(parsed.username());
        if user.is_empty() {
            bail!("the IMAP URL has no user (imaps://USER@HOST)");
        }
        let password = match password.filter(|p| !p.is_empty()) {
            Some(p) => p.to_string(),
            None => parsed
                .password()
                .map(decode)
                .context("no IMAP password: set ADUAN_IMAP_PASSWORD")?,
        };
        let mailbox = decode(parsed.path().trim_start_matches('/'));
        Ok(Self {
            host,
            port: parsed.port().unwrap_or(default_port),
            security,
            user,
            password,
            mailbox: if mailbox.is_empty() {
                "INBOX".into()
            } else {
                mailbox
            },
            done_folder: DEFAULT_DONE_FOLDER.into(),
            ca_file: None,
            interval: Duration::from_secs(60),
        })
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FetchReport {
    pub created: usize,
    pub joined: usize,
    pub already: usize,
    pub quarantined: usize,
}

impl FetchReport {
    fn count(&mut self, outcome: &MailOutcome) {
        match outcome {
            MailOutcome::Created { .. } => self.created += 1,
            MailOutcome::Joined { .. } => self.joined += 1,
            MailOutcome::AlreadyReceived { .. } => self.already += 1,
            MailOutcome::Quarantined { .. } => self.quarantined += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.created + self.joined + self.already + self.quarantined
    }
}

type Stream = TlsStream<TcpStream>;

/// Polls every `settings.interval` until `stop` turns true. A pass that fails (server away,
/// database down) is logged and tried again at the next turn.
pub async fn run(
    aduan: Aduan,
    settings: ImapSettings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    tracing::info!(host = %settings.host, mailbox = %settings.mailbox, "polling the mailbox");
    loop {
        tokio::select! {
            result = fetch_once(&aduan, &settings) => log_pass(&result),
            // Stopping mid-pass is safe: an unmoved mail is fetched again, harmlessly.
            _ = stop.changed() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(settings.interval) => {},
            _ = stop.changed() => return,
        }
    }
}

fn log_pass(result: &anyhow::Result<FetchReport>) {
    match result {
        Ok(report) if report.total() > 0 => tracing::info!(
            created = report.created,
            joined = report.joined,
            already = report.already,
            quarantined = report.quarantined,
            "mailbox read"
        ),
        Ok(_) => tracing::debug!("mailbox read: nothing new"),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "the mailbox could not be read; trying again later")
        }
    }
}

/// One pass: every mail in the mailbox is handled and moved.
pub async fn fetch_once(aduan: &Aduan, settings: &ImapSettings) -> anyhow::Result<FetchReport> {
    let tls = tls_connector(settings.ca_file.as_deref())?;
    let mut session = connect(settings, &tls).await?;
    let result = read_mailbox(&mut session, aduan, settings).await;
    let _ = tokio::time::timeout(ANSWER_TIMEOUT, session.logout()).await;
    result
}

async fn read_mailbox(
    session: &mut Session<Stream>,
    aduan: &Aduan,
    settings: &ImapSettings,
) -> anyhow::Result<FetchReport> {
    ensure_folder(session, &settings.done_folder).await?;
    let capabilities = answer(session.capabilities()).await?;
    let can_move = capabilities.has_str("MOVE");
    let uidplus = capabilities.has_str("UIDPLUS");
    answer(session.select(&settings.mailbox))
        .await
        .with_context(|| format!("cannot open the mailbox {}", settings.mailbox))?;
    let mut uids: Vec<u32> = answer(session.uid_search("UNDELETED"))
        .await?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let origin = format!("imap:{}", settings.mailbox);
    let kept_at = format!("IMAP {}", settings.done_folder);
    let mut report = FetchReport::default();
    for chunk in uids.chunks(BATCH) {
        let sizes = sizes(session, chunk).await?;
        let mut handled = Vec::with_capacity(chunk.len());
        let mut failure = None;
        for &uid in chunk {
            // A mail gone since the search (another client took it) is skipped.
            let Some(&size) = sizes.get(&uid) else {
                continue;
            };
            match handle(session, aduan, uid, size, &origin, &kept_at).await {
                Ok(Some(outcome)) => {
                    report.count(&outcome);
                    handled.push(uid);
                }
                Ok(None) => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // What is committed is moved even when a later mail failed.
        move_handled(session, &handled, &settings.done_folder, can_move, uidplus).await?;
        if let Some(e) = failure {
            return Err(e.context(format!(
                "stopped after {} mails; the rest stay in the mailbox",
                report.total()
            )));
        }
    }
    Ok(report)
}

/// Handles one mail; `None` when it vanished before it could be fetched.
async fn handle(
    session: &mut Session<Stream>,
    aduan: &Aduan,
    uid: u32,
    size: u32,
    origin: &str,
    kept_at: &str,
) -> anyhow::Result<Option<MailOutcome>> {
    if usize::try_from(size).unwrap_or(usize::MAX) > MAX_MAIL_BYTES {
        // Only the header is fetched; the whole mail stays on the server, in the folder.
        let Some(header) = fetch_part(session, uid, "BODY.PEEK[HEADER]", true).await? else {
            return Ok(None);
        };
        let outcome = aduan
            .hold_oversized_mail(&header, u64::from(size), origin, kept_at)
            .await?;
        return Ok(Some(outcome));
    }
    let Some(raw) = fetch_part(session, uid, "BODY.PEEK[]", false).await? else {
        return Ok(None);
    };
    Ok(Some(aduan.receive_mail(&raw, origin).await?))
}

async fn fetch_part(
    session: &mut Session<Stream>,
    uid: u32,
    item: &str,
    header: bool,
) -> anyhow::Result<Option<Vec<u8>>> {
    let fetches: Vec<_> = answer(async {
        session
            .uid_fetch(uid.to_string(), format!("(UID {item})"))
            .await?
            .try_collect()
            .await
    })
    .await?;
    Ok(fetches
        .iter()
        .filter(|f| f.uid == Some(uid))
        .find_map(|f| if header { f.header() } else { f.body() })
        .map(<[u8]>::to_vec))
}

async fn sizes(session: &mut Session<Stream>, uids: &[u32]) -> anyhow::Result<HashMap<u32, u32>> {
    let fetches: Vec<_> = answer(async {
        session
            .uid_fetch(uid_set(uids), "(UID RFC822.SIZE)")
            .await?
            .try_collect()
            .await
    })
    .await?;
    Ok(fetches
        .iter()
        .filter_map(|f| Some((f.uid?, f.size?)))
        .collect())
}

/// Moves handled mail out of the mailbox: MOVE where the server has it, else COPY and mark
/// deleted (expunged only with UIDPLUS, so no other client's deleted mail is touched; the
/// search skips deleted mail either way).
async fn move_handled(
    session: &mut Session<Stream>,
    uids: &[u32],
    folder: &str,
    can_move: bool,
    uidplus: bool,
) -> anyhow::Result<()> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uid_set(uids);
    if can_move {
        answer(session.uid_mv(&set, folder)).await?;
        return Ok(());
    }
    answer(session.uid_copy(&set, folder)).await?;
    answer(async {
        session
            .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await?;
    if uidplus {
        answer(async {
            session
                .uid_expunge(&set)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
    }
    Ok(())
}

/// Creates the processed folder unless it exists.
async fn ensure_folder(session: &mut Session<Stream>, folder: &str) -> anyhow::Result<()> {
    match answer(session.create(folder)).await {
        Ok(()) => {
            tracing::info!(folder, "created the folder for processed mail");
            Ok(())
        }
        // NO [ALREADYEXISTS]: fine. Any other refusal shows up when mail is moved.
        Err(e) if matches!(e.downcast_ref(), Some(async_imap::error::Error::No(_))) => Ok(()),
        Err(e) => Err(e),
    }
}

fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// One server answer, within [`ANSWER_TIMEOUT`].
async fn answer<T>(
    future: impl std::future::Future<Output = async_imap::error::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(ANSWER_TIMEOUT, future).await {
        Ok(result) => Ok(result?),
        Err(_) => bail!("the IMAP server did not answer within {ANSWER_TIMEOUT:?}"),
    }
}

async fn connect(settings: &ImapSettings, tls: &TlsConnector) -> anyhow::Result<Session<Stream>> {
    let address = (settings.host.as_str(), settings.port);
    let tcp = tokio::time::timeout(ANSWER_TIMEOUT, TcpStream::connect(address))
        .await
        .context("the IMAP server did not answer")?
        .with_context(|| format!("cannot connect to {}:{}", settings.host, settings.port))?;
    let name = ServerName::try_from(settings.host.clone())
        .with_context(|| format!("{} is not a host name", settings.host))?;
    let secure = |tcp: TcpStream| async {
        tokio::time::timeout(ANSWER_TIMEOUT, tls.connect(name.clone(), tcp))
            .await
            .context("the TLS handshake timed out")?
            .context("the TLS handshake with the IMAP server failed")
    };
    let mut client = match settings.security {
        Security::Tls => Client::new(secure(tcp).await?),
        Security::StartTls => {
            let mut plain = Client::new(tcp);
            greeting(&mut plain).await?;
            tokio::time::timeout(
                ANSWER_TIMEOUT,
                plain.run_command_and_check_ok("STARTTLS", None),
            )
            .await
            .context("the IMAP server did not answer STARTTLS")?
            .context("the IMAP server refused STARTTLS")?;
            // No greeting follows STARTTLS.
            let client = Client::new(secure(plain.into_inner()).await?);
            return login(client, settings).await;
        }
    };
    greeting(&mut client).await?;
    login(client, settings).await
}

async fn greeting<T>(client: &mut Client<T>) -> anyhow::Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    tokio::time::timeout(ANSWER_TIMEOUT, client.read_response())
        .await
        .context("the IMAP server sent no greeting")??
        .context("the IMAP server closed the connection")?;
    Ok(())
}

async fn login(client: Client<Stream>, settings: &ImapSettings) -> anyhow::Result<Session<Stream>> {
    tokio::time::timeout(
        ANSWER_TIMEOUT,
        client.login(&settings.user, &settings.password),
    )
    .await
    .context("the IMAP server did not answer the login")?
    .map_err(|(e, _)| anyhow::anyhow!("the IMAP login of {} failed: {e}", settings.user))
}

/// Trusts the system's certificate authorities and those of `ca_file`.
fn tls_connector(ca_file: Option<&Path>) -> anyhow::Result<TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A system certificate rustls cannot use is skipped, as browsers do.
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("cannot read the CA file {}", path.display()))?;
        for cert in certs {
            let cert = cert.with_context(|| format!("{} is not a PEM file", path.display()))?;
            roots
                .add(cert)
                .with_context(|| format!("a certificate in {} is not usable", path.display()))?;
        }
    }
    if roots.is_empty() {
        bail!("no trusted certificate authorities: install the system's or give --imap-ca-file");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_security_user_and_mailbox() {
        let s = ImapSettings::from_url(
            "imaps://aduan%40pu.go.id@mail.pu.go.id/Pengaduan",
            Some("rahasia"),
        )
        .unwrap();
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.security,
                s.user.as_str(),
                s.password.as_str(),
                s.mailbox.as_str()
            ),
            (
                "mail.pu.go.id",
                993,
                Security::Tls,
                "aduan@pu.go.id",
                "rahasia",
                "Pengaduan"
            )
        );
        let s = ImapSettings::from_url("imap://aduan:p%40ss@127.0.0.1:1143", None).unwrap();
        assert_eq!(
            (s.port, s.security, s.password.as_str(), s.mailbox.as_str()),
            (1143, Security::StartTls, "p@ss", "INBOX")
        );
        assert!(
            !format!("{s:?}").contains("p@ss"),
            "the password stays out of logs"
        );
    }

    #[test]
    fn plain_text_and_missing_parts_are_refused() {
        for (url, why) in [
            ("http://aduan@mail", "imaps://"),
            ("imaps://mail.example", "no user"),
            ("imaps://aduan@mail.example", "ADUAN_IMAP_PASSWORD"),
            ("not a url", "not a URL"),
        ] {
            let error = ImapSettings::from_url(url, None).unwrap_err().to_string();
            assert!(error.contains(why), "{url}: {error}");
        }
    }
}

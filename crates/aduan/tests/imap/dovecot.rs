//! A real IMAP server for the tests: Debian's dovecot, started in the foreground on two free
//! loopback ports (993-style TLS and 143-style STARTTLS) with a certificate from a test
//! authority, one mailbox user, and everything under a temporary directory. `.ci/run`
//! installs dovecot; when it is missing the suite fails.

use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

pub const USER: &str = "pengaduan@perumahan.go.id";
pub const PASSWORD: &str = "kata-sandi-kotak-surat";

pub struct Dovecot {
    child: Child,
    dir: tempfile::TempDir,
    pub tls_port: u16,
    pub starttls_port: u16,
    ca_der: CertificateDer<'static>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The effective user id, from /proc (no libc crate for one number).
fn euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// uid and gid of a system user, from /etc/passwd.
fn ids_of(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.first() != Some(&user) {
            return None;
        }
        Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
    })
}

fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "root".into())
}

fn certificates(dir: &Path) -> CertificateDer<'static> {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Aduan test authority");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut server = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    server
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    server.use_authority_key_identifier_extension = true;
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), server_cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
    ca_cert.der().clone()
}

impl Dovecot {
    pub fn start() -> Self {
        let binary = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect(
                "dovecot is not installed (apt-get install dovecot-imapd); .ci/run installs it",
            );
        let dir = tempfile::tempdir().unwrap();
        // dovecot's own processes run as other users: they must reach the directory.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path();
        let ca_der = certificates(root);
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let me = current_user();
        // As root, mail belongs to dovecot's own unprivileged users (mail as uid 0 is refused);
        // as anyone else, everything runs as that user.
        let (login_user, internal_user, (uid, gid)) = if euid() == 0 {
            let ids = ids_of("dovecot").expect("the dovecot system user is missing");
            ("dovenull".to_string(), "dovecot".to_string(), ids)
        } else {
            let ids = ids_of(&me).unwrap_or((euid(), euid()));
            (me.clone(), me.clone(), ids)
        };
        std::fs::write(
            root.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        let home = root.join("home");
        if euid() == 0 {
            let status = Command::new("chown")
                .arg(format!("{uid}:{gid}"))
                .arg(&home)
                .status()
                .unwrap();
            assert!(status.success());
        }
        let (tls_port, starttls_port) = (free_port(), free_port());
        let root_s = root.display();
        let config = format!(
            r#"protocols = imap
listen = 127.0.0.1
base_dir = {root_s}/run
state_dir = {root_s}/state
log_path = {root_s}/dovecot.log
ssl = required
ssl_cert = <{root_s}/server.pem
ssl_key = <{root_s}/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root_s}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"#,
            home = home.display(),
        );
        let config_path = root.join("dovecot.conf");
        std::fs::write(&config_path, config).unwrap();
        // What dovecot says before its log is open (a bad configuration) goes to a file too.
        let early = std::fs::File::create(root.join("stderr.log")).unwrap();
        let child = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::from(early))
            .spawn()
            .unwrap();
        let server = Self {
            child,
            dir,
            tls_port,
            starttls_port,
            ca_der,
        };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.tls_port)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", self.starttls_port)).is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dovecot did not start; its log:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        ["stderr.log", "dovecot.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The URL of the mailbox for Aduan, with TLS from the first byte or with STARTTLS.
    pub fn url(&self, starttls: bool) -> String {
        let user = USER.replace('@', "%40");
        if starttls {
            format!("imap://{user}@localhost:{}/INBOX", self.starttls_port)
        } else {
            format!("imaps://{user}@localhost:{}/INBOX", self.tls_port)
        }
    }

    /// A session of the test's own (as the agency's mail server or a person would have).
    pub async fn session(&self) -> Session<TlsStream<TcpStream>> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = TcpStream::connect(("127.0.0.1", self.tls_port))
            .await
            .unwrap();
        let tls = TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        let mut client = Client::new(tls);
        client.read_response().await.unwrap().unwrap();
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    /// Places a mail in a folder, as delivery would.
    pub async fn deliver(&self, raw: &[u8]) {
        let mut session = self.session().await;
        session.append("INBOX", None, None, raw).await.unwrap();
        session.logout().await.unwrap();
    }

    /// Places many mails in one session.
    pub async fn deliver_all(&self, raws: &[Vec<u8>]) {
        let mut session = self.session().await;
        for raw in raws {
            session.append("INBOX", None, None, raw).await.unwrap();
        }
        session.logout().await.unwrap();
    }

    /// How many mails a folder holds (0 when it does not exist), and their raw texts.
    pub async fn folder(&self, name: &str) -> Vec<Vec<u8>> {
        let mut session = self.session().await;
        let Ok(mailbox) = session.select(name).await else {
            return Vec::new();
        };
        let mut raws = Vec::new();
        if mailbox.exists > 0 {
            let fetches: Vec<_> = session
                .fetch("1:*", "BODY.PEEK[]")
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            raws = fetches
                .iter()
                .filter_map(|f| f.body().map(<[u8]>::to_vec))
                .collect();
        }
        session.logout().await.unwrap();
        raws
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! A real SMTP server on loopback for the notification tests (mailin-embedded), keeping every
//! message it accepts. Addresses containing `ditolak` are refused with 550, as a mail server
//! refuses an unknown mailbox.

use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

/// One message as the server received it, parsed with a real MIME parser.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub auto_submitted: String,
    /// Attached files: name and content.
    pub attachments: Vec<(String, Vec<u8>)>,
}

#[derive(Clone)]
struct Sink {
    store: Arc<Mutex<Vec<Mail>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Sink {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.contains("ditolak") {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let Some(message) = mail_parser::MessageParser::default().parse(&self.data) else {
            return response::TRANSACTION_FAILED;
        };
        let mail = Mail {
            to: self.to.clone(),
            subject: message.subject().unwrap_or_default().to_string(),
            body: message.body_text(0).unwrap_or_default().to_string(),
            message_id: message.message_id().unwrap_or_default().to_string(),
            auto_submitted: message
                .header_raw("Auto-Submitted")
                .unwrap_or_default()
                .trim()
                .to_string(),
            attachments: message
                .attachments()
                .map(|part| {
                    (
                        mail_parser::MimeHeaders::attachment_name(part)
                            .unwrap_or_default()
                            .to_string(),
                        part.contents().to_vec(),
                    )
                })
                .collect(),
        };
        self.store.lock().unwrap().push(mail);
        response::OK
    }
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    store: Arc<Mutex<Vec<Mail>>>,
}

/// A loopback address nobody listens on (yet).
pub fn unused_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

impl SmtpServer {
    pub fn start() -> Self {
        Self::start_with(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// Starts on an address chosen earlier (to test an outage followed by recovery).
    pub fn start_on(addr: SocketAddr) -> Self {
        Self::start_with(TcpListener::bind(addr).unwrap())
    }

    fn start_with(listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let store = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink {
            store: store.clone(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = Server::new(sink);
        server
            .with_name("mail.test")
            .with_ssl(SslConfig::None)
            .unwrap()
            .with_num_threads(2)
            .with_tcp_listener(listener);
        // Runs until the test process ends.
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("test SMTP server stopped: {e}");
            }
        });
        Self { addr, store }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.store.lock().unwrap().clone()
    }

    /// Messages to one address.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .collect()
    }
}

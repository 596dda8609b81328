//! The SMTP listener: the agency's mail server hands each message for the complaints mailbox to
//! Aduan on a loopback port (for example Postfix's `transport` to `smtp:[127.0.0.1]:2525`). A
//! message is answered `250` only after it is stored as a case, a message on a case or in the
//! quarantine, so a crash before that makes the sending server deliver it again; the
//! Message-ID makes that second delivery harmless. mailin-embedded speaks the protocol on its
//! own threads; each finished message is handed to the async side and waited for.

use aduan_app::Aduan;
use aduan_app::mail_in::MAX_MAIL_BYTES;
use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use std::net::{SocketAddr, TcpListener};

#[derive(Clone)]
struct Delivery {
    aduan: Aduan,
    runtime: tokio::runtime::Handle,
    data: Vec<u8>,
    too_large: bool,
    limit: usize,
}

impl Handler for Delivery {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.data.clear();
        self.too_large = false;
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.too_large || self.data.len() + buf.len() > self.limit {
            self.too_large = true;
            self.data = Vec::new();
            // Stop reading a message that cannot be kept: the session answers with a permanent
            // failure (554) at once, and the sending server returns the mail to its sender.
            return Err(std::io::Error::other("message too large"));
        }
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if self.too_large {
            tracing::warn!(limit = self.limit, "mail refused: too large");
            return response::NO_STORAGE;
        }
        let data = std::mem::take(&mut self.data);
        let aduan = self.aduan.clone();
        match self
            .runtime
            .block_on(async move { aduan.receive_mail(&data, "smtp").await })
        {
            Ok(_) => response::OK,
            Err(e) => {
                tracing::error!(error = %e, "mail could not be stored; the sender will retry");
                response::INTERNAL_ERROR
            }
        }
    }
}

/// Starts the listener on `addr`, which must be a loopback address: Aduan is not a mail server
/// for the internet, only the last step after the agency's own. Returns the bound address.
pub fn start(aduan: Aduan, addr: &str) -> anyhow::Result<SocketAddr> {
    start_with_limit(aduan, addr, MAX_MAIL_BYTES)
}

/// [`start`] with another size limit (tests use a small one).
pub fn start_with_limit(aduan: Aduan, addr: &str, limit: usize) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| anyhow::anyhow!("cannot listen for mail on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    if !bound.ip().is_loopback() {
        anyhow::bail!(
            "the mail listener must be bound to loopback (127.0.0.1 or ::1), not {bound}"
        );
    }
    let delivery = Delivery {
        aduan,
        runtime: tokio::runtime::Handle::current(),
        data: Vec::new(),
        too_large: false,
        limit: limit.min(MAX_MAIL_BYTES),
    };
    let mut server = Server::new(delivery);
    server
        .with_name("aduan")
        .with_ssl(SslConfig::None)
        .map_err(|e| anyhow::anyhow!("mail listener: {e}"))?
        .with_num_threads(2)
        .with_tcp_listener(listener);
    std::thread::Builder::new()
        .name("mail-listener".into())
        .spawn(move || {
            if let Err(e) = server.serve() {
                tracing::error!(error = %e, "the mail listener stopped");
            }
        })?;
    tracing::info!(%bound, "listening for mail");
    Ok(bound)
}

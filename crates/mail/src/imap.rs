//! Mail in: one pass over an IMAP folder by UID (never by the unread flag, so mail read in
//! another client is still fetched, and BODY.PEEK leaves it unread), and a wait for new mail
//! with IDLE. Every command has a deadline, so a dead connection is noticed, not waited on.

use crate::smtp::Security;
use futures::TryStreamExt;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    pub password: String,
    pub folder: String,
    pub extra_ca_pem: Option<String>,
}

/// A folder's identity: UIDs are only meaningful within one UIDVALIDITY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderState {
    pub uidvalidity: u32,
    pub uid_next: Option<u32>,
}

pub struct Fetched {
    pub uid: u32,
    pub bytes: Vec<u8>,
}

/// How long one command may take before the connection counts as dead.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(45);
/// How long the end of an IDLE (DONE) or a NOOP may take: the proof the connection lives,
/// so that one that died while idle is noticed within a minute (slice + this).
const ALIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// How many messages one FETCH asks for (a first fetch of a big mailbox comes in batches).
const BATCH: usize = 100;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}
pub type Session = async_imap::Session<Box<dyn Io>>;

async fn deadline<T, E: std::fmt::Display>(what: &str, f: impl std::future::Future<Output = Result<T, E>>) -> Result<T, String> {
    within(COMMAND_TIMEOUT, what, f).await
}

async fn within<T, E: std::fmt::Display>(limit: Duration, what: &str, f: impl std::future::Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(limit, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {} s", limit.as_secs())),
    }
}

pub async fn connect(cfg: &ImapConfig) -> Result<Session, String> {
    let tcp = deadline("connect", TcpStream::connect((cfg.host.as_str(), cfg.port))).await?;
    let tls = |extra: Option<&str>| crate::tls::connector(extra);
    let server_name =
        || tokio_rustls::rustls::pki_types::ServerName::try_from(cfg.host.clone()).map_err(|e| format!("'{}' is not a host name: {e}", cfg.host));
    let stream: Box<dyn Io> = match cfg.security {
        Security::None => Box::new(tcp),
        Security::Tls => {
            let s = deadline("TLS", tls(cfg.extra_ca_pem.as_deref())?.connect(server_name()?, tcp)).await?;
            Box::new(s)
        }
        Security::Starttls => {
            let mut client = async_imap::Client::new(tcp);
            deadline("greeting", client.read_response()).await?;
            deadline("STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
            let tcp = client.into_inner();
            let s = deadline("TLS", tls(cfg.extra_ca_pem.as_deref())?.connect(server_name()?, tcp)).await?;
            Box::new(s)
        }
    };
    let mut client = async_imap::Client::new(stream);
    if cfg.security != Security::Starttls {
        let greeting = deadline("greeting", client.read_response()).await?;
        if greeting.is_none() {
            return Err("the server closed the connection before greeting".into());
        }
    }
    match tokio::time::timeout(COMMAND_TIMEOUT, client.login(&cfg.user, &cfg.password)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err((e, _))) => Err(format!("login as {}: {e}", cfg.user)),
        Err(_) => Err("login: no answer".into()),
    }
}

pub async fn select(session: &mut Session, folder: &str) -> Result<FolderState, String> {
    let m = deadline("SELECT", session.select(folder)).await?;
    Ok(FolderState { uidvalidity: m.uid_validity.unwrap_or(0), uid_next: m.uid_next })
}

/// The UIDs above `after` in the selected folder, in order.
pub async fn new_uids(session: &mut Session, after: u32) -> Result<Vec<u32>, String> {
    let found = deadline("UID SEARCH", session.uid_search(format!("UID {}:*", after + 1))).await?;
    // "N:*" always includes the highest UID, even below N.
    let mut uids: Vec<u32> = found.into_iter().filter(|u| *u > after).collect();
    uids.sort_unstable();
    Ok(uids)
}

/// The raw messages of `uids` (a message expunged meanwhile is simply not there).
pub async fn fetch(session: &mut Session, uids: &[u32]) -> Result<Vec<Fetched>, String> {
    let mut out = Vec::with_capacity(uids.len());
    for chunk in uids.chunks(BATCH) {
        let set = chunk.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let fetches: Vec<async_imap::types::Fetch> = deadline("UID FETCH", async {
            let stream = session.uid_fetch(&set, "(UID BODY.PEEK[])").await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?;
        for f in fetches {
            if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                out.push(Fetched { uid, bytes: body.to_vec() });
            }
        }
    }
    out.sort_by_key(|f| f.uid);
    Ok(out)
}

pub async fn logout(mut session: Session) {
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
}

/// Waits until the folder may have new mail: IDLE where the server has it (renewed every
/// `slice`, which also proves the connection alive), else a NOOP every `slice`. Returns
/// after `total` at the latest (with whether the server said something changed), or with an
/// error when the connection died.
pub async fn wait_for_mail(session: Session, slice: Duration, total: Duration) -> Result<(Session, bool), String> {
    let mut session = session;
    let caps = deadline("CAPABILITY", session.capabilities()).await?;
    let idle = caps.has_str("IDLE");
    let started = tokio::time::Instant::now();
    loop {
        if idle {
            let mut handle = session.idle();
            deadline("IDLE", handle.init()).await?;
            let (wait, _stop) = handle.wait_with_timeout(slice);
            let got = match tokio::time::timeout(slice + ALIVE_TIMEOUT, wait).await {
                Ok(r) => r.map_err(|e| format!("IDLE: {e}"))?,
                Err(_) => return Err("IDLE: the connection went quiet".into()),
            };
            session = within(ALIVE_TIMEOUT, "DONE", handle.done()).await?;
            if matches!(got, async_imap::extensions::idle::IdleResponse::NewData(_)) {
                return Ok((session, true));
            }
        } else {
            tokio::time::sleep(slice).await;
            within(ALIVE_TIMEOUT, "NOOP", session.noop()).await?;
            return Ok((session, true));
        }
        if started.elapsed() >= total {
            return Ok((session, false));
        }
    }
}

/// A runtime for one pass: the engine is synchronous, the IMAP client is not.
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime").block_on(f)
}

//! Mail out: a reply built with its threading headers and sent through the SMTP server
//! (lettre: STARTTLS or TLS through rustls, AUTH). The outbox in front of it is the engine's.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Tls,
    Starttls,
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    pub password: Option<String>,
    pub extra_ca_pem: Option<String>,
}

/// A reply as it goes out.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub from_name: String,
    pub from: String,
    pub reply_to: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// An automatic reply (an acknowledgement): marked so other software does not answer it.
    pub automatic: bool,
    pub body: String,
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// Why a send did not go: `permanent` when trying again cannot help (a 5xx, a bad address).
#[derive(Debug, Clone)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

macro_rules! raw_header {
    ($t:ident, $name:literal) => {
        #[derive(Clone)]
        struct $t(String);
        impl lettre::message::header::Header for $t {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($t(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}
raw_header!(AutoSubmitted, "Auto-Submitted");
raw_header!(AutoResponseSuppress, "X-Auto-Response-Suppress");

fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox, SendError> {
    let addr = address.parse().map_err(|e| SendError { permanent: true, message: format!("'{address}' is not an address: {e}") })?;
    Ok(Mailbox::new(name.filter(|n| !n.is_empty()).map(str::to_string), addr))
}

pub fn build(o: &Outgoing) -> Result<Message, SendError> {
    let mut b = Message::builder()
        .from(mailbox(Some(&o.from_name), &o.from)?)
        .subject(o.subject.clone())
        .message_id(Some(format!("<{}>", o.message_id)))
        .date_now();
    if let Some(r) = &o.reply_to {
        b = b.reply_to(mailbox(None, r)?);
    }
    for t in &o.to {
        b = b.to(mailbox(None, t)?);
    }
    for c in &o.cc {
        b = b.cc(mailbox(None, c)?);
    }
    if let Some(irt) = &o.in_reply_to {
        b = b.in_reply_to(format!("<{irt}>"));
    }
    if !o.references.is_empty() {
        b = b.references(o.references.iter().map(|r| format!("<{r}>")).collect::<Vec<_>>().join(" "));
    }
    // Every mail of ours tells auto-responders not to answer (Outlook reads the X- header).
    b = b.header(AutoResponseSuppress("All".into()));
    if o.automatic {
        b = b.header(AutoSubmitted("auto-replied".into()));
    }
    let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(o.body.clone());
    let built = if o.attachments.is_empty() {
        b.singlepart(text)
    } else {
        let mut mp = MultiPart::mixed().singlepart(text);
        for (name, bytes) in &o.attachments {
            let ct = ContentType::parse("application/octet-stream").expect("a valid content type");
            mp = mp.singlepart(Attachment::new(name.clone()).body(bytes.clone(), ct));
        }
        b.multipart(mp)
    };
    built.map_err(|e| SendError { permanent: true, message: format!("the mail cannot be built: {e}") })
}

pub fn send(cfg: &SmtpConfig, message: &Message) -> Result<(), SendError> {
    let transient = |message: String| SendError { permanent: false, message };
    let tls = || -> Result<TlsParameters, SendError> {
        let mut p = TlsParameters::builder(cfg.host.clone());
        if let Some(pem) = cfg.extra_ca_pem.as_deref().filter(|p| !p.trim().is_empty()) {
            let cert =
                Certificate::from_pem(pem.as_bytes()).map_err(|e| SendError { permanent: true, message: format!("the extra certificate: {e}") })?;
            p = p.add_root_certificate(cert);
        }
        p.build_rustls().map_err(|e| SendError { permanent: true, message: format!("TLS: {e}") })
    };
    let mut t = SmtpTransport::builder_dangerous(&cfg.host).port(cfg.port).timeout(Some(Duration::from_secs(30)));
    t = match cfg.security {
        Security::Tls => t.tls(Tls::Wrapper(tls()?)),
        Security::Starttls => t.tls(Tls::Required(tls()?)),
        Security::None => t.tls(Tls::None),
    };
    if let Some(p) = &cfg.password {
        if !cfg.user.is_empty() {
            t = t.credentials(Credentials::new(cfg.user.clone(), p.clone()));
        }
    }
    let transport = t.build();
    match transport.send(message) {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(SendError { permanent: true, message: e.to_string() }),
        Err(e) => Err(transient(e.to_string())),
    }
}

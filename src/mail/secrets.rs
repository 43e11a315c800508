//! The mailbox passwords, in the OS keyring (the Secret Service on Linux), never in the
//! database, a backup or an export. Each is filed under the server and user it opens.

use super::MailboxSettings;
use crate::{Error, Result};

/// Which of the mailbox's two logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Imap,
    Smtp,
}

fn entry(login: Login, s: &MailboxSettings) -> Result<keyring::Entry> {
    let account = match login {
        Login::Imap => format!("imap:{}@{}:{}", s.imap_user, s.imap_host, s.imap_port),
        Login::Smtp => format!("smtp:{}@{}:{}", s.smtp_user, s.smtp_host, s.smtp_port),
    };
    keyring::Entry::new("casebook", &account).map_err(unavailable)
}

fn unavailable(e: keyring::Error) -> Error {
    Error::validation("password", format!("the system keyring (Secret Service) cannot be used: {e}; start GNOME Keyring or KWallet and unlock it"))
}

/// Stores a password (an empty one removes it).
pub fn set(login: Login, s: &MailboxSettings, password: &str) -> Result<()> {
    let e = entry(login, s)?;
    if password.is_empty() {
        return match e.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(x) => Err(unavailable(x)),
        };
    }
    e.set_password(password).map_err(unavailable)
}

/// The stored password, or None.
pub fn get(login: Login, s: &MailboxSettings) -> Result<Option<String>> {
    match entry(login, s)?.get_password() {
        Ok(p) => Ok(Some(p)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

impl crate::workspace::Workspace {
    /// `fetch_mail` with the IMAP password from the keyring.
    pub fn fetch_mail_now(&mut self) -> Result<super::FetchReport> {
        let s = self.mailbox_settings()?.ok_or_else(super::fetch::not_set_up)?;
        let pw = get(Login::Imap, &s)?
            .ok_or_else(|| Error::validation("password", "The IMAP password is not in the keyring: set the mailbox up again"))?;
        self.fetch_mail(&pw)
    }

    /// `send_outbox` with the SMTP password from the keyring (none: the server takes mail
    /// without a login, as a local relay does).
    pub fn send_outbox_now(&mut self) -> Result<super::SendReport> {
        let s = self.mailbox_settings()?.ok_or_else(super::fetch::not_set_up)?;
        let pw = if s.smtp_user.is_empty() { None } else { get(Login::Smtp, &s)? };
        self.send_outbox(pw.as_deref())
    }
}

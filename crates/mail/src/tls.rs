//! The certificates a mail connection trusts: the web's roots (webpki-roots, so a machine
//! without a CA bundle still connects) and, when set, one more PEM (a company CA, a test server).

use std::sync::Arc;
use tokio_rustls::rustls;

pub fn roots_with(extra_pem: Option<&str>) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(pem) = extra_pem.filter(|p| !p.trim().is_empty()) {
        let mut n = 0;
        for cert in rustls_pemfile::certs(&mut pem.as_bytes()) {
            let cert = cert.map_err(|e| format!("the certificate is not PEM: {e}"))?;
            roots.add(cert).map_err(|e| format!("the certificate cannot be trusted: {e}"))?;
            n += 1;
        }
        if n == 0 {
            return Err("no certificate in the PEM text".into());
        }
    }
    Ok(roots)
}

pub fn connector(extra_pem: Option<&str>) -> Result<tokio_rustls::TlsConnector, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots_with(extra_pem)?)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

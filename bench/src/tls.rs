//! TLS for the emulated AWS endpoint: a throw-away CA and a server
//! certificate for `localhost`/`127.0.0.1`, made per run with the
//! `openssl` CLI, and a small HTTPS client for moto's `/_testbed/` views.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where a run's certificates are.
#[derive(Debug, Clone)]
pub struct Certificates {
    /// The throw-away CA's certificate.
    pub ca: PathBuf,
    /// The system's roots plus the CA: what `SSL_CERT_FILE` points at, so
    /// the SDK loads as many roots as it would on Lambda, not one.
    pub bundle: PathBuf,
    pub server_certificate: PathBuf,
    pub server_key: PathBuf,
}

/// The roots a Debian or Amazon Linux system trusts.
const SYSTEM_BUNDLES: [&str; 2] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// Makes a CA and a server certificate signed by it in `dir`. RSA 2048, as
/// AWS's own endpoints present, so that handshakes cost what they cost there.
pub fn generate(dir: &Path) -> Result<Certificates, String> {
    std::fs::create_dir_all(dir).map_err(|error| format!("creating {}: {error}", dir.display()))?;
    let path = |name: &str| dir.join(name);
    let text = |path: &Path| path.display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        &text(&path("ca.key")),
        "-out",
        &text(&path("ca.pem")),
        "-subj",
        "/CN=Watchkeeper bench throw-away CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ])?;
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &text(&path("server.key")),
        "-out",
        &text(&path("server.csr")),
        "-subj",
        "/CN=localhost",
    ])?;
    std::fs::write(
        path("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n\
         basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\n",
    )
    .map_err(|error| format!("writing server.ext: {error}"))?;
    openssl(&[
        "x509",
        "-req",
        "-days",
        "2",
        "-in",
        &text(&path("server.csr")),
        "-CA",
        &text(&path("ca.pem")),
        "-CAkey",
        &text(&path("ca.key")),
        "-CAcreateserial",
        "-extfile",
        &text(&path("server.ext")),
        "-out",
        &text(&path("server.pem")),
    ])?;
    let ca = std::fs::read_to_string(path("ca.pem"))
        .map_err(|error| format!("reading ca.pem: {error}"))?;
    let mut bundle = SYSTEM_BUNDLES
        .iter()
        .find_map(|system| std::fs::read_to_string(system).ok())
        .unwrap_or_default();
    if !bundle.is_empty() && !bundle.ends_with('\n') {
        bundle.push('\n');
    }
    bundle.push_str(&ca);
    std::fs::write(path("bundle.pem"), bundle)
        .map_err(|error| format!("writing bundle.pem: {error}"))?;
    Ok(Certificates {
        ca: path("ca.pem"),
        bundle: path("bundle.pem"),
        server_certificate: path("server.pem"),
        server_key: path("server.key"),
    })
}

fn openssl(args: &[&str]) -> Result<(), String> {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|error| format!("could not run openssl (is it installed?): {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// An HTTPS client for one host, trusting the roots `rustls-native-certs`
/// finds, which honours `SSL_CERT_FILE` as the SDK does.
#[derive(Clone)]
pub struct HttpsClient {
    host: String,
    port: u16,
    connector: tokio_rustls::TlsConnector,
}

impl HttpsClient {
    pub fn new(host: &str, port: u16) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            return Err(format!(
                "no trusted root certificates found: {:?}",
                native.errors
            ));
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS configuration: {error}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self {
            host: host.to_owned(),
            port,
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// `GET path`, returning the body of a 200 response.
    pub async fn get(&self, path: &str) -> Result<String, String> {
        let stream = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|error| format!("connecting to {}:{}: {error}", self.host, self.port))?;
        let name = rustls::pki_types::ServerName::try_from(self.host.clone())
            .map_err(|error| format!("bad host name {}: {error}", self.host))?;
        let mut tls = self
            .connector
            .connect(name, stream)
            .await
            .map_err(|error| format!("TLS handshake with {}:{}: {error}", self.host, self.port))?;
        let request = format!(
            "GET {path} HTTP/1.0\r\nHost: {}:{}\r\nConnection: close\r\n\r\n",
            self.host, self.port
        );
        tls.write_all(request.as_bytes())
            .await
            .map_err(|error| format!("sending GET {path}: {error}"))?;
        let mut response = Vec::new();
        match tls.read_to_end(&mut response).await {
            Ok(_) => {}
            // Python's ssl module may close without a close_notify; the
            // response is complete by then (HTTP/1.0, connection close).
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(error) => return Err(format!("reading GET {path}: {error}")),
        }
        let response = String::from_utf8_lossy(&response);
        let (head, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("GET {path}: not an HTTP response"))?;
        if !head.contains(" 200 ") {
            return Err(format!("GET {path} failed: {head}"));
        }
        Ok(body.to_owned())
    }
}

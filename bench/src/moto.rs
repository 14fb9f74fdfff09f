//! moto served over TLS only, with the run's throw-away certificate, for
//! the bootstraps and the harness alike.

use std::process::Stdio;
use std::time::Duration;

use testbed::ApiCall;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::tls::{Certificates, HttpsClient};

/// A moto server over HTTPS; it stops when dropped, and on its own if the
/// harness dies (the launcher exits when its stdin closes).
pub struct TlsMoto {
    _child: Child,
    pub port: u16,
    /// `https://localhost:<port>`: what `AWS_ENDPOINT_URL` is set to.
    pub endpoint: String,
    client: HttpsClient,
}

impl TlsMoto {
    pub async fn start(certificates: &Certificates) -> Result<Self, String> {
        let python = testbed::python();
        if !python.exists() {
            return Err(format!(
                "moto is not installed: {} does not exist; run `make setup`",
                python.display()
            ));
        }
        let launcher = testbed::workspace_root().join("tests/testbed/moto_launcher.py");
        let mut child = Command::new(&python)
            .arg(&launcher)
            .arg("--ssl-cert")
            .arg(&certificates.server_certificate)
            .arg("--ssl-key")
            .arg(&certificates.server_key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("could not start moto with {}: {error}", python.display()))?;
        let stdout = child.stdout.take().ok_or("moto's stdout is not piped")?;
        let mut first_line = String::new();
        tokio::time::timeout(
            Duration::from_secs(60),
            BufReader::new(stdout).read_line(&mut first_line),
        )
        .await
        .map_err(|_| "moto did not start within 60 s".to_owned())?
        .map_err(|error| format!("reading moto's port: {error}"))?;
        let port: u16 = first_line
            .trim()
            .parse()
            .map_err(|_| format!("moto launcher did not print a port (got {first_line:?})"))?;
        let client = HttpsClient::new("localhost", port)?;
        Ok(Self {
            _child: child,
            port,
            endpoint: format!("https://localhost:{port}"),
            client,
        })
    }

    /// Every AWS API call moto has received so far, in order.
    pub async fn calls(&self) -> Result<Vec<ApiCall>, String> {
        let body = self.client.get("/_testbed/calls").await?;
        serde_json::from_str(&body).map_err(|error| format!("/_testbed/calls is not JSON: {error}"))
    }
}

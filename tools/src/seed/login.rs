//! Logging in to the command API as an admin: the tools that call it (`demo-data`, `seed --via
//! http`, the benchmarks) log in with configured credentials and use the access token.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::{json, Value};

/// A password from a file (its first line) or, without one, from standard input.
pub fn read_password(file: Option<&Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("cannot read the password from standard input")?;
            text
        }
    };
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// Logs in at `api` (the base URL) and returns the access token.
pub async fn access_token(api: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let url = format!("{}/v1/auth/login", api.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .with_context(|| format!("cannot reach the command API at {api}: is it running? (--api / FERRULE_API_URL)"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!(
            "logging in as {email} at {api} answered {status}: {}; pass the admin's credentials by --admin-email \
             and --admin-password-file (deploy/local/up keeps them in .local/)",
            body["detail"].as_str().unwrap_or("")
        );
    }
    body["access_token"].as_str().map(str::to_owned).context("the login answer holds no access_token")
}

//! A small client of the command API: admin-authenticated JSON calls, with failures that say what
//! to do next.

use std::time::Duration;

use anyhow::{bail, Context};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The command API at one base URL, called with an admin's access token.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

/// A status and its parsed body (`Null` when the body is not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Api {
    /// `connections`: how many keep-alive connections the client may hold at once.
    pub fn new(base: &str, token: &str, connections: usize) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            bail!("the command API URL {base:?} must start with http:// or https:// (e.g. http://127.0.0.1:8080)");
        }
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Api { client, base, token: token.to_owned() })
    }

    /// The same API called with another user's access token (a buyer's, say).
    pub fn with_token(&self, token: &str) -> Api {
        Api { token: token.to_owned(), ..self.clone() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// A request with the access token, ready to send.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token)
    }

    /// Sends a JSON body and reads the answer. Only a failure to talk to the API at all, or a
    /// refused token, is an error here; any other status is the caller's to judge.
    pub async fn call(&self, method: Method, path: &str, body: &Value) -> anyhow::Result<Answer> {
        let request = self.request(method.clone(), path).json(body);
        let response = ferrule_seed::send_within_rate_limits(request).await.map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.unreachable(e))?;
        if status == StatusCode::UNAUTHORIZED {
            bail!(
                "the command API at {} refused the access token: it expired (15 minutes by default) or is not an \
                 admin's; log in again",
                self.base
            );
        }
        Ok(Answer { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
    }

    /// A call that must succeed (2xx); anything else is an error naming the request and the problem.
    pub async fn expect_success(&self, method: Method, path: &str, body: &Value) -> anyhow::Result<Value> {
        let answer = self.call(method.clone(), path, body).await?;
        if !answer.status.is_success() {
            bail!("{method} {path} answered {}", describe(&answer));
        }
        Ok(answer.body)
    }

    /// A create that must answer 201 with an id; returns the whole body.
    pub async fn create(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let answer = self.call(Method::POST, path, body).await?;
        if answer.status != StatusCode::CREATED {
            bail!("POST {path} answered {}; the request was {body}", describe(&answer));
        }
        if !answer.body["id"].is_string() {
            bail!("POST {path} answered 201 without an id: {}", answer.body);
        }
        Ok(answer.body)
    }

    fn unreachable(&self, error: reqwest::Error) -> anyhow::Error {
        anyhow::Error::new(error).context(format!(
            "cannot reach the command API at {}: is it running? start it with deploy/local/up \
             (or pass its URL with --api / FERRULE_API_URL)",
            self.base
        ))
    }
}

/// `422 Unprocessable Entity: 2 field(s) are invalid (specs.length: Length must be at most 1000 mm; …)`,
/// from an application/problem+json body, or the raw body otherwise.
pub fn describe(answer: &Answer) -> String {
    let body = &answer.body;
    let Some(detail) = body["detail"].as_str() else {
        return format!("{}: {body}", answer.status);
    };
    let fields: Vec<String> = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| format!("{}: {}", e["field"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        format!("{}: {detail}", answer.status)
    } else {
        format!("{}: {detail} ({})", answer.status, fields.join("; "))
    }
}

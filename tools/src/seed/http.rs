//! `--via http`: the plan sent to a running command API as an admin would send it, for small
//! catalogs. The API assigns ids itself, so names, SKUs and specs are the seed's and ids are not;
//! a re-run stops as soon as the seed's first brand answers 409.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::plan::{Plan, PlannedProduct};
use super::{bar, Count, Report};

#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub seed: u64,
    pub products: u64,
    pub api: String,
    pub token: String,
    pub concurrency: usize,
    pub progress: bool,
}

/// Attempts of one request that the API keeps answering 429.
const RATE_LIMITED_ATTEMPTS: u32 = 30;
/// The longest `Retry-After` waited for.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// Sends `request`; while the API answers 429, waits as long as its `Retry-After` says (at most a
/// minute) and sends it again, so that a bulk load through a rate-limited API slows down instead
/// of failing. (`FERRULE_RATE_LIMIT_REQUESTS` sets how fast it may go.)
pub async fn send_within_rate_limits(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    let mut request = request;
    for _ in 1..RATE_LIMITED_ATTEMPTS {
        let Some(again) = request.try_clone() else { break };
        let response = request.send().await?;
        if response.status() != StatusCode::TOO_MANY_REQUESTS {
            return Ok(response);
        }
        let wait = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .map_or(Duration::from_secs(1), Duration::from_secs)
            .min(LONGEST_WAIT);
        tokio::time::sleep(wait).await;
        request = again;
    }
    request.send().await
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn send(&self, method: Method, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        let request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token).json(body);
        let response = send_within_rate_limits(request).await.with_context(|| {
            format!("cannot reach the command API at {}: is it running? (--api / FERRULE_API_URL)", self.base)
        })?;
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        if status == StatusCode::UNAUTHORIZED {
            bail!(
                "the command API refused the access token: it may have expired (log in again) or lack the admin role"
            );
        }
        Ok((status, body))
    }

    /// A call that must succeed; answers the body.
    async fn expect(&self, method: Method, path: &str, body: &Value) -> anyhow::Result<Value> {
        let (status, answer) = self.send(method.clone(), path, body).await?;
        if !status.is_success() {
            bail!("{method} {path} answered {status}: {answer}; the request was {body}");
        }
        Ok(answer)
    }

    async fn create(&self, path: &str, body: &Value) -> anyhow::Result<Uuid> {
        let answer = self.expect(Method::POST, path, body).await?;
        answer["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .with_context(|| format!("POST {path} answered no id: {answer}"))
    }
}

/// Seeds through a running command API.
pub async fn seed_over_http(options: &HttpOptions) -> anyhow::Result<Report> {
    let started = Instant::now();
    let plan = Plan::new(options.seed, options.products)?;
    let base = options.api.trim_end_matches('/').to_owned();
    if !base.starts_with("http://") && !base.starts_with("https://") {
        bail!("the command API URL {base:?} must start with http:// or https:// (e.g. http://127.0.0.1:8080)");
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()?;
    let client = Client { http, base: base.clone(), token: options.token.clone() };
    let mut report = Report { seed: options.seed, target: base, over_http: true, ..Report::default() };
    // Plan ids → the ids the API gave them.
    let mut ids: HashMap<Uuid, Uuid> = HashMap::new();
    let marker = plan.marker();
    let (status, answer) = client.send(Method::POST, "/v1/brands", &json!({ "name": marker.name })).await?;
    match status {
        StatusCode::CONFLICT => {
            report.already_complete = true;
            report.brands.skipped = 1;
            report.elapsed = started.elapsed();
            return Ok(report);
        }
        status if status.is_success() => {
            let id = answer["id"].as_str().and_then(|id| id.parse().ok()).context("POST /v1/brands answered no id")?;
            ids.insert(marker.id, id);
        }
        status => bail!("POST /v1/brands answered {status}: {answer}"),
    }
    report.brands.created = 1;
    for brand in &plan.brands[1..] {
        ids.insert(brand.id, client.create("/v1/brands", &json!({ "name": brand.name })).await?);
        report.brands.created += 1;
    }
    let known =
        |ids: &HashMap<Uuid, Uuid>, id: Uuid| ids.get(&id).copied().context("the plan names an entity before it");
    for category in &plan.categories {
        let parent = category.parent.map(|p| known(&ids, p)).transpose()?;
        let id = client.create("/v1/categories", &json!({ "name": category.name, "parent_id": parent })).await?;
        ids.insert(category.id, id);
        report.categories.created += 1;
        for (key, definition) in &category.attributes {
            client.expect(Method::PUT, &format!("/v1/categories/{id}/attributes/{key}"), definition).await?;
            report.definitions += 1;
        }
    }
    for family in &plan.families {
        let body = json!({
            "category_id": known(&ids, family.category)?,
            "brand_id": known(&ids, family.brand)?,
            "name": family.name,
            "code": family.code,
        });
        let id = client.create("/v1/families", &body).await?;
        ids.insert(family.id, id);
        report.families.created += 1;
        for (key, definition) in &family.overrides {
            client.expect(Method::PUT, &format!("/v1/families/{id}/attributes/{key}"), definition).await?;
            report.family_overrides += 1;
        }
    }
    report.events = report.brands.created
        + report.categories.created
        + report.definitions
        + report.families.created
        + report.family_overrides;
    let bar = bar(options.progress, plan.products, "products", "products");
    let phase = Instant::now();
    let ids = &ids;
    let mut results = futures::stream::iter(plan.products())
        .map(|product: PlannedProduct| {
            let client = client.clone();
            let family = ids.get(&product.family).copied();
            async move {
                let family = family.context("a product's family was not created")?;
                let mut body = json!({ "family_id": family, "name": product.name, "specs": product.specs });
                if let Some(sku) = &product.sku {
                    body["sku"] = json!(sku);
                }
                client.create("/v1/products", &body).await.map(|_| ())
            }
        })
        .buffer_unordered(options.concurrency.max(1));
    let mut created = Count::default();
    while let Some(result) = results.next().await {
        result.with_context(|| {
            format!(
                "seeding over HTTP stopped after {} products; over HTTP a re-run cannot finish it (the API assigns ids): \
                 seed an empty catalog again, or use --via db",
                created.created
            )
        })?;
        created.created += 1;
        bar.set_position(created.created);
    }
    bar.finish_and_clear();
    report.products = created;
    report.products_elapsed = phase.elapsed();
    report.events += created.created;
    report.elapsed = started.elapsed();
    Ok(report)
}

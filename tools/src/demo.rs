//! `ferrule demo-data`: loads the demo catalog (planned in `catalog`) through the command API, one
//! command at a time, as an admin would build it.

mod catalog;
mod commerce;
mod media;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::api::{describe, Api};
use crate::cli::DemoArgs;
use catalog::{Owner, Plan, Step, MARKER_BRAND};

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let token = args.admin.token(&args.api).await?;
    let api = Api::new(&args.api, &token, 1)?;
    let plan = catalog::plan();
    let started = Instant::now();
    let mut loader = Loader { api, ids: HashMap::new(), answers: Vec::with_capacity(plan.steps.len()) };
    if loader.marker(&plan).await? == Marker::Found {
        println!(
            "demo data already loaded: the catalog at {} has a brand named {MARKER_BRAND:?}; nothing to do",
            loader.api.base()
        );
        return Ok(());
    }
    let buyer_password = match &args.buyer_password_file {
        Some(file) => Some(ferrule_seed::login::read_password(Some(file))?),
        None => None,
    };
    let products = plan.steps.iter().filter(|s| matches!(s, Step::Product { .. })).count();
    // The catalog's commands, then the commerce set-up (one tick per product and two more), then
    // the media.
    let bar = progress(plan.steps.len() + products + 2 + 5);
    bar.inc(1);
    for (i, step) in plan.steps.iter().enumerate().skip(1) {
        bar.set_message(describe_step(step));
        let answer = loader.apply(step).await.with_context(|| {
            format!(
                "loading the demo catalog stopped at command {} of {} ({}). The catalog now holds part of the demo: \
                 fix the cause, then load the demo into an empty write database (stop the services with \
                 deploy/local/down, drop the write and read databases, run deploy/local/up)",
                i + 1,
                plan.steps.len(),
                describe_step(step)
            )
        })?;
        loader.answers.push(answer);
        bar.inc(1);
    }
    bar.set_message("prices, stock, a customer and its contract");
    let sold_products: Vec<&Value> = plan
        .steps
        .iter()
        .zip(&loader.answers)
        .filter(|(step, _)| matches!(step, Step::Product { .. }))
        .map(|(_, answer)| answer)
        .collect();
    let buyer = buyer_password.as_deref().map(|password| (args.buyer_email.as_str(), password));
    let sold = commerce::set_up(&loader.api, &sold_products, buyer, || bar.inc(1)).await.context(
        "setting up the demo's prices, stock and customer failed after the catalog was loaded: load the demo into \
         an empty write database (deploy/local/down, drop the write and read databases, deploy/local/up)",
    )?;
    bar.set_message("pictures, a drawing, a datasheet and a certificate");
    let pictured = sold_products.iter().copied().find(|p| p["sku"] == media::PRODUCT_SKU);
    let attached = media::attach(&loader.api, loader.id("skf62")?, pictured, || bar.inc(1)).await.context(
        "attaching the demo's media failed after the catalog was loaded: is the object store running (deploy/local/up \
         starts s3s-fs)? Then load the demo into an empty write database (deploy/local/down, drop the write and read \
         databases, deploy/local/up)",
    )?;
    bar.finish_and_clear();
    summary(&plan, &loader, started.elapsed());
    println!(
        "  {} products priced and stocked in 2 warehouses (Hamburg {}, Munich {}); {} on the contract list of {:?} \
         (company {}, net 30)",
        sold.priced,
        commerce::HAMBURG,
        commerce::MUNICH,
        sold.on_contract,
        commerce::COMPANY,
        sold.company_id
    );
    if let Some(email) = sold.buyer {
        println!("  its buyer: {email}");
    }
    println!(
        "  {} media: the SKF 6200 family's picture (inherited by its products){}",
        attached.media,
        attached
            .product_id
            .map(|id| format!(
                "; photo, drawing, datasheet and buyers-only certificate of {} (product {id})",
                media::PRODUCT_SKU
            ))
            .unwrap_or_default()
    );
    Ok(())
}

/// Whether the marker brand was there before this run.
#[derive(PartialEq, Eq)]
enum Marker {
    Created,
    Found,
}

struct Loader {
    api: Api,
    /// Plan keys → the ids the command API gave them.
    ids: HashMap<&'static str, String>,
    /// Each applied step's answer body, in plan order.
    answers: Vec<Value>,
}

impl Loader {
    /// Creates the plan's first step, the marker brand; a 409 means the demo is already there.
    async fn marker(&mut self, plan: &Plan) -> anyhow::Result<Marker> {
        let Some(Step::Brand { key, name }) = plan.steps.first() else {
            bail!("the demo plan must start with its marker brand");
        };
        let answer = self.api.call(Method::POST, "/v1/brands", &json!({ "name": name })).await?;
        match answer.status {
            StatusCode::CREATED => {
                self.remember(key, &answer.body)?;
                self.answers.push(answer.body);
                Ok(Marker::Created)
            }
            StatusCode::CONFLICT => Ok(Marker::Found),
            _ => bail!("POST /v1/brands answered {}", describe(&answer)),
        }
    }

    fn id(&self, key: &str) -> anyhow::Result<&str> {
        self.ids.get(key).map(String::as_str).with_context(|| format!("the demo plan names {key} before creating it"))
    }

    fn remember(&mut self, key: &'static str, body: &Value) -> anyhow::Result<()> {
        let id = body["id"].as_str().with_context(|| format!("the answer for {key} has no id: {body}"))?;
        self.ids.insert(key, id.to_owned());
        Ok(())
    }

    async fn apply(&mut self, step: &Step) -> anyhow::Result<Value> {
        let api = self.api.clone();
        match step {
            Step::Brand { key, name } => {
                let body = api.create("/v1/brands", &json!({ "name": name })).await?;
                self.remember(key, &body)?;
                Ok(body)
            }
            Step::Category { key, name, parent } => {
                let parent_id = parent.map(|p| self.id(p)).transpose()?;
                let body = api.create("/v1/categories", &json!({ "name": name, "parent_id": parent_id })).await?;
                self.remember(key, &body)?;
                Ok(body)
            }
            Step::Attribute { owner, of, key, definition } => {
                let owners = match owner {
                    Owner::Category => "categories",
                    Owner::Family => "families",
                };
                let path = format!("/v1/{owners}/{}/attributes/{key}", self.id(of)?);
                api.expect_success(Method::PUT, &path, definition).await
            }
            Step::Family { key, category, brand, name, code } => {
                let request = json!({
                    "category_id": self.id(category)?,
                    "brand_id": self.id(brand)?,
                    "name": name,
                    "code": code,
                });
                let body = api.create("/v1/families", &request).await?;
                self.remember(key, &body)?;
                Ok(body)
            }
            Step::Product { family, name, sku, specs } => {
                let mut request = json!({ "family_id": self.id(family)?, "name": name, "specs": specs });
                if let Some(sku) = sku {
                    request["sku"] = json!(sku);
                }
                api.create("/v1/products", &request).await
            }
        }
    }
}

fn describe_step(step: &Step) -> String {
    match step {
        Step::Brand { name, .. } => format!("brand {name}"),
        Step::Category { name, .. } => format!("category {name}"),
        Step::Attribute { of, key, .. } => format!("attribute {key} of {of}"),
        Step::Family { name, code, .. } => format!("family {name} ({code})"),
        Step::Product { name, .. } => format!("product {name}"),
    }
}

fn progress(steps: usize) -> ProgressBar {
    let bar = ProgressBar::new(steps as u64);
    let style = ProgressStyle::with_template("{spinner} loading the demo catalog [{bar:30}] {pos}/{len} {wide_msg}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn summary(plan: &Plan, loader: &Loader, elapsed: Duration) {
    let count = |pick: fn(&Step) -> bool| plan.steps.iter().filter(|s| pick(s)).count();
    let clusters = count(|s| matches!(s, Step::Category { parent: None, .. }));
    let categories = count(|s| matches!(s, Step::Category { .. }));
    let definitions = count(|s| matches!(s, Step::Attribute { .. }));
    let overrides = count(|s| matches!(s, Step::Attribute { owner: Owner::Family, .. }));
    let brands = count(|s| matches!(s, Step::Brand { .. }));
    let families = count(|s| matches!(s, Step::Family { .. }));
    let products = count(|s| matches!(s, Step::Product { .. }));
    println!(
        "demo data loaded into {} in {:.1}s ({} commands):",
        loader.api.base(),
        elapsed.as_secs_f64(),
        plan.steps.len()
    );
    println!(
        "  {categories} categories ({clusters} clusters), {brands} brands, {families} families, {products} products"
    );
    println!("  {definitions} attribute definitions, {overrides} of them family-level overrides");
    println!("examples:");
    for (step, what) in &plan.examples {
        if let Some(answer) = loader.answers.get(*step) {
            let (id, sku) = (answer["id"].as_str().unwrap_or("?"), answer["sku"].as_str().unwrap_or("?"));
            println!("  {what}:\n    product {id}  SKU {sku}");
        }
    }
    let overridden = plan.steps.iter().find_map(|s| match s {
        Step::Attribute { owner: Owner::Family, of, .. } => loader.ids.get(of).map(|id| (*of, id)),
        _ => None,
    });
    if let Some((key, id)) = overridden {
        println!("  a family with family-level attribute overrides ({key}):\n    family {id}");
    }
    if let Some((step, _)) = plan.examples.first() {
        if let Some(id) = loader.answers.get(*step).and_then(|a| a["id"].as_str()) {
            println!("a stream's events (the audit trail):");
            println!("  curl -H \"Authorization: Bearer $TOKEN\" {}/v1/streams/{id}/events", loader.api.base());
        }
    }
}

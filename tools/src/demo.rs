//! `ferrule demo-data`: a small industrial catalog loaded through the command API, as an admin
//! would build it — categories with inherited attributes, brands, families and products.

use anyhow::{bail, Context};
use indicatif::ProgressBar;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of the command API.
    #[arg(long, env = "FERRULE_API_URL", default_value = "http://127.0.0.1:8080")]
    api: String,
    /// Admin bearer token (deploy/local/up keeps it in .local/admin-token).
    #[arg(long, env = "FERRULE_ADMIN_TOKEN", hide_env_values = true)]
    token: String,
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
    calls: usize,
}

impl Api {
    async fn call(&mut self, method: Method, path: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
        self.calls += 1;
        let response = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .with_context(|| {
                format!("cannot reach the command API at {}: is it running? start it with deploy/local/up", self.base)
            })?;
        let status = response.status();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    async fn create(&mut self, path: &str, body: Value) -> anyhow::Result<String> {
        let (status, answer) = self.call(Method::POST, path, body.clone()).await?;
        if status == StatusCode::UNAUTHORIZED {
            bail!("the command API refused the token: pass the admin token with --token or FERRULE_ADMIN_TOKEN");
        }
        if status != StatusCode::CREATED {
            bail!("POST {path} {body} answered {status}: {answer}");
        }
        answer["id"].as_str().map(str::to_owned).context("the answer has no id")
    }

    async fn define(&mut self, owner: &str, id: &str, key: &str, definition: Value) -> anyhow::Result<()> {
        let path = format!("/v1/{owner}/{id}/attributes/{key}");
        let (status, answer) = self.call(Method::PUT, &path, definition).await?;
        if !status.is_success() {
            bail!("PUT {path} answered {status}: {answer}");
        }
        Ok(())
    }
}

fn select(label: &str, options: &[&str]) -> Value {
    json!({"label": label, "type": "select", "options": options, "filterable": true, "searchable": true})
}

fn number(label: &str, unit: &str, min: f64, max: f64) -> Value {
    json!({"label": label, "type": "number", "unit": unit, "min": min, "max": max, "filterable": true, "searchable": true})
}

fn variant(mut definition: Value) -> Value {
    definition["variant_defining"] = json!(true);
    definition["required"] = json!(true);
    definition
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut api = Api {
        client: reqwest::Client::new(),
        base: args.api.trim_end_matches('/').to_owned(),
        token: args.token,
        calls: 0,
    };
    // Brands are unique by name: the first one tells whether the demo is already there.
    let (status, answer) = api.call(Method::POST, "/v1/brands", json!({"name": "Bossard"})).await?;
    match status {
        StatusCode::CREATED => {}
        StatusCode::CONFLICT => {
            println!("demo data already loaded (brand Bossard exists); nothing to do");
            return Ok(());
        }
        StatusCode::UNAUTHORIZED => {
            bail!("the command API refused the token: pass the admin token with --token or FERRULE_ADMIN_TOKEN")
        }
        other => bail!("POST /v1/brands answered {other}: {answer}"),
    }
    let bossard = answer["id"].as_str().context("no brand id")?.to_owned();
    let bar = ProgressBar::new_spinner();
    bar.set_message("loading the demo catalog…");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let mut products = 0;

    // Fasteners: thread and material on the cluster, shapes below.
    let fasteners = api.create("/v1/categories", json!({"name": "Fasteners"})).await?;
    api.define(
        "categories",
        &fasteners,
        "thread_size",
        variant(select("Thread size", &["M6", "M8", "M10", "M12", "M16", "M20", "M24"])),
    )
    .await?;
    api.define(
        "categories",
        &fasteners,
        "material",
        select("Material", &["steel 8.8", "steel 10.9", "stainless A2", "stainless A4"]),
    )
    .await?;
    api.define("categories", &fasteners, "thread_pitch", number("Thread pitch", "mm", 0.2, 6.0)).await?;
    let bolts = api.create("/v1/categories", json!({"name": "Bolts", "parent_id": fasteners})).await?;
    api.define("categories", &bolts, "length", variant(number("Length", "mm", 1.0, 1000.0))).await?;
    api.define("categories", &bolts, "head_type", select("Head type", &["hex", "socket", "carriage"])).await?;
    let hex_bolts = api.create("/v1/categories", json!({"name": "Hex bolts", "parent_id": bolts})).await?;
    let screws = api.create("/v1/categories", json!({"name": "Socket head cap screws", "parent_id": bolts})).await?;
    let nuts = api.create("/v1/categories", json!({"name": "Nuts", "parent_id": fasteners})).await?;
    let hex_nuts = api.create("/v1/categories", json!({"name": "Hex nuts", "parent_id": nuts})).await?;

    let din933 = api
        .create(
            "/v1/families",
            json!({"category_id": hex_bolts, "brand_id": bossard, "name": "DIN 933 hex bolt", "code": "HB933"}),
        )
        .await?;
    api.define(
        "families",
        &din933,
        "material",
        variant(select("Material", &["steel 8.8", "stainless A2", "stainless A4"])),
    )
    .await?;
    let iso4762 = api.create("/v1/families", json!({"category_id": screws, "brand_id": bossard, "name": "ISO 4762 socket head cap screw", "code": "SHCS4762"})).await?;
    let din934 = api
        .create(
            "/v1/families",
            json!({"category_id": hex_nuts, "brand_id": bossard, "name": "DIN 934 hex nut", "code": "HN934"}),
        )
        .await?;
    let pitches = [("M6", 1.0), ("M8", 1.25), ("M10", 1.5), ("M12", 1.75), ("M16", 2.0)];
    for (thread, pitch) in pitches {
        for (length, material) in
            [(json!(30), "steel 8.8"), (json!(50), "stainless A4"), (json!({"value": 2, "unit": "in"}), "stainless A2")]
        {
            let name = format!("Hex bolt DIN 933 {thread} {material}");
            api.create("/v1/products", json!({"family_id": din933, "name": name,
                "specs": {"thread_size": thread, "length": length, "material": material, "thread_pitch": pitch, "head_type": "hex"}})).await?;
            products += 1;
        }
        api.create("/v1/products", json!({"family_id": iso4762, "name": format!("Socket head cap screw ISO 4762 {thread}x40 10.9"),
            "specs": {"thread_size": thread, "length": 40, "material": "steel 10.9", "thread_pitch": pitch, "head_type": "socket"}})).await?;
        api.create(
            "/v1/products",
            json!({"family_id": din934, "name": format!("Hex nut DIN 934 {thread} A2"),
            "specs": {"thread_size": thread, "material": "stainless A2", "thread_pitch": pitch}}),
        )
        .await?;
        products += 2;
    }

    // Bearings.
    let skf = api.create("/v1/brands", json!({"name": "SKF"})).await?;
    let bearings = api.create("/v1/categories", json!({"name": "Bearings"})).await?;
    let rolling = api.create("/v1/categories", json!({"name": "Rolling bearings", "parent_id": bearings})).await?;
    api.define("categories", &rolling, "bore_diameter", variant(number("Bore diameter", "mm", 1.0, 1000.0))).await?;
    api.define("categories", &rolling, "outer_diameter", number("Outer diameter", "mm", 1.0, 2000.0)).await?;
    api.define("categories", &rolling, "width", number("Width", "mm", 1.0, 500.0)).await?;
    let ball = api.create("/v1/categories", json!({"name": "Deep groove ball bearings", "parent_id": rolling})).await?;
    api.define("categories", &ball, "seal_type", variant(select("Seal", &["open", "2RS", "ZZ"]))).await?;
    api.define(
        "categories",
        &ball,
        "dynamic_load_rating",
        json!({"label": "Dynamic load rating (kN)", "type": "number", "min": 0, "filterable": true}),
    )
    .await?;
    let series = api
        .create("/v1/families", json!({"category_id": ball, "brand_id": skf, "name": "6200 series", "code": "B62"}))
        .await?;
    for (designation, bore, outer, width, load) in [
        ("6200", 10, 30, 9, 5.4),
        ("6201", 12, 32, 10, 7.28),
        ("6202", 15, 35, 11, 8.06),
        ("6204", 20, 47, 14, 13.5),
        ("6205", 25, 52, 15, 14.8),
    ] {
        for seal in ["open", "2RS", "ZZ"] {
            let suffix = if seal == "open" { String::new() } else { format!("-{seal}") };
            api.create("/v1/products", json!({"family_id": series, "name": format!("Deep groove ball bearing {designation}{suffix}"),
                "sku": format!("SKF-{designation}{suffix}"),
                "specs": {"bore_diameter": bore, "outer_diameter": outer, "width": width, "seal_type": seal, "dynamic_load_rating": load}})).await?;
            products += 1;
        }
    }

    // Motors.
    let siemens = api.create("/v1/brands", json!({"name": "Siemens"})).await?;
    let abb = api.create("/v1/brands", json!({"name": "ABB"})).await?;
    let motors = api.create("/v1/categories", json!({"name": "Motors"})).await?;
    api.define("categories", &motors, "voltage", variant(number("Rated voltage", "V", 1.0, 15000.0))).await?;
    api.define("categories", &motors, "power", variant(number("Rated power", "kW", 0.01, 5000.0))).await?;
    api.define("categories", &motors, "rated_speed", number("Rated speed", "rpm", 1.0, 100000.0)).await?;
    api.define("categories", &motors, "ip_rating", select("IP rating", &["IP54", "IP55", "IP65", "IP66"])).await?;
    let ac = api.create("/v1/categories", json!({"name": "AC motors", "parent_id": motors})).await?;
    let induction =
        api.create("/v1/categories", json!({"name": "Three-phase induction motors", "parent_id": ac})).await?;
    api.define("categories", &induction, "frequency", number("Frequency", "Hz", 1.0, 400.0)).await?;
    api.define(
        "categories",
        &induction,
        "frame_size",
        select("Frame size", &["IEC 71", "IEC 80", "IEC 90S", "IEC 90L", "IEC 100L", "IEC 112M", "IEC 132S"]),
    )
    .await?;
    let dc = api.create("/v1/categories", json!({"name": "DC motors", "parent_id": motors})).await?;
    let bldc = api.create("/v1/categories", json!({"name": "Brushless DC motors", "parent_id": dc})).await?;
    api.define("categories", &bldc, "torque", number("Rated torque", "N·m", 0.001, 1000.0)).await?;
    api.define("categories", &bldc, "shaft_diameter", number("Shaft diameter", "mm", 1.0, 100.0)).await?;
    let simotics = api
        .create(
            "/v1/families",
            json!({"category_id": induction, "brand_id": siemens, "name": "SIMOTICS 1LE1", "code": "1LE1"}),
        )
        .await?;
    for (power, frame, speed) in [
        (0.37, "IEC 71", 1370),
        (0.75, "IEC 80", 1395),
        (1.5, "IEC 90L", 1420),
        (2.2, "IEC 100L", 1435),
        (4.0, "IEC 112M", 1440),
        (5.5, "IEC 132S", 1455),
    ] {
        api.create("/v1/products", json!({"family_id": simotics, "name": format!("Three-phase motor 1LE1 {power} kW 400 V 4-pole"),
            "specs": {"voltage": 400, "power": power, "rated_speed": speed, "frequency": 50, "frame_size": frame, "ip_rating": "IP55"}})).await?;
        products += 1;
    }
    let bldc_family = api
        .create("/v1/families", json!({"category_id": bldc, "brand_id": abb, "name": "BLDC compact", "code": "BLDC"}))
        .await?;
    for (volts, watts, torque) in [(12, 50, 0.16), (24, 100, 0.32), (24, 200, 0.64), (48, 400, 1.27)] {
        api.create("/v1/products", json!({"family_id": bldc_family, "name": format!("Brushless DC motor {volts}V {watts}W"),
            "specs": {"voltage": volts, "power": {"value": watts, "unit": "W"}, "rated_speed": 3000, "torque": torque, "shaft_diameter": 8, "ip_rating": "IP54"}})).await?;
        products += 1;
    }

    bar.finish_and_clear();
    println!(
        "demo data loaded: 3 clusters, 12 categories, 4 brands, 7 families, {products} products ({} API calls)",
        api.calls
    );
    println!("  DIN 933 hex bolts family: {din933}");
    println!("  SKF 6200 series family:   {series}");
    Ok(())
}

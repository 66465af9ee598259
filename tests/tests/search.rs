//! Search through the real pipeline: a small industrial catalog is created through the command API,
//! projected through NATS into the read database, and searched through the query API.

use std::collections::HashMap;

use integration_tests::pipeline::Pipeline;
use integration_tests::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

struct Catalog {
    pipeline: Pipeline,
    query: String,
    client: reqwest::Client,
    position: i64,
    ids: HashMap<&'static str, Uuid>,
    hex_bolts: Uuid,
    motors: Uuid,
}

fn attribute(label: &str, kind: &str, extra: Value) -> Value {
    let mut definition = json!({"label": label, "type": kind, "required": false, "variant_defining": false,
                                "filterable": true, "searchable": true});
    if let (Some(definition), Some(extra)) = (definition.as_object_mut(), extra.as_object()) {
        definition.extend(extra.clone());
    }
    definition
}

async fn created(app: &TestApp, path: &str, body: Value) -> Uuid {
    let answer = app.post(path, body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{path}: {answer:?}");
    answer.id()
}

async fn define(app: &TestApp, category: Uuid, key: &str, definition: Value) {
    let answer = app.put(&format!("/v1/categories/{category}/attributes/{key}"), definition).await;
    assert!(answer.status.is_success(), "{key}: {answer:?}");
}

async fn leaf(app: &TestApp, path: &[&str]) -> Uuid {
    let mut parent: Option<Uuid> = None;
    for name in path {
        parent = Some(created(app, "/v1/categories", json!({"name": name, "parent_id": parent})).await);
    }
    parent.unwrap_or_else(|| panic!("an empty path"))
}

/// The catalog every test searches; each test has its own databases and stream.
async fn catalog(tag: &str) -> Catalog {
    let pipeline = Pipeline::start(tag).await;
    let app = &pipeline.app;
    let brand = created(app, "/v1/brands", json!({"name": "Bossard"})).await;

    let hex_bolts = leaf(app, &["Fasteners", "Bolts", "Hex bolts"]).await;
    let materials = ["stainless steel A2", "stainless steel A4", "steel 8.8 zinc plated"];
    define(app, hex_bolts, "thread", attribute("Thread", "text", json!({"filterable": false}))).await;
    define(app, hex_bolts, "material", attribute("Material", "select", json!({"options": materials}))).await;
    define(app, hex_bolts, "length", attribute("Length", "number", json!({"unit": "mm"}))).await;
    define(app, hex_bolts, "standard", attribute("Standard", "text", json!({"filterable": false}))).await;
    let bolts =
        created(app, "/v1/families", json!({"category_id": hex_bolts, "brand_id": brand, "name": "Hex bolts"})).await;

    let motors = leaf(app, &["Motors", "DC motors"]).await;
    define(app, motors, "voltage", attribute("Voltage", "number", json!({"unit": "V"}))).await;
    define(app, motors, "power", attribute("Power", "number", json!({"unit": "W", "searchable": false}))).await;
    let dc = created(app, "/v1/families", json!({"category_id": motors, "name": "Gear motors"})).await;

    let bearings = leaf(app, &["Bearings", "Deep groove ball bearings"]).await;
    define(app, bearings, "designation", attribute("Designation", "text", json!({"filterable": false}))).await;
    let ball = created(app, "/v1/families", json!({"category_id": bearings, "name": "Ball bearings"})).await;

    let valves = leaf(app, &["Valves", "Ball valves"]).await;
    define(app, valves, "size", attribute("Size", "number", json!({"unit": "mm"}))).await;
    define(app, valves, "thread", attribute("Thread", "text", json!({"filterable": false}))).await;
    let valve = created(app, "/v1/families", json!({"category_id": valves, "name": "Brass valves"})).await;

    let products: [(&str, Uuid, &str, Value); 14] = [
        ("m12_a4", bolts, "Hex bolt M12x40", json!({"thread": "M12", "material": "stainless steel A4", "length": 40})),
        (
            "m12_pitch",
            bolts,
            "Hex bolt 50",
            json!({"thread": "M12x1.75", "material": "steel 8.8 zinc plated", "length": 50}),
        ),
        (
            "m12_comma",
            bolts,
            "Hex bolt fine",
            json!({"thread": "M12x1,75", "material": "stainless steel A2", "length": {"value": 2, "unit": "in"}}),
        ),
        ("m8_a4", bolts, "Hex bolt M8x20", json!({"thread": "M8", "material": "stainless steel A4", "length": 20})),
        (
            "din912",
            bolts,
            "Cap screw M10",
            json!({"thread": "M10", "material": "steel 8.8 zinc plated", "length": 30, "standard": "DIN 912"}),
        ),
        ("ecrou", bolts, "Écrou hexagonal", json!({"thread": "M6", "material": "stainless steel A2", "length": 5})),
        ("motor_24", dc, "DC motor compact", json!({"voltage": {"value": 24, "unit": "V"}, "power": 120})),
        (
            "motor_kv",
            dc,
            "DC motor heavy",
            json!({"voltage": {"value": 0.024, "unit": "kV"}, "power": {"value": 0.25, "unit": "kW"}}),
        ),
        ("motor_12", dc, "DC motor small", json!({"voltage": 12, "power": 60})),
        ("mount", dc, "Motor mount for 24V drives", json!({"voltage": 12})),
        ("bearing_2rs", ball, "Ball bearing sealed", json!({"designation": "6205-2RS"})),
        ("bearing_zz", ball, "Ball bearing shielded", json!({"designation": "6206-ZZ"})),
        ("valve", valve, "Ball valve brass", json!({"size": {"value": 0.25, "unit": "in"}, "thread": "3/8-16 UNC"})),
        ("valve_big", valve, "Ball valve steel", json!({"size": {"value": 1, "unit": "in"}, "thread": "1-8 UNC"})),
    ];
    let mut ids = HashMap::new();
    for (i, (name, family, title, specs)) in products.into_iter().enumerate() {
        let sku = format!("T-{i:03}");
        ids.insert(
            name,
            created(app, "/v1/products", json!({"family_id": family, "name": title, "sku": sku, "specs": specs})).await,
        );
    }
    let position = pipeline.converged().await;
    let query = pipeline.query_api().await;
    Catalog { pipeline, query, client: reqwest::Client::new(), position, ids, hex_bolts, motors }
}

impl Catalog {
    async fn get(&self, query: &str) -> (StatusCode, Value) {
        let request =
            self.client.get(format!("{}/v1/search?{query}", self.query)).header("X-Min-Position", self.position);
        let answer = TestApp::answer(request).await;
        (answer.status, answer.body)
    }

    async fn search(&self, query: &str) -> Value {
        let (status, body) = self.get(query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body
    }

    /// The names of the fixture's products among the hits, in rank order.
    async fn hits(&self, query: &str) -> Vec<&'static str> {
        let body = self.search(query).await;
        self.names(&body)
    }

    fn names(&self, body: &Value) -> Vec<&'static str> {
        body["hits"]
            .as_array()
            .unwrap_or_else(|| panic!("no hits in {body}"))
            .iter()
            .map(|hit| {
                let id: Uuid = hit["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{hit}"));
                self.ids.iter().find(|(_, v)| **v == id).map(|(k, _)| *k).unwrap_or("?")
            })
            .collect()
    }

    async fn invalid(&self, query: &str) -> Vec<(String, String)> {
        let (status, body) = self.get(query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["status"], 422, "{body}");
        let mut errors: Vec<(String, String)> = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|e| (e["field"].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned()))
            .collect();
        errors.sort();
        errors
    }
}

fn sorted(mut names: Vec<&'static str>) -> Vec<&'static str> {
    names.sort_unstable();
    names
}

fn q(text: &str) -> String {
    format!("q={}", form_encode(text))
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn every_written_form_of_a_value_finds_the_same_products() {
    let c = catalog("search_forms").await;
    for form in ["24V", "24 V", "24v", "0.024 kV", "24 volts", "24000 mV"] {
        let hits = sorted(c.hits(&q(form)).await);
        assert_eq!(hits, ["motor_24", "motor_kv", "mount"], "{form}");
    }
    for form in ["M12", "m12"] {
        assert_eq!(sorted(c.hits(&q(form)).await), ["m12_a4", "m12_comma", "m12_pitch"], "{form}");
    }
    for form in ["M12x1.75", "M12x1,75", "m12×1.75"] {
        assert_eq!(sorted(c.hits(&q(form)).await), ["m12_comma", "m12_pitch"], "{form}");
    }
    for form in ["DIN 912", "DIN-912", "DIN912", "din 912"] {
        assert_eq!(c.hits(&q(form)).await, ["din912"], "{form}");
    }
    for form in ["6205-2RS", "6205 2RS", "6205 2rs"] {
        assert_eq!(c.hits(&q(form)).await, ["bearing_2rs"], "{form}");
    }
    for form in ["3/8-16", "3/8-16 UNC"] {
        assert_eq!(c.hits(&q(form)).await, ["valve"], "{form}");
    }
    for form in ["1/4\"", "1/4 in", "6.35mm"] {
        assert_eq!(c.hits(&q(form)).await, ["valve"], "{form}");
    }
    for form in ["ECROU", "écrou", "Ecrou hexagonal"] {
        assert_eq!(c.hits(&q(form)).await, ["ecrou"], "{form}");
    }
    c.pipeline.finish().await;
}

#[tokio::test]
async fn every_term_must_match_and_a_spec_value_outranks_a_mention() {
    let c = catalog("search_rank").await;
    assert_eq!(sorted(c.hits(&q("M12 stainless")).await), ["m12_a4", "m12_comma"]);
    // Both motors hold 24 V in their specs; the mount only names it.
    let ranked = c.hits(&q("24V motor")).await;
    assert_eq!(ranked.len(), 3, "{ranked:?}");
    assert_eq!(sorted(ranked[..2].to_vec()), ["motor_24", "motor_kv"], "{ranked:?}");
    assert_eq!(ranked[2], "mount");
    let body = c.search(&q("24V motor")).await;
    assert_eq!(body["match"], "all");
    assert_eq!(body["terms"], json!(["24v", "motor"]));
    let scores: Vec<f64> = body["hits"].as_array().into_iter().flatten().filter_map(|h| h["score"].as_f64()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // Name (weight A) outranks family name (weight B): "hex" is in the bolts' names and family.
    let body = c.search(&q("bolt")).await;
    assert_eq!(body["hits"][0]["name"].as_str().map(|n| n.contains("bolt")), Some(true), "{body}");
    c.pipeline.finish().await;
}

#[tokio::test]
async fn filters_are_or_within_a_key_and_and_across_keys_and_ranges_meet_in_any_unit() {
    let c = catalog("search_filters").await;
    let scope = format!("category_id={}", c.hex_bolts);
    let a4 = "filter.material=stainless%20steel%20A4";
    let a2 = "filter.material=stainless%20steel%20A2";
    assert_eq!(sorted(c.hits(&format!("{scope}&{a4}")).await), ["m12_a4", "m8_a4"]);
    assert_eq!(sorted(c.hits(&format!("{scope}&{a4}&{a2}")).await), ["ecrou", "m12_a4", "m12_comma", "m8_a4"]);
    // AND across keys: A4 and at most 30 mm long.
    assert_eq!(c.hits(&format!("{scope}&{a4}&range.length=..30")).await, ["m8_a4"]);
    // Ranges in other units of the length family: 1 in..2 in is 25.4..50.8 mm (the comma bolt is 2 in).
    assert_eq!(
        sorted(c.hits(&format!("{scope}&range.length=1in..2%20in")).await),
        ["din912", "m12_a4", "m12_comma", "m12_pitch"]
    );
    assert_eq!(sorted(c.hits(&format!("{scope}&range.length=..0.025m")).await), ["ecrou", "m8_a4"]);
    // Voltage across units, with a query too.
    let motors = format!("category_id={}", c.motors);
    assert_eq!(sorted(c.hits(&format!("{motors}&range.voltage=20V..0.03kV")).await), ["motor_24", "motor_kv"]);
    assert_eq!(sorted(c.hits(&format!("{motors}&q=motor&range.power=100..")).await), ["motor_24", "motor_kv"]);
    // A filter without a query browses by name.
    let names: Vec<String> = c.search(&format!("{scope}&{a4}&{a2}")).await["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["name"].as_str().map(str::to_owned))
        .collect();
    let mut by_name = names.clone();
    by_name.sort();
    assert_eq!(names, by_name);
    c.pipeline.finish().await;
}

#[tokio::test]
async fn facets_count_the_matches_of_the_other_filters() {
    let c = catalog("search_facets").await;
    let body = c.search(&format!("category_id={}&filter.material=stainless%20steel%20A4", c.hex_bolts)).await;
    assert_eq!(body["total"], 2, "{body}");
    assert_eq!(body["facets_exact"], true);
    // The material facet ignores the material filter, so the alternatives still show.
    let material: HashMap<String, i64> = body["facets"]["material"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|f| (f["value"].as_str().unwrap_or("").to_owned(), f["count"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(
        material,
        HashMap::from([
            ("stainless steel A4".to_owned(), 2),
            ("stainless steel A2".to_owned(), 2),
            ("steel 8.8 zinc plated".to_owned(), 2)
        ])
    );
    // The length range reflects the active material filter, in the base unit.
    assert_eq!(body["ranges"]["length"], json!({"min": 20.0, "max": 40.0, "unit": "mm"}));
    // A range filter narrows the other facets; its own range still spans the material's matches.
    let body = c
        .search(&format!("category_id={}&filter.material=stainless%20steel%20A4&range.length=30..", c.hex_bolts))
        .await;
    // Of the bolts at least 30 mm long: one A4, one A2, two of 8.8.
    assert_eq!(
        body["facets"]["material"],
        json!([{"value": "steel 8.8 zinc plated", "count": 2}, {"value": "stainless steel A2", "count": 1},
               {"value": "stainless steel A4", "count": 1}]),
        "{body}"
    );
    assert_eq!(body["ranges"]["length"], json!({"min": 20.0, "max": 40.0, "unit": "mm"}));
    // Facets are those of the scope: bolts have no voltage.
    assert!(body["ranges"].get("voltage").is_none(), "{body}");
    c.pipeline.finish().await;
}

#[tokio::test]
async fn when_no_product_matches_every_term_the_best_partial_matches_are_served_and_said_so() {
    let c = catalog("search_fallback").await;
    let body = c.search(&q("M12 stainless unobtainium")).await;
    assert_eq!(body["match"], "partial", "{body}");
    assert!(body["notice"].as_str().is_some_and(|n| n.contains("unobtainium")), "{body}");
    let names = c.names(&body);
    assert_eq!(sorted(names[..2].to_vec()), ["m12_a4", "m12_comma"], "{names:?}");
    assert!(names.contains(&"m12_pitch") && names.contains(&"m8_a4"), "{names:?}");
    // A single term that matches nothing is simply nothing.
    let body = c.search(&q("unobtainium")).await;
    assert_eq!((body["match"].as_str(), body["total"].as_i64()), (Some("none"), Some(0)), "{body}");
    c.pipeline.finish().await;
}

#[tokio::test]
async fn bad_parameters_are_422_problems_and_per_page_is_capped() {
    let c = catalog("search_params").await;
    let body = c.search("q=bolt&per_page=10000").await;
    assert_eq!(body["per_page"], 100);
    let body = c.search(&format!("category_id={}&per_page=2&page=2", c.hex_bolts)).await;
    assert_eq!((body["hits"].as_array().map(Vec::len), body["total"].as_i64()), (Some(2), Some(6)), "{body}");
    let scope = format!("category_id={}", c.hex_bolts);
    assert_eq!(
        c.invalid(&format!("{scope}&filter.colour=red")).await,
        [("filter.colour".into(), "unknown_filter".into())]
    );
    assert_eq!(
        c.invalid(&format!("{scope}&range.length=ten..20")).await,
        [("range.length".into(), "invalid_range".into())]
    );
    assert_eq!(
        c.invalid(&format!("{scope}&range.length=10-20")).await,
        [("range.length".into(), "invalid_range".into())]
    );
    assert_eq!(
        c.invalid(&format!("{scope}&range.length=10V..20V")).await,
        [("range.length".into(), "invalid_range".into())]
    );
    assert_eq!(
        c.invalid(&format!("{scope}&range.material=1..2")).await,
        [("range.material".into(), "not_a_number".into())]
    );
    assert_eq!(
        c.invalid(&format!("{scope}&filter.material=titanium")).await,
        [("filter.material".into(), "invalid_filter_value".into())]
    );
    // The voltage is a motor's attribute, not a bolt's.
    assert_eq!(
        c.invalid(&format!("{scope}&range.voltage=1..2")).await,
        [("range.voltage".into(), "unknown_filter".into())]
    );
    assert_eq!(
        c.invalid("per_page=0&page=0&sort=name").await,
        [
            ("page".into(), "invalid_page".into()),
            ("per_page".into(), "invalid_per_page".into()),
            ("sort".into(), "unknown_parameter".into())
        ]
    );
    // Well-formed, naming what is not there: 404, naming the parameter.
    for (query, field, code) in [
        ("q=bolt&page=500&per_page=100".to_owned(), "page", "beyond_results"),
        (format!("category_id={}", Uuid::new_v4()), "category_id", "unknown_category"),
    ] {
        let (status, body) = c.get(&query).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
        assert_eq!(body["errors"][0]["code"], code, "{body}");
    }
    assert_eq!(c.invalid("category_id=nope").await, [("category_id".into(), "invalid_uuid".into())]);
    // Whatever the query text, never a 500.
    for text in ["'", "\\", "&|!():*", "a:*", "''''", "-", "/", "\"\"", "x'y", "%00"] {
        let (status, body) = c.get(&q(text)).await;
        assert_eq!(status, StatusCode::OK, "{text:?}: {body}");
    }
    c.pipeline.finish().await;
}

async fn synonyms(c: &Catalog, method: reqwest::Method, path: &str, body: Value) -> (i64, Value) {
    let answer = c.pipeline.app.send(method, path, Some(body), Some(&c.pipeline.app.token)).await;
    assert!(answer.status.is_success(), "{path}: {answer:?}");
    (answer.body["position"].as_i64().unwrap_or_else(|| panic!("{answer:?}")), answer.body)
}

impl Catalog {
    /// After a command: searches wait for the read model to reach its position.
    fn at(&mut self, position: i64) {
        self.position = position;
    }
}

#[tokio::test]
async fn synonyms_defined_by_admins_apply_to_queries_until_removed() {
    let mut c = catalog("search_synonyms").await;
    assert_eq!(c.search(&q("M12 SS")).await["match"], "partial");
    let (position, set) =
        synonyms(&c, reqwest::Method::POST, "/v1/synonyms", json!({"phrases": ["SS", "stainless steel"]})).await;
    c.at(position);
    assert_eq!(sorted(c.hits(&q("M12 SS")).await), ["m12_a4", "m12_comma"]);
    let (position, _) =
        synonyms(&c, reqwest::Method::POST, "/v1/synonyms", json!({"phrases": ["A4", "316 stainless"]})).await;
    c.at(position);
    // "316 stainless" is found as A4; "stainless" alone is not a phrase of that set.
    assert_eq!(sorted(c.hits(&q("316 stainless")).await), ["m12_a4", "m8_a4"]);
    let request = c.client.get(format!("{}/v1/synonyms", c.query)).header("X-Min-Position", c.position);
    let listed = TestApp::answer(request).await.body;
    assert_eq!(listed["synonyms"].as_array().map(Vec::len), Some(2), "{listed}");

    // Replaced, then removed: each an event, each applied.
    let id = set["id"].as_str().unwrap_or_default().to_owned();
    let (position, _) = synonyms(
        &c,
        reqwest::Method::PUT,
        &format!("/v1/synonyms/{id}"),
        json!({"phrases": ["inox", "stainless steel"]}),
    )
    .await;
    c.at(position);
    assert_eq!(sorted(c.hits(&q("M12 inox")).await), ["m12_a4", "m12_comma"]);
    assert_eq!(c.search(&q("M12 SS")).await["match"], "partial");
    let answer = c
        .pipeline
        .app
        .send(reqwest::Method::DELETE, &format!("/v1/synonyms/{id}"), None, Some(&c.pipeline.app.token))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    c.at(answer.body["position"].as_i64().unwrap_or_default());
    assert_eq!(c.search(&q("M12 inox")).await["match"], "partial");
    // Bad sets are refused with every problem listed.
    let answer = c.pipeline.app.post("/v1/synonyms", json!({"phrases": ["SS", "ss", "--"]})).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{answer:?}");
    assert_eq!(
        answer.field_errors(),
        [("phrases[1]".to_owned(), "duplicate".to_owned()), ("phrases[2]".to_owned(), "no_terms".to_owned())]
    );
    c.pipeline.finish().await;
}

#[tokio::test]
async fn long_mistyped_words_are_corrected_and_codes_never_are() {
    let c = catalog("search_typos").await;
    let body = c.search(&q("stianless")).await;
    assert_eq!(body["corrections"], json!({"stianless": "stainless"}), "{body}");
    assert_eq!(sorted(c.names(&body)), ["ecrou", "m12_a4", "m12_comma", "m8_a4"]);
    assert_eq!(c.hits(&q("hexagnal")).await, ["ecrou"]);
    // A code one letter off is not corrected: nothing matches it all, and the answer says so.
    let body = c.search(&q("6205-2RX")).await;
    assert_eq!((body["corrections"].clone(), body["match"].clone()), (json!({}), json!("partial")), "{body}");
    let body = c.search(&q("M12x1.57")).await;
    assert_eq!((body["corrections"].clone(), body["match"].clone()), (json!({}), json!("partial")), "{body}");
    c.pipeline.finish().await;
}

#[tokio::test]
async fn suggest_offers_categories_brands_families_and_products_for_a_prefix() {
    let c = catalog("search_suggest").await;
    let suggest = |text: &str| {
        let url = format!("{}/v1/search/suggest?{}", c.query, q(text));
        let client = c.client.clone();
        async move {
            let answer = TestApp::answer(client.get(url)).await;
            assert_eq!(answer.status, StatusCode::OK);
            answer.body
        }
    };
    let names = |body: &Value, kind: &str| -> Vec<String> {
        body[kind].as_array().into_iter().flatten().filter_map(|x| x["name"].as_str().map(str::to_owned)).collect()
    };
    // The category itself first, then those within it.
    assert_eq!(names(&suggest("Fast").await, "categories"), ["Fasteners", "Bolts", "Hex bolts"]);
    assert_eq!(names(&suggest("boss").await, "brands"), ["Bossard"]);
    assert_eq!(names(&suggest("gear").await, "families"), ["Gear motors"]);
    let products = names(&suggest("ball bea").await, "products");
    assert_eq!(products.len(), 2, "{products:?}");
    assert!(products.iter().all(|p| p.starts_with("Ball bearing")), "{products:?}");
    // A category is also found by its ancestors' names.
    let body = suggest("bolts hex").await;
    assert_eq!(names(&body, "categories"), ["Hex bolts"], "{body}");
    let empty = suggest("s").await;
    assert_eq!(empty["products"], json!([]));
    c.pipeline.finish().await;
}

#[tokio::test]
async fn a_partial_matchs_total_counts_only_the_products_matching_some_term() {
    let mut c = catalog("search_partial_total").await;
    let family = c.search(&q("M8")).await["hits"][0]["family"]["id"].as_str().unwrap_or_default().to_owned();
    // More washers than a search samples, so the total is counted apart.
    let mut position = 0;
    for i in 0..301 {
        let body = json!({"family_id": family, "name": format!("Washer {i}"), "sku": format!("W-{i:04}"), "specs": {}});
        let answer = c.pipeline.app.post("/v1/products", body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        position = answer.body["position"].as_i64().unwrap_or_default();
    }
    c.at(position);
    let body = c.search(&q("washer zzzqx")).await;
    assert_eq!(body["match"], "partial", "{body}");
    // 301 washers; the fixture's 14 other products match neither word.
    assert_eq!((body["total"].as_i64(), body["total_exact"].as_bool()), (Some(301), Some(true)), "{body}");
    c.pipeline.finish().await;
}

/// The query API's search index follows every change to the products' rows, also those made by
/// other streams' events (a schema redefined), and reloads after a rebuild swaps the tables.
#[tokio::test]
async fn search_follows_renames_retirements_schema_changes_and_rebuilds() {
    let mut c = catalog("search_follows").await;
    let app = &c.pipeline.app;
    let answer = app.patch(&format!("/v1/products/{}", c.ids["m8_a4"]), json!({"name": "Carriage bolt M8x20"})).await;
    assert!(answer.status.is_success(), "{answer:?}");
    let answer = app.post(&format!("/v1/products/{}/retire", c.ids["ecrou"]), json!({})).await;
    assert!(answer.status.is_success(), "{answer:?}");
    c.position = answer.body["position"].as_i64().unwrap_or_default();
    assert_eq!(c.hits(&q("carriage")).await, ["m8_a4"]);
    assert_eq!(c.hits(&q("ecrou")).await, Vec::<&str>::new());
    let a2 = format!("filter.material={}", form_encode("stainless steel A2"));
    assert_eq!(c.search(&format!("category_id={}&{a2}", c.hex_bolts)).await["total"], 1);

    // Material no longer searchable: the bolts' spec terms change through the category's event.
    let materials = ["stainless steel A2", "stainless steel A4", "steel 8.8 zinc plated"];
    let unsearchable = attribute("Material", "select", json!({"options": materials, "searchable": false}));
    let answer = app.put(&format!("/v1/categories/{}/attributes/material", c.hex_bolts), unsearchable).await;
    assert!(answer.status.is_success(), "{answer:?}");
    c.position = answer.body["position"].as_i64().unwrap_or_default();
    let body = c.search(&q("M12 stainless")).await;
    assert_eq!(body["match"], "partial", "{body}");
    let searchable = attribute("Material", "select", json!({"options": materials}));
    let answer = app.put(&format!("/v1/categories/{}/attributes/material", c.hex_bolts), searchable).await;
    assert!(answer.status.is_success(), "{answer:?}");
    c.position = answer.body["position"].as_i64().unwrap_or_default();
    assert_eq!(sorted(c.hits(&q("M12 stainless")).await), ["m12_a4", "m12_comma"]);

    // A rebuild swaps in new tables: the index loads them, and still follows what comes after.
    c.pipeline.rebuild().await;
    let app = &c.pipeline.app;
    let answer = app.patch(&format!("/v1/products/{}", c.ids["m12_pitch"]), json!({"name": "Flange bolt 50"})).await;
    assert!(answer.status.is_success(), "{answer:?}");
    c.position = answer.body["position"].as_i64().unwrap_or_default();
    assert_eq!(c.hits(&q("flange")).await, ["m12_pitch"]);
    assert_eq!(c.hits(&q("carriage")).await, ["m8_a4"]);
    assert_eq!(c.hits(&q("ecrou")).await, Vec::<&str>::new());
    c.pipeline.finish().await;
}

//! `ferrule bench orders`: checkout throughput at N concurrent buyers, next to product-create
//! throughput at the same N, in the same run and against the same command API (see `ferrule bench
//! orders --help`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use domain::StreamType;
use event_store::{EventFilter, EventStore, StreamRow};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::write::{HttpTarget, Scratch};
use hdrhistogram::Histogram;

use super::{histogram, measure, print_table, Failure, Phase};
use crate::api::Api;
use crate::cli::OrdersArgs;

/// A buyer's password (the scratch database is dropped at the end).
const PASSWORD: &str = "bench buyer passphrase";

pub async fn run(args: OrdersArgs) -> anyhow::Result<()> {
    let write = &args.write;
    println!(
        "ferrule bench orders: {} buyers and {} product-create clients, {}s per phase after {}s warm-up; \
         {} products on offer, {} lines per order; command API pool {}, {} append workers, batches of ≤ {}; {} CPU(s)",
        write.clients,
        write.clients,
        write.duration_secs,
        write.warmup_secs,
        args.products,
        args.lines,
        write.api_pool_size,
        write.append_workers,
        write.append_batch_max,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    let mut scratch = Scratch { admin_url: write.server.database_url.clone(), names: Vec::new() };
    let result = phases(&args, &mut scratch).await;
    scratch.drop_all().await;
    let ([creates_before, orders, creates_after], split) = result?;
    println!();
    print_table(&[&creates_before, &orders, &creates_after]);
    report(&args, &creates_before, &orders, &creates_after);
    split.print();
    Ok(())
}

/// Product creates, orders, product creates: the creates' mean is the baseline, so a drift of the
/// machine's speed during the run cancels out.
async fn phases(args: &OrdersArgs, scratch: &mut Scratch) -> anyhow::Result<([Phase; 3], Split)> {
    let warmup = Duration::from_secs(args.write.warmup_secs);
    let duration = Duration::from_secs(args.write.duration_secs);
    let target = HttpTarget::start(&args.write, scratch).await?;
    let result = async {
        let shop = Shop::open(&target, args).await?;
        let clients = args.write.clients;
        let before = target.phase("product create", (0, clients), warmup, duration).await?;
        super::stop_if_interrupted()?;
        let (orders, split) = shop.phase(args.lines, warmup, duration).await?;
        super::stop_if_interrupted()?;
        let after = target.phase("product create (again)", (clients, clients), warmup, duration).await?;
        shop.check_stock(&target).await?;
        Ok::<_, anyhow::Error>(([before, orders, after], split))
    }
    .await;
    target.stop().await;
    result
}

fn report(args: &OrdersArgs, before: &Phase, orders: &Phase, after: &Phase) {
    let baseline = (before.rate() + after.rate()) / 2.0;
    let commands = orders.rate() * f64::from(args.lines + 1);
    println!();
    println!(
        "product creates:      {baseline:>8.0} commands/s (mean of {:.0} before and {:.0} after)",
        before.rate(),
        after.rate()
    );
    println!(
        "orders placed:        {:>8.0} orders/s ({} cart lines and a checkout each: {commands:.0} commands/s)",
        orders.rate(),
        args.lines
    );
    println!("ratio checkouts / product creates:  {:>6.2}", orders.rate() / baseline.max(1e-9));
    println!("ratio buyer commands / creates:     {:>6.2}", commands / baseline.max(1e-9));
    let drift = (before.rate() - after.rate()).abs() / baseline.max(1e-9);
    if drift > 0.2 {
        println!(
            "note: the product-create rate moved {:.0}% between its phases; the machine's load changed during the \
             run, so run it again for a steadier figure",
            drift * 100.0
        );
    }
    if orders.errors > 0 {
        println!("note: {} orders failed (not counted); their first answers are shown above", orders.errors);
    }
}

/// What the buyers order from: products with list prices and deep stock in two warehouses, half
/// of them on a price list with quantity breaks assigned to the buyers' company.
struct Shop {
    products: Arc<Vec<String>>,
    buyers: Vec<Api>,
    warehouses: [Uuid; 2],
    /// Units received per product and warehouse.
    stocked: u64,
}

impl Shop {
    async fn open(target: &HttpTarget, args: &OrdersArgs) -> anyhow::Result<Shop> {
        let api = &target.api;
        let bar = setup_bar(u64::from(args.products) * 4 + u64::from(args.write.clients) + 3);
        let warehouses = [Uuid::new_v4(), Uuid::new_v4()];
        let stocked = 1_000_000;
        let list = api
            .create("/v1/price-lists", &json!({"name": "Bench contract", "currency": "EUR", "priority": 10}))
            .await?;
        let list = list["id"].as_str().context("no price list id")?.to_owned();
        let company = api.create("/v1/companies", &json!({"name": format!("Bench buyers {}", Uuid::new_v4())})).await?;
        let company = company["id"].as_str().context("no company id")?.to_owned();
        api.expect_success(Method::PUT, &format!("/v1/price-lists/{list}/companies/{company}"), &json!({})).await?;
        api.expect_success(
            Method::PUT,
            &format!("/v1/companies/{company}/payment-terms"),
            &json!({"payment_terms": "net30"}),
        )
        .await?;
        bar.inc(3);
        let mut products = Vec::new();
        for n in 0..u64::from(args.products) {
            let created =
                api.create("/v1/products", &super::write::product(&target.family_id, u32::MAX - 1, n)).await?;
            let id = created["id"].as_str().context("no product id")?.to_owned();
            let terms = json!({"list_price": {"amount_minor": 100 + n as i64, "currency": "EUR"}});
            api.expect_success(Method::PUT, &format!("/v1/products/{id}/terms"), &terms).await?;
            for warehouse in warehouses {
                let receipt = json!({ "quantity": stocked });
                api.expect_success(Method::POST, &format!("/v1/products/{id}/stock/{warehouse}/receipts"), &receipt)
                    .await?;
            }
            if n % 2 == 0 {
                let breaks = json!({"breaks": [{"min_quantity": 1, "amount_minor": 90 + n as i64},
                                               {"min_quantity": 10, "amount_minor": 80 + n as i64}]});
                api.expect_success(Method::PUT, &format!("/v1/price-lists/{list}/entries/{id}"), &breaks).await?;
            }
            products.push(id);
            bar.inc(4);
        }
        let mut buyers = Vec::new();
        for _ in 0..args.write.clients {
            let email = format!("buyer-{}@bench.ferrule.local", Uuid::new_v4().simple());
            api.create(&format!("/v1/companies/{company}/users"), &json!({"email": email, "password": PASSWORD}))
                .await?;
            let token = ferrule_seed::login::access_token(api.base(), &email, PASSWORD).await?;
            buyers.push(api.with_token(&token));
            bar.inc(1);
        }
        bar.finish_and_clear();
        println!(
            "shop: {} products priced and stocked in 2 warehouses, a price list on half of them, {} buyers of one \
             company (net 30)",
            products.len(),
            buyers.len()
        );
        Ok(Shop { products: Arc::new(products), buyers, warehouses, stocked })
    }

    /// Each buyer in a loop: `lines` products into the cart (quantities 1–20), then checkout with
    /// an idempotency key of its own. One measured operation is the whole order; the cart lines'
    /// and the checkouts' own latencies are kept apart too (`Split`).
    async fn phase(&self, lines: u32, warmup: Duration, duration: Duration) -> anyhow::Result<(Phase, Split)> {
        let (buyers, products) = (Arc::new(self.buyers.clone()), self.products.clone());
        let clients = u32::try_from(buyers.len())?;
        let split = Arc::new(Mutex::new(Split { cart_line: histogram()?, checkout: histogram()? }));
        let measure_from = Instant::now() + warmup;
        let recorded = split.clone();
        let phase = measure("order: cart + checkout", clients, warmup, duration, move |client, n| {
            let (buyers, products, split) = (buyers.clone(), products.clone(), recorded.clone());
            let timed = move |pick: fn(&mut Split) -> &mut Histogram<u64>, started: Instant| {
                if started >= measure_from {
                    if let Ok(mut split) = split.lock() {
                        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                        pick(&mut split).saturating_record(micros.max(1));
                    }
                }
            };
            async move {
                let buyer = &buyers[client as usize];
                for line in 0..u64::from(lines) {
                    // Spread over the catalog, and never the same product twice in one cart.
                    let pick = u64::from(client) * 7919 + n * 104_729 + line * 32;
                    let product = &products[(pick % products.len() as u64) as usize];
                    let quantity = 1 + (n + line) % 20;
                    let body = json!({ "product_id": product, "quantity": quantity });
                    let started = Instant::now();
                    expect(buyer.request(Method::POST, "/v1/cart/lines").json(&body), StatusCode::OK).await?;
                    timed(|s| &mut s.cart_line, started);
                }
                let body = json!({"po_number": format!("PO-{client}-{n}"), "shipping_address": {
                    "recipient": "Receiving", "line1": "Hafenstraße 12", "city": "Hamburg",
                    "postal_code": "20457", "country": "DE"}});
                let request =
                    buyer.request(Method::POST, "/v1/checkout").header("Idempotency-Key", format!("{client}-{n}"));
                let started = Instant::now();
                expect(request.json(&body), StatusCode::CREATED).await?;
                timed(|s| &mut s.checkout, started);
                Ok(())
            }
        })
        .await?;
        let split = split.lock().map_err(|_| anyhow::anyhow!("a buyer panicked while recording"))?.clone();
        Ok((phase, split))
    }

    /// Every reservation the orders made is in the stock: on hand unchanged, reserved > 0.
    async fn check_stock(&self, target: &HttpTarget) -> anyhow::Result<()> {
        let pool = target.store.pool();
        let stock = EventStore::load_streams_of_type(pool, StreamType::Stock.as_str()).await?;
        let count = |row: &StreamRow, field: &str| row.snapshot[field].as_i64();
        let reserved: Option<i64> = stock.iter().filter_map(|row| count(row, "reserved")).reduce(|a, b| a + b);
        let orders = EventStore::count_events(pool, &EventFilter::all().event_type("OrderPlaced")).await?;
        let on_hand: Option<i64> = stock
            .iter()
            .filter(|row| {
                let warehouse = row.snapshot["warehouse_id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
                warehouse.is_some_and(|id| self.warehouses.contains(&id))
            })
            .filter_map(|row| count(row, "on_hand"))
            .min();
        if on_hand != Some(self.stocked as i64) || (orders > 0 && reserved.unwrap_or(0) <= 0) {
            bail!(
                "the stock does not add up after the run: {orders} orders, {reserved:?} reserved, {on_hand:?} on hand"
            );
        }
        println!("check: {orders} orders placed, {} units reserved, on hand untouched", reserved.unwrap_or(0));
        Ok(())
    }
}

/// The order phase's requests, each kind on its own (measured ones only).
#[derive(Clone)]
struct Split {
    cart_line: Histogram<u64>,
    checkout: Histogram<u64>,
}

impl Split {
    fn print(&self) {
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        println!("within an order, each request on its own:");
        for (name, h) in [("POST /v1/cart/lines", &self.cart_line), ("POST /v1/checkout", &self.checkout)] {
            println!(
                "  {name:<20} {:>8} requests   p50 {:>7.2} ms   p95 {:>7.2} ms   p99 {:>7.2} ms",
                h.len(),
                ms(h, 0.50),
                ms(h, 0.95),
                ms(h, 0.99)
            );
        }
    }
}

/// Sends a request and wants `status`; anything else is a failure reported with its body.
async fn expect(request: reqwest::RequestBuilder, status: StatusCode) -> Result<(), Failure> {
    let transport =
        |e: reqwest::Error| Failure { kind: "transport error".into(), detail: format!("{:#}", anyhow::Error::new(e)) };
    let response = request.send().await.map_err(transport)?;
    let got = response.status();
    // Read the whole body, so that the connection goes back to the pool.
    let body = response.bytes().await.map_err(transport)?;
    if got == status {
        Ok(())
    } else {
        Err(Failure { kind: format!("HTTP {got}"), detail: String::from_utf8_lossy(&body).into_owned() })
    }
}

fn setup_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{spinner} setting up the shop [{bar:24}] {pos}/{len} commands")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

//! The demo's commerce: every demo product priced and stocked in two warehouses, fasteners sold in
//! packs, a customer company on net 30 with a contract price list, and (given a password) a buyer
//! of it to sign in as. Deterministic, so every demo looks the same.

use anyhow::Context;
use reqwest::Method;
use serde_json::{json, Value};

use crate::api::Api;

/// The demo warehouses (any UUIDs a WMS would give them).
pub const HAMBURG: &str = "6f1c2a3e-0000-4000-8000-000000000001";
pub const MUNICH: &str = "6f1c2a3e-0000-4000-8000-000000000002";

pub const COMPANY: &str = "Nordwerk Maschinenbau GmbH";

/// What was set up, for the summary.
pub struct Sold {
    pub priced: usize,
    pub on_contract: usize,
    pub company_id: String,
    pub buyer: Option<String>,
}

/// Prices, stock and rules for `products` (the demo's product answers), a company with a contract
/// list, and a buyer `buyer_email` when `buyer_password` is given. `progress` is called after each
/// command.
pub async fn set_up(
    api: &Api,
    products: &[&Value],
    buyer: Option<(&str, &str)>,
    mut progress: impl FnMut(),
) -> anyhow::Result<Sold> {
    let company = api.create("/v1/companies", &json!({ "name": COMPANY })).await?;
    let company_id = company["id"].as_str().context("the company has no id")?.to_owned();
    api.expect_success(
        Method::PUT,
        &format!("/v1/companies/{company_id}/payment-terms"),
        &json!({"payment_terms": "net30"}),
    )
    .await?;
    let list = json!({"name": "Nordwerk contract", "currency": "EUR", "priority": 10});
    let list = api.create("/v1/price-lists", &list).await?;
    let list_id = list["id"].as_str().context("the price list has no id")?.to_owned();
    api.expect_success(Method::PUT, &format!("/v1/price-lists/{list_id}/companies/{company_id}"), &json!({})).await?;
    progress();
    let mut on_contract = 0;
    for (i, product) in products.iter().enumerate() {
        let id = product["id"].as_str().context("a demo product has no id")?;
        let sku = product["sku"].as_str().unwrap_or_default();
        // Small parts (bolts, nuts, screws) cost cents and go in packs of 10, from 50 on; the rest
        // (bearings, motors, pumps) from 15 to 500 EUR. Steady per product.
        let small = ["HB", "HN", "SHCS"].iter().any(|p| sku.starts_with(p));
        let cents = if small { 8 + (i as i64 * 37) % 290 } else { 1_500 + (i as i64 * 7_919) % 48_500 };
        let (minimum, increment) = if small { (50, 10) } else { (1, 1) };
        let policy = if i % 5 == 0 { "backorder" } else { "refuse" };
        let terms = json!({"list_price": {"amount_minor": cents, "currency": "EUR"},
                           "minimum_quantity": minimum, "order_increment": increment, "stock_policy": policy});
        api.expect_success(Method::PUT, &format!("/v1/products/{id}/terms"), &terms).await?;
        for (warehouse, units) in [(HAMBURG, 20 + (i * 37) % 480), (MUNICH, (i * 53) % 120)] {
            if units > 0 {
                let path = format!("/v1/products/{id}/stock/{warehouse}/receipts");
                api.expect_success(Method::POST, &path, &json!({ "quantity": units })).await?;
            }
        }
        if i % 3 == 0 {
            // The contract: 8% off from the minimum, 15% off from ten times it.
            let breaks = json!({"breaks": [
                {"min_quantity": minimum, "amount_minor": cents * 92 / 100},
                {"min_quantity": minimum * 10, "amount_minor": cents * 85 / 100}]});
            api.expect_success(Method::PUT, &format!("/v1/price-lists/{list_id}/entries/{id}"), &breaks).await?;
            on_contract += 1;
        }
        progress();
    }
    let buyer = match buyer {
        Some((email, password)) => {
            let path = format!("/v1/companies/{company_id}/users");
            api.create(&path, &json!({ "email": email, "password": password })).await?;
            Some(email.to_owned())
        }
        None => None,
    };
    progress();
    Ok(Sold { priced: products.len(), on_contract, company_id, buyer })
}

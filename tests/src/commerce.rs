//! A shop to test commerce in: the walk-through's hex bolts, an ops user, companies with buyers,
//! and short-hands for the commerce endpoints. Buyers' access tokens are issued with the API's own
//! keys (as a login would issue them) so that tests with many buyers do not spend a password hash
//! on each login.

use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{hex_bolts, Answer, TestApp};

pub const PASSWORD: &str = "a long enough passphrase";

/// A user who can act: their id and an access token.
#[derive(Clone, Debug)]
pub struct User {
    pub id: Uuid,
    pub company: Option<Uuid>,
    pub token: String,
}

pub struct Shop {
    pub app: TestApp,
    pub family: Uuid,
    pub ops: User,
    /// The warehouse stock is received into unless a test names another.
    pub warehouse: Uuid,
    next_length: AtomicU32,
}

impl Shop {
    /// A fresh command API with the hex bolts catalog and an ops user.
    pub async fn open() -> Shop {
        let app = TestApp::spawn().await;
        Self::over(app).await
    }

    /// A shop over a command API already running (e.g. one of a `Pipeline`).
    pub async fn over(app: TestApp) -> Shop {
        let family = hex_bolts(&app).await.family;
        let email = format!("ops-{}@ferrule.test", Uuid::new_v4().simple());
        let created = app.post("/v1/users", json!({"email": email, "password": PASSWORD, "role": "ops"})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        let ops = User { id: created.id(), company: None, token: issue(&app, created.id(), "ops", None) };
        Shop { app, family, ops, warehouse: Uuid::new_v4(), next_length: AtomicU32::new(1) }
    }

    /// A request as `user` (or anonymous).
    pub async fn send(&self, user: Option<&User>, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.app.send(method, path, body, user.map(|u| u.token.as_str())).await
    }

    /// A request as the ops user.
    pub async fn ops(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send(Some(&self.ops), method, path, body).await
    }

    /// A new hex bolt (each with its own length, so variants never clash).
    pub async fn product(&self, name: &str) -> Uuid {
        let length = self.next_length.fetch_add(1, Ordering::Relaxed);
        let body = json!({"family_id": self.family, "name": name,
                          "specs": {"thread_size": "M12", "length": length, "material": "A4"}});
        let created = self.app.post("/v1/products", body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        created.id()
    }

    /// Sets a product's terms, asserting success.
    pub async fn terms(&self, product: Uuid, terms: Value) -> Answer {
        let answer = self.ops(Method::PUT, &format!("/v1/products/{product}/terms"), Some(terms)).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer
    }

    /// A product with a list price in EUR cents and `on_hand` units in the shop's warehouse.
    pub async fn stocked(&self, name: &str, cents: i64, on_hand: i64) -> Uuid {
        let product = self.product(name).await;
        self.terms(product, json!({"list_price": {"amount_minor": cents, "currency": "EUR"}})).await;
        if on_hand > 0 {
            self.receive(product, self.warehouse, on_hand).await;
        }
        product
    }

    /// Receives units into a warehouse, asserting success; answers the stock.
    pub async fn receive(&self, product: Uuid, warehouse: Uuid, quantity: i64) -> Answer {
        let path = format!("/v1/products/{product}/stock/{warehouse}/receipts");
        let answer = self.ops(Method::POST, &path, Some(json!({ "quantity": quantity }))).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer
    }

    /// A new company.
    pub async fn company(&self, name: &str) -> Uuid {
        let name = format!("{name} {}", Uuid::new_v4().simple());
        let created = self.app.post("/v1/companies", json!({ "name": name })).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        created.id()
    }

    /// A new buyer of `company`, with an access token.
    pub async fn buyer(&self, company: Uuid) -> User {
        let email = format!("buyer-{}@ferrule.test", Uuid::new_v4().simple());
        let path = format!("/v1/companies/{company}/users");
        let created = self.app.post(&path, json!({ "email": email, "password": PASSWORD })).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        User { id: created.id(), company: Some(company), token: issue(&self.app, created.id(), "buyer", Some(company)) }
    }

    /// Puts `quantity` of a product in the buyer's cart (the answer is not checked).
    pub async fn add(&self, buyer: &User, product: Uuid, quantity: i64) -> Answer {
        let body = json!({ "product_id": product, "quantity": quantity });
        self.send(Some(buyer), Method::POST, "/v1/cart/lines", Some(body)).await
    }

    /// Checks the buyer's cart out with an idempotency key (the answer is not checked).
    pub async fn checkout(&self, buyer: &User, key: Option<&str>, po_number: &str) -> Answer {
        let mut request = self
            .app
            .client
            .post(format!("{}/v1/checkout", self.app.base))
            .bearer_auth(&buyer.token)
            .json(&json!({ "po_number": po_number, "shipping_address": address() }));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        TestApp::answer(request).await
    }

    /// An order transition as ops (`confirm`, `ship`, `deliver`, `cancel`, `allocate`).
    pub async fn transition(&self, order: Uuid, action: &str, body: Option<Value>) -> Answer {
        self.ops(Method::POST, &format!("/v1/orders/{order}/{action}"), body.or(Some(json!({})))).await
    }

    /// The stock's head row in the write database: (on_hand, reserved, backordered).
    pub async fn stock(&self, product: Uuid, warehouse: Uuid) -> (u64, u64, u64) {
        let id = domain::commerce::stock_id(product, warehouse);
        let Some(snapshot) = self.app.snapshot(id).await else { return (0, 0, 0) };
        match serde_json::from_value(snapshot.clone()) {
            Ok(domain::Aggregate::Stock(stock)) => (stock.on_hand, stock.reserved, stock.backordered()),
            other => panic!("stream {id} holds no stock: {other:?}"),
        }
    }
}

/// A delivery address that passes every check.
pub fn address() -> Value {
    json!({"recipient": "Receiving dock 3", "line1": "Hafenstraße 12", "city": "Hamburg",
           "postal_code": "20457", "country": "de"})
}

/// An access token for a user, signed with the API's keys as a login would issue it.
pub fn issue(app: &TestApp, user: Uuid, role: &str, company: Option<Uuid>) -> String {
    let now = chrono::Utc::now().timestamp();
    let issued = app.keyring.issue(now, user, role, company, Uuid::new_v4()).unwrap_or_else(|e| panic!("{e}"));
    issued.access_token
}

//! The caller's prices on product answers, and the price book the cart is priced with.
//!
//! Product detail and search answers are shared: cached in Redis (`crate::cache`) for every
//! client alike. Prices are not: a buyer pays what its company's price lists say. So the shared
//! answer never holds a price, and `respond` — a middleware outside the cache — adds one per
//! request when the request carries an access token, for every product of the answer at once
//! (one query for a search page, not one per hit):
//! - a buyer gets its company's unit price from the domain's one `resolve_price` (at the
//!   product's minimum order quantity, or `?quantity=` on the detail), its source, the purchasing
//!   rules and the quantity breaks that apply to the company;
//! - ops and admin get the list price and the rules;
//! - without a token there is no `price`: prices are for signed-in customers only.

use std::collections::{BTreeSet, HashMap};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::commerce::price_list::PriceList;
use domain::commerce::pricing::{resolve_price, PriceError, PriceSource, ResolvedPrice};
use domain::commerce::terms::{rules_of, ProductTerms, PurchasingRules, StockPolicy};
use domain::commerce::{Money, Quantity};
use domain::identity::Role;
use domain::Aggregate;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use service_http::caller::Refusal;

/// Largest answer the prices are added to (a search page is far smaller).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// From `min_quantity` units on, each costs `unit` (priced as charged, for the buyer's company).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QuantityBreak {
    min_quantity: Quantity,
    unit: Money,
    source: PriceSource,
}

/// Why a product has no price for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceProblem {
    /// Neither a list price nor a price list of the company prices it.
    NoPrice,
    /// The company's price lists price it in a currency other than the list price's.
    CurrencyMismatch,
}

/// The caller's price of a product, present only with an access token. A buyer gets its company's
/// unit price at `quantity` (the minimum order quantity unless `?quantity=` was given) and the
/// breaks that apply to its company; ops and admin get the list price and no breaks. `unit` is
/// null with a `problem` when the product cannot be sold so.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Price {
    quantity: Quantity,
    unit: Option<Money>,
    source: Option<PriceSource>,
    problem: Option<PriceProblem>,
    minimum_quantity: Quantity,
    order_increment: Quantity,
    /// What happens when an order asks for more than is available.
    stock_policy: StockPolicy,
    breaks: Vec<QuantityBreak>,
}

/// The terms of some products and the price lists of one company (only the entries of those
/// products), as of `today`.
pub struct PriceBook {
    terms: HashMap<Uuid, ProductTerms>,
    lists: Vec<PriceList>,
    company: Option<Uuid>,
    pub today: NaiveDate,
}

impl PriceBook {
    /// Loads what pricing `products` for `company` (none: list prices only) needs, in two queries.
    pub async fn load(read: &PgPool, company: Option<Uuid>, products: &[Uuid]) -> Result<PriceBook, ApiError> {
        let states: Vec<Value> =
            sqlx::query_scalar("SELECT state FROM catalog.product_terms WHERE product_id = ANY($1)")
                .bind(products)
                .fetch_all(read)
                .await?;
        let mut terms = HashMap::new();
        for state in states {
            if let Aggregate::ProductTerms(t) = unreadable_as_internal(serde_json::from_value(state))? {
                terms.insert(t.product_id, t);
            }
        }
        let mut lists = Vec::new();
        if let Some(company) = company {
            let states: Vec<Value> = sqlx::query_scalar(
                "SELECT jsonb_set(l.state, '{entries}', coalesce(
                        (SELECT jsonb_object_agg(e.product_id::text, e.breaks) FROM catalog.price_list_entries e
                          WHERE e.price_list_id = l.id AND e.product_id = ANY($2)), '{}'))
                   FROM catalog.price_lists l
                   JOIN catalog.price_list_companies c ON c.price_list_id = l.id
                  WHERE c.company_id = $1",
            )
            .bind(company)
            .bind(products)
            .fetch_all(read)
            .await?;
            for state in states {
                if let Aggregate::PriceList(list) = unreadable_as_internal(serde_json::from_value(state))? {
                    lists.push(list);
                }
            }
        }
        Ok(PriceBook { terms, lists, company, today: chrono::Utc::now().date_naive() })
    }

    pub fn rules(&self, product: Uuid) -> PurchasingRules {
        rules_of(self.terms.get(&product))
    }

    pub fn list_price(&self, product: Uuid) -> Option<Money> {
        self.terms.get(&product).and_then(|t| t.list_price)
    }

    /// The company's unit price of `product` at `quantity` (the list price without a company).
    pub fn resolve(&self, product: Uuid, quantity: Quantity) -> Result<ResolvedPrice, PriceError> {
        let company = self.company.unwrap_or_default();
        resolve_price(self.list_price(product), &self.lists, company, product, quantity, self.today)
    }

    /// The unit price from each quantity on where it changes, from the minimum order quantity up:
    /// every break of the company's lists valid today, each priced by `resolve` (so a break of a
    /// list that another list outranks shows the price actually charged).
    pub fn breaks(&self, product: Uuid) -> Vec<QuantityBreak> {
        let minimum = self.rules(product).minimum;
        let company = self.company.unwrap_or_default();
        let mut quantities = BTreeSet::from([minimum]);
        for list in self.lists.iter().filter(|l| l.companies.contains(&company) && l.valid_on(self.today)) {
            let breaks = list.entries.get(&product).map(Vec::as_slice).unwrap_or_default();
            quantities.extend(breaks.iter().map(|b| b.min_quantity).filter(|q| *q > minimum));
        }
        let mut shown = Vec::new();
        let mut last: Option<ResolvedPrice> = None;
        for quantity in quantities {
            let Ok(price) = self.resolve(product, quantity) else { continue };
            if last != Some(price) {
                shown.push(QuantityBreak { min_quantity: quantity, unit: price.unit, source: price.source });
                last = Some(price);
            }
        }
        shown
    }

    /// The `price` of a product answer for `caller`: see the module doc.
    pub fn price(&self, caller: &Caller, product: Uuid, quantity: Option<Quantity>) -> Price {
        let rules = self.rules(product);
        let (quantity, unit, source, problem, breaks) = if caller.role == Role::Buyer {
            let quantity = quantity.unwrap_or(rules.minimum);
            let resolved = self.resolve(product, quantity);
            (
                quantity,
                resolved.as_ref().ok().map(|p| p.unit),
                resolved.as_ref().ok().map(|p| p.source),
                resolved.as_ref().err().map(problem_code),
                self.breaks(product),
            )
        } else {
            let list_price = self.list_price(product);
            let problem = list_price.is_none().then_some(PriceProblem::NoPrice);
            (rules.minimum, list_price, list_price.map(|_| PriceSource::ListPrice), problem, Vec::new())
        };
        Price {
            quantity,
            unit,
            source,
            problem,
            minimum_quantity: rules.minimum,
            order_increment: rules.increment,
            stock_policy: rules.stock_policy,
            breaks,
        }
    }
}

/// The stable code of a price that cannot be resolved.
pub fn problem_code(error: &PriceError) -> PriceProblem {
    match error {
        PriceError::NoPrice(_) => PriceProblem::NoPrice,
        PriceError::CurrencyMismatch { .. } => PriceProblem::CurrencyMismatch,
    }
}

fn unreadable_as_internal<T>(parsed: Result<T, serde_json::Error>) -> Result<T, ApiError> {
    parsed.map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("a read-model row is unreadable")))
}

/// The answers prices are added to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Priced {
    /// `GET /v1/products/{id}`, priced at `?quantity=` when given.
    Detail(Option<Quantity>),
    /// `GET /v1/search`: every hit.
    Search,
}

impl Priced {
    fn of(method: &Method, uri: &Uri) -> Option<Priced> {
        if method != Method::GET {
            return None;
        }
        let segments: Vec<&str> = uri.path().strip_prefix("/v1/")?.split('/').collect();
        match segments.as_slice() {
            ["products", _] => Some(Priced::Detail(quantity_of(uri.query().unwrap_or_default()))),
            ["search"] => Some(Priced::Search),
            _ => None,
        }
    }
}

/// `quantity` of a query string, when it is one (the handler refuses a malformed one).
fn quantity_of(query: &str) -> Option<Quantity> {
    let (_, value) = form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "quantity")?;
    Quantity::parse("quantity", value.trim().parse().ok()?).ok()
}

/// Middleware, outside the cache and inside read-your-writes: adds the caller's prices to product
/// and search answers (see the module doc). A request with an invalid token is answered 401, as
/// it would be anywhere: the client should know its token no longer counts.
pub async fn respond(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(priced) = Priced::of(request.method(), request.uri()) else {
        return next.run(request).await;
    };
    // Without keys (FERRULE_JWT_* unset: a warning at start) no token can be checked; browsing
    // and search stay public and unpriced rather than refusing every signed-in storefront.
    let caller = match Caller::of(&state.keyring, request.headers()) {
        Ok(caller) => caller,
        Err(_) if state.keyring.is_empty() => None,
        Err(error) => return error.into_response(),
    };
    // A revoked token is refused here as on every other route; one that cannot be checked (Redis
    // down) gets the public, unpriced answer rather than none.
    let caller = match caller {
        Some(caller) => match state.revocations.check(&caller).await {
            Ok(()) => Some(caller),
            Err(Refusal::Unavailable(_)) => None,
            Err(refusal) => return refusal.into_response(),
        },
        None => None,
    };
    let response = next.run(request).await;
    let response = match caller {
        Some(caller) if response.status() == StatusCode::OK => {
            add_prices(&state.read, &caller, priced, response).await.unwrap_or_else(IntoResponse::into_response)
        }
        _ => response,
    };
    vary_by_token(response)
}

/// Shared HTTP caches must not give one caller's priced answer to another.
fn vary_by_token(mut response: Response) -> Response {
    response.headers_mut().append(header::VARY, HeaderValue::from_static("authorization"));
    response
}

async fn add_prices(read: &PgPool, caller: &Caller, priced: Priced, response: Response) -> Result<Response, ApiError> {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("reading an answer to price it: {e}")))?;
    let mut answer: Value = unreadable_as_internal(serde_json::from_slice(&bytes))?;
    let ids: Vec<Uuid> = match priced {
        Priced::Detail(_) => {
            answer.get("id").and_then(Value::as_str).and_then(|id| Uuid::parse_str(id).ok()).into_iter().collect()
        }
        Priced::Search => answer["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|hit| hit["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()))
            .collect(),
    };
    let company = if caller.role == Role::Buyer { caller.company } else { None };
    let book = PriceBook::load(read, company, &ids).await?;
    match priced {
        Priced::Detail(quantity) => {
            if let (Some(id), Value::Object(fields)) = (ids.first(), &mut answer) {
                fields.insert("price".into(), priced_json(book.price(caller, *id, quantity))?);
            }
        }
        Priced::Search => {
            for (hit, id) in answer["hits"].as_array_mut().into_iter().flatten().zip(&ids) {
                if let Value::Object(fields) = hit {
                    fields.insert("price".into(), priced_json(book.price(caller, *id, None))?);
                }
            }
        }
    }
    let body = serde_json::to_vec(&answer).map_err(|e| ApiError::Internal(e.into()))?;
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// A price as the JSON inserted into a cached answer (the answer is one of the handler's typed
/// bodies, `ProductDetail` or `SearchResults`, whose `price` is this `Price`).
fn priced_json(price: Price) -> Result<Value, ApiError> {
    serde_json::to_value(price).map_err(|e| ApiError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_product_and_search_answers_are_priced() {
        let id = Uuid::from_u128(7);
        let uri = |text: &str| text.parse::<Uri>().unwrap_or_default();
        assert_eq!(Priced::of(&Method::GET, &uri(&format!("/v1/products/{id}"))), Some(Priced::Detail(None)));
        let at_ten = Quantity::parse("q", 10).ok();
        assert_eq!(
            Priced::of(&Method::GET, &uri(&format!("/v1/products/{id}?quantity=10"))),
            Some(Priced::Detail(at_ten))
        );
        assert_eq!(Priced::of(&Method::GET, &uri("/v1/search?q=bolt")), Some(Priced::Search));
        assert_eq!(Priced::of(&Method::GET, &uri("/v1/search/suggest?q=bo")), None);
        assert_eq!(Priced::of(&Method::GET, &uri("/v1/categories")), None);
        assert_eq!(Priced::of(&Method::POST, &uri("/v1/search")), None);
    }
}

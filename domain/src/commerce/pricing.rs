//! The one price resolution: what a company's buyer pays per unit of a product at a quantity on a
//! day. The cart, checkout and the product detail all call `resolve_price`, so the price shown is
//! the price charged.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::money::{Currency, Money, Quantity};
use super::price_list::PriceList;

/// Where a resolved unit price came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PriceSource {
    ListPrice,
    PriceList { price_list_id: Uuid, min_quantity: Quantity },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolvedPrice {
    pub unit: Money,
    pub source: PriceSource,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// No list applies and the product has no list price: it cannot be sold to this company.
    #[error("product {0} has no price")]
    NoPrice(Uuid),
    /// The winning price list is in another currency than the product's list price. Prices are
    /// never converted, nor is a negotiated price silently replaced by the list price: the
    /// configuration must be fixed.
    #[error("price list {price_list_id} is in {list}, but the product's list price is in {product}")]
    CurrencyMismatch { price_list_id: Uuid, list: Currency, product: Currency },
}

/// The unit price of `product_id` for `company_id` at `quantity` on `today`:
/// 1. Of the lists assigned to the company, valid on `today`, and holding a break of the product
///    at or below `quantity`, the highest priority wins; among equals, the lowest unit price
///    (the buyer's favour), then the smallest list id — so the answer never depends on the order
///    the lists are given in.
/// 2. Within the winning list, the break with the largest `min_quantity` at or below `quantity`.
/// 3. With no such list, the product's list price.
///
/// A list whose smallest break is above `quantity` does not apply at that quantity.
pub fn resolve_price(
    list_price: Option<Money>,
    lists: &[PriceList],
    company_id: Uuid,
    product_id: Uuid,
    quantity: Quantity,
    today: NaiveDate,
) -> Result<ResolvedPrice, PriceError> {
    let candidates = lists.iter().filter(|l| l.companies.contains(&company_id) && l.valid_on(today)).filter_map(|l| {
        let breaks = l.entries.get(&product_id)?;
        let chosen = breaks.iter().filter(|b| b.min_quantity <= quantity).max_by_key(|b| b.min_quantity)?;
        Some((l, chosen))
    });
    let winner = candidates.min_by(|(a, a_break), (b, b_break)| {
        b.priority
            .cmp(&a.priority)
            .then(a_break.unit_price.amount_minor.cmp(&b_break.unit_price.amount_minor))
            .then(a.id.cmp(&b.id))
    });
    match (winner, list_price) {
        (Some((list, chosen)), list_price) => {
            if let Some(product) = list_price.map(|p| p.currency).filter(|c| *c != list.currency) {
                return Err(PriceError::CurrencyMismatch { price_list_id: list.id, list: list.currency, product });
            }
            Ok(ResolvedPrice {
                unit: chosen.unit_price,
                source: PriceSource::PriceList { price_list_id: list.id, min_quantity: chosen.min_quantity },
            })
        }
        (None, Some(unit)) => Ok(ResolvedPrice { unit, source: PriceSource::ListPrice }),
        (None, None) => Err(PriceError::NoPrice(product_id)),
    }
}

//! Price lists: negotiated prices in one currency, per product with quantity breaks (1+, 50+,
//! 500+), valid between two dates (inclusive, either open), with a priority among the lists that
//! apply, assigned to the companies that get them. `pricing::resolve_price` picks from them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::money::{Currency, Money, Quantity};
use super::not_applicable;
use crate::error::{DomainError, FieldError, Problems};
use crate::events::{Change, Event, EvolveError, NewEvent, StreamType};
use crate::identity::company::Company;
use crate::names::parse_name;
use crate::product::Product;

pub const NAME_MAX: usize = 200;
pub const PRIORITY_MAX: i64 = 1000;
pub const BREAKS_MAX: usize = 10;

/// From `min_quantity` units on, each unit costs `unit_price`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceBreak {
    pub min_quantity: Quantity,
    pub unit_price: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceList {
    pub id: Uuid,
    pub name: String,
    pub currency: Currency,
    /// The higher wins when several lists hold a product.
    pub priority: i32,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    /// Per product, its breaks by rising `min_quantity`, unit prices never rising.
    pub entries: BTreeMap<Uuid, Vec<PriceBreak>>,
    pub companies: BTreeSet<Uuid>,
}

impl PriceList {
    /// Whether `today` is within the validity dates (both inclusive).
    pub fn valid_on(&self, today: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= today) && self.valid_until.is_none_or(|until| today <= until)
    }

    pub(crate) fn created(
        id: Uuid,
        name: &str,
        currency: Currency,
        priority: i32,
        valid_from: Option<NaiveDate>,
        valid_until: Option<NaiveDate>,
    ) -> PriceList {
        PriceList {
            id,
            name: name.to_owned(),
            currency,
            priority,
            valid_from,
            valid_until,
            entries: Default::default(),
            companies: Default::default(),
        }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<PriceList, EvolveError> {
        match event {
            Event::PriceListEntrySet { product_id, breaks } => {
                self.entries.insert(*product_id, breaks.to.clone());
            }
            Event::PriceListEntryRemoved { product_id, .. } => {
                self.entries.remove(product_id);
            }
            Event::PriceListAssigned { company_id } => {
                self.companies.insert(*company_id);
            }
            Event::PriceListUnassigned { company_id } => {
                self.companies.remove(company_id);
            }
            Event::PriceListRescheduled { valid_from, valid_until } => {
                self.valid_from = valid_from.to;
                self.valid_until = valid_until.to;
            }
            Event::PriceListPrioritized { priority } => self.priority = priority.to,
            other => return Err(not_applicable(other, "a price list")),
        }
        Ok(self)
    }
}

fn on(list_id: Uuid, event: Event) -> Vec<NewEvent> {
    vec![NewEvent { stream_id: list_id, stream_type: StreamType::PriceList, event }]
}

pub struct CreatePriceList {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub priority: i64,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

fn check_priority(priority: i64) -> Result<i32, FieldError> {
    match i32::try_from(priority) {
        Ok(p) if (0..=PRIORITY_MAX).contains(&priority) => Ok(p),
        _ => Err(FieldError::new("priority", "invalid_priority", format!("priority must be from 0 to {PRIORITY_MAX}"))),
    }
}

fn check_dates(from: Option<NaiveDate>, until: Option<NaiveDate>) -> Result<(), FieldError> {
    match (from, until) {
        (Some(from), Some(until)) if until < from => Err(FieldError::new(
            "valid_until",
            "ends_before_start",
            format!("valid_until ({until}) must not be before valid_from ({from})"),
        )),
        _ => Ok(()),
    }
}

pub fn create(command: CreatePriceList) -> Result<Vec<NewEvent>, DomainError> {
    let mut problems = Problems::default();
    let name = problems.check(parse_name("name", &command.name, NAME_MAX));
    let currency = problems.check(Currency::parse("currency", &command.currency));
    let priority = problems.check(check_priority(command.priority));
    problems.check(check_dates(command.valid_from, command.valid_until));
    problems.finish()?;
    let (Some(name), Some(currency), Some(priority)) = (name, currency, priority) else {
        return Err(DomainError::invalid("name", "invalid_name", "name is required"));
    };
    let CreatePriceList { valid_from, valid_until, .. } = command;
    Ok(on(command.id, Event::PriceListCreated { name, currency, priority, valid_from, valid_until }))
}

/// A break as given: `{min_quantity, amount_minor}` in the list's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakInput {
    pub min_quantity: i64,
    pub amount_minor: i64,
}

/// The breaks of one product: 1 to `BREAKS_MAX`, by strictly rising quantity, and a larger
/// quantity never costs more per unit. Every bad break is listed (`breaks[i].…`).
fn check_breaks(list: &PriceList, input: &[BreakInput]) -> Result<Vec<PriceBreak>, DomainError> {
    let mut problems = Problems::default();
    if input.is_empty() || input.len() > BREAKS_MAX {
        problems.push(FieldError::new("breaks", "break_count", format!("give 1 to {BREAKS_MAX} quantity breaks")));
    }
    let mut breaks: Vec<PriceBreak> = Vec::new();
    for (i, given) in input.iter().enumerate() {
        let field = format!("breaks[{i}]");
        let quantity = problems.check(Quantity::parse(&format!("{field}.min_quantity"), given.min_quantity));
        let price = match Money::parse_price(&field, given.amount_minor, list.currency.as_str()) {
            Ok(price) => Some(price),
            Err(errors) => {
                problems.extend(errors);
                None
            }
        };
        let (Some(min_quantity), Some(unit_price)) = (quantity, price) else { continue };
        if let Some(previous) = breaks.last() {
            if min_quantity <= previous.min_quantity {
                problems.push(FieldError::new(
                    format!("{field}.min_quantity"),
                    "breaks_not_rising",
                    "each break's min_quantity must be larger than the one before",
                ));
            } else if unit_price.amount_minor > previous.unit_price.amount_minor {
                problems.push(FieldError::new(
                    format!("{field}.amount_minor"),
                    "break_dearer",
                    "a larger quantity break must not cost more per unit",
                ));
            }
        }
        breaks.push(PriceBreak { min_quantity, unit_price });
    }
    problems.finish()?;
    Ok(breaks)
}

/// Sets a product's breaks on the list (a product retired meanwhile can no longer be added).
pub fn set_entry(list: &PriceList, product: &Product, breaks: &[BreakInput]) -> Result<Vec<NewEvent>, DomainError> {
    let breaks = check_breaks(list, breaks)?;
    let from = list.entries.get(&product.id).cloned().unwrap_or_default();
    if from == breaks {
        return Ok(Vec::new());
    }
    if product.retired {
        return Err(DomainError::Conflict(format!("product {} is retired", product.id)));
    }
    Ok(on(list.id, Event::PriceListEntrySet { product_id: product.id, breaks: Change { from, to: breaks } }))
}

pub fn remove_entry(list: &PriceList, product_id: Uuid) -> Result<Vec<NewEvent>, DomainError> {
    let Some(breaks) = list.entries.get(&product_id) else {
        return Err(DomainError::not_found("price list entry", product_id));
    };
    Ok(on(list.id, Event::PriceListEntryRemoved { product_id, breaks: breaks.clone() }))
}

/// The company's buyers get this list's prices. A disabled company gets no new list; one
/// assigned already is no change.
pub fn assign(list: &PriceList, company: &Company) -> Result<Vec<NewEvent>, DomainError> {
    if list.companies.contains(&company.id) {
        return Ok(Vec::new());
    }
    if company.disabled {
        return Err(DomainError::Conflict(format!("company {} is disabled", company.id)));
    }
    Ok(on(list.id, Event::PriceListAssigned { company_id: company.id }))
}

/// A company not assigned is no change.
pub fn unassign(list: &PriceList, company_id: Uuid) -> Result<Vec<NewEvent>, DomainError> {
    if !list.companies.contains(&company_id) {
        return Ok(Vec::new());
    }
    Ok(on(list.id, Event::PriceListUnassigned { company_id }))
}

pub fn reschedule(
    list: &PriceList,
    valid_from: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
) -> Result<Vec<NewEvent>, DomainError> {
    check_dates(valid_from, valid_until).map_err(|e| DomainError::Invalid(vec![e]))?;
    if (list.valid_from, list.valid_until) == (valid_from, valid_until) {
        return Ok(Vec::new());
    }
    Ok(on(
        list.id,
        Event::PriceListRescheduled {
            valid_from: Change { from: list.valid_from, to: valid_from },
            valid_until: Change { from: list.valid_until, to: valid_until },
        },
    ))
}

pub fn prioritize(list: &PriceList, priority: i64) -> Result<Vec<NewEvent>, DomainError> {
    let priority = check_priority(priority).map_err(|e| DomainError::Invalid(vec![e]))?;
    if priority == list.priority {
        return Ok(Vec::new());
    }
    Ok(on(list.id, Event::PriceListPrioritized { priority: Change { from: list.priority, to: priority } }))
}

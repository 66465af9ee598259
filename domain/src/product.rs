//! Products (the variants of a family): specs checked against the family's resolved schema on
//! every create and update, SKUs generated from the variant-defining values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::attributes::{AttributeKey, ResolvedSchema};
use crate::error::{DomainError, FieldError, Problems};
use crate::events::{not_applicable, Change, Diff, Event, EvolveError, NewEvent, StreamType};
use crate::family::Family;
use crate::names::{parse_external_id, parse_name, ExternalId, Sku};
use crate::specs::{validate_specs, variant_parts, SpecValue, Specs};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: Uuid,
    pub family_id: Uuid,
    pub name: String,
    pub sku: Sku,
    pub specs: Specs,
    /// The canonical variant-defining values; no two live products of a family share one.
    pub variant_key: Option<String>,
    pub retired: bool,
    /// The source system's id (`names::ExternalId`).
    #[serde(default)]
    pub external_id: Option<ExternalId>,
}

pub const NAME_MAX: usize = 300;

pub struct CreateProduct {
    pub id: Uuid,
    pub name: String,
    pub sku: Option<String>,
    pub specs: Map<String, Value>,
    /// Checked as `names::ExternalId`.
    pub external_id: Option<String>,
}

fn new_event(id: Uuid, event: Event) -> NewEvent {
    NewEvent { stream_id: id, stream_type: StreamType::Product, event }
}

/// The variant key and the generated SKU for checked specs. A family without variant-defining
/// attributes has no variant key; its generated SKUs end in the product id's random bits (see
/// `random_part`).
fn variant_identity(family: &Family, schema: &ResolvedSchema, specs: &Specs, id: Uuid) -> (Option<String>, String) {
    let parts = variant_parts(schema, specs);
    if parts.is_empty() {
        return (None, format!("{}-{}", family.code, random_part(id)));
    }
    let key = parts.iter().map(|p| p.canonical.as_str()).collect::<Vec<_>>().join("|");
    let mut sku = family.code.to_string();
    for part in parts.iter().filter(|p| !p.segment.is_empty()) {
        sku.push('-');
        sku.push_str(&part.segment);
    }
    (Some(key), sku)
}

/// Crockford's base 32: digits and letters without I, L, O and U, so nothing reads as another.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The low 60 bits of a product id as 12 Crockford base-32 characters in two groups of six
/// ("7K3M9Q-2XW4TR"). They are the random part of the id, never its time: ids are UUIDv7, whose
/// last 62 bits (rand_b) hold a counter seeded at random every millisecond and 32 fresh random
/// bits. So products created back to back get different SKUs (the first eight digits of the id,
/// used before, are its creation time and met within a minute), and n products of one family
/// share one with probability about n²/2⁶¹: below 10⁻⁶ for a million. Such a meeting is never
/// silent: the SKU's claim refuses the second product with a 409. A per-family sequence would
/// read better but make every product create write its family's stream; the id is already
/// unique and chosen by the caller, so the SKU stays a pure function of the command. A SKU is
/// stored in its `ProductCreated` event and never generated again (updates keep it).
fn random_part(id: Uuid) -> String {
    let bits = id.as_u128() as u64;
    let chars: String = (0..12).rev().map(|i| char::from(CROCKFORD[((bits >> (5 * i)) & 0x1f) as usize])).collect();
    format!("{}-{}", &chars[..6], &chars[6..])
}

pub fn create(family: &Family, schema: &ResolvedSchema, command: CreateProduct) -> Result<Vec<NewEvent>, DomainError> {
    let mut problems = Problems::default();
    let name = problems.check(parse_name("name", &command.name, NAME_MAX));
    let given_sku = command.sku.as_deref().and_then(|s| problems.check(Sku::parse(s)));
    let external_id = problems.check(parse_external_id(command.external_id.as_deref())).flatten();
    let specs = match validate_specs(schema, &command.specs) {
        Ok(specs) => Some(specs),
        Err(errors) => {
            problems.extend(errors);
            None
        }
    };
    problems.finish()?;
    let (Some(name), Some(specs)) = (name, specs) else {
        return Err(DomainError::invalid("name", "invalid_name", "name is required"));
    };
    let (variant_key, generated) = variant_identity(family, schema, &specs, command.id);
    let sku = match given_sku {
        Some(sku) => sku,
        None => Sku::parse(&generated).map_err(|e| {
            DomainError::Invalid(vec![FieldError::new(
                "sku",
                e.code,
                format!("the generated SKU {generated:?} is not valid; give a sku"),
            )])
        })?,
    };
    Ok(vec![new_event(
        command.id,
        Event::ProductCreated { family_id: family.id, name, sku, specs, variant_key, external_id },
    )])
}

pub struct UpdateProduct {
    pub name: Option<String>,
    /// Merged into the current specs; a `null` removes the key.
    pub specs: Option<Map<String, Value>>,
}

/// The merged specs are checked as a whole against the schema as it is now, so a product made
/// invalid by a later schema change must be brought in line by its next update.
pub fn update(
    product: &Product,
    family: &Family,
    schema: &ResolvedSchema,
    command: UpdateProduct,
) -> Result<Vec<NewEvent>, DomainError> {
    if product.retired {
        return Err(DomainError::Conflict("this product is retired".into()));
    }
    let mut problems = Problems::default();
    let name = command.name.and_then(|n| problems.check(parse_name("name", &n, NAME_MAX)));
    let mut merged: Map<String, Value> = product.specs.iter().map(|(k, v)| (k.to_string(), v.to_input())).collect();
    for (key, value) in command.specs.unwrap_or_default() {
        if value.is_null() {
            merged.remove(&key);
        } else {
            merged.insert(key, value);
        }
    }
    let specs = match validate_specs(schema, &merged) {
        Ok(specs) => Some(specs),
        Err(errors) => {
            problems.extend(errors);
            None
        }
    };
    problems.finish()?;
    let specs = specs.unwrap_or_default();
    let mut changes = Diff::new();
    if let Some(name) = name.filter(|n| *n != product.name) {
        changes.insert("name".into(), Change { from: product.name.clone().into(), to: name.into() });
    }
    let as_json =
        |v: Option<&crate::specs::SpecValue>| v.and_then(|v| serde_json::to_value(v).ok()).unwrap_or(Value::Null);
    let keys: std::collections::BTreeSet<&str> = product.specs.keys().chain(specs.keys()).map(|k| k.as_str()).collect();
    for key in keys {
        let (from, to) = (as_json(product.specs.get(key)), as_json(specs.get(key)));
        if from != to {
            changes.insert(format!("specs.{key}"), Change { from, to });
        }
    }
    let (variant_key, _) = variant_identity(family, schema, &specs, product.id);
    if variant_key != product.variant_key {
        changes
            .insert("variant_key".into(), Change { from: product.variant_key.clone().into(), to: variant_key.into() });
    }
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![new_event(product.id, Event::ProductUpdated { changes })])
}

/// Brings an existing product to what a create command in `family_id` describes (an upsert by
/// external id): the name as given, the specs merged as an update merges them (a key left out
/// keeps its value, `null` removes it: a source row that names some specs leaves the others
/// alone). `family` and `schema` are the product's own. The family named and a given SKU must be
/// the ones it has: neither changes by update. Nothing when nothing differs.
pub fn revise(
    product: &Product,
    family_id: Uuid,
    family: &Family,
    schema: &ResolvedSchema,
    command: &CreateProduct,
) -> Result<Vec<NewEvent>, DomainError> {
    if family_id != product.family_id {
        return Err(DomainError::unchangeable(
            "family_id",
            format!("this product is in family {}; a product does not move to another family", product.family_id),
        ));
    }
    if let Some(sku) = &command.sku {
        let sku = Sku::parse(sku).map_err(|e| DomainError::Invalid(vec![e]))?;
        if sku != product.sku {
            return Err(DomainError::unchangeable(
                "sku",
                format!("this product's SKU is {}; a SKU does not change", product.sku),
            ));
        }
    }
    update(
        product,
        family,
        schema,
        UpdateProduct { name: Some(command.name.clone()), specs: Some(command.specs.clone()) },
    )
}

pub fn retire(product: &Product) -> Result<Vec<NewEvent>, DomainError> {
    if product.retired {
        return Err(DomainError::Conflict("this product is already retired".into()));
    }
    Ok(vec![new_event(product.id, Event::ProductRetired {})])
}

/// A product's own events, folded.
impl Product {
    pub(crate) fn created(
        id: Uuid,
        family_id: Uuid,
        name: &str,
        sku: &Sku,
        specs: &Specs,
        variant_key: &Option<String>,
        external_id: &Option<ExternalId>,
    ) -> Product {
        Product {
            id,
            family_id,
            name: name.to_owned(),
            sku: sku.clone(),
            specs: specs.clone(),
            variant_key: variant_key.clone(),
            retired: false,
            external_id: external_id.clone(),
        }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<Product, EvolveError> {
        match event {
            Event::ProductUpdated { changes } => {
                for (field, change) in changes {
                    self.apply_change(field, &change.to)?;
                }
            }
            Event::ProductRetired {} => self.retired = true,
            Event::ExternalIdChanged { external_id } => self.external_id = external_id.to.clone(),
            other => return Err(not_applicable(other, StreamType::Product.as_str())),
        }
        Ok(self)
    }

    fn apply_change(&mut self, field: &str, to: &Value) -> Result<(), EvolveError> {
        let bad = || EvolveError(format!("ProductUpdated carries an unreadable {field}"));
        if field == "name" {
            self.name = to.as_str().ok_or_else(bad)?.to_owned();
        } else if field == "variant_key" {
            self.variant_key = to.as_str().map(str::to_owned);
        } else if let Some(key) = field.strip_prefix("specs.") {
            let key = AttributeKey::parse(key).map_err(|_| bad())?;
            if to.is_null() {
                self.specs.shift_remove(&key);
            } else {
                let value: SpecValue = serde_json::from_value(to.clone()).map_err(|_| bad())?;
                self.specs.insert(key, value);
            }
        } else {
            return Err(bad());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

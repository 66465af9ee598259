//! Product families: a group of products in one leaf category, with an optional brand, a short
//! code for SKUs, and definitions of their own that override the inherited ones.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attributes::{DefinitionInput, Definitions, Level, ResolvedSchema};
use crate::brand::Brand;
use crate::category::{self, CategoryTree};
use crate::error::{DomainError, Problems};
use crate::events::{not_applicable, Change, Event, EvolveError, NewEvent, StreamType};
use crate::names::{parse_external_id, parse_name, ExternalId, FamilyCode};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Family {
    pub id: Uuid,
    pub category_id: Uuid,
    pub brand_id: Option<Uuid>,
    pub name: String,
    pub code: FamilyCode,
    #[serde(with = "crate::attributes::ordered")]
    pub attributes: Definitions,
    /// The source system's id (`names::ExternalId`); `default` reads snapshots made before it.
    #[serde(default)]
    pub external_id: Option<ExternalId>,
}

impl Family {
    /// The resolved schema of this family's products: its categories' definitions from the root
    /// down, then its own.
    pub fn schema(&self, tree: &CategoryTree) -> ResolvedSchema {
        self.schema_over(tree.chain(self.category_id).into_iter())
    }

    /// The same, from the category chain (root first) alone, for callers that hold no whole tree.
    pub fn schema_over<'a>(&self, chain: impl Iterator<Item = &'a category::Category>) -> ResolvedSchema {
        let categories = chain.map(|c| (Level::Category { category_id: c.id, depth: c.depth() }, &c.attributes));
        let own = std::iter::once((Level::Family { family_id: self.id }, &self.attributes));
        ResolvedSchema::resolve(categories.chain(own))
    }
}

pub struct CreateFamily {
    pub id: Uuid,
    pub category_id: Uuid,
    pub brand_id: Option<Uuid>,
    pub name: String,
    pub code: Option<String>,
    /// Checked as `names::ExternalId`.
    pub external_id: Option<String>,
}

pub const NAME_MAX: usize = 200;

/// `brand` is the brand named by `brand_id`, when it exists. `taken` holds the codes other
/// families hold among `FamilyCode::candidates` of the name (the caller reads them in the
/// transaction it appends in): a derived code is the first candidate not taken, so it is unique
/// and the same for the same name and taken codes. A given code is used as given; its
/// uniqueness, like every code's, is the event store's claim (`FamilyCode::claim`).
pub fn create(
    tree: &CategoryTree,
    brand: Option<&Brand>,
    taken: &BTreeSet<FamilyCode>,
    command: CreateFamily,
) -> Result<Vec<NewEvent>, DomainError> {
    if let (Some(brand_id), None) = (command.brand_id, brand) {
        return Err(DomainError::referenced("brand", brand_id, "brand_id"));
    }
    if tree.get(command.category_id).is_none() {
        return Err(DomainError::referenced("category", command.category_id, "category_id"));
    }
    let mut problems = Problems::default();
    let name = problems.check(parse_name("name", &command.name, NAME_MAX));
    let external_id = problems.check(parse_external_id(command.external_id.as_deref())).flatten();
    let code = match (&command.code, &name) {
        (Some(code), _) => problems.check(FamilyCode::parse(code)).map(Ok),
        (None, Some(name)) => problems
            .check(FamilyCode::derive(name))
            .map(|derived| FamilyCode::candidates(name).into_iter().find(|c| !taken.contains(c)).ok_or(derived)),
        (None, None) => None,
    };
    if let Err(DomainError::Invalid(errors)) = tree.is_active_leaf_candidate(command.category_id) {
        problems.extend(errors);
    }
    problems.finish()?;
    let (Some(name), Some(code)) = (name, code) else {
        return Err(DomainError::invalid("name", "invalid_name", "name is required"));
    };
    let code = code.map_err(|derived| {
        DomainError::Conflict(format!(
            "family code {derived} and its {} suffixed forms are all used: give a code",
            FamilyCode::CANDIDATES - 1
        ))
    })?;
    Ok(vec![NewEvent {
        stream_id: command.id,
        stream_type: StreamType::Family,
        event: Event::FamilyCreated {
            category_id: command.category_id,
            brand_id: command.brand_id,
            name,
            code,
            external_id,
        },
    }])
}

/// Brings an existing family to what a create command describes (an upsert by external id): its
/// name may change; its category, brand and code may not (products hang on them: their SKUs
/// start with the code, their schema comes from the category), so a different one is refused.
/// A command without a code keeps the family's. Nothing when nothing differs.
pub fn revise(family: &Family, command: &CreateFamily) -> Result<Vec<NewEvent>, DomainError> {
    if command.category_id != family.category_id {
        return Err(DomainError::unchangeable(
            "category_id",
            format!("this family is in category {}; a family does not move to another category", family.category_id),
        ));
    }
    if command.brand_id != family.brand_id {
        return Err(DomainError::unchangeable("brand_id", "a family's brand does not change"));
    }
    if let Some(code) = &command.code {
        let code = FamilyCode::parse(code).map_err(|e| DomainError::Invalid(vec![e]))?;
        if code != family.code {
            return Err(DomainError::unchangeable(
                "code",
                format!("this family's code is {}: the SKUs of its products start with it", family.code),
            ));
        }
    }
    let name = parse_name("name", &command.name, NAME_MAX).map_err(|e| DomainError::Invalid(vec![e]))?;
    if name == family.name {
        return Ok(Vec::new());
    }
    Ok(vec![NewEvent {
        stream_id: family.id,
        stream_type: StreamType::Family,
        event: Event::FamilyRenamed { name: Change { from: family.name.clone(), to: name } },
    }])
}

pub fn define_attribute(
    tree: &CategoryTree,
    family: &Family,
    key: &str,
    input: DefinitionInput,
) -> Result<Vec<NewEvent>, DomainError> {
    let inherited = tree.schema(family.category_id);
    let event = category::define_attribute(&family.attributes, &inherited, std::iter::empty(), key, input)?;
    Ok(event
        .map(|event| NewEvent { stream_id: family.id, stream_type: StreamType::Family, event })
        .into_iter()
        .collect())
}

pub fn remove_attribute(family: &Family, key: &str) -> Result<Vec<NewEvent>, DomainError> {
    let event = category::remove_attribute(&family.attributes, key)?;
    Ok(vec![NewEvent { stream_id: family.id, stream_type: StreamType::Family, event }])
}

/// A family's own events, folded.
impl Family {
    pub(crate) fn created(
        id: Uuid,
        category_id: Uuid,
        brand_id: Option<Uuid>,
        name: &str,
        code: &FamilyCode,
        external_id: &Option<ExternalId>,
    ) -> Family {
        Family {
            id,
            category_id,
            brand_id,
            name: name.to_owned(),
            code: code.clone(),
            attributes: Default::default(),
            external_id: external_id.clone(),
        }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<Family, EvolveError> {
        match event {
            Event::FamilyRenamed { name } => self.name = name.to.clone(),
            Event::ExternalIdChanged { external_id } => self.external_id = external_id.to.clone(),
            Event::AttributeDefined { key, definition, .. } => {
                self.attributes.insert(key.clone(), definition.clone());
            }
            Event::AttributeRemoved { key, .. } => {
                self.attributes.shift_remove(key);
            }
            other => return Err(not_applicable(other, StreamType::Family.as_str())),
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests;

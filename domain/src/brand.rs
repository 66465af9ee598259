//! Brands: a name, unique across the catalog.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, Problems};
use crate::events::{not_applicable, Change, Event, EvolveError, NewEvent, StreamType};
use crate::names::{parse_external_id, parse_name, ExternalId};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Brand {
    pub id: Uuid,
    pub name: String,
    /// The source system's id (`names::ExternalId`); `default` reads snapshots made before it.
    #[serde(default)]
    pub external_id: Option<ExternalId>,
}

pub const NAME_MAX: usize = 200;

fn new_event(id: Uuid, event: Event) -> NewEvent {
    NewEvent { stream_id: id, stream_type: StreamType::Brand, event }
}

/// Uniqueness of the name is the event store's claim on `brand:<name>`, of the external id its
/// claim on `external:brand:<id>`.
pub fn create(id: Uuid, name: &str, external_id: Option<&str>) -> Result<Vec<NewEvent>, DomainError> {
    let mut problems = Problems::default();
    let name = problems.check(parse_name("name", name, NAME_MAX));
    let external_id = problems.check(parse_external_id(external_id)).flatten();
    problems.finish()?;
    let name = name.unwrap_or_default();
    Ok(vec![new_event(id, Event::BrandCreated { name, external_id })])
}

/// Renames a brand; nothing when it already has that name. The name's claim moves with it.
pub fn rename(brand: &Brand, name: &str) -> Result<Vec<NewEvent>, DomainError> {
    let name = parse_name("name", name, NAME_MAX).map_err(|e| DomainError::Invalid(vec![e]))?;
    if name == brand.name {
        return Ok(Vec::new());
    }
    Ok(vec![new_event(brand.id, Event::BrandRenamed { name: Change { from: brand.name.clone(), to: name } })])
}

/// A brand's own events, folded.
impl Brand {
    pub(crate) fn created(id: Uuid, name: &str, external_id: &Option<ExternalId>) -> Brand {
        Brand { id, name: name.to_owned(), external_id: external_id.clone() }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<Brand, EvolveError> {
        match event {
            Event::BrandRenamed { name } => self.name = name.to.clone(),
            Event::ExternalIdChanged { external_id } => self.external_id = external_id.to.clone(),
            other => return Err(not_applicable(other, StreamType::Brand.as_str())),
        }
        Ok(self)
    }
}

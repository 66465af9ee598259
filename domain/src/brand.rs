//! Brands: a name, unique across the catalog.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::DomainError;
use crate::events::{Event, NewEvent, StreamType};
use crate::names::parse_name;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Brand {
    pub id: Uuid,
    pub name: String,
}

/// Uniqueness of the name is the event store's claim on `brand:<name>`.
pub fn create(id: Uuid, name: &str) -> Result<Vec<NewEvent>, DomainError> {
    let name = parse_name("name", name, 200).map_err(|e| DomainError::Invalid(vec![e]))?;
    Ok(vec![NewEvent { stream_id: id, stream_type: StreamType::Brand, event: Event::BrandCreated { name } }])
}

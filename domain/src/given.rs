//! Test fixtures shared by the given / when / then tests: well-known ids and the events a test
//! starts from, folded the way the event store would.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use uuid::Uuid;

use crate::attributes::{AttributeDefinition, AttributeKey, DefinitionInput};
use crate::error::DomainError;
use crate::events::{replay, Aggregate, Event, NewEvent, StreamType};
use crate::names::FamilyCode;

pub const FASTENERS: Uuid = Uuid::from_u128(0x10);
pub const BOLTS: Uuid = Uuid::from_u128(0x20);
pub const HEX_BOLTS: Uuid = Uuid::from_u128(0x30);
pub const DIN933: Uuid = Uuid::from_u128(0x90);

pub fn key(text: &str) -> AttributeKey {
    AttributeKey::parse(text).unwrap()
}

pub fn def(json: Value) -> AttributeDefinition {
    serde_json::from_value::<DefinitionInput>(json).unwrap().parse().unwrap()
}

pub fn on(stream_id: Uuid, stream_type: StreamType, event: Event) -> NewEvent {
    NewEvent { stream_id, stream_type, event }
}

/// A category created at `path` (root first, itself last).
pub fn created(name: &str, path: &[Uuid]) -> NewEvent {
    let id = *path.last().unwrap();
    let parent_id = path.len().checked_sub(2).map(|i| path[i]);
    on(
        id,
        StreamType::Category,
        Event::CategoryCreated { name: name.into(), parent_id, path: path.to_vec(), external_id: None },
    )
}

pub fn family_created(id: Uuid, category_id: Uuid, name: &str, code: &str) -> NewEvent {
    on(
        id,
        StreamType::Family,
        Event::FamilyCreated {
            category_id,
            brand_id: None,
            name: name.into(),
            code: FamilyCode::parse(code).unwrap(),
            external_id: None,
        },
    )
}

/// Every stream's state after the given events, in the order the streams first appear.
pub fn fold(given: &[NewEvent]) -> Vec<Aggregate> {
    let mut streams: Vec<Uuid> = Vec::new();
    for e in given {
        if !streams.contains(&e.stream_id) {
            streams.push(e.stream_id);
        }
    }
    streams
        .into_iter()
        .map(|id| {
            replay(id, given.iter().filter(|e| e.stream_id == id).map(|e| &e.event))
                .unwrap_or_else(|e| panic!("the given events do not fold: {e}"))
                .unwrap()
        })
        .collect()
}

/// The given events followed by the decided ones.
pub fn then(given: &[NewEvent], decided: &[NewEvent]) -> Vec<NewEvent> {
    given.iter().chain(decided).cloned().collect()
}

/// `(field, code)` of every field error, or a panic naming what came instead.
pub fn invalid(result: Result<Vec<NewEvent>, DomainError>) -> Vec<(String, String)> {
    match result {
        Err(DomainError::Invalid(errors)) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        other => panic!("expected DomainError::Invalid, got {other:?}"),
    }
}

pub fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
}

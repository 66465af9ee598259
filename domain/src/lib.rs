//! Ferrule's domain: the catalog, who may change it (`identity`), and what it sells for and to whom
//! (`commerce`). Pure: `decide` turns a command and the state it needs into events,
//! `evolve` folds events into state. No I/O, no clock, no random ids — callers pass them in.

pub mod attributes;
pub mod audit;
pub mod brand;
pub mod category;
pub mod commerce;
pub mod error;
pub mod events;
pub mod family;
#[cfg(test)]
mod given;
pub mod identity;
pub mod media;
pub mod names;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod product;
pub mod search;
pub mod specs;
pub mod synonyms;
pub mod units;

pub use attributes::{AttributeDefinition, AttributeKey, AttributeType, DefinitionInput, Level, ResolvedSchema};
pub use error::{DomainError, FieldError};
pub use events::{evolve, Aggregate, Change, Diff, Event, EvolveError, NewEvent, StreamType};

use serde_json::{Map, Value};

/// Field-level differences between two JSON objects, nested keys joined with '.'.
pub fn diff_maps(before: &Map<String, Value>, after: &Map<String, Value>, prefix: &str) -> Diff {
    let mut diff = Diff::new();
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for key in keys {
        let from = before.get(key).cloned().unwrap_or(Value::Null);
        let to = after.get(key).cloned().unwrap_or(Value::Null);
        if from != to {
            diff.insert(format!("{prefix}{key}"), Change { from, to });
        }
    }
    diff
}

/// A materialized path as text: the ids from the root down, each in simple hex form, joined by
/// '.' (a valid ltree label sequence).
pub fn format_path(path: &[uuid::Uuid]) -> String {
    let parts: Vec<String> = path.iter().map(|id| id.simple().to_string()).collect();
    parts.join(".")
}

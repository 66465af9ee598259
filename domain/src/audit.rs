//! What the audit trail needs of the domain: the names it may be asked about, and the state of a
//! stream folded from its stored events by the same `evolve` the write side uses.

use serde_json::Value;
use uuid::Uuid;

use crate::events::{evolve, Aggregate, Event, EvolveError, StreamType, SCHEMA_VERSION};

/// The aggregate kinds whose state as of a moment can be asked for.
pub const STATE_KINDS: &[StreamType] = &[
    StreamType::Product,
    StreamType::Category,
    StreamType::Family,
    StreamType::Brand,
    StreamType::PriceList,
    StreamType::Stock,
    StreamType::Order,
    StreamType::User,
    StreamType::Company,
];

/// A stream type by its stored name (`product`, `price_list`, …).
pub fn stream_type(name: &str) -> Option<StreamType> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

/// Every stream type's stored name.
pub fn stream_type_names() -> Vec<&'static str> {
    use StreamType as S;
    [
        S::Category,
        S::Brand,
        S::Family,
        S::Product,
        S::Synonyms,
        S::User,
        S::Company,
        S::ProductTerms,
        S::PriceList,
        S::Stock,
        S::Cart,
        S::Order,
        S::Media,
    ]
    .iter()
    .map(|t| t.as_str())
    .collect()
}

/// Whether `name` is the stored type name of an event of this domain.
pub fn is_event_type(name: &str) -> bool {
    event_type_names().iter().any(|known| known == name)
}

/// Every event type's stored name, in the order the event enum declares them. The enum itself is
/// asked — serde's refusal of an unknown tag lists every variant — so that no second list can
/// fall behind.
pub fn event_type_names() -> Vec<String> {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES
        .get_or_init(|| {
            let refused = Event::from_stored("\u{1}", SCHEMA_VERSION, &Value::Object(serde_json::Map::new()));
            let message = match refused {
                Err(EvolveError(message)) => message,
                Ok(_) => String::new(),
            };
            let listed = message.split_once("expected one of ").map_or("", |(_, rest)| rest);
            listed
                .split(", ")
                .map(|name| name.trim_matches(|c: char| c == '`' || c.is_whitespace()).to_owned())
                .filter(|n| !n.is_empty())
                .collect()
        })
        .clone()
}

/// One stored event as folding needs it.
#[derive(Clone, Copy, Debug)]
pub struct Stored<'a> {
    pub event_type: &'a str,
    pub schema_version: i16,
    pub payload: &'a Value,
}

/// The state of stream `stream_id` after `events` (its prefix, in version order): `None` for no
/// events. An event this build cannot read is an error naming it.
pub fn fold_stored<'a>(
    stream_id: Uuid,
    events: impl IntoIterator<Item = Stored<'a>>,
) -> Result<Option<Aggregate>, EvolveError> {
    events.into_iter().try_fold(None, |state, stored| {
        let event = Event::from_stored(stored.event_type, stored.schema_version, stored.payload)?;
        evolve(state, stream_id, &event).map(Some)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    #[test]
    fn event_and_stream_type_names_are_known_by_the_domain_itself() {
        assert!(is_event_type("ProductCreated") && is_event_type("CategoryRetired") && is_event_type("OrderPlaced"));
        assert!(!is_event_type("ProductDeleted") && !is_event_type(""));
        assert_eq!(stream_type("price_list"), Some(StreamType::PriceList));
        assert_eq!(stream_type("widget"), None);
        assert!(stream_type_names().iter().all(|name| stream_type(name).is_some()));
        let names = event_type_names();
        assert!(
            names.len() > 40 && names.iter().all(|name| name.chars().all(|c| c.is_ascii_alphanumeric())),
            "{names:?}"
        );
        assert_eq!(names.first().map(String::as_str), Some("CategoryCreated"));
    }

    #[test]
    fn a_stored_prefix_folds_into_the_state_it_had_then() {
        let id = Uuid::from_u128(7);
        let created = json!({"name": "Acme"});
        let renamed = json!({"name": {"from": "Acme", "to": "Acme Tools"}});
        let events = [
            Stored { event_type: "BrandCreated", schema_version: SCHEMA_VERSION, payload: &created },
            Stored { event_type: "BrandRenamed", schema_version: SCHEMA_VERSION, payload: &renamed },
        ];
        let name = |state: Option<Aggregate>| match state {
            Some(Aggregate::Brand(brand)) => brand.name,
            other => panic!("{other:?}"),
        };
        assert_eq!(name(fold_stored(id, events[..1].iter().copied()).unwrap()), "Acme");
        assert_eq!(name(fold_stored(id, events.iter().copied()).unwrap()), "Acme Tools");
        assert_eq!(fold_stored(id, []).unwrap(), None);
    }
}

//! Synonym sets: phrases buyers use for one another ("SS" ↔ "stainless steel", "A4" ↔ "316
//! stainless"), defined by admins and applied to search queries. A query that holds any phrase of
//! a set also finds the products that hold another of its phrases.
//!
//! Phrases are compared by their search terms (`crate::search::terms`), so "Stainless-Steel" and
//! "stainless steel" are one phrase, and a phrase matches a query wherever the query's terms hold
//! it in order.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, FieldError, Problems};
use crate::events::{not_applicable, Event, EvolveError, NewEvent, StreamType};
use crate::names::parse_name;
use crate::search::terms;

pub const PHRASES_MIN: usize = 2;
pub const PHRASES_MAX: usize = 20;
pub const PHRASE_MAX: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynonymSet {
    pub id: Uuid,
    pub phrases: Vec<String>,
    pub removed: bool,
}

impl SynonymSet {
    /// Each phrase's search terms, in the set's order.
    pub fn terms(&self) -> Vec<Vec<String>> {
        self.phrases.iter().map(|p| terms(p)).collect()
    }
}

/// Defines a set, or replaces a set's phrases (a removed set is defined anew). Phrases as they
/// stand are no change.
pub fn define(current: Option<&SynonymSet>, id: Uuid, phrases: &[String]) -> Result<Vec<NewEvent>, DomainError> {
    let phrases = check(phrases)?;
    if current.is_some_and(|set| !set.removed && set.phrases == phrases) {
        return Ok(Vec::new());
    }
    Ok(vec![NewEvent { stream_id: id, stream_type: StreamType::Synonyms, event: Event::SynonymsDefined { phrases } }])
}

pub fn remove(current: &SynonymSet) -> Result<Vec<NewEvent>, DomainError> {
    if current.removed {
        return Err(DomainError::not_found("synonym set", current.id));
    }
    Ok(vec![NewEvent { stream_id: current.id, stream_type: StreamType::Synonyms, event: Event::SynonymsRemoved {} }])
}

/// Two to `PHRASES_MAX` phrases, each with search terms, no two alike.
fn check(phrases: &[String]) -> Result<Vec<String>, DomainError> {
    let mut problems = Problems::default();
    if !(PHRASES_MIN..=PHRASES_MAX).contains(&phrases.len()) {
        problems.push(FieldError::new(
            "phrases",
            "phrase_count",
            format!("a synonym set holds 2 to {PHRASES_MAX} phrases; {} given", phrases.len()),
        ));
    }
    let mut kept: Vec<String> = Vec::new();
    let mut seen: Vec<Vec<String>> = Vec::new();
    for (i, phrase) in phrases.iter().enumerate() {
        let field = format!("phrases[{i}]");
        let Some(phrase) = problems.check(parse_name(&field, phrase, PHRASE_MAX)) else { continue };
        let found = terms(&phrase);
        if found.is_empty() {
            problems.push(FieldError::new(&field, "no_terms", format!("{phrase:?} holds no searchable word or value")));
        } else if seen.contains(&found) {
            problems.push(FieldError::new(&field, "duplicate", format!("{phrase:?} is the same phrase as another")));
        } else {
            seen.push(found);
            kept.push(phrase);
        }
    }
    problems.finish()?;
    Ok(kept)
}

/// A synonym set's own events, folded. A removed set may be defined anew.
impl SynonymSet {
    pub(crate) fn defined(id: Uuid, phrases: &[String]) -> SynonymSet {
        SynonymSet { id, phrases: phrases.to_vec(), removed: false }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<SynonymSet, EvolveError> {
        match event {
            Event::SynonymsDefined { phrases } => return Ok(SynonymSet::defined(self.id, phrases)),
            Event::SynonymsRemoved {} => self.removed = true,
            other => return Err(not_applicable(other, StreamType::Synonyms.as_str())),
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn phrases(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| (*p).to_owned()).collect()
    }

    fn codes(error: DomainError) -> Vec<(String, String)> {
        match error {
            DomainError::Invalid(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_set_is_defined_once_and_redefining_it_unchanged_is_no_event() {
        let id = Uuid::from_u128(7);
        let events = define(None, id, &phrases(&["SS", " stainless steel "])).unwrap();
        assert_eq!(events[0].event, Event::SynonymsDefined { phrases: phrases(&["SS", "stainless steel"]) });
        let set = SynonymSet { id, phrases: phrases(&["SS", "stainless steel"]), removed: false };
        assert!(define(Some(&set), id, &phrases(&["SS", "stainless steel"])).unwrap().is_empty());
        assert_eq!(define(Some(&set), id, &phrases(&["SS", "inox"])).unwrap().len(), 1);
        assert_eq!(set.terms(), [vec!["ss".to_owned()], vec!["stainless".to_owned(), "steel".to_owned()]]);
    }

    #[test]
    fn phrases_must_be_words_and_differ_by_their_terms() {
        assert_eq!(
            codes(define(None, Uuid::nil(), &phrases(&["SS"])).unwrap_err()),
            [("phrases".into(), "phrase_count".into())]
        );
        assert_eq!(
            codes(define(None, Uuid::nil(), &phrases(&["Stainless-Steel", "stainless steel", "--", ""])).unwrap_err()),
            [
                ("phrases[1]".into(), "duplicate".into()),
                ("phrases[2]".into(), "no_terms".into()),
                ("phrases[3]".into(), "invalid_name".into())
            ]
        );
    }

    #[test]
    fn a_removed_set_cannot_be_removed_again_but_can_be_defined_anew() {
        let set = SynonymSet { id: Uuid::nil(), phrases: phrases(&["A4", "316 stainless"]), removed: true };
        assert!(matches!(remove(&set), Err(DomainError::NotFound { .. })));
        assert_eq!(define(Some(&set), set.id, &set.phrases).unwrap().len(), 1);
    }
}

//! A buyer's query: its text checked against the bounds every search and suggestion keeps, and
//! cut into the normalizer's terms once.
//!
//! The bounds keep a request's work in proportion to what a person types: 512 characters is a
//! long pasted product title several times over, and 32 terms are more than any real query holds
//! ("M12x1.75 A4 hex bolt DIN 933" is seven), while every term costs a lookup, a typo correction
//! and a ranking pass. A query over them is refused (422) before any of that work is done.

use super::terms;
use crate::error::FieldError;

/// The longest query, in characters.
pub const QUERY_MAX_CHARS: usize = 512;
/// The most distinct terms a query may hold.
pub const QUERY_MAX_TERMS: usize = 32;

/// A query within the bounds, with its terms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchQuery {
    text: String,
    terms: Vec<String>,
}

impl SearchQuery {
    /// Checks `text`, the value of the parameter `field`: at most `QUERY_MAX_CHARS` characters
    /// and `QUERY_MAX_TERMS` terms.
    pub fn parse(field: &str, text: &str) -> Result<SearchQuery, FieldError> {
        // Four bytes are at most one character: a longer text is not even counted.
        let chars = if text.len() > 4 * QUERY_MAX_CHARS { None } else { Some(text.chars().count()) };
        if chars.is_none_or(|n| n > QUERY_MAX_CHARS) {
            let length = chars.map_or_else(|| format!("{} bytes", text.len()), |n| format!("{n} characters"));
            return Err(FieldError::new(
                field,
                "query_too_long",
                format!("{field} is {length} long; a query is at most {QUERY_MAX_CHARS} characters"),
            ));
        }
        let terms = terms(text);
        if terms.len() > QUERY_MAX_TERMS {
            return Err(FieldError::new(
                field,
                "too_many_terms",
                format!(
                    "{field} holds {} search terms; a query is at most {QUERY_MAX_TERMS} (a thread such as M12x1.75 \
                     or a hyphenated code such as 6205-2RS counts as two)",
                    terms.len()
                ),
            ));
        }
        Ok(SearchQuery { text: text.to_owned(), terms })
    }

    /// The text as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::search::MAX_TERM_BYTES;

    #[test]
    fn a_query_at_the_bounds_is_taken_and_one_beyond_them_refused_naming_the_bound() {
        let words: Vec<String> = (0..QUERY_MAX_TERMS).map(|i| format!("w{i}")).collect();
        assert_eq!(SearchQuery::parse("q", &words.join(" ")).unwrap().terms().len(), QUERY_MAX_TERMS);
        let more = format!("{} extra", words.join(" "));
        let refused = SearchQuery::parse("q", &more).unwrap_err();
        assert_eq!((refused.field.as_str(), refused.code.as_str()), ("q", "too_many_terms"));
        assert!(refused.message.contains("at most 32"), "{}", refused.message);

        // Characters, not bytes: 512 four-byte letters are a query.
        assert!(SearchQuery::parse("q", &"𠀀".repeat(QUERY_MAX_CHARS)).is_ok());
        let refused = SearchQuery::parse("q", &"a".repeat(QUERY_MAX_CHARS + 1)).unwrap_err();
        assert_eq!(refused.code, "query_too_long");
        assert!(refused.message.contains("513 characters") && refused.message.contains("at most 512"));
        let refused = SearchQuery::parse("q", &"a".repeat(60_000)).unwrap_err();
        assert!(refused.message.contains("60000 bytes"), "{}", refused.message);
    }

    #[test]
    fn repeated_words_count_once_and_a_word_folded_beyond_the_term_limit_is_cut() {
        assert_eq!(SearchQuery::parse("q", &"bolt ".repeat(100)).unwrap().terms(), ["bolt"]);
        // "㌀" folds to four letters of three bytes: 512 of them to 6 KB.
        let long = SearchQuery::parse("q", &"㌀".repeat(QUERY_MAX_CHARS)).unwrap();
        let [term] = long.terms() else { panic!("{:?}", long.terms()) };
        assert!(term.len() <= MAX_TERM_BYTES && term.len() > MAX_TERM_BYTES - 4, "{}", term.len());
    }
}

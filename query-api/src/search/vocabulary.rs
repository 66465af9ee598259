//! What a query's words are matched against besides the products themselves: the admins' synonym
//! sets and the catalog's lexicon, which corrects a mistyped word.
//!
//! - Synonyms: wherever the query's terms hold a phrase of a set in order, that part of the query
//!   may be found as any phrase of the set ("ss" finds "stainless steel"; "316 stainless" finds
//!   "A4"). The longest phrase wins where phrases overlap.
//! - Typos: a word of five letters or more that no product, family, brand or category holds is
//!   also searched as the nearest word the catalog does hold (one edit for words up to seven
//!   letters, two beyond; a swap of two letters is one edit). Never for codes or numbers: only
//!   words of letters alone are corrected.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::PgPool;

use super::snapshots::Snapshots;
use super::Group;

pub type VocabularyCache = Snapshots<(), Vocabulary>;

#[derive(Debug, Default)]
pub struct Vocabulary {
    /// Each set's phrases, each phrase as its terms.
    synonyms: Vec<Vec<Vec<String>>>,
    words: HashSet<String>,
}

/// The vocabulary as of at least `wanted` (see `Snapshots::get`).
pub async fn vocabulary(
    cache: &VocabularyCache,
    read: &PgPool,
    wanted: i64,
    position: i64,
) -> Result<Arc<Vocabulary>, sqlx::Error> {
    cache.get((), wanted, position, || load(read)).await
}

async fn load(read: &PgPool) -> Result<Vocabulary, sqlx::Error> {
    let sets: Vec<sqlx::types::Json<Vec<Vec<String>>>> =
        sqlx::query_scalar("SELECT terms FROM catalog.synonyms WHERE NOT removed ORDER BY position")
            .fetch_all(read)
            .await?;
    let words: Vec<String> = sqlx::query_scalar("SELECT term FROM catalog.lexicon").fetch_all(read).await?;
    Ok(Vocabulary::new(sets.into_iter().map(|s| s.0).collect(), words))
}

/// Words shorter than this are never corrected.
const CORRECTED_FROM: usize = 5;

impl Vocabulary {
    pub fn new(synonyms: Vec<Vec<Vec<String>>>, words: impl IntoIterator<Item = String>) -> Self {
        Vocabulary { synonyms, words: words.into_iter().collect() }
    }

    /// The query's terms as groups: synonym phrases joined into one group with every phrase of
    /// their sets as alternatives, mistyped words with their correction as an alternative.
    pub fn groups(&self, terms: &[String]) -> Vec<Group> {
        let mut groups = Vec::new();
        let mut i = 0;
        while i < terms.len() {
            let (length, alternatives) = self.phrase_at(&terms[i..]);
            if length > 0 {
                groups.push(Group { text: terms[i..i + length].join(" "), alternatives, corrected: None });
                i += length;
                continue;
            }
            let term = &terms[i];
            let corrected = self.correction(term);
            let mut alternatives = vec![vec![term.clone()]];
            if let Some(word) = &corrected {
                alternatives.push(vec![word.clone()]);
            }
            groups.push(Group { text: term.clone(), alternatives, corrected });
            i += 1;
        }
        groups
    }

    /// The longest phrase of any set that `terms` starts with (0 if none), and the phrases of
    /// every set holding it.
    fn phrase_at(&self, terms: &[String]) -> (usize, Vec<Vec<String>>) {
        let mut length = 0;
        let mut alternatives: Vec<Vec<String>> = Vec::new();
        for set in &self.synonyms {
            let Some(n) = set
                .iter()
                .map(Vec::len)
                .filter(|n| *n > 0 && *n <= terms.len())
                .filter(|n| set.iter().any(|phrase| phrase.len() == *n && phrase[..] == terms[..*n]))
                .max()
            else {
                continue;
            };
            if n > length {
                length = n;
                alternatives.clear();
            }
            if n == length {
                for phrase in set {
                    if !alternatives.contains(phrase) {
                        alternatives.push(phrase.clone());
                    }
                }
            }
        }
        (length, alternatives)
    }

    /// The catalog's nearest word to a mistyped one, if it is a word the catalog lacks.
    fn correction(&self, term: &str) -> Option<String> {
        let letters = term.chars().count();
        if letters < CORRECTED_FROM || !term.chars().all(char::is_alphabetic) || self.words.contains(term) {
            return None;
        }
        let allowed = if letters <= 7 { 1 } else { 2 };
        self.words
            .iter()
            .filter(|word| word.chars().count().abs_diff(letters) <= allowed)
            .map(|word| (strsim::damerau_levenshtein(term, word), word))
            .filter(|(distance, _)| *distance <= allowed)
            .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
            .map(|(_, word)| word.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        domain::search::terms(text)
    }

    fn vocabulary() -> Vocabulary {
        let sets = [["SS", "stainless steel"].as_slice(), ["A4", "316 stainless"].as_slice()];
        Vocabulary::new(
            sets.iter().map(|set| set.iter().map(|p| terms(p)).collect()).collect(),
            ["stainless", "steel", "bearing", "motor", "hexagon", "washers"].map(str::to_owned),
        )
    }

    fn alternatives(groups: &[Group]) -> Vec<Vec<Vec<String>>> {
        groups.iter().map(|g| g.alternatives.clone()).collect()
    }

    #[test]
    fn a_phrase_of_a_set_is_found_as_any_phrase_of_it() {
        let v = vocabulary();
        let groups = v.groups(&terms("M12 SS"));
        assert_eq!(alternatives(&groups)[1], [terms("SS"), terms("stainless steel")]);
        let groups = v.groups(&terms("stainless steel bolt"));
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].text, "stainless steel");
        assert_eq!(alternatives(&groups)[0], [terms("SS"), terms("stainless steel")]);
        // "316 stainless" is longer than "stainless" alone would be.
        assert_eq!(alternatives(&v.groups(&terms("316 stainless")))[0], [terms("A4"), terms("316 stainless")]);
    }

    #[test]
    fn long_mistyped_words_are_corrected_but_never_codes_numbers_or_short_words() {
        let v = vocabulary();
        let corrected = |text: &str| v.groups(&terms(text)).into_iter().map(|g| g.corrected).collect::<Vec<_>>();
        assert_eq!(corrected("stianless"), [Some("stainless".to_owned())]);
        assert_eq!(corrected("bearng"), [Some("bearing".to_owned())]);
        assert_eq!(corrected("hexagno"), [Some("hexagon".to_owned())]);
        // Known words, short words, codes and numbers stay as they are.
        assert_eq!(corrected("motor motr 6205x 12345 m12x1.75"), vec![None::<String>; 6]);
        // Too far off.
        assert_eq!(corrected("bxxring"), [None]);
    }
}

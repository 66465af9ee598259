//! What a search finds, worked out on the in-memory index: the matches (exactly counted), the
//! ranked candidates of the page, and the facets over every match.
//!
//! Ranking is bounded: at most `CANDIDATES` products of each tier are scored (every term in the
//! name or SKU; the spec values the query names held by the specs; every match; in a partial
//! match, all terms but one), taken in the index's order, which is name order. Counting and
//! facets are set operations over every match, whatever their number.

use std::borrow::Borrow;
use std::cmp::Ordering;

use roaring::RoaringBitmap;
use uuid::Uuid;

use super::index::{Field, Index, FIELDS};
use super::params::{Condition, Filter};
use super::schema::Filterables;
use super::{Group, CANDIDATES};

/// Added to the score of a product whose specs hold every value the query names ("24V",
/// "M12"); scores are otherwise below 1 (all terms matched) or the number of groups matched.
const SPEC_BOOST: f64 = 1.0;
/// Values listed per facet, most frequent first.
pub const FACET_VALUES: usize = 50;

/// A search as the index answers it.
pub struct Query<'a> {
    pub groups: &'a [Group],
    /// The categories of the scope's subtree; none: everywhere.
    pub scope: Option<&'a [Uuid]>,
    pub filters: &'a [Filter],
    pub attributes: &'a Filterables,
    pub offset: usize,
    pub limit: usize,
}

/// How the matches were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matched {
    /// No query: browsing.
    Browse,
    /// Every term matched.
    All,
    /// No product matched every term: these match some.
    Partial,
    None,
}

pub struct Found {
    pub matched: Matched,
    pub total: u64,
    /// The page: product ids with their scores (none when browsing), in order.
    pub page: Vec<(Uuid, Option<f64>)>,
    /// Groups no product in scope matches (partial matches only).
    pub absent: Vec<String>,
    /// Per select key, its values and their counts, most frequent first.
    pub facets: Vec<(String, Vec<(String, u64)>)>,
    /// Per number key, the least and greatest value in its base unit.
    pub ranges: Vec<(String, (f64, f64))>,
}

pub fn find(index: &Index, query: &Query<'_>) -> Found {
    let mut scope = match query.scope {
        Some(categories) => index.in_categories(categories),
        None => index.live().clone(),
    };
    scope &= index.live();
    let filtered: Vec<(&str, RoaringBitmap)> = query
        .filters
        .iter()
        .map(|filter| {
            let docs = match &filter.condition {
                Condition::OneOf(entries) => index.any_entry(entries),
                Condition::Between { min, max } => index.between(&filter.key, *min, *max),
            };
            (filter.key.as_str(), docs)
        })
        .collect();
    // Within the scope and every filter except the one on `except`.
    let narrowed = |except: Option<&str>| {
        filtered.iter().filter(|(key, _)| Some(*key) != except).fold(scope.clone(), |all, (_, docs)| all & docs)
    };
    let base = narrowed(None);

    let groups: Vec<RoaringBitmap> = query.groups.iter().map(|g| group_docs(index, g, None)).collect();
    let every = intersection(groups.iter());
    let every_matched = &every & &base;
    // How the matches were found, the set the facets are counted over before the filters apply
    // (none when browsing), the matches, and the tiers of candidates besides them.
    let (matched, text, matches, tiers) = if query.groups.is_empty() {
        (Matched::Browse, None, base.clone(), Vec::new())
    } else if !every_matched.is_empty() || query.groups.len() == 1 {
        let in_names = intersection(query.groups.iter().map(|g| group_docs(index, g, Some(Field::Name))));
        let mut tiers = vec![in_names & &every_matched];
        let values: Vec<&Group> = query.groups.iter().filter(|g| g.is_value()).collect();
        if !values.is_empty() {
            let held = intersection(values.iter().map(|g| group_docs(index, g, Some(Field::Spec))));
            tiers.push(held & &every_matched);
        }
        let matched = if every_matched.is_empty() { Matched::None } else { Matched::All };
        (matched, Some(every), every_matched, tiers)
    } else {
        let any = groups.iter().fold(RoaringBitmap::new(), |all, docs| all | docs);
        let tiers: Vec<RoaringBitmap> = (0..groups.len())
            .map(|skip| {
                let rest = groups.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, docs)| docs);
                intersection(rest) & &base
            })
            .collect();
        let matches = &any & &base;
        (Matched::Partial, Some(any), matches, tiers)
    };

    let mut candidates: Vec<u32> =
        tiers.iter().chain([&matches]).flat_map(|tier| tier.iter().take(CANDIDATES)).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut scored: Vec<(u32, Option<f64>)> = candidates
        .into_iter()
        .map(|doc| {
            let score = match matched {
                Matched::Browse => None,
                Matched::Partial => Some(partial_score(index, doc, query.groups, &groups)),
                Matched::All | Matched::None => Some(score(index, doc, query.groups)),
            };
            (doc, score)
        })
        .collect();
    scored.sort_by(|a, b| {
        let by_score = b.1.partial_cmp(&a.1).unwrap_or(Ordering::Equal);
        by_score.then_with(|| index.name(a.0).cmp(index.name(b.0))).then_with(|| index.id(a.0).cmp(&index.id(b.0)))
    });
    let page =
        scored.iter().skip(query.offset).take(query.limit).map(|(doc, score)| (index.id(*doc), *score)).collect();

    let absent = match matched {
        Matched::Partial => query
            .groups
            .iter()
            .zip(&groups)
            .filter(|(_, docs)| docs.is_disjoint(&base))
            .map(|(group, _)| group.text.clone())
            .collect(),
        _ => Vec::new(),
    };

    // Facets: each key over the matches of the other filters, so a filter's own facet still
    // shows its alternatives.
    let mut facets = Vec::new();
    let mut ranges = Vec::new();
    for attribute in query.attributes.iter() {
        let key = attribute.key.as_str();
        let own;
        let within = if filtered.iter().any(|(k, _)| *k == key) {
            own = match &text {
                Some(text) => text & narrowed(Some(key)),
                None => narrowed(Some(key)),
            };
            &own
        } else {
            &matches
        };
        if attribute.is_range() {
            if let Some(bounds) = index.bounds(key, within) {
                ranges.push((key.to_owned(), bounds));
            }
        } else {
            let mut values = index.value_counts(key, within);
            values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            values.truncate(FACET_VALUES);
            if !values.is_empty() {
                facets.push((key.to_owned(), values.into_iter().map(|(v, n)| (v.to_owned(), n)).collect()));
            }
        }
    }
    Found { matched, total: matches.len(), page, absent, facets, ranges }
}

fn intersection<I>(sets: I) -> RoaringBitmap
where
    I: IntoIterator,
    I::Item: Borrow<RoaringBitmap>,
{
    let mut sets = sets.into_iter();
    let Some(first) = sets.next() else { return RoaringBitmap::new() };
    sets.fold(first.borrow().clone(), |all, docs| all & docs.borrow())
}

/// The products a group matches (any of its alternatives, each with every term), in one field
/// or in any.
fn group_docs(index: &Index, group: &Group, field: Option<Field>) -> RoaringBitmap {
    group
        .alternatives
        .iter()
        .fold(RoaringBitmap::new(), |all, terms| all | intersection(terms.iter().map(|term| index.term(term, field))))
}

/// How well a product matches a group: the weight of the field each term is found in (the best
/// one), the weakest term of the best alternative deciding; 0 when it does not match.
fn group_weight(index: &Index, doc: u32, group: &Group) -> f64 {
    group
        .alternatives
        .iter()
        .map(|terms| {
            terms
                .iter()
                .map(|term| {
                    FIELDS.iter().find(|field| index.holds(doc, term, **field)).map_or(0.0, |field| field.weight())
                })
                .fold(f64::INFINITY, f64::min)
        })
        .filter(|weight| weight.is_finite())
        .fold(0.0, f64::max)
}

/// Weights summed and scaled into [0, 1) as `ts_rank`'s normalization 32 does, plus the boost
/// when the specs hold every value the query names.
fn score(index: &Index, doc: u32, groups: &[Group]) -> f64 {
    let rank: f64 = groups.iter().map(|group| group_weight(index, doc, group)).sum();
    let values: Vec<&Group> = groups.iter().filter(|g| g.is_value()).collect();
    let boosted = !values.is_empty() && values.iter().all(|group| holds_in_specs(index, doc, group));
    rank / (rank + 1.0) + if boosted { SPEC_BOOST } else { 0.0 }
}

fn holds_in_specs(index: &Index, doc: u32, group: &Group) -> bool {
    group.alternatives.iter().any(|terms| terms.iter().all(|term| index.holds(doc, term, Field::Spec)))
}

/// A partial match: first the number of groups matched, then how well.
fn partial_score(index: &Index, doc: u32, groups: &[Group], docs: &[RoaringBitmap]) -> f64 {
    let matched = docs.iter().filter(|d| d.contains(doc)).count() as f64;
    let rank: f64 = groups.iter().map(|group| group_weight(index, doc, group)).sum();
    matched + rank / (rank + 1.0)
}

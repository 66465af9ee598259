//! The search index the query API keeps in memory: for each search term and each facet entry, the
//! set of products holding it, as compressed bitmaps over dense document numbers.
//!
//! PostgreSQL's GIN indexes find the products matching a query, but counting every match, or
//! every facet value over every match, means visiting them all: at a million products a broad
//! filtered query spent most of its time building and intersecting bitmaps of hundreds of
//! thousands of heap rows before any `LIMIT` applied. Here those operations are set operations on
//! roaring bitmaps, microseconds per container, so totals and facet counts are exact over every
//! match and cost far less than the rows would. Only the products shown are read from the database.
//!
//! The index follows the read model (`follow`): it is built from `catalog.products` and then
//! applies the rows the projector changed after the checkpoint it last saw.

pub mod follow;

use std::collections::{BTreeMap, HashMap};

use roaring::RoaringBitmap;
use uuid::Uuid;

/// Where a term was found, in ranking order: name and SKU, family, brand, searchable specs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name = 0,
    Family = 1,
    Brand = 2,
    Spec = 3,
}

pub const FIELDS: [Field; 4] = [Field::Name, Field::Family, Field::Brand, Field::Spec];

impl Field {
    /// PostgreSQL's default weights for A, B, C and D, which the read model's vectors carry.
    pub fn weight(self) -> f64 {
        match self {
            Field::Name => 1.0,
            Field::Family => 0.4,
            Field::Brand => 0.2,
            Field::Spec => 0.1,
        }
    }
}

/// A product as the index takes it: the read model's row.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub category: Option<Uuid>,
    pub retired: bool,
    /// Its terms per field, in `FIELDS` order.
    pub terms: [Vec<String>; 4],
    /// Its facet entries: `key=value`, or `key#number` for a number in its base unit.
    pub facets: Vec<String>,
}

/// A number as a key that orders (facet numbers are never NaN: they are parsed from the read
/// model's entries, which hold finite values).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Num(f64);

impl Eq for Num {}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

const NO_CATEGORY: u32 = u32::MAX;

/// Sets of at most this many products are counted product by product (their entries read from
/// the documents); larger ones value by value, with bitmap intersections.
const SCAN_BELOW: u64 = 4_096;

/// What a facet entry holds.
enum Kind {
    Value(Box<str>),
    Number(f64),
    Other,
}

struct Doc {
    id: Uuid,
    name: Box<str>,
    category: u32,
    /// Its terms, each `term << 2 | field`, to take it out of their bitmaps when it changes.
    postings: Box<[u32]>,
    entries: Box<[u32]>,
}

/// Values interned to dense numbers, each with its bitmap of documents.
struct Interned<K> {
    ids: HashMap<K, u32>,
}

impl<K: std::hash::Hash + Eq> Default for Interned<K> {
    fn default() -> Self {
        Interned { ids: HashMap::new() }
    }
}

#[derive(Default)]
pub struct Index {
    docs: Vec<Doc>,
    by_id: HashMap<Uuid, u32>,
    /// Products not retired.
    live: RoaringBitmap,
    term_ids: Interned<Box<str>>,
    terms: Vec<[RoaringBitmap; 4]>,
    entry_ids: Interned<Box<str>>,
    entries: Vec<RoaringBitmap>,
    /// Per key, the entries of its values (`key=value`), and of its numbers by value.
    values: HashMap<Box<str>, Vec<(Box<str>, u32)>>,
    numbers: HashMap<Box<str>, BTreeMap<Num, u32>>,
    /// Per key, the products holding any entry of it (a facet's values need not be looked at
    /// when none of a search's matches holds the key); per entry, its key.
    key_ids: Interned<Box<str>>,
    keyed: Vec<RoaringBitmap>,
    entry_keys: Vec<u32>,
    entry_kinds: Vec<Kind>,
    category_ids: Interned<Uuid>,
    categories: Vec<RoaringBitmap>,
}

impl Index {
    pub fn len(&self) -> u64 {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Adds a product, or replaces what the index held of it.
    pub fn upsert(&mut self, row: Row) {
        let doc = match self.by_id.get(&row.id) {
            Some(&doc) => {
                self.clear(doc);
                doc
            }
            None => {
                let doc = u32::try_from(self.docs.len()).unwrap_or(u32::MAX);
                self.docs.push(Doc {
                    id: row.id,
                    name: Box::from(""),
                    category: NO_CATEGORY,
                    postings: Box::new([]),
                    entries: Box::new([]),
                });
                self.by_id.insert(row.id, doc);
                doc
            }
        };
        let slot = doc as usize;
        self.docs[slot].name = row.name.into_boxed_str();
        if row.retired {
            // Found by nothing, as the read model's empty search vector says.
            return;
        }
        self.live.insert(doc);
        let mut postings = Vec::new();
        for (field, terms) in FIELDS.iter().zip(&row.terms) {
            for term in terms {
                let id = intern(&mut self.term_ids, term.as_str(), &mut self.terms);
                if self.terms[id as usize][*field as usize].insert(doc) {
                    postings.push(id << 2 | *field as u32);
                }
            }
        }
        let mut entries = Vec::with_capacity(row.facets.len());
        for entry in &row.facets {
            let known = self.entry_ids.ids.len();
            let id = intern(&mut self.entry_ids, entry.as_str(), &mut self.entries);
            if id as usize == known {
                self.describe(entry, id);
            }
            if self.entries[id as usize].insert(doc) {
                entries.push(id);
                self.keyed[self.entry_keys[id as usize] as usize].insert(doc);
            }
        }
        let category = match row.category {
            Some(category) => intern(&mut self.category_ids, &category, &mut self.categories),
            None => NO_CATEGORY,
        };
        if let Some(bitmap) = self.categories.get_mut(category as usize) {
            bitmap.insert(doc);
        }
        let slot = &mut self.docs[slot];
        slot.postings = postings.into_boxed_slice();
        slot.entries = entries.into_boxed_slice();
        slot.category = category;
    }

    /// Takes a document out of every bitmap that holds it.
    fn clear(&mut self, doc: u32) {
        let slot = &mut self.docs[doc as usize];
        let postings = std::mem::take(&mut slot.postings);
        let entries = std::mem::take(&mut slot.entries);
        let category = std::mem::replace(&mut slot.category, NO_CATEGORY);
        for posting in postings.iter() {
            self.terms[(posting >> 2) as usize][(posting & 3) as usize].remove(doc);
        }
        for entry in entries.iter() {
            self.entries[*entry as usize].remove(doc);
            self.keyed[self.entry_keys[*entry as usize] as usize].remove(doc);
        }
        if let Some(bitmap) = self.categories.get_mut(category as usize) {
            bitmap.remove(doc);
        }
        self.live.remove(doc);
    }

    /// Files a new entry under its key: a value, or a number.
    fn describe(&mut self, entry: &str, id: u32) {
        let at = entry.find(['=', '#']).unwrap_or(entry.len());
        let (key, rest) = entry.split_at(at);
        let key_id = intern(&mut self.key_ids, key, &mut self.keyed);
        self.entry_keys.push(key_id);
        let value = rest.get(1..).unwrap_or_default();
        let kind = if rest.starts_with('=') {
            self.values.entry(Box::from(key)).or_default().push((Box::from(value), id));
            Kind::Value(Box::from(value))
        } else {
            match value.parse::<f64>() {
                Ok(number) if rest.starts_with('#') && number.is_finite() => {
                    self.numbers.entry(Box::from(key)).or_default().insert(Num(number), id);
                    Kind::Number(number)
                }
                _ => Kind::Other,
            }
        };
        self.entry_kinds.push(kind);
    }

    /// The entries of `key` the products of a small set hold, each once per product.
    fn scan<'a, 'b>(
        &'a self,
        key: &str,
        within: &'b RoaringBitmap,
    ) -> impl Iterator<Item = (u32, &'a Kind)> + use<'a, 'b> {
        let key = self.key_ids.ids.get(key).copied();
        within.iter().flat_map(move |doc| {
            self.docs[doc as usize]
                .entries
                .iter()
                .filter(move |entry| Some(self.entry_keys[**entry as usize]) == key)
                .map(|entry| (*entry, &self.entry_kinds[*entry as usize]))
        })
    }

    pub fn live(&self) -> &RoaringBitmap {
        &self.live
    }

    /// The products holding a term, in one field or in any.
    pub fn term(&self, term: &str, field: Option<Field>) -> RoaringBitmap {
        let Some(&id) = self.term_ids.ids.get(term) else { return RoaringBitmap::new() };
        let fields = &self.terms[id as usize];
        match field {
            Some(field) => fields[field as usize].clone(),
            None => fields.iter().fold(RoaringBitmap::new(), |all, bitmap| all | bitmap),
        }
    }

    /// Whether a product holds a term in a field.
    pub fn holds(&self, doc: u32, term: &str, field: Field) -> bool {
        self.term_ids.ids.get(term).is_some_and(|&id| self.terms[id as usize][field as usize].contains(doc))
    }

    /// The products holding any of these facet entries.
    pub fn any_entry(&self, entries: &[String]) -> RoaringBitmap {
        entries
            .iter()
            .filter_map(|entry| self.entry_ids.ids.get(entry.as_str()))
            .fold(RoaringBitmap::new(), |all, &id| all | &self.entries[id as usize])
    }

    /// The products whose number under `key` lies within the bounds (inclusive; infinite bounds
    /// are open).
    pub fn between(&self, key: &str, min: f64, max: f64) -> RoaringBitmap {
        let Some(numbers) = self.numbers.get(key) else { return RoaringBitmap::new() };
        if min > max {
            return RoaringBitmap::new();
        }
        numbers.range(Num(min)..=Num(max)).fold(RoaringBitmap::new(), |all, (_, &id)| all | &self.entries[id as usize])
    }

    /// The products in these categories.
    pub fn in_categories(&self, categories: &[Uuid]) -> RoaringBitmap {
        categories
            .iter()
            .filter_map(|category| self.category_ids.ids.get(category))
            .fold(RoaringBitmap::new(), |all, &id| all | &self.categories[id as usize])
    }

    /// How many of `within` hold each value of `key`, the values none holds left out.
    pub fn value_counts(&self, key: &str, within: &RoaringBitmap) -> Vec<(&str, u64)> {
        if within.len() <= SCAN_BELOW {
            let mut counts: HashMap<u32, (&str, u64)> = HashMap::new();
            for (entry, kind) in self.scan(key, within) {
                if let Kind::Value(value) = kind {
                    counts.entry(entry).or_insert((value, 0)).1 += 1;
                }
            }
            return counts.into_values().collect();
        }
        let Some(values) = self.values.get(key).filter(|_| self.held(key, within)) else { return Vec::new() };
        values
            .iter()
            .map(|(value, id)| (&**value, self.entries[*id as usize].intersection_len(within)))
            .filter(|(_, count)| *count > 0)
            .collect()
    }

    /// The least and greatest number under `key` among `within`.
    pub fn bounds(&self, key: &str, within: &RoaringBitmap) -> Option<(f64, f64)> {
        if within.len() <= SCAN_BELOW {
            return self.scan(key, within).fold(None, |bounds, (_, kind)| match (bounds, kind) {
                (None, Kind::Number(n)) => Some((*n, *n)),
                (Some((min, max)), Kind::Number(n)) => Some((n.min(min), n.max(max))),
                (bounds, _) => bounds,
            });
        }
        let numbers = self.numbers.get(key).filter(|_| self.held(key, within))?;
        let held = |(_, id): &(&Num, &u32)| !self.entries[**id as usize].is_disjoint(within);
        let min = numbers.iter().find(held)?.0 .0;
        let max = numbers.iter().rev().find(held)?.0 .0;
        Some((min, max))
    }

    /// Whether any of `within` holds an entry of `key`.
    fn held(&self, key: &str, within: &RoaringBitmap) -> bool {
        self.key_ids.ids.get(key).is_some_and(|&id| !self.keyed[id as usize].is_disjoint(within))
    }

    pub fn id(&self, doc: u32) -> Uuid {
        self.docs[doc as usize].id
    }

    pub fn name(&self, doc: u32) -> &str {
        &self.docs[doc as usize].name
    }
}

/// The dense number of `key`, adding it (and an empty bitmap for it) when new.
fn intern<K, Q>(interned: &mut Interned<K>, key: &Q, bitmaps: &mut Vec<impl Default>) -> u32
where
    K: std::hash::Hash + Eq + std::borrow::Borrow<Q>,
    Q: std::hash::Hash + Eq + ToOwnedKey<K> + ?Sized,
{
    if let Some(&id) = interned.ids.get(key) {
        return id;
    }
    let id = u32::try_from(bitmaps.len()).unwrap_or(u32::MAX);
    bitmaps.push(Default::default());
    interned.ids.insert(key.to_owned_key(), id);
    id
}

/// The owned form a borrowed key is interned as.
trait ToOwnedKey<K> {
    fn to_owned_key(&self) -> K;
}

impl ToOwnedKey<Box<str>> for str {
    fn to_owned_key(&self) -> Box<str> {
        Box::from(self)
    }
}

impl ToOwnedKey<Uuid> for Uuid {
    fn to_owned_key(&self) -> Uuid {
        *self
    }
}

#[cfg(test)]
mod tests;

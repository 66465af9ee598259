use proptest::prelude::*;
use roaring::RoaringBitmap;
use uuid::Uuid;

use super::{Field, Index, Row};

fn product(n: u128, name: &str, category: Uuid, name_terms: &[&str], specs: &[&str], facets: &[&str]) -> Row {
    Row {
        id: Uuid::from_u128(n),
        name: name.into(),
        category: Some(category),
        retired: false,
        terms: [
            name_terms.iter().map(|t| t.to_string()).collect(),
            Vec::new(),
            Vec::new(),
            specs.iter().map(|t| t.to_string()).collect(),
        ],
        facets: facets.iter().map(|t| t.to_string()).collect(),
    }
}

fn docs(index: &Index, set: &RoaringBitmap) -> Vec<u128> {
    let mut ids: Vec<u128> = set.iter().map(|d| index.id(d).as_u128()).collect();
    ids.sort();
    ids
}

const BOLTS: Uuid = Uuid::from_u128(100);
const MOTORS: Uuid = Uuid::from_u128(200);

fn catalog() -> Index {
    let mut index = Index::default();
    index.upsert(product(
        1,
        "Hex bolt M12",
        BOLTS,
        &["hex", "bolt", "m12"],
        &["m12", "stainless"],
        &["thread_size=M12", "material=stainless", "length#0.05"],
    ));
    index.upsert(product(
        2,
        "Hex bolt M8",
        BOLTS,
        &["hex", "bolt", "m8"],
        &["m8", "steel"],
        &["thread_size=M8", "material=steel", "length#0.03"],
    ));
    index.upsert(product(3, "Gear motor", MOTORS, &["gear", "motor"], &["24v"], &["voltage#24"]));
    index
}

#[test]
fn terms_are_found_in_the_field_they_were_given_in() {
    let index = catalog();
    assert_eq!(docs(&index, &index.term("m12", None)), vec![1]);
    assert_eq!(docs(&index, &index.term("stainless", Some(Field::Name))), Vec::<u128>::new());
    assert_eq!(docs(&index, &index.term("stainless", Some(Field::Spec))), vec![1]);
    assert!(index.holds(0, "hex", Field::Name) && !index.holds(0, "hex", Field::Spec));
    assert!(index.term("absent", None).is_empty());
}

#[test]
fn a_changed_product_leaves_the_bitmaps_of_what_it_no_longer_holds() {
    let mut index = catalog();
    index.upsert(product(2, "Hex bolt M10", MOTORS, &["hex", "bolt", "m10"], &["m10"], &["thread_size=M10"]));
    assert_eq!(docs(&index, &index.term("m8", None)), Vec::<u128>::new());
    assert_eq!(docs(&index, &index.term("m10", None)), vec![2]);
    assert_eq!(docs(&index, &index.any_entry(&["thread_size=M8".into()])), Vec::<u128>::new());
    assert_eq!(docs(&index, &index.in_categories(&[BOLTS])), vec![1]);
    assert_eq!(docs(&index, &index.in_categories(&[MOTORS])), vec![2, 3]);
    assert_eq!(index.len(), 3);
}

#[test]
fn a_retired_product_is_found_by_nothing() {
    let mut index = catalog();
    let mut retired = product(1, "Hex bolt M12", BOLTS, &["hex"], &[], &["thread_size=M12"]);
    retired.retired = true;
    index.upsert(retired);
    assert_eq!(docs(&index, &index.term("hex", None)), vec![2]);
    assert_eq!(index.len(), 2);
    assert!(!index.live().contains(0));
}

#[test]
fn ranges_take_every_number_within_inclusive_bounds_and_bounds_are_per_set() {
    let index = catalog();
    assert_eq!(docs(&index, &index.between("length", 0.03, 0.05)), vec![1, 2]);
    assert_eq!(docs(&index, &index.between("length", f64::NEG_INFINITY, 0.04)), vec![2]);
    assert_eq!(docs(&index, &index.between("length", 0.06, 0.01)), Vec::<u128>::new());
    assert_eq!(index.bounds("length", index.live()), Some((0.03, 0.05)));
    let just_one: RoaringBitmap = [0u32].into_iter().collect();
    assert_eq!(index.bounds("length", &just_one), Some((0.05, 0.05)));
    assert_eq!(index.bounds("voltage", &just_one), None);
}

#[test]
fn value_counts_are_taken_within_a_set() {
    let index = catalog();
    let mut counts = index.value_counts("material", index.live());
    counts.sort();
    assert_eq!(counts, vec![("stainless", 1), ("steel", 1)]);
    let bolts_in_m12: RoaringBitmap = index.any_entry(&["thread_size=M12".into()]);
    assert_eq!(index.value_counts("material", &bolts_in_m12), vec![("stainless", 1)]);
}

proptest! {
    /// However products change, the index answers as one built from their last rows only.
    #[test]
    fn replacing_rows_equals_loading_the_last_ones(changes in prop::collection::vec((0u128..6, 0usize..4, any::<bool>()), 1..40)) {
        let words = ["hex", "m12", "motor", "24v"];
        let row = |n: u128, w: usize, retired: bool| {
            let mut row = product(n, words[w], BOLTS, &[words[w]], &[words[(w + 1) % 4]], &[&format!("k={}", words[w])]);
            row.retired = retired;
            row
        };
        let mut followed = Index::default();
        let mut last = std::collections::BTreeMap::new();
        for (n, w, retired) in &changes {
            followed.upsert(row(*n, *w, *retired));
            last.insert(*n, (*w, *retired));
        }
        let mut loaded = Index::default();
        for (n, (w, retired)) in &last {
            loaded.upsert(row(*n, *w, *retired));
        }
        for word in words {
            for field in [None, Some(Field::Name), Some(Field::Spec)] {
                prop_assert_eq!(docs(&followed, &followed.term(word, field)), docs(&loaded, &loaded.term(word, field)));
            }
            let entry = vec![format!("k={word}")];
            prop_assert_eq!(docs(&followed, &followed.any_entry(&entry)), docs(&loaded, &loaded.any_entry(&entry)));
        }
        prop_assert_eq!(followed.len(), loaded.len());
    }
}

proptest! {
    /// Counting product by product (small sets) and value by value (large ones) agree.
    #[test]
    fn small_and_large_sets_are_counted_alike(values in prop::collection::vec((0u8..5, 0u32..40), 1..200)) {
        let mut index = Index::default();
        for (n, (select, number)) in values.iter().enumerate() {
            let facets = [format!("colour=c{select}"), format!("size#{number}")];
            let facets: Vec<&str> = facets.iter().map(String::as_str).collect();
            index.upsert(product(n as u128, "p", BOLTS, &["p"], &[], &facets));
        }
        // A large set: every product, padded past the scan threshold with products without the keys.
        let mut large = index.live().clone();
        for n in 0..5_000u128 {
            index.upsert(product(10_000 + n, "q", MOTORS, &["q"], &[], &[]));
        }
        large |= index.in_categories(&[MOTORS]);
        let small: RoaringBitmap = (0..values.len() as u32).collect();
        let mut from_docs = index.value_counts("colour", &small);
        let mut from_bitmaps = index.value_counts("colour", &large);
        from_docs.sort();
        from_bitmaps.sort();
        prop_assert_eq!(from_docs, from_bitmaps);
        prop_assert_eq!(index.bounds("size", &small), index.bounds("size", &large));
    }
}

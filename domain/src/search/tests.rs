#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;
use crate::units::Dimension;

fn t(text: &str) -> Vec<String> {
    terms(text)
}

fn has(text: &str, term: &str) -> bool {
    terms(text).iter().any(|t| t == term)
}

#[test]
fn voltages_meet_however_they_are_written() {
    for text in ["24V", "24 V", "24v", "24 volts", "0.024 kV", "0,024kV", "24000 mV"] {
        assert!(has(text, "24v"), "{text}: {:?}", t(text));
    }
    assert_eq!(quantity_term(24.0, Unit::parse("V").unwrap()), "24v");
    assert_eq!(t("24V motor"), ["24v", "motor"]);
}

#[test]
fn lengths_meet_in_millimetres_including_inch_fractions() {
    assert!(has("1/4\"", "6.35mm"), "{:?}", t("1/4\""));
    assert!(has("1/4 in", "6.35mm"));
    assert!(has("2 in", "50.8mm"));
    assert!(has("50.8mm", "50.8mm"));
    assert!(has("5 cm", "50mm"));
}

#[test]
fn metric_threads_are_found_by_their_size() {
    assert_eq!(t("M12x1.75"), ["m12x1.75", "m12"]);
    assert_eq!(t("M12x1,75"), ["m12x1.75", "m12"]);
    assert_eq!(t("M12×1.75"), ["m12x1.75", "m12"]);
    assert_eq!(t("M12"), ["m12"]);
}

#[test]
fn standards_are_one_term() {
    for text in ["DIN 912", "DIN-912", "DIN912", "din 912"] {
        assert_eq!(t(text), ["din912"], "{text}");
    }
    assert_eq!(t("ISO 4762"), ["iso4762"]);
}

#[test]
fn codes_split_at_hyphens_alike() {
    assert_eq!(t("6205-2RS"), t("6205 2RS"));
    assert_eq!(t("6205-2RS"), ["6205", "2rs"]);
    assert_eq!(t("3/8-16 UNC"), ["3/8", "16", "unc"]);
    assert_eq!(t("HB933-M12-50-A4"), ["hb933", "m12", "50", "a4"]);
}

#[test]
fn case_and_accents_are_folded() {
    assert_eq!(t("Édelstahl RÖHRE"), ["edelstahl", "rohre"]);
    assert_eq!(t("Stainless, A4."), ["stainless", "a4"]);
}

#[test]
fn a_letter_after_a_number_is_a_unit_only_when_it_stands_alone_and_is_a_common_one() {
    assert_eq!(t("M12 50 A4"), ["m12", "50", "a4"]);
    assert_eq!(t("12 V"), ["12v"]);
    assert_eq!(t("25 A contactor"), ["25a", "contactor"]);
    assert_eq!(t("class 8 C"), ["class", "8", "c"]);
}

proptest! {
    /// Every term is among its own terms: a term searched for finds the term indexed.
    #[test]
    fn every_term_normalizes_to_itself(text in "[A-Za-z0-9 ,./\"×-]{0,40}") {
        for term in terms(&text) {
            let again = terms(&term);
            prop_assert!(again.contains(&term), "{} became {:?}", term, again);
        }
    }

    /// A quantity's term does not depend on the unit it is written in.
    #[test]
    fn a_quantity_has_one_term_in_every_unit_of_its_family(whole in 1u32..100_000, unit_index in 0usize..40) {
        let units: Vec<Unit> = Unit::all().filter(|u| u.dimension() != Dimension::Temperature).collect();
        let unit = units[unit_index % units.len()];
        let base = unit.dimension().base_unit();
        let value = f64::from(whole);
        let written_in_base = format!("{} {}", value, base.symbol());
        let converted = base.convert(value, unit).unwrap();
        let written_in_unit = format!("{} {}", converted, unit.symbol());
        prop_assert_eq!(terms(&written_in_base), terms(&written_in_unit));
    }

    /// Upper or lower case, the same terms.
    #[test]
    fn case_does_not_matter(text in "[a-z0-9 ./-]{0,30}") {
        prop_assert_eq!(terms(&text.to_uppercase()), terms(&text));
    }

    /// However long a word, its terms fit in a PostgreSQL lexeme, and a word cut to fit still
    /// meets itself: the product holding it and the query naming it are cut alike.
    #[test]
    fn terms_fit_in_a_lexeme_and_a_cut_word_still_meets_itself(letter in "[a-z0-9ß𠀀㌀]", n in 1usize..2_500) {
        let word = letter.repeat(n);
        let found = terms(&word);
        prop_assert_eq!(found.len(), 1);
        prop_assert!(found[0].len() <= MAX_TERM_BYTES && found[0].len() + 12 > MAX_TERM_BYTES.min(word.len()));
        prop_assert_eq!(terms(&found[0]), found.clone());
        prop_assert_eq!(terms(&format!("{word} {word}")), found);
    }
}

#[test]
fn spec_values_give_the_terms_a_query_for_them_gives() {
    use crate::specs::Quantity;
    let volts = SpecValue::Number(Quantity {
        value: 0.024,
        unit: Unit::parse("kV"),
        base_value: 24.0,
        base_unit: Unit::parse("V"),
    });
    assert_eq!(value_terms(&volts), t("24V"));
    let inches = SpecValue::Number(Quantity {
        value: 0.25,
        unit: Unit::parse("in"),
        base_value: 6.35,
        base_unit: Unit::parse("mm"),
    });
    assert_eq!(value_terms(&inches), t("1/4\""));
    let count = SpecValue::Number(Quantity { value: 4.0, unit: None, base_value: 4.0, base_unit: None });
    assert_eq!(value_terms(&count), ["4"]);
    assert_eq!(value_terms(&SpecValue::Text("M12x1,75".into())), ["m12x1.75", "m12"]);
    assert_eq!(
        value_terms(&SpecValue::List(vec!["Stainless steel A4".into(), "steel".into()])),
        ["stainless", "steel", "a4"]
    );
    assert!(value_terms(&SpecValue::Boolean(true)).is_empty());
}

#[test]
fn value_terms_are_told_from_words() {
    for term in ["24v", "m12", "m12x1.75", "6.35mm", "40", "3/8"] {
        assert!(is_value_term(term), "{term}");
    }
    for term in ["motor", "stainless", "a4", "2rs", "din912", "m"] {
        assert!(!is_value_term(term), "{term}");
    }
}

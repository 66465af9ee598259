//! Every validation rule of specs, one at a time, and properties of the validator as a whole.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::given::pairs;

use proptest::prelude::*;
use serde_json::{json, Map};
use uuid::Uuid;

use crate::attributes::{DefinitionInput, Definitions, Level};

fn def(json: Value) -> AttributeDefinition {
    serde_json::from_value::<DefinitionInput>(json)
        .map_err(|e| e.to_string())
        .and_then(|i| i.parse().map_err(|e| format!("{e:?}")))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn unit(symbol: &str) -> Unit {
    Unit::parse(symbol).unwrap()
}

/// The code of the error `raw` gets, or a panic naming the value it was accepted as.
fn code(definition: &AttributeDefinition, raw: Value) -> String {
    match check_value(definition, &raw) {
        Err(e) => {
            assert_eq!(e.field, "", "check_value reports its error for the caller to place");
            e.code
        }
        Ok(value) => panic!("{raw} was accepted as {value:?}"),
    }
}

fn accepted(definition: &AttributeDefinition, raw: Value) -> SpecValue {
    check_value(definition, &raw).unwrap_or_else(|e| panic!("{raw} was refused: {e:?}"))
}

fn quantity(definition: &AttributeDefinition, raw: Value) -> Quantity {
    match accepted(definition, raw) {
        SpecValue::Number(q) => q,
        other => panic!("not a number: {other:?}"),
    }
}

fn length_mm() -> AttributeDefinition {
    def(json!({"label": "Length", "type": "number", "unit": "mm", "min": 1, "max": 1000}))
}

fn schema_of(entries: &[(&str, Value)]) -> ResolvedSchema {
    let definitions: Definitions =
        entries.iter().map(|(k, d)| (AttributeKey::parse(k).unwrap(), def(d.clone()))).collect();
    ResolvedSchema::resolve([(Level::Category { category_id: Uuid::from_u128(1), depth: 0 }, &definitions)])
}

fn object(json: Value) -> Map<String, Value> {
    match json {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn errors(schema: &ResolvedSchema, input: Value) -> Vec<(String, String)> {
    match validate_specs(schema, &object(input)) {
        Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        Ok(specs) => panic!("accepted as {specs:?}"),
    }
}

// ---- types per kind ------------------------------------------------------------------------

#[test]
fn a_boolean_takes_only_true_or_false() {
    let d = def(json!({"label": "Self-locking", "type": "boolean"}));
    assert_eq!(accepted(&d, json!(true)), SpecValue::Boolean(true));
    assert_eq!(accepted(&d, json!(false)), SpecValue::Boolean(false));
    for raw in [json!("true"), json!(1), json!(null), json!([true]), json!({"value": true})] {
        assert_eq!(code(&d, raw), "invalid_type");
    }
}

#[test]
fn text_is_trimmed_and_one_to_a_thousand_characters() {
    let d = def(json!({"label": "Note", "type": "text"}));
    assert_eq!(accepted(&d, json!("  zinc plated ")), SpecValue::Text("zinc plated".into()));
    assert_eq!(accepted(&d, json!("é".repeat(1000))), SpecValue::Text("é".repeat(1000)));
    assert_eq!(code(&d, json!("   ")), "invalid_length");
    assert_eq!(code(&d, json!("x".repeat(1001))), "invalid_length");
    for raw in [json!(12), json!(true), json!(["a"]), json!({"value": "a"})] {
        assert_eq!(code(&d, raw), "invalid_type");
    }
}

#[test]
fn text_must_match_the_whole_regex_after_trimming() {
    let d = def(json!({"label": "Thread", "type": "text", "regex": "M[0-9]+(x[0-9.]+)?"}));
    assert_eq!(accepted(&d, json!(" M12x1.75 ")), SpecValue::Text("M12x1.75".into()));
    assert_eq!(accepted(&d, json!("M8")), SpecValue::Text("M8".into()));
    assert_eq!(code(&d, json!("M12 coarse")), "pattern_mismatch");
    assert_eq!(code(&d, json!("xM12")), "pattern_mismatch");
    assert_eq!(code(&d, json!("m12")), "pattern_mismatch");
}

#[test]
fn a_select_matches_options_without_case_and_stores_the_option_as_defined() {
    let d = def(json!({"label": "Material", "type": "select", "options": ["steel", "A2", "A4", "Stainless A4-80"]}));
    assert_eq!(accepted(&d, json!("a4")), SpecValue::Text("A4".into()));
    assert_eq!(accepted(&d, json!(" STEEL ")), SpecValue::Text("steel".into()));
    assert_eq!(accepted(&d, json!("stainless a4-80")), SpecValue::Text("Stainless A4-80".into()));
    assert_eq!(code(&d, json!("brass")), "invalid_option");
    assert_eq!(code(&d, json!("A")), "invalid_option");
    for raw in [json!(4), json!(["A4"]), json!(null), json!(true)] {
        assert_eq!(code(&d, raw), "invalid_type");
    }
}

#[test]
fn an_invalid_option_names_the_options_to_choose_from() {
    let d = def(json!({"label": "Material", "type": "select", "options": ["steel", "A2"]}));
    let error = check_value(&d, &json!("brass")).unwrap_err();
    assert!(error.message.contains("steel, A2"), "{}", error.message);
}

#[test]
fn a_multi_select_takes_a_list_of_distinct_options_stored_as_defined() {
    let d = def(json!({"label": "Approvals", "type": "multi_select", "options": ["CE", "UL", "ATEX"]}));
    assert_eq!(accepted(&d, json!(["ul", "CE"])), SpecValue::List(vec!["UL".into(), "CE".into()]));
    assert_eq!(code(&d, json!(["CE", "ce"])), "duplicate_option");
    assert_eq!(code(&d, json!(["CE", "VDE"])), "invalid_option");
    assert_eq!(code(&d, json!([])), "invalid_length");
    assert_eq!(code(&d, json!("CE")), "invalid_type");
    assert_eq!(code(&d, json!(["CE", 1])), "invalid_type");
}

// ---- numbers and units ---------------------------------------------------------------------

#[test]
fn a_bare_number_is_in_the_attributes_own_unit() {
    let q = quantity(&length_mm(), json!(50));
    assert_eq!(q, Quantity { value: 50.0, unit: Some(unit("mm")), base_value: 50.0, base_unit: Some(unit("mm")) });
    let in_cm = def(json!({"label": "Length", "type": "number", "unit": "cm"}));
    let q = quantity(&in_cm, json!(2.5));
    assert_eq!(q, Quantity { value: 2.5, unit: Some(unit("cm")), base_value: 25.0, base_unit: Some(unit("mm")) });
}

#[test]
fn a_value_with_a_unit_may_use_any_unit_of_the_family() {
    let d = length_mm();
    let q = quantity(&d, json!({"value": 2, "unit": "in"}));
    assert_eq!(q, Quantity { value: 2.0, unit: Some(unit("in")), base_value: 50.8, base_unit: Some(unit("mm")) });
    let q = quantity(&d, json!({"value": 0.5, "unit": "metre"}));
    assert_eq!((q.unit, q.base_value), (Some(unit("m")), 500.0));
    let q = quantity(&d, json!({"value": 7, "unit": null}));
    assert_eq!((q.unit, q.base_value), (Some(unit("mm")), 7.0));
}

#[test]
fn a_unit_nobody_knows_is_unknown_unit() {
    assert_eq!(code(&length_mm(), json!({"value": 2, "unit": "furlong"})), "unknown_unit");
}

#[test]
fn a_unit_of_another_family_is_wrong_unit_family() {
    assert_eq!(code(&length_mm(), json!({"value": 2, "unit": "kg"})), "wrong_unit_family");
    assert_eq!(code(&length_mm(), json!({"value": 24, "unit": "V"})), "wrong_unit_family");
}

#[test]
fn a_unitless_number_takes_no_unit() {
    let d = def(json!({"label": "Pieces per box", "type": "number", "min": 1}));
    assert_eq!(quantity(&d, json!(100)), Quantity { value: 100.0, unit: None, base_value: 100.0, base_unit: None });
    assert_eq!(quantity(&d, json!({"value": 100})), quantity(&d, json!(100)));
    assert_eq!(code(&d, json!({"value": 100, "unit": "mm"})), "unexpected_unit");
    assert_eq!(code(&d, json!(0)), "below_minimum");
}

#[test]
fn a_number_in_any_other_shape_is_invalid_type() {
    let d = length_mm();
    for raw in [
        json!("50"),
        json!("50 mm"),
        json!(true),
        json!([50]),
        json!({}),
        json!({"unit": "mm"}),
        json!({"value": "50", "unit": "mm"}),
        json!({"value": 50, "unit": 1}),
        json!({"value": 50, "unit": "mm", "note": "x"}),
    ] {
        assert_eq!(code(&d, raw.clone()), "invalid_type", "{raw}");
    }
}

#[test]
fn bounds_are_compared_after_normalization() {
    let d = length_mm();
    // 40 in = 1016 mm is above 1000 mm, though 40 < 1000.
    assert_eq!(code(&d, json!({"value": 40, "unit": "in"})), "above_maximum");
    assert_eq!(quantity(&d, json!({"value": 39, "unit": "in"})).base_value, 990.6);
    // 0.05 cm = 0.5 mm is below 1 mm.
    assert_eq!(code(&d, json!({"value": 0.05, "unit": "cm"})), "below_minimum");
    // The bounds themselves, in another unit, are inside.
    assert_eq!(quantity(&d, json!({"value": 1, "unit": "m"})).base_value, 1000.0);
    assert_eq!(quantity(&d, json!({"value": 0.1, "unit": "cm"})).base_value, 1.0);
    assert_eq!(code(&d, json!(1000.5)), "above_maximum");
    assert_eq!(code(&d, json!(0.99)), "below_minimum");
}

#[test]
fn bounds_in_a_unit_other_than_the_base_are_converted_too() {
    let d = def(json!({"label": "Length", "type": "number", "unit": "cm", "min": 1, "max": 100}));
    assert_eq!(code(&d, json!({"value": 5, "unit": "mm"})), "below_minimum");
    assert_eq!(quantity(&d, json!({"value": 1000, "unit": "mm"})).base_value, 1000.0);
    assert_eq!(code(&d, json!({"value": 40, "unit": "in"})), "above_maximum");
    let error = check_value(&d, &json!(101)).unwrap_err();
    assert!(error.message.contains("100 cm"), "the bound is shown in the attribute's unit: {}", error.message);
}

#[test]
fn bounds_on_an_affine_unit_compare_temperatures_rightly() {
    let d = def(json!({"label": "Max temperature", "type": "number", "unit": "°C", "min": -40, "max": 100}));
    assert_eq!(quantity(&d, json!({"value": 212, "unit": "°F"})).base_value, 100.0);
    assert_eq!(code(&d, json!({"value": 213, "unit": "degF"})), "above_maximum");
    assert_eq!(quantity(&d, json!({"value": -40, "unit": "F"})).base_value, -40.0);
    assert_eq!(code(&d, json!({"value": 200, "unit": "K"})), "below_minimum");
}

// ---- whole specs ---------------------------------------------------------------------------

fn bolt_schema() -> ResolvedSchema {
    schema_of(&[
        ("thread_size", json!({"label": "Thread size", "type": "select", "options": ["M8", "M12"], "required": true})),
        ("length", json!({"label": "Length", "type": "number", "unit": "mm", "min": 1, "max": 1000, "required": true})),
        ("material", json!({"label": "Material", "type": "select", "options": ["steel", "A4"]})),
        ("note", json!({"label": "Note", "type": "text"})),
    ])
}

#[test]
fn required_attributes_must_be_given_and_null_counts_as_missing() {
    let found = errors(&bolt_schema(), json!({"length": null, "material": "A4"}));
    assert_eq!(found, pairs(&[("specs.thread_size", "required"), ("specs.length", "required")]));
}

#[test]
fn an_optional_null_is_simply_absent() {
    let specs =
        validate_specs(&bolt_schema(), &object(json!({"thread_size": "M8", "length": 8, "note": null}))).unwrap();
    assert_eq!(specs.keys().map(AttributeKey::as_str).collect::<Vec<_>>(), ["thread_size", "length"]);
}

#[test]
fn unknown_keys_are_reported_first_and_the_rest_in_schema_order() {
    let found = errors(
        &bolt_schema(),
        json!({"note": "  ", "material": "brass", "length": {"value": 2, "unit": "kg"}, "colour": "red", "thread_size": 12}),
    );
    assert_eq!(
        found,
        pairs(&[
            ("specs.colour", "unknown_attribute"),
            ("specs.thread_size", "invalid_type"),
            ("specs.length", "wrong_unit_family"),
            ("specs.material", "invalid_option"),
            ("specs.note", "invalid_length"),
        ])
    );
}

#[test]
fn valid_specs_follow_the_schema_order_not_the_input_order() {
    let input = object(json!({"note": "x", "material": "a4", "length": 20, "thread_size": "m12"}));
    let specs = validate_specs(&bolt_schema(), &input).unwrap();
    assert_eq!(
        specs.keys().map(AttributeKey::as_str).collect::<Vec<_>>(),
        ["thread_size", "length", "material", "note"]
    );
    assert_eq!(specs["material"], SpecValue::Text("A4".into()));
}

// ---- variant parts and numbers as text -----------------------------------------------------

#[test]
fn variant_parts_compare_base_values_and_show_the_attributes_own_unit() {
    let schema = schema_of(&[
        ("length", json!({"label": "Length", "type": "number", "unit": "mm", "variant_defining": true})),
        ("self_locking", json!({"label": "Self-locking", "type": "boolean", "variant_defining": true})),
        (
            "material",
            json!({"label": "Material", "type": "select", "options": ["Stainless A4"], "variant_defining": true}),
        ),
    ]);
    let parts = |input: Value| {
        let specs = validate_specs(&schema, &object(input)).unwrap();
        variant_parts(&schema, &specs).into_iter().map(|p| (p.canonical, p.segment)).collect::<Vec<_>>()
    };
    let in_cm = parts(json!({"length": {"value": 5, "unit": "cm"}, "self_locking": true, "material": "stainless a4"}));
    assert_eq!(
        in_cm,
        [
            ("length=50".to_owned(), "50".to_owned()),
            ("self_locking=true".to_owned(), "SELF-LOCKING".to_owned()),
            ("material=stainless a4".to_owned(), "STAINLESS-A4".to_owned()),
        ]
    );
    let none = parts(json!({"self_locking": false}));
    assert_eq!(
        none,
        [
            ("length=-".to_owned(), String::new()),
            ("self_locking=false".to_owned(), String::new()),
            ("material=-".to_owned(), String::new()),
        ]
    );
}

#[test]
fn sku_segments_turn_each_run_of_separators_into_one_dash() {
    let options = ["6205-2RS", "62052RS", "stainless / A4", "M12x1.75", "-zinc-"];
    let schema = schema_of(&[(
        "variant",
        json!({"label": "Variant", "type": "select", "options": options, "variant_defining": true}),
    )]);
    let segments: Vec<String> = options
        .iter()
        .map(|option| {
            let specs = validate_specs(&schema, &object(json!({ "variant": option }))).unwrap();
            variant_parts(&schema, &specs).remove(0).segment
        })
        .collect();
    assert_eq!(segments, ["6205-2RS", "62052RS", "STAINLESS-A4", "M12X1.75", "ZINC"]);
}

#[test]
fn numbers_are_formatted_without_a_trailing_zero_and_tidied() {
    assert_eq!(format_number(50.0), "50");
    assert_eq!(format_number(50.8), "50.8");
    assert_eq!(format_number(2.0 * 25.4), "50.8");
    assert_eq!(format_number(-3.0), "-3");
    assert_eq!(format_number(0.1 + 0.2), "0.3");
    assert_eq!(format_number(1e20), "100000000000000000000");
}

// ---- properties ----------------------------------------------------------------------------

fn any_unit() -> impl Strategy<Value = Unit> {
    proptest::sample::select(Unit::all().collect::<Vec<_>>())
}

/// Two units of one measurement family.
fn unit_pair() -> impl Strategy<Value = (Unit, Unit)> {
    any_unit().prop_flat_map(|own| {
        let family: Vec<Unit> = own.dimension().units().collect();
        (Just(own), proptest::sample::select(family))
    })
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::String),
        proptest::sample::select(vec!["mm", "in", "kg", "°F", "A4", "a4", "M12", "ce", "", "value", "unit"])
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![Just("value".to_owned()), Just("unit".to_owned()), "[a-z_]{0,6}"];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// One definition of every kind and shape.
fn every_kind() -> ResolvedSchema {
    schema_of(&[
        ("flag", json!({"label": "Flag", "type": "boolean", "required": true})),
        ("note", json!({"label": "Note", "type": "text"})),
        ("thread", json!({"label": "Thread", "type": "text", "regex": "M[0-9]+(x[0-9.]+)?"})),
        ("length", json!({"label": "Length", "type": "number", "unit": "cm", "min": 0.1, "max": 100})),
        ("temperature", json!({"label": "Temperature", "type": "number", "unit": "°F", "min": -40, "max": 400})),
        ("count", json!({"label": "Count", "type": "number", "max": 1e6})),
        ("material", json!({"label": "Material", "type": "select", "options": ["steel", "A2", "A4"]})),
        ("approvals", json!({"label": "Approvals", "type": "multi_select", "options": ["CE", "UL"]})),
    ])
}

fn kind_matches(kind: AttributeType, value: &SpecValue) -> bool {
    matches!(
        (kind, value),
        (AttributeType::Boolean, SpecValue::Boolean(_))
            | (AttributeType::Number, SpecValue::Number(_))
            | (AttributeType::Text | AttributeType::Select, SpecValue::Text(_))
            | (AttributeType::MultiSelect, SpecValue::List(_))
    )
}

/// A value of `own` between `min` and `max`, given in one of `units`, or bare.
fn in_range(own: &'static str, min: f64, max: f64, units: &'static [&'static str]) -> impl Strategy<Value = Value> {
    (min..max, proptest::option::of(proptest::sample::select(units.to_vec()))).prop_map(move |(x, given)| match given {
        Some(given) => json!({"value": unit(own).convert(x, unit(given)).unwrap(), "unit": given}),
        None => json!(x),
    })
}

fn option_in_any_case(options: &'static [&'static str]) -> impl Strategy<Value = Value> {
    (proptest::sample::select(options.to_vec()), 0..3).prop_map(|(o, case)| {
        Value::String(match case {
            0 => o.to_uppercase(),
            1 => o.to_lowercase(),
            _ => format!(" {o} "),
        })
    })
}

/// Inputs that are mostly valid (the right shapes with values in range, in any unit and case),
/// now and then an arbitrary value or a missing key.
fn plausible_specs() -> impl Strategy<Value = Map<String, Value>> {
    fn sometimes(valid: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Option<Value>> {
        prop_oneof![6 => valid.prop_map(Some), 2 => Just(None), 1 => any_json().prop_map(Some)]
    }
    let fields = (
        sometimes(any::<bool>().prop_map(Value::Bool)),
        sometimes("[ ]{0,2}[a-z][ a-z]{0,8}".prop_map(Value::String)),
        sometimes("[ ]?M[0-9]{1,2}(x1\\.[0-9]{1,2})?[ ]?".prop_map(Value::String)),
        sometimes(in_range("cm", 0.1, 100.0, &["mm", "cm", "m", "in", "ft", "inch"])),
        sometimes(in_range("°F", -40.0, 400.0, &["°C", "°F", "K", "celsius"])),
        sometimes((0u32..1_000_000).prop_map(Value::from)),
        sometimes(option_in_any_case(&["steel", "A2", "A4"])),
        sometimes(proptest::sample::subsequence(vec!["CE", "UL"], 1..=2).prop_map(|o| json!(o))),
    );
    fields.prop_map(|(flag, note, thread, length, temperature, count, material, approvals)| {
        [
            ("flag", flag),
            ("note", note),
            ("thread", thread),
            ("length", length),
            ("temperature", temperature),
            ("count", count),
            ("material", material),
            ("approvals", approvals),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect()
    })
}

/// Whether `a` and `b` are farther apart than float noise.
fn apart(a: f64, b: f64) -> bool {
    (a - b).abs() > 1e-6 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_validator_never_panics_on_any_json(raw in any_json(), map in proptest::collection::vec(("[a-z_]{1,12}", any_json()), 0..8)) {
        let schema = every_kind();
        for attribute in schema.iter() {
            if let Ok(value) = check_value(&attribute.definition, &raw) {
                prop_assert!(kind_matches(attribute.definition.kind, &value), "{value:?} for {:?}", attribute.definition.kind);
            }
        }
        let mut input: Map<String, Value> = map.into_iter().collect();
        let _ = validate_specs(&schema, &input);
        for attribute in schema.iter() {
            input.insert(attribute.key.to_string(), raw.clone());
        }
        if let Err(errors) = validate_specs(&schema, &input) {
            prop_assert!(errors.iter().all(|e| e.field.starts_with("specs.")));
        }
    }

    #[test]
    fn a_number_in_any_unit_of_the_family_is_normalized_with_to_base(
        (own, given) in unit_pair(),
        value in -1.0e6f64..1.0e6,
    ) {
        let d = def(json!({"label": "Measure", "type": "number", "unit": own.symbol()}));
        let q = quantity(&d, json!({"value": value, "unit": given.symbol()}));
        prop_assert_eq!(q.value, value);
        prop_assert_eq!(q.unit, Some(given));
        prop_assert_eq!(q.base_value, tidy(given.to_base(value)));
        prop_assert_eq!(q.base_unit, Some(own.dimension().base_unit()));
        let bare = quantity(&d, json!(value));
        prop_assert_eq!(bare.unit, Some(own));
        prop_assert_eq!(bare.base_value, tidy(own.to_base(value)));
    }

    #[test]
    fn values_inside_the_bounds_in_another_unit_are_accepted_and_outside_refused(
        (own, given) in unit_pair(),
        a in -1.0e4f64..1.0e4,
        b in -1.0e4f64..1.0e4,
        x in -2.0e4f64..2.0e4,
    ) {
        let (min, max) = (a.min(b), a.max(b));
        prop_assume!(apart(x, min) && apart(x, max));
        let d = def(json!({"label": "Measure", "type": "number", "unit": own.symbol(), "min": min, "max": max}));
        let expressed = own.convert(x, given).unwrap();
        let result = check_value(&d, &json!({"value": expressed, "unit": given.symbol()})).map_err(|e| e.code);
        if x < min {
            prop_assert_eq!(result, Err("below_minimum".to_owned()));
        } else if x > max {
            prop_assert_eq!(result, Err("above_maximum".to_owned()));
        } else {
            prop_assert!(result.is_ok(), "{x} {own} as {expressed} {given}: {result:?}");
        }
    }

    #[test]
    fn validated_specs_given_back_validate_to_the_same_specs(input in plausible_specs()) {
        let schema = every_kind();
        if let Ok(specs) = validate_specs(&schema, &input) {
            let again: Map<String, Value> = specs.iter().map(|(k, v)| (k.to_string(), v.to_input())).collect();
            let revalidated = validate_specs(&schema, &again);
            prop_assert_eq!(revalidated.as_ref(), Ok(&specs));
            let order = |s: &Specs| s.keys().map(|k| k.to_string()).collect::<Vec<_>>();
            prop_assert_eq!(revalidated.map(|s| order(&s)).unwrap_or_default(), order(&specs));
        }
    }

    #[test]
    fn format_number_round_trips_through_parse(value in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
        let text = format_number(value);
        let back: f64 = text.parse().unwrap_or_else(|e| panic!("{text:?} does not parse: {e}"));
        prop_assert_eq!(back, tidy(value));
        prop_assert!(!text.ends_with(".0") && !text.contains('e'), "{text}");
        prop_assert_eq!(format_number(back), text);
    }

    #[test]
    fn format_number_round_trips_catalog_sized_values(value in -1.0e7f64..1.0e7, decimals in 0u32..6) {
        let scale = 10f64.powi(decimals as i32);
        let value = (value * scale).round() / scale;
        prop_assert_eq!(format_number(value).parse::<f64>().ok(), Some(tidy(value)));
    }
}

#[test]
fn a_converted_number_reads_rounded_in_a_sku_but_keeps_its_precision_in_the_variant_key() {
    let schema =
        schema_of(&[("power", json!({"label": "Power", "type": "number", "unit": "kW", "variant_defining": true}))]);
    let specs = validate_specs(&schema, &object(json!({"power": {"value": 5, "unit": "hp"}}))).unwrap();
    let part = variant_parts(&schema, &specs).remove(0);
    assert_eq!(part.segment, "3.728");
    assert_eq!(part.canonical, "power=3728.49935791");
}

#[test]
fn stored_values_read_back_as_they_were_written() {
    let values = [
        SpecValue::Boolean(true),
        SpecValue::Number(Quantity {
            value: 2.0,
            unit: Some(unit("in")),
            base_value: 50.8,
            base_unit: Some(unit("mm")),
        }),
        SpecValue::Number(Quantity { value: 4.0, unit: None, base_value: 4.0, base_unit: None }),
        SpecValue::Text("M12x1.75".into()),
        SpecValue::List(vec!["A2".into(), "A4".into()]),
    ];
    for value in values {
        let json = serde_json::to_value(&value).unwrap();
        assert_eq!(serde_json::from_value::<SpecValue>(json.clone()).unwrap(), value, "{json}");
        assert_eq!(serde_json::from_str::<SpecValue>(&json.to_string()).unwrap(), value, "{json}");
    }
    assert!(serde_json::from_value::<SpecValue>(serde_json::json!(12)).is_err());
    assert!(serde_json::from_value::<SpecValue>(serde_json::json!({"value": 1})).is_err());
}

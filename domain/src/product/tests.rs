//! Given / when / then over events for products: the catalog (categories and a family) and the
//! product are replayed from given events, a command is decided, the exact events are checked.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::given::*;

use serde_json::json;

use crate::attributes::AttributeDefinition;
use crate::category::{Category, CategoryTree};
use crate::events::Aggregate;
use crate::specs::{Quantity, SpecValue};
use crate::units::Unit;

const WASHERS: Uuid = Uuid::from_u128(0x50);
const DIN125: Uuid = Uuid::from_u128(0x91);
const BOLT: Uuid = Uuid::from_u128(0x1234_abcd_0000_0000_0000_0000_0000_0001);

// ---- given: the catalog --------------------------------------------------------------------

fn defined(stream_id: Uuid, stream_type: StreamType, key_text: &str, json: Value) -> NewEvent {
    let definition = def(json);
    let changes = AttributeDefinition::diff(None, Some(&definition));
    on(stream_id, stream_type, Event::AttributeDefined { key: key(key_text), definition, changes })
}

fn on_hex_bolts(key_text: &str, json: Value) -> NewEvent {
    defined(HEX_BOLTS, StreamType::Category, key_text, json)
}

fn on_din933(key_text: &str, json: Value) -> NewEvent {
    defined(DIN933, StreamType::Family, key_text, json)
}

/// Fasteners > Bolts > Hex bolts (thread_size, length, material) and the family DIN 933, whose
/// override of material narrows the options and makes it variant-defining. Fasteners > Washers
/// holds DIN 125, which has no variant-defining attribute.
fn catalog() -> Vec<NewEvent> {
    vec![
        created("Fasteners", &[FASTENERS]),
        created("Bolts", &[FASTENERS, BOLTS]),
        created("Hex bolts", &[FASTENERS, BOLTS, HEX_BOLTS]),
        on_hex_bolts(
            "thread_size",
            json!({"label": "Thread size", "type": "select", "options": ["M6", "M8", "M10", "M12"],
                   "required": true, "variant_defining": true, "filterable": true}),
        ),
        on_hex_bolts(
            "length",
            json!({"label": "Length", "type": "number", "unit": "mm", "min": 1, "max": 1000, "variant_defining": true}),
        ),
        on_hex_bolts("material", json!({"label": "Material", "type": "select", "options": ["steel", "A2", "A4"]})),
        family_created(DIN933, HEX_BOLTS, "DIN 933", "DIN933"),
        on_din933(
            "material",
            json!({"label": "Material", "type": "select", "options": ["A2", "A4"], "variant_defining": true}),
        ),
        created("Washers", &[FASTENERS, WASHERS]),
        defined(
            WASHERS,
            StreamType::Category,
            "material",
            json!({"label": "Material", "type": "select", "options": ["A2", "A4"]}),
        ),
        family_created(DIN125, WASHERS, "DIN 125", "DIN125"),
    ]
}

/// The family `id` and its resolved schema, as the given events leave them.
fn family(given: &[NewEvent], id: Uuid) -> (Family, ResolvedSchema) {
    let states = fold(given);
    let categories: Vec<Category> = states
        .iter()
        .filter_map(|a| match a {
            Aggregate::Category(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let family = states
        .into_iter()
        .find_map(|a| match a {
            Aggregate::Family(f) if f.id == id => Some(f),
            _ => None,
        })
        .unwrap();
    let schema = family.schema(&CategoryTree::new(categories, [family.category_id]));
    (family, schema)
}

fn product_state(given: &[NewEvent], id: Uuid) -> Aggregate {
    fold(given).into_iter().find(|a| matches!(a, Aggregate::Product(p) if p.id == id)).unwrap()
}

fn product(given: &[NewEvent], id: Uuid) -> Product {
    match product_state(given, id) {
        Aggregate::Product(p) => p,
        other => panic!("not a product: {other:?}"),
    }
}

fn mm(value: f64) -> SpecValue {
    SpecValue::Number(Quantity { value, unit: Some(unit("mm")), base_value: value, base_unit: Some(unit("mm")) })
}

fn unit(symbol: &str) -> Unit {
    Unit::parse(symbol).unwrap()
}

fn text(value: &str) -> SpecValue {
    SpecValue::Text(value.into())
}

fn specs(entries: &[(&str, SpecValue)]) -> Specs {
    entries.iter().map(|(k, v)| (key(k), v.clone())).collect()
}

fn m12_50_a4() -> Specs {
    specs(&[("thread_size", text("M12")), ("length", mm(50.0)), ("material", text("A4"))])
}

const M12_50_A4: &str = "thread_size=m12|length=50|material=a4";

fn product_created(sku: &str, specs: Specs, variant_key: Option<&str>) -> NewEvent {
    on(
        BOLT,
        StreamType::Product,
        Event::ProductCreated {
            family_id: DIN933,
            name: "Hex bolt M12x50 A4".into(),
            sku: Sku::parse(sku).unwrap(),
            specs,
            variant_key: variant_key.map(str::to_owned),
            external_id: None,
        },
    )
}

/// The catalog and one product: DIN933-M12-50-A4.
fn with_bolt() -> Vec<NewEvent> {
    let mut given = catalog();
    given.push(product_created("DIN933-M12-50-A4", m12_50_a4(), Some(M12_50_A4)));
    given
}

// ---- when: commands ------------------------------------------------------------------------

fn specs_input(json: Value) -> Map<String, Value> {
    match json {
        Value::Object(map) => map,
        other => panic!("specs are an object, not {other}"),
    }
}

fn create_bolt(sku: Option<&str>, specs: Value) -> CreateProduct {
    CreateProduct {
        id: BOLT,
        name: " Hex bolt M12x50 A4 ".into(),
        sku: sku.map(str::to_owned),
        specs: specs_input(specs),
        external_id: None,
    }
}

fn create_in(given: &[NewEvent], family_id: Uuid, command: CreateProduct) -> Result<Vec<NewEvent>, DomainError> {
    let (family, schema) = family(given, family_id);
    create(&family, &schema, command)
}

fn update_bolt(given: &[NewEvent], name: Option<&str>, specs: Value) -> Result<Vec<NewEvent>, DomainError> {
    let (family, schema) = family(given, DIN933);
    let command = UpdateProduct { name: name.map(str::to_owned), specs: Some(specs_input(specs)) };
    update(&product(given, BOLT), &family, &schema, command)
}

fn updated(changes: &[(&str, Value, Value)]) -> NewEvent {
    let changes: Diff =
        changes.iter().map(|(f, from, to)| (f.to_string(), Change { from: from.clone(), to: to.clone() })).collect();
    on(BOLT, StreamType::Product, Event::ProductUpdated { changes })
}

fn stored(symbol_value: f64, symbol: &str, base_value: f64, base: &str) -> Value {
    json!({"value": symbol_value, "unit": symbol, "base_value": base_value, "base_unit": base})
}

// ---- creating ------------------------------------------------------------------------------

#[test]
fn a_created_product_gets_a_sku_from_its_variant_values_in_schema_order() {
    // Given in another order than the schema's: the SKU follows the schema.
    let command = create_bolt(None, json!({"material": "a4", "length": 50, "thread_size": "m12"}));
    let events = create_in(&catalog(), DIN933, command).unwrap();
    assert_eq!(events, [product_created("DIN933-M12-50-A4", m12_50_a4(), Some(M12_50_A4))]);
    let keys: Vec<String> = product(&then(&catalog(), &events), BOLT).specs.keys().map(|k| k.to_string()).collect();
    assert_eq!(keys, ["thread_size", "length", "material"]);
}

#[test]
fn a_given_sku_is_kept_and_the_variant_key_is_still_derived() {
    let command = create_bolt(Some("HB-12-50/a4"), json!({"thread_size": "M12", "length": 50, "material": "A4"}));
    let events = create_in(&catalog(), DIN933, command).unwrap();
    assert_eq!(events, [product_created("HB-12-50/a4", m12_50_a4(), Some(M12_50_A4))]);
}

#[test]
fn a_bad_given_sku_is_a_field_error() {
    let command = create_bolt(Some("bad sku!"), json!({"thread_size": "M12"}));
    assert_eq!(invalid(create_in(&catalog(), DIN933, command)), pairs(&[("sku", "invalid_sku")]));
}

#[test]
fn a_length_in_inches_is_stored_as_given_and_in_millimetres() {
    let command =
        create_bolt(None, json!({"thread_size": "M12", "length": {"value": 2, "unit": "in"}, "material": "A4"}));
    let events = create_in(&catalog(), DIN933, command).unwrap();
    let inches = SpecValue::Number(Quantity {
        value: 2.0,
        unit: Some(unit("in")),
        base_value: 50.8,
        base_unit: Some(unit("mm")),
    });
    let expected = specs(&[("thread_size", text("M12")), ("length", inches), ("material", text("A4"))]);
    assert_eq!(
        events,
        [product_created("DIN933-M12-50.8-A4", expected, Some("thread_size=m12|length=50.8|material=a4"))]
    );
    let Event::ProductCreated { specs, .. } = &events[0].event else { panic!("not created") };
    assert_eq!(serde_json::to_value(&specs["length"]).unwrap(), stored(2.0, "in", 50.8, "mm"));
}

#[test]
fn the_same_variant_in_another_unit_makes_the_same_claims() {
    let in_cm =
        create_bolt(None, json!({"thread_size": "M12", "length": {"value": 5, "unit": "cm"}, "material": "A4"}));
    let events = create_in(&catalog(), DIN933, in_cm).unwrap();
    let in_cm = product_state(&then(&catalog(), &events), BOLT);
    let in_mm = product_state(&with_bolt(), BOLT);
    assert_eq!(in_cm.claims(), in_mm.claims());
}

#[test]
fn every_bad_spec_is_reported_at_once_under_its_field() {
    let mut given = catalog();
    given.push(on_din933("head_height", json!({"label": "Head height", "type": "number", "unit": "mm"})));
    given.push(on_din933("self_locking", json!({"label": "Self-locking", "type": "boolean"})));
    let command = CreateProduct {
        id: BOLT,
        name: "".into(),
        sku: None,
        specs: specs_input(json!({
            "colour": "blue",
            "length": {"value": 0.5, "unit": "mm"},
            "material": "brass",
            "head_height": {"value": 8, "unit": "kg"},
            "self_locking": "yes",
        })),
        external_id: None,
    };
    assert_eq!(
        invalid(create_in(&given, DIN933, command)),
        pairs(&[
            ("name", "invalid_name"),
            ("specs.colour", "unknown_attribute"),
            ("specs.thread_size", "required"),
            ("specs.length", "below_minimum"),
            ("specs.material", "invalid_option"),
            ("specs.head_height", "wrong_unit_family"),
            ("specs.self_locking", "invalid_type"),
        ])
    );
}

/// Two UUIDv7 ids of the same millisecond (the same first twelve digits), as `Uuid::now_v7`
/// hands out back to back.
const WASHER_1: Uuid = Uuid::from_u128(0x0190_1a2b_3c4d_7abc_9def_0123_4567_89ab);
const WASHER_2: Uuid = Uuid::from_u128(0x0190_1a2b_3c4d_7abc_b3f0_9e1d_77c2_5a10);

fn washer(id: Uuid) -> CreateProduct {
    CreateProduct {
        id,
        name: "Washer A4".into(),
        sku: None,
        specs: specs_input(json!({"material": "A4"})),
        external_id: None,
    }
}

#[test]
fn a_family_without_variant_attributes_ends_its_skus_in_the_product_ids_random_bits() {
    let events = create_in(&catalog(), DIN125, washer(WASHER_1)).unwrap();
    assert_eq!(
        events,
        [on(
            WASHER_1,
            StreamType::Product,
            Event::ProductCreated {
                family_id: DIN125,
                name: "Washer A4".into(),
                sku: Sku::parse("DIN125-VVR14D-2PF2DB").unwrap(),
                specs: specs(&[("material", text("A4"))]),
                variant_key: None,
                external_id: None,
            }
        )]
    );
    let state = product_state(&then(&catalog(), &events), WASHER_1);
    assert_eq!(state.claims(), ["sku:DIN125-VVR14D-2PF2DB"]);
}

#[test]
fn products_created_in_the_same_millisecond_get_different_skus() {
    let first = create_in(&catalog(), DIN125, washer(WASHER_1)).unwrap();
    let given = then(&catalog(), &first);
    let second = create_in(&given, DIN125, washer(WASHER_2)).unwrap();
    let [Aggregate::Product(a), Aggregate::Product(b)] =
        [WASHER_1, WASHER_2].map(|id| product_state(&then(&given, &second), id))
    else {
        panic!("not products")
    };
    assert_eq!((a.sku.as_str(), b.sku.as_str()), ("DIN125-VVR14D-2PF2DB", "DIN125-7W4Y3N-VW4PGG"));
}

#[test]
fn an_update_keeps_a_sku_generated_the_way_it_was_before() {
    // Generated from the id's first eight digits, as products created before were.
    let created = Event::ProductCreated {
        family_id: DIN125,
        name: "Washer A4".into(),
        sku: Sku::parse("DIN125-01901A2B").unwrap(),
        specs: specs(&[("material", text("A4"))]),
        variant_key: None,
        external_id: None,
    };
    let given = then(&catalog(), &[on(WASHER_1, StreamType::Product, created)]);
    let (family, schema) = family(&given, DIN125);
    let command =
        UpdateProduct { name: Some("Washer A4, large".into()), specs: Some(specs_input(json!({"material": "A2"}))) };
    let events = update(&product(&given, WASHER_1), &family, &schema, command).unwrap();
    let changed: Vec<&str> = match &events[..] {
        [NewEvent { event: Event::ProductUpdated { changes }, .. }] => changes.keys().map(String::as_str).collect(),
        other => panic!("expected one ProductUpdated, got {other:?}"),
    };
    assert_eq!(changed, ["name", "specs.material"]);
    assert_eq!(product(&then(&given, &events), WASHER_1).sku.as_str(), "DIN125-01901A2B");
}

#[test]
fn a_missing_optional_variant_value_is_left_out_of_the_sku() {
    let command = create_bolt(None, json!({"thread_size": "M12", "material": "A2"}));
    let events = create_in(&catalog(), DIN933, command).unwrap();
    let expected = specs(&[("thread_size", text("M12")), ("material", text("A2"))]);
    assert_eq!(events, [product_created("DIN933-M12-A2", expected, Some("thread_size=m12|length=-|material=a2"))]);
}

// ---- updating ------------------------------------------------------------------------------

#[test]
fn an_update_merges_specs_removes_nulls_and_carries_the_diff() {
    let given = with_bolt();
    let events = update_bolt(&given, Some("Hex bolt M12x60"), json!({"length": 60, "material": null})).unwrap();
    assert_eq!(
        events,
        [updated(&[
            ("name", json!("Hex bolt M12x50 A4"), json!("Hex bolt M12x60")),
            ("specs.length", stored(50.0, "mm", 50.0, "mm"), stored(60.0, "mm", 60.0, "mm")),
            ("specs.material", json!("A4"), json!(null)),
            ("variant_key", json!(M12_50_A4), json!("thread_size=m12|length=60|material=-")),
        ])]
    );
    let after = product(&then(&given, &events), BOLT);
    assert_eq!(after.name, "Hex bolt M12x60");
    assert_eq!(after.specs, specs(&[("thread_size", text("M12")), ("length", mm(60.0))]));
    assert_eq!(after.variant_key.as_deref(), Some("thread_size=m12|length=60|material=-"));
    assert_eq!(after.sku.as_str(), "DIN933-M12-50-A4", "the SKU stays as created");
}

#[test]
fn an_update_that_changes_nothing_decides_no_events() {
    let given = with_bolt();
    let same = json!({"thread_size": "m12", "length": 50, "material": " a4 "});
    assert_eq!(update_bolt(&given, Some(" Hex bolt M12x50 A4 "), same), Ok(vec![]));
    assert_eq!(update_bolt(&given, None, json!({})), Ok(vec![]));
}

#[test]
fn an_update_is_checked_against_the_whole_merged_specs() {
    let given = with_bolt();
    let found = invalid(update_bolt(&given, Some(""), json!({"thread_size": null, "length": 5000, "finish": "zinc"})));
    assert_eq!(
        found,
        pairs(&[
            ("name", "invalid_name"),
            ("specs.finish", "unknown_attribute"),
            ("specs.thread_size", "required"),
            ("specs.length", "above_maximum"),
        ])
    );
}

#[test]
fn a_product_made_invalid_by_a_new_required_attribute_must_satisfy_it_on_its_next_update() {
    let mut given = with_bolt();
    given.push(on_hex_bolts(
        "head_type",
        json!({"label": "Head type", "type": "select", "options": ["hex", "flange"], "required": true}),
    ));
    // The product keeps its state: a schema change decides nothing about existing products.
    assert_eq!(product(&given, BOLT), product(&with_bolt(), BOLT));

    let found = invalid(update_bolt(&given, Some("Hex bolt M12x50"), json!({})));
    assert_eq!(found, pairs(&[("specs.head_type", "required")]));

    let events = update_bolt(&given, None, json!({"head_type": "Hex"})).unwrap();
    assert_eq!(events, [updated(&[("specs.head_type", json!(null), json!("hex"))])]);
    let after = product(&then(&given, &events), BOLT);
    assert_eq!(after.specs.get("head_type"), Some(&text("hex")));
}

#[test]
fn a_new_variant_attribute_changes_the_variant_key_on_the_next_update() {
    let mut given = with_bolt();
    given.push(on_din933(
        "finish",
        json!({"label": "Finish", "type": "select", "options": ["plain", "zinc"], "variant_defining": true}),
    ));
    let events = update_bolt(&given, None, json!({"finish": "zinc"})).unwrap();
    assert_eq!(
        events,
        [updated(&[
            ("specs.finish", json!(null), json!("zinc")),
            ("variant_key", json!(M12_50_A4), json!(format!("{M12_50_A4}|finish=zinc"))),
        ])]
    );
}

#[test]
fn a_spec_restated_in_another_unit_is_a_change_of_the_stored_value_only() {
    let given = with_bolt();
    let events = update_bolt(&given, None, json!({"length": {"value": 5, "unit": "cm"}})).unwrap();
    assert_eq!(events, [updated(&[("specs.length", stored(50.0, "mm", 50.0, "mm"), stored(5.0, "cm", 50.0, "mm"))])]);
}

// ---- retiring and claims -------------------------------------------------------------------

#[test]
fn a_product_retires_once() {
    let given = with_bolt();
    let events = retire(&product(&given, BOLT)).unwrap();
    assert_eq!(events, [on(BOLT, StreamType::Product, Event::ProductRetired {})]);
    let after = then(&given, &events);
    assert!(product(&after, BOLT).retired);
    assert!(matches!(retire(&product(&after, BOLT)), Err(DomainError::Conflict(_))));
}

#[test]
fn a_retired_product_takes_no_update() {
    let mut given = with_bolt();
    given.push(on(BOLT, StreamType::Product, Event::ProductRetired {}));
    assert!(matches!(update_bolt(&given, Some("Revived"), json!({})), Err(DomainError::Conflict(_))));
}

#[test]
fn a_product_claims_its_sku_always_and_its_variant_only_while_live() {
    let mut given = with_bolt();
    let variant_claim = format!("variant:{DIN933}:{M12_50_A4}");
    assert_eq!(product_state(&given, BOLT).claims(), ["sku:DIN933-M12-50-A4".to_owned(), variant_claim]);
    given.push(on(BOLT, StreamType::Product, Event::ProductRetired {}));
    assert_eq!(product_state(&given, BOLT).claims(), ["sku:DIN933-M12-50-A4"]);
}

#[test]
fn a_sku_is_claimed_without_regard_to_case() {
    let command = create_bolt(Some("din933-custom"), json!({"thread_size": "M12"}));
    let events = create_in(&catalog(), DIN933, command).unwrap();
    let claims = product_state(&then(&catalog(), &events), BOLT).claims();
    assert_eq!(claims[0], "sku:DIN933-CUSTOM");
}

#[test]
fn every_decided_product_event_survives_storage_and_folds_the_same() {
    let given = with_bolt();
    let mut history = given.clone();
    history.extend(
        update_bolt(&given, Some("Hex bolt M12x2in"), json!({"length": {"value": 2, "unit": "in"}, "material": null}))
            .unwrap(),
    );
    history.push(on(BOLT, StreamType::Product, Event::ProductRetired {}));
    let reloaded: Vec<NewEvent> = history
        .iter()
        .map(|e| {
            let event =
                Event::from_stored(e.event.type_name(), crate::events::SCHEMA_VERSION, &e.event.payload()).unwrap();
            assert_eq!(event, e.event);
            NewEvent { event, ..e.clone() }
        })
        .collect();
    assert_eq!(product_state(&reloaded, BOLT), product_state(&history, BOLT));
    let snapshot = serde_json::to_string(&product_state(&history, BOLT)).unwrap();
    assert_eq!(serde_json::from_str::<Aggregate>(&snapshot).unwrap(), product_state(&history, BOLT));
}

// ---- external ids and upserts --------------------------------------------------------------

fn bolt_from_erp(name: &str, specs: Value) -> CreateProduct {
    CreateProduct { external_id: Some(" MAT-4711 ".into()), ..create_bolt(None, specs) }.with_name(name)
}

impl CreateProduct {
    fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
}

fn erp_bolt_specs() -> Value {
    json!({"thread_size": "M12", "length": 50, "material": "A4"})
}

#[test]
fn a_product_created_with_an_external_id_records_it_and_claims_it_for_products() {
    let events = create_in(&catalog(), DIN933, bolt_from_erp("Hex bolt", erp_bolt_specs())).unwrap();
    let Event::ProductCreated { external_id, .. } = &events[0].event else { panic!("not created: {events:?}") };
    assert_eq!(external_id.as_ref().map(|e| e.as_str()), Some("MAT-4711"));
    let state = product_state(&then(&catalog(), &events), BOLT);
    assert!(state.claims().contains(&"external:product:MAT-4711".to_owned()), "{:?}", state.claims());
}

#[test]
fn a_bad_external_id_is_listed_with_the_other_bad_fields() {
    let command = CreateProduct { external_id: Some("a\u{0}b".into()), ..create_bolt(None, json!({})) }.with_name("");
    assert_eq!(
        invalid(create_in(&catalog(), DIN933, command)),
        pairs(&[("name", "invalid_name"), ("external_id", "invalid_external_id"), ("specs.thread_size", "required")])
    );
}

fn revise_in(given: &[NewEvent], family_id: Uuid, command: &CreateProduct) -> Result<Vec<NewEvent>, DomainError> {
    let product = product(given, BOLT);
    let (family, schema) = family(given, product.family_id);
    revise(&product, family_id, &family, &schema, command)
}

#[test]
fn revising_a_product_to_what_it_already_is_decides_nothing() {
    let given = then(&catalog(), &create_in(&catalog(), DIN933, bolt_from_erp("Hex bolt", erp_bolt_specs())).unwrap());
    assert_eq!(revise_in(&given, DIN933, &bolt_from_erp(" Hex bolt ", erp_bolt_specs())), Ok(vec![]));
    // Specs left out are kept, as an update merges them.
    assert_eq!(revise_in(&given, DIN933, &bolt_from_erp("Hex bolt", json!({"thread_size": "M12"}))), Ok(vec![]));
}

#[test]
fn revising_a_product_with_another_name_and_spec_updates_just_those() {
    let given = then(&catalog(), &create_in(&catalog(), DIN933, bolt_from_erp("Hex bolt", erp_bolt_specs())).unwrap());
    let events = revise_in(&given, DIN933, &bolt_from_erp("Hex bolt A2", json!({"material": "A2"}))).unwrap();
    let [NewEvent { event: Event::ProductUpdated { changes }, .. }] = events.as_slice() else {
        panic!("not one update: {events:?}")
    };
    let fields: Vec<&str> = changes.keys().map(String::as_str).collect();
    assert_eq!(fields, ["name", "specs.material", "variant_key"]);
    let after = product(&then(&given, &events), BOLT);
    assert_eq!(after.external_id.as_ref().map(|e| e.as_str()), Some("MAT-4711"));
}

#[test]
fn revising_a_product_into_another_family_or_sku_is_refused_naming_the_field() {
    let given = then(&catalog(), &create_in(&catalog(), DIN933, bolt_from_erp("Hex bolt", erp_bolt_specs())).unwrap());
    let moved = revise_in(&given, DIN125, &bolt_from_erp("Hex bolt", json!({})));
    assert!(matches!(moved, Err(DomainError::Unchangeable { field: "family_id", .. })), "{moved:?}");
    let renumbered = CreateProduct { sku: Some("OTHER-1".into()), ..bolt_from_erp("Hex bolt", json!({})) };
    let refused = revise_in(&given, DIN933, &renumbered);
    assert!(matches!(refused, Err(DomainError::Unchangeable { field: "sku", .. })), "{refused:?}");
}

#[test]
fn an_external_id_given_later_takes_its_claim_and_one_removed_gives_it_up() {
    let given = with_bolt();
    let set = crate::names::change_external_id(BOLT, StreamType::Product, None, Some(" MAT-1 ")).unwrap();
    let with_id = then(&given, &set);
    assert_eq!(product(&with_id, BOLT).external_id.map(|e| e.to_string()).as_deref(), Some("MAT-1"));
    assert!(product_state(&with_id, BOLT).claims().contains(&"external:product:MAT-1".to_owned()));
    let current = product(&with_id, BOLT).external_id;
    let same = crate::names::change_external_id(BOLT, StreamType::Product, current.as_ref(), Some("MAT-1")).unwrap();
    assert_eq!(same, vec![]);
    let removed = crate::names::change_external_id(BOLT, StreamType::Product, current.as_ref(), None).unwrap();
    let after = product_state(&then(&with_id, &removed), BOLT);
    assert!(after.claims().iter().all(|c| !c.starts_with("external:")), "{:?}", after.claims());
}

//! Given / when / then over events for categories and families: the given events are replayed
//! into a `CategoryTree`, a command is decided, and the exact events (or the error) are checked.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::given::*;

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::attributes::{AttributeDefinition, ResolvedAttribute};
use crate::brand::Brand;
use crate::events::{Aggregate, Diff};
use crate::family::{self, CreateFamily, Family};

const METRIC: Uuid = Uuid::from_u128(0x31);
const CARRIAGE: Uuid = Uuid::from_u128(0x32);
const HARDWARE: Uuid = Uuid::from_u128(0x40);
const CABLES: Uuid = Uuid::from_u128(0x41);
const COPPER: Uuid = Uuid::from_u128(0x42);
const ACME: Uuid = Uuid::from_u128(0xa0);

// ---- given: events -------------------------------------------------------------------------

fn category_event(id: Uuid, event: Event) -> NewEvent {
    NewEvent { stream_id: id, stream_type: StreamType::Category, event }
}

fn input(json: Value) -> DefinitionInput {
    serde_json::from_value(json).unwrap()
}

fn defined_event(key_text: &str, json: Value) -> Event {
    let definition = def(json);
    let changes = AttributeDefinition::diff(None, Some(&definition));
    Event::AttributeDefined { key: key(key_text), definition, changes }
}

fn defined(id: Uuid, key_text: &str, json: Value) -> NewEvent {
    category_event(id, defined_event(key_text, json))
}

fn family_event(id: Uuid, event: Event) -> NewEvent {
    NewEvent { stream_id: id, stream_type: StreamType::Family, event }
}

fn retired(id: Uuid) -> NewEvent {
    category_event(id, Event::CategoryRetired {})
}

fn thread_size() -> Value {
    json!({"label": "Thread size", "type": "select", "options": ["M6", "M8", "M10", "M12"],
           "required": true, "variant_defining": true, "filterable": true})
}

fn length() -> Value {
    json!({"label": "Length", "type": "number", "unit": "mm", "min": 1, "max": 1000, "variant_defining": true})
}

fn material() -> Value {
    json!({"label": "Material", "type": "select", "options": ["steel", "A2", "A4"]})
}

/// The walk-through: cluster Fasteners > node Bolts > leaf Hex bolts, whose three attributes
/// products of the family DIN 933 carry.
fn walk_through() -> Vec<NewEvent> {
    vec![
        created("Fasteners", &[FASTENERS]),
        created("Bolts", &[FASTENERS, BOLTS]),
        created("Hex bolts", &[FASTENERS, BOLTS, HEX_BOLTS]),
        defined(HEX_BOLTS, "thread_size", thread_size()),
        defined(HEX_BOLTS, "length", length()),
        defined(HEX_BOLTS, "material", material()),
        family_created(DIN933, HEX_BOLTS, "DIN 933", "DIN933"),
    ]
}

/// Fasteners > Bolts > {Metric bolts > Hex bolts, Carriage bolts}, and an empty cluster Hardware.
fn deep_tree() -> Vec<NewEvent> {
    vec![
        created("Fasteners", &[FASTENERS]),
        created("Bolts", &[FASTENERS, BOLTS]),
        created("Metric bolts", &[FASTENERS, BOLTS, METRIC]),
        created("Carriage bolts", &[FASTENERS, BOLTS, CARRIAGE]),
        created("Hex bolts", &[FASTENERS, BOLTS, METRIC, HEX_BOLTS]),
        created("Hardware", &[HARDWARE]),
    ]
}

/// The tree as the command side loads it: every category, and the categories families live in.
fn tree(given: &[NewEvent]) -> CategoryTree {
    let states = fold(given);
    let holding: Vec<Uuid> = states
        .iter()
        .filter_map(|a| match a {
            Aggregate::Family(f) => Some(f.category_id),
            _ => None,
        })
        .collect();
    let categories = states.into_iter().filter_map(|a| match a {
        Aggregate::Category(c) => Some(c),
        _ => None,
    });
    CategoryTree::new(categories, holding)
}

fn family_state(given: &[NewEvent], id: Uuid) -> Family {
    fold(given)
        .into_iter()
        .find_map(|a| match a {
            Aggregate::Family(f) if f.id == id => Some(f),
            _ => None,
        })
        .unwrap()
}

// ---- when: commands ------------------------------------------------------------------------

fn create(name: &str, id: Uuid, parent_id: Option<Uuid>) -> CategoryCommand {
    CategoryCommand::Create { id, name: name.into(), parent_id, external_id: None }
}

fn move_to(id: Uuid, parent_id: Option<Uuid>) -> CategoryCommand {
    CategoryCommand::Update { id, name: None, parent_id: Some(parent_id) }
}

fn rename(id: Uuid, name: &str) -> CategoryCommand {
    CategoryCommand::Update { id, name: Some(name.into()), parent_id: None }
}

fn define(id: Uuid, key: &str, json: Value) -> CategoryCommand {
    CategoryCommand::DefineAttribute { id, key: key.into(), input: input(json) }
}

fn new_family(category_id: Uuid, name: &str) -> CreateFamily {
    CreateFamily { id: DIN933, category_id, brand_id: None, name: name.into(), code: None, external_id: None }
}

fn assert_conflict(result: Result<Vec<NewEvent>, DomainError>) {
    assert!(matches!(result, Err(DomainError::Conflict(_))), "expected a conflict, got {result:?}");
}

// ---- creating categories -------------------------------------------------------------------

#[test]
fn creating_a_root_makes_a_cluster_whose_path_is_itself() {
    let events = tree(&[]).decide(create("  Fasteners ", FASTENERS, None)).unwrap();
    assert_eq!(
        events,
        [category_event(
            FASTENERS,
            Event::CategoryCreated {
                name: "Fasteners".into(),
                parent_id: None,
                path: vec![FASTENERS],
                external_id: None,
            }
        )]
    );
    assert_eq!(tree(&events).kind(FASTENERS), Some(CategoryKind::Cluster));
}

#[test]
fn creating_children_extends_the_parents_path_from_the_root_down() {
    let given = [created("Fasteners", &[FASTENERS]), created("Bolts", &[FASTENERS, BOLTS])];
    let events = tree(&given).decide(create("Hex bolts", HEX_BOLTS, Some(BOLTS))).unwrap();
    assert_eq!(
        events,
        [category_event(
            HEX_BOLTS,
            Event::CategoryCreated {
                name: "Hex bolts".into(),
                parent_id: Some(BOLTS),
                path: vec![FASTENERS, BOLTS, HEX_BOLTS],
                external_id: None,
            }
        )]
    );
    let after = tree(&then(&given, &events));
    let chain: Vec<&str> = after.chain(HEX_BOLTS).iter().map(|c| c.name.as_str()).collect();
    assert_eq!(chain, ["Fasteners", "Bolts", "Hex bolts"]);
    assert_eq!(after.get(HEX_BOLTS).map(Category::depth), Some(2));
    assert_eq!(
        crate::format_path(&after.get(HEX_BOLTS).unwrap().path),
        format!("{}.{}.{}", FASTENERS.simple(), BOLTS.simple(), HEX_BOLTS.simple())
    );
}

#[test]
fn kinds_follow_the_place_in_the_tree() {
    let after = tree(&walk_through());
    assert_eq!(after.kind(FASTENERS), Some(CategoryKind::Cluster));
    assert_eq!(after.kind(BOLTS), Some(CategoryKind::Node));
    assert_eq!(after.kind(HEX_BOLTS), Some(CategoryKind::Leaf));
    assert_eq!(after.kind(HARDWARE), None);
}

#[test]
fn a_sibling_with_the_same_name_in_any_case_is_a_conflict() {
    let given = [created("Fasteners", &[FASTENERS]), created("Bolts", &[FASTENERS, BOLTS])];
    assert_conflict(tree(&given).decide(create("BOLTS", CARRIAGE, Some(FASTENERS))));
    assert_conflict(tree(&given).decide(create("fasteners", HARDWARE, None)));
}

#[test]
fn the_same_name_under_another_parent_is_no_conflict() {
    let given =
        [created("Fasteners", &[FASTENERS]), created("Hardware", &[HARDWARE]), created("Bolts", &[FASTENERS, BOLTS])];
    let events = tree(&given).decide(create("Bolts", CARRIAGE, Some(HARDWARE))).unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn a_retired_siblings_name_may_be_taken_again() {
    let given = [created("Fasteners", &[FASTENERS]), created("Bolts", &[FASTENERS, BOLTS]), retired(BOLTS)];
    let events = tree(&given).decide(create("Bolts", CARRIAGE, Some(FASTENERS))).unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn a_category_under_a_missing_parent_names_the_parent_id_field() {
    let result = tree(&[]).decide(create("Bolts", BOLTS, Some(FASTENERS)));
    assert_eq!(
        result,
        Err(DomainError::NotFound { entity: "category", id: FASTENERS.to_string(), field: Some("parent_id") })
    );
}

#[test]
fn a_category_under_a_retired_parent_is_invalid_and_a_bad_name_is_reported_with_it() {
    let given = [created("Fasteners", &[FASTENERS]), retired(FASTENERS)];
    let found = invalid(tree(&given).decide(create("   ", BOLTS, Some(FASTENERS))));
    assert_eq!(found, pairs(&[("name", "invalid_name"), ("parent_id", "category_retired")]));
}

// ---- the leaf rule -------------------------------------------------------------------------

#[test]
fn a_category_holding_families_takes_no_child() {
    let found = invalid(tree(&walk_through()).decide(create("Long hex bolts", METRIC, Some(HEX_BOLTS))));
    assert_eq!(found, pairs(&[("parent_id", "leaf_category")]));
}

#[test]
fn a_category_cannot_move_under_one_holding_families() {
    let mut given = walk_through();
    given.push(created("Carriage bolts", &[FASTENERS, BOLTS, CARRIAGE]));
    let found = invalid(tree(&given).decide(move_to(CARRIAGE, Some(HEX_BOLTS))));
    assert_eq!(found, pairs(&[("parent_id", "leaf_category")]));
}

#[test]
fn a_family_in_a_cluster_is_not_in_a_leaf() {
    let given = [created("Fasteners", &[FASTENERS])];
    let found = invalid(family::create(&tree(&given), None, &BTreeSet::new(), new_family(FASTENERS, "DIN 933")));
    assert_eq!(found, pairs(&[("category_id", "not_a_leaf")]));
}

#[test]
fn a_family_in_a_category_with_children_is_not_in_a_leaf() {
    let given = &walk_through()[..3];
    let found = invalid(family::create(&tree(given), None, &BTreeSet::new(), new_family(BOLTS, "DIN 933")));
    assert_eq!(found, pairs(&[("category_id", "not_a_leaf")]));
}

#[test]
fn a_category_whose_children_are_all_retired_may_hold_families() {
    let mut given = walk_through()[..3].to_vec();
    given.push(retired(HEX_BOLTS));
    let events = family::create(&tree(&given), None, &BTreeSet::new(), new_family(BOLTS, "Bolt kits")).unwrap();
    assert_eq!(events, [family_created(DIN933, BOLTS, "Bolt kits", "BOLTKITS")]);
}

#[test]
fn a_family_in_a_leaf_gets_a_code_derived_from_its_name() {
    let given = &walk_through()[..3];
    let events = family::create(&tree(given), None, &BTreeSet::new(), new_family(HEX_BOLTS, "DIN 933")).unwrap();
    assert_eq!(events, [family_created(DIN933, HEX_BOLTS, "DIN 933", "DIN933")]);
    assert_eq!(tree(&then(given, &events)).kind(HEX_BOLTS), Some(CategoryKind::Leaf));
}

#[test]
fn a_family_reports_a_bad_code_and_a_retired_category_together() {
    let mut given = walk_through()[..3].to_vec();
    given.push(retired(HEX_BOLTS));
    let command = CreateFamily { code: Some("din933".into()), ..new_family(HEX_BOLTS, "DIN 933") };
    let found = invalid(family::create(&tree(&given), None, &BTreeSet::new(), command));
    assert_eq!(found, pairs(&[("code", "invalid_code"), ("category_id", "category_retired")]));
}

#[test]
fn a_family_names_a_missing_brand_or_category_by_field() {
    let given = &walk_through()[..3];
    let command = CreateFamily { brand_id: Some(ACME), ..new_family(HEX_BOLTS, "DIN 933") };
    assert_eq!(
        family::create(&tree(given), None, &BTreeSet::new(), command),
        Err(DomainError::NotFound { entity: "brand", id: ACME.to_string(), field: Some("brand_id") })
    );
    let acme = Brand { id: ACME, name: "Acme".into(), external_id: None };
    let command = CreateFamily { brand_id: Some(ACME), ..new_family(METRIC, "DIN 933") };
    assert_eq!(
        family::create(&tree(given), Some(&acme), &BTreeSet::new(), command),
        Err(DomainError::NotFound { entity: "category", id: METRIC.to_string(), field: Some("category_id") })
    );
}

// ---- renaming and moving -------------------------------------------------------------------

#[test]
fn moving_a_node_rewrites_every_descendants_path() {
    let given = deep_tree();
    let events = tree(&given).decide(move_to(BOLTS, Some(HARDWARE))).unwrap();
    let path_changed = |id: Uuid, from: &[Uuid], to: &[Uuid]| {
        category_event(
            id,
            Event::CategoryPathChanged { path: Change { from: from.to_vec(), to: to.to_vec() }, moved: BOLTS },
        )
    };
    assert_eq!(
        events,
        [
            category_event(
                BOLTS,
                Event::CategoryMoved {
                    parent_id: Change { from: Some(FASTENERS), to: Some(HARDWARE) },
                    path: Change { from: vec![FASTENERS, BOLTS], to: vec![HARDWARE, BOLTS] },
                }
            ),
            // Parents before children; one depth in path order.
            path_changed(METRIC, &[FASTENERS, BOLTS, METRIC], &[HARDWARE, BOLTS, METRIC]),
            path_changed(CARRIAGE, &[FASTENERS, BOLTS, CARRIAGE], &[HARDWARE, BOLTS, CARRIAGE]),
            path_changed(HEX_BOLTS, &[FASTENERS, BOLTS, METRIC, HEX_BOLTS], &[HARDWARE, BOLTS, METRIC, HEX_BOLTS]),
        ]
    );
    let after = tree(&then(&given, &events));
    let chain: Vec<&str> = after.chain(HEX_BOLTS).iter().map(|c| c.name.as_str()).collect();
    assert_eq!(chain, ["Hardware", "Bolts", "Metric bolts", "Hex bolts"]);
    assert_eq!(after.get(BOLTS).and_then(|c| c.parent_id), Some(HARDWARE));
}

#[test]
fn the_same_move_decides_the_same_events_every_time() {
    let given = deep_tree();
    let first = tree(&given).decide(move_to(BOLTS, Some(HARDWARE))).unwrap();
    for _ in 0..20 {
        assert_eq!(tree(&given).decide(move_to(BOLTS, Some(HARDWARE))).unwrap(), first);
    }
}

#[test]
fn moving_to_the_root_makes_a_cluster_and_shortens_the_subtree_paths() {
    let given = deep_tree();
    let events = tree(&given).decide(move_to(METRIC, None)).unwrap();
    assert_eq!(
        events,
        [
            category_event(
                METRIC,
                Event::CategoryMoved {
                    parent_id: Change { from: Some(BOLTS), to: None },
                    path: Change { from: vec![FASTENERS, BOLTS, METRIC], to: vec![METRIC] },
                }
            ),
            category_event(
                HEX_BOLTS,
                Event::CategoryPathChanged {
                    path: Change { from: vec![FASTENERS, BOLTS, METRIC, HEX_BOLTS], to: vec![METRIC, HEX_BOLTS] },
                    moved: METRIC,
                }
            ),
        ]
    );
    assert_eq!(tree(&then(&given, &events)).kind(METRIC), Some(CategoryKind::Cluster));
}

#[test]
fn moving_a_category_under_itself_is_a_cycle() {
    let found = invalid(tree(&deep_tree()).decide(move_to(BOLTS, Some(BOLTS))));
    assert_eq!(found, pairs(&[("parent_id", "cycle")]));
}

#[test]
fn moving_a_category_under_its_descendant_is_a_cycle() {
    for below in [METRIC, HEX_BOLTS] {
        let found = invalid(tree(&deep_tree()).decide(move_to(BOLTS, Some(below))));
        assert_eq!(found, pairs(&[("parent_id", "cycle")]));
    }
}

#[test]
fn a_category_holding_families_cannot_become_a_root() {
    let found = invalid(tree(&walk_through()).decide(move_to(HEX_BOLTS, None)));
    assert_eq!(found, pairs(&[("parent_id", "cluster_with_families")]));
}

#[test]
fn moving_under_a_missing_or_retired_parent_is_refused() {
    let mut given = deep_tree();
    assert_eq!(
        tree(&given).decide(move_to(CARRIAGE, Some(CABLES))),
        Err(DomainError::NotFound { entity: "category", id: CABLES.to_string(), field: Some("parent_id") })
    );
    given.push(retired(HARDWARE));
    let found = invalid(tree(&given).decide(move_to(CARRIAGE, Some(HARDWARE))));
    assert_eq!(found, pairs(&[("parent_id", "category_retired")]));
}

#[test]
fn moving_next_to_a_sibling_of_the_same_name_is_a_conflict() {
    let mut given = deep_tree();
    given.push(created("Metric Bolts", &[HARDWARE, CABLES]));
    assert_conflict(tree(&given).decide(move_to(METRIC, Some(HARDWARE))));
}

#[test]
fn renaming_and_moving_at_once_gives_both_events_in_order() {
    let given = deep_tree();
    let command =
        CategoryCommand::Update { id: CARRIAGE, name: Some("Coach bolts".into()), parent_id: Some(Some(HARDWARE)) };
    let events = tree(&given).decide(command).unwrap();
    assert_eq!(
        events,
        [
            category_event(
                CARRIAGE,
                Event::CategoryRenamed { name: Change { from: "Carriage bolts".into(), to: "Coach bolts".into() } }
            ),
            category_event(
                CARRIAGE,
                Event::CategoryMoved {
                    parent_id: Change { from: Some(BOLTS), to: Some(HARDWARE) },
                    path: Change { from: vec![FASTENERS, BOLTS, CARRIAGE], to: vec![HARDWARE, CARRIAGE] },
                }
            ),
        ]
    );
}

#[test]
fn renaming_to_a_siblings_name_is_a_conflict_but_changing_only_case_is_not() {
    let given = deep_tree();
    assert_conflict(tree(&given).decide(rename(CARRIAGE, "metric bolts")));
    let events = tree(&given).decide(rename(CARRIAGE, "Carriage Bolts")).unwrap();
    assert_eq!(
        events,
        [category_event(
            CARRIAGE,
            Event::CategoryRenamed { name: Change { from: "Carriage bolts".into(), to: "Carriage Bolts".into() } }
        )]
    );
}

#[test]
fn an_update_that_changes_nothing_decides_no_events() {
    let given = deep_tree();
    let command =
        CategoryCommand::Update { id: CARRIAGE, name: Some(" Carriage bolts ".into()), parent_id: Some(Some(BOLTS)) };
    assert_eq!(tree(&given).decide(command), Ok(vec![]));
}

#[test]
fn moving_a_subtree_under_a_conflicting_definition_is_refused() {
    // Fasteners measures length; Cables > Copper cables calls its length text.
    let given = [
        created("Fasteners", &[FASTENERS]),
        defined(FASTENERS, "length", length()),
        created("Hardware", &[HARDWARE]),
        created("Cables", &[HARDWARE, CABLES]),
        created("Copper cables", &[HARDWARE, CABLES, COPPER]),
        defined(COPPER, "length", json!({"label": "Length", "type": "text"})),
    ];
    let found = invalid(tree(&given).decide(move_to(CABLES, Some(FASTENERS))));
    assert_eq!(found, pairs(&[("parent_id", "override_type_mismatch")]));
    let mut other_units = given.to_vec();
    other_units[5] = defined(COPPER, "length", json!({"label": "Length", "type": "number", "unit": "kg"}));
    let found = invalid(tree(&other_units).decide(move_to(CABLES, Some(FASTENERS))));
    assert_eq!(found, pairs(&[("parent_id", "override_unit_mismatch")]));
    other_units[5] = defined(COPPER, "length", json!({"label": "Length", "type": "number", "unit": "ft"}));
    assert_eq!(tree(&other_units).decide(move_to(CABLES, Some(FASTENERS))).map(|e| e.len()), Ok(2));
}

#[test]
fn updating_a_missing_or_retired_category_is_refused() {
    let mut given = deep_tree();
    assert_eq!(
        tree(&given).decide(rename(CABLES, "Cables")),
        Err(DomainError::NotFound { entity: "category", id: CABLES.to_string(), field: None })
    );
    given.push(retired(CARRIAGE));
    assert_conflict(tree(&given).decide(rename(CARRIAGE, "Coach bolts")));
}

// ---- retiring ------------------------------------------------------------------------------

#[test]
fn an_empty_category_retires() {
    let events = tree(&deep_tree()).decide(CategoryCommand::Retire { id: CARRIAGE }).unwrap();
    assert_eq!(events, [retired(CARRIAGE)]);
    let after = tree(&then(&deep_tree(), &events));
    assert!(after.get(CARRIAGE).unwrap().retired);
}

#[test]
fn a_category_with_live_children_does_not_retire_until_they_do() {
    let mut given = deep_tree();
    assert_conflict(tree(&given).decide(CategoryCommand::Retire { id: BOLTS }));
    given.extend([retired(HEX_BOLTS), retired(METRIC), retired(CARRIAGE)]);
    assert_eq!(tree(&given).decide(CategoryCommand::Retire { id: BOLTS }), Ok(vec![retired(BOLTS)]));
}

#[test]
fn a_category_holding_families_does_not_retire() {
    assert_conflict(tree(&walk_through()).decide(CategoryCommand::Retire { id: HEX_BOLTS }));
}

#[test]
fn a_retired_category_does_not_retire_again_and_a_missing_one_is_not_found() {
    let mut given = deep_tree();
    given.push(retired(CARRIAGE));
    assert_conflict(tree(&given).decide(CategoryCommand::Retire { id: CARRIAGE }));
    assert!(matches!(
        tree(&given).decide(CategoryCommand::Retire { id: CABLES }),
        Err(DomainError::NotFound { entity: "category", .. })
    ));
}

// ---- attribute definitions -----------------------------------------------------------------

#[test]
fn defining_an_attribute_carries_every_field_as_a_change_from_nothing() {
    let given = &walk_through()[..3];
    let events = tree(given).decide(define(HEX_BOLTS, "length", length())).unwrap();
    let changes: Diff = [
        ("label", json!(null), json!("Length")),
        ("type", json!(null), json!("number")),
        ("unit", json!(null), json!("mm")),
        ("min", json!(null), json!(1.0)),
        ("max", json!(null), json!(1000.0)),
        ("required", json!(null), json!(false)),
        ("variant_defining", json!(null), json!(true)),
        ("filterable", json!(null), json!(false)),
        ("searchable", json!(null), json!(false)),
    ]
    .into_iter()
    .map(|(field, from, to)| (field.to_owned(), Change { from, to }))
    .collect();
    assert_eq!(
        events,
        [category_event(HEX_BOLTS, Event::AttributeDefined { key: key("length"), definition: def(length()), changes })]
    );
}

#[test]
fn replacing_a_definition_carries_only_what_changed() {
    let given = walk_through();
    let wider = json!({"label": "Length", "type": "number", "unit": "mm", "min": 1, "max": 2000,
                       "variant_defining": true, "filterable": true});
    let events = tree(&given).decide(define(HEX_BOLTS, "length", wider.clone())).unwrap();
    let changes: Diff = [
        ("max".to_owned(), Change { from: json!(1000.0), to: json!(2000.0) }),
        ("filterable".to_owned(), Change { from: json!(false), to: json!(true) }),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        events,
        [category_event(
            HEX_BOLTS,
            Event::AttributeDefined { key: key("length"), definition: def(wider.clone()), changes }
        )]
    );
    let after = tree(&then(&given, &events));
    let keys: Vec<&str> = after.get(HEX_BOLTS).unwrap().attributes.keys().map(AttributeKey::as_str).collect();
    assert_eq!(keys, ["thread_size", "length", "material"], "a replaced definition keeps its place");
    assert_eq!(after.schema(HEX_BOLTS).get("length").map(|a| &a.definition), Some(&def(wider)));
}

#[test]
fn defining_an_attribute_exactly_as_it_stands_decides_nothing() {
    let decided = tree(&walk_through()).decide(define(HEX_BOLTS, "length", length())).unwrap();
    assert!(decided.is_empty(), "{decided:?}");
}

#[test]
fn a_bad_key_or_definition_is_invalid_with_every_problem() {
    let given = walk_through();
    let found = invalid(tree(&given).decide(define(HEX_BOLTS, "Thread Size", thread_size())));
    assert_eq!(found, pairs(&[("key", "invalid_key")]));
    let found = invalid(tree(&given).decide(define(HEX_BOLTS, "finish", json!({"label": "", "type": "select"}))));
    assert_eq!(found, pairs(&[("label", "invalid_label"), ("options", "invalid_options")]));
}

#[test]
fn defining_on_a_retired_or_missing_category_is_refused() {
    let mut given = deep_tree();
    given.push(retired(CARRIAGE));
    assert_conflict(tree(&given).decide(define(CARRIAGE, "length", length())));
    assert!(matches!(
        tree(&given).decide(define(CABLES, "length", length())),
        Err(DomainError::NotFound { entity: "category", .. })
    ));
}

#[test]
fn a_category_override_must_keep_the_inherited_type_and_unit_family() {
    let mut given = deep_tree();
    given.push(defined(BOLTS, "length", length()));
    let found = invalid(tree(&given).decide(define(METRIC, "length", json!({"label": "Length", "type": "text"}))));
    assert_eq!(found, pairs(&[("type", "override_type_mismatch")]));
    let found = invalid(tree(&given).decide(define(
        METRIC,
        "length",
        json!({"label": "Length", "type": "number", "unit": "V"}),
    )));
    assert_eq!(found, pairs(&[("unit", "override_unit_mismatch")]));
    let inches = json!({"label": "Length", "type": "number", "unit": "in", "max": 40});
    assert_eq!(tree(&given).decide(define(METRIC, "length", inches)).map(|e| e.len()), Ok(1));
}

#[test]
fn a_definition_that_contradicts_an_override_below_is_refused() {
    let mut given = deep_tree();
    given.push(defined(HEX_BOLTS, "length", length()));
    let found = invalid(tree(&given).decide(define(BOLTS, "length", json!({"label": "Length", "type": "text"}))));
    assert_eq!(found, pairs(&[("type", "override_type_mismatch")]));
}

#[test]
fn removing_an_attribute_carries_what_it_was() {
    let given = walk_through();
    let events =
        tree(&given).decide(CategoryCommand::RemoveAttribute { id: HEX_BOLTS, key: "material".into() }).unwrap();
    let changes = AttributeDefinition::diff(Some(&def(material())), None);
    assert_eq!(changes.get("label").map(|c| (&c.from, &c.to)), Some((&json!("Material"), &json!(null))));
    assert_eq!(events, [category_event(HEX_BOLTS, Event::AttributeRemoved { key: key("material"), changes })]);
    assert!(tree(&then(&given, &events)).schema(HEX_BOLTS).get("material").is_none());
}

#[test]
fn removing_an_unknown_key_is_not_found() {
    let result = tree(&walk_through()).decide(CategoryCommand::RemoveAttribute { id: HEX_BOLTS, key: "finish".into() });
    assert_eq!(result, Err(DomainError::NotFound { entity: "attribute", id: "finish".into(), field: None }));
    let din933 = family_state(&walk_through(), DIN933);
    assert_eq!(
        family::remove_attribute(&din933, "material"),
        Err(DomainError::NotFound { entity: "attribute", id: "material".into(), field: None })
    );
}

#[test]
fn a_deeper_category_overrides_a_shallower_one_in_place() {
    let given = [
        created("Fasteners", &[FASTENERS]),
        created("Bolts", &[FASTENERS, BOLTS]),
        defined(FASTENERS, "material", json!({"label": "Material", "type": "select", "options": ["steel", "brass"]})),
        defined(FASTENERS, "coating", json!({"label": "Coating", "type": "text"})),
        defined(BOLTS, "material", material()),
    ];
    let schema = tree(&given).schema(BOLTS);
    let found: Vec<(&str, Level)> = schema.iter().map(|a| (a.key.as_str(), a.source)).collect();
    assert_eq!(
        found,
        [
            ("material", Level::Category { category_id: BOLTS, depth: 1 }),
            ("coating", Level::Category { category_id: FASTENERS, depth: 0 }),
        ]
    );
    assert_eq!(schema.get("material").map(|a| &a.definition), Some(&def(material())));
}

// ---- the walk-through ----------------------------------------------------------------------

#[test]
fn the_walk_through_builds_its_tree_from_commands() {
    let mut history: Vec<NewEvent> = Vec::new();
    for command in [
        create("Fasteners", FASTENERS, None),
        create("Bolts", BOLTS, Some(FASTENERS)),
        create("Hex bolts", HEX_BOLTS, Some(BOLTS)),
        define(HEX_BOLTS, "thread_size", thread_size()),
        define(HEX_BOLTS, "length", length()),
        define(HEX_BOLTS, "material", material()),
    ] {
        let events = tree(&history).decide(command).unwrap();
        history.extend(events);
    }
    let events = family::create(&tree(&history), None, &BTreeSet::new(), new_family(HEX_BOLTS, "DIN 933")).unwrap();
    history.extend(events);
    assert_eq!(history, walk_through());
}

#[test]
fn a_family_override_may_narrow_options_but_not_change_the_type() {
    let given = walk_through();
    let din933 = family_state(&given, DIN933);
    let found = invalid(family::define_attribute(&tree(&given), &din933, "material", json_input_text()));
    assert_eq!(found, pairs(&[("type", "override_type_mismatch")]));
    let in_volts = input(json!({"label": "Length", "type": "number", "unit": "V"}));
    let found = invalid(family::define_attribute(&tree(&given), &din933, "length", in_volts));
    assert_eq!(found, pairs(&[("unit", "override_unit_mismatch")]));
}

fn json_input_text() -> DefinitionInput {
    input(json!({"label": "Material", "type": "text"}))
}

#[test]
fn the_walk_through_family_resolves_each_attribute_with_its_level() {
    let given = walk_through();
    let din933 = family_state(&given, DIN933);
    let override_json = json!({"label": "Material", "type": "select", "options": ["A2", "A4"], "filterable": true});
    let events = family::define_attribute(&tree(&given), &din933, "material", input(override_json.clone())).unwrap();
    let changes = AttributeDefinition::diff(None, Some(&def(override_json.clone())));
    assert_eq!(
        events,
        [family_event(
            DIN933,
            Event::AttributeDefined { key: key("material"), definition: def(override_json.clone()), changes }
        )]
    );

    let after = then(&given, &events);
    let schema = family_state(&after, DIN933).schema(&tree(&after));
    let hex_bolts = Level::Category { category_id: HEX_BOLTS, depth: 2 };
    let expected = [
        ResolvedAttribute { key: key("thread_size"), definition: def(thread_size()), source: hex_bolts },
        ResolvedAttribute { key: key("length"), definition: def(length()), source: hex_bolts },
        ResolvedAttribute {
            key: key("material"),
            definition: def(override_json),
            source: Level::Family { family_id: DIN933 },
        },
    ];
    let resolved: Vec<&ResolvedAttribute> = schema.iter().collect();
    assert_eq!(resolved, expected.iter().collect::<Vec<_>>());

    let thread = &schema.get("thread_size").unwrap().definition;
    assert!(thread.required && thread.variant_defining && thread.filterable);
    let length = &schema.get("length").unwrap().definition;
    assert_eq!((length.unit.map(|u| u.symbol()), length.min, length.max), (Some("mm"), Some(1.0), Some(1000.0)));
    let variant: Vec<&str> = schema.variant_defining().map(|a| a.key.as_str()).collect();
    assert_eq!(variant, ["thread_size", "length"]);

    // The resolved schema as the query API shows it: each attribute flat, with its level.
    let shown = serde_json::to_value(&schema).unwrap();
    assert_eq!(shown["material"]["level"], json!("family"));
    assert_eq!(shown["material"]["family_id"], json!(DIN933));
    assert_eq!(shown["length"]["level"], json!("category"));
    assert_eq!(shown["length"]["depth"], json!(2));
    assert_eq!(shown["length"]["type"], json!("number"));
}

#[test]
fn snapshots_keep_the_order_of_definitions() {
    let given = walk_through();
    let state = fold(&given).into_iter().find(|a| matches!(a, Aggregate::Category(c) if c.id == HEX_BOLTS)).unwrap();
    let stored = serde_json::to_string(&state).unwrap();
    let back: Aggregate = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, state);
    let Aggregate::Category(category) = back else { panic!("not a category") };
    let keys: Vec<&str> = category.attributes.keys().map(AttributeKey::as_str).collect();
    assert_eq!(keys, ["thread_size", "length", "material"]);
}

#[test]
fn every_decided_category_event_survives_storage() {
    let given = deep_tree();
    let mut decided = tree(&given).decide(move_to(BOLTS, Some(HARDWARE))).unwrap();
    decided.extend(walk_through());
    for new in decided {
        let stored = Event::from_stored(new.event.type_name(), crate::events::SCHEMA_VERSION, &new.event.payload());
        assert_eq!(stored.as_ref(), Ok(&new.event));
    }
}

// ---- external ids and upserts --------------------------------------------------------------

#[test]
fn a_category_created_with_an_external_id_records_it_trimmed() {
    let command = CategoryCommand::Create {
        id: FASTENERS,
        name: "Fasteners".into(),
        parent_id: None,
        external_id: Some("  CAT-01\u{a0}".into()),
    };
    let events = tree(&[]).decide(command).unwrap();
    let Event::CategoryCreated { external_id, .. } = &events[0].event else { panic!("{events:?}") };
    assert_eq!(external_id.as_ref().map(|e| e.as_str()), Some("CAT-01"));
    let states = fold(&events);
    assert_eq!(states[0].claims(), ["external:category:CAT-01"]);
}

#[test]
fn an_external_id_beyond_its_bound_is_refused_with_its_code() {
    let command = CategoryCommand::Create {
        id: FASTENERS,
        name: "Fasteners".into(),
        parent_id: None,
        external_id: Some("x".repeat(129)),
    };
    assert_eq!(invalid(tree(&[]).decide(command)), pairs(&[("external_id", "external_id_too_long")]));
}

#[test]
fn updating_a_category_to_its_own_name_and_parent_decides_nothing() {
    let given = [created("Fasteners", &[FASTENERS]), created("Bolts", &[FASTENERS, BOLTS])];
    let update = CategoryCommand::Update { id: BOLTS, name: Some("Bolts".into()), parent_id: Some(Some(FASTENERS)) };
    assert_eq!(tree(&given).decide(update).unwrap(), vec![]);
}

#[test]
fn a_brand_renamed_moves_its_name_claim_and_keeps_its_external_id() {
    let created = crate::brand::create(ACME, "Acme", Some("B-1")).unwrap();
    let acme = match &fold(&created)[0] {
        Aggregate::Brand(b) => b.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(acme.external_id.as_ref().map(|e| e.as_str()), Some("B-1"));
    assert_eq!(crate::brand::rename(&acme, " Acme ").unwrap(), vec![]);
    let renamed = crate::brand::rename(&acme, "Acme Tools").unwrap();
    let after = fold(&then(&created, &renamed));
    assert_eq!(after[0].claims(), ["brand:acme tools", "external:brand:B-1"]);
}

#[test]
fn revising_a_family_renames_it_but_never_moves_it_nor_changes_its_code() {
    let given = walk_through();
    let din933 = family_state(&given, DIN933);
    let same = CreateFamily { code: Some("DIN933".into()), ..new_family(HEX_BOLTS, "DIN 933") };
    assert_eq!(family::revise(&din933, &same).unwrap(), vec![]);
    // No code given: the family keeps its own, whatever the new name would derive.
    let renamed = family::revise(&din933, &new_family(HEX_BOLTS, "DIN 933 hex bolts")).unwrap();
    assert_eq!(
        renamed,
        [family_event(
            DIN933,
            Event::FamilyRenamed { name: Change { from: "DIN 933".into(), to: "DIN 933 hex bolts".into() } }
        )]
    );
    let moved = family::revise(&din933, &new_family(BOLTS, "DIN 933"));
    assert!(matches!(moved, Err(DomainError::Unchangeable { field: "category_id", .. })), "{moved:?}");
    let recoded = CreateFamily { code: Some("HEX933".into()), ..new_family(HEX_BOLTS, "DIN 933") };
    assert!(matches!(family::revise(&din933, &recoded), Err(DomainError::Unchangeable { field: "code", .. })));
}

#[test]
fn events_and_snapshots_recorded_before_external_ids_still_read() {
    let old = Event::from_stored("BrandCreated", 1, &json!({"name": "Acme"})).unwrap();
    assert_eq!(old, Event::BrandCreated { name: "Acme".into(), external_id: None });
    // And one without an external id is stored as before.
    assert_eq!(old.payload(), json!({"name": "Acme"}));
    let snapshot: Aggregate = serde_json::from_value(json!({"kind": "brand", "id": ACME, "name": "Acme"})).unwrap();
    assert_eq!(snapshot.claims(), ["brand:acme"]);
}

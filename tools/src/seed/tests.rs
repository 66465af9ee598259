//! The generator without a database: determinism, the catalog's shape, and every product decided
//! by the domain against its family's resolved schema.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::catalog::{self, Look};
use crate::dice::{Dice, Draw};
use crate::offline::Offline;
use crate::plan::{allocate, Plan, PlannedProduct, MAX_FILL};

fn plan(seed: u64, products: u64) -> Plan {
    Plan::new(seed, products).unwrap_or_else(|e| panic!("{e:#}"))
}

fn products(plan: &Plan) -> Vec<PlannedProduct> {
    let mut drawn = plan.products();
    let all: Vec<PlannedProduct> = drawn.by_ref().collect();
    assert!(drawn.short().is_empty(), "families ran short: {:?}", drawn.short());
    all
}

#[test]
fn the_same_seed_and_count_draw_the_same_catalog() {
    let (a, b) = (plan(7, 5_000), plan(7, 5_000));
    let ids = |p: &Plan| {
        let mut ids: Vec<uuid::Uuid> = p.brands.iter().map(|b| b.id).collect();
        ids.extend(p.categories.iter().map(|c| c.id));
        ids.extend(p.families.iter().map(|f| f.id));
        ids
    };
    assert_eq!(ids(&a), ids(&b));
    let names = |p: &Plan| p.families.iter().map(|f| (f.name.clone(), f.code.clone(), f.products)).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    let (pa, pb) = (products(&a), products(&b));
    assert_eq!(pa.len(), 5_000);
    assert_eq!(pa, pb, "ids, names, SKUs and specs are the same");
}

#[test]
fn another_seed_draws_another_catalog() {
    let (a, b) = (plan(1, 3_000), plan(2, 3_000));
    assert_ne!(a.marker().id, b.marker().id);
    assert_eq!(a.marker().name, b.marker().name, "the brands' names are the catalog's, not the seed's");
    let ids: HashSet<uuid::Uuid> = a.categories.iter().map(|c| c.id).collect();
    assert!(b.categories.iter().all(|c| !ids.contains(&c.id)));
    let (pa, pb) = (products(&a), products(&b));
    let skus = |p: &[PlannedProduct]| p.iter().filter_map(|p| p.sku.clone()).collect::<HashSet<_>>();
    let (sa, sb) = (skus(&pa), skus(&pb));
    assert!(sa.intersection(&sb).count() < sa.len() / 2, "another seed picks other variants and families");
}

#[test]
fn a_larger_count_extends_each_family_instead_of_redrawing_it() {
    let (small, large) = (plan(3, 2_000), plan(3, 20_000));
    let by_family = |p: &Plan| {
        let mut found: HashMap<uuid::Uuid, Vec<PlannedProduct>> = HashMap::new();
        for product in products(p) {
            found.entry(product.family).or_default().push(product);
        }
        found
    };
    let (few, many) = (by_family(&small), by_family(&large));
    for (family, products) in &few {
        let more = &many[family];
        let shared = products.len().min(more.len());
        assert_eq!(products[..shared], more[..shared], "family {family}");
    }
}

#[test]
fn every_product_is_decided_valid_against_its_family_s_resolved_schema() {
    let plan = plan(11, 40_000);
    let mut offline = Offline::structure(&plan).unwrap_or_else(|e| panic!("{e:#}"));
    for product in products(&plan) {
        if let Err(error) = offline.product(&product) {
            panic!("{error:#}\n{product:#?}");
        }
    }
}

#[test]
fn a_million_products_fit_in_the_catalog_and_more_are_refused() {
    let plan = plan(1, 1_000_000);
    assert_eq!(plan.families.iter().map(|f| f.products).sum::<u64>(), 1_000_000);
    assert!(plan.families.len() > 100, "{} families", plan.families.len());
    assert!(Plan::new(1, 1_000_000_000).is_err());
}

#[test]
fn every_line_makes_exactly_as_many_distinct_products_as_it_says() {
    for line in catalog::lines() {
        let capacity = line.generator.capacity();
        if capacity > 3_000 {
            continue;
        }
        let mut dice = Dice::new(1, line.code);
        let mut tails = HashSet::new();
        for _ in 0..capacity * 40 {
            let draft = line.generator.draw(&mut Draw { dice: &mut dice, uniform: true }, Look { other_units: false });
            tails.insert(draft.tail);
        }
        assert_eq!(tails.len() as u64, capacity, "line {}", line.code);
    }
}

#[test]
fn large_lines_fill_to_their_cap_without_running_short() {
    for line in catalog::lines().into_iter().filter(|l| l.generator.capacity() > 3_000) {
        let cap = (line.generator.capacity() as f64 * MAX_FILL) as usize;
        let mut dice = Dice::new(1, line.code);
        let mut tails = HashSet::new();
        let mut draws = 0;
        while tails.len() < cap {
            let uniform = dice.chance(0.25);
            let draft = line.generator.draw(&mut Draw { dice: &mut dice, uniform }, Look { other_units: true });
            tails.insert(draft.tail);
            draws += 1;
            assert!(
                draws < cap * 30,
                "line {} is hard to fill: {} of {cap} after {draws} draws",
                line.code,
                tails.len()
            );
        }
    }
}

#[test]
fn line_codes_and_family_codes_are_unique() {
    let lines = catalog::lines();
    let codes: HashSet<&str> = lines.iter().map(|l| l.code).collect();
    assert_eq!(codes.len(), lines.len());
    let plan = plan(1, 1_000_000);
    let family_codes: HashSet<&str> = plan.families.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(family_codes.len(), plan.families.len());
    assert!(plan.families.iter().all(|f| f.code.len() <= 16));
}

#[test]
fn shares_follow_the_weights_up_to_each_cap_and_add_up() {
    assert_eq!(allocate(100, &[1.0, 1.0, 2.0], &[100, 100, 100]), [25, 25, 50]);
    assert_eq!(allocate(100, &[1.0, 1.0, 8.0], &[100, 100, 20]), [40, 40, 20]);
    assert_eq!(allocate(10, &[1.0, 1.0, 1.0], &[10, 10, 10]).iter().sum::<u64>(), 10);
    assert_eq!(allocate(0, &[1.0], &[5]), [0]);
}

fn spec<'p>(product: &'p PlannedProduct, key: &str) -> Option<&'p Value> {
    product.specs.get(key)
}

#[test]
fn hex_bolts_read_like_a_distributor_s_and_follow_real_demand() {
    let plan = plan(1, 50_000);
    let all = products(&plan);
    let din933: Vec<&PlannedProduct> = all.iter().filter(|p| p.name.starts_with("Hex bolt DIN 933 ")).collect();
    assert!(din933.len() > 1_000, "{} DIN 933 bolts", din933.len());
    let example = din933.iter().find(|p| p.name.contains("M12x40 A4")).unwrap_or_else(|| panic!("no M12x40 A4"));
    assert_eq!(spec(example, "thread"), Some(&Value::from("M12x1.75")));
    assert_eq!(spec(example, "material"), Some(&Value::from("stainless steel A4")));
    let sku = example.sku.as_deref().unwrap_or_default();
    assert!(sku.starts_with("HB933") && sku.contains("-M12-40-A4-"), "{sku}");
    let count = |size: &str| din933.iter().filter(|p| spec(p, "thread_size") == Some(&Value::from(size))).count();
    let common = count("M8") + count("M10") + count("M12");
    let rare = count("M3") + count("M24");
    assert!(common > 5 * rare, "M8–M12: {common}, M3 and M24: {rare}");
}

#[test]
fn some_families_give_values_in_other_units_of_the_measurement_family() {
    let plan = plan(5, 50_000);
    let mut units: HashSet<String> = HashSet::new();
    for product in products(&plan) {
        for value in product.specs.values() {
            if let Some(unit) = value.get("unit").and_then(Value::as_str) {
                units.insert(unit.to_owned());
            }
        }
    }
    for unit in ["in", "hp", "kV", "W", "m³/h", "g", "psi", "°F", "ft", "lb"] {
        assert!(units.contains(unit), "no spec given in {unit}; found {units:?}");
    }
    let hp_families =
        plan.families.iter().filter(|f| f.overrides.iter().any(|(k, d)| *k == "rated_power" && d["unit"] == "hp"));
    assert!(hp_families.count() > 0, "NEMA families define their power in hp");
}

#[test]
fn a_dry_run_decides_the_whole_catalog() {
    let report = crate::dry_run(9, 2_000).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(report.products.created, 2_000);
    assert_eq!(report.brands.created, catalog::BRANDS.len() as u64);
}

//! The plan: every entity `ferrule seed` creates, derived from the seed and the product count
//! alone. Ids come from the seed's streams, so the same arguments give the same catalog; each
//! family's products are a sequence of their own, so a larger `--products` extends what a
//! smaller one made instead of changing it.

use std::collections::HashSet;

use anyhow::Context;
use domain::family::CreateFamily;
use domain::DefinitionInput;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::catalog::{self, BrandSpec, Line, Look, Style, BRANDS};
use super::dice::{Dice, Draw};

/// The most products a family is filled with, as a share of the distinct products its line can
/// make: beyond that, drawing with the catalog's skew keeps hitting what it already made. A seed
/// whose brands carry few lines may fill up to `MAX_FILL` to reach a million.
pub const FILL: f64 = 0.7;
pub const MAX_FILL: f64 = 0.85;

/// Of every hundred draws, this many ignore the skew so that rare combinations stay reachable.
const UNIFORM_DRAWS: f64 = 0.25;

/// Draws in a row that may repeat what a family already has before it is taken as full.
const MAX_REPEATS: u32 = 10_000;

pub struct Plan {
    pub seed: u64,
    pub products: u64,
    pub lines: Vec<Line>,
    pub brands: Vec<PlannedBrand>,
    pub categories: Vec<PlannedCategory>,
    /// Only families that get products.
    pub families: Vec<PlannedFamily>,
}

pub struct PlannedBrand {
    pub id: Uuid,
    pub name: &'static str,
}

pub struct PlannedCategory {
    pub id: Uuid,
    pub key: &'static str,
    pub name: &'static str,
    pub parent: Option<Uuid>,
    /// Definitions as the command API takes them, in the order they are defined.
    pub attributes: Vec<(&'static str, Value)>,
}

pub struct PlannedFamily {
    pub id: Uuid,
    /// Stable across product counts: "<line code>/<brand code>".
    pub key: String,
    pub category: Uuid,
    pub brand: Uuid,
    pub name: String,
    pub code: String,
    pub line: usize,
    pub look: Look,
    pub overrides: Vec<(&'static str, Value)>,
    pub products: u64,
}

/// A product command, ready to send.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedProduct {
    pub id: Uuid,
    pub family: Uuid,
    pub name: String,
    /// None: the domain generates it from the variant-defining values.
    pub sku: Option<String>,
    pub specs: Map<String, Value>,
}

/// A family that some brand could make: before the products are shared out.
struct Candidate {
    family: PlannedFamily,
    weight: f64,
    /// Distinct products its line can make.
    capacity: u64,
}

impl Plan {
    pub fn new(seed: u64, products: u64) -> anyhow::Result<Plan> {
        let specs = catalog::categories();
        let lines = catalog::lines();
        let brands: Vec<PlannedBrand> = BRANDS
            .iter()
            .map(|b| PlannedBrand { id: Dice::new(seed, &format!("brand/{}", b.name)).uuid(), name: b.name })
            .collect();
        let mut categories: Vec<PlannedCategory> = Vec::with_capacity(specs.len());
        for spec in &specs {
            let parent = spec.parent.and_then(|p| categories.iter().find(|c| c.key == p)).map(|c| c.id);
            categories.push(PlannedCategory {
                id: Dice::new(seed, &format!("category/{}", spec.key)).uuid(),
                key: spec.key,
                name: spec.name,
                parent,
                attributes: spec.attributes.iter().map(|(k, d)| (*k, d.0.clone())).collect(),
            });
        }
        let candidates = candidates(seed, &lines, &brands, &categories, &specs);
        let caps_at =
            |fill: f64| -> Vec<u64> { candidates.iter().map(|c| (c.capacity as f64 * fill).floor() as u64).collect() };
        let fills = [FILL, 0.75, 0.8, MAX_FILL];
        let Some(caps) = fills.iter().map(|f| caps_at(*f)).find(|caps| caps.iter().sum::<u64>() >= products) else {
            anyhow::bail!(
                "this catalog holds at most {} products (each family filled to {:.0}% of the variants its line can \
                 make): ask for fewer with --products",
                caps_at(MAX_FILL).iter().sum::<u64>(),
                MAX_FILL * 100.0
            );
        };
        let weights: Vec<f64> = candidates.iter().map(|c| c.weight).collect();
        let shares = allocate(products, &weights, &caps);
        let families = candidates
            .into_iter()
            .zip(shares)
            .filter(|(_, share)| *share > 0)
            .map(|(c, share)| PlannedFamily { products: share, ..c.family })
            .collect();
        Ok(Plan { seed, products, lines, brands, categories, families })
    }

    /// The products, family by family, drawn as they are consumed.
    pub fn products(&self) -> Products<'_> {
        Products { plan: self, family: 0, made: 0, dice: None, seen: HashSet::new(), short: Vec::new() }
    }

    /// The brand whose presence says this seed's catalog is (at least partly) there.
    pub fn marker(&self) -> &PlannedBrand {
        &self.brands[0]
    }

    pub fn family_overrides(&self) -> usize {
        self.families.iter().map(|f| f.overrides.len()).sum()
    }

    pub fn definitions(&self) -> usize {
        self.categories.iter().map(|c| c.attributes.len()).sum()
    }
}

impl PlannedFamily {
    /// The command that creates it.
    pub fn command(&self) -> CreateFamily {
        CreateFamily {
            id: self.id,
            category_id: self.category,
            brand_id: Some(self.brand),
            name: self.name.clone(),
            code: Some(self.code.clone()),
            external_id: None,
        }
    }
}

/// A definition of the plan as the command that sets it takes it.
pub fn definition(json: &Value) -> anyhow::Result<DefinitionInput> {
    serde_json::from_value(json.clone()).context("a definition of the plan does not parse")
}

/// Every (line, brand) family, with its demand weight and how many products it may take.
fn candidates(
    seed: u64,
    lines: &[Line],
    brands: &[PlannedBrand],
    categories: &[PlannedCategory],
    specs: &[catalog::CategorySpec],
) -> Vec<Candidate> {
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let cluster = catalog::cluster_of(specs, line.leaf);
        let makers: Vec<(&BrandSpec, &PlannedBrand)> = BRANDS
            .iter()
            .zip(brands)
            .filter(|(spec, _)| spec.clusters.contains(&cluster) && spec.styles.contains(&line.style))
            .collect();
        let line_share = f64::from(line.weight)
            / f64::from(lines.iter().filter(|l| l.leaf == line.leaf).map(|l| l.weight).sum::<u32>().max(1));
        let size_total: f64 = makers.iter().map(|(spec, _)| f64::from(spec.size)).sum();
        let mut line_dice = Dice::new(seed, &format!("line/{}", line.code));
        // Most brands carry a line; at least one always does.
        let always = line_dice.below(makers.len().max(1) as u64) as usize;
        for (i, (spec, brand)) in makers.iter().enumerate() {
            let key = format!("{}/{}", line.code, spec.code);
            let mut dice = Dice::new(seed, &format!("family/{key}"));
            let id = dice.uuid();
            let carries = dice.chance(0.8) || i == always;
            let jitter = dice.between(0.4, 1.6);
            let look = Look { other_units: line.style == Style::Imperial || dice.chance(0.3) };
            if !carries {
                continue;
            }
            let Some(category) = categories.iter().find(|c| c.key == line.leaf) else { continue };
            let weight =
                f64::from(catalog::leaf_weight(line.leaf)) * line_share * f64::from(spec.size) / size_total * jitter;
            let family = PlannedFamily {
                id,
                key,
                category: category.id,
                brand: brand.id,
                name: format!("{} {}", spec.name, line.name),
                code: format!("{}{}", line.code, spec.code),
                line: index,
                look,
                overrides: line.overrides.iter().map(|(k, d)| (*k, d.0.clone())).collect(),
                products: 0,
            };
            found.push(Candidate { family, weight, capacity: line.generator.capacity() });
        }
    }
    found
}

/// Shares `total` out in proportion to `weights`, never above a cap: whoever a proportional
/// share would overfill gets its cap, and the rest is shared again among the others. The
/// remainder of the final round goes to the largest fractions, ties to the earlier family.
pub fn allocate(total: u64, weights: &[f64], caps: &[u64]) -> Vec<u64> {
    let mut shares = vec![0u64; weights.len()];
    let mut active: Vec<usize> = (0..weights.len()).filter(|i| caps[*i] > 0 && weights[*i] > 0.0).collect();
    let mut remaining = total;
    while remaining > 0 && !active.is_empty() {
        let sum: f64 = active.iter().map(|i| weights[*i]).sum();
        let share = |i: usize| remaining as f64 * weights[i] / sum;
        let full: Vec<usize> = active.iter().copied().filter(|i| share(*i) >= caps[*i] as f64).collect();
        if !full.is_empty() {
            for i in &full {
                remaining -= caps[*i];
                shares[*i] = caps[*i];
            }
            active.retain(|i| !full.contains(i));
            continue;
        }
        let mut given = 0;
        let mut fractions: Vec<(usize, f64)> = Vec::with_capacity(active.len());
        for &i in &active {
            let exact = share(i);
            shares[i] = exact.floor() as u64;
            given += shares[i];
            fractions.push((i, exact - exact.floor()));
        }
        fractions.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut left = remaining - given;
        for (i, _) in fractions.iter().cycle().take(fractions.len() * 2) {
            if left == 0 {
                break;
            }
            if shares[*i] < caps[*i] {
                shares[*i] += 1;
                left -= 1;
            }
        }
        break;
    }
    shares
}

/// The plan's products, drawn lazily: one family after another, each from its own stream.
pub struct Products<'p> {
    plan: &'p Plan,
    family: usize,
    made: u64,
    dice: Option<Dice>,
    seen: HashSet<String>,
    /// Families that ran out of new combinations before their share: (family key, made, share).
    short: Vec<(String, u64, u64)>,
}

impl Products<'_> {
    pub fn short(&self) -> &[(String, u64, u64)] {
        &self.short
    }
}

impl Iterator for Products<'_> {
    type Item = PlannedProduct;

    fn next(&mut self) -> Option<PlannedProduct> {
        loop {
            let family = self.plan.families.get(self.family)?;
            if self.made >= family.products {
                self.family += 1;
                self.made = 0;
                self.dice = None;
                self.seen.clear();
                continue;
            }
            let line = &self.plan.lines[family.line];
            let dice = self.dice.get_or_insert_with(|| Dice::new(self.plan.seed, &format!("products/{}", family.key)));
            let mut repeats = 0;
            let draft = loop {
                // After a repeat the next draw ignores the skew: a well-filled family finds its
                // remaining (rarer) combinations in a few draws instead of dozens.
                let uniform = dice.chance(UNIFORM_DRAWS) || repeats > 0;
                let draft = line.generator.draw(&mut Draw { dice, uniform }, family.look);
                if self.seen.insert(draft.tail.clone()) {
                    break Some(draft);
                }
                repeats += 1;
                if repeats > MAX_REPEATS {
                    break None;
                }
            };
            let Some(draft) = draft else {
                self.short.push((family.key.clone(), self.made, family.products));
                self.made = family.products;
                continue;
            };
            self.made += 1;
            let sku = line.explicit_sku.then(|| format!("{}-{}", family.code, draft.tail));
            return Some(PlannedProduct {
                id: dice.uuid(),
                family: family.id,
                name: draft.name,
                sku,
                specs: draft.specs,
            });
        }
    }
}

//! What the generated catalog is made of: the category tree with its attribute definitions, the
//! brands, and the product lines of each leaf category, each with a generator of its products.
//! One module per cluster holds its categories, lines and generators; nothing here draws.

mod bearings;
mod cables;
mod fasteners;
mod motors;
mod pumps;
mod tools;
mod valves;

use serde_json::{json, Map, Value};

use super::dice::Draw;

/// An attribute definition as the command API takes it, built flag by flag.
#[derive(Clone, Debug)]
pub struct Def(pub Value);

impl Def {
    pub fn text(label: &str) -> Def {
        Def(json!({"label": label, "type": "text"}))
    }

    pub fn number(label: &str, unit: &str, min: f64, max: f64) -> Def {
        Def(json!({"label": label, "type": "number", "unit": unit, "min": min, "max": max}))
    }

    /// A number without a unit: a count, or a unit the measurement table lacks (named in the label).
    pub fn count(label: &str, min: f64, max: f64) -> Def {
        Def(json!({"label": label, "type": "number", "min": min, "max": max}))
    }

    pub fn boolean(label: &str) -> Def {
        Def(json!({"label": label, "type": "boolean"}))
    }

    pub fn select(label: &str, options: &[&str]) -> Def {
        Def(json!({"label": label, "type": "select", "options": options}))
    }

    pub fn multi(label: &str, options: &[&str]) -> Def {
        Def(json!({"label": label, "type": "multi_select", "options": options}))
    }

    pub fn regex(mut self, pattern: &str) -> Def {
        self.0["regex"] = json!(pattern);
        self
    }

    fn flag(mut self, name: &str) -> Def {
        self.0[name] = json!(true);
        self
    }

    pub fn required(self) -> Def {
        self.flag("required")
    }

    pub fn variant(self) -> Def {
        self.flag("variant_defining")
    }

    pub fn filterable(self) -> Def {
        self.flag("filterable")
    }

    pub fn searchable(self) -> Def {
        self.flag("searchable")
    }
}

/// A category of the tree; `parent` names another by key. A category with lines is a leaf.
pub struct CategorySpec {
    pub key: &'static str,
    pub name: &'static str,
    pub parent: Option<&'static str>,
    pub attributes: Vec<(&'static str, Def)>,
}

pub fn category(
    key: &'static str,
    name: &'static str,
    parent: Option<&'static str>,
    attributes: Vec<(&'static str, Def)>,
) -> CategorySpec {
    CategorySpec { key, name, parent, attributes }
}

/// Whose data sheets a line follows: metric (EU) or imperial (US) sizes and units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Metric,
    Imperial,
}

/// A product line of a leaf category (a standard, a series). Every brand that carries it makes
/// one family of it.
pub struct Line {
    pub leaf: &'static str,
    /// Unique within the leaf; part of the family code.
    pub code: &'static str,
    /// The family's name after the brand's: "DIN 933 hex bolts".
    pub name: &'static str,
    pub style: Style,
    /// Relative demand among the leaf's lines.
    pub weight: u32,
    /// Whether products get a SKU from the catalog's own scheme (`<family code>-<tail>`), or the
    /// one the domain generates from the variant-defining values.
    pub explicit_sku: bool,
    /// Family-level definitions overriding inherited ones.
    pub overrides: Vec<(&'static str, Def)>,
    pub generator: Box<dyn Generator>,
}

impl Line {
    pub fn new(
        leaf: &'static str,
        code: &'static str,
        name: &'static str,
        generator: impl Generator + 'static,
    ) -> Line {
        Line {
            leaf,
            code,
            name,
            style: Style::Metric,
            weight: 10,
            explicit_sku: true,
            overrides: Vec::new(),
            generator: Box::new(generator),
        }
    }

    pub fn imperial(mut self) -> Line {
        self.style = Style::Imperial;
        self
    }

    pub fn weight(mut self, weight: u32) -> Line {
        self.weight = weight;
        self
    }

    pub fn generated_sku(mut self) -> Line {
        self.explicit_sku = false;
        self
    }

    pub fn overriding(mut self, key: &'static str, def: Def) -> Line {
        self.overrides.push((key, def));
        self
    }
}

/// How one family presents its values: a data sheet in other units than the attribute's own
/// (kV, m³/h, g, psi …). Imperial lines always do.
#[derive(Clone, Copy, Debug)]
pub struct Look {
    pub other_units: bool,
}

/// Makes the products of one line.
pub trait Generator: Send + Sync {
    /// How many different products the line can make (the size of its variant space).
    fn capacity(&self) -> u64;

    /// One product. Its `tail` must follow from its variant-defining values and differ for any
    /// other combination of them; the family keeps the first product of each tail.
    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft;
}

/// A drawn product, before it has an id, a family or a brand.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The variant-defining values, as the end of the SKU: "M12-40-A4-100".
    pub tail: String,
    pub name: String,
    pub specs: Map<String, Value>,
}

/// Specs as the command API takes them, built key by key.
#[derive(Default)]
pub struct Specs(pub Map<String, Value>);

impl Specs {
    pub fn text(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.0.insert(key.to_owned(), Value::String(value.into()));
        self
    }

    /// A number in the attribute's own unit.
    pub fn num(&mut self, key: &str, value: f64) -> &mut Self {
        self.0.insert(key.to_owned(), json!(tidy(value)));
        self
    }

    /// A number in another unit of the attribute's measurement family.
    pub fn qty(&mut self, key: &str, value: f64, unit: &str) -> &mut Self {
        self.0.insert(key.to_owned(), json!({"value": tidy(value), "unit": unit}));
        self
    }

    pub fn flag(&mut self, key: &str, value: bool) -> &mut Self {
        self.0.insert(key.to_owned(), Value::Bool(value));
        self
    }

    pub fn list(&mut self, key: &str, values: &[&str]) -> &mut Self {
        self.0.insert(key.to_owned(), json!(values));
        self
    }

    pub fn draft(self, tail: String, name: String) -> Draft {
        Draft { tail, name, specs: self.0 }
    }
}

/// A value rounded to what a data sheet shows (four significant decimals at most).
pub fn tidy(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// A value rounded to `step`s: 1473 rpm to 10 → 1470.
pub fn round_to(value: f64, step: f64) -> f64 {
    tidy((value / step).round() * step)
}

/// A pack as a product name says it: "(1 pc)", "(100 pcs)".
pub fn pieces(count: u32) -> String {
    if count == 1 {
        "(1 pc)".to_owned()
    } else {
        format!("({count} pcs)")
    }
}

/// Numbers as a catalog prints them: 40 → "40", 1.75 → "1.75", 0.750 → "0.75".
pub fn num(value: f64) -> String {
    // The shortest form that reads back as the value, after rounding to a data sheet's precision.
    format!("{}", tidy(value))
}

/// Every category of the catalog, parents before children.
pub fn categories() -> Vec<CategorySpec> {
    [
        fasteners::categories(),
        bearings::categories(),
        motors::categories(),
        pumps::categories(),
        valves::categories(),
        cables::categories(),
        tools::categories(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every product line, by leaf, in catalog order.
pub fn lines() -> Vec<Line> {
    [
        fasteners::lines(),
        bearings::lines(),
        motors::lines(),
        pumps::lines(),
        valves::lines(),
        cables::lines(),
        tools::lines(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Relative demand for each leaf category: fasteners are most of an industrial distributor's
/// lines; tools and pumps far fewer.
pub fn leaf_weight(leaf: &str) -> u32 {
    match leaf {
        "hex_bolts" => 140,
        "socket_screws" => 100,
        "countersunk_screws" => 45,
        "hex_nuts" => 45,
        "lock_nuts" => 20,
        "washers" => 30,
        "deep_groove" => 40,
        "angular_contact" => 10,
        "tapered_roller" => 12,
        "cylindrical_roller" => 10,
        "three_phase" => 45,
        "single_phase" => 12,
        "brushed_dc" => 15,
        "brushless_dc" => 15,
        "end_suction" => 8,
        "multistage" => 8,
        "submersible" => 8,
        "gear_pumps" => 5,
        "diaphragm_pumps" => 5,
        "ball_valves" => 25,
        "gate_valves" => 6,
        "butterfly_valves" => 8,
        "check_valves" => 8,
        "solenoid_valves" => 14,
        "installation_cables" => 30,
        "flexible_cables" => 18,
        "control_cables" => 22,
        "data_cables" => 15,
        "wrenches" => 8,
        "screwdrivers" => 8,
        "pliers" => 8,
        "torque_wrenches" => 4,
        "cordless_drills" => 8,
        "angle_grinders" => 6,
        "impact_wrenches" => 5,
        _ => 5,
    }
}

/// A brand, the clusters it sells in, and whose sizes it makes.
pub struct BrandSpec {
    pub name: &'static str,
    /// Two letters, part of its family codes.
    pub code: &'static str,
    pub clusters: &'static [&'static str],
    pub styles: &'static [Style],
    /// Relative size: how much of its clusters' demand it takes.
    pub size: u32,
}

const M: &[Style] = &[Style::Metric];
const I: &[Style] = &[Style::Imperial];
const MI: &[Style] = &[Style::Metric, Style::Imperial];

/// The brands, fictional. The first is the marker: a catalog that holds it holds this seed's catalog.
pub const BRANDS: &[BrandSpec] = &[
    BrandSpec { name: "Nordfast", code: "NF", clusters: &["fasteners"], styles: M, size: 10 },
    BrandSpec { name: "Kronwerk", code: "KW", clusters: &["fasteners", "tools"], styles: M, size: 8 },
    BrandSpec { name: "Hexamark", code: "HX", clusters: &["fasteners"], styles: M, size: 6 },
    BrandSpec { name: "Stahlring", code: "SR", clusters: &["fasteners"], styles: M, size: 5 },
    BrandSpec { name: "Boltrix", code: "BX", clusters: &["fasteners"], styles: MI, size: 7 },
    BrandSpec { name: "Ferrocon", code: "FC", clusters: &["fasteners", "valves"], styles: M, size: 4 },
    BrandSpec { name: "Fixmaster", code: "FM", clusters: &["fasteners"], styles: M, size: 5 },
    BrandSpec { name: "Keystone Fastener Co.", code: "KS", clusters: &["fasteners"], styles: I, size: 6 },
    BrandSpec { name: "Rollmaster", code: "RM", clusters: &["bearings"], styles: M, size: 9 },
    BrandSpec { name: "Kugelwerk", code: "KG", clusters: &["bearings"], styles: M, size: 7 },
    BrandSpec { name: "Orbis Bearings", code: "OB", clusters: &["bearings"], styles: M, size: 5 },
    BrandSpec { name: "Voltaris", code: "VT", clusters: &["motors"], styles: M, size: 9 },
    BrandSpec { name: "Drivon", code: "DR", clusters: &["motors", "pumps"], styles: M, size: 7 },
    BrandSpec { name: "Ampere Motorenwerk", code: "AM", clusters: &["motors"], styles: M, size: 5 },
    BrandSpec { name: "Tri-State Electric", code: "TS", clusters: &["motors"], styles: I, size: 6 },
    BrandSpec { name: "Aquaflux", code: "AQ", clusters: &["pumps"], styles: M, size: 8 },
    BrandSpec { name: "Hydrovia", code: "HY", clusters: &["pumps", "valves"], styles: M, size: 6 },
    BrandSpec { name: "Valvex", code: "VX", clusters: &["valves"], styles: M, size: 8 },
    BrandSpec { name: "Great Lakes Valve", code: "GL", clusters: &["valves"], styles: I, size: 5 },
    BrandSpec { name: "Sonnberg Kabel", code: "SB", clusters: &["cables"], styles: M, size: 9 },
    BrandSpec { name: "Conducta", code: "CD", clusters: &["cables"], styles: M, size: 7 },
    BrandSpec { name: "Cablestar", code: "CS", clusters: &["cables"], styles: MI, size: 5 },
    BrandSpec { name: "Werkstark", code: "WS", clusters: &["tools"], styles: M, size: 8 },
    BrandSpec { name: "Torqline", code: "TQ", clusters: &["tools"], styles: M, size: 5 },
    BrandSpec { name: "Ridgeline Tools", code: "RL", clusters: &["tools"], styles: MI, size: 6 },
];

/// The cluster a category belongs to.
pub fn cluster_of<'c>(categories: &'c [CategorySpec], key: &'c str) -> &'c str {
    let mut current = key;
    while let Some(parent) = categories.iter().find(|c| c.key == current).and_then(|c| c.parent) {
        current = parent;
    }
    current
}

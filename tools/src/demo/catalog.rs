//! The demo catalog as a plan: every call `ferrule demo-data` makes, in order, with later steps
//! naming earlier ones by key. Building the plan needs no server, so its shape is unit-tested.

use serde_json::{json, Value};

/// Who owns an attribute definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Category,
    Family,
}

/// One command of the plan. `key`s name what a step creates; later steps refer to them.
#[derive(Debug)]
pub enum Step {
    Brand { key: &'static str, name: &'static str },
    Category { key: &'static str, name: &'static str, parent: Option<&'static str> },
    Attribute { owner: Owner, of: &'static str, key: &'static str, definition: Value },
    Family { key: &'static str, category: &'static str, brand: &'static str, name: &'static str, code: &'static str },
    Product { family: &'static str, name: String, sku: Option<String>, specs: Value },
}

#[derive(Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// Steps whose ids the summary shows, with what they illustrate.
    pub examples: Vec<(usize, &'static str)>,
}

/// An attribute definition as the command API takes it, built flag by flag.
struct Def(Value);

impl Def {
    fn select(label: &str, options: &[&str]) -> Def {
        Def(json!({"label": label, "type": "select", "options": options}))
    }

    fn number(label: &str, unit: &str, min: f64, max: f64) -> Def {
        Def(json!({"label": label, "type": "number", "unit": unit, "min": min, "max": max}))
    }

    /// A number without a unit (a count, or a unit the table lacks, named in the label).
    fn count(label: &str, min: f64, max: f64) -> Def {
        Def(json!({"label": label, "type": "number", "min": min, "max": max}))
    }

    fn flag(mut self, name: &str) -> Def {
        self.0[name] = json!(true);
        self
    }

    fn required(self) -> Def {
        self.flag("required")
    }

    fn variant(self) -> Def {
        self.flag("variant_defining")
    }

    fn filterable(self) -> Def {
        self.flag("filterable")
    }

    fn searchable(self) -> Def {
        self.flag("searchable")
    }
}

/// A number in another unit than the attribute's own: `{"value": 2, "unit": "in"}`.
fn given_in(value: f64, unit: &str) -> Value {
    json!({"value": value, "unit": unit})
}

impl Plan {
    fn brand(&mut self, key: &'static str, name: &'static str) {
        self.steps.push(Step::Brand { key, name });
    }

    fn category(&mut self, key: &'static str, name: &'static str, parent: Option<&'static str>) {
        self.steps.push(Step::Category { key, name, parent });
    }

    /// Attribute definitions on one category or family, in the order given.
    fn define(&mut self, owner: Owner, of: &'static str, definitions: impl IntoIterator<Item = (&'static str, Def)>) {
        for (key, definition) in definitions {
            self.steps.push(Step::Attribute { owner, of, key, definition: definition.0 });
        }
    }

    fn on_category<const N: usize>(&mut self, of: &'static str, definitions: [(&'static str, Def); N]) {
        self.define(Owner::Category, of, definitions);
    }

    fn on_family<const N: usize>(&mut self, of: &'static str, definitions: [(&'static str, Def); N]) {
        self.define(Owner::Family, of, definitions);
    }

    fn family(
        &mut self,
        key: &'static str,
        category: &'static str,
        brand: &'static str,
        name: &'static str,
        code: &'static str,
    ) {
        self.steps.push(Step::Family { key, category, brand, name, code });
    }

    fn product(&mut self, family: &'static str, name: String, specs: Value) -> usize {
        self.steps.push(Step::Product { family, name, sku: None, specs });
        self.steps.len() - 1
    }

    fn product_with_sku(&mut self, family: &'static str, name: String, sku: String, specs: Value) {
        self.steps.push(Step::Product { family, name, sku: Some(sku), specs });
    }

    fn example(&mut self, step: usize, what: &'static str) {
        self.examples.push((step, what));
    }
}

/// Brands, in the order they are created. The first is the marker: if it exists, the demo is loaded.
pub const MARKER_BRAND: &str = "Bossard";

pub fn plan() -> Plan {
    let mut plan = Plan::default();
    for (key, name) in [
        ("bossard", MARKER_BRAND),
        ("fabory", "Fabory"),
        ("skf", "SKF"),
        ("schaeffler", "Schaeffler"),
        ("siemens", "Siemens"),
        ("abb", "ABB"),
        ("nanotec", "Nanotec"),
        ("gates", "Gates"),
    ] {
        plan.brand(key, name);
    }
    fasteners(&mut plan);
    bearings(&mut plan);
    motors(&mut plan);
    power_transmission(&mut plan);
    plan
}

const THREADS: [&str; 7] = ["M6", "M8", "M10", "M12", "M16", "M20", "M24"];
const STEELS: [&str; 4] = ["steel 8.8", "steel 10.9", "stainless A2", "stainless A4"];

/// ISO metric coarse thread pitch, in mm.
fn coarse_pitch(thread: &str) -> f64 {
    match thread {
        "M6" => 1.0,
        "M8" => 1.25,
        "M10" => 1.5,
        "M12" => 1.75,
        "M16" => 2.0,
        "M20" => 2.5,
        _ => 3.0,
    }
}

fn fasteners(plan: &mut Plan) {
    plan.category("fasteners", "Fasteners", None);
    plan.on_category(
        "fasteners",
        [
            ("thread_size", Def::select("Thread size", &THREADS).required().variant().filterable().searchable()),
            ("material", Def::select("Material", &STEELS).filterable().searchable()),
            ("thread_pitch", Def::number("Thread pitch", "mm", 0.25, 6.0).filterable()),
            (
                "surface_finish",
                Def::select("Surface finish", &["plain", "zinc plated", "hot-dip galvanized"]).filterable(),
            ),
        ],
    );

    plan.category("bolts", "Bolts", Some("fasteners"));
    plan.on_category(
        "bolts",
        [
            ("length", Def::number("Length", "mm", 1.0, 1000.0).required().variant().filterable()),
            ("head_type", Def::select("Head type", &["hex", "flange", "carriage"]).filterable().searchable()),
        ],
    );
    plan.category("hex_bolts", "Hex bolts", Some("bolts"));

    plan.category("screws", "Screws", Some("fasteners"));
    plan.on_category(
        "screws",
        [
            ("length", Def::number("Length", "mm", 1.0, 500.0).required().variant().filterable()),
            ("drive", Def::select("Drive", &["hex socket", "Torx", "Phillips", "Pozidriv"]).filterable().searchable()),
        ],
    );
    plan.category("socket_screws", "Socket head cap screws", Some("screws"));

    plan.category("nuts", "Nuts", Some("fasteners"));
    plan.category("hex_nuts", "Hex nuts", Some("nuts"));

    // DIN 933 comes in several materials per size: the family makes material required and
    // variant-defining (an override of the cluster's definition).
    plan.family("din933", "hex_bolts", "bossard", "DIN 933 hex bolt, fully threaded", "HB933");
    let materials = ["steel 8.8", "stainless A2", "stainless A4"];
    let material = Def::select("Material", &materials).required().variant().filterable().searchable();
    plan.on_family("din933", [("material", material)]);
    let din933 = [
        ("M8", json!(30), "steel 8.8", "zinc plated"),
        ("M8", json!(40), "steel 8.8", "zinc plated"),
        ("M10", json!(30), "steel 8.8", "zinc plated"),
        ("M10", json!(50), "stainless A2", "plain"),
        ("M12", json!(50), "steel 8.8", "hot-dip galvanized"),
        ("M12", json!(50), "stainless A4", "plain"),
        ("M16", given_in(2.5, "in"), "steel 8.8", "zinc plated"),
        ("M20", json!(100), "steel 8.8", "hot-dip galvanized"),
        ("M24", given_in(4.0, "in"), "stainless A4", "plain"),
    ];
    for (thread, length, material, finish) in din933 {
        let shown = quantity_text(&length, None);
        let step = plan.product(
            "din933",
            format!("Hex bolt DIN 933 {thread}×{shown} {material}"),
            json!({"thread_size": thread, "length": length, "material": material, "thread_pitch": coarse_pitch(thread),
                   "surface_finish": finish, "head_type": "hex"}),
        );
        if thread == "M12" && material == "stainless A4" {
            plan.example(step, "a hex bolt (its material is variant-defining on the family level)");
        } else if thread == "M16" {
            plan.example(step, "a hex bolt whose length was given in inches (stored as given and in mm)");
        }
    }

    plan.family("din931", "hex_bolts", "fabory", "DIN 931 hex bolt, partially threaded", "HB931");
    for (thread, length, material, finish) in [
        ("M10", 80, "steel 8.8", "zinc plated"),
        ("M12", 100, "steel 8.8", "zinc plated"),
        ("M16", 120, "steel 8.8", "hot-dip galvanized"),
        ("M20", 150, "steel 10.9", "plain"),
    ] {
        plan.product(
            "din931",
            format!("Hex bolt DIN 931 {thread}×{length} {material}"),
            json!({"thread_size": thread, "length": length, "material": material, "thread_pitch": coarse_pitch(thread),
                   "surface_finish": finish, "head_type": "hex"}),
        );
    }

    plan.family("iso4762", "socket_screws", "bossard", "ISO 4762 socket head cap screw", "SHCS4762");
    for (thread, length, material) in [
        ("M6", 20, "steel 10.9"),
        ("M6", 25, "stainless A2"),
        ("M8", 25, "steel 10.9"),
        ("M8", 30, "stainless A4"),
        ("M10", 40, "steel 10.9"),
        ("M12", 50, "steel 10.9"),
    ] {
        plan.product(
            "iso4762",
            format!("Socket head cap screw ISO 4762 {thread}×{length} {material}"),
            json!({"thread_size": thread, "length": length, "material": material, "thread_pitch": coarse_pitch(thread),
                   "drive": "hex socket"}),
        );
    }

    // Nuts come in property class 8, not the bolt grades: the family replaces the options.
    plan.family("din934", "hex_nuts", "fabory", "DIN 934 hex nut", "HN934");
    let material = Def::select("Material", &["steel 8", "stainless A2", "stainless A4"]);
    plan.on_family("din934", [("material", material.required().variant().filterable().searchable())]);
    for (thread, material, finish) in [
        ("M6", "steel 8", "zinc plated"),
        ("M8", "steel 8", "zinc plated"),
        ("M10", "steel 8", "zinc plated"),
        ("M10", "stainless A2", "plain"),
        ("M12", "stainless A4", "plain"),
        ("M16", "steel 8", "hot-dip galvanized"),
    ] {
        plan.product(
            "din934",
            format!("Hex nut DIN 934 {thread} {material}"),
            json!({"thread_size": thread, "material": material, "thread_pitch": coarse_pitch(thread),
                   "surface_finish": finish}),
        );
    }
}

/// A number spec as a product name shows it: "2.5 in" when given in another unit, else the
/// number, followed by `own` unit when the name should show it ("7.5 kW", but "M12×50").
fn quantity_text(value: &Value, own: Option<&str>) -> String {
    match (value.get("value"), value.get("unit"), own) {
        (Some(number), Some(Value::String(unit)), _) => format!("{number} {unit}"),
        (_, _, Some(own)) => format!("{value} {own}"),
        (_, _, None) => value.to_string(),
    }
}

fn bearings(plan: &mut Plan) {
    plan.category("bearings", "Bearings", None);
    plan.on_category(
        "bearings",
        [
            (
                "bore_diameter",
                Def::number("Bore diameter", "mm", 1.0, 1000.0).required().variant().filterable().searchable(),
            ),
            ("outer_diameter", Def::number("Outer diameter", "mm", 1.0, 2000.0).filterable()),
            ("width", Def::number("Width", "mm", 1.0, 500.0).filterable()),
        ],
    );

    plan.category("rolling", "Rolling bearings", Some("bearings"));
    // No load unit exists in the unit table: the label carries it.
    plan.on_category(
        "rolling",
        [
            ("dynamic_load_rating", Def::count("Dynamic load rating (kN)", 0.0, 10000.0).filterable()),
            ("static_load_rating", Def::count("Static load rating (kN)", 0.0, 10000.0).filterable()),
            ("cage_material", Def::select("Cage material", &["steel", "brass", "polyamide"]).filterable()),
        ],
    );

    plan.category("deep_groove", "Deep groove ball bearings", Some("rolling"));
    plan.on_category(
        "deep_groove",
        [
            ("seal_type", Def::select("Seal", &["open", "2RS", "ZZ"]).variant().filterable().searchable()),
            ("limiting_speed", Def::number("Limiting speed", "rpm", 1.0, 200000.0).filterable()),
        ],
    );

    plan.family("skf62", "deep_groove", "skf", "SKF 6200 series", "SKF62");
    // designation, bore, outer, width, C (kN), C0 (kN), limiting speed, seals (SKF suffixes)
    let skf = [
        ("6201", 12, 32, 10, 7.28, 3.1, 19000, &[("open", ""), ("2RS", "-2RSH")][..]),
        ("6202", 15, 35, 11, 8.06, 3.75, 17000, &[("ZZ", "-2Z")][..]),
        ("6203", 17, 40, 12, 9.95, 4.75, 15000, &[("2RS", "-2RSH")][..]),
        ("6204", 20, 47, 14, 13.5, 6.55, 13000, &[("open", ""), ("2RS", "-2RSH"), ("ZZ", "-2Z")][..]),
        ("6205", 25, 52, 15, 14.8, 7.8, 12000, &[("2RS", "-2RSH")][..]),
        ("6206", 30, 62, 16, 20.3, 11.2, 10000, &[("ZZ", "-2Z")][..]),
    ];
    for (designation, bore, outer, width, c, c0, speed, seals) in skf {
        for (seal, suffix) in seals {
            plan.product_with_sku(
                "skf62",
                format!("Deep groove ball bearing {designation}{suffix}"),
                format!("SKF-{designation}{suffix}"),
                json!({"bore_diameter": bore, "outer_diameter": outer, "width": width, "seal_type": seal,
                       "dynamic_load_rating": c, "static_load_rating": c0, "limiting_speed": speed,
                       "cage_material": "steel"}),
            );
        }
    }

    plan.family("fag63", "deep_groove", "schaeffler", "FAG 6300 series", "FAG63");
    for (designation, bore, outer, width, c, c0, seal, suffix) in [
        ("6303", 17, 47, 14, 13.6, 6.65, "2RS", "-2RSR"),
        ("6304", 20, 52, 15, 16.8, 7.8, "ZZ", "-2ZR"),
        ("6305", 25, 62, 17, 23.4, 11.6, "2RS", "-2RSR"),
        ("6306", 30, 72, 19, 29.6, 16.0, "open", ""),
    ] {
        plan.product_with_sku(
            "fag63",
            format!("Deep groove ball bearing FAG {designation}{suffix}"),
            format!("FAG-{designation}{suffix}"),
            json!({"bore_diameter": bore, "outer_diameter": outer, "width": width, "seal_type": seal,
                   "dynamic_load_rating": c, "static_load_rating": c0, "cage_material": "polyamide"}),
        );
    }
}

fn motors(plan: &mut Plan) {
    plan.category("motors", "Motors", None);
    plan.on_category(
        "motors",
        [
            ("voltage", Def::number("Rated voltage", "V", 1.0, 15000.0).required().variant().filterable().searchable()),
            ("power", Def::number("Rated power", "kW", 0.01, 5000.0).required().variant().filterable().searchable()),
            ("rated_speed", Def::number("Rated speed", "rpm", 1.0, 100000.0).filterable()),
            (
                "ip_rating",
                Def::select("IP rating", &["IP54", "IP55", "IP56", "IP65", "IP66", "IP67"]).filterable().searchable(),
            ),
        ],
    );

    plan.category("ac", "AC motors", Some("motors"));
    plan.on_category(
        "ac",
        [
            ("frequency", Def::number("Frequency", "Hz", 1.0, 400.0).filterable()),
            ("poles", Def::count("Poles", 2.0, 12.0).variant().filterable()),
        ],
    );
    plan.category("induction", "Three-phase induction motors", Some("ac"));
    let frames = [
        "IEC 71", "IEC 80", "IEC 90S", "IEC 90L", "IEC 100L", "IEC 112M", "IEC 132S", "IEC 132M", "IEC 160M",
        "IEC 160L",
    ];
    plan.on_category(
        "induction",
        [
            ("frame_size", Def::select("Frame size", &frames).filterable().searchable()),
            ("efficiency_class", Def::select("Efficiency class", &["IE2", "IE3", "IE4"]).filterable().searchable()),
        ],
    );

    plan.category("dc", "DC motors", Some("motors"));
    plan.on_category("dc", [("rated_current", Def::number("Rated current", "A", 0.01, 1000.0).filterable())]);
    plan.category("bldc", "Brushless DC motors", Some("dc"));
    plan.on_category(
        "bldc",
        [
            ("torque", Def::number("Rated torque", "N·m", 0.001, 1000.0).filterable()),
            ("shaft_diameter", Def::number("Shaft diameter", "mm", 1.0, 100.0).filterable()),
        ],
    );

    plan.family("1le1", "induction", "siemens", "SIMOTICS GP 1LE1", "1LE1");
    for (power, frame, speed, poles) in [
        (0.75, "IEC 80", 1440, 4),
        (1.1, "IEC 90S", 1445, 4),
        (1.5, "IEC 90L", 1445, 4),
        (2.2, "IEC 100L", 1455, 4),
        (3.0, "IEC 100L", 1455, 4),
        (3.0, "IEC 100L", 2900, 2),
        (4.0, "IEC 112M", 1460, 4),
        (5.5, "IEC 132S", 1470, 4),
    ] {
        let step = plan.product(
            "1le1",
            format!("Three-phase motor 1LE1 {power} kW 400 V {poles}-pole IE3"),
            json!({"voltage": 400, "power": power, "rated_speed": speed, "frequency": 50, "poles": poles,
                   "frame_size": frame, "efficiency_class": "IE3", "ip_rating": "IP55"}),
        );
        if frame == "IEC 112M" {
            plan.example(step, "an induction motor");
        }
    }

    plan.family("m2bax", "induction", "abb", "ABB M2BAX general performance", "M2BAX");
    for (voltage, power, frequency, speed, frame) in [
        (460, given_in(5.0, "hp"), 60, 1755, "IEC 112M"),
        (400, json!(7.5), 50, 1460, "IEC 132M"),
        (400, json!(11), 50, 1465, "IEC 160M"),
        (400, json!(15), 50, 1470, "IEC 160L"),
    ] {
        let shown = quantity_text(&power, Some("kW"));
        // A generated SKU would carry the power in kW, 3.72849935791 for 5 hp: ABB's style instead.
        let sku = format!("M2BAX{}-4-{voltage}V{frequency}", frame.trim_start_matches("IEC "));
        plan.product_with_sku(
            "m2bax",
            format!("Three-phase motor M2BAX {shown} {voltage} V {frequency} Hz 4-pole IE2"),
            sku,
            json!({"voltage": voltage, "power": power, "rated_speed": speed, "frequency": frequency, "poles": 4,
                   "frame_size": frame, "efficiency_class": "IE2", "ip_rating": "IP55"}),
        );
    }

    plan.family("db57", "bldc", "nanotec", "Nanotec DB57 series", "DB57");
    for (model, volts, watts, torque, current) in [
        ("DB57S01", 24, 94, 0.22, 5.4),
        ("DB57M01", 24, 140, 0.44, 7.5),
        ("DB57L01", 48, 180, 0.66, 4.9),
        ("DB57C01", 48, 220, 0.88, 6.3),
    ] {
        plan.product_with_sku(
            "db57",
            format!("Brushless DC motor {model} {volts} V {watts} W"),
            format!("NT-{model}-{volts}"),
            json!({"voltage": volts, "power": given_in(f64::from(watts), "W"), "rated_speed": 3000, "torque": torque,
                   "rated_current": current, "shaft_diameter": 8, "ip_rating": "IP54"}),
        );
    }
}

fn power_transmission(plan: &mut Plan) {
    plan.category("power_transmission", "Power transmission", None);
    plan.category("belts", "Belts", Some("power_transmission"));
    plan.category("v_belts", "V-belts", Some("belts"));
    let profiles = ["SPZ", "SPA", "SPB", "SPC", "XPZ", "XPA", "XPB"];
    plan.on_category(
        "v_belts",
        [
            ("profile", Def::select("Profile", &profiles).required().variant().filterable().searchable()),
            ("datum_length", Def::number("Datum length", "mm", 400.0, 12500.0).required().variant().filterable()),
        ],
    );
    plan.family("quad_power", "v_belts", "gates", "Gates Quad-Power 4", "QP4");
    for (profile, length) in
        [("XPZ", json!(1000)), ("XPZ", json!(1250)), ("XPA", json!(1500)), ("XPA", given_in(2.0, "m"))]
    {
        let shown = quantity_text(&length, Some("mm"));
        plan.product(
            "quad_power",
            format!("V-belt Quad-Power 4 {profile} {shown}"),
            json!({"profile": profile, "datum_length": length}),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn created_keys(plan: &Plan) -> Vec<&'static str> {
        plan.steps
            .iter()
            .filter_map(|step| match step {
                Step::Brand { key, .. } | Step::Category { key, .. } | Step::Family { key, .. } => Some(*key),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_plan_starts_with_the_marker_brand() {
        let plan = plan();
        assert!(matches!(plan.steps.first(), Some(Step::Brand { name: MARKER_BRAND, .. })));
    }

    #[test]
    fn every_step_names_only_what_an_earlier_step_created() {
        let plan = plan();
        let mut known = HashSet::new();
        for step in &plan.steps {
            let needs: Vec<&str> = match step {
                Step::Brand { .. } => vec![],
                Step::Category { parent, .. } => parent.iter().copied().collect(),
                Step::Attribute { of, .. } => vec![*of],
                Step::Family { category, brand, .. } => vec![*category, *brand],
                Step::Product { family, .. } => vec![*family],
            };
            for need in needs {
                assert!(known.contains(need), "{step:?} names {need}, which no earlier step created");
            }
            if let Step::Brand { key, .. } | Step::Category { key, .. } | Step::Family { key, .. } = step {
                assert!(known.insert(*key), "{key} is created twice");
            }
        }
        assert_eq!(known.len(), created_keys(&plan).len());
    }

    #[test]
    fn the_demo_has_thirty_to_sixty_products_with_unique_names_and_family_overrides() {
        let plan = plan();
        let names: Vec<&str> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Product { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        assert!((30..=60).contains(&names.len()), "{} products", names.len());
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
        assert!(plan.steps.iter().any(|s| matches!(s, Step::Attribute { owner: Owner::Family, .. })));
        assert!(plan.examples.iter().all(|(i, _)| matches!(plan.steps.get(*i), Some(Step::Product { .. }))));
    }
}

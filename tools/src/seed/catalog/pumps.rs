//! Pumps: end-suction, vertical multistage and drainage submersible centrifugal pumps, external
//! gear pumps and air-operated diaphragm pumps. Flow in l/min (some data sheets in m³/h), head
//! in m, motor power in kW, pressure in bar (psi in US data sheets).

use super::{category, num, round_to, CategorySpec, Def, Draft, Generator, Line, Look, Specs};
use crate::dice::Draw;

const CONNECTIONS: &[&str] = &[
    "G 1/2\"",
    "G 3/4\"",
    "G 1\"",
    "G 1 1/4\"",
    "G 1 1/2\"",
    "G 2\"",
    "DN 25",
    "DN 32",
    "DN 40",
    "DN 50",
    "DN 65",
    "DN 80",
    "DN 100",
    "1/4\"",
    "3/8\"",
    "1/2\"",
    "3/4\"",
    "1\"",
    "1 1/2\"",
    "2\"",
    "3\"",
];
const HOUSINGS: &[&str] =
    &["cast iron", "stainless steel 1.4301", "stainless steel 1.4401", "bronze", "polypropylene", "aluminium", "PVDF"];
const MEDIA: &[&str] =
    &["clean water", "drinking water", "waste water", "sea water", "oil", "chemicals", "glycol mixtures"];

/// IEC motor ratings a pump is fitted with, kW.
const MOTOR_KW: &[f64] =
    &[0.25, 0.37, 0.55, 0.75, 1.1, 1.5, 2.2, 3.0, 4.0, 5.5, 7.5, 11.0, 15.0, 18.5, 22.0, 30.0, 37.0, 45.0];

/// The smallest standard motor that drives `kw`.
fn motor_for(kw: f64) -> f64 {
    MOTOR_KW.iter().copied().find(|m| *m >= kw).unwrap_or(45.0)
}

pub fn categories() -> Vec<CategorySpec> {
    vec![
        category(
            "pumps",
            "Pumps",
            None,
            vec![
                (
                    "flow_rate",
                    Def::number("Max. flow rate", "l/min", 0.1, 100_000.0).required().filterable().searchable(),
                ),
                ("head", Def::number("Max. head", "m", 0.1, 2_000.0).filterable().searchable()),
                ("motor_power", Def::number("Motor power", "kW", 0.01, 1_000.0).filterable()),
                ("rated_voltage", Def::number("Rated voltage", "V", 1.0, 1_000.0).variant().filterable().searchable()),
                ("connection_size", Def::select("Connection size", CONNECTIONS).filterable().searchable()),
                (
                    "housing_material",
                    Def::select("Housing material", HOUSINGS).required().variant().filterable().searchable(),
                ),
                ("max_medium_temperature", Def::number("Max. medium temperature", "°C", -40.0, 400.0).filterable()),
                ("media", Def::multi("Suitable media", MEDIA).filterable().searchable()),
                ("pump_model", Def::text("Model").required().variant().searchable()),
            ],
        ),
        category(
            "centrifugal",
            "Centrifugal pumps",
            Some("pumps"),
            vec![
                (
                    "shaft_seal",
                    Def::select(
                        "Shaft seal",
                        &["mechanical seal carbon/ceramic", "mechanical seal SiC/SiC", "gland packing"],
                    )
                    .variant()
                    .filterable(),
                ),
                (
                    "impeller_material",
                    Def::select("Impeller material", &["cast iron", "bronze", "stainless steel", "technopolymer"])
                        .filterable(),
                ),
            ],
        ),
        category("end_suction", "End-suction pumps", Some("centrifugal"), Vec::new()),
        category(
            "multistage",
            "Multistage pumps",
            Some("centrifugal"),
            vec![("stages", Def::count("Stages", 1.0, 40.0).required().variant().filterable())],
        ),
        category(
            "submersible",
            "Submersible pumps",
            Some("centrifugal"),
            vec![
                ("float_switch", Def::boolean("Float switch").variant().filterable()),
                ("cable_length", Def::number("Cable length", "m", 1.0, 100.0).variant().filterable()),
            ],
        ),
        category(
            "positive_displacement",
            "Positive displacement pumps",
            Some("pumps"),
            vec![("max_pressure", Def::number("Max. pressure", "bar", 0.1, 700.0).filterable().searchable())],
        ),
        category(
            "gear_pumps",
            "Gear pumps",
            Some("positive_displacement"),
            vec![
                ("displacement", Def::count("Displacement (cm³/rev)", 0.1, 500.0).required().variant().filterable()),
                ("rotation", Def::select("Rotation", &["clockwise", "counter-clockwise"]).variant().filterable()),
                (
                    "mounting_flange",
                    Def::select("Mounting flange", &["SAE A 2-bolt", "European 4-bolt"]).variant().filterable(),
                ),
                (
                    "shaft_type",
                    Def::select("Shaft", &["tapered 1:8", "parallel keyed", "splined SAE"]).variant().filterable(),
                ),
            ],
        ),
        category(
            "diaphragm_pumps",
            "Diaphragm pumps",
            Some("positive_displacement"),
            vec![(
                "diaphragm_material",
                Def::select("Diaphragm material", &["PTFE", "Santoprene", "EPDM", "NBR"])
                    .variant()
                    .filterable()
                    .searchable(),
            )],
        ),
    ]
}

pub fn lines() -> Vec<Line> {
    vec![
        Line::new("end_suction", "ESP", "end-suction centrifugal pumps", EndSuction),
        Line::new("multistage", "MVS", "vertical multistage pumps", Multistage),
        Line::new("submersible", "DP", "drainage submersible pumps", Submersible),
        Line::new("gear_pumps", "GP", "external gear pumps", Gear),
        Line::new("diaphragm_pumps", "AODD", "air-operated double diaphragm pumps", Diaphragm),
    ]
}

/// Flow in l/min, or in m³/h on data sheets that list it so.
fn flow(specs: &mut Specs, look: Look, l_min: f64) {
    if look.other_units {
        specs.qty("flow_rate", round_to(l_min * 0.06, 0.01), "m³/h");
    } else {
        specs.num("flow_rate", round_to(l_min, 1.0));
    }
}

const SEALS: &[((&str, &str), u32)] = &[
    (("mechanical seal carbon/ceramic", "CC"), 60),
    (("mechanical seal SiC/SiC", "SS"), 35),
    (("gland packing", "GP"), 5),
];
const WET_HOUSINGS: &[((&str, &str), u32)] = &[
    (("cast iron", "GG"), 60),
    (("stainless steel 1.4301", "S1"), 25),
    (("stainless steel 1.4401", "S4"), 10),
    (("bronze", "BZ"), 5),
];

struct EndSuction;

/// Model, flow (l/min), head (m), motor (kW), connection.
#[rustfmt::skip]
const END_SUCTION: &[(&str, f64, f64, f64, &str)] = &[
    ("32-125", 150.0, 20.0, 0.75, "DN 32"), ("32-160", 200.0, 32.0, 1.5, "DN 32"), ("32-200", 250.0, 50.0, 3.0, "DN 32"),
    ("40-125", 300.0, 20.0, 1.1, "DN 40"), ("40-160", 400.0, 32.0, 2.2, "DN 40"), ("40-200", 450.0, 50.0, 4.0, "DN 40"),
    ("40-250", 500.0, 80.0, 7.5, "DN 40"), ("50-125", 600.0, 20.0, 2.2, "DN 50"), ("50-160", 750.0, 32.0, 4.0, "DN 50"),
    ("50-200", 850.0, 50.0, 7.5, "DN 50"), ("50-250", 950.0, 80.0, 15.0, "DN 50"), ("65-160", 1300.0, 32.0, 7.5, "DN 65"),
    ("65-200", 1500.0, 50.0, 11.0, "DN 65"), ("80-160", 2000.0, 32.0, 11.0, "DN 80"), ("80-200", 2400.0, 50.0, 18.5, "DN 80"),
    ("100-200", 3500.0, 50.0, 30.0, "DN 100"),
];

impl Generator for EndSuction {
    fn capacity(&self) -> u64 {
        (END_SUCTION.len() * WET_HOUSINGS.len() * SEALS.len() * 2) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let (model, l_min, head, kw, connection) =
            END_SUCTION[draw.index(END_SUCTION.iter().map(|m| 100 / (1 + m.3 as u32)))];
        let (housing, housing_code) = *draw.pick(WET_HOUSINGS);
        let (seal, seal_code) = *draw.pick(SEALS);
        let volts = *draw.pick(&[(400.0, 75u32), (690.0, 25)]);
        let mut specs = Specs::default();
        flow(&mut specs, look, l_min);
        specs.num("head", head).num("motor_power", kw).num("rated_voltage", volts).text("connection_size", connection);
        specs.text("housing_material", housing).text("shaft_seal", seal).num("max_medium_temperature", 110.0);
        specs.text("impeller_material", if housing == "cast iron" { "cast iron" } else { "stainless steel" });
        specs.list("media", &["clean water", "glycol mixtures"]).text("pump_model", format!("ESP {model}"));
        let name =
            format!("End-suction pump ESP {model}, {} l/min, {} m, {} kW, {housing}", num(l_min), num(head), num(kw));
        specs.draft(format!("{model}-{housing_code}-{seal_code}-{}V", num(volts)), name)
    }
}

struct Multistage;

/// Nominal flow (m³/h), demand, head per stage (m), most stages.
const MULTISTAGE: &[(f64, u32, f64, u32)] = &[
    (1.0, 6, 10.0, 27),
    (3.0, 10, 9.0, 25),
    (5.0, 12, 8.0, 24),
    (10.0, 10, 7.5, 17),
    (15.0, 8, 8.0, 12),
    (20.0, 6, 9.0, 10),
    (32.0, 4, 10.0, 8),
];
const MS_HOUSINGS: &[((&str, &str), u32)] =
    &[(("cast iron", "GG"), 40), (("stainless steel 1.4301", "S1"), 45), (("stainless steel 1.4401", "S4"), 15)];

impl Generator for Multistage {
    fn capacity(&self) -> u64 {
        MULTISTAGE.iter().map(|m| u64::from(m.3 - 1)).sum::<u64>() * MS_HOUSINGS.len() as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let (m3h, _, per_stage, most) = MULTISTAGE[draw.index(MULTISTAGE.iter().map(|m| m.1))];
        let stages = 2 + draw.index((2..=most).map(|s| 30 / s + 1)) as u32;
        let (housing, housing_code) = *draw.pick(MS_HOUSINGS);
        let head = per_stage * f64::from(stages);
        let l_min = m3h * 1000.0 / 60.0 * 1.3;
        let kw = motor_for(1000.0 * 9.81 * (m3h / 3600.0) * head / 0.55 / 1000.0);
        let model = format!("MVS {}-{stages}", num(m3h));
        let mut specs = Specs::default();
        flow(&mut specs, look, l_min);
        specs.num("head", round_to(head * 1.15, 1.0)).num("motor_power", kw).num("rated_voltage", 400.0);
        specs.num("stages", f64::from(stages)).text("housing_material", housing).text("pump_model", model.clone());
        specs.text("shaft_seal", "mechanical seal SiC/SiC").text("impeller_material", "stainless steel");
        specs.num("max_medium_temperature", 120.0).list("media", &["clean water", "drinking water", "glycol mixtures"]);
        specs.text(
            "connection_size",
            if m3h <= 5.0 {
                "G 1\""
            } else if m3h <= 15.0 {
                "DN 40"
            } else {
                "DN 65"
            },
        );
        let name = format!("Vertical multistage pump {model}, {} stages, {} kW, {housing}", stages, num(kw));
        specs.draft(format!("{}-{stages}-{housing_code}", num(m3h)), name)
    }
}

struct Submersible;

/// Model, flow (l/min), head (m), motor (kW), connection.
#[rustfmt::skip]
const SUBMERSIBLE: &[(&str, f64, f64, f64, &str)] = &[
    ("250", 150.0, 7.0, 0.25, "G 1 1/4\""), ("400", 220.0, 8.0, 0.4, "G 1 1/4\""), ("550", 270.0, 10.0, 0.55, "G 1 1/2\""),
    ("750", 330.0, 12.0, 0.75, "G 1 1/2\""), ("1100", 400.0, 15.0, 1.1, "G 2\""), ("1500", 500.0, 18.0, 1.5, "G 2\""),
    ("1500W", 600.0, 14.0, 1.5, "G 2\""), ("2200W", 800.0, 18.0, 2.2, "DN 65"),
];
const SUB_HOUSINGS: &[((&str, &str), u32)] =
    &[(("stainless steel 1.4301", "S1"), 45), (("polypropylene", "PP"), 30), (("cast iron", "GG"), 25)];
const CABLES: &[(f64, u32)] = &[(5.0, 20), (10.0, 60), (20.0, 20)];

impl Generator for Submersible {
    fn capacity(&self) -> u64 {
        (SUBMERSIBLE.len() * 2 * SUB_HOUSINGS.len() * CABLES.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let (model, l_min, head, kw, connection) =
            SUBMERSIBLE[draw.index([15u32, 20, 20, 15, 10, 8, 7, 5].into_iter())];
        let float = draw.chance(0.6);
        let (housing, housing_code) = *draw.pick(SUB_HOUSINGS);
        let cable = *draw.pick(CABLES);
        let volts = if kw > 1.1 { 400.0 } else { 230.0 };
        let mut specs = Specs::default();
        flow(&mut specs, look, l_min);
        specs.num("head", head).num("motor_power", kw).num("rated_voltage", volts).text("connection_size", connection);
        specs.text("housing_material", housing).flag("float_switch", float).num("cable_length", cable);
        specs.text("shaft_seal", "mechanical seal SiC/SiC").text("impeller_material", "technopolymer");
        specs.text("pump_model", format!("DP {model}")).num("max_medium_temperature", 35.0);
        specs.list("media", &["clean water", "waste water"]);
        let switch = if float { " with float switch" } else { "" };
        let name = format!("Drainage pump DP {model}, {} l/min{switch}, {} m cable, {housing}", num(l_min), num(cable));
        let tail = format!("{model}-{housing_code}-{}{}", num(cable), if float { "-F" } else { "" });
        specs.draft(tail, name)
    }
}

struct Gear;

const DISPLACEMENTS: &[(f64, u32)] = &[
    (1.0, 3),
    (1.6, 4),
    (2.5, 6),
    (4.0, 10),
    (6.3, 10),
    (8.0, 9),
    (11.0, 8),
    (16.0, 7),
    (20.0, 5),
    (25.0, 4),
    (32.0, 3),
];
const SHAFTS: &[((&str, &str), u32)] =
    &[(("tapered 1:8", "T"), 50), (("parallel keyed", "K"), 30), (("splined SAE", "S"), 20)];

impl Generator for Gear {
    fn capacity(&self) -> u64 {
        (DISPLACEMENTS.len() * 2 * 2 * SHAFTS.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let cc = *draw.pick(DISPLACEMENTS);
        let clockwise = draw.chance(0.6);
        let sae = draw.chance(0.4);
        let (shaft, shaft_code) = *draw.pick(SHAFTS);
        let bar = if cc <= 11.0 { 250.0 } else { 210.0 };
        let mut specs = Specs::default();
        flow(&mut specs, look, cc * 1.5 * 0.95);
        specs.num("displacement", cc).text("rotation", if clockwise { "clockwise" } else { "counter-clockwise" });
        specs.text("mounting_flange", if sae { "SAE A 2-bolt" } else { "European 4-bolt" });
        specs.text("shaft_type", shaft).text("housing_material", "aluminium").num("max_pressure", bar);
        specs.num("max_medium_temperature", 80.0).list("media", &["oil"]);
        specs.text("pump_model", format!("GP {}", num(cc)));
        let rotation = if clockwise { "R" } else { "L" };
        let name = format!(
            "Gear pump {} cm³/rev, {} bar, {}, {} flange, {shaft} shaft",
            num(cc),
            num(bar),
            if clockwise { "clockwise" } else { "counter-clockwise" },
            if sae { "SAE A" } else { "European" }
        );
        specs.draft(format!("{}-{rotation}-{}-{shaft_code}", num(cc), if sae { "SAE" } else { "EU" }), name)
    }
}

struct Diaphragm;

/// Connection, flow (l/min), demand.
const AODD: &[(&str, f64, u32)] = &[
    ("1/4\"", 14.0, 5),
    ("3/8\"", 30.0, 8),
    ("1/2\"", 60.0, 15),
    ("3/4\"", 100.0, 12),
    ("1\"", 180.0, 20),
    ("1 1/2\"", 400.0, 15),
    ("2\"", 600.0, 15),
    ("3\"", 900.0, 10),
];
const AODD_HOUSINGS: &[((&str, &str), u32)] = &[
    (("aluminium", "AL"), 30),
    (("polypropylene", "PP"), 30),
    (("stainless steel 1.4401", "S4"), 20),
    (("PVDF", "PV"), 10),
];
const DIAPHRAGMS: &[(&str, u32)] = &[("PTFE", 35), ("Santoprene", 25), ("EPDM", 20), ("NBR", 20)];

impl Generator for Diaphragm {
    fn capacity(&self) -> u64 {
        (AODD.len() * AODD_HOUSINGS.len() * DIAPHRAGMS.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let (size, l_min, _) = AODD[draw.index(AODD.iter().map(|a| a.2))];
        let (housing, housing_code) = *draw.pick(AODD_HOUSINGS);
        let diaphragm = *draw.pick(DIAPHRAGMS);
        let mut specs = Specs::default();
        flow(&mut specs, look, l_min);
        specs.text("connection_size", size).text("housing_material", housing).text("diaphragm_material", diaphragm);
        if look.other_units {
            specs.qty("max_pressure", 120.0, "psi");
        } else {
            specs.num("max_pressure", 8.3);
        }
        specs.num("head", 84.0).num("max_medium_temperature", if diaphragm == "PTFE" { 100.0 } else { 80.0 });
        specs.list("media", &["waste water", "oil", "chemicals"]).text("pump_model", format!("AODD {size}"));
        let name =
            format!("Air-operated diaphragm pump {size}, {} l/min, {housing}, {diaphragm} diaphragms", num(l_min));
        let size_code = size.trim_end_matches('"').replace(' ', "-");
        specs.draft(format!("{size_code}-{housing_code}-{}", diaphragm.to_uppercase()), name)
    }
}

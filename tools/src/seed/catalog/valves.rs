//! Valves: ball, gate and butterfly valves, check valves and solenoid valves. Sizes in inches
//! (`1/2"`) with their nominal diameter DN in mm; pressure in bar (psi in US data sheets),
//! temperature in °C (°F in US data sheets).

use super::{category, num, CategorySpec, Def, Draft, Generator, Line, Look, Specs};
use crate::dice::Draw;

/// Size, DN (mm), demand.
#[rustfmt::skip]
const SIZES: &[(&str, f64, u32)] = &[
    ("1/4\"", 8.0, 4), ("3/8\"", 10.0, 6), ("1/2\"", 15.0, 20), ("3/4\"", 20.0, 18), ("1\"", 25.0, 16),
    ("1 1/4\"", 32.0, 9), ("1 1/2\"", 40.0, 8), ("2\"", 50.0, 8), ("2 1/2\"", 65.0, 4), ("3\"", 80.0, 4),
    ("4\"", 100.0, 3), ("5\"", 125.0, 2), ("6\"", 150.0, 2), ("8\"", 200.0, 2), ("10\"", 250.0, 1), ("12\"", 300.0, 1),
];
const BODIES: &[&str] = &[
    "brass",
    "nickel-plated brass",
    "bronze",
    "stainless steel 1.4408",
    "cast iron",
    "ductile iron",
    "carbon steel",
    "PVC-U",
];
const CONNECTIONS: &[&str] = &[
    "female thread BSP",
    "female thread NPT",
    "male/female thread BSP",
    "flanged PN16",
    "flanged ANSI 150",
    "wafer",
    "lug",
    "solder",
];
const OPERATORS: &[&str] =
    &["lever", "T-handle", "butterfly handle", "handwheel", "gear operator", "pneumatic actuator", "electric actuator"];

pub fn categories() -> Vec<CategorySpec> {
    let sizes: Vec<&str> = SIZES.iter().map(|s| s.0).collect();
    vec![
        category(
            "valves",
            "Valves",
            None,
            vec![
                ("size", Def::select("Size", &sizes).required().variant().filterable().searchable()),
                ("nominal_diameter", Def::number("Nominal diameter DN", "mm", 1.0, 2_000.0).filterable()),
                (
                    "pressure_rating",
                    Def::number("Max. pressure", "bar", 0.1, 700.0).required().filterable().searchable(),
                ),
                ("max_temperature", Def::number("Max. temperature", "°C", -200.0, 600.0).filterable()),
                ("body_material", Def::select("Body material", BODIES).required().variant().filterable().searchable()),
                (
                    "connection_type",
                    Def::select("Connection", CONNECTIONS).required().variant().filterable().searchable(),
                ),
                (
                    "seal_material",
                    Def::select("Seal material", &["PTFE", "EPDM", "NBR", "FKM"]).filterable().searchable(),
                ),
                (
                    "media",
                    Def::multi("Suitable media", &["water", "drinking water", "compressed air", "oil", "gas", "steam"])
                        .filterable(),
                ),
            ],
        ),
        category(
            "shutoff_valves",
            "Shut-off valves",
            Some("valves"),
            vec![("operator", Def::select("Operator", OPERATORS).required().variant().filterable().searchable())],
        ),
        category(
            "ball_valves",
            "Ball valves",
            Some("shutoff_valves"),
            vec![
                ("bore", Def::select("Bore", &["full bore", "reduced bore"]).filterable()),
                ("pieces", Def::select("Body design", &["1-piece", "2-piece", "3-piece"]).filterable()),
            ],
        ),
        category(
            "gate_valves",
            "Gate valves",
            Some("shutoff_valves"),
            vec![("stem", Def::select("Stem", &["rising stem", "non-rising stem"]).variant().filterable())],
        ),
        category(
            "butterfly_valves",
            "Butterfly valves",
            Some("shutoff_valves"),
            vec![(
                "disc_material",
                Def::select("Disc material", &["ductile iron", "stainless steel 1.4408", "aluminium bronze"])
                    .filterable(),
            )],
        ),
        category(
            "check_valves",
            "Check valves",
            Some("valves"),
            vec![
                (
                    "check_type",
                    Def::select("Type", &["spring-loaded", "swing", "ball"]).variant().filterable().searchable(),
                ),
                ("cracking_pressure", Def::number("Cracking pressure", "bar", 0.0, 10.0)),
            ],
        ),
        category(
            "solenoid_valves",
            "Solenoid valves",
            Some("valves"),
            vec![
                (
                    "coil_voltage",
                    Def::number("Coil voltage", "V", 1.0, 1_000.0).required().variant().filterable().searchable(),
                ),
                (
                    "coil_current",
                    Def::select("Coil current", &["AC", "DC"]).required().variant().filterable().searchable(),
                ),
                (
                    "function",
                    Def::select("Function", &["normally closed", "normally open"])
                        .required()
                        .variant()
                        .filterable()
                        .searchable(),
                ),
                ("coil_power", Def::number("Coil power", "W", 0.1, 100.0)),
                ("operation", Def::select("Operation", &["direct acting", "servo assisted"]).filterable()),
            ],
        ),
    ]
}

type Options = &'static [((&'static str, &'static str), u32)];

pub fn lines() -> Vec<Line> {
    let bsp = ("female thread BSP", "FT");
    let npt = ("female thread NPT", "NPT");
    let mf = ("male/female thread BSP", "MF");
    let flanged = ("flanged PN16", "FL");
    let shutoff = |kind, sizes, bodies, connections, operators| Shutoff { kind, sizes, bodies, connections, operators };
    vec![
        Line::new(
            "ball_valves",
            "BVB",
            "brass ball valves",
            shutoff(
                Kind::Ball,
                0..11,
                &[(("nickel-plated brass", "NB"), 70), (("brass", "MS"), 30)],
                vec![(bsp, 60), (mf, 40)],
                &[(("lever", "L"), 60), (("butterfly handle", "B"), 25), (("T-handle", "T"), 15)],
            ),
        )
        .weight(30),
        Line::new(
            "ball_valves",
            "BVS",
            "stainless steel ball valves",
            shutoff(
                Kind::Ball,
                0..11,
                &[(("stainless steel 1.4408", "SS"), 1)],
                vec![(bsp, 45), (npt, 20), (flanged, 35)],
                &[(("lever", "L"), 60), (("pneumatic actuator", "PA"), 25), (("electric actuator", "EA"), 15)],
            ),
        )
        .weight(20),
        Line::new(
            "ball_valves",
            "BVN",
            "bronze ball valves, 600 psi WOG",
            shutoff(
                Kind::Ball,
                0..8,
                &[(("bronze", "BZ"), 1)],
                vec![(npt, 75), (("solder", "SW"), 25)],
                &[(("lever", "L"), 70), (("T-handle", "T"), 30)],
            ),
        )
        .imperial()
        .weight(12),
        Line::new(
            "gate_valves",
            "GVB",
            "bronze gate valves PN16",
            shutoff(Kind::Gate, 2..11, &[(("bronze", "BZ"), 1)], vec![(bsp, 1)], &[(("handwheel", "HW"), 1)]),
        ),
        Line::new(
            "gate_valves",
            "GVC",
            "flanged gate valves",
            shutoff(
                Kind::Gate,
                7..16,
                &[(("cast iron", "GG"), 60), (("ductile iron", "GGG"), 40)],
                vec![(flanged, 1)],
                &[(("handwheel", "HW"), 70), (("gear operator", "GO"), 15), (("electric actuator", "EA"), 15)],
            ),
        ),
        Line::new(
            "butterfly_valves",
            "BFV",
            "butterfly valves",
            shutoff(
                Kind::Butterfly,
                7..16,
                &[(("cast iron", "GG"), 50), (("ductile iron", "GGG"), 50)],
                vec![(("wafer", "W"), 60), (("lug", "LG"), 40)],
                &[
                    (("lever", "L"), 35),
                    (("gear operator", "GO"), 30),
                    (("pneumatic actuator", "PA"), 20),
                    (("electric actuator", "EA"), 15),
                ],
            ),
        ),
        Line::new("check_valves", "CV", "spring check valves", Check),
        Line::new("solenoid_valves", "SV", "2/2-way solenoid valves", Solenoid),
    ]
}

/// Pressure rating of a valve by size: small threaded valves take more.
fn pn(dn: f64) -> f64 {
    if dn <= 25.0 {
        40.0
    } else if dn <= 50.0 {
        25.0
    } else {
        16.0
    }
}

/// Size as a SKU shows it: `1 1/4"` → "1-1/4".
fn size_code(size: &str) -> String {
    size.trim_end_matches('"').replace(' ', "-")
}

/// Pressure and temperature as the line's data sheets give them.
fn ratings(specs: &mut Specs, imperial: bool, bar: f64, celsius: f64) {
    if imperial {
        specs.qty("pressure_rating", 600.0, "psi").qty("max_temperature", 400.0, "°F");
    } else {
        specs.num("pressure_rating", bar).num("max_temperature", celsius);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Ball,
    Gate,
    Butterfly,
}

struct Shutoff {
    kind: Kind,
    sizes: std::ops::Range<usize>,
    bodies: Options,
    connections: Vec<((&'static str, &'static str), u32)>,
    operators: Options,
}

impl Generator for Shutoff {
    fn capacity(&self) -> u64 {
        let stems = if self.kind == Kind::Gate { 2 } else { 1 };
        (self.sizes.len() * self.bodies.len() * self.connections.len() * self.operators.len() * stems) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let sizes = &SIZES[self.sizes.clone()];
        let (size, dn, _) = sizes[draw.index(sizes.iter().map(|s| s.2))];
        let (body, body_code) = *draw.pick(self.bodies);
        let (connection, connection_code) = *draw.pick(&self.connections);
        let (operator, operator_code) = *draw.pick(self.operators);
        let imperial = connection == "female thread NPT" && body == "bronze" || connection == "solder";
        let mut specs = Specs::default();
        specs.text("size", size).num("nominal_diameter", dn).text("body_material", body);
        specs.text("connection_type", connection).text("operator", operator);
        let mut tail = format!("{}-{body_code}-{connection_code}-{operator_code}", size_code(size));
        let what = match self.kind {
            Kind::Ball => {
                ratings(&mut specs, imperial || look.other_units && body == "bronze", pn(dn), 120.0);
                specs.text("seal_material", "PTFE").text("bore", if dn <= 50.0 { "full bore" } else { "reduced bore" });
                specs.text("pieces", if connection.starts_with("flanged") { "3-piece" } else { "2-piece" });
                specs.list("media", &["water", "compressed air", "oil", "gas"]);
                "Ball valve"
            }
            Kind::Gate => {
                let rising = draw.chance(0.5);
                ratings(&mut specs, false, 16.0, if body == "bronze" { 120.0 } else { 100.0 });
                specs
                    .text("stem", if rising { "rising stem" } else { "non-rising stem" })
                    .text("seal_material", "EPDM");
                specs.list("media", &["water", "drinking water"]);
                tail.push_str(if rising { "-R" } else { "-NR" });
                "Gate valve"
            }
            Kind::Butterfly => {
                ratings(&mut specs, false, 16.0, 110.0);
                specs.text("disc_material", "stainless steel 1.4408").text("seal_material", "EPDM");
                specs.list("media", &["water", "compressed air"]);
                "Butterfly valve"
            }
        };
        let name = format!("{what} {size} DN {} {body}, {connection}, {operator}", num(dn));
        specs.draft(tail, name)
    }
}

struct Check;

const CHECK_BODIES: Options = &[(("brass", "MS"), 60), (("stainless steel 1.4408", "SS"), 40)];
const CHECK_CONNECTIONS: Options =
    &[(("female thread BSP", "FT"), 60), (("male/female thread BSP", "MF"), 20), (("female thread NPT", "NPT"), 20)];

impl Generator for Check {
    fn capacity(&self) -> u64 {
        (10 * CHECK_BODIES.len() * CHECK_CONNECTIONS.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let (size, dn, _) = SIZES[draw.index(SIZES[..10].iter().map(|s| s.2))];
        let (body, body_code) = *draw.pick(CHECK_BODIES);
        let (connection, connection_code) = *draw.pick(CHECK_CONNECTIONS);
        let mut specs = Specs::default();
        specs.text("size", size).num("nominal_diameter", dn).text("body_material", body);
        specs.text("connection_type", connection).text("check_type", "spring-loaded").text("seal_material", "NBR");
        ratings(&mut specs, look.other_units && connection == "female thread NPT", pn(dn), 110.0);
        specs.num("cracking_pressure", 0.02).list("media", &["water", "compressed air", "oil"]);
        let name = format!("Spring check valve {size} DN {} {body}, {connection}", num(dn));
        specs.draft(format!("{}-{body_code}-{connection_code}", size_code(size)), name)
    }
}

struct Solenoid;

/// Coil voltage, current, power (W), demand.
const COILS: &[((f64, &str, f64), u32)] =
    &[((24.0, "DC", 12.0), 35), ((24.0, "AC", 9.0), 10), ((230.0, "AC", 9.0), 45), ((12.0, "DC", 12.0), 10)];
const SOLENOID_BODIES: Options = &[(("brass", "MS"), 70), (("stainless steel 1.4408", "SS"), 30)];

impl Generator for Solenoid {
    fn capacity(&self) -> u64 {
        (9 * 2 * COILS.len() * SOLENOID_BODIES.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let (size, dn, _) = SIZES[draw.index(SIZES[..9].iter().map(|s| s.2))];
        let closed = draw.chance(0.75);
        let (volts, current, watts) = *draw.pick(COILS);
        let (body, body_code) = *draw.pick(SOLENOID_BODIES);
        let function = if closed { "normally closed" } else { "normally open" };
        let mut specs = Specs::default();
        specs.text("size", size).num("nominal_diameter", dn).text("body_material", body);
        specs.text("connection_type", "female thread BSP").num("pressure_rating", if dn <= 10.0 { 10.0 } else { 16.0 });
        specs.num("max_temperature", 90.0).text("seal_material", "FKM").num("coil_voltage", volts);
        specs.text("coil_current", current).text("function", function).num("coil_power", watts);
        specs.text("operation", if dn <= 10.0 { "direct acting" } else { "servo assisted" });
        specs.list("media", &["water", "compressed air", "oil"]);
        let name = format!("Solenoid valve 2/2-way {size} {body}, {function}, {} V {current}", num(volts));
        let tail =
            format!("{}-{body_code}-{}-{}{current}", size_code(size), if closed { "NC" } else { "NO" }, num(volts));
        specs.draft(tail, name)
    }
}

//! Tools: hand tools (wrenches, screwdrivers, pliers, torque wrenches) and cordless and corded
//! power tools, with sizes in mm (inches for SAE lines) and battery voltages.

use super::{category, num, CategorySpec, Def, Draft, Generator, Line, Look, Specs};
use crate::dice::Draw;

const KITS: &[&str] = &[
    "bare tool",
    "1 × 2.0 Ah battery + charger",
    "2 × 2.0 Ah batteries + charger",
    "2 × 4.0 Ah batteries + charger",
    "2 × 5.0 Ah batteries + charger, case",
    "corded",
];

pub fn categories() -> Vec<CategorySpec> {
    vec![
        category("tools", "Tools", None, vec![("weight", Def::number("Weight", "kg", 0.001, 100.0).filterable())]),
        category(
            "hand_tools",
            "Hand tools",
            Some("tools"),
            vec![
                ("insulated", Def::boolean("VDE insulated to 1000 V").variant().filterable()),
                ("overall_length", Def::number("Overall length", "mm", 10.0, 2_000.0).filterable()),
                ("finish", Def::select("Finish", &["chrome-plated", "satin chrome", "black phosphate"]).filterable()),
            ],
        ),
        category(
            "wrenches",
            "Wrenches",
            Some("hand_tools"),
            vec![
                (
                    "wrench_size",
                    Def::number("Size across flats", "mm", 3.0, 100.0).required().variant().filterable().searchable(),
                ),
                (
                    "wrench_type",
                    Def::select("Type", &["combination", "ratcheting combination", "ring", "open-end"])
                        .required()
                        .variant()
                        .filterable()
                        .searchable(),
                ),
            ],
        ),
        category(
            "screwdrivers",
            "Screwdrivers",
            Some("hand_tools"),
            vec![
                (
                    "tip_type",
                    Def::select("Tip", &["slotted", "Phillips", "Pozidriv", "Torx", "hex"])
                        .required()
                        .variant()
                        .filterable()
                        .searchable(),
                ),
                ("tip_size", Def::text("Tip size").required().variant().searchable()),
                ("blade_length", Def::number("Blade length", "mm", 10.0, 500.0).required().variant().filterable()),
            ],
        ),
        category(
            "pliers",
            "Pliers",
            Some("hand_tools"),
            vec![
                (
                    "plier_type",
                    Def::select("Type", &["combination", "long nose", "diagonal cutter", "water pump", "circlip"])
                        .required()
                        .variant()
                        .filterable()
                        .searchable(),
                ),
                ("plier_length", Def::number("Length", "mm", 80.0, 600.0).required().variant().filterable()),
            ],
        ),
        category(
            "torque_wrenches",
            "Torque wrenches",
            Some("hand_tools"),
            vec![
                (
                    "drive_size",
                    Def::select("Drive", &["1/4\"", "3/8\"", "1/2\"", "3/4\"", "1\""])
                        .required()
                        .variant()
                        .filterable()
                        .searchable(),
                ),
                ("torque_min", Def::number("Torque from", "N·m", 0.1, 5_000.0).required().variant().filterable()),
                ("torque_max", Def::number("Torque to", "N·m", 0.1, 5_000.0).required().variant().filterable()),
                ("mechanism", Def::select("Mechanism", &["click", "electronic"]).variant().filterable().searchable()),
                ("accuracy", Def::count("Accuracy (± %)", 0.5, 10.0)),
            ],
        ),
        category(
            "power_tools",
            "Power tools",
            Some("tools"),
            vec![
                ("voltage", Def::number("Voltage", "V", 3.0, 400.0).required().variant().filterable().searchable()),
                (
                    "power_source",
                    Def::select("Power source", &["cordless", "corded"]).required().filterable().searchable(),
                ),
                ("kit", Def::select("Kit", KITS).required().variant().filterable().searchable()),
                ("rated_power", Def::number("Rated input power", "W", 1.0, 5_000.0).variant().filterable()),
                ("no_load_speed", Def::number("No-load speed", "rpm", 1.0, 30_000.0).filterable()),
            ],
        ),
        category(
            "cordless_drills",
            "Drills & drivers",
            Some("power_tools"),
            vec![
                ("max_torque", Def::number("Max. torque", "N·m", 1.0, 500.0).filterable()),
                ("chuck_capacity", Def::number("Chuck capacity", "mm", 6.0, 16.0).variant().filterable()),
                ("hammer", Def::boolean("Hammer function").variant().filterable()),
            ],
        ),
        category(
            "angle_grinders",
            "Angle grinders",
            Some("power_tools"),
            vec![(
                "disc_diameter",
                Def::number("Disc diameter", "mm", 50.0, 300.0).required().variant().filterable().searchable(),
            )],
        ),
        category(
            "impact_wrenches",
            "Impact wrenches",
            Some("power_tools"),
            vec![
                (
                    "drive_size",
                    Def::select("Drive", &["1/4\" hex", "3/8\" square", "1/2\" square", "3/4\" square"])
                        .required()
                        .variant()
                        .filterable()
                        .searchable(),
                ),
                ("max_torque", Def::number("Max. torque", "N·m", 10.0, 3_000.0).filterable()),
            ],
        ),
    ]
}

pub fn lines() -> Vec<Line> {
    vec![
        Line::new("wrenches", "CW", "combination wrenches", Wrench { sae: false }).weight(20),
        Line::new("wrenches", "CWS", "SAE combination wrenches", Wrench { sae: true })
            .imperial()
            .weight(10)
            .overriding(
                "wrench_size",
                Def::number("Size across flats", "in", 0.1, 4.0).required().variant().filterable().searchable(),
            ),
        Line::new("screwdrivers", "SD", "screwdrivers", Screwdriver { vde: false }).weight(20),
        Line::new("screwdrivers", "SDV", "VDE insulated screwdrivers", Screwdriver { vde: true }).weight(10),
        Line::new("pliers", "PL", "pliers", Pliers { vde: false, inches: false }).weight(20),
        Line::new("pliers", "PLV", "VDE insulated pliers", Pliers { vde: true, inches: false }).weight(10),
        Line::new("pliers", "PLI", "pliers, inch sizes", Pliers { vde: false, inches: true }).imperial().weight(8),
        Line::new("torque_wrenches", "TW", "torque wrenches", TorqueWrench),
        Line::new("cordless_drills", "DD", "cordless drill drivers", Drill),
        Line::new("angle_grinders", "AG", "angle grinders", Grinder),
        Line::new("impact_wrenches", "IW", "cordless impact wrenches", ImpactWrench),
    ]
}

struct Wrench {
    sae: bool,
}

#[rustfmt::skip]
const MM_SIZES: &[(f64, u32)] = &[
    (6.0, 3), (7.0, 4), (8.0, 8), (9.0, 4), (10.0, 12), (11.0, 5), (12.0, 6), (13.0, 12), (14.0, 5), (15.0, 3),
    (16.0, 5), (17.0, 10), (18.0, 4), (19.0, 10), (21.0, 3), (22.0, 4), (24.0, 4), (27.0, 2), (30.0, 2), (32.0, 1),
];
#[rustfmt::skip]
const INCH_SIZES: &[((f64, &str), u32)] = &[
    ((0.25, "1/4"), 4), ((0.3125, "5/16"), 6), ((0.375, "3/8"), 10), ((0.4375, "7/16"), 10), ((0.5, "1/2"), 12),
    ((0.5625, "9/16"), 12), ((0.625, "5/8"), 8), ((0.6875, "11/16"), 5), ((0.75, "3/4"), 8), ((0.8125, "13/16"), 3),
    ((0.875, "7/8"), 3), ((0.9375, "15/16"), 2), ((1.0, "1"), 2),
];
const WRENCH_TYPES: &[((&str, &str), u32)] =
    &[(("combination", "C"), 60), (("ratcheting combination", "RC"), 25), (("ring", "R"), 15)];

impl Generator for Wrench {
    fn capacity(&self) -> u64 {
        ((if self.sae { INCH_SIZES.len() } else { MM_SIZES.len() }) * WRENCH_TYPES.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let (kind, kind_code) = *draw.pick(WRENCH_TYPES);
        let mut specs = Specs::default();
        let (size_mm, shown, code) = if self.sae {
            let (inches, fraction) = *draw.pick(INCH_SIZES);
            specs.num("wrench_size", inches);
            (inches * 25.4, format!("{fraction}\""), fraction.replace('/', "-"))
        } else {
            let mm = *draw.pick(MM_SIZES);
            specs.num("wrench_size", mm);
            (mm, format!("{} mm", num(mm)), num(mm))
        };
        let length = (size_mm * 10.0 + 70.0).round();
        specs.text("wrench_type", kind).flag("insulated", false).num("overall_length", length);
        specs.text("finish", "satin chrome").num("weight", (size_mm * size_mm * 0.0009 + 0.02).max(0.03));
        let name = format!("{} wrench {shown}", capitalized(kind));
        specs.draft(format!("{code}-{kind_code}"), name)
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

struct Screwdriver {
    vde: bool,
}

/// Tip type, size, standard blade length (mm), demand.
#[rustfmt::skip]
const TIPS: &[(&str, &str, f64, u32)] = &[
    ("slotted", "2.5x0.4", 75.0, 4), ("slotted", "3.5x0.6", 100.0, 8), ("slotted", "4x0.8", 100.0, 8),
    ("slotted", "5.5x1", 125.0, 10), ("slotted", "6.5x1.2", 150.0, 6), ("slotted", "8x1.2", 175.0, 3),
    ("Phillips", "PH0", 60.0, 5), ("Phillips", "PH1", 80.0, 10), ("Phillips", "PH2", 100.0, 14), ("Phillips", "PH3", 150.0, 4),
    ("Pozidriv", "PZ0", 60.0, 4), ("Pozidriv", "PZ1", 80.0, 9), ("Pozidriv", "PZ2", 100.0, 12), ("Pozidriv", "PZ3", 150.0, 3),
    ("Torx", "T10", 80.0, 5), ("Torx", "T15", 80.0, 5), ("Torx", "T20", 100.0, 7), ("Torx", "T25", 100.0, 8),
    ("Torx", "T30", 115.0, 5), ("Torx", "T40", 130.0, 3), ("hex", "3", 75.0, 3), ("hex", "4", 100.0, 4),
    ("hex", "5", 100.0, 4), ("hex", "6", 125.0, 3),
];

impl Screwdriver {
    fn tips(&self) -> Vec<&'static (&'static str, &'static str, f64, u32)> {
        TIPS.iter().filter(|t| !(self.vde && t.0 == "hex")).collect()
    }
}

impl Generator for Screwdriver {
    fn capacity(&self) -> u64 {
        (self.tips().len() * 2) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let tips = self.tips();
        let (tip, size, standard, _) = *tips[draw.index(tips.iter().map(|t| t.3))];
        let long = draw.chance(0.25);
        let blade = if long { standard * 2.0 } else { standard };
        let mut specs = Specs::default();
        specs.text("tip_type", tip).text("tip_size", size).num("blade_length", blade).flag("insulated", self.vde);
        specs.num("overall_length", blade + 105.0).num("weight", 0.04 + blade * 0.0004);
        let shown = if tip == "slotted" || tip == "hex" { format!("{tip} {size}") } else { size.to_owned() };
        let vde = if self.vde { "VDE screwdriver" } else { "Screwdriver" };
        let name = format!("{vde} {shown} x {} mm", num(blade));
        specs.draft(format!("{}-{size}-{}", &tip[..2].to_uppercase(), num(blade)), name)
    }
}

struct Pliers {
    vde: bool,
    inches: bool,
}

impl Pliers {
    /// The length as sold: "160" (mm) or "6IN".
    fn size(&self, mm: f64) -> String {
        if self.inches {
            format!("{}IN", num((mm / 25.4).round()))
        } else {
            num(mm)
        }
    }
}

/// Type, lengths (mm) it comes in, demand.
const PLIERS: &[(&str, &[f64], u32)] = &[
    ("combination", &[160.0, 180.0, 200.0], 30),
    ("long nose", &[140.0, 160.0, 200.0], 20),
    ("diagonal cutter", &[140.0, 160.0, 180.0], 25),
    ("water pump", &[180.0, 250.0, 300.0], 15),
    ("circlip", &[140.0, 180.0], 10),
];

impl Generator for Pliers {
    fn capacity(&self) -> u64 {
        // Inch sizes are whole inches: two metric lengths may round to one.
        let distinct = |lengths: &[f64]| {
            let mut sizes: Vec<String> = lengths.iter().map(|mm| self.size(*mm)).collect();
            sizes.dedup();
            sizes.len() as u64
        };
        PLIERS.iter().map(|p| distinct(p.1)).sum()
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let (kind, lengths, _) = PLIERS[draw.index(PLIERS.iter().map(|p| p.2))];
        let mm = lengths[draw.index(lengths.iter().map(|_| 1))];
        let mut specs = Specs::default();
        specs.text("plier_type", kind).flag("insulated", self.vde);
        let shown = if self.inches {
            let inches = (mm / 25.4).round();
            specs.qty("plier_length", inches, "in").qty("overall_length", inches, "in");
            format!("{}\"", num(inches))
        } else {
            specs.num("plier_length", mm).num("overall_length", mm);
            format!("{} mm", num(mm))
        };
        specs.text("finish", "chrome-plated").num("weight", mm * 0.0013);
        let name = if self.vde {
            format!("VDE {kind} pliers {shown}")
        } else {
            format!("{} pliers {shown}", capitalized(kind))
        };
        specs.draft(format!("{}-{}", kind.replace(' ', "-").to_uppercase(), self.size(mm)), name)
    }
}

struct TorqueWrench;

/// Drive, torque range (N·m), demand.
const TORQUE_MODELS: &[(&str, f64, f64, u32)] = &[
    ("1/4\"", 2.0, 25.0, 10),
    ("1/4\"", 5.0, 50.0, 8),
    ("3/8\"", 10.0, 60.0, 12),
    ("3/8\"", 20.0, 100.0, 12),
    ("1/2\"", 20.0, 200.0, 20),
    ("1/2\"", 40.0, 200.0, 10),
    ("1/2\"", 60.0, 340.0, 12),
    ("3/4\"", 100.0, 600.0, 8),
    ("3/4\"", 150.0, 800.0, 5),
    ("1\"", 200.0, 1000.0, 3),
];

impl Generator for TorqueWrench {
    fn capacity(&self) -> u64 {
        (TORQUE_MODELS.len() * 2) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let (drive, low, high, _) = TORQUE_MODELS[draw.index(TORQUE_MODELS.iter().map(|m| m.3))];
        let electronic = draw.chance(0.2);
        let mechanism = if electronic { "electronic" } else { "click" };
        let mut specs = Specs::default();
        specs.text("drive_size", drive).num("torque_min", low).num("torque_max", high).text("mechanism", mechanism);
        specs.num("accuracy", if electronic { 2.0 } else { 4.0 }).flag("insulated", false);
        specs.num("overall_length", 250.0 + high * 1.1).num("weight", 0.5 + high * 0.004);
        let name = format!("Torque wrench {drive} {}–{} N·m, {mechanism}", num(low), num(high));
        let drive_code = drive.trim_end_matches('"').replace('/', "-");
        specs.draft(format!("{drive_code}-{}-{}{}", num(low), num(high), if electronic { "-E" } else { "" }), name)
    }
}

const CORDLESS_KITS: &[(&str, u32)] = &[
    ("bare tool", 35),
    ("1 × 2.0 Ah battery + charger", 10),
    ("2 × 2.0 Ah batteries + charger", 20),
    ("2 × 4.0 Ah batteries + charger", 20),
    ("2 × 5.0 Ah batteries + charger, case", 15),
];

fn kit_code(kit: &str) -> &'static str {
    match kit {
        "bare tool" => "B",
        "1 × 2.0 Ah battery + charger" => "1X2",
        "2 × 2.0 Ah batteries + charger" => "2X2",
        "2 × 4.0 Ah batteries + charger" => "2X4",
        "2 × 5.0 Ah batteries + charger, case" => "2X5",
        _ => "C",
    }
}

fn cordless(specs: &mut Specs, volts: f64, kit: &str) {
    specs.num("voltage", volts).text("power_source", "cordless").text("kit", kit);
}

struct Drill;

const DRILL_VOLTS: &[(f64, u32)] = &[(10.8, 15), (12.0, 25), (18.0, 50), (36.0, 10)];

impl Generator for Drill {
    fn capacity(&self) -> u64 {
        (DRILL_VOLTS.len() * CORDLESS_KITS.len() * 2 * 2) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let volts = *draw.pick(DRILL_VOLTS);
        let kit = *draw.pick(CORDLESS_KITS);
        let chuck = if draw.chance(0.6) { 13.0 } else { 10.0 };
        let hammer = draw.chance(0.4);
        let mut specs = Specs::default();
        cordless(&mut specs, volts, kit);
        specs.num("chuck_capacity", chuck).flag("hammer", hammer).num("max_torque", (volts * 3.5).round());
        specs.num("no_load_speed", if volts > 12.0 { 2000.0 } else { 1500.0 }).num("weight", 0.8 + volts * 0.03);
        let what = if hammer { "Cordless hammer drill" } else { "Cordless drill driver" };
        let name = format!("{what} {} V, {} mm chuck, {kit}", num(volts), num(chuck));
        let tail = format!("{}V-{}-{}{}", num(volts), num(chuck), kit_code(kit), if hammer { "-H" } else { "" });
        specs.draft(tail, name)
    }
}

struct Grinder;

const DISCS: &[(f64, u32)] = &[(115.0, 20), (125.0, 55), (150.0, 10), (180.0, 5), (230.0, 10)];
/// Corded input powers by disc: one light and one heavy model each.
const CORDED_WATTS: &[(f64, [f64; 2])] = &[
    (115.0, [720.0, 900.0]),
    (125.0, [900.0, 1400.0]),
    (150.0, [1400.0, 1700.0]),
    (180.0, [2000.0, 2400.0]),
    (230.0, [2200.0, 2600.0]),
];

impl Generator for Grinder {
    fn capacity(&self) -> u64 {
        // Cordless: 2 voltages × kits; corded: 2 models × 230 V or 110 V site voltage.
        (DISCS.len() * (2 * CORDLESS_KITS.len() + 2 * 2)) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let disc: f64 = *draw.pick(DISCS);
        let mut specs = Specs::default();
        specs.num("disc_diameter", disc).num("no_load_speed", (1_300_000.0 / disc / 100.0).round() * 100.0);
        let (name, tail) = if draw.chance(0.55) {
            let volts = *draw.pick(&[(18.0, 75u32), (36.0, 25)]);
            let kit = *draw.pick(CORDLESS_KITS);
            cordless(&mut specs, volts, kit);
            specs.num("weight", 1.8 + disc * 0.006);
            (
                format!("Cordless angle grinder {} mm {} V, {kit}", num(disc), num(volts)),
                format!("{}-{}V-{}", num(disc), num(volts), kit_code(kit)),
            )
        } else {
            let watts = CORDED_WATTS.iter().find(|c| c.0 == disc).map_or([900.0, 1400.0], |c| c.1);
            let watts = watts[draw.index([60u32, 40].into_iter())];
            let volts = *draw.pick(&[(230.0, 85u32), (110.0, 15)]);
            specs.num("voltage", volts).text("power_source", "corded").text("kit", "corded").num("rated_power", watts);
            specs.num("weight", 1.6 + watts * 0.0015);
            (
                format!("Angle grinder {} mm {} W, {} V", num(disc), num(watts), num(volts)),
                format!("{}-{}W-{}V", num(disc), num(watts), num(volts)),
            )
        };
        specs.draft(tail, name)
    }
}

struct ImpactWrench;

const IMPACT_DRIVES: &[((&str, &str, f64), u32)] = &[
    (("1/4\" hex", "H14", 200.0), 35),
    (("3/8\" square", "S38", 300.0), 15),
    (("1/2\" square", "S12", 600.0), 35),
    (("3/4\" square", "S34", 1500.0), 15),
];

impl Generator for ImpactWrench {
    fn capacity(&self) -> u64 {
        (IMPACT_DRIVES.len() * 3 * CORDLESS_KITS.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let (drive, drive_code, torque) = *draw.pick(IMPACT_DRIVES);
        let volts = *draw.pick(&[(12.0, 25u32), (18.0, 60), (36.0, 15)]);
        let kit = *draw.pick(CORDLESS_KITS);
        let mut specs = Specs::default();
        cordless(&mut specs, volts, kit);
        specs.text("drive_size", drive).num("max_torque", (torque * volts / 18.0).round());
        specs.num("no_load_speed", 2800.0).num("weight", 1.0 + volts * 0.04);
        let name = format!("Cordless impact wrench {drive} {} V, {kit}", num(volts));
        specs.draft(format!("{drive_code}-{}V-{}", num(volts), kit_code(kit)), name)
    }
}

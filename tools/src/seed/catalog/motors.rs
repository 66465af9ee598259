//! Motors: IEC and NEMA three-phase induction motors, single-phase capacitor motors, brushed and
//! brushless DC motors. Power is listed in kW (NEMA families in hp, DC motors in W), voltage in V
//! (some data sheets in kV); speed, current and torque follow from the ratings.

use super::{category, num, round_to, CategorySpec, Def, Draft, Generator, Line, Look, Specs};
use crate::dice::Draw;

/// IEC standard ratings in kW, with demand.
#[rustfmt::skip]
const KW: &[(f64, u32)] = &[
    (0.09, 2), (0.12, 3), (0.18, 4), (0.25, 6), (0.37, 8), (0.55, 10), (0.75, 12), (1.1, 12), (1.5, 12),
    (2.2, 12), (3.0, 10), (4.0, 10), (5.5, 8), (7.5, 8), (11.0, 6), (15.0, 5), (18.5, 4), (22.0, 4),
    (30.0, 3), (37.0, 2), (45.0, 2), (55.0, 2), (75.0, 1), (90.0, 1),
];
/// NEMA ratings in hp, with demand.
#[rustfmt::skip]
const HP: &[(f64, u32)] = &[
    (0.25, 3), (0.33, 4), (0.5, 8), (0.75, 10), (1.0, 12), (1.5, 12), (2.0, 12), (3.0, 10), (5.0, 10),
    (7.5, 8), (10.0, 7), (15.0, 5), (20.0, 4), (25.0, 3), (30.0, 3), (40.0, 2), (50.0, 2), (60.0, 1),
    (75.0, 1), (100.0, 1),
];
const IEC_FRAMES: &[&str] = &[
    "56", "63", "71", "80", "90S", "90L", "100L", "112M", "132S", "132M", "160M", "160L", "180M", "180L", "200L",
    "225S", "225M", "250M", "280S", "280M",
];
/// NEMA frames and their shaft diameters in inches.
#[rustfmt::skip]
const NEMA_FRAMES: &[(&str, f64)] = &[
    ("48", 0.5), ("56C", 0.625), ("143T", 0.875), ("145T", 0.875), ("182T", 1.125), ("184T", 1.125), ("213T", 1.375),
    ("215T", 1.375), ("254T", 1.625), ("256T", 1.625), ("284T", 1.875), ("286T", 1.875), ("324T", 2.125),
    ("326T", 2.125), ("364T", 2.375), ("365T", 2.375), ("404T", 2.875), ("405T", 2.875),
];
const MOUNTINGS: &[&str] =
    &["B3 foot", "B5 flange", "B14 face", "B35 foot/flange", "B34 foot/face", "C-face", "foot and C-face"];
const IP: &[&str] = &["IP20", "IP40", "IP44", "IP54", "IP55", "IP56", "IP65", "IP66", "IP67"];

pub fn categories() -> Vec<CategorySpec> {
    let frames: Vec<&str> = IEC_FRAMES.iter().copied().chain(NEMA_FRAMES.iter().map(|f| f.0)).collect();
    vec![
        category(
            "motors",
            "Motors",
            None,
            vec![
                (
                    "rated_power",
                    Def::number("Rated power", "kW", 0.001, 1_000.0).required().variant().filterable().searchable(),
                ),
                (
                    "rated_voltage",
                    Def::number("Rated voltage", "V", 1.0, 1_000.0).required().variant().filterable().searchable(),
                ),
                ("rated_speed", Def::number("Rated speed", "rpm", 1.0, 30_000.0).required().variant().filterable()),
                ("rated_current", Def::number("Rated current", "A", 0.01, 2_000.0).filterable()),
                ("rated_torque", Def::number("Rated torque", "N·m", 0.001, 10_000.0).filterable()),
                ("protection_class", Def::select("Protection class", IP).filterable().searchable()),
                ("weight", Def::number("Weight", "kg", 0.01, 5_000.0)),
                ("shaft_diameter", Def::number("Shaft diameter", "mm", 1.0, 150.0)),
            ],
        ),
        category(
            "ac_motors",
            "AC motors",
            Some("motors"),
            vec![
                ("frequency", Def::number("Frequency", "Hz", 16.0, 400.0).filterable()),
                ("poles", Def::count("Number of poles", 2.0, 12.0).variant().filterable()),
                ("frame_size", Def::select("Frame size", &frames).filterable().searchable()),
                ("mounting", Def::select("Mounting", MOUNTINGS).required().variant().filterable().searchable()),
                (
                    "efficiency_class",
                    Def::select("Efficiency class", &["IE1", "IE2", "IE3", "IE4", "NEMA Premium"])
                        .variant()
                        .filterable()
                        .searchable(),
                ),
                ("efficiency", Def::count("Efficiency at full load (%)", 0.0, 100.0)),
                ("power_factor", Def::count("Power factor cos φ", 0.0, 1.0)),
            ],
        ),
        category(
            "three_phase",
            "Three-phase motors",
            Some("ac_motors"),
            vec![("brake", Def::boolean("Holding brake").variant().filterable())],
        ),
        category(
            "single_phase",
            "Single-phase motors",
            Some("ac_motors"),
            vec![(
                "capacitor_type",
                Def::select(
                    "Capacitor type",
                    &["permanent split capacitor", "capacitor start / capacitor run", "capacitor start"],
                )
                .required()
                .variant()
                .filterable()
                .searchable(),
            )],
        ),
        category(
            "dc_motors",
            "DC motors",
            Some("motors"),
            vec![("encoder", Def::boolean("Encoder fitted").variant().filterable())],
        ),
        category(
            "brushed_dc",
            "Brushed DC motors",
            Some("dc_motors"),
            vec![("magnet_type", Def::select("Field", &["permanent magnet", "shunt wound"]).filterable())],
        ),
        category(
            "brushless_dc",
            "Brushless DC motors",
            Some("dc_motors"),
            vec![
                ("hall_sensors", Def::boolean("Hall sensors").filterable()),
                ("pole_pairs", Def::count("Pole pairs", 1.0, 12.0)),
            ],
        ),
    ]
}

pub fn lines() -> Vec<Line> {
    let hp = Def::number("Rated power", "hp", 0.01, 1_500.0).required().variant().filterable().searchable();
    vec![
        Line::new(
            "three_phase",
            "3PA",
            "IEC three-phase motors, aluminium frame",
            ThreePhase::Iec { cast_iron: false },
        )
        .weight(30),
        Line::new("three_phase", "3PC", "IEC three-phase motors, cast iron frame", ThreePhase::Iec { cast_iron: true })
            .weight(20),
        // Power in hp: as {value, unit} here, as bare numbers in the single-phase family's own unit.
        Line::new("three_phase", "3PN", "NEMA TEFC three-phase motors", ThreePhase::Nema).imperial().weight(20),
        Line::new("single_phase", "1PH", "single-phase capacitor motors", SinglePhase { nema: false }).weight(20),
        Line::new("single_phase", "1PN", "NEMA single-phase motors", SinglePhase { nema: true })
            .imperial()
            .weight(10)
            .overriding("rated_power", hp),
        Line::new("brushed_dc", "PMDC", "permanent magnet DC motors", Dc { brushless: false }),
        Line::new("brushless_dc", "BLDC", "brushless DC motors", Dc { brushless: true }),
    ]
}

const POLES: &[(u32, u32)] = &[(2, 25), (4, 50), (6, 18), (8, 7)];

/// Frames of 4-pole motors by rating (indices into IEC_FRAMES for KW, NEMA_FRAMES for HP).
const IEC_FRAME_4P: [usize; 24] = [1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
const NEMA_FRAME_4P: [usize; 20] = [0, 0, 1, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17];

/// The frame of a rating: fewer poles fit a smaller frame, more poles need a larger one.
fn frame_of(index: usize, poles: u32, nema: bool) -> usize {
    let (table, last): (&[usize], usize) =
        if nema { (&NEMA_FRAME_4P, NEMA_FRAMES.len() - 1) } else { (&IEC_FRAME_4P, IEC_FRAMES.len() - 1) };
    let four_pole = table.get(index).copied().unwrap_or(last);
    match poles {
        2 => four_pole.saturating_sub(1),
        4 => four_pole,
        6 => (four_pole + 1).min(last),
        _ => (four_pole + 2).min(last),
    }
}

/// Full-load efficiency (0..1) of an induction motor of `kw` in an efficiency class.
fn efficiency(kw: f64, class: &str) -> f64 {
    let losses = 0.25 * kw.powf(-0.25).min(1.6);
    let scale = match class {
        "IE1" => 1.0,
        "IE2" => 0.85,
        "IE3" | "NEMA Premium" => 0.72,
        _ => 0.6,
    };
    (1.0 - losses * scale).clamp(0.4, 0.98)
}

fn power_factor(kw: f64) -> f64 {
    0.86 - 0.14 * (kw / 0.09).powf(-0.35)
}

/// Rated speed from the synchronous speed and a slip that shrinks with size.
fn rated_speed(kw: f64, poles: u32, hz: f64) -> f64 {
    let sync = 120.0 * hz / f64::from(poles);
    let slip = 0.08 * (kw / 0.09).powf(-0.25);
    round_to(sync * (1.0 - slip), 5.0)
}

/// The electrical ratings every AC motor shows; `phases` 1 or 3.
#[allow(clippy::too_many_arguments)]
fn ac_ratings(
    specs: &mut Specs,
    look: Look,
    kw: f64,
    volts: f64,
    hz: f64,
    poles: u32,
    class: Option<&str>,
    phases: f64,
) {
    let eta = efficiency(kw, class.unwrap_or("IE1"));
    let pf = power_factor(kw);
    let speed = rated_speed(kw, poles, hz);
    let amps = kw * 1000.0 / (phases.sqrt() * volts * eta * pf);
    if look.other_units && volts >= 400.0 {
        specs.qty("rated_voltage", volts / 1000.0, "kV");
    } else {
        specs.num("rated_voltage", volts);
    }
    specs.num("rated_speed", speed).num("frequency", hz).num("poles", f64::from(poles));
    specs.num("rated_current", round_to(amps, 0.01)).num("rated_torque", round_to(9550.0 * kw / speed, 0.01));
    specs.num("efficiency", round_to(eta * 100.0, 0.1)).num("power_factor", round_to(pf, 0.01));
    if let Some(class) = class {
        specs.text("efficiency_class", class);
    }
}

/// Power as a SKU shows it: "4KW", "0.75KW", "5HP".
fn power_token(value: f64, unit: &str) -> String {
    format!("{}{unit}", num(value))
}

enum ThreePhase {
    Iec { cast_iron: bool },
    Nema,
}

const IEC_VOLTS: &[(f64, u32)] = &[(400.0, 70), (690.0, 20), (500.0, 10)];
const NEMA_VOLTS: &[(f64, u32)] = &[(460.0, 70), (230.0, 15), (575.0, 15)];
const IEC_MOUNTING: &[(&str, u32)] =
    &[("B3 foot", 50), ("B5 flange", 20), ("B14 face", 12), ("B35 foot/flange", 15), ("B34 foot/face", 3)];
const NEMA_MOUNTING: &[(&str, u32)] = &[("B3 foot", 55), ("C-face", 25), ("foot and C-face", 20)];
const IEC_CLASSES: &[(&str, u32)] = &[("IE2", 25), ("IE3", 55), ("IE4", 20)];
const NEMA_CLASSES: &[(&str, u32)] = &[("NEMA Premium", 75), ("IE2", 25)];

impl ThreePhase {
    /// The ratings this line lists, as indices into its table.
    fn ratings(&self) -> std::ops::Range<usize> {
        match self {
            ThreePhase::Iec { cast_iron: false } => 0..18,
            ThreePhase::Iec { cast_iron: true } => 6..KW.len(),
            ThreePhase::Nema => 0..HP.len(),
        }
    }
}

impl Generator for ThreePhase {
    fn capacity(&self) -> u64 {
        let (volts, mountings, classes) = match self {
            ThreePhase::Iec { .. } => (IEC_VOLTS.len(), IEC_MOUNTING.len(), IEC_CLASSES.len()),
            ThreePhase::Nema => (NEMA_VOLTS.len(), NEMA_MOUNTING.len(), NEMA_CLASSES.len()),
        };
        (self.ratings().len() * POLES.len() * volts * mountings * classes * 2) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let nema = matches!(self, ThreePhase::Nema);
        let table = if nema { HP } else { KW };
        let range = self.ratings();
        let index = range.start + draw.index(table[range].iter().map(|r| r.1));
        let rating = table[index].0;
        let kw = if nema { rating * 0.7457 } else { rating };
        let poles = *draw.pick(POLES);
        let volts = *draw.pick(if nema { NEMA_VOLTS } else { IEC_VOLTS });
        let mounting = *draw.pick(if nema { NEMA_MOUNTING } else { IEC_MOUNTING });
        let class = *draw.pick(if nema { NEMA_CLASSES } else { IEC_CLASSES });
        let brake = draw.chance(0.15);
        let hz = if nema { 60.0 } else { 50.0 };
        let mut specs = Specs::default();
        let frame = frame_of(index, poles, nema);
        if nema {
            let (frame, inches) = NEMA_FRAMES[frame];
            specs.qty("rated_power", rating, "hp").qty("shaft_diameter", inches, "in").text("frame_size", frame);
        } else {
            if look.other_units || kw >= 1.0 {
                specs.num("rated_power", kw);
            } else {
                specs.qty("rated_power", kw * 1000.0, "W");
            }
            specs.num("shaft_diameter", round_to(9.0 + 6.5 * kw.powf(0.33), 1.0)).text("frame_size", IEC_FRAMES[frame]);
        }
        ac_ratings(&mut specs, look, kw, volts, hz, poles, Some(class), 3.0);
        let heavy = if matches!(self, ThreePhase::Iec { cast_iron: true }) { 1.4 } else { 1.0 };
        let kg = round_to(6.0 + 9.0 * kw.powf(0.85) * heavy, 0.1);
        if nema {
            specs.qty("weight", round_to(kg * 2.2046, 1.0), "lb");
        } else {
            specs.num("weight", kg);
        }
        specs.text("mounting", mounting).flag("brake", brake);
        let ip = match self {
            ThreePhase::Iec { cast_iron: true } => "IP56",
            ThreePhase::Iec { cast_iron: false } => "IP55",
            ThreePhase::Nema => "IP54",
        };
        specs.text("protection_class", ip);
        let power = if nema { format!("{} hp", num(rating)) } else { format!("{} kW", num(rating)) };
        let mounting_code: String = mounting.split(' ').next().unwrap_or(mounting).replace('-', "").to_uppercase();
        let mut name = format!("Three-phase motor {power} {poles}-pole {} V {mounting} {class}", num(volts));
        let mut tail = format!(
            "{}-{poles}P-{}V-{mounting_code}-{}",
            power_token(rating, if nema { "HP" } else { "KW" }),
            num(volts),
            class.replace("NEMA Premium", "NP")
        );
        if brake {
            name.push_str(", with brake");
            tail.push_str("-BR");
        }
        specs.draft(tail, name)
    }
}

struct SinglePhase {
    nema: bool,
}

const CAPACITORS: &[((&str, &str), u32)] = &[
    (("permanent split capacitor", "PSC"), 45),
    (("capacitor start / capacitor run", "CSCR"), 35),
    (("capacitor start", "CS"), 20),
];

impl Generator for SinglePhase {
    fn capacity(&self) -> u64 {
        let (ratings, volts, mountings) =
            if self.nema { (9, 2, NEMA_MOUNTING.len()) } else { (10, 1, IEC_MOUNTING.len()) };
        (ratings * 2 * volts * CAPACITORS.len() * mountings) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let table = if self.nema { &HP[..9] } else { &KW[..10] };
        let rating = *draw.pick(table);
        let kw = if self.nema { rating * 0.7457 } else { rating };
        let poles = *draw.pick(&[(2u32, 35u32), (4, 65)]);
        let volts = if self.nema { *draw.pick(&[(115.0, 50u32), (230.0, 50)]) } else { 230.0 };
        let (capacitor, capacitor_code) = *draw.pick(CAPACITORS);
        let mounting = *draw.pick(if self.nema { NEMA_MOUNTING } else { IEC_MOUNTING });
        let hz = if self.nema { 60.0 } else { 50.0 };
        let mut specs = Specs::default();
        if self.nema {
            specs.num("rated_power", rating);
        } else if look.other_units {
            specs.qty("rated_power", kw * 1000.0, "W");
        } else {
            specs.num("rated_power", kw);
        }
        ac_ratings(&mut specs, Look { other_units: false }, kw, volts, hz, poles, None, 1.0);
        specs.text("capacitor_type", capacitor).text("mounting", mounting).text("protection_class", "IP54");
        specs.num("weight", round_to(4.0 + 12.0 * kw.powf(0.8), 0.1));
        let power = if self.nema { format!("{} hp", num(rating)) } else { format!("{} kW", num(rating)) };
        let mounting_code: String = mounting.split(' ').next().unwrap_or(mounting).replace('-', "").to_uppercase();
        let name = format!("Single-phase motor {power} {poles}-pole {} V {mounting} {capacitor_code}", num(volts));
        let tail = format!(
            "{}-{poles}P-{}V-{mounting_code}-{capacitor_code}",
            power_token(rating, if self.nema { "HP" } else { "KW" }),
            num(volts)
        );
        specs.draft(tail, name)
    }
}

struct Dc {
    brushless: bool,
}

/// Voltage, demand, and the range of powers (W) made for it.
type Volts = &'static [(f64, u32, f64, f64)];
/// Values with their demand.
type Ratings = &'static [(f64, u32)];

const BRUSHED_VOLTS: Volts = &[
    (12.0, 30, 10.0, 250.0),
    (24.0, 40, 10.0, 750.0),
    (48.0, 15, 60.0, 1500.0),
    (90.0, 8, 180.0, 1500.0),
    (180.0, 7, 250.0, 1500.0),
];
const BRUSHLESS_VOLTS: Volts =
    &[(12.0, 15, 25.0, 200.0), (24.0, 40, 25.0, 750.0), (48.0, 35, 50.0, 3000.0), (310.0, 10, 400.0, 3000.0)];
const BRUSHED_WATTS: &[(f64, u32)] = &[
    (10.0, 4),
    (15.0, 5),
    (25.0, 7),
    (40.0, 8),
    (60.0, 9),
    (90.0, 9),
    (120.0, 9),
    (180.0, 8),
    (250.0, 8),
    (370.0, 6),
    (550.0, 5),
    (750.0, 4),
    (1100.0, 3),
    (1500.0, 2),
];
const BRUSHLESS_WATTS: &[(f64, u32)] = &[
    (25.0, 5),
    (50.0, 8),
    (100.0, 10),
    (200.0, 10),
    (400.0, 9),
    (750.0, 8),
    (1000.0, 6),
    (1500.0, 4),
    (2000.0, 3),
    (3000.0, 2),
];

impl Dc {
    fn tables(&self) -> (Volts, Ratings, Ratings) {
        if self.brushless {
            (BRUSHLESS_VOLTS, BRUSHLESS_WATTS, &[(3000.0, 60), (4000.0, 25), (6000.0, 15)])
        } else {
            (BRUSHED_VOLTS, BRUSHED_WATTS, &[(1500.0, 15), (2000.0, 15), (3000.0, 50), (4000.0, 20)])
        }
    }
}

impl Generator for Dc {
    fn capacity(&self) -> u64 {
        let (volts, watts, speeds) = self.tables();
        let powers: usize =
            volts.iter().map(|(_, _, low, high)| watts.iter().filter(|(w, _)| w >= low && w <= high).count()).sum();
        (powers * speeds.len() * 2) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let (volts_table, watts_table, speeds) = self.tables();
        let (volts, _, low, high) = volts_table[draw.index(volts_table.iter().map(|v| v.1))];
        let watts: Vec<(f64, u32)> = watts_table.iter().copied().filter(|(w, _)| *w >= low && *w <= high).collect();
        let watts = *draw.pick(&watts);
        let speed = *draw.pick(speeds);
        let encoder = draw.chance(0.2);
        let eta = if self.brushless { 0.85 } else { 0.72 } - 0.1 * (watts / 10.0).powf(-0.5);
        let mut specs = Specs::default();
        if look.other_units && watts >= 1000.0 {
            specs.num("rated_power", watts / 1000.0);
        } else {
            specs.qty("rated_power", watts, "W");
        }
        specs.num("rated_voltage", volts).num("rated_speed", speed).flag("encoder", encoder);
        specs.num("rated_current", round_to(watts / (volts * eta), 0.01));
        specs.num("rated_torque", round_to(9.55 * watts / speed, 0.001));
        specs
            .num("weight", round_to(0.3 + 0.004 * watts, 0.01))
            .num("shaft_diameter", round_to(5.0 + watts.sqrt() / 2.5, 1.0));
        specs.text("protection_class", if self.brushless { "IP65" } else { "IP54" });
        let what = if self.brushless {
            specs.flag("hall_sensors", true).num("pole_pairs", if speed >= 6000.0 { 2.0 } else { 4.0 });
            "Brushless DC motor"
        } else {
            specs.text("magnet_type", if volts >= 90.0 { "shunt wound" } else { "permanent magnet" });
            "DC motor"
        };
        let mut name = format!("{what} {} V {} W {} rpm", num(volts), num(watts), num(speed));
        let mut tail = format!("{}V-{}W-{}", num(volts), num(watts), num(speed));
        if encoder {
            name.push_str(" with encoder");
            tail.push_str("-ENC");
        }
        specs.draft(tail, name)
    }
}

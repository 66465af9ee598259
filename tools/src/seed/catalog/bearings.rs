//! Bearings: deep groove and angular contact ball bearings, tapered and cylindrical roller
//! bearings, with ISO designations ("6205-2RS/C3") and the boundary dimensions of the series.

use super::{category, num, round_to, CategorySpec, Def, Draft, Generator, Line, Look, Specs};
use crate::dice::Draw;

/// Bore code, bore (mm), demand, and outer diameter and width in the 60, 62 and 63 series.
type Bore = (&'static str, f64, u32, [(f64, f64); 3]);

#[rustfmt::skip]
const BORES: &[Bore] = &[
    ("00", 10.0, 4, [(26.0, 8.0), (30.0, 9.0), (35.0, 11.0)]),
    ("01", 12.0, 4, [(28.0, 8.0), (32.0, 10.0), (37.0, 12.0)]),
    ("02", 15.0, 6, [(32.0, 9.0), (35.0, 11.0), (42.0, 13.0)]),
    ("03", 17.0, 7, [(35.0, 10.0), (40.0, 12.0), (47.0, 14.0)]),
    ("04", 20.0, 10, [(42.0, 12.0), (47.0, 14.0), (52.0, 15.0)]),
    ("05", 25.0, 12, [(47.0, 12.0), (52.0, 15.0), (62.0, 17.0)]),
    ("06", 30.0, 12, [(55.0, 13.0), (62.0, 16.0), (72.0, 19.0)]),
    ("07", 35.0, 10, [(62.0, 14.0), (72.0, 17.0), (80.0, 21.0)]),
    ("08", 40.0, 9, [(68.0, 15.0), (80.0, 18.0), (90.0, 23.0)]),
    ("09", 45.0, 7, [(75.0, 16.0), (85.0, 19.0), (100.0, 25.0)]),
    ("10", 50.0, 6, [(80.0, 16.0), (90.0, 20.0), (110.0, 27.0)]),
    ("11", 55.0, 4, [(90.0, 18.0), (100.0, 21.0), (120.0, 29.0)]),
    ("12", 60.0, 4, [(95.0, 18.0), (110.0, 22.0), (130.0, 31.0)]),
    ("13", 65.0, 3, [(100.0, 18.0), (120.0, 23.0), (140.0, 33.0)]),
    ("14", 70.0, 2, [(110.0, 20.0), (125.0, 24.0), (150.0, 35.0)]),
    ("15", 75.0, 2, [(115.0, 20.0), (130.0, 25.0), (160.0, 37.0)]),
    ("16", 80.0, 2, [(125.0, 22.0), (140.0, 26.0), (170.0, 39.0)]),
];

const SEALS: &[(&str, u32)] = &[("open", 25), ("2RS", 40), ("2Z", 30), ("RS", 3), ("Z", 2)];
const CLEARANCES: &[(&str, u32)] = &[("CN", 75), ("C3", 22), ("C4", 3)];
const GREASES: &[((&str, &str), u32)] =
    &[(("standard", ""), 85), (("high temperature", " HT"), 10), (("food grade NSF H1", " FG"), 5)];

pub fn categories() -> Vec<CategorySpec> {
    let mm = |label: &str| Def::number(label, "mm", 1.0, 2000.0);
    vec![
        category(
            "bearings",
            "Bearings",
            None,
            vec![
                (
                    "designation",
                    Def::text("Designation").regex("[0-9A-Z][0-9A-Z /.-]*").required().variant().searchable(),
                ),
                ("bore_diameter", mm("Bore diameter d").required().filterable()),
                ("outer_diameter", mm("Outer diameter D").required().filterable()),
                ("width", mm("Width B").filterable()),
                ("dynamic_load_rating", Def::count("Dynamic load rating C (kN)", 0.0, 10_000.0).filterable()),
                ("static_load_rating", Def::count("Static load rating C0 (kN)", 0.0, 10_000.0)),
                ("limiting_speed", Def::number("Limiting speed", "rpm", 0.0, 100_000.0).filterable()),
                ("weight", Def::number("Weight", "kg", 0.0, 5_000.0)),
                (
                    "ring_material",
                    Def::select("Ring material", &["bearing steel", "stainless steel"]).filterable().searchable(),
                ),
                ("cage", Def::select("Cage", &["steel", "brass", "polyamide"]).filterable().searchable()),
            ],
        ),
        category(
            "ball_bearings",
            "Ball bearings",
            Some("bearings"),
            vec![
                (
                    "seal",
                    Def::select("Seal / shield", &["open", "2RS", "2Z", "RS", "Z", "2RZ"]).filterable().searchable(),
                ),
                ("clearance", Def::select("Radial clearance", &["CN", "C3", "C4"]).filterable()),
                ("grease", Def::select("Grease", &["standard", "high temperature", "food grade NSF H1"]).filterable()),
            ],
        ),
        category(
            "deep_groove",
            "Deep groove ball bearings",
            Some("ball_bearings"),
            vec![("series", Def::select("Series", &["60", "62", "63"]).filterable())],
        ),
        category(
            "angular_contact",
            "Angular contact ball bearings",
            Some("ball_bearings"),
            vec![
                ("series", Def::select("Series", &["72", "73"]).filterable()),
                ("contact_angle", Def::count("Contact angle (°)", 10.0, 45.0).filterable()),
            ],
        ),
        category("roller_bearings", "Roller bearings", Some("bearings"), Vec::new()),
        category(
            "tapered_roller",
            "Tapered roller bearings",
            Some("roller_bearings"),
            vec![
                ("series", Def::select("Series", &["302", "303", "322"]).filterable()),
                ("tolerance_class", Def::select("Tolerance class", &["P0", "P6", "P5"]).filterable()),
            ],
        ),
        category(
            "cylindrical_roller",
            "Cylindrical roller bearings",
            Some("roller_bearings"),
            vec![
                ("design", Def::select("Design", &["NU", "NJ", "NUP", "N"]).filterable().searchable()),
                ("series", Def::select("Series", &["2", "3", "22"]).filterable()),
            ],
        ),
    ]
}

pub fn lines() -> Vec<Line> {
    vec![
        Line::new("deep_groove", "DG", "deep groove ball bearings", DeepGroove { stainless: false })
            .weight(30)
            .generated_sku(),
        Line::new("deep_groove", "DGS", "stainless deep groove ball bearings", DeepGroove { stainless: true })
            .weight(6)
            .generated_sku(),
        Line::new("angular_contact", "AC", "angular contact ball bearings", AngularContact).generated_sku(),
        Line::new("tapered_roller", "TR", "tapered roller bearings", Tapered).generated_sku(),
        Line::new("cylindrical_roller", "CR", "cylindrical roller bearings", Cylindrical).generated_sku(),
    ]
}

/// Dimensions and ratings every bearing shows.
fn common(specs: &mut Specs, look: Look, d: f64, outer: f64, width: f64, factor: f64, sealed: bool) {
    let c = 0.0394 * (outer - d).powf(1.8) * factor;
    let speed = 1_200_000.0 / (d + outer) * if sealed { 0.45 } else { 1.0 } / factor.sqrt();
    let kg = 7.85e-6 * std::f64::consts::FRAC_PI_4 * (outer * outer - d * d) * width * 0.5;
    specs.num("bore_diameter", d).num("outer_diameter", outer).num("width", width);
    specs.num("dynamic_load_rating", round_to(c, 0.1)).num("static_load_rating", round_to(c * 0.55, 0.1));
    specs.num("limiting_speed", round_to(speed, 100.0));
    if look.other_units && kg < 1.0 {
        specs.qty("weight", round_to(kg * 1000.0, 1.0), "g");
    } else {
        specs.num("weight", round_to(kg, 0.001));
    }
}

fn dimensions(d: f64, outer: f64, width: f64) -> String {
    format!("{}x{}x{} mm", num(d), num(outer), num(width))
}

struct DeepGroove {
    stainless: bool,
}

const DG_SERIES: &[(usize, u32)] = &[(0, 20), (1, 45), (2, 25)];

impl Generator for DeepGroove {
    fn capacity(&self) -> u64 {
        // Open bearings carry no grease choice.
        let per_bore = CLEARANCES.len() + (SEALS.len() - 1) * CLEARANCES.len() * GREASES.len();
        (DG_SERIES.len() * BORES.len() * per_bore) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let series = *draw.pick(DG_SERIES);
        let (code, d, _, sizes) = BORES[draw.index(BORES.iter().map(|b| b.2))];
        let (outer, width) = sizes[series];
        let seal = *draw.pick(SEALS);
        let clearance = *draw.pick(CLEARANCES);
        let (grease, grease_code) = if seal == "open" { ("standard", "") } else { *draw.pick(GREASES) };
        let prefix = if self.stainless { "S" } else { "" };
        let series_name = ["60", "62", "63"][series];
        let mut designation = format!("{prefix}{series_name}{code}");
        if seal != "open" {
            designation.push_str(&format!("-{seal}"));
        }
        if clearance != "CN" {
            designation.push_str(&format!("/{clearance}"));
        }
        designation.push_str(grease_code);
        let mut specs = Specs::default();
        specs.text("designation", designation.clone()).text("series", series_name);
        specs.text("seal", seal).text("clearance", clearance).text("grease", grease);
        specs.text("ring_material", if self.stainless { "stainless steel" } else { "bearing steel" });
        specs.text("cage", if d >= 60.0 { "brass" } else { "steel" });
        let factor = if self.stainless { 0.8 } else { 1.0 };
        common(&mut specs, look, d, outer, width, factor, seal.contains("RS"));
        let name = format!("Deep groove ball bearing {designation}, {}", dimensions(d, outer, width));
        specs.draft(designation, name)
    }
}

struct AngularContact;

const ANGLES: &[((&str, f64), u32)] = &[(("B", 40.0), 70), (("AC", 25.0), 30)];

impl Generator for AngularContact {
    fn capacity(&self) -> u64 {
        (2 * BORES.len() * ANGLES.len() * 2 * 2) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let series = 1 + draw.index([60u32, 40].into_iter());
        let (code, d, _, sizes) = BORES[draw.index(BORES.iter().map(|b| b.2))];
        let (outer, width) = sizes[series];
        let (angle, degrees) = *draw.pick(ANGLES);
        let sealed = draw.chance(0.2);
        let paired = draw.chance(0.3);
        let series_name = ["72", "73"][series - 1];
        let mut designation = format!("{series_name}{code} {angle}E");
        if sealed {
            designation.push_str("-2RZ");
        }
        if paired {
            designation.push_str("/UA");
        }
        let mut specs = Specs::default();
        specs.text("designation", designation.clone()).text("series", series_name).num("contact_angle", degrees);
        specs.text("seal", if sealed { "2RZ" } else { "open" }).text("grease", "standard");
        specs.text("ring_material", "bearing steel").text("cage", if d >= 50.0 { "brass" } else { "polyamide" });
        common(&mut specs, look, d, outer, width, 1.1, sealed);
        let name = format!("Angular contact ball bearing {designation}, {}", dimensions(d, outer, width));
        specs.draft(designation, name)
    }
}

struct Tapered;

/// Series, the ball series whose outer diameter it shares, its extra width (mm) and demand.
const TAPERED: &[(&str, usize, f64, u32)] = &[("302", 1, 1.25, 50), ("303", 2, 2.0, 25), ("322", 1, 4.25, 25)];
const TOLERANCES: &[(&str, u32)] = &[("P0", 80), ("P6", 15), ("P5", 5)];

impl Generator for Tapered {
    fn capacity(&self) -> u64 {
        (TAPERED.len() * (BORES.len() - 3) * TOLERANCES.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let (series, ball, extra, _) = TAPERED[draw.index(TAPERED.iter().map(|t| t.3))];
        let (code, d, _, sizes) = BORES[3 + draw.index(BORES[3..].iter().map(|b| b.2))];
        let (outer, width) = sizes[ball];
        let width = width + extra;
        let tolerance = *draw.pick(TOLERANCES);
        let mut designation = format!("{series}{code}");
        if tolerance != "P0" {
            designation.push_str(&format!("/{tolerance}"));
        }
        let mut specs = Specs::default();
        specs.text("designation", designation.clone()).text("series", series).text("tolerance_class", tolerance);
        specs.text("ring_material", "bearing steel").text("cage", "steel");
        common(&mut specs, look, d, outer, width, 1.9, false);
        let name = format!("Tapered roller bearing {designation}, {}", dimensions(d, outer, width));
        specs.draft(designation, name)
    }
}

struct Cylindrical;

const DESIGNS: &[(&str, u32)] = &[("NU", 50), ("NJ", 25), ("NUP", 15), ("N", 10)];
const CYL_SERIES: &[((&str, usize, f64), u32)] = &[(("2", 1, 1.0), 50), (("3", 2, 1.0), 30), (("22", 1, 1.3), 20)];
const CAGES: &[((&str, &str), u32)] = &[(("ECP", "polyamide"), 60), (("ECM", "brass"), 25), (("ECJ", "steel"), 15)];

impl Generator for Cylindrical {
    fn capacity(&self) -> u64 {
        (DESIGNS.len() * CYL_SERIES.len() * (BORES.len() - 4) * CAGES.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let design = *draw.pick(DESIGNS);
        let (series, ball, widen) = *draw.pick(CYL_SERIES);
        let (code, d, _, sizes) = BORES[4 + draw.index(BORES[4..].iter().map(|b| b.2))];
        let (outer, width) = sizes[ball];
        let width = round_to(width * widen, 1.0);
        let (cage_code, cage) = *draw.pick(CAGES);
        let designation = format!("{design} {series}{code} {cage_code}");
        let mut specs = Specs::default();
        specs.text("designation", designation.clone()).text("design", design).text("series", series);
        specs.text("ring_material", "bearing steel").text("cage", cage);
        common(&mut specs, look, d, outer, width, 1.6, false);
        let name = format!("Cylindrical roller bearing {designation}, {}", dimensions(d, outer, width));
        specs.draft(designation, name)
    }
}

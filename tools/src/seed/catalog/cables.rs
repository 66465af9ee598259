//! Cables: installation and power cables (NYM-J, NYY-J, N2XH), flexible rubber cables (H07RN-F,
//! H05RR-F), control cables (YSLY-JZ, YSLCY-JZ) and data cables (Cat5e–Cat7), sold by the coil
//! or drum. Their SKUs are the ones the domain generates from the variant-defining values.

use super::{category, num, round_to, CategorySpec, Def, Draft, Generator, Line, Look, Specs};
use crate::dice::Draw;

const SECTIONS: &[&str] = &[
    "0.25", "0.5", "0.75", "1", "1.5", "2.5", "4", "6", "10", "16", "25", "35", "50", "70", "95", "120", "150", "185",
    "240",
];
const COLORS: &[&str] = &["grey", "black", "orange", "blue", "white", "green", "violet", "yellow"];

pub fn categories() -> Vec<CategorySpec> {
    let sections: Vec<String> = SECTIONS.iter().map(|s| format!("{s} mm²")).collect();
    let sections: Vec<&str> = sections.iter().map(String::as_str).collect();
    vec![
        category(
            "cables",
            "Cables",
            None,
            vec![
                ("designation", Def::text("Type designation").searchable()),
                (
                    "rated_voltage",
                    Def::number("Rated voltage", "V", 1.0, 100_000.0).required().filterable().searchable(),
                ),
                ("cores", Def::count("Number of cores", 1.0, 100.0).required().variant().filterable()),
                (
                    "cross_section",
                    Def::select("Conductor cross-section", &sections).variant().filterable().searchable(),
                ),
                ("length", Def::number("Length", "m", 1.0, 5_000.0).required().variant().filterable()),
                ("jacket_color", Def::select("Jacket colour", COLORS).variant().filterable()),
                ("outer_diameter", Def::number("Outer diameter", "mm", 1.0, 150.0).filterable()),
                ("jacket_material", Def::select("Jacket", &["PVC", "rubber", "PUR", "LSZH"]).filterable().searchable()),
                ("halogen_free", Def::boolean("Halogen-free").filterable()),
                ("conductor_material", Def::select("Conductor", &["bare copper", "tinned copper"]).filterable()),
                ("max_temperature", Def::number("Max. conductor temperature", "°C", 0.0, 250.0)),
            ],
        ),
        category(
            "power_cables",
            "Power cables",
            Some("cables"),
            vec![(
                "conductor_class",
                Def::select("Conductor class", &["class 1 solid", "class 2 stranded", "class 5 fine-stranded"])
                    .filterable(),
            )],
        ),
        category("installation_cables", "Installation cables", Some("power_cables"), Vec::new()),
        category("flexible_cables", "Flexible rubber cables", Some("power_cables"), Vec::new()),
        category(
            "control_data_cables",
            "Control & data cables",
            Some("cables"),
            vec![("shielded", Def::boolean("Shielded").filterable())],
        ),
        category("control_cables", "Control cables", Some("control_data_cables"), Vec::new()),
        category(
            "data_cables",
            "Data cables",
            Some("control_data_cables"),
            vec![
                (
                    "cable_category",
                    Def::select("Category", &["Cat5e", "Cat6", "Cat6A", "Cat7"])
                        .required()
                        .variant()
                        .filterable()
                        .searchable(),
                ),
                (
                    "shielding",
                    Def::select("Shielding", &["U/UTP", "F/UTP", "U/FTP", "S/FTP"])
                        .required()
                        .variant()
                        .filterable()
                        .searchable(),
                ),
                ("awg", Def::count("Conductor size (AWG)", 18.0, 28.0).filterable()),
            ],
        ),
    ]
}

/// One cable type: how it is named and built, and which sizes it comes in.
struct Power {
    /// "NYM-J"; `ground` is the letter between cores and section: "x" (NYM-J 3x1.5) or "G" (H07RN-F 3G2.5).
    type_name: &'static str,
    ground: &'static str,
    kind: &'static str,
    volts: f64,
    jacket: &'static str,
    color: &'static str,
    class: &'static str,
    cores: &'static [(u32, u32)],
    sections: &'static [(&'static str, u32)],
    lengths: &'static [(f64, u32)],
    halogen_free: bool,
    shielded: Option<bool>,
}

pub fn lines() -> Vec<Line> {
    const COIL: &[(f64, u32)] = &[(50.0, 25), (100.0, 45), (500.0, 20), (1000.0, 10)];
    vec![
        Line::new(
            "installation_cables",
            "NYM",
            "NYM-J installation cables",
            Power {
                type_name: "NYM-J",
                ground: "x",
                kind: "installation cable",
                volts: 500.0,
                jacket: "PVC",
                color: "grey",
                class: "class 1 solid",
                cores: &[(2, 10), (3, 40), (4, 10), (5, 30), (7, 5)],
                sections: &[("1.5", 45), ("2.5", 30), ("4", 8), ("6", 6), ("10", 5), ("16", 4), ("25", 2)],
                lengths: COIL,
                halogen_free: false,
                shielded: None,
            },
        )
        .weight(30)
        .generated_sku(),
        Line::new(
            "installation_cables",
            "NYY",
            "NYY-J power cables 0.6/1 kV",
            Power {
                type_name: "NYY-J",
                ground: "x",
                kind: "power cable",
                volts: 1000.0,
                jacket: "PVC",
                color: "black",
                class: "class 2 stranded",
                cores: &[(1, 15), (3, 25), (4, 20), (5, 40)],
                sections: &[
                    ("1.5", 20),
                    ("2.5", 20),
                    ("4", 12),
                    ("6", 10),
                    ("10", 10),
                    ("16", 8),
                    ("25", 7),
                    ("35", 5),
                    ("50", 4),
                    ("70", 3),
                    ("95", 3),
                    ("120", 2),
                    ("150", 2),
                    ("185", 1),
                    ("240", 1),
                ],
                lengths: COIL,
                halogen_free: false,
                shielded: None,
            },
        )
        .weight(20)
        .generated_sku(),
        Line::new(
            "installation_cables",
            "N2XH",
            "N2XH halogen-free power cables",
            Power {
                type_name: "N2XH-J",
                ground: "x",
                kind: "halogen-free cable",
                volts: 1000.0,
                jacket: "LSZH",
                color: "grey",
                class: "class 2 stranded",
                cores: &[(3, 35), (4, 20), (5, 45)],
                sections: &[("1.5", 35), ("2.5", 30), ("4", 12), ("6", 10), ("10", 8), ("16", 5)],
                lengths: COIL,
                halogen_free: true,
                shielded: None,
            },
        )
        .weight(8)
        .generated_sku(),
        Line::new(
            "flexible_cables",
            "H07RN",
            "H07RN-F rubber cables",
            Power {
                type_name: "H07RN-F",
                ground: "G",
                kind: "rubber cable",
                volts: 750.0,
                jacket: "rubber",
                color: "black",
                class: "class 5 fine-stranded",
                cores: &[(1, 8), (2, 8), (3, 35), (4, 15), (5, 25), (7, 5), (12, 4)],
                sections: &[
                    ("1", 8),
                    ("1.5", 30),
                    ("2.5", 25),
                    ("4", 10),
                    ("6", 8),
                    ("10", 6),
                    ("16", 5),
                    ("25", 4),
                    ("35", 2),
                    ("50", 1),
                    ("70", 1),
                    ("95", 1),
                ],
                lengths: &[(25.0, 20), (50.0, 40), (100.0, 30), (500.0, 10)],
                halogen_free: false,
                shielded: None,
            },
        )
        .weight(25)
        .generated_sku(),
        Line::new(
            "flexible_cables",
            "H05RR",
            "H05RR-F light rubber cables",
            Power {
                type_name: "H05RR-F",
                ground: "G",
                kind: "rubber cable",
                volts: 500.0,
                jacket: "rubber",
                color: "black",
                class: "class 5 fine-stranded",
                cores: &[(2, 30), (3, 45), (4, 10), (5, 15)],
                sections: &[("0.75", 30), ("1", 35), ("1.5", 25), ("2.5", 10)],
                lengths: &[(25.0, 30), (50.0, 40), (100.0, 30)],
                halogen_free: false,
                shielded: None,
            },
        )
        .weight(10)
        .generated_sku(),
        Line::new(
            "control_cables",
            "YSLY",
            "YSLY-JZ control cables",
            Power {
                type_name: "YSLY-JZ",
                ground: "G",
                kind: "control cable",
                volts: 500.0,
                jacket: "PVC",
                color: "grey",
                class: "class 5 fine-stranded",
                cores: &[
                    (2, 6),
                    (3, 18),
                    (4, 12),
                    (5, 14),
                    (7, 12),
                    (12, 10),
                    (18, 8),
                    (25, 7),
                    (34, 5),
                    (41, 4),
                    (50, 4),
                ],
                sections: &[("0.5", 25), ("0.75", 35), ("1", 20), ("1.5", 15), ("2.5", 5)],
                lengths: COIL,
                halogen_free: false,
                shielded: Some(false),
            },
        )
        .weight(25)
        .generated_sku(),
        Line::new(
            "control_cables",
            "YSLCY",
            "YSLCY-JZ shielded control cables",
            Power {
                type_name: "YSLCY-JZ",
                ground: "G",
                kind: "shielded control cable",
                volts: 500.0,
                jacket: "PVC",
                color: "grey",
                class: "class 5 fine-stranded",
                cores: &[(2, 8), (3, 20), (4, 14), (5, 14), (7, 12), (12, 10), (18, 8), (25, 6)],
                sections: &[("0.5", 25), ("0.75", 35), ("1", 20), ("1.5", 15), ("2.5", 5)],
                lengths: COIL,
                halogen_free: false,
                shielded: Some(true),
            },
        )
        .weight(15)
        .generated_sku(),
        Line::new(
            "control_cables",
            "PUR",
            "PUR drag chain cables",
            Power {
                type_name: "PUR-JZ",
                ground: "G",
                kind: "drag chain cable",
                volts: 500.0,
                jacket: "PUR",
                color: "orange",
                class: "class 5 fine-stranded",
                cores: &[(2, 8), (3, 20), (4, 14), (5, 14), (7, 12), (12, 10), (18, 8), (25, 6)],
                sections: &[("0.25", 10), ("0.5", 25), ("0.75", 35), ("1", 20), ("1.5", 10)],
                lengths: &[(50.0, 30), (100.0, 50), (500.0, 20)],
                halogen_free: true,
                shielded: Some(false),
            },
        )
        .weight(10)
        .generated_sku(),
        Line::new("data_cables", "CAT", "installation data cables", Data { feet: false }).weight(20).generated_sku(),
        Line::new("data_cables", "CATF", "bulk data cables, 1000 ft boxes", Data { feet: true })
            .imperial()
            .weight(8)
            .generated_sku(),
    ]
}

/// Length in m, or in ft for US boxes; "coil" or "drum" as the trade says.
fn length(specs: &mut Specs, meters: f64, feet: bool) -> String {
    if feet {
        specs.qty("length", meters, "ft");
        return format!("{} ft box", num(meters));
    }
    specs.num("length", meters);
    format!("{} m {}", num(meters), if meters <= 100.0 { "coil" } else { "drum" })
}

impl Generator for Power {
    fn capacity(&self) -> u64 {
        (self.cores.len() * self.sections.len() * self.lengths.len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, look: Look) -> Draft {
        let cores = *draw.pick(self.cores);
        let section = *draw.pick(self.sections);
        let meters = *draw.pick(self.lengths);
        let area: f64 = section.parse().unwrap_or(1.0);
        let designation = format!("{} {cores}{}{section}", self.type_name, self.ground);
        let mut specs = Specs::default();
        specs.text("designation", designation.clone()).num("cores", f64::from(cores));
        specs.text("cross_section", format!("{section} mm²"));
        let sold_as = length(&mut specs, meters, false);
        specs.text("jacket_color", self.color).text("jacket_material", self.jacket);
        specs.flag("halogen_free", self.halogen_free).text("conductor_material", "bare copper");
        specs.num("max_temperature", if self.halogen_free { 90.0 } else { 70.0 });
        // Control cables say whether they are shielded; power cables give their conductor class.
        match self.shielded {
            Some(shielded) => specs.flag("shielded", shielded),
            None => specs.text("conductor_class", self.class),
        };
        if look.other_units && self.volts >= 1000.0 {
            specs.qty("rated_voltage", self.volts / 1000.0, "kV");
        } else {
            specs.num("rated_voltage", self.volts);
        }
        let outer = f64::from(cores).sqrt() * (1.13 * area.sqrt() + 1.6) * 1.4 + 2.0;
        specs.num("outer_diameter", round_to(outer, 0.1));
        let name = format!("{designation} mm² {} {}, {sold_as}", self.kind, self.color);
        specs.draft(format!("{cores}-{section}-{}", num(meters)), name)
    }
}

struct Data {
    feet: bool,
}

/// Category, shielding types made of it, AWG, outer diameter (mm), demand.
const DATA: &[(&str, &[&str], f64, f64, u32)] = &[
    ("Cat5e", &["U/UTP", "F/UTP"], 24.0, 5.2, 25),
    ("Cat6", &["U/UTP", "F/UTP", "U/FTP"], 23.0, 6.0, 35),
    ("Cat6A", &["U/FTP", "F/UTP", "S/FTP"], 23.0, 7.5, 30),
    ("Cat7", &["S/FTP"], 23.0, 8.0, 10),
];
const DATA_COLORS: &[(&str, u32)] =
    &[("grey", 35), ("blue", 20), ("violet", 15), ("orange", 10), ("green", 10), ("white", 10)];

impl Data {
    fn lengths(&self) -> &'static [(f64, u32)] {
        if self.feet {
            &[(500.0, 30), (1000.0, 70)]
        } else {
            &[(305.0, 30), (500.0, 40), (1000.0, 30)]
        }
    }
}

impl Generator for Data {
    fn capacity(&self) -> u64 {
        let shieldings: usize = DATA.iter().map(|d| d.1.len()).sum();
        (shieldings * DATA_COLORS.len() * self.lengths().len()) as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let (category, shieldings, awg, outer, _) = DATA[draw.index(DATA.iter().map(|d| d.4))];
        let shielding = shieldings[draw.index(shieldings.iter().map(|_| 1))];
        let color = *draw.pick(DATA_COLORS);
        let amount = *draw.pick(self.lengths());
        let mut specs = Specs::default();
        specs.text("designation", format!("{category} {shielding}")).num("cores", 8.0);
        specs.text("cable_category", category).text("shielding", shielding).num("awg", awg);
        let sold_as = length(&mut specs, amount, self.feet);
        let jacket = if self.feet { "PVC" } else { "LSZH" };
        specs.text("jacket_color", color).text("jacket_material", jacket).flag("halogen_free", !self.feet);
        specs.flag("shielded", shielding != "U/UTP").text("conductor_material", "bare copper");
        specs.num("rated_voltage", 125.0).num("outer_diameter", outer).num("max_temperature", 60.0);
        let name = format!("{category} {shielding} data cable {jacket} {color}, {sold_as}");
        specs.draft(format!("{category}-{shielding}-{color}-{}", num(amount)), name)
    }
}

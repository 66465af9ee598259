//! Fasteners: bolts and screws, nuts, washers — metric (DIN/ISO) and imperial (ASME, UNC), with
//! the standards' real dimensions and the skew of real demand (M8–M12 common, M3 and M24 rare).

mod bolts;
mod dimensions;
mod materials;
mod nuts;

use bolts::{Bolt, Head};
use dimensions::{Threads, THREADS, UNC};
use materials::*;
use nuts::{Nut, Washer};

use super::{category, CategorySpec, Def, Line};
const THREAD_REGEX: &str = r"M[0-9]+(\.[0-9]+)?x[0-9]+(\.[0-9]+)?|[0-9]+/[0-9]+-[0-9]+ UNC";

pub fn categories() -> Vec<CategorySpec> {
    let sizes: Vec<&str> = THREADS.iter().map(|t| t.size).chain(UNC.iter().map(|u| u.size)).collect();
    let materials: Vec<&str> = MATERIALS.iter().map(|m| m.0).collect();
    let standards = [
        "DIN 933",
        "ISO 4017",
        "DIN 931",
        "ISO 4014",
        "DIN 961",
        "DIN 960",
        "ASME B18.2.1",
        "DIN 912",
        "ISO 4762",
        "ASME B18.3",
        "DIN 6921",
        "ISO 7380",
        "DIN 7991",
        "ISO 10642",
        "ISO 14581",
        "DIN 934",
        "ISO 4032",
        "ASME B18.2.2",
        "DIN 985",
        "ISO 7040",
        "DIN 980",
        "DIN 125-A",
        "ISO 7089",
        "DIN 9021",
    ];
    let mm = |label: &str, max: f64| Def::number(label, "mm", 0.1, max);
    vec![
        category(
            "fasteners",
            "Fasteners",
            None,
            vec![
                ("thread_size", Def::select("Thread size", &sizes).required().variant().filterable().searchable()),
                ("thread", Def::text("Thread").regex(THREAD_REGEX).variant().searchable()),
                ("thread_pitch", Def::number("Thread pitch", "mm", 0.2, 6.0).filterable()),
                ("material", Def::select("Material", &materials).required().variant().filterable().searchable()),
                ("standard", Def::select("Standard", &standards).filterable().searchable()),
                ("pack_quantity", Def::count("Pack quantity (pcs)", 1.0, 10_000.0).required().variant().filterable()),
                ("rohs", Def::boolean("RoHS compliant").filterable()),
            ],
        ),
        category(
            "bolts_screws",
            "Bolts & Screws",
            Some("fasteners"),
            vec![
                ("length", Def::number("Length", "mm", 2.0, 500.0).required().variant().filterable()),
                ("thread_type", Def::select("Thread type", &["fully threaded", "partially threaded"]).filterable()),
                (
                    "head_type",
                    Def::select("Head type", &["hex", "hex flange", "socket head", "button head", "countersunk"])
                        .filterable()
                        .searchable(),
                ),
                ("drive", Def::select("Drive", &["external hex", "hexagon socket", "Torx"]).filterable().searchable()),
            ],
        ),
        category(
            "hex_bolts",
            "Hex bolts",
            Some("bolts_screws"),
            vec![
                ("across_flats", mm("Width across flats", 80.0).filterable()),
                ("head_height", mm("Head height", 40.0)),
            ],
        ),
        category(
            "socket_screws",
            "Socket head cap screws",
            Some("bolts_screws"),
            vec![("head_diameter", mm("Head diameter", 80.0)), ("key_size", mm("Hex key size", 30.0).filterable())],
        ),
        category(
            "countersunk_screws",
            "Countersunk screws",
            Some("bolts_screws"),
            vec![
                ("head_diameter", mm("Head diameter", 80.0)),
                ("key_size", mm("Hex key size", 30.0).filterable()),
                ("drive_size", Def::text("Torx size").regex("T[0-9]{1,3}").filterable().searchable()),
            ],
        ),
        category(
            "nuts",
            "Nuts",
            Some("fasteners"),
            vec![("across_flats", mm("Width across flats", 80.0).filterable()), ("height", mm("Height", 50.0))],
        ),
        category("hex_nuts", "Hex nuts", Some("nuts"), Vec::new()),
        category(
            "lock_nuts",
            "Lock nuts",
            Some("nuts"),
            vec![
                ("locking_type", Def::select("Locking type", &["nylon insert", "all-metal"]).filterable().searchable()),
                ("max_temperature", Def::number("Max. service temperature", "°C", -60.0, 400.0)),
            ],
        ),
        category(
            "washers",
            "Washers",
            Some("fasteners"),
            vec![
                ("inner_diameter", mm("Inner diameter", 80.0).filterable()),
                ("outer_diameter", mm("Outer diameter", 150.0).filterable()),
                ("thickness", mm("Thickness", 20.0)),
            ],
        ),
    ]
}

pub fn lines() -> Vec<Line> {
    use Head::{Button, Countersunk, Flange, Hex, Socket};
    let bolt = |head, standard, partial, threads, materials| Bolt { head, standard, partial, threads, materials };
    let inch_length = Def::number("Length", "in", 0.25, 20.0).required().variant().filterable();
    let grade_129: Vec<&str> = GRADE_129.iter().map(|m| m.0).collect();
    vec![
        Line::new("hex_bolts", "HB933", "DIN 933 hex bolts", bolt(Hex, "DIN 933", false, Threads::Coarse, BOLT_STEELS))
            .weight(30),
        Line::new(
            "hex_bolts",
            "HB4017",
            "ISO 4017 hex bolts",
            bolt(Hex, "ISO 4017", false, Threads::Coarse, BOLT_STEELS),
        )
        .weight(20),
        Line::new(
            "hex_bolts",
            "HB931",
            "DIN 931 hex bolts, part thread",
            bolt(Hex, "DIN 931", true, Threads::Coarse, BOLT_STEELS),
        )
        .weight(18),
        Line::new(
            "hex_bolts",
            "HB4014",
            "ISO 4014 hex bolts, part thread",
            bolt(Hex, "ISO 4014", true, Threads::Coarse, BOLT_STEELS),
        )
        .weight(10),
        Line::new(
            "hex_bolts",
            "HB961",
            "DIN 961 fine thread hex bolts",
            bolt(Hex, "DIN 961", false, Threads::Fine, BOLT_STEELS),
        )
        .weight(6),
        Line::new(
            "hex_bolts",
            "HB960",
            "DIN 960 fine thread hex bolts",
            bolt(Hex, "DIN 960", true, Threads::Fine, BOLT_STEELS),
        )
        .weight(3),
        Line::new(
            "hex_bolts",
            "HCS",
            "ASME B18.2.1 hex cap screws",
            bolt(Hex, "ASME B18.2.1", false, Threads::Unc, INCH_STEELS),
        )
        .imperial()
        .weight(15)
        .overriding("length", inch_length.clone()),
        Line::new(
            "hex_bolts",
            "HB6921",
            "DIN 6921 hex flange bolts",
            bolt(Flange, "DIN 6921", false, Threads::Coarse, FLANGE_STEELS),
        )
        .weight(8),
        Line::new(
            "socket_screws",
            "SC912",
            "DIN 912 socket head cap screws",
            bolt(Socket, "DIN 912", false, Threads::Coarse, SOCKET_STEELS),
        )
        .weight(30),
        Line::new(
            "socket_screws",
            "SC4762",
            "ISO 4762 socket head cap screws",
            bolt(Socket, "ISO 4762", false, Threads::Coarse, SOCKET_STEELS),
        )
        .weight(20),
        Line::new(
            "socket_screws",
            "SC912H",
            "DIN 912 socket head cap screws 12.9",
            bolt(Socket, "DIN 912", false, Threads::Coarse, GRADE_129),
        )
        .weight(10)
        .overriding("material", Def::select("Material", &grade_129).required().variant().filterable().searchable()),
        Line::new(
            "socket_screws",
            "SCI",
            "ASME B18.3 socket head cap screws",
            bolt(Socket, "ASME B18.3", false, Threads::Unc, INCH_STEELS),
        )
        .imperial()
        .weight(10)
        .overriding("length", inch_length),
        Line::new(
            "socket_screws",
            "SC7380",
            "ISO 7380 button head screws",
            bolt(Button, "ISO 7380", false, Threads::Coarse, BUTTON_STEELS),
        )
        .weight(12),
        Line::new(
            "countersunk_screws",
            "CS7991",
            "DIN 7991 countersunk screws",
            bolt(Countersunk(false), "DIN 7991", false, Threads::Coarse, CSK_STEELS),
        )
        .weight(25),
        Line::new(
            "countersunk_screws",
            "CS10642",
            "ISO 10642 countersunk screws",
            bolt(Countersunk(false), "ISO 10642", false, Threads::Coarse, CSK_STEELS),
        )
        .weight(15),
        Line::new(
            "countersunk_screws",
            "CS14581",
            "ISO 14581 Torx countersunk screws",
            bolt(Countersunk(true), "ISO 14581", false, Threads::Coarse, CSK_STEELS),
        )
        .weight(10),
        Line::new(
            "hex_nuts",
            "HN934",
            "DIN 934 hex nuts",
            Nut { standard: "DIN 934", threads: Threads::Coarse, lock: None, materials: NUT_STEELS },
        )
        .weight(30),
        Line::new(
            "hex_nuts",
            "HN4032",
            "ISO 4032 hex nuts",
            Nut { standard: "ISO 4032", threads: Threads::Coarse, lock: None, materials: NUT_STEELS },
        )
        .weight(20),
        Line::new(
            "hex_nuts",
            "HN934F",
            "DIN 934 fine thread hex nuts",
            Nut { standard: "DIN 934", threads: Threads::Fine, lock: None, materials: NUT_STEELS },
        )
        .weight(6),
        Line::new(
            "hex_nuts",
            "HNI",
            "ASME B18.2.2 hex nuts",
            Nut { standard: "ASME B18.2.2", threads: Threads::Unc, lock: None, materials: INCH_STEELS },
        )
        .imperial()
        .weight(12),
        Line::new(
            "lock_nuts",
            "LN985",
            "DIN 985 nylon insert lock nuts",
            Nut {
                standard: "DIN 985",
                threads: Threads::Coarse,
                lock: Some(("nylon insert", 1.0)),
                materials: LOCK_NUT_STEELS,
            },
        )
        .weight(25),
        Line::new(
            "lock_nuts",
            "LN7040",
            "ISO 7040 nylon insert lock nuts",
            Nut {
                standard: "ISO 7040",
                threads: Threads::Coarse,
                lock: Some(("nylon insert", 1.2)),
                materials: LOCK_NUT_STEELS,
            },
        )
        .weight(12),
        Line::new(
            "lock_nuts",
            "LN980",
            "DIN 980 all-metal lock nuts",
            Nut {
                standard: "DIN 980",
                threads: Threads::Coarse,
                lock: Some(("all-metal", 1.0)),
                materials: LOCK_NUT_STEELS,
            },
        )
        .weight(8),
        Line::new("washers", "WA125", "DIN 125-A flat washers", Washer { standard: "DIN 125-A", large: false })
            .weight(30),
        Line::new("washers", "WA7089", "ISO 7089 flat washers", Washer { standard: "ISO 7089", large: false })
            .weight(20),
        Line::new("washers", "WA9021", "DIN 9021 large flat washers", Washer { standard: "DIN 9021", large: true })
            .weight(15),
    ]
}

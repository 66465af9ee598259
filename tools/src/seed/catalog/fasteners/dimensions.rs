//! Threads and the standards' dimensions for them: metric coarse and fine (mm), unified coarse
//! (inches), and the lengths screws are sold in.

use crate::catalog::{num, Specs};

/// A metric coarse thread and the dimensions the standards give for it, in mm (M3 to M36).
pub(super) struct Thread {
    pub(super) size: &'static str,
    pub(super) d: f64,
    pub(super) pitch: f64,
    pub(super) weight: u32,
    /// Width across flats of hex heads and nuts: ISO 4017/4032, and DIN 933/934 where it differs.
    pub(super) af_iso: f64,
    pub(super) af_din: f64,
    /// Hex head height (ISO 4017).
    pub(super) k: f64,
    /// Socket head diameter and hex key size (ISO 4762).
    pub(super) socket_dk: f64,
    pub(super) key: f64,
    /// Countersunk head diameter (ISO 10642; 0 where the standard has no such size) and Torx size (ISO 14581).
    pub(super) csk_dk: f64,
    pub(super) torx: &'static str,
    /// Nut height (ISO 4032).
    pub(super) nut_m: f64,
    /// Washers: ISO 7089 and DIN 9021 (inner, outer, thickness).
    pub(super) washer: (f64, f64, f64),
    pub(super) washer_large: (f64, f64, f64),
    /// Lengths the standards list for this size.
    pub(super) min: f64,
    pub(super) max: f64,
}

#[rustfmt::skip]
pub(super) const THREADS: &[Thread] = &[
    Thread { size: "M3", d: 3.0, pitch: 0.5, weight: 2, af_iso: 5.5, af_din: 5.5, k: 2.0, socket_dk: 5.5, key: 2.5, csk_dk: 6.72, torx: "T10", nut_m: 2.4, washer: (3.2, 7.0, 0.5), washer_large: (3.2, 9.0, 0.8), min: 5.0, max: 30.0 },
    Thread { size: "M4", d: 4.0, pitch: 0.7, weight: 4, af_iso: 7.0, af_din: 7.0, k: 2.8, socket_dk: 7.0, key: 3.0, csk_dk: 8.96, torx: "T20", nut_m: 3.2, washer: (4.3, 9.0, 0.8), washer_large: (4.3, 12.0, 1.0), min: 6.0, max: 40.0 },
    Thread { size: "M5", d: 5.0, pitch: 0.8, weight: 7, af_iso: 8.0, af_din: 8.0, k: 3.5, socket_dk: 8.5, key: 4.0, csk_dk: 11.2, torx: "T25", nut_m: 4.7, washer: (5.3, 10.0, 1.0), washer_large: (5.3, 15.0, 1.2), min: 8.0, max: 50.0 },
    Thread { size: "M6", d: 6.0, pitch: 1.0, weight: 14, af_iso: 10.0, af_din: 10.0, k: 4.0, socket_dk: 10.0, key: 5.0, csk_dk: 13.44, torx: "T30", nut_m: 5.2, washer: (6.4, 12.0, 1.6), washer_large: (6.4, 18.0, 1.6), min: 10.0, max: 100.0 },
    Thread { size: "M8", d: 8.0, pitch: 1.25, weight: 22, af_iso: 13.0, af_din: 13.0, k: 5.3, socket_dk: 13.0, key: 6.0, csk_dk: 17.92, torx: "T40", nut_m: 6.8, washer: (8.4, 16.0, 1.6), washer_large: (8.4, 24.0, 2.0), min: 12.0, max: 160.0 },
    Thread { size: "M10", d: 10.0, pitch: 1.5, weight: 22, af_iso: 16.0, af_din: 17.0, k: 6.4, socket_dk: 16.0, key: 8.0, csk_dk: 22.4, torx: "T50", nut_m: 8.4, washer: (10.5, 20.0, 2.0), washer_large: (10.5, 30.0, 2.5), min: 16.0, max: 200.0 },
    Thread { size: "M12", d: 12.0, pitch: 1.75, weight: 18, af_iso: 18.0, af_din: 19.0, k: 7.5, socket_dk: 18.0, key: 10.0, csk_dk: 26.88, torx: "T55", nut_m: 10.8, washer: (13.0, 24.0, 2.5), washer_large: (13.0, 37.0, 3.0), min: 20.0, max: 240.0 },
    Thread { size: "M14", d: 14.0, pitch: 2.0, weight: 4, af_iso: 21.0, af_din: 22.0, k: 8.8, socket_dk: 21.0, key: 12.0, csk_dk: 0.0, torx: "", nut_m: 12.8, washer: (15.0, 28.0, 2.5), washer_large: (15.0, 44.0, 3.0), min: 25.0, max: 200.0 },
    Thread { size: "M16", d: 16.0, pitch: 2.0, weight: 10, af_iso: 24.0, af_din: 24.0, k: 10.0, socket_dk: 24.0, key: 14.0, csk_dk: 33.6, torx: "T60", nut_m: 14.8, washer: (17.0, 30.0, 3.0), washer_large: (17.0, 50.0, 3.0), min: 25.0, max: 300.0 },
    Thread { size: "M18", d: 18.0, pitch: 2.5, weight: 2, af_iso: 27.0, af_din: 27.0, k: 11.5, socket_dk: 27.0, key: 14.0, csk_dk: 0.0, torx: "", nut_m: 15.8, washer: (19.0, 34.0, 3.0), washer_large: (19.0, 56.0, 4.0), min: 35.0, max: 200.0 },
    Thread { size: "M20", d: 20.0, pitch: 2.5, weight: 6, af_iso: 30.0, af_din: 30.0, k: 12.5, socket_dk: 30.0, key: 17.0, csk_dk: 40.32, torx: "T70", nut_m: 18.0, washer: (21.0, 37.0, 3.0), washer_large: (22.0, 60.0, 4.0), min: 35.0, max: 300.0 },
    Thread { size: "M22", d: 22.0, pitch: 2.5, weight: 1, af_iso: 34.0, af_din: 32.0, k: 14.0, socket_dk: 33.0, key: 17.0, csk_dk: 0.0, torx: "", nut_m: 19.4, washer: (23.0, 39.0, 3.0), washer_large: (24.0, 66.0, 5.0), min: 45.0, max: 200.0 },
    Thread { size: "M24", d: 24.0, pitch: 3.0, weight: 3, af_iso: 36.0, af_din: 36.0, k: 15.0, socket_dk: 36.0, key: 19.0, csk_dk: 0.0, torx: "", nut_m: 21.5, washer: (25.0, 44.0, 4.0), washer_large: (26.0, 72.0, 5.0), min: 50.0, max: 300.0 },
    Thread { size: "M27", d: 27.0, pitch: 3.0, weight: 1, af_iso: 41.0, af_din: 41.0, k: 17.0, socket_dk: 40.0, key: 19.0, csk_dk: 0.0, torx: "", nut_m: 23.8, washer: (28.0, 50.0, 4.0), washer_large: (30.0, 85.0, 6.0), min: 55.0, max: 300.0 },
    Thread { size: "M30", d: 30.0, pitch: 3.5, weight: 2, af_iso: 46.0, af_din: 46.0, k: 18.7, socket_dk: 45.0, key: 22.0, csk_dk: 0.0, torx: "", nut_m: 25.6, washer: (31.0, 56.0, 4.0), washer_large: (33.0, 92.0, 6.0), min: 60.0, max: 300.0 },
    Thread { size: "M36", d: 36.0, pitch: 4.0, weight: 1, af_iso: 55.0, af_din: 55.0, k: 22.5, socket_dk: 54.0, key: 27.0, csk_dk: 0.0, torx: "", nut_m: 31.0, washer: (37.0, 66.0, 5.0), washer_large: (39.0, 110.0, 8.0), min: 70.0, max: 300.0 },
];

/// Metric fine threads (DIN 960/961, DIN 934 fine): size, pitch, demand.
pub(super) const FINE: &[(&str, f64, u32)] = &[
    ("M8", 1.0, 10),
    ("M10", 1.0, 4),
    ("M10", 1.25, 8),
    ("M12", 1.25, 6),
    ("M12", 1.5, 8),
    ("M14", 1.5, 3),
    ("M16", 1.5, 8),
    ("M18", 1.5, 2),
    ("M20", 1.5, 5),
    ("M20", 2.0, 1),
    ("M22", 1.5, 1),
    ("M24", 2.0, 3),
];

/// The ISO length series with the in-between lengths distributors stock, mm.
pub(super) const LENGTHS: &[f64] = &[
    5.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 25.0, 28.0, 30.0, 32.0, 35.0, 40.0, 45.0, 50.0, 55.0,
    60.0, 65.0, 70.0, 75.0, 80.0, 90.0, 100.0, 110.0, 120.0, 130.0, 140.0, 150.0, 160.0, 180.0, 200.0, 220.0, 240.0,
    260.0, 280.0, 300.0,
];

/// A unified coarse (UNC) thread and its ASME dimensions, in inches.
pub(super) struct Unc {
    pub(super) size: &'static str,
    pub(super) fraction: &'static str,
    pub(super) d: f64,
    pub(super) weight: u32,
    /// Hex head across flats and height (B18.2.1); socket head diameter and key (B18.3); nut height (B18.2.2).
    pub(super) af: f64,
    pub(super) k: f64,
    pub(super) socket_dk: f64,
    pub(super) key: f64,
    pub(super) nut_h: f64,
}

#[rustfmt::skip]
pub(super) const UNC: &[Unc] = &[
    Unc { size: "1/4-20 UNC", fraction: "1/4-20", d: 0.25, weight: 18, af: 0.4375, k: 0.15625, socket_dk: 0.375, key: 0.1875, nut_h: 0.21875 },
    Unc { size: "5/16-18 UNC", fraction: "5/16-18", d: 0.3125, weight: 12, af: 0.5, k: 0.203125, socket_dk: 0.46875, key: 0.25, nut_h: 0.265625 },
    Unc { size: "3/8-16 UNC", fraction: "3/8-16", d: 0.375, weight: 18, af: 0.5625, k: 0.234375, socket_dk: 0.5625, key: 0.3125, nut_h: 0.328125 },
    Unc { size: "7/16-14 UNC", fraction: "7/16-14", d: 0.4375, weight: 5, af: 0.625, k: 0.28125, socket_dk: 0.65625, key: 0.375, nut_h: 0.375 },
    Unc { size: "1/2-13 UNC", fraction: "1/2-13", d: 0.5, weight: 14, af: 0.75, k: 0.3125, socket_dk: 0.75, key: 0.375, nut_h: 0.4375 },
    Unc { size: "5/8-11 UNC", fraction: "5/8-11", d: 0.625, weight: 8, af: 0.9375, k: 0.390625, socket_dk: 0.9375, key: 0.5, nut_h: 0.546875 },
    Unc { size: "3/4-10 UNC", fraction: "3/4-10", d: 0.75, weight: 6, af: 1.125, k: 0.46875, socket_dk: 1.125, key: 0.625, nut_h: 0.640625 },
];

/// Lengths of inch screws: value in inches and as printed.
pub(super) const INCH_LENGTHS: &[(f64, &str)] = &[
    (0.5, "1/2"),
    (0.625, "5/8"),
    (0.75, "3/4"),
    (1.0, "1"),
    (1.25, "1-1/4"),
    (1.5, "1-1/2"),
    (1.75, "1-3/4"),
    (2.0, "2"),
    (2.25, "2-1/4"),
    (2.5, "2-1/2"),
    (3.0, "3"),
    (3.5, "3-1/2"),
    (4.0, "4"),
    (4.5, "4-1/2"),
    (5.0, "5"),
    (6.0, "6"),
];

/// Lengths most often bought are about four diameters: weight by distance from there.
pub(super) fn length_weight(d: f64, length: f64) -> u32 {
    let x = (length / d - 4.0) / 3.0;
    (100.0 / (1.0 + x * x)).round().max(1.0) as u32
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Threads {
    Coarse,
    Fine,
    Unc,
}

/// A thread a product is made for.
pub(super) enum ThreadOf {
    Metric { row: &'static Thread, pitch: f64, fine: bool },
    Inch(&'static Unc),
}

impl ThreadOf {
    pub(super) fn choices(threads: Threads) -> Vec<(ThreadOf, u32)> {
        match threads {
            Threads::Coarse => THREADS
                .iter()
                .map(|row| (ThreadOf::Metric { row, pitch: row.pitch, fine: false }, row.weight))
                .collect(),
            Threads::Fine => FINE
                .iter()
                .filter_map(|(size, pitch, w)| {
                    let row = THREADS.iter().find(|t| t.size == *size)?;
                    Some((ThreadOf::Metric { row, pitch: *pitch, fine: true }, *w))
                })
                .collect(),
            Threads::Unc => UNC.iter().map(|u| (ThreadOf::Inch(u), u.weight)).collect(),
        }
    }

    pub(super) fn d_mm(&self) -> f64 {
        match self {
            ThreadOf::Metric { row, .. } => row.d,
            ThreadOf::Inch(u) => u.d * 25.4,
        }
    }

    /// Thread specs: size, designation and (metric) pitch.
    pub(super) fn specs(&self, specs: &mut Specs) {
        match self {
            ThreadOf::Metric { row, pitch, .. } => {
                specs.text("thread_size", row.size).text("thread", format!("{}x{}", row.size, num(*pitch)));
                specs.num("thread_pitch", *pitch);
            }
            ThreadOf::Inch(u) => {
                specs.text("thread_size", u.size).text("thread", u.size);
            }
        }
    }

    /// As a SKU shows it: "M12", "M12X1.5", "3/8-16".
    pub(super) fn token(&self) -> String {
        match self {
            ThreadOf::Metric { row, pitch, fine: true } => format!("{}X{}", row.size, num(*pitch)),
            ThreadOf::Metric { row, .. } => row.size.to_owned(),
            ThreadOf::Inch(u) => u.fraction.to_owned(),
        }
    }

    /// As a product name shows it before the length: "M12", "M12x1.5", "3/8-16".
    pub(super) fn named(&self) -> String {
        match self {
            ThreadOf::Metric { row, pitch, fine: true } => format!("{}x{}", row.size, num(*pitch)),
            other => other.token(),
        }
    }
}

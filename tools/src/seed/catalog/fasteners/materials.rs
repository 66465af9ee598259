//! Fastener materials (grade and finish as one option, as distributors list them), which lines
//! use which with what demand, and pack quantities by size.

/// Materials: the option as the catalog lists it, as a product name says it, and as a SKU does.
#[rustfmt::skip]
pub(super) const MATERIALS: &[(&str, &str, &str)] = &[
    ("steel 4.6", "4.6", "46"), ("steel 4.6 zinc plated", "4.6 zinc plated", "46Z"),
    ("steel 8.8", "8.8", "88"), ("steel 8.8 zinc plated", "8.8 zinc plated", "88Z"),
    ("steel 8.8 zinc flake coated", "8.8 zinc flake", "88ZF"), ("steel 8.8 hot-dip galvanized", "8.8 hot-dip galvanized", "88HDG"),
    ("steel 8.8 black oxide", "8.8 black oxide", "88B"), ("steel 10.9", "10.9", "109"),
    ("steel 10.9 zinc plated", "10.9 zinc plated", "109Z"), ("steel 10.9 zinc flake coated", "10.9 zinc flake", "109ZF"),
    ("steel 12.9 black", "12.9", "129"), ("steel 12.9 zinc flake coated", "12.9 zinc flake", "129ZF"),
    ("stainless steel A2", "A2", "A2"), ("stainless steel A2-70", "A2-70", "A270"),
    ("stainless steel A4", "A4", "A4"), ("stainless steel A4-80", "A4-80", "A480"),
    ("brass", "brass", "MS"), ("polyamide PA6.6", "polyamide", "PA"),
    ("steel class 8", "class 8", "8"), ("steel class 8 zinc plated", "class 8 zinc plated", "8Z"),
    ("steel class 8 hot-dip galvanized", "class 8 hot-dip galvanized", "8HDG"), ("steel class 10", "class 10", "10"),
    ("steel class 10 zinc flake coated", "class 10 zinc flake", "10ZF"), ("steel 140 HV", "140 HV", "140"),
    ("steel 140 HV zinc plated", "140 HV zinc plated", "140Z"), ("steel 140 HV hot-dip galvanized", "140 HV hot-dip galvanized", "140HDG"),
    ("steel 300 HV", "300 HV", "300"), ("steel grade 2 zinc plated", "Grade 2 zinc plated", "G2Z"),
    ("steel grade 5", "Grade 5", "G5"), ("steel grade 5 zinc plated", "Grade 5 zinc plated", "G5Z"),
    ("steel grade 8 yellow zinc", "Grade 8 yellow zinc", "G8Y"), ("stainless steel 18-8", "18-8 stainless", "188"),
    ("stainless steel 316", "316 stainless", "316"), ("steel 5.6 zinc plated", "5.6 zinc plated", "56Z"),
    ("steel 8.8 zinc nickel", "8.8 zinc nickel", "88ZN"), ("stainless steel A4-70", "A4-70", "A470"),
    ("steel 10.9 hot-dip galvanized", "10.9 hot-dip galvanized", "109HDG"),
];

pub(super) type Weighted = &'static [(&'static str, u32)];
/// Pack quantities and their demand.
pub(super) type Packs = &'static [(u32, u32)];

pub(super) const BOLT_STEELS: Weighted = &[
    ("steel 8.8 zinc plated", 30),
    ("stainless steel A2", 20),
    ("stainless steel A4", 12),
    ("steel 8.8", 10),
    ("steel 10.9", 8),
    ("steel 8.8 hot-dip galvanized", 5),
    ("steel 10.9 zinc flake coated", 3),
    ("steel 8.8 zinc flake coated", 3),
    ("steel 4.6", 3),
    ("steel 4.6 zinc plated", 2),
    ("brass", 2),
    ("stainless steel A2-70", 2),
    ("stainless steel A4-80", 2),
    ("steel 8.8 black oxide", 1),
    ("steel 10.9 zinc plated", 1),
    ("steel 5.6 zinc plated", 2),
    ("steel 8.8 zinc nickel", 2),
    ("stainless steel A4-70", 2),
    ("steel 10.9 hot-dip galvanized", 1),
];
pub(super) const SOCKET_STEELS: Weighted = &[
    ("steel 12.9 black", 35),
    ("stainless steel A2", 22),
    ("stainless steel A4", 12),
    ("steel 8.8 zinc plated", 12),
    ("steel 12.9 zinc flake coated", 6),
    ("steel 10.9", 5),
    ("stainless steel A2-70", 3),
    ("stainless steel A4-80", 3),
    ("steel 8.8", 2),
    ("stainless steel A4-70", 2),
    ("steel 10.9 zinc flake coated", 2),
];
pub(super) const FLANGE_STEELS: Weighted = &[
    ("steel 8.8 zinc plated", 40),
    ("stainless steel A2", 25),
    ("steel 10.9", 15),
    ("steel 10.9 zinc flake coated", 10),
    ("stainless steel A4", 10),
];
pub(super) const BUTTON_STEELS: Weighted = &[
    ("stainless steel A2", 35),
    ("steel 10.9 zinc plated", 25),
    ("steel 10.9", 15),
    ("stainless steel A4", 15),
    ("steel 10.9 zinc flake coated", 10),
];
pub(super) const GRADE_129: Weighted = &[("steel 12.9 black", 4), ("steel 12.9 zinc flake coated", 1)];
pub(super) const CSK_STEELS: Weighted = &[
    ("steel 10.9", 25),
    ("stainless steel A2", 25),
    ("steel 10.9 zinc plated", 20),
    ("stainless steel A4", 15),
    ("steel 8.8 zinc plated", 8),
    ("steel 10.9 zinc flake coated", 3),
];
pub(super) const INCH_STEELS: Weighted = &[
    ("steel grade 5 zinc plated", 30),
    ("stainless steel 18-8", 20),
    ("steel grade 8 yellow zinc", 15),
    ("steel grade 2 zinc plated", 8),
    ("stainless steel 316", 8),
    ("steel grade 5", 5),
];
pub(super) const NUT_STEELS: Weighted = &[
    ("steel class 8 zinc plated", 35),
    ("stainless steel A2", 22),
    ("stainless steel A4", 12),
    ("steel class 8", 10),
    ("steel class 10", 6),
    ("steel class 8 hot-dip galvanized", 5),
    ("brass", 3),
    ("steel class 10 zinc flake coated", 2),
    ("polyamide PA6.6", 2),
];
pub(super) const LOCK_NUT_STEELS: Weighted = &[
    ("steel class 8 zinc plated", 40),
    ("stainless steel A2", 25),
    ("stainless steel A4", 12),
    ("steel class 10", 6),
    ("steel class 8", 5),
];
pub(super) const WASHER_STEELS: Weighted = &[
    ("steel 140 HV zinc plated", 30),
    ("stainless steel A2", 25),
    ("stainless steel A4", 15),
    ("steel 140 HV", 8),
    ("steel 140 HV hot-dip galvanized", 5),
    ("brass", 5),
    ("polyamide PA6.6", 5),
    ("steel 300 HV", 3),
];

pub(super) fn material(option: &str) -> (&'static str, &'static str, &'static str) {
    MATERIALS.iter().copied().find(|(o, _, _)| *o == option).unwrap_or(("brass", "brass", "MS"))
}

/// Pack quantities by size: small screws come by the hundred, large bolts by the few.
pub(super) fn packs(d_mm: f64) -> Packs {
    if d_mm <= 5.0 {
        &[(25, 4), (50, 10), (100, 30), (200, 25), (500, 15), (1000, 5), (2000, 2)]
    } else if d_mm <= 10.0 {
        &[(10, 5), (25, 10), (50, 20), (100, 30), (200, 15), (500, 5), (1000, 2)]
    } else if d_mm <= 16.0 {
        &[(1, 3), (5, 5), (10, 15), (25, 25), (50, 25), (100, 15), (200, 4)]
    } else {
        &[(1, 10), (2, 4), (5, 15), (10, 25), (25, 20), (50, 5)]
    }
}

pub(super) fn washer_packs(d_mm: f64) -> Packs {
    if d_mm <= 6.0 {
        &[(100, 20), (200, 20), (500, 25), (1000, 15)]
    } else if d_mm <= 12.0 {
        &[(50, 15), (100, 30), (200, 15), (500, 10)]
    } else {
        &[(10, 15), (25, 25), (50, 25), (100, 10)]
    }
}

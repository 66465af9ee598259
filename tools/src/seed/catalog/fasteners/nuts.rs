//! Nuts (hex and lock nuts) and flat washers.

use super::dimensions::{ThreadOf, Threads, THREADS};
use super::materials::{material, packs, washer_packs, Weighted, WASHER_STEELS};
use crate::catalog::{pieces, Draft, Generator, Look, Specs};
use crate::dice::Draw;

pub(super) struct Nut {
    pub(super) standard: &'static str,
    pub(super) threads: Threads,
    /// Lock nuts: the locking type and the height as a multiple of the diameter.
    pub(super) lock: Option<(&'static str, f64)>,
    pub(super) materials: Weighted,
}

impl Generator for Nut {
    fn capacity(&self) -> u64 {
        let threads = ThreadOf::choices(self.threads);
        threads.iter().map(|(t, _)| packs(t.d_mm()).len() as u64).sum::<u64>() * self.materials.len() as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let threads = ThreadOf::choices(self.threads);
        let thread = &threads[draw.index(threads.iter().map(|t| t.1))].0;
        let (option, material_name, material_code) = material(draw.pick::<&str>(self.materials));
        let pack = draw.pick(packs(thread.d_mm()));
        let mut specs = Specs::default();
        thread.specs(&mut specs);
        specs.text("material", option).text("standard", self.standard).flag("rohs", !option.contains("yellow zinc"));
        specs.num("pack_quantity", f64::from(*pack));
        match thread {
            ThreadOf::Metric { row, .. } => {
                let af = if self.standard.starts_with("DIN") { row.af_din } else { row.af_iso };
                let height = self.lock.map_or(row.nut_m, |(_, factor)| factor * row.d);
                specs.num("across_flats", af).num("height", height);
            }
            ThreadOf::Inch(u) => {
                specs.qty("across_flats", u.af, "in").qty("height", u.nut_h, "in");
            }
        }
        let mut what = "Hex nut".to_owned();
        if let Some((locking, _)) = self.lock {
            specs
                .text("locking_type", locking)
                .num("max_temperature", if locking == "all-metal" { 300.0 } else { 120.0 });
            what = format!("Lock nut, {locking},");
        }
        let name = match thread {
            ThreadOf::Inch(_) => format!("{what} {} {material_name} {}", thread.named(), pieces(*pack)),
            ThreadOf::Metric { .. } => {
                format!("{what} {} {} {material_name} {}", self.standard, thread.named(), pieces(*pack))
            }
        };
        specs.draft(format!("{}-{material_code}-{pack}", thread.token()), name)
    }
}

pub(super) struct Washer {
    pub(super) standard: &'static str,
    pub(super) large: bool,
}

impl Generator for Washer {
    fn capacity(&self) -> u64 {
        THREADS.iter().map(|t| washer_packs(t.d).len() as u64).sum::<u64>() * WASHER_STEELS.len() as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let row = &THREADS[draw.index(THREADS.iter().map(|t| t.weight))];
        let (option, material_name, material_code) = material(draw.pick::<&str>(WASHER_STEELS));
        let pack = draw.pick(washer_packs(row.d));
        let (inner, outer, thickness) = if self.large { row.washer_large } else { row.washer };
        let mut specs = Specs::default();
        specs.text("thread_size", row.size).text("material", option).text("standard", self.standard);
        specs.num("inner_diameter", inner).num("outer_diameter", outer).num("thickness", thickness);
        specs.flag("rohs", true);
        specs.num("pack_quantity", f64::from(*pack));
        let what = if self.large { "Large flat washer" } else { "Flat washer" };
        let name = format!("{what} {} {} {material_name} {}", self.standard, row.size, pieces(*pack));
        specs.draft(format!("{}-{material_code}-{pack}", row.size), name)
    }
}

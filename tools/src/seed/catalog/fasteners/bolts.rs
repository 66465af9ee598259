//! Bolts and screws: hex, hex flange, socket head, button head and countersunk, metric and inch.

use super::dimensions::{length_weight, ThreadOf, Threads, INCH_LENGTHS, LENGTHS};
use super::materials::{material, packs, Weighted};
use crate::catalog::{num, pieces, Draft, Generator, Look, Specs};
use crate::dice::Draw;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Head {
    Hex,
    Flange,
    Socket,
    Button,
    /// Torx drive (ISO 14581) or hexagon socket.
    Countersunk(bool),
}

pub(super) struct Bolt {
    pub(super) head: Head,
    pub(super) standard: &'static str,
    pub(super) partial: bool,
    pub(super) threads: Threads,
    pub(super) materials: Weighted,
}

impl Bolt {
    /// The lengths this standard lists for a thread, with their demand: (mm or inches, printed, weight).
    fn lengths(&self, thread: &ThreadOf) -> Vec<(f64, String, u32)> {
        match thread {
            ThreadOf::Metric { row, .. } => {
                let mut low = row.min;
                let mut high = row.max;
                if self.partial {
                    low = low.max(3.5 * row.d);
                }
                match self.head {
                    Head::Socket => high = high.min(200.0),
                    Head::Countersunk(_) => high = high.min(10.0 * row.d).min(120.0),
                    Head::Flange => high = high.min(100.0),
                    Head::Button => high = high.min(6.0 * row.d + 20.0),
                    Head::Hex => {}
                }
                LENGTHS
                    .iter()
                    .filter(|l| **l >= low && **l <= high)
                    .map(|l| (*l, num(*l), length_weight(row.d, *l)))
                    .collect()
            }
            ThreadOf::Inch(u) => INCH_LENGTHS
                .iter()
                .filter(|(l, _)| *l >= 2.0 * u.d && *l <= (16.0 * u.d).min(6.0))
                .map(|(l, text)| (*l, (*text).to_owned(), length_weight(u.d, *l)))
                .collect(),
        }
    }

    fn threads(&self) -> Vec<(ThreadOf, u32)> {
        let mut threads = ThreadOf::choices(self.threads);
        match self.head {
            Head::Countersunk(_) => {
                threads.retain(|(t, _)| matches!(t, ThreadOf::Metric { row, .. } if row.csk_dk > 0.0))
            }
            Head::Flange => threads.retain(|(t, _)| (5.0..=16.0).contains(&t.d_mm())),
            Head::Button => threads.retain(|(t, _)| t.d_mm() <= 16.0 && t.d_mm() != 14.0),
            _ => {}
        }
        threads
    }
}

impl Generator for Bolt {
    fn capacity(&self) -> u64 {
        let per_thread = |t: &ThreadOf| (self.lengths(t).len() * packs(t.d_mm()).len()) as u64;
        self.threads().iter().map(|(t, _)| per_thread(t)).sum::<u64>() * self.materials.len() as u64
    }

    fn draw(&self, draw: &mut Draw<'_>, _look: Look) -> Draft {
        let threads = self.threads();
        let thread = &threads[draw.index(threads.iter().map(|t| t.1))].0;
        let lengths = self.lengths(thread);
        let (length, length_text, _) = &lengths[draw.index(lengths.iter().map(|l| l.2))];
        let (option, material_name, material_code) = material(draw.pick::<&str>(self.materials));
        let pack = draw.pick(packs(thread.d_mm()));
        let mut specs = Specs::default();
        thread.specs(&mut specs);
        specs.num("length", *length).text("material", option).text("standard", self.standard);
        specs.num("pack_quantity", f64::from(*pack)).flag("rohs", !option.contains("yellow zinc"));
        let full = !self.partial && !matches!(thread, ThreadOf::Inch(_) if *length > 10.0 * thread.d_mm() / 25.4);
        specs.text("thread_type", if full { "fully threaded" } else { "partially threaded" });
        let what = match self.head {
            Head::Hex if matches!(thread, ThreadOf::Inch(_)) => "Hex cap screw",
            Head::Hex => "Hex bolt",
            Head::Flange => "Hex flange bolt",
            Head::Socket => "Socket head cap screw",
            Head::Button => "Button head screw",
            Head::Countersunk(_) => "Countersunk screw",
        };
        self.head_specs(thread, &mut specs);
        let (name, tail) = match thread {
            ThreadOf::Inch(_) => (
                format!("{what} {} x {length_text}\" {material_name} {}", thread.named(), pieces(*pack)),
                format!("{}X{length_text}-{material_code}-{pack}", thread.token()),
            ),
            ThreadOf::Metric { .. } => (
                format!("{what} {} {}x{length_text} {material_name} {}", self.standard, thread.named(), pieces(*pack)),
                format!("{}-{length_text}-{material_code}-{pack}", thread.token()),
            ),
        };
        specs.draft(tail, name)
    }
}

impl Bolt {
    fn head_specs(&self, thread: &ThreadOf, specs: &mut Specs) {
        let din = self.standard.starts_with("DIN");
        match (self.head, thread) {
            (Head::Hex, ThreadOf::Metric { row, .. }) => {
                specs.text("head_type", "hex").text("drive", "external hex");
                specs.num("across_flats", if din { row.af_din } else { row.af_iso }).num("head_height", row.k);
            }
            (Head::Hex, ThreadOf::Inch(u)) => {
                specs.text("head_type", "hex").text("drive", "external hex");
                specs.qty("across_flats", u.af, "in").qty("head_height", u.k, "in");
            }
            (Head::Socket, ThreadOf::Metric { row, .. }) => {
                specs.text("head_type", "socket head").text("drive", "hexagon socket");
                specs.num("head_diameter", row.socket_dk).num("key_size", row.key);
            }
            (Head::Socket, ThreadOf::Inch(u)) => {
                specs.text("head_type", "socket head").text("drive", "hexagon socket");
                specs.qty("head_diameter", u.socket_dk, "in").qty("key_size", u.key, "in");
            }
            (Head::Countersunk(torx), ThreadOf::Metric { row, .. }) => {
                specs.text("head_type", "countersunk").num("head_diameter", row.csk_dk);
                if torx {
                    specs.text("drive", "Torx").text("drive_size", row.torx);
                } else {
                    specs.text("drive", "hexagon socket").num("key_size", (row.key - 1.0).max(2.0));
                }
            }
            (Head::Flange, ThreadOf::Metric { row, .. }) => {
                specs.text("head_type", "hex flange").text("drive", "external hex");
                specs.num("across_flats", row.af_iso).num("head_height", row.k);
            }
            (Head::Button, ThreadOf::Metric { row, .. }) => {
                specs.text("head_type", "button head").text("drive", "hexagon socket");
                specs.num("head_diameter", 1.75 * row.d).num("key_size", (row.key - 1.0).max(2.0));
            }
            (Head::Countersunk(_) | Head::Flange | Head::Button, ThreadOf::Inch(_)) => {}
        }
    }
}

//! What a run did, and how `ferrule seed` prints it.

use std::fmt;
use std::time::Duration;

use crate::plan::PlannedProduct;

/// Created and skipped (already there) entities of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub created: u64,
    pub skipped: u64,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub seed: u64,
    pub categories: Count,
    pub definitions: u64,
    pub brands: Count,
    pub families: Count,
    pub family_overrides: u64,
    pub products: Count,
    /// Events appended by this run.
    pub events: u64,
    pub elapsed: Duration,
    /// The product phase alone (structure before it is serial and short).
    pub products_elapsed: Duration,
    /// The catalog was complete before the run: nothing was written.
    pub already_complete: bool,
    /// Stopped by Ctrl-C before the end.
    pub interrupted: bool,
    /// Sent to a running command API, which can only tell whether the seed's first brand exists.
    pub over_http: bool,
    /// A product of a few lines, to look up or search for.
    pub examples: Vec<PlannedProduct>,
    pub target: String,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.elapsed.as_secs_f64().max(1e-9);
        if self.already_complete && self.over_http {
            return writeln!(
                f,
                "the command API at {} already has seed {}'s first brand: over HTTP seed cannot tell what else is \
                 there, so it stops; nothing was written (--via db skips what exists and creates the rest)",
                self.target, self.seed
            );
        }
        if self.already_complete {
            return writeln!(
                f,
                "seed {}'s catalog is already complete in {}: {} categories, {} brands, {} families, {} products; \
                 nothing to do",
                self.seed,
                self.target,
                self.categories.skipped,
                self.brands.skipped,
                self.families.skipped,
                self.products.skipped
            );
        }
        let skipped = |c: Count| if c.skipped > 0 { format!(" (+{} already there)", c.skipped) } else { String::new() };
        writeln!(
            f,
            "seed {} into {}: {} categories{}, {} brands{}, {} families{}, {} products{} created; {} attribute \
             definitions, {} family overrides",
            self.seed,
            self.target,
            self.categories.created,
            skipped(self.categories),
            self.brands.created,
            skipped(self.brands),
            self.families.created,
            skipped(self.families),
            self.products.created,
            skipped(self.products),
            self.definitions,
            self.family_overrides
        )?;
        let product_seconds =
            if self.products_elapsed.is_zero() { seconds } else { self.products_elapsed.as_secs_f64() };
        writeln!(
            f,
            "{} events in {:.1} s; products: {:.1} s, {:.0} products/s",
            self.events,
            seconds,
            product_seconds,
            self.products.created as f64 / product_seconds.max(1e-9)
        )?;
        if self.interrupted {
            writeln!(f, "interrupted: run the same command again to create the rest (it skips what exists)")?;
        }
        if !self.examples.is_empty() {
            writeln!(f, "examples (the query API's GET /v1/products/{{id}} once projected):")?;
        }
        for example in &self.examples {
            let sku = example.sku.as_deref().unwrap_or("generated from the variant values");
            writeln!(f, "  {}  SKU {sku}  id {}", example.name, example.id)?;
        }
        Ok(())
    }
}

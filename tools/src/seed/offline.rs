//! The plan decided in memory by the domain's own decisions, without a database: every category,
//! definition, family and product goes through the `decide` the command API calls, and the
//! uniqueness the event store would enforce (SKUs, variant combinations, family codes, brand
//! names) is checked here too. `--dry-run` and the unit tests use it.

use std::collections::{HashMap, HashSet};

use anyhow::{anyhow, bail, Context};
use domain::category::{Category, CategoryCommand, CategoryTree};
use domain::family::{self, Family};
use domain::product::{self, CreateProduct};
use domain::{brand, evolve, Aggregate, DomainError, Event, NewEvent, ResolvedSchema};
use uuid::Uuid;

use super::plan::{definition, Plan, PlannedProduct};

pub struct Offline {
    categories: HashMap<Uuid, Category>,
    holding: HashSet<Uuid>,
    families: HashMap<Uuid, (Family, ResolvedSchema)>,
    claims: HashSet<String>,
}

/// A product as the domain decided it.
pub struct Decided {
    pub sku: String,
    pub variant_key: Option<String>,
}

fn explain(error: DomainError) -> anyhow::Error {
    match error {
        DomainError::Invalid(errors) => {
            let fields: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow!("invalid: {}", fields.join("; "))
        }
        other => anyhow!("{other:?}"),
    }
}

fn fold(state: Option<Aggregate>, event: &NewEvent) -> anyhow::Result<Aggregate> {
    Ok(evolve(state, event.stream_id, &event.event)?)
}

impl Offline {
    /// Decides the plan's brands, categories, definitions and families.
    pub fn structure(plan: &Plan) -> anyhow::Result<Offline> {
        let mut offline = Offline {
            categories: HashMap::new(),
            holding: HashSet::new(),
            families: HashMap::new(),
            claims: HashSet::new(),
        };
        let mut brands = HashMap::new();
        for planned in &plan.brands {
            let events = brand::create(planned.id, planned.name, None).map_err(explain)?;
            offline.claim(format!("brand:{}", planned.name.to_lowercase()))?;
            if let Aggregate::Brand(b) = fold(None, &events[0])? {
                brands.insert(b.id, b);
            }
        }
        for planned in &plan.categories {
            let create = CategoryCommand::Create {
                id: planned.id,
                name: planned.name.into(),
                parent_id: planned.parent,
                external_id: None,
            };
            offline.apply_category(create).with_context(|| format!("category {}", planned.key))?;
            for (key, json) in &planned.attributes {
                let define =
                    CategoryCommand::DefineAttribute { id: planned.id, key: (*key).into(), input: definition(json)? };
                offline.apply_category(define).with_context(|| format!("attribute {key} of {}", planned.key))?;
            }
        }
        for planned in &plan.families {
            let tree = offline.tree();
            let command = planned.command();
            let events =
                family::create(&tree, brands.get(&planned.brand), &Default::default(), command).map_err(explain)?;
            offline.claim(format!("family-code:{}", planned.code))?;
            let Aggregate::Family(mut decided) = fold(None, &events[0])? else { bail!("not a family") };
            for (key, json) in &planned.overrides {
                let events = family::define_attribute(&tree, &decided, key, definition(json)?)
                    .map_err(explain)
                    .with_context(|| format!("override {key} of family {}", planned.name))?;
                for event in &events {
                    let Aggregate::Family(next) = fold(Some(Aggregate::Family(decided.clone())), event)? else {
                        bail!("not a family")
                    };
                    decided = next;
                }
            }
            offline.holding.insert(planned.category);
            let schema = decided.schema(&offline.tree());
            offline.families.insert(planned.id, (decided, schema));
        }
        Ok(offline)
    }

    fn tree(&self) -> CategoryTree {
        CategoryTree::new(self.categories.values().cloned(), self.holding.iter().copied())
    }

    fn apply_category(&mut self, command: CategoryCommand) -> anyhow::Result<()> {
        for event in self.tree().decide(command).map_err(explain)? {
            let state = self.categories.get(&event.stream_id).cloned().map(Aggregate::Category);
            if let Aggregate::Category(category) = fold(state, &event)? {
                self.categories.insert(category.id, category);
            }
        }
        Ok(())
    }

    fn claim(&mut self, claim: String) -> anyhow::Result<()> {
        if !self.claims.insert(claim.clone()) {
            bail!("{claim} is taken twice");
        }
        Ok(())
    }

    /// Decides one product and takes its claims, as the event store would.
    pub fn product(&mut self, planned: &PlannedProduct) -> anyhow::Result<Decided> {
        let (family, schema) = self.families.get(&planned.family).context("the product's family is not planned")?;
        let command = CreateProduct {
            id: planned.id,
            name: planned.name.clone(),
            sku: planned.sku.clone(),
            specs: planned.specs.clone(),
            external_id: None,
        };
        let events = product::create(family, schema, command)
            .map_err(explain)
            .with_context(|| format!("product {} ({:?})", planned.name, planned.sku))?;
        let Some(Event::ProductCreated { sku, variant_key, .. }) = events.first().map(|e| &e.event) else {
            bail!("product::create decided no ProductCreated");
        };
        let (sku, variant_key) = (sku.to_string(), variant_key.clone());
        self.claim(format!("sku:{}", sku.to_ascii_uppercase()))?;
        if let Some(key) = &variant_key {
            self.claim(format!("variant:{}:{key}", planned.family))?;
        }
        Ok(Decided { sku, variant_key })
    }
}

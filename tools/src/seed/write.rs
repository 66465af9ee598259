//! Writing the plan through the command API's own service layer (`command_api::service::Catalog`),
//! in this process, against the write database: each entity is decided by the same domain call an
//! HTTP handler makes and appended by the same code — structure changes under the schema lock,
//! brands and products by the group appender, which batches concurrent commands into shared
//! transactions.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use anyhow::{anyhow, Context};
use chrono::Utc;
use command_api::error::ApiError;
use command_api::service::{Catalog, CommandContext, Head};
use domain::category::CategoryCommand;
use domain::family;
use domain::product::{self, CreateProduct};
use domain::{brand, Aggregate, StreamType};
use event_store::{EventFilter, EventStore, GroupOptions, Metadata};
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use uuid::Uuid;

use super::plan::{self, PlannedBrand, PlannedCategory, PlannedFamily, PlannedProduct};

/// The write database, seen through the command API's service layer.
#[derive(Clone)]
pub struct Writer {
    catalog: Catalog,
    metadata: Metadata,
}

/// What the command API would answer, in words: the fields a 422 lists, a 409's detail, or the
/// internal error with its causes.
pub fn refusal(error: ApiError) -> anyhow::Error {
    match error {
        ApiError::Invalid(errors) => {
            let fields: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow!("the command was refused as invalid (422): {}", fields.join("; "))
        }
        ApiError::Conflict { detail, .. } => anyhow!("the command was refused as a conflict (409): {detail}"),
        ApiError::NotFound(detail) => anyhow!("the command names something that does not exist (404): {detail}"),
        ApiError::Internal(error) => error.context("the write database failed"),
        other => anyhow!("the command failed: {other}"),
    }
}

impl Writer {
    /// Connects to the write database and applies its migrations, as the command API does at start.
    pub async fn connect(url: &str, grouping: GroupOptions, metadata: Metadata) -> anyhow::Result<Writer> {
        let options = PgConnectOptions::from_str(url)
            .context("--database-url (FERRULE_WRITE_DATABASE_URL) is not a valid PostgreSQL URL")?;
        let connections = u32::try_from(grouping.workers + 6).unwrap_or(16);
        let store = EventStore::connect(options, connections).await.with_context(|| {
            format!(
                "cannot connect to the write database at {}: is PostgreSQL running and the database created? \
                 pass its URL with --database-url or FERRULE_WRITE_DATABASE_URL",
                super::redact(url)
            )
        })?;
        store.migrate().await.context("applying the write database's migrations failed")?;
        Ok(Writer { catalog: Catalog::new(store, grouping), metadata })
    }

    fn context(&self) -> CommandContext {
        CommandContext { metadata: self.metadata.clone(), now: Utc::now(), requires: Vec::new(), idempotency: None }
    }

    /// Which of these categories, brands or families exist (they keep a stream head), with their state.
    pub async fn existing(&self, ids: &[Uuid]) -> anyhow::Result<HashMap<Uuid, Aggregate>> {
        let rows = EventStore::load_streams(self.catalog.store().pool(), ids).await?;
        let mut found = HashMap::new();
        for row in rows {
            found.insert(row.stream_id, Head::try_from(row)?.state);
        }
        Ok(found)
    }

    /// Every product stream in the database (products keep no head row).
    pub async fn existing_products(&self) -> anyhow::Result<HashSet<Uuid>> {
        let created = EventFilter::all().stream_type(StreamType::Product.as_str()).version(1);
        let ids = EventStore::stream_ids(self.catalog.store().pool(), &created).await?;
        Ok(ids.into_iter().collect())
    }

    /// The request id that wrote the database's first category, if it holds any.
    pub async fn first_category_request(&self) -> anyhow::Result<Option<String>> {
        let first = EventFilter::all().stream_type(StreamType::Category.as_str()).limit(1);
        let events = EventStore::events(self.catalog.store().pool(), &first).await?;
        Ok(events.into_iter().next().map(|event| event.request_id))
    }

    /// Events appended by each structure command are counted from its decision.
    pub async fn brand(&self, planned: &PlannedBrand) -> anyhow::Result<usize> {
        let (id, name) = (planned.id, planned.name);
        self.catalog
            .change_streams(&self.context(), &[], |_| Ok(brand::create(id, name, None)?))
            .await
            .map_err(refusal)?;
        Ok(1)
    }

    pub async fn category(&self, planned: &PlannedCategory) -> anyhow::Result<usize> {
        let command = CategoryCommand::Create {
            id: planned.id,
            name: planned.name.into(),
            parent_id: planned.parent,
            external_id: None,
        };
        self.structure(&[], |tree, _| Ok(tree.decide(command)?)).await
    }

    pub async fn define_on_category(&self, id: Uuid, key: &str, definition: &Value) -> anyhow::Result<usize> {
        let input = plan::definition(definition)?;
        let command = CategoryCommand::DefineAttribute { id, key: key.to_owned(), input };
        self.structure(&[], |tree, _| Ok(tree.decide(command)?)).await
    }

    pub async fn family(&self, planned: &PlannedFamily) -> anyhow::Result<usize> {
        let command = planned.command();
        let brand_id = planned.brand;
        self.structure(&[brand_id], |tree, heads| {
            let brand = match heads.get(&brand_id).map(|h| &h.state) {
                Some(Aggregate::Brand(brand)) => Some(brand),
                _ => None,
            };
            Ok(family::create(tree, brand, &Default::default(), command)?)
        })
        .await
    }

    pub async fn define_on_family(&self, id: Uuid, key: &str, definition: &Value) -> anyhow::Result<usize> {
        let input = plan::definition(definition)?;
        self.structure(&[id], |tree, heads| match heads.get(&id).map(|h| &h.state) {
            Some(Aggregate::Family(family)) => Ok(family::define_attribute(tree, family, key, input)?),
            _ => Err(ApiError::NotFound(format!("family {id} does not exist"))),
        })
        .await
    }

    /// A structure change under the schema lock; answers how many events it appended.
    async fn structure(
        &self,
        extra: &[Uuid],
        decide: impl FnOnce(
            &domain::category::CategoryTree,
            &std::collections::HashMap<Uuid, command_api::service::Head>,
        ) -> Result<Vec<domain::NewEvent>, ApiError>,
    ) -> anyhow::Result<usize> {
        let mut events = 0;
        self.catalog
            .change_structure(&self.context(), extra, |tree, heads| {
                let decided = decide(tree, heads)?;
                events = decided.len();
                Ok(decided)
            })
            .await
            .map_err(refusal)?;
        Ok(events)
    }

    /// Loads the families' resolved schemas into the service's cache, so that the first products
    /// of each family do not all load it at once.
    pub async fn warm_schemas(&self, families: impl Iterator<Item = Uuid>) -> anyhow::Result<()> {
        for family in families {
            self.catalog.family_schema(family).await.map_err(refusal)?;
        }
        Ok(())
    }

    /// A product create, validated against its family's resolved schema and appended by the group
    /// appender (one event).
    pub async fn product(&self, planned: PlannedProduct) -> anyhow::Result<()> {
        let PlannedProduct { id, family, name, sku, specs } = planned;
        self.catalog
            .change_product(&self.context(), family, None, |schema, _| {
                let command =
                    CreateProduct { id, name: name.clone(), sku: sku.clone(), specs: specs.clone(), external_id: None };
                product::create(&schema.family, &schema.schema, command)
            })
            .await
            .map_err(refusal)
            .with_context(|| format!("creating product {name:?} ({})", sku.as_deref().unwrap_or("generated SKU")))?;
        Ok(())
    }
}

/// Whether an existing category or family already defines `key` exactly as planned. A re-run
/// skips those: sending them again would change nothing, and the command API answers a no-op
/// with a position lookup per stream of the tree, which is slow on a large events table.
pub fn stands(owner: Option<&Aggregate>, key: &str, definition: &Value) -> bool {
    let own = match owner {
        Some(Aggregate::Category(category)) => &category.attributes,
        Some(Aggregate::Family(family)) => &family.attributes,
        _ => return false,
    };
    let planned = plan::definition(definition).ok().and_then(|input| input.parse().ok());
    planned.is_some_and(|planned| own.get(key) == Some(&planned))
}

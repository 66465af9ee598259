//! Categories: the hierarchy cluster → node → leaf, each with its materialized path and its own
//! attribute definitions. Decisions that touch the tree (create, move, retire) are taken over the
//! whole tree, which the caller loads under the catalog's structure lock.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attributes::{AttributeKey, DefinitionInput, Definitions, Level, ResolvedSchema};
use crate::error::{DomainError, FieldError, Problems};
use crate::events::{not_applicable, Change, Event, EvolveError, NewEvent, StreamType};
use crate::names::{parse_external_id, parse_name, ExternalId};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    /// Ids from the root down to this category itself.
    pub path: Vec<Uuid>,
    #[serde(with = "crate::attributes::ordered")]
    pub attributes: Definitions,
    pub retired: bool,
    /// The source system's id (`names::ExternalId`); `default` reads snapshots made before it.
    #[serde(default)]
    pub external_id: Option<ExternalId>,
}

impl Category {
    pub fn depth(&self) -> usize {
        self.path.len().saturating_sub(1)
    }
}

/// What a category is, by its place in the tree: a root is a cluster; below it a category with
/// child categories is a node, one with families a leaf; an empty one may become either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    Cluster,
    Node,
    Leaf,
}

pub const NAME_MAX: usize = 200;

#[derive(Clone, Debug)]
pub enum CategoryCommand {
    Create {
        id: Uuid,
        name: String,
        parent_id: Option<Uuid>,
        /// Checked as `names::ExternalId`.
        external_id: Option<String>,
    },
    /// Rename and/or move; `parent_id: Some(None)` makes it a root.
    Update {
        id: Uuid,
        name: Option<String>,
        parent_id: Option<Option<Uuid>>,
    },
    Retire {
        id: Uuid,
    },
    DefineAttribute {
        id: Uuid,
        key: String,
        input: DefinitionInput,
    },
    RemoveAttribute {
        id: Uuid,
        key: String,
    },
}

/// The whole category tree, and which categories hold families.
#[derive(Clone, Debug, Default)]
pub struct CategoryTree {
    categories: HashMap<Uuid, Category>,
    holding_families: HashSet<Uuid>,
}

fn event(id: Uuid, event: Event) -> NewEvent {
    NewEvent { stream_id: id, stream_type: StreamType::Category, event }
}

impl CategoryTree {
    pub fn new(
        categories: impl IntoIterator<Item = Category>,
        holding_families: impl IntoIterator<Item = Uuid>,
    ) -> Self {
        CategoryTree {
            categories: categories.into_iter().map(|c| (c.id, c)).collect(),
            holding_families: holding_families.into_iter().collect(),
        }
    }

    pub fn get(&self, id: Uuid) -> Option<&Category> {
        self.categories.get(&id)
    }

    fn existing(&self, id: Uuid) -> Result<&Category, DomainError> {
        self.get(id).ok_or(DomainError::not_found("category", id))
    }

    pub fn kind(&self, id: Uuid) -> Option<CategoryKind> {
        let category = self.get(id)?;
        Some(if category.parent_id.is_none() {
            CategoryKind::Cluster
        } else if self.holding_families.contains(&id) {
            CategoryKind::Leaf
        } else {
            CategoryKind::Node
        })
    }

    fn children(&self, id: Uuid) -> impl Iterator<Item = &Category> {
        self.categories.values().filter(move |c| c.parent_id == Some(id))
    }

    /// Everything below `id`, parents before children; one depth in path order, so that the same
    /// tree always decides the same events (the map's own order changes from run to run).
    fn descendants(&self, id: Uuid) -> Vec<&Category> {
        let mut found: Vec<&Category> =
            self.categories.values().filter(|c| c.id != id && c.path.contains(&id)).collect();
        found.sort_by(|a, b| a.path.len().cmp(&b.path.len()).then_with(|| a.path.cmp(&b.path)));
        found
    }

    /// The chain from the root down to `id`, inclusive.
    pub fn chain(&self, id: Uuid) -> Vec<&Category> {
        self.get(id).map(|c| c.path.iter().filter_map(|a| self.get(*a)).collect()).unwrap_or_default()
    }

    /// The definitions that apply at `id` (from its ancestors and itself).
    pub fn schema(&self, id: Uuid) -> ResolvedSchema {
        ResolvedSchema::resolve(
            self.chain(id)
                .into_iter()
                .map(|c| (Level::Category { category_id: c.id, depth: c.depth() }, &c.attributes)),
        )
    }

    pub fn is_active_leaf_candidate(&self, id: Uuid) -> Result<&Category, DomainError> {
        let category = self.get(id).ok_or(DomainError::referenced("category", id, "category_id"))?;
        if category.retired {
            return Err(DomainError::invalid("category_id", "category_retired", "this category is retired"));
        }
        if category.parent_id.is_none() {
            return Err(DomainError::invalid(
                "category_id",
                "not_a_leaf",
                "families belong in a leaf category; this one is a cluster (a root)",
            ));
        }
        if self.children(id).any(|c| !c.retired) {
            return Err(DomainError::invalid(
                "category_id",
                "not_a_leaf",
                "families belong in a leaf category; this one has child categories",
            ));
        }
        Ok(category)
    }

    fn check_sibling_name(&self, parent_id: Option<Uuid>, name: &str, except: Option<Uuid>) -> Result<(), DomainError> {
        let taken = self.categories.values().any(|c| {
            c.parent_id == parent_id
                && !c.retired
                && Some(c.id) != except
                && c.name.to_lowercase() == name.to_lowercase()
        });
        if taken {
            return Err(DomainError::Conflict(format!(
                "a category named {name:?} already exists at this place in the tree"
            )));
        }
        Ok(())
    }

    /// Checks that `parent_id` may take a child category.
    fn check_parent(&self, parent_id: Uuid) -> Result<&Category, DomainError> {
        let parent = self.get(parent_id).ok_or(DomainError::referenced("category", parent_id, "parent_id"))?;
        if parent.retired {
            return Err(DomainError::invalid("parent_id", "category_retired", "the parent category is retired"));
        }
        if self.holding_families.contains(&parent_id) {
            return Err(DomainError::invalid(
                "parent_id",
                "leaf_category",
                format!("{:?} holds product families, so it is a leaf and takes no child categories", parent.name),
            ));
        }
        Ok(parent)
    }

    pub fn decide(&self, command: CategoryCommand) -> Result<Vec<NewEvent>, DomainError> {
        match command {
            CategoryCommand::Create { id, name, parent_id, external_id } => {
                self.create(id, &name, parent_id, external_id.as_deref())
            }
            CategoryCommand::Update { id, name, parent_id } => self.update(id, name, parent_id),
            CategoryCommand::Retire { id } => self.retire(id),
            CategoryCommand::DefineAttribute { id, key, input } => self.define_attribute(id, &key, input),
            CategoryCommand::RemoveAttribute { id, key } => {
                let category = self.existing(id)?;
                remove_attribute(&category.attributes, &key).map(|e| vec![event(id, e)])
            }
        }
    }

    fn create(
        &self,
        id: Uuid,
        name: &str,
        parent_id: Option<Uuid>,
        external_id: Option<&str>,
    ) -> Result<Vec<NewEvent>, DomainError> {
        let mut problems = Problems::default();
        let name = problems.check(parse_name("name", name, NAME_MAX));
        let external_id = problems.check(parse_external_id(external_id)).flatten();
        let parent = match parent_id {
            Some(parent_id) => match self.check_parent(parent_id) {
                Ok(parent) => Some(parent),
                Err(DomainError::Invalid(errors)) => {
                    problems.extend(errors);
                    None
                }
                Err(other) => return Err(other),
            },
            None => None,
        };
        problems.finish()?;
        let name = name.unwrap_or_default();
        self.check_sibling_name(parent_id, &name, None)?;
        let mut path = parent.map(|p| p.path.clone()).unwrap_or_default();
        path.push(id);
        Ok(vec![event(id, Event::CategoryCreated { name, parent_id, path, external_id })])
    }

    fn update(
        &self,
        id: Uuid,
        name: Option<String>,
        parent_id: Option<Option<Uuid>>,
    ) -> Result<Vec<NewEvent>, DomainError> {
        let category = self.existing(id)?;
        if category.retired {
            return Err(DomainError::Conflict("this category is retired".into()));
        }
        let mut problems = Problems::default();
        let new_name = name.and_then(|n| problems.check(parse_name("name", &n, NAME_MAX)));
        let mut new_parent = None;
        if let Some(target) = parent_id.filter(|p| *p != category.parent_id) {
            match self.check_move(category, target) {
                Ok(parent) => new_parent = Some((target, parent)),
                Err(DomainError::Invalid(errors)) => problems.extend(errors),
                Err(other) => return Err(other),
            }
        }
        problems.finish()?;
        let final_parent = new_parent.map_or(category.parent_id, |(target, _)| target);
        let final_name = new_name.clone().unwrap_or_else(|| category.name.clone());
        if new_name.is_some() || new_parent.is_some() {
            self.check_sibling_name(final_parent, &final_name, Some(id))?;
        }
        let mut events = Vec::new();
        if let Some(name) = new_name.filter(|n| *n != category.name) {
            events.push(event(id, Event::CategoryRenamed { name: Change { from: category.name.clone(), to: name } }));
        }
        if let Some((target, parent)) = new_parent {
            let mut path = parent.map(|p| p.path.clone()).unwrap_or_default();
            path.push(id);
            events.push(event(
                id,
                Event::CategoryMoved {
                    parent_id: Change { from: category.parent_id, to: target },
                    path: Change { from: category.path.clone(), to: path.clone() },
                },
            ));
            // Every descendant's path starts with the moved category's: swap that prefix.
            for descendant in self.descendants(id) {
                let suffix = &descendant.path[category.path.len()..];
                let to: Vec<Uuid> = path.iter().chain(suffix).copied().collect();
                events.push(event(
                    descendant.id,
                    Event::CategoryPathChanged { path: Change { from: descendant.path.clone(), to }, moved: id },
                ));
            }
        }
        Ok(events)
    }

    /// A move must not create a cycle and must keep the leaf/cluster rules.
    fn check_move(&self, category: &Category, target: Option<Uuid>) -> Result<Option<&Category>, DomainError> {
        let Some(target) = target else {
            if self.holding_families.contains(&category.id) {
                return Err(DomainError::invalid(
                    "parent_id",
                    "cluster_with_families",
                    "a category holding families cannot become a root: roots are clusters",
                ));
            }
            return Ok(None);
        };
        if target == category.id {
            return Err(DomainError::invalid("parent_id", "cycle", "a category cannot be moved under itself"));
        }
        let parent = self.check_parent(target)?;
        if parent.path.contains(&category.id) {
            return Err(DomainError::invalid(
                "parent_id",
                "cycle",
                format!("{:?} is below {:?}: moving there would make a cycle", parent.name, category.name),
            ));
        }
        self.check_overrides_under(category, parent)?;
        Ok(Some(parent))
    }

    /// After a move, the subtree's own definitions override what the new parent resolves, so they
    /// must keep its kinds and unit families, as `define_attribute` requires.
    fn check_overrides_under(&self, category: &Category, parent: &Category) -> Result<(), DomainError> {
        let inherited = self.schema(parent.id);
        for below in std::iter::once(category).chain(self.descendants(category.id)) {
            for (key, definition) in &below.attributes {
                let Some(above) = inherited.get(key.as_str()) else { continue };
                definition.check_override_of(&above.definition).map_err(|e| {
                    DomainError::invalid(
                        "parent_id",
                        e.code,
                        format!(
                            "{:?} defines {key} differently from what {:?} passes down: {}",
                            below.name, parent.name, e.message
                        ),
                    )
                })?;
            }
        }
        Ok(())
    }

    fn retire(&self, id: Uuid) -> Result<Vec<NewEvent>, DomainError> {
        let category = self.existing(id)?;
        if category.retired {
            return Err(DomainError::Conflict("this category is already retired".into()));
        }
        if self.children(id).any(|c| !c.retired) {
            return Err(DomainError::Conflict("retire its child categories first".into()));
        }
        if self.holding_families.contains(&id) {
            return Err(DomainError::Conflict("this category holds product families and cannot be retired".into()));
        }
        Ok(vec![event(id, Event::CategoryRetired {})])
    }

    fn define_attribute(&self, id: Uuid, key: &str, input: DefinitionInput) -> Result<Vec<NewEvent>, DomainError> {
        let category = self.existing(id)?;
        if category.retired {
            return Err(DomainError::Conflict("this category is retired".into()));
        }
        let inherited = category.parent_id.map(|p| self.schema(p)).unwrap_or_default();
        let descendants = self.descendants(id);
        let below = descendants.iter().map(|c| &c.attributes);
        define_attribute(&category.attributes, &inherited, below, key, input)
            .map(|e| e.map(|e| event(id, e)).into_iter().collect())
    }
}

/// Adds or replaces a definition on one level (a category or a family), checked against what it
/// inherits and against the overrides below it; `None` when it is already defined exactly so.
pub(crate) fn define_attribute<'a>(
    own: &Definitions,
    inherited: &ResolvedSchema,
    below: impl IntoIterator<Item = &'a Definitions>,
    key: &str,
    input: DefinitionInput,
) -> Result<Option<Event>, DomainError> {
    let key = AttributeKey::parse(key).map_err(|e| DomainError::Invalid(vec![e]))?;
    let definition = input.parse().map_err(DomainError::Invalid)?;
    if let Some(parent) = inherited.get(key.as_str()) {
        definition.check_override_of(&parent.definition).map_err(|e| DomainError::Invalid(vec![e]))?;
    }
    for overrides in below {
        if let Some(lower) = overrides.get(key.as_str()) {
            lower.check_override_of(&definition).map_err(|e| {
                DomainError::Invalid(vec![FieldError::new(
                    e.field,
                    e.code,
                    format!("a category below already defines {key} differently: {}", e.message),
                )])
            })?;
        }
    }
    let previous = own.get(key.as_str());
    if previous == Some(&definition) {
        // PUT is idempotent: defining it exactly as it stands changes nothing.
        return Ok(None);
    }
    let changes = crate::AttributeDefinition::diff(previous, Some(&definition));
    Ok(Some(Event::AttributeDefined { key, definition, changes }))
}

pub(crate) fn remove_attribute(own: &Definitions, key: &str) -> Result<Event, DomainError> {
    let previous = own.get(key).ok_or_else(|| DomainError::not_found("attribute", key))?;
    let key = AttributeKey::parse(key).map_err(|e| DomainError::Invalid(vec![e]))?;
    let changes = crate::AttributeDefinition::diff(Some(previous), None);
    Ok(Event::AttributeRemoved { key, changes })
}

/// A category's own events, folded.
impl Category {
    pub(crate) fn created(
        id: Uuid,
        name: &str,
        parent_id: Option<Uuid>,
        path: &[Uuid],
        external_id: &Option<ExternalId>,
    ) -> Category {
        Category {
            id,
            name: name.to_owned(),
            parent_id,
            path: path.to_vec(),
            attributes: Default::default(),
            retired: false,
            external_id: external_id.clone(),
        }
    }

    pub(crate) fn apply(mut self, event: &Event) -> Result<Category, EvolveError> {
        match event {
            Event::CategoryRenamed { name } => self.name = name.to.clone(),
            Event::CategoryMoved { parent_id, path } => {
                self.parent_id = parent_id.to;
                self.path = path.to.clone();
            }
            Event::CategoryPathChanged { path, .. } => self.path = path.to.clone(),
            Event::CategoryRetired {} => self.retired = true,
            Event::ExternalIdChanged { external_id } => self.external_id = external_id.to.clone(),
            Event::AttributeDefined { key, definition, .. } => {
                self.attributes.insert(key.clone(), definition.clone());
            }
            Event::AttributeRemoved { key, .. } => {
                self.attributes.shift_remove(key);
            }
            other => return Err(not_applicable(other, StreamType::Category.as_str())),
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests;

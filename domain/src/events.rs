//! The events of the catalog, with stable type names, and the fold that turns them into state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::attributes::{AttributeDefinition, AttributeKey};
use crate::brand::Brand;
use crate::category::Category;
use crate::family::Family;
use crate::identity::company::Company;
use crate::identity::user::User;
use crate::identity::{Email, PasswordHash, Role};
use crate::names::{FamilyCode, Sku};
use crate::product::Product;
use crate::specs::{SpecValue, Specs};
use crate::synonyms::SynonymSet;

/// One changed field: what it was and what it became.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    pub from: T,
    pub to: T,
}

/// `field → {from, to}`, so the audit trail needs no recomputation.
pub type Diff = BTreeMap<String, Change<Value>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamType {
    Category,
    Brand,
    Family,
    Product,
    Synonyms,
    User,
    Company,
}

impl StreamType {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamType::Category => "category",
            StreamType::Brand => "brand",
            StreamType::Family => "family",
            StreamType::Product => "product",
            StreamType::Synonyms => "synonyms",
            StreamType::User => "user",
            StreamType::Company => "company",
        }
    }

    /// Whether the read model projects streams of this stored type: the catalog's, not the
    /// identity streams (users and companies), which only the write side reads.
    pub fn projected(stored: &str) -> bool {
        !matches!(stored, "user" | "company")
    }
}

/// Every catalog event. The variant name is the stable type name stored with the event; the
/// payload is `data`. Renaming a variant or changing a payload incompatibly needs a new schema
/// version and an upcaster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    CategoryCreated {
        name: String,
        parent_id: Option<Uuid>,
        path: Vec<Uuid>,
    },
    CategoryRenamed {
        name: Change<String>,
    },
    CategoryMoved {
        parent_id: Change<Option<Uuid>>,
        path: Change<Vec<Uuid>>,
    },
    /// A descendant's path after one of its ancestors (`moved`) was moved.
    CategoryPathChanged {
        path: Change<Vec<Uuid>>,
        moved: Uuid,
    },
    CategoryRetired {},
    /// On a category or family stream: a definition added or replaced.
    AttributeDefined {
        key: AttributeKey,
        definition: AttributeDefinition,
        changes: Diff,
    },
    AttributeRemoved {
        key: AttributeKey,
        changes: Diff,
    },
    BrandCreated {
        name: String,
    },
    FamilyCreated {
        category_id: Uuid,
        brand_id: Option<Uuid>,
        name: String,
        code: FamilyCode,
    },
    ProductCreated {
        family_id: Uuid,
        name: String,
        sku: Sku,
        specs: Specs,
        variant_key: Option<String>,
    },
    /// `changes` holds `name`, `specs.<key>` (null when removed) and `variant_key` as they changed.
    ProductUpdated {
        changes: Diff,
    },
    ProductRetired {},
    /// A synonym set's phrases, as they stand from now on.
    SynonymsDefined {
        phrases: Vec<String>,
    },
    SynonymsRemoved {},
    /// `password_hash` is a PHC string (see `identity` for why it is here); redacted when shown.
    UserCreated {
        email: Email,
        role: Role,
        company_id: Option<Uuid>,
        password_hash: PasswordHash,
    },
    UserDisabled {},
    UserPasswordChanged {
        password_hash: PasswordHash,
    },
    /// The same password, hashed with the parameters configured at the login that rehashed it.
    UserPasswordRehashed {
        password_hash: PasswordHash,
    },
    UserRoleChanged {
        role: Change<Role>,
    },
    CompanyCreated {
        name: String,
    },
    CompanyRenamed {
        name: Change<String>,
    },
    CompanyDisabled {},
}

/// The schema version written with every event of this build.
pub const SCHEMA_VERSION: i16 = 1;

impl Event {
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::CategoryCreated { .. } => "CategoryCreated",
            Event::CategoryRenamed { .. } => "CategoryRenamed",
            Event::CategoryMoved { .. } => "CategoryMoved",
            Event::CategoryPathChanged { .. } => "CategoryPathChanged",
            Event::CategoryRetired {} => "CategoryRetired",
            Event::AttributeDefined { .. } => "AttributeDefined",
            Event::AttributeRemoved { .. } => "AttributeRemoved",
            Event::BrandCreated { .. } => "BrandCreated",
            Event::FamilyCreated { .. } => "FamilyCreated",
            Event::ProductCreated { .. } => "ProductCreated",
            Event::ProductUpdated { .. } => "ProductUpdated",
            Event::ProductRetired {} => "ProductRetired",
            Event::SynonymsDefined { .. } => "SynonymsDefined",
            Event::SynonymsRemoved {} => "SynonymsRemoved",
            Event::UserCreated { .. } => "UserCreated",
            Event::UserDisabled {} => "UserDisabled",
            Event::UserPasswordChanged { .. } => "UserPasswordChanged",
            Event::UserPasswordRehashed { .. } => "UserPasswordRehashed",
            Event::UserRoleChanged { .. } => "UserRoleChanged",
            Event::CompanyCreated { .. } => "CompanyCreated",
            Event::CompanyRenamed { .. } => "CompanyRenamed",
            Event::CompanyDisabled {} => "CompanyDisabled",
        }
    }

    /// The payload alone, as stored in the `payload` column.
    pub fn payload(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut map)) => map.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// An event back from its stored type name, schema version and payload.
    pub fn from_stored(type_name: &str, schema_version: i16, payload: &Value) -> Result<Event, EvolveError> {
        use serde::de::value::MapDeserializer;
        use serde::de::IntoDeserializer;
        if schema_version != SCHEMA_VERSION {
            return Err(EvolveError(format!("{type_name} has unknown schema version {schema_version}")));
        }
        // The tag first, so that the payload is read once, in place (a map with the content first
        // would be buffered and read again).
        let tag: serde_json::Value = Value::String(type_name.to_owned());
        let fields = [("type", (&tag).into_deserializer()), ("data", payload.into_deserializer())];
        Event::deserialize(MapDeserializer::<_, serde_json::Error>::new(fields.into_iter()))
            .map_err(|e| EvolveError(format!("{type_name}: {e}")))
    }
}

/// An event decided for a stream; the event store gives it a version and a position.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub stream_id: Uuid,
    pub stream_type: StreamType,
    pub event: Event,
}

/// The state of one stream, as folded from its events (and stored as its snapshot).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Aggregate {
    Category(Category),
    Brand(Brand),
    Family(Family),
    Product(Product),
    Synonyms(SynonymSet),
    User(User),
    Company(Company),
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("cannot fold event: {0}")]
pub struct EvolveError(pub String);

impl Aggregate {
    pub fn stream_type(&self) -> StreamType {
        match self {
            Aggregate::Category(_) => StreamType::Category,
            Aggregate::Brand(_) => StreamType::Brand,
            Aggregate::Family(_) => StreamType::Family,
            Aggregate::Product(_) => StreamType::Product,
            Aggregate::Synonyms(_) => StreamType::Synonyms,
            Aggregate::User(_) => StreamType::User,
            Aggregate::Company(_) => StreamType::Company,
        }
    }

    /// The stream this one hangs under: a category's parent, a family's category, a product's family.
    pub fn parent_id(&self) -> Option<Uuid> {
        match self {
            Aggregate::Category(c) => c.parent_id,
            Aggregate::Brand(_) => None,
            Aggregate::Family(f) => Some(f.category_id),
            Aggregate::Product(p) => Some(p.family_id),
            Aggregate::Synonyms(_) | Aggregate::Company(_) => None,
            Aggregate::User(u) => u.company_id,
        }
    }

    /// Values that must be unique across the catalog while this stream holds them.
    pub fn claims(&self) -> Vec<String> {
        match self {
            Aggregate::Category(_) | Aggregate::Synonyms(_) => Vec::new(),
            Aggregate::Brand(b) => vec![format!("brand:{}", b.name.to_lowercase())],
            // A disabled user keeps the address: it names them in the audit trail.
            Aggregate::User(u) => vec![u.email.claim()],
            Aggregate::Company(c) => vec![c.claim()],
            Aggregate::Family(f) => vec![format!("family-code:{}", f.code)],
            Aggregate::Product(p) => {
                let mut claims = vec![p.sku.claim()];
                if let (false, Some(key)) = (p.retired, &p.variant_key) {
                    claims.push(format!("variant:{}:{key}", p.family_id));
                }
                claims
            }
        }
    }
}

fn unexpected(event: &Event, state: &Option<Aggregate>) -> EvolveError {
    let on = match state {
        None => "a new stream",
        Some(a) => a.stream_type().as_str(),
    };
    EvolveError(format!("{} does not apply to {on}", event.type_name()))
}

/// Folds one event into a stream's state.
pub fn evolve(state: Option<Aggregate>, stream_id: Uuid, event: &Event) -> Result<Aggregate, EvolveError> {
    use Aggregate as A;
    use Event as E;
    let next = match (state, event) {
        (None, E::CategoryCreated { name, parent_id, path }) => A::Category(Category {
            id: stream_id,
            name: name.clone(),
            parent_id: *parent_id,
            path: path.clone(),
            attributes: Default::default(),
            retired: false,
        }),
        (Some(A::Category(mut c)), e) => {
            match e {
                E::CategoryRenamed { name } => c.name = name.to.clone(),
                E::CategoryMoved { parent_id, path } => {
                    c.parent_id = parent_id.to;
                    c.path = path.to.clone();
                }
                E::CategoryPathChanged { path, .. } => c.path = path.to.clone(),
                E::CategoryRetired {} => c.retired = true,
                E::AttributeDefined { key, definition, .. } => {
                    c.attributes.insert(key.clone(), definition.clone());
                }
                E::AttributeRemoved { key, .. } => {
                    c.attributes.shift_remove(key);
                }
                other => return Err(unexpected(other, &Some(A::Category(c)))),
            }
            A::Category(c)
        }
        (None, E::BrandCreated { name }) => A::Brand(Brand { id: stream_id, name: name.clone() }),
        (None, E::FamilyCreated { category_id, brand_id, name, code }) => A::Family(Family {
            id: stream_id,
            category_id: *category_id,
            brand_id: *brand_id,
            name: name.clone(),
            code: code.clone(),
            attributes: Default::default(),
        }),
        (Some(A::Family(mut f)), E::AttributeDefined { key, definition, .. }) => {
            f.attributes.insert(key.clone(), definition.clone());
            A::Family(f)
        }
        (Some(A::Family(mut f)), E::AttributeRemoved { key, .. }) => {
            f.attributes.shift_remove(key);
            A::Family(f)
        }
        (None, E::ProductCreated { family_id, name, sku, specs, variant_key }) => A::Product(Product {
            id: stream_id,
            family_id: *family_id,
            name: name.clone(),
            sku: sku.clone(),
            specs: specs.clone(),
            variant_key: variant_key.clone(),
            retired: false,
        }),
        (Some(A::Product(mut p)), E::ProductUpdated { changes }) => {
            for (field, change) in changes {
                apply_product_change(&mut p, field, &change.to)?;
            }
            A::Product(p)
        }
        (Some(A::Product(mut p)), E::ProductRetired {}) => {
            p.retired = true;
            A::Product(p)
        }
        (None | Some(A::Synonyms(_)), E::SynonymsDefined { phrases }) => {
            A::Synonyms(SynonymSet { id: stream_id, phrases: phrases.clone(), removed: false })
        }
        (Some(A::Synonyms(mut set)), E::SynonymsRemoved {}) => {
            set.removed = true;
            A::Synonyms(set)
        }
        (None, E::UserCreated { email, role, company_id, password_hash }) => A::User(User {
            id: stream_id,
            email: email.clone(),
            role: *role,
            company_id: *company_id,
            password_hash: password_hash.clone(),
            disabled: false,
        }),
        (Some(A::User(mut u)), e) => {
            match e {
                E::UserDisabled {} => u.disabled = true,
                E::UserPasswordChanged { password_hash } | E::UserPasswordRehashed { password_hash } => {
                    u.password_hash = password_hash.clone()
                }
                E::UserRoleChanged { role } => u.role = role.to,
                other => return Err(unexpected(other, &Some(A::User(u)))),
            }
            A::User(u)
        }
        (None, E::CompanyCreated { name }) => {
            A::Company(Company { id: stream_id, name: name.clone(), disabled: false })
        }
        (Some(A::Company(mut c)), E::CompanyRenamed { name }) => {
            c.name = name.to.clone();
            A::Company(c)
        }
        (Some(A::Company(mut c)), E::CompanyDisabled {}) => {
            c.disabled = true;
            A::Company(c)
        }
        (state, other) => return Err(unexpected(other, &state)),
    };
    Ok(next)
}

fn apply_product_change(product: &mut Product, field: &str, to: &Value) -> Result<(), EvolveError> {
    let bad = || EvolveError(format!("ProductUpdated carries an unreadable {field}"));
    if field == "name" {
        product.name = to.as_str().ok_or_else(bad)?.to_owned();
    } else if field == "variant_key" {
        product.variant_key = to.as_str().map(str::to_owned);
    } else if let Some(key) = field.strip_prefix("specs.") {
        let key = AttributeKey::parse(key).map_err(|_| bad())?;
        if to.is_null() {
            product.specs.shift_remove(&key);
        } else {
            let value: SpecValue = serde_json::from_value(to.clone()).map_err(|_| bad())?;
            product.specs.insert(key, value);
        }
    } else {
        return Err(bad());
    }
    Ok(())
}

/// Folds a whole stream from its first event.
pub fn replay<'a>(
    stream_id: Uuid,
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<Option<Aggregate>, EvolveError> {
    events.into_iter().try_fold(None, |state, event| evolve(state, stream_id, event).map(Some))
}

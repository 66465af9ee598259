//! Attribute definitions — the typed, validated specs a category or family declares — and their
//! resolution down the tree: family > deeper category > shallower category.

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;
use crate::units::Unit;

/// A spec key: lowercase ASCII letters, digits and underscores, starting with a letter, ≤ 64 chars.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttributeKey(String);

impl AttributeKey {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let ok = (1..=64).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(AttributeKey(text.to_owned()))
        } else {
            Err(FieldError::new(
                "key",
                "invalid_key",
                format!(
                    "{text:?} is not a valid attribute key: use 1 to 64 lowercase letters, digits and underscores, starting with a letter"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AttributeKey {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        AttributeKey::parse(&value).map_err(|e| e.message)
    }
}

impl From<AttributeKey> for String {
    fn from(key: AttributeKey) -> String {
        key.0
    }
}

impl fmt::Display for AttributeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttributeType {
    Text,
    Number,
    Boolean,
    Select,
    MultiSelect,
}

impl AttributeType {
    pub fn name(self) -> &'static str {
        match self {
            AttributeType::Text => "text",
            AttributeType::Number => "number",
            AttributeType::Boolean => "boolean",
            AttributeType::Select => "select",
            AttributeType::MultiSelect => "multi_select",
        }
    }
}

/// A checked attribute definition. `min`/`max` are in `unit` when it has one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributeDefinition {
    pub label: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// The unit of a number attribute's values (`mm`, `V`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, nullable = false))]
    pub unit: Option<Unit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    pub required: bool,
    pub variant_defining: bool,
    pub filterable: bool,
    pub searchable: bool,
}

/// A definition as an admin sends it, before it is checked; every problem is reported at once.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DefinitionInput {
    /// Required: 1 to 200 characters.
    pub label: Option<String>,
    /// Required.
    #[serde(rename = "type")]
    pub kind: Option<AttributeType>,
    /// A unit of a measurement family (number attributes): mm, cm, m, in, V, kV, mV, W, kW, …
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub options: Option<Vec<String>>,
    pub regex: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub variant_defining: bool,
    #[serde(default)]
    pub filterable: bool,
    #[serde(default)]
    pub searchable: bool,
}

const MAX_OPTIONS: usize = 500;

impl DefinitionInput {
    /// Checks the definition on its own, reporting every problem at once.
    pub fn parse(self) -> Result<AttributeDefinition, Vec<FieldError>> {
        let mut errors = Vec::new();
        let label = self.label.as_deref().map(str::trim).unwrap_or_default().to_owned();
        if label.is_empty() || label.chars().count() > 200 {
            errors.push(FieldError::new("label", "invalid_label", "label is required, 1 to 200 characters"));
        }
        let Some(kind) = self.kind else {
            errors.push(FieldError::new(
                "type",
                "required",
                "type is required: one of text, number, boolean, select, multi_select",
            ));
            return Err(errors);
        };
        let unit = match (&self.unit, kind) {
            (None, _) => None,
            (Some(text), AttributeType::Number) => match Unit::parse(text) {
                Some(unit) => Some(unit),
                None => {
                    errors.push(FieldError::new("unit", "unknown_unit", format!("unknown unit {text:?}")));
                    None
                }
            },
            (Some(_), _) => {
                errors.push(FieldError::new("unit", "unit_not_allowed", "only number attributes take a unit"));
                None
            }
        };
        for (field, value) in [("min", self.min), ("max", self.max)] {
            match value {
                Some(v) if kind != AttributeType::Number => {
                    let _ = v;
                    errors.push(FieldError::new(
                        field,
                        "not_allowed",
                        format!("{field} applies to number attributes only"),
                    ));
                }
                Some(v) if !v.is_finite() => {
                    errors.push(FieldError::new(field, "invalid_number", format!("{field} must be finite")))
                }
                _ => {}
            }
        }
        if let (Some(min), Some(max)) = (self.min, self.max) {
            if min > max {
                errors.push(FieldError::new("min", "min_above_max", format!("min {min} is above max {max}")));
            }
        }
        let options = self.options.unwrap_or_default();
        let takes_options = matches!(kind, AttributeType::Select | AttributeType::MultiSelect);
        if takes_options {
            let mut seen = std::collections::HashSet::new();
            if options.is_empty() || options.len() > MAX_OPTIONS {
                errors.push(FieldError::new(
                    "options",
                    "invalid_options",
                    format!("{} attributes need 1 to {MAX_OPTIONS} options", kind.name()),
                ));
            }
            for (i, option) in options.iter().enumerate() {
                let trimmed = option.trim();
                if trimmed.is_empty() || trimmed.chars().count() > 200 || trimmed != option {
                    errors.push(FieldError::new(
                        format!("options[{i}]"),
                        "invalid_option",
                        "options are 1 to 200 characters without surrounding spaces",
                    ));
                } else if !seen.insert(option.to_lowercase()) {
                    errors.push(FieldError::new(
                        format!("options[{i}]"),
                        "duplicate_option",
                        format!("{option:?} is listed twice"),
                    ));
                }
            }
        } else if !options.is_empty() {
            errors.push(FieldError::new(
                "options",
                "not_allowed",
                "only select and multi_select attributes take options",
            ));
        }
        if let Some(pattern) = &self.regex {
            if kind != AttributeType::Text {
                errors.push(FieldError::new("regex", "not_allowed", "only text attributes take a regex"));
            } else if let Err(e) = compile_anchored(pattern) {
                errors.push(FieldError::new("regex", "invalid_regex", format!("the regex does not compile: {e}")));
            }
        }
        if self.variant_defining && matches!(kind, AttributeType::MultiSelect) {
            errors.push(FieldError::new(
                "variant_defining",
                "not_allowed",
                "a multi_select attribute cannot define variants: a variant has one value per attribute",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AttributeDefinition {
            label,
            kind,
            unit,
            min: self.min,
            max: self.max,
            options,
            regex: self.regex,
            required: self.required,
            variant_defining: self.variant_defining,
            filterable: self.filterable,
            searchable: self.searchable,
        })
    }
}

/// Regexes match the whole value: `^(?:…)$`, with a size limit so that no definition can make
/// validation slow.
pub fn compile_anchored(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$")).size_limit(1 << 20).build()
}

/// `compile_anchored`, remembered: a definition's regex is checked on every product write, and
/// compiling it each time would cost more than the rest of the validation. Bounded: when full,
/// the memory is dropped and refilled.
pub fn anchored_matcher(pattern: &str) -> Result<std::sync::Arc<regex::Regex>, regex::Error> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static COMPILED: OnceLock<Mutex<HashMap<String, Arc<regex::Regex>>>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(Default::default);
    if let Some(found) = compiled.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return Ok(found);
    }
    let regex = Arc::new(compile_anchored(pattern)?);
    if let Ok(mut compiled) = compiled.lock() {
        if compiled.len() >= 1024 {
            compiled.clear();
        }
        compiled.insert(pattern.to_owned(), regex.clone());
    }
    Ok(regex)
}

impl AttributeDefinition {
    /// Field-level differences, for the audit trail: `field → {from, to}`.
    pub fn diff(previous: Option<&AttributeDefinition>, next: Option<&AttributeDefinition>) -> crate::Diff {
        let as_map = |d: Option<&AttributeDefinition>| match d.map(serde_json::to_value) {
            Some(Ok(serde_json::Value::Object(map))) => map,
            _ => serde_json::Map::new(),
        };
        crate::diff_maps(&as_map(previous), &as_map(next), "")
    }

    /// An override must keep the kind and measurement family of what it overrides, so that
    /// facets and range filters mean the same thing across the subtree.
    pub fn check_override_of(&self, inherited: &AttributeDefinition) -> Result<(), FieldError> {
        if self.kind != inherited.kind {
            return Err(FieldError::new(
                "type",
                "override_type_mismatch",
                format!("the inherited definition is {}, an override must be too", inherited.kind.name()),
            ));
        }
        let family = |d: &AttributeDefinition| d.unit.map(Unit::dimension);
        if family(self) != family(inherited) {
            return Err(FieldError::new(
                "unit",
                "override_unit_mismatch",
                format!(
                    "the inherited definition measures {}; an override must use a unit of the same family",
                    inherited.unit.map_or("nothing", |u| u.dimension().name())
                ),
            ));
        }
        Ok(())
    }
}

/// Where a resolved definition came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Level {
    Category { category_id: Uuid, depth: usize },
    Family { family_id: Uuid },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResolvedAttribute {
    pub key: AttributeKey,
    #[serde(flatten)]
    pub definition: AttributeDefinition,
    #[serde(flatten)]
    pub source: Level,
}

/// The full inherited set for one place in the tree, in a stable order: root category first, each
/// level's keys in the order they were first defined; an override keeps its key's position.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ResolvedSchema {
    attributes: IndexMap<AttributeKey, ResolvedAttribute>,
}

pub type Definitions = IndexMap<AttributeKey, AttributeDefinition>;

impl ResolvedSchema {
    /// `levels` from the root down: each the place's level and its own definitions.
    pub fn resolve<'a>(levels: impl IntoIterator<Item = (Level, &'a Definitions)>) -> Self {
        let mut attributes: IndexMap<AttributeKey, ResolvedAttribute> = IndexMap::new();
        for (level, definitions) in levels {
            for (key, definition) in definitions {
                let resolved = ResolvedAttribute { key: key.clone(), definition: definition.clone(), source: level };
                // IndexMap::insert keeps an existing key's position: overrides stay in place.
                attributes.insert(key.clone(), resolved);
            }
        }
        ResolvedSchema { attributes }
    }

    pub fn get(&self, key: &str) -> Option<&ResolvedAttribute> {
        self.attributes.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ResolvedAttribute> {
        self.attributes.values()
    }

    pub fn variant_defining(&self) -> impl Iterator<Item = &ResolvedAttribute> {
        self.iter().filter(|a| a.definition.variant_defining)
    }
}

impl std::borrow::Borrow<str> for AttributeKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// Definitions serialized as a list, so that their order survives storage that sorts object keys
/// (PostgreSQL's JSONB does): the order decides SKU segments and how specs are shown.
pub mod ordered {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{AttributeDefinition, AttributeKey, Definitions};

    #[derive(Serialize)]
    struct EntryRef<'a> {
        key: &'a AttributeKey,
        #[serde(flatten)]
        definition: &'a AttributeDefinition,
    }

    #[derive(Deserialize)]
    struct Entry {
        key: AttributeKey,
        #[serde(flatten)]
        definition: AttributeDefinition,
    }

    pub fn serialize<S: Serializer>(definitions: &Definitions, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(definitions.iter().map(|(key, definition)| EntryRef { key, definition }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Definitions, D::Error> {
        let entries = Vec::<Entry>::deserialize(deserializer)?;
        Ok(entries.into_iter().map(|e| (e.key, e.definition)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(json: serde_json::Value) -> AttributeDefinition {
        serde_json::from_value::<DefinitionInput>(json)
            .map_err(|e| e.to_string())
            .and_then(|i| i.parse().map_err(|e| format!("{e:?}")))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn codes(json: serde_json::Value) -> Vec<String> {
        let input: DefinitionInput = serde_json::from_value(json).unwrap_or_default();
        input.parse().err().unwrap_or_default().into_iter().map(|e| e.code).collect()
    }

    #[test]
    fn a_definition_reports_every_problem_at_once() {
        let found = codes(serde_json::json!({
            "label": "", "type": "text", "unit": "mm", "min": 1, "options": ["a"], "regex": "("
        }));
        assert_eq!(found, ["invalid_label", "unit_not_allowed", "not_allowed", "not_allowed", "invalid_regex"]);
    }

    #[test]
    fn select_needs_options_and_number_takes_known_units() {
        assert_eq!(codes(serde_json::json!({"label": "M", "type": "select"})), ["invalid_options"]);
        assert_eq!(codes(serde_json::json!({"label": "L", "type": "number", "unit": "furlong"})), ["unknown_unit"]);
        assert_eq!(codes(serde_json::json!({"label": "L", "type": "number", "min": 5, "max": 1})), ["min_above_max"]);
    }

    #[test]
    fn resolution_prefers_the_deepest_level_and_keeps_first_position() {
        let root = Uuid::from_u128(1);
        let leaf = Uuid::from_u128(2);
        let family = Uuid::from_u128(3);
        let key = |k: &str| AttributeKey::parse(k).unwrap_or_else(|e| panic!("{e:?}"));
        let material =
            def(serde_json::json!({"label": "Material", "type": "select", "options": ["steel", "A2", "A4"]}));
        let a4_only = def(serde_json::json!({"label": "Material", "type": "select", "options": ["A4"]}));
        let thread =
            def(serde_json::json!({"label": "Thread", "type": "select", "options": ["M12"], "variant_defining": true}));
        let root_defs: Definitions = [(key("material"), material.clone())].into_iter().collect();
        let leaf_defs: Definitions = [(key("thread_size"), thread)].into_iter().collect();
        let family_defs: Definitions = [(key("material"), a4_only.clone())].into_iter().collect();
        let schema = ResolvedSchema::resolve([
            (Level::Category { category_id: root, depth: 0 }, &root_defs),
            (Level::Category { category_id: leaf, depth: 1 }, &leaf_defs),
            (Level::Family { family_id: family }, &family_defs),
        ]);
        let keys: Vec<&str> = schema.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["material", "thread_size"]);
        let resolved = schema.get("material").map(|a| (&a.definition, a.source));
        assert_eq!(resolved, Some((&a4_only, Level::Family { family_id: family })));
    }
}

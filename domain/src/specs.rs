//! Product specs: checking raw JSON values against a resolved schema, and the typed values that
//! come out (numbers kept as given and normalized to their family's base unit).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::attributes::{anchored_matcher, AttributeDefinition, AttributeKey, AttributeType, ResolvedSchema};
use crate::error::FieldError;
use crate::units::{tidy, Unit};

/// A number as given, and normalized to the base unit of its measurement family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    pub base_value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_unit: Option<Unit>,
}

/// A stored spec value. The attribute's definition says which kind a string is (text or select).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SpecValue {
    Boolean(bool),
    Number(Quantity),
    Text(String),
    List(Vec<String>),
}

/// By the JSON's own kind, read once (an untagged derive would buffer each value and try the
/// variants in turn; a replay reads millions of them).
impl<'de> Deserialize<'de> for SpecValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        use serde::de::{MapAccess, SeqAccess, Visitor};

        struct Kind;
        impl<'de> Visitor<'de> for Kind {
            type Value = SpecValue;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a boolean, a quantity {value, unit?, base_value, base_unit?}, a string or a list of strings",
                )
            }

            fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<SpecValue, E> {
                Ok(SpecValue::Boolean(value))
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<SpecValue, E> {
                Ok(SpecValue::Text(value.to_owned()))
            }

            fn visit_string<E: serde::de::Error>(self, value: String) -> Result<SpecValue, E> {
                Ok(SpecValue::Text(value))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<SpecValue, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(items)).map(SpecValue::List)
            }

            fn visit_map<A: MapAccess<'de>>(self, fields: A) -> Result<SpecValue, A::Error> {
                Quantity::deserialize(MapAccessDeserializer::new(fields)).map(SpecValue::Number)
            }
        }
        deserializer.deserialize_any(Kind)
    }
}

impl SpecValue {
    /// The value in the form a client sends it, so that stored specs can be checked again.
    pub fn to_input(&self) -> Value {
        match self {
            SpecValue::Boolean(b) => Value::Bool(*b),
            SpecValue::Number(q) => match q.unit {
                Some(unit) => serde_json::json!({ "value": q.value, "unit": unit }),
                None => serde_json::json!(q.value),
            },
            SpecValue::Text(s) => Value::String(s.clone()),
            SpecValue::List(items) => serde_json::json!(items),
        }
    }
}

pub type Specs = IndexMap<AttributeKey, SpecValue>;

/// Checks every given spec and every required attribute; all failures are reported together,
/// each under `specs.<key>`. The result follows the schema's order.
pub fn validate_specs(
    schema: &ResolvedSchema,
    input: &serde_json::Map<String, Value>,
) -> Result<Specs, Vec<FieldError>> {
    let mut errors = Vec::new();
    for key in input.keys() {
        if schema.get(key).is_none() {
            errors.push(FieldError::new(
                format!("specs.{key}"),
                "unknown_attribute",
                format!("{key:?} is not an attribute of this product's family or its categories"),
            ));
        }
    }
    let mut specs = Specs::new();
    for attribute in schema.iter() {
        let field = format!("specs.{}", attribute.key);
        match input.get(attribute.key.as_str()) {
            None | Some(Value::Null) => {
                if attribute.definition.required {
                    errors.push(FieldError::new(
                        field,
                        "required",
                        format!("{} is required", attribute.definition.label),
                    ));
                }
            }
            Some(raw) => match check_value(&attribute.definition, raw) {
                Ok(value) => {
                    specs.insert(attribute.key.clone(), value);
                }
                Err(e) => errors.push(e.within(&field)),
            },
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors)
    }
}

fn type_error(definition: &AttributeDefinition, expected: &str) -> FieldError {
    FieldError::new("", "invalid_type", format!("{} must be {expected}", definition.label))
}

/// Checks one raw value against one definition.
pub fn check_value(definition: &AttributeDefinition, raw: &Value) -> Result<SpecValue, FieldError> {
    match definition.kind {
        AttributeType::Boolean => {
            raw.as_bool().map(SpecValue::Boolean).ok_or_else(|| type_error(definition, "true or false"))
        }
        AttributeType::Text => {
            let text = raw.as_str().ok_or_else(|| type_error(definition, "text"))?.trim();
            if text.is_empty() || text.chars().count() > 1000 {
                return Err(FieldError::new(
                    "",
                    "invalid_length",
                    format!("{} must be 1 to 1000 characters", definition.label),
                ));
            }
            if let Some(pattern) = &definition.regex {
                let matches = anchored_matcher(pattern).map(|re| re.is_match(text)).unwrap_or(false);
                if !matches {
                    return Err(FieldError::new(
                        "",
                        "pattern_mismatch",
                        format!("{} {text:?} does not have the expected format", definition.label),
                    ));
                }
            }
            Ok(SpecValue::Text(text.to_owned()))
        }
        AttributeType::Select => {
            let text = raw.as_str().ok_or_else(|| type_error(definition, "one of the listed options"))?;
            find_option(definition, text).map(SpecValue::Text)
        }
        AttributeType::MultiSelect => {
            let items = raw.as_array().ok_or_else(|| type_error(definition, "a list of the listed options"))?;
            let mut chosen: Vec<String> = Vec::with_capacity(items.len());
            for item in items {
                let text = item.as_str().ok_or_else(|| type_error(definition, "a list of the listed options"))?;
                let option = find_option(definition, text)?;
                if chosen.contains(&option) {
                    return Err(FieldError::new("", "duplicate_option", format!("{option:?} is chosen twice")));
                }
                chosen.push(option);
            }
            if chosen.is_empty() {
                return Err(FieldError::new("", "invalid_length", format!("choose at least one {}", definition.label)));
            }
            Ok(SpecValue::List(chosen))
        }
        AttributeType::Number => check_number(definition, raw).map(SpecValue::Number),
    }
}

/// Options match without regard to case; the stored value is the option as defined.
fn find_option(definition: &AttributeDefinition, text: &str) -> Result<String, FieldError> {
    let text = text.trim();
    definition
        .options
        .iter()
        .find(|o| o.as_str() == text)
        .or_else(|| definition.options.iter().find(|o| o.to_lowercase() == text.to_lowercase()))
        .cloned()
        .ok_or_else(|| {
            let shown: Vec<&str> = definition.options.iter().take(20).map(String::as_str).collect();
            FieldError::new(
                "",
                "invalid_option",
                format!("{text:?} is not an option of {}; choose one of: {}", definition.label, shown.join(", ")),
            )
        })
}

fn check_number(definition: &AttributeDefinition, raw: &Value) -> Result<Quantity, FieldError> {
    let expected = match definition.unit {
        Some(unit) => {
            format!("a number, or {{\"value\": n, \"unit\": \"{unit}\"}} in any {} unit", unit.dimension().name())
        }
        None => "a number".to_owned(),
    };
    let (value, given_unit) = match raw {
        Value::Number(n) => (n.as_f64(), None),
        Value::Object(map) if map.keys().all(|k| k == "value" || k == "unit") => {
            let unit = match map.get("unit") {
                None | Some(Value::Null) => None,
                Some(Value::String(text)) => Some(text.as_str()),
                Some(_) => return Err(type_error(definition, &expected)),
            };
            (map.get("value").and_then(Value::as_f64), unit)
        }
        _ => return Err(type_error(definition, &expected)),
    };
    let value = value.filter(|v| v.is_finite()).ok_or_else(|| type_error(definition, &expected))?;
    let unit = match (definition.unit, given_unit) {
        (None, None) => None,
        (None, Some(text)) => {
            return Err(FieldError::new(
                "",
                "unexpected_unit",
                format!("{} takes a plain number, not {text:?}", definition.label),
            ))
        }
        (Some(own), None) => Some(own),
        (Some(own), Some(text)) => {
            let unit = Unit::parse(text).ok_or_else(|| {
                FieldError::new(
                    "",
                    "unknown_unit",
                    format!("{text:?} is not a known unit; {} is measured in {}", definition.label, own),
                )
            })?;
            if unit.dimension() != own.dimension() {
                return Err(FieldError::new(
                    "",
                    "wrong_unit_family",
                    format!("{} is a {}, which {unit} does not measure", definition.label, own.dimension().name()),
                ));
            }
            Some(unit)
        }
    };
    let normalize = |v: f64| match (unit, definition.unit) {
        (Some(given), Some(_)) => tidy(given.to_base(v)),
        _ => v,
    };
    let base_value = normalize(value);
    let bound = |v: f64| match definition.unit {
        Some(own) => tidy(own.to_base(v)),
        None => v,
    };
    let shown = |v: f64| match definition.unit {
        Some(own) => format!("{v} {own}"),
        None => v.to_string(),
    };
    if let Some(min) = definition.min.filter(|&m| base_value < bound(m)) {
        return Err(FieldError::new(
            "",
            "below_minimum",
            format!("{} must be at least {}", definition.label, shown(min)),
        ));
    }
    if let Some(max) = definition.max.filter(|&m| base_value > bound(m)) {
        return Err(FieldError::new(
            "",
            "above_maximum",
            format!("{} must be at most {}", definition.label, shown(max)),
        ));
    }
    Ok(Quantity { value, unit, base_value, base_unit: unit.map(|u| u.dimension().base_unit()) })
}

/// One variant-defining value: its canonical form (for the uniqueness of a family's variants) and
/// its SKU segment (readable, in the attribute's own unit).
pub struct VariantPart {
    pub canonical: String,
    pub segment: String,
}

pub fn variant_parts(schema: &ResolvedSchema, specs: &Specs) -> Vec<VariantPart> {
    schema
        .variant_defining()
        .map(|attribute| {
            let value = specs.get(attribute.key.as_str());
            let (canonical, segment) = match value {
                None => ("-".to_owned(), String::new()),
                Some(SpecValue::Boolean(b)) => {
                    (b.to_string(), if *b { attribute.key.to_string() } else { String::new() })
                }
                Some(SpecValue::Number(q)) => {
                    let own = match (q.unit, attribute.definition.unit) {
                        (Some(given), Some(own)) => given.convert(q.value, own).map(tidy).unwrap_or(q.value),
                        _ => q.value,
                    };
                    (format_number(q.base_value), format_number(round_to(own, 3)))
                }
                Some(SpecValue::Text(text)) => (text.to_lowercase(), text.clone()),
                Some(SpecValue::List(items)) => (items.join(",").to_lowercase(), items.join("-")),
            };
            VariantPart { canonical: format!("{}={canonical}", attribute.key), segment: sku_segment(&segment) }
        })
        .collect()
}

/// A value rounded to `decimals` places, for SKUs: 5 hp in kW is 3.728…, its segment "3.728".
fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// Numbers without a trailing ".0": 50 → "50", 50.8 → "50.8".
pub fn format_number(value: f64) -> String {
    let tidy = tidy(value);
    if tidy.fract() == 0.0 && tidy.abs() < 1e15 {
        format!("{}", tidy as i64)
    } else {
        format!("{tidy}")
    }
}

/// Upper case; letters, digits and '.' kept; every run of anything else becomes one '-', so that
/// distinct values stay distinct ("stainless A4" → "STAINLESS-A4", "6205-2RS" → "6205-2RS").
fn sku_segment(text: &str) -> String {
    let mut segment = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            segment.push(c.to_ascii_uppercase());
        } else if !segment.is_empty() && !segment.ends_with('-') {
            segment.push('-');
        }
    }
    segment.trim_end_matches('-').chars().take(24).collect()
}

#[cfg(test)]
mod tests;

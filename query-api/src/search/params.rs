//! The query string of `GET /v1/search`, read and checked: every problem is reported at once, each
//! naming its parameter (422), and `per_page` above the cap is clamped rather than refused. `q`
//! is held to the bounds of `SearchQuery` (as suggest's is).

use domain::search::SearchQuery;
use domain::units::{tidy, Unit};
use domain::{AttributeType, FieldError};
use uuid::Uuid;

use super::schema::{Filterable, Filterables};

pub const PER_PAGE_DEFAULT: u32 = 20;
pub const PER_PAGE_MAX: u32 = 100;

/// The parameters as given, before the scope's attributes are known.
#[derive(Debug, Default)]
pub struct Raw {
    pub q: SearchQuery,
    pub category_id: Option<Uuid>,
    pub page: u32,
    pub per_page: u32,
    /// `filter.KEY=V`, in order.
    pub filters: Vec<(String, String)>,
    /// `range.KEY=MIN..MAX`, in order.
    pub ranges: Vec<(String, String)>,
}

/// Reads the query string; `Err` lists every malformed parameter.
pub fn read(query: &str) -> Result<Raw, Vec<FieldError>> {
    let mut raw = Raw { page: 1, per_page: PER_PAGE_DEFAULT, ..Raw::default() };
    let mut errors = Vec::new();
    let mut q = String::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let (name, value) = (name.into_owned(), value.into_owned());
        if let Some(key) = name.strip_prefix("filter.") {
            raw.filters.push((key.to_owned(), value));
        } else if let Some(key) = name.strip_prefix("range.") {
            raw.ranges.push((key.to_owned(), value));
        } else {
            match name.as_str() {
                "q" => q = value,
                "category_id" => match Uuid::parse_str(value.trim()) {
                    Ok(id) => raw.category_id = Some(id),
                    Err(_) => errors.push(FieldError::new(
                        "category_id",
                        "invalid_uuid",
                        format!("{value:?} is not a UUID; give the id of a category"),
                    )),
                },
                "page" => match value.trim().parse::<u32>() {
                    Ok(page) if page >= 1 => raw.page = page,
                    _ => errors.push(FieldError::new(
                        "page",
                        "invalid_page",
                        format!("{value:?} is not a page number: pages count from 1"),
                    )),
                },
                "per_page" => match value.trim().parse::<u32>() {
                    Ok(n) if n >= 1 => raw.per_page = n.min(PER_PAGE_MAX),
                    _ => errors.push(FieldError::new(
                        "per_page",
                        "invalid_per_page",
                        format!("{value:?} is not a page size: give 1 to {PER_PAGE_MAX} (larger sizes are capped)"),
                    )),
                },
                _ => errors.push(FieldError::new(
                    &name,
                    "unknown_parameter",
                    format!(
                        "{name:?} is not a search parameter: use q, category_id, page, per_page, filter.KEY \
                         and range.KEY"
                    ),
                )),
            }
        }
    }
    match SearchQuery::parse("q", &q) {
        Ok(query) => raw.q = query,
        Err(error) => errors.push(error),
    }
    if errors.is_empty() {
        Ok(raw)
    } else {
        Err(errors)
    }
}

/// A filter on one attribute, ready for SQL.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// The product's facet entries (`key=value`, see the read model's `products.facets`) hold one
    /// of these: OR within a key.
    OneOf(Vec<String>),
    /// The normalized value lies within the bounds (inclusive).
    Between { min: f64, max: f64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    pub key: String,
    pub condition: Condition,
}

/// `filter.KEY` and `range.KEY` checked against the scope's filterable attributes; AND across
/// keys. A key given both as a filter and as a range is refused.
pub fn filters(raw: &Raw, attributes: &Filterables) -> Result<Vec<Filter>, Vec<FieldError>> {
    let mut filters: Vec<Filter> = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in &raw.filters {
        let field = format!("filter.{key}");
        let Some(attribute) = known(key, &field, attributes, &mut errors) else { continue };
        match filter_value(attribute, value) {
            Ok(condition) => match filters.iter_mut().find(|f| &f.key == key) {
                Some(Filter { condition: Condition::OneOf(values), .. }) => {
                    if let Condition::OneOf(more) = condition {
                        values.extend(more);
                    } else {
                        errors.push(FieldError::new(&field, "mixed_filter", "give a number filter once"));
                    }
                }
                Some(_) => errors.push(FieldError::new(&field, "mixed_filter", "give a number filter once")),
                None => filters.push(Filter { key: key.clone(), condition }),
            },
            Err(message) => errors.push(FieldError::new(&field, "invalid_filter_value", message)),
        }
    }
    for (key, value) in &raw.ranges {
        let field = format!("range.{key}");
        let Some(attribute) = known(key, &field, attributes, &mut errors) else { continue };
        if attribute.kind != AttributeType::Number {
            errors.push(FieldError::new(
                &field,
                "not_a_number",
                format!("{key} is a {} attribute: use filter.{key}=VALUE", attribute.kind.name()),
            ));
            continue;
        }
        if filters.iter().any(|f| &f.key == key) {
            errors.push(FieldError::new(&field, "mixed_filter", format!("{key} is filtered already")));
            continue;
        }
        match range(attribute, value) {
            Ok((min, max)) => filters.push(Filter { key: key.clone(), condition: Condition::Between { min, max } }),
            Err(message) => errors.push(FieldError::new(&field, "invalid_range", message)),
        }
    }
    if errors.is_empty() {
        Ok(filters)
    } else {
        Err(errors)
    }
}

fn known<'a>(
    key: &str,
    field: &str,
    attributes: &'a Filterables,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Filterable> {
    let found = attributes.get(key);
    if found.is_none() {
        let keys = attributes.keys();
        errors.push(FieldError::new(
            field,
            "unknown_filter",
            if keys.is_empty() {
                format!("{key:?} is not a filterable attribute here: nothing in this scope is filterable")
            } else {
                format!("{key:?} is not a filterable attribute here; these are: {}", keys.join(", "))
            },
        ));
    }
    found
}

/// One `filter.KEY` value as the condition it stands for.
fn filter_value(attribute: &Filterable, value: &str) -> Result<Condition, String> {
    let key = &attribute.key;
    let value = value.trim();
    match attribute.kind {
        AttributeType::Select | AttributeType::MultiSelect => {
            let option = attribute
                .options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(value))
                .ok_or_else(|| format!("{value:?} is not an option of {key}: {}", attribute.options.join(", ")))?;
            Ok(Condition::OneOf(vec![format!("{key}={option}")]))
        }
        AttributeType::Boolean => {
            let flag = match value.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => return Err(format!("{key} is yes or no: give true or false, not {value:?}")),
            };
            Ok(Condition::OneOf(vec![format!("{key}={flag}")]))
        }
        AttributeType::Text => Ok(Condition::OneOf(vec![format!("{key}={value}")])),
        AttributeType::Number => {
            let exact = quantity(attribute, value)?;
            // Normalized values are rounded to a few significant digits; meet them there.
            let slack = exact.abs() * 1e-9;
            Ok(Condition::Between { min: exact - slack, max: exact + slack })
        }
    }
}

/// `MIN..MAX`, either side left open, each side a number in any unit of the attribute's
/// measurement family (a bare number is in the attribute's own unit); the bounds in the base unit.
fn range(attribute: &Filterable, value: &str) -> Result<(f64, f64), String> {
    let key = &attribute.key;
    let Some((min, max)) = value.split_once("..") else {
        return Err(format!(
            "give the range of {key} as MIN..MAX, e.g. 10..50 or 1/4in..1in; either side may be left out"
        ));
    };
    let (min, max) = (min.trim(), max.trim());
    if min.is_empty() && max.is_empty() {
        return Err(format!("give at least one bound of {key}: MIN.., ..MAX or MIN..MAX"));
    }
    let min = if min.is_empty() { f64::NEG_INFINITY } else { quantity(attribute, min)? };
    let max = if max.is_empty() { f64::INFINITY } else { quantity(attribute, max)? };
    if min > max {
        return Err(format!("the range of {key} is empty: its minimum is above its maximum"));
    }
    // Stored values are tidied; widen by the same rounding.
    Ok((min - min.abs() * 1e-9, max + max.abs() * 1e-9))
}

/// A number with an optional unit ("24", "24V", "0.5 kV", `1/4"`), in the attribute's base unit.
fn quantity(attribute: &Filterable, text: &str) -> Result<f64, String> {
    let key = &attribute.key;
    let text = text.trim();
    let split = text
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || *c == '/' || (*c == '-' && *i == 0)))
        .map_or(text.len(), |(i, _)| i);
    let (number, unit) = (text[..split].trim(), text[split..].trim());
    let value = parse_number(&number.replace(',', ".")).ok_or_else(|| format!("{text:?} is not a number"))?;
    let base = match (unit.is_empty(), attribute.unit) {
        (true, Some(own)) => own.to_base(value),
        (true, None) => value,
        (false, None) => return Err(format!("{key} has no unit: give a bare number, not {text:?}")),
        (false, Some(own)) => {
            let given = Unit::parse(unit).ok_or_else(|| format!("{unit:?} is not a unit Ferrule knows"))?;
            if given.dimension() != own.dimension() {
                return Err(format!(
                    "{key} is a {}: {unit:?} measures {}; use e.g. {}",
                    own.dimension().name(),
                    given.dimension().name(),
                    own.symbol()
                ));
            }
            given.to_base(value)
        }
    };
    Ok(tidy(base))
}

fn parse_number(text: &str) -> Option<f64> {
    let value = match text.split_once('/') {
        Some((n, d)) => {
            let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
            (d != 0.0).then_some(n / d)?
        }
        None => text.parse().ok()?,
    };
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn attribute(kind: AttributeType, unit: Option<&str>) -> Filterable {
        Filterable {
            key: "k".into(),
            label: "K".into(),
            kind,
            unit: unit.and_then(Unit::parse),
            options: vec!["A2".into(), "A4".into()],
        }
    }

    #[test]
    fn per_page_is_capped_and_pages_count_from_one() {
        let raw = read("per_page=10000&page=3&q=m12").unwrap();
        assert_eq!((raw.per_page, raw.page, raw.q.text()), (PER_PAGE_MAX, 3, "m12"));
        let long = "x".repeat(600);
        let errors = read(&format!("per_page=0&page=0&sort=x&category_id=nope&q={long}")).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["per_page", "page", "sort", "category_id", "q"]);
    }

    #[test]
    fn ranges_are_read_in_any_unit_of_the_family() {
        let length = attribute(AttributeType::Number, Some("mm"));
        assert_eq!(range(&length, "10..50").map(|(a, b)| (a.round(), b.round())), Ok((10.0, 50.0)));
        let (min, max) = range(&length, "1/4in..1 in").unwrap();
        assert!((min - 6.35).abs() < 1e-6 && (max - 25.4).abs() < 1e-6, "{min} {max}");
        assert_eq!(range(&length, "..2cm").unwrap().1.round(), 20.0);
        assert!(range(&length, "5..").unwrap().1.is_infinite());
        for bad in ["10-50", "..", "50..10", "10V..20V", "ten..20", "1/0..2"] {
            assert!(range(&length, bad).is_err(), "{bad}");
        }
        let volts = attribute(AttributeType::Number, Some("V"));
        assert!((quantity(&volts, "0.024 kV").unwrap() - 24.0).abs() < 1e-9);
    }

    #[test]
    fn select_values_must_be_options_and_meet_as_stored() {
        let select = attribute(AttributeType::Select, None);
        assert_eq!(filter_value(&select, "a4"), Ok(Condition::OneOf(vec!["k=A4".into()])));
        assert!(filter_value(&select, "A5").is_err());
        let multi = attribute(AttributeType::MultiSelect, None);
        assert_eq!(filter_value(&multi, "A2"), Ok(Condition::OneOf(vec!["k=A2".into()])));
        let flag = attribute(AttributeType::Boolean, None);
        assert_eq!(filter_value(&flag, "yes"), Ok(Condition::OneOf(vec!["k=true".into()])));
        assert!(filter_value(&flag, "maybe").is_err());
    }
}

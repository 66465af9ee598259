//! Small checked values: display names, family codes, SKUs, external ids.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::events::StreamType;

/// What `parse_name` takes, as an ECMA-262 (and Python) regular expression for the OpenAPI
/// documents: no control character (Unicode Cc) and at least one that is not white space.
pub const NAME_PATTERN: &str =
    "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";

/// A display name: 1 to `max` characters as sent (so that the documents' `maxLength` says it
/// exactly), not only white space, no control characters; stored trimmed.
pub fn parse_name(field: &str, text: &str, max: usize) -> Result<String, FieldError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid_name",
            format!("{field} must be 1 to {max} characters, without control characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A family's short code used as the first part of generated SKUs: 1 to 16 of A–Z and 0–9.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FamilyCode(String);

impl FamilyCode {
    pub const MAX: usize = 16;
    /// How many codes `candidates` offers for one name: the derived one and 99 suffixed ones.
    pub const CANDIDATES: usize = 100;

    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let ok =
            (1..=Self::MAX).contains(&text.len()) && text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if ok {
            Ok(FamilyCode(text.to_owned()))
        } else {
            Err(FieldError::new("code", "invalid_code", "a family code is 1 to 16 characters of A-Z and 0-9"))
        }
    }

    /// A code derived from a family name when none is given. A name whose letters and digits fit
    /// in 16 keeps them all ("DIN 933" → "DIN933", "Bolt kits" → "BOLTKITS"). A longer one is
    /// abbreviated the way the trade abbreviates: words by their initials, while tokens holding a
    /// digit and upper-case abbreviations (DIN, ISO, EN, PTFE) stay whole — "Socket head cap screw
    /// DIN 912" → "SHCSDIN912", "… ISO 4762" → "SHCSISO4762" — and a name with one plain word keeps
    /// that word. What is still too long is cut at 16. Distinct names may still meet on a code: the
    /// caller picks the first free one of `candidates`.
    pub fn derive(name: &str) -> Result<Self, FieldError> {
        let whole: String = ascii_upper(name);
        let code = if whole.len() <= Self::MAX { whole } else { abbreviate(name) };
        let code: String = code.chars().take(Self::MAX).collect();
        FamilyCode::parse(&code).map_err(|_| {
            FieldError::new("code", "invalid_code", "no code can be derived from this name: give a code of A-Z and 0-9")
        })
    }

    /// The codes a name may take, in the order they are tried: the derived code, then the same
    /// with a suffix 2, 3, … (cut to leave room, so always a valid code). A stem that ends in a
    /// digit takes a letter suffix instead (B, C, …, Z, AA, …), so that "DIN933" is followed by
    /// "DIN933B", not the misleading "DIN9332". Empty when no code can be derived. Choosing the
    /// first of these that no family holds (see `family::create`) makes a generated code unique
    /// by construction, and deterministic given the codes taken.
    pub fn candidates(name: &str) -> Vec<FamilyCode> {
        let Ok(base) = FamilyCode::derive(name) else { return Vec::new() };
        let mut found = vec![base.clone()];
        // Cutting the stem can make two suffixes meet ("…0A" + "A" for 27 is the base "…0AA"):
        // those are skipped, so the candidates are distinct.
        for n in 2..10 * Self::CANDIDATES {
            let number = suffixed(&base.0, n.to_string());
            let stem = &number[..number.len() - n.to_string().len()];
            let code =
                if stem.ends_with(|c: char| c.is_ascii_digit()) { suffixed(&base.0, letters(n)) } else { number };
            let code = FamilyCode(code);
            if !found.contains(&code) {
                found.push(code);
            }
            if found.len() == Self::CANDIDATES {
                break;
            }
        }
        found
    }

    /// The form uniqueness is claimed on.
    pub fn claim(&self) -> String {
        format!("family-code:{}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn ascii_upper(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// Initials of plain words; tokens with a digit and upper-case abbreviations whole.
fn abbreviate(name: &str) -> String {
    let tokens: Vec<&str> = name.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    let whole =
        |t: &str| t.chars().any(|c| c.is_ascii_digit()) || (t.len() >= 2 && t.chars().all(|c| c.is_ascii_uppercase()));
    let plain_words = tokens.iter().filter(|t| !whole(t) && !ascii_upper(t).is_empty()).count();
    tokens
        .iter()
        .map(|t| {
            let letters = ascii_upper(t);
            if whole(t) || plain_words == 1 {
                letters
            } else {
                letters.chars().take(1).collect()
            }
        })
        .collect()
}

/// `base` cut so that `suffix` fits within the maximum, then `suffix`.
fn suffixed(base: &str, suffix: String) -> String {
    let stem = &base[..base.len().min(FamilyCode::MAX - suffix.len())];
    format!("{stem}{suffix}")
}

/// `n` in letters as spreadsheets number columns: 2 → B, 26 → Z, 27 → AA.
fn letters(mut n: usize) -> String {
    let mut out = String::new();
    while n > 0 {
        n -= 1;
        out.insert(0, char::from(b'A' + (n % 26) as u8));
        n /= 26;
    }
    out
}

impl TryFrom<String> for FamilyCode {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        FamilyCode::parse(&value).map_err(|e| e.message)
    }
}

impl From<FamilyCode> for String {
    fn from(code: FamilyCode) -> String {
        code.0
    }
}

impl fmt::Display for FamilyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stock-keeping unit: 1 to 64 of letters, digits and `- . _ /`, starting with a letter or
/// digit. Unique across the catalog, compared without case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

impl Sku {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let ok = (1..=64).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_alphanumeric())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || "-._/".contains(c));
        if ok {
            Ok(Sku(text.to_owned()))
        } else {
            Err(FieldError::new(
                "sku",
                "invalid_sku",
                "a SKU is 1 to 64 letters, digits, '-', '.', '_' or '/', starting with a letter or digit",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is checked on.
    pub fn claim(&self) -> String {
        format!("sku:{}", self.0.to_ascii_uppercase())
    }
}

impl TryFrom<String> for Sku {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Sku::parse(&value).map_err(|e| e.message)
    }
}

impl From<Sku> for String {
    fn from(sku: Sku) -> String {
        sku.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id a record has in the source system the catalog is loaded from (an ERP's or a PIM's key):
/// trimmed, 1 to 128 characters, no control characters, otherwise free — source systems spell
/// their keys as they like ("MAT-000123", "4711/A", "Ü 12"), so nothing else is refused, and it is
/// compared exactly as given (no case folding: two systems' keys that differ only in case are two
/// records). Unique per kind (a category and a product may share one) through the event store's
/// claim `external:<kind>:<id>` (`claim`), which also maps it to its stream.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ExternalId(String);

impl ExternalId {
    pub const MAX: usize = 128;

    pub fn parse(text: &str) -> Result<Self, FieldError> {
        // Counted as sent, so that the documents' `maxLength` says it exactly; stored trimmed.
        let trimmed = text.trim();
        if text.chars().count() > Self::MAX {
            return Err(FieldError::new(
                "external_id",
                "external_id_too_long",
                format!("an external id is at most {} characters", Self::MAX),
            ));
        }
        if trimmed.is_empty() || trimmed.chars().any(char::is_control) {
            return Err(FieldError::new(
                "external_id",
                "invalid_external_id",
                format!("an external id is 1 to {} characters, without control characters", Self::MAX),
            ));
        }
        Ok(ExternalId(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The claim that keeps it unique among the streams of `kind` and names the stream holding it.
    pub fn claim(&self, kind: StreamType) -> String {
        format!("external:{}:{}", kind.as_str(), self.0)
    }
}

/// Gives a stream of `kind` an external id, changes or removes it (`None`), from `current`:
/// nothing when it already has that one. The event store moves the claim with it.
pub fn change_external_id(
    stream_id: uuid::Uuid,
    kind: StreamType,
    current: Option<&ExternalId>,
    given: Option<&str>,
) -> Result<Vec<crate::NewEvent>, crate::DomainError> {
    let to = parse_external_id(given).map_err(|e| crate::DomainError::Invalid(vec![e]))?;
    if to.as_ref() == current {
        return Ok(Vec::new());
    }
    let event = crate::Event::ExternalIdChanged { external_id: crate::Change { from: current.cloned(), to } };
    Ok(vec![crate::NewEvent { stream_id, stream_type: kind, event }])
}

/// An optional external id from a command's text.
pub fn parse_external_id(text: Option<&str>) -> Result<Option<ExternalId>, FieldError> {
    text.map(ExternalId::parse).transpose()
}

impl TryFrom<String> for ExternalId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ExternalId::parse(&value).map_err(|e| e.message)
    }
}

impl From<ExternalId> for String {
    fn from(id: ExternalId) -> String {
        id.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn family_codes_derive_from_names() {
        assert_eq!(FamilyCode::derive("DIN 933").map(|c| c.0), Ok("DIN933".to_owned()));
        assert!(FamilyCode::derive("—").is_err());
    }

    #[test]
    fn external_ids_are_trimmed_and_refused_with_a_code() {
        assert_eq!(ExternalId::parse("  MAT-000123 ").map(|e| e.0), Ok("MAT-000123".to_owned()));
        assert_eq!(ExternalId::parse("Ü 12/A").map(|e| e.0), Ok("Ü 12/A".to_owned()));
        let code = |text: &str| ExternalId::parse(text).err().map(|e| e.code);
        assert_eq!(code("   ").as_deref(), Some("invalid_external_id"));
        assert_eq!(code("a\tb").as_deref(), Some("invalid_external_id"));
        assert_eq!(code(&"x".repeat(129)).as_deref(), Some("external_id_too_long"));
        assert_eq!(code(&"é".repeat(128)), None);
        let id = ExternalId::parse("P-1").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(id.claim(StreamType::Product), "external:product:P-1");
    }

    proptest! {
        #[test]
        fn parsed_external_ids_are_trimmed_bounded_and_stable(text in "\\PC{0,200}") {
            if let Ok(id) = ExternalId::parse(&text) {
                prop_assert_eq!(id.as_str().trim(), id.as_str());
                prop_assert!(!id.as_str().is_empty() && id.as_str().chars().count() <= ExternalId::MAX);
                prop_assert_eq!(ExternalId::parse(id.as_str()), Ok(id.clone()));
            }
        }

        #[test]
        fn parsed_skus_round_trip_and_never_hold_spaces(text in "\\PC{0,80}") {
            if let Ok(sku) = Sku::parse(&text) {
                prop_assert_eq!(sku.as_str(), text.as_str());
                prop_assert!(!sku.as_str().contains(char::is_whitespace));
            }
        }

        #[test]
        fn names_are_trimmed_and_bounded(text in "\\PC{0,300}") {
            if let Ok(name) = parse_name("name", &text, 200) {
                prop_assert_eq!(name.trim(), name.as_str());
                prop_assert!(!name.is_empty() && name.chars().count() <= 200);
            }
        }
    }
}

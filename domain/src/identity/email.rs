//! Email addresses as users are kept unique and found by: one normalized form, so that addresses
//! that look alike are one address (full-width `ｃｅｏ@x.com` is `ceo@x.com`) or are refused
//! (`ceo-аdmin@x.com` with a Cyrillic `а`, or one hiding a zero-width space).

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_script::{Script, UnicodeScript};
use unicode_security::MixedScript;

use crate::error::FieldError;

pub const EMAIL_MAX: usize = 254;
const LOCAL_MAX: usize = 64;

/// An email address, normalized: NFKC, Unicode case folding, trimmed. Users are looked up and
/// kept unique by this form (the event store's `email:` claim).
///
/// Deserializing takes the stored text as it is: users created before addresses were
/// normalized keep the trimmed, lower-cased form they were stored in (see `login_claims`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// `local@domain.tld` after normalization: one '@', no spaces, control, invisible, private-use
    /// or unassigned characters, a dot in the domain, at most 254 characters (64 before the '@'),
    /// and one script in the part before the '@' and one in the domain (digits and punctuation
    /// such as `.`, `-`, `+` belong to every script).
    pub fn parse(field: &str, text: &str) -> Result<Email, FieldError> {
        if let Some(c) = text.chars().find(|&c| is_invisible(c)) {
            return Err(FieldError::new(
                field,
                "invisible_character",
                format!(
                    "{field} contains an invisible character (U+{:04X}), which would make it look like another \
                     address; type it without one",
                    u32::from(c)
                ),
            ));
        }
        let email = normalized(text);
        let bad = || {
            FieldError::new(field, "invalid_email", format!("{field} must be an email address like name@example.com"))
        };
        if email.chars().count() > EMAIL_MAX || email.chars().any(|c| c.is_whitespace() || is_unusable(c)) {
            return Err(bad());
        }
        let (local, domain) = email.split_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if local.is_empty() || local.chars().count() > LOCAL_MAX || !domain_ok {
            return Err(bad());
        }
        for (part, name) in [(local, "the part before the '@'"), (domain, "the domain")] {
            if !part.is_single_script() {
                return Err(FieldError::new(
                    field,
                    "mixed_script",
                    format!(
                        "{name} of {field} mixes {} letters, as look-alike addresses do; use one script in it",
                        scripts(part).join(" and ")
                    ),
                ));
            }
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The event store claim that keeps the address unique across users.
    pub fn claim(&self) -> String {
        format!("email:{}", self.0)
    }

    /// The claims a login looks `text` up by, in order: its normalized form, then the trimmed,
    /// lower-cased form addresses were stored in before they were normalized, when that differs
    /// (so that nobody created then is locked out; the password decides as always).
    pub fn login_claims(text: &str) -> Vec<String> {
        let legacy = format!("email:{}", text.trim().to_lowercase());
        let mut claims: Vec<String> = Email::parse("email", text).map(|email| email.claim()).into_iter().collect();
        if !claims.contains(&legacy) && text.contains('@') {
            claims.push(legacy);
        }
        claims
    }
}

/// NFKC (compatibility forms become plain ones: full-width letters, ligatures, the Kelvin sign),
/// trimmed, case-folded (Unicode's full folding: `ß` is `ss`), and NFKC again, since folding may
/// leave a string that composes. An ASCII address becomes its trimmed lower case.
pub(crate) fn normalized(text: &str) -> String {
    let compatible: String = text.nfkc().collect();
    caseless::default_case_fold_str(compatible.trim()).nfkc().collect()
}

/// Characters that show nothing, or change how their neighbours show, yet make another string:
/// Default_Ignorable_Code_Point (zero-width spaces and joiners, bidi controls, the soft hyphen,
/// variation selectors, Hangul fillers, tags, …) and every other format character (Cf).
pub(crate) fn is_invisible(c: char) -> bool {
    let ignorable = DEFAULT_IGNORABLE
        .binary_search_by(|&(from, to)| {
            if c < from {
                std::cmp::Ordering::Greater
            } else if c > to {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok();
    ignorable || c.general_category() == GeneralCategory::Format
}

/// Characters no address is written with: controls, private use and unassigned code points.
fn is_unusable(c: char) -> bool {
    c.is_control() || matches!(c.general_category(), GeneralCategory::PrivateUse | GeneralCategory::Unassigned)
}

/// The scripts of `part`'s characters, in order of appearance. Common and Inherited ones (digits,
/// punctuation, combining marks) belong to none, unless only some scripts use them (Arabic-Indic
/// digits): then the first of those names them.
fn scripts(part: &str) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for c in part.chars() {
        let script = match c.script() {
            Script::Common | Script::Inherited => c.script_extension().iter().next(),
            script => Some(script),
        };
        match script {
            Some(Script::Common | Script::Inherited) | None => {}
            Some(script) if names.contains(&script.full_name()) => {}
            Some(script) => names.push(script.full_name()),
        }
    }
    names
}

/// Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt), as sorted inclusive ranges.
const DEFAULT_IGNORABLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

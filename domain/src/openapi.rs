//! OpenAPI schemas of the checked values that appear in bodies, stating exactly what their parsers
//! accept, so that a request the document calls valid is one the domain takes (behind the
//! `openapi` feature; the domain itself never uses them).

use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{Object, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::commerce::country::ALPHA_2;
use crate::commerce::money::{Currency, Quantity, CODES, QUANTITY_MAX};
use crate::names::NAME_PATTERN;

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("An active ISO 4217 currency code, upper case"))
            .enum_values(Some(CODES.split(' ')))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for Currency {}

impl PartialSchema for Quantity {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int32)))
            .description(Some("A number of units"))
            .minimum(Some(1))
            .maximum(Some(QUANTITY_MAX))
            .into()
    }
}

impl ToSchema for Quantity {}

/// A display name as `names::parse_name` takes it: 1 to `max` characters, no control
/// characters, not only white space (it is stored trimmed).
pub fn name(max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(NAME_PATTERN))
        .build()
}

/// An assigned ISO 3166-1 alpha-2 country code, in any case as sent (`de` and `DE` both name
/// Germany); spelled out because the user-assigned codes (`ZZ`, `XK`, …) are refused.
pub fn country_input() -> Object {
    let either = |c: char| format!("[{}{}]", c, c.to_ascii_lowercase());
    let codes: Vec<String> = ALPHA_2.iter().map(|code| code.chars().map(either).collect()).collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^\\s*(?:{})\\s*$", codes.join("|"))))
        .examples(["DE"])
        .build()
}

/// An optional name (`line2`, `region` of an address): null, blank (then none), or a name.
fn optional_name(max: usize) -> Schema {
    AnyOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some("^\\s*$")))
        .item(name(max))
        .build()
        .into()
}

pub fn optional_line() -> Schema {
    optional_name(200)
}

pub fn optional_region() -> Schema {
    optional_name(100)
}

/// An assigned ISO 3166-1 alpha-2 country code as answered: upper case.
pub fn country() -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(ALPHA_2)).examples(["DE"]).build()
}

/// The schema functions of the names the domain checks, by their limit (`schema_with` takes a
/// function of no arguments).
pub mod names {
    use utoipa::openapi::Object;

    pub fn max_50() -> Object {
        super::name(50)
    }
    pub fn max_100() -> Object {
        super::name(100)
    }
    pub fn max_200() -> Object {
        super::name(200)
    }
    pub fn max_20() -> Object {
        super::name(20)
    }
    /// An external id (`names::ExternalId::parse`): checked as a name of at most 128 characters.
    pub fn external_id() -> Object {
        super::name(crate::names::ExternalId::MAX)
    }
    /// A name that may be left out or sent as null (both leave it as it is).
    pub fn optional_max_200() -> utoipa::openapi::Schema {
        super::nullable(super::name(200))
    }
    pub fn optional_external_id() -> utoipa::openapi::Schema {
        super::nullable(super::name(crate::names::ExternalId::MAX))
    }
}

/// An email address in the ASCII form every client can send, which `identity::Email::parse`
/// takes: a local part of letters, digits and `._%+-` (1 to 64), and a domain of dot-separated
/// labels that neither start nor end with `-`. The server also takes Unicode addresses (NFKC,
/// case-folded, one script per part), which no portable pattern can state.
pub fn email() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(crate::identity::email::EMAIL_MAX))
        .pattern(Some(EMAIL_PATTERN))
        .examples(["buyer@example.com"])
        .build()
}

pub const EMAIL_PATTERN: &str =
    "^[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$";

/// A password as `identity::check_password` takes it: 12 to 128 characters.
pub fn password() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(crate::identity::PASSWORD_MIN))
        .max_length(Some(crate::identity::PASSWORD_MAX))
        .build()
}

/// The roles of staff users: `admin`, `ops` or the read-only `auditor` (buyers are created under their company).
pub fn staff_role() -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["admin", "ops", "auditor"])).build()
}

/// `schema` or null.
pub fn nullable(schema: Object) -> Schema {
    AnyOfBuilder::new().item(ObjectBuilder::new().schema_type(Type::Null)).item(schema).build().into()
}

/// Media fields as `media::decide` and `MediaType::parse` take them.
pub mod media {
    use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    use utoipa::openapi::{KnownFormat, Object, Schema, SchemaFormat};

    use crate::media::decide::{ALT_MAX, FILENAME_MAX, FILENAME_PATTERN, LANGUAGE_MAX, LANGUAGE_PATTERN, TITLE_MAX};
    use crate::media::types::{MediaKind, MediaRole, MediaType, DECLARED_TYPES};

    /// A file name without a folder: 1 to 255 characters, no `/`, `\` or control characters.
    pub fn filename() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(FILENAME_MAX))
            .pattern(Some(FILENAME_PATTERN))
            .examples(["bolt.jpg"])
            .build()
    }

    /// One of the accepted content types, in any case, with optional parameters (`; charset=…`).
    pub fn content_type() -> Object {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(content_type_pattern(|_| true)))
            .description(Some(
                "image/jpeg, image/png, image/webp, application/pdf, model/step or image/vnd.dxf (and their \
                 common aliases); the bytes must agree",
            ))
            .examples(["image/jpeg"])
            .build()
    }

    /// A pattern matching the declared content types of the media types `wanted` takes, in any
    /// case, with optional parameters.
    fn content_type_pattern(wanted: impl Fn(MediaType) -> bool) -> String {
        let any_case = |name: &str| -> String {
            name.chars()
                .map(|c| match c {
                    'a'..='z' => format!("[{c}{}]", c.to_ascii_uppercase()),
                    '.' | '+' => format!("\\{c}"),
                    _ => c.to_string(),
                })
                .collect()
        };
        let names: Vec<String> =
            DECLARED_TYPES.iter().filter(|(_, found)| wanted(*found)).map(|(name, _)| any_case(name)).collect();
        format!("^\\s*(?:{})\\s*(?:;[\\s\\S]*)?$", names.join("|"))
    }

    /// What an upload's content type decides about the rest of it: one branch per kind of
    /// medium, with the roles that hold that kind and its size limit (images: 20 MiB and
    /// primary, gallery or drawing; documents: 100 MiB and datasheet, certificate or drawing).
    pub fn upload_by_kind() -> Schema {
        let branch = |kind: MediaKind| {
            let max_size = DECLARED_TYPES
                .iter()
                .filter(|(_, found)| found.kind() == kind)
                .map(|(_, found)| found.max_size())
                .max()
                .unwrap_or(0);
            let roles = MediaRole::ALL.iter().filter(|role| role.accepts(kind)).map(|role| role.as_str());
            ObjectBuilder::new()
                .property(
                    "content_type",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(content_type_pattern(|found| found.kind() == kind))),
                )
                .property("role", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(roles)))
                .property(
                    "size",
                    ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(max_size as f64)),
                )
                .required("content_type")
                .required("role")
                .required("size")
                .build()
        };
        OneOfBuilder::new().item(branch(MediaKind::Image)).item(branch(MediaKind::Document)).build().into()
    }

    /// A list's media ids in display order, each once.
    pub fn order() -> Array {
        let id =
            ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        ArrayBuilder::new().items(id).unique_items(true).build()
    }

    pub fn optional_title() -> Schema {
        super::nullable(super::name(TITLE_MAX))
    }

    pub fn optional_alt() -> Schema {
        super::nullable(super::name(ALT_MAX))
    }

    /// A BCP 47 language tag (`de`, `en-GB`), or null.
    pub fn optional_language() -> Schema {
        super::nullable(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(LANGUAGE_MAX))
                .pattern(Some(LANGUAGE_PATTERN))
                .examples(["en-GB"])
                .build(),
        )
    }
}

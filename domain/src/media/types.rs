//! What a medium is: its type as verified from its bytes, its kind and role, who may see it, and
//! the stored object (content-addressed, so the same file twice is one object).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;

/// The content types a client may declare (lower case; `MediaType::parse` ignores case and
/// parameters), with the type each names.
pub const DECLARED_TYPES: &[(&str, MediaType)] = &[
    ("image/jpeg", MediaType::Jpeg),
    ("image/jpg", MediaType::Jpeg),
    ("image/png", MediaType::Png),
    ("image/webp", MediaType::Webp),
    ("application/pdf", MediaType::Pdf),
    ("model/step", MediaType::Step),
    ("application/step", MediaType::Step),
    ("application/p21", MediaType::Step),
    ("model/step+xml", MediaType::Step),
    ("image/vnd.dxf", MediaType::Dxf),
    ("application/dxf", MediaType::Dxf),
    ("image/x-dxf", MediaType::Dxf),
];

/// The file types Ferrule accepts, each recognised by its magic bytes. Everything else (SVG, HTML,
/// TIFF, archives) is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MediaType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "application/pdf")]
    Pdf,
    /// STEP (ISO 10303-21) 3D models, kept as opaque files.
    #[serde(rename = "model/step")]
    Step,
    /// DXF drawings, kept as opaque files.
    #[serde(rename = "image/vnd.dxf")]
    Dxf,
}

impl MediaType {
    pub const ALL: [MediaType; 6] =
        [MediaType::Jpeg, MediaType::Png, MediaType::Webp, MediaType::Pdf, MediaType::Step, MediaType::Dxf];

    /// The canonical content type, stored as the object's `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Pdf => "application/pdf",
            MediaType::Step => "model/step",
            MediaType::Dxf => "image/vnd.dxf",
        }
    }

    /// The extension of its content-addressed key.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Webp => "webp",
            MediaType::Pdf => "pdf",
            MediaType::Step => "step",
            MediaType::Dxf => "dxf",
        }
    }

    pub fn kind(self) -> MediaKind {
        match self {
            MediaType::Jpeg | MediaType::Png | MediaType::Webp => MediaKind::Image,
            MediaType::Pdf | MediaType::Step | MediaType::Dxf => MediaKind::Document,
        }
    }

    /// Whether browsers must download rather than render it (opaque CAD files).
    pub fn download_only(self) -> bool {
        matches!(self, MediaType::Step | MediaType::Dxf)
    }

    /// A content type as a client declares it (case and parameters such as `; charset` ignored;
    /// the common aliases of STEP and DXF accepted).
    pub fn parse(field: &str, declared: &str) -> Result<MediaType, FieldError> {
        let essence = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match DECLARED_TYPES.iter().find(|(name, _)| *name == essence) {
            Some(&(_, found)) => Ok(found),
            None => Err(FieldError::new(
                field,
                "unsupported_type",
                format!(
                    "{declared:?} is not accepted; images are image/jpeg, image/png or image/webp, documents \
                     application/pdf, model/step or image/vnd.dxf"
                ),
            )),
        }
    }

    /// The largest object of this type accepted, in bytes: 20 MiB for images, 100 MiB for
    /// documents.
    pub fn max_size(self) -> u64 {
        match self.kind() {
            MediaKind::Image => 20 * 1024 * 1024,
            MediaKind::Document => 100 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Document,
}

/// What a medium is for on the product page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MediaRole {
    /// The image shown in lists and search (at most one per owner).
    Primary,
    Gallery,
    Datasheet,
    Certificate,
    Drawing,
}

impl MediaRole {
    pub const ALL: [MediaRole; 5] =
        [MediaRole::Primary, MediaRole::Gallery, MediaRole::Datasheet, MediaRole::Certificate, MediaRole::Drawing];

    /// The kind of medium this role holds. A drawing may be an image or a document.
    pub fn accepts(self, kind: MediaKind) -> bool {
        match self {
            MediaRole::Primary | MediaRole::Gallery => kind == MediaKind::Image,
            MediaRole::Datasheet | MediaRole::Certificate => kind == MediaKind::Document,
            MediaRole::Drawing => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MediaRole::Primary => "primary",
            MediaRole::Gallery => "gallery",
            MediaRole::Datasheet => "datasheet",
            MediaRole::Certificate => "certificate",
            MediaRole::Drawing => "drawing",
        }
    }
}

/// Who may fetch a medium: anyone (served from the public or CDN base URL), or signed-in buyers
/// and staff only (short-lived presigned downloads, e.g. certificates).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Public,
    Buyers,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OwnerType {
    Product,
    Family,
}

/// What a medium belongs to: a product, or a family (whose media serve all its variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaOwner {
    #[serde(rename = "type")]
    pub owner_type: OwnerType,
    pub id: Uuid,
}

/// A verified object in the bucket, as recorded in the event that attached it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredObject {
    /// Content-addressed: `media/sha256/ab/cd/<sha256>.<ext>`.
    pub key: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: u64,
    /// The type found in its bytes (which agreed with the declared one).
    pub media_type: MediaType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// The encodings of image variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VariantFormat {
    Webp,
    Jpeg,
}

impl VariantFormat {
    pub fn mime(self) -> &'static str {
        match self {
            VariantFormat::Webp => "image/webp",
            VariantFormat::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpg",
        }
    }
}

/// One resized rendition of an image (sRGB, metadata stripped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    /// `variants/v<spec>/<sha256>/<width>.<ext>`.
    pub key: String,
    pub size: u64,
}

/// The content-addressed key of an object: the same bytes always land on the same key.
pub fn content_key(sha256: &str, media_type: MediaType) -> String {
    let (a, b) = (sha256.get(0..2).unwrap_or("00"), sha256.get(2..4).unwrap_or("00"));
    format!("media/sha256/{a}/{b}/{sha256}.{}", media_type.extension())
}

/// The key of one variant of the image with this SHA-256.
pub fn variant_key(spec: u16, sha256: &str, width: u32, format: VariantFormat) -> String {
    format!("variants/v{spec}/{sha256}/{width}.{}", format.extension())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_type_is_read_without_case_or_parameters() {
        assert_eq!(MediaType::parse("content_type", "Image/JPEG; q=1"), Ok(MediaType::Jpeg));
        assert_eq!(MediaType::parse("content_type", "application/p21"), Ok(MediaType::Step));
        let refused = MediaType::parse("content_type", "image/svg+xml").err().unwrap();
        assert_eq!(refused.code, "unsupported_type");
    }

    #[test]
    fn every_type_serializes_as_its_canonical_content_type() {
        for t in MediaType::ALL {
            assert_eq!(serde_json::to_value(t).unwrap(), serde_json::json!(t.mime()));
            assert_eq!(MediaType::parse("t", t.mime()), Ok(t));
        }
    }

    #[test]
    fn content_keys_fan_out_by_the_first_bytes_of_the_hash() {
        let sha = "ab12".to_owned() + &"0".repeat(60);
        assert_eq!(content_key(&sha, MediaType::Pdf), format!("media/sha256/ab/12/{sha}.pdf"));
        assert_eq!(variant_key(1, &sha, 160, VariantFormat::Webp), format!("variants/v1/{sha}/160.webp"));
    }

    #[test]
    fn roles_hold_the_kinds_they_are_for() {
        assert!(MediaRole::Primary.accepts(MediaKind::Image));
        assert!(!MediaRole::Primary.accepts(MediaKind::Document));
        assert!(!MediaRole::Datasheet.accepts(MediaKind::Image));
        assert!(MediaRole::Drawing.accepts(MediaKind::Image) && MediaRole::Drawing.accepts(MediaKind::Document));
    }
}

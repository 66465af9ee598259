//! Whether an uploaded image is what it claims and safe to keep: its magic bytes agree with the
//! declared type, its header stays within the decoding limits (decompression bombs are refused
//! before anything is allocated), and it decodes completely.

use std::io::Cursor;

use domain::media::{MediaKind, MediaType};
use image::{ImageError, ImageFormat, ImageReader};

/// Images larger than this on either side are refused.
pub const MAX_SIDE: u32 = 12_000;
/// Images smaller than this on either side are refused (no storefront use, and a common sign of
/// a tracking pixel or a broken export).
pub const MIN_SIDE: u32 = 16;
/// The most a decode may allocate: 40 MP in RGBA is about 160 MiB.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// Why an image upload is refused (a 422 for the client, with `code` as its reason).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the file is not a valid image")]
    NotAnImage,
    #[error("the file was declared as {} but its content is {}", declared.mime(), found.map_or("of no accepted type", MediaType::mime))]
    TypeMismatch { declared: MediaType, found: Option<MediaType> },
    /// Beyond the decoding limits (a decompression bomb, or simply too many pixels).
    #[error("the image is too large to decode: {0}")]
    TooLarge(String),
    #[error("the image is truncated or corrupt: {0}")]
    Corrupt(String),
    #[error("the image is {width}×{height} pixels; at least {MIN_SIDE}×{MIN_SIDE} are needed")]
    TooSmall { width: u32, height: u32 },
}

impl Refusal {
    /// The machine-readable reason of the 422 problem.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotAnImage => "not_a_valid_image",
            Refusal::TypeMismatch { .. } => "content_mismatch",
            Refusal::TooLarge(_) => "image_too_large",
            Refusal::Corrupt(_) => "truncated_or_corrupt",
            Refusal::TooSmall { .. } => "image_too_small",
        }
    }
}

/// The decoding limits of every image Ferrule reads (verification and variants).
pub fn limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

/// The `image` format of an image type; None for documents.
pub(crate) fn image_format(media_type: MediaType) -> Option<ImageFormat> {
    match media_type {
        MediaType::Jpeg => Some(ImageFormat::Jpeg),
        MediaType::Png => Some(ImageFormat::Png),
        MediaType::Webp => Some(ImageFormat::WebP),
        MediaType::Pdf | MediaType::Step | MediaType::Dxf => None,
    }
}

/// An image error as a refusal: limits are a bomb (or too large), anything else is corrupt.
pub(crate) fn refusal(err: ImageError) -> Refusal {
    match err {
        ImageError::Limits(limit) => Refusal::TooLarge(limit.to_string()),
        ImageError::Unsupported(unsupported) => Refusal::Corrupt(unsupported.to_string()),
        other => Refusal::Corrupt(other.to_string()),
    }
}

/// A reader of `bytes` as `format` with Ferrule's limits.
pub(crate) fn reader(bytes: &[u8], format: ImageFormat) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    reader
}

/// Checks an uploaded image declared as `declared` and answers its width and height. The header
/// is checked first (type, dimensions, limits), then the whole image is decoded. CPU-bound: run
/// it in `spawn_blocking`.
pub fn verify_image(bytes: &[u8], declared: MediaType) -> Result<(u32, u32), Refusal> {
    let Some(format) = image_format(declared).filter(|_| declared.kind() == MediaKind::Image) else {
        return Err(Refusal::NotAnImage);
    };
    let found = crate::sniff::sniff(bytes);
    if found != Some(declared) {
        return Err(match found {
            None => Refusal::NotAnImage,
            Some(found) => Refusal::TypeMismatch { declared, found: Some(found) },
        });
    }
    let (width, height) = reader(bytes, format).into_dimensions().map_err(refusal)?;
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(Refusal::TooSmall { width, height });
    }
    if declared == MediaType::Jpeg && !jpeg_is_complete(bytes) {
        return Err(Refusal::Corrupt("the JPEG ends before its end-of-image marker".to_owned()));
    }
    reader(bytes, format).decode().map_err(refusal)?;
    Ok((width, height))
}

/// Whether the last scan of a JPEG is followed by its end-of-image marker (FF D9). The JPEG
/// decoder fills a truncated scan with grey rather than failing; entropy-coded data never
/// contains FF D9 (an FF there is followed by 00 or a restart marker), so the marker after the
/// last start-of-scan (FF DA) is the real end of the image.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let Some(last_scan) = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]) else {
        return false;
    };
    bytes[last_scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::demo;

    #[test]
    fn a_generated_photo_is_verified_with_its_dimensions() {
        let jpeg = demo::bearing_jpeg(320, 240, 7);
        assert_eq!(verify_image(&jpeg, MediaType::Jpeg), Ok((320, 240)));
        let png = demo::drawing_png(64, 48);
        assert_eq!(verify_image(&png, MediaType::Png), Ok((64, 48)));
    }

    #[test]
    fn a_decompression_bomb_is_refused_as_too_large_from_its_header() {
        let bomb = demo::bomb_png();
        assert!(bomb.len() < 200, "the bomb is a tiny file");
        let refused = verify_image(&bomb, MediaType::Png).unwrap_err();
        assert_eq!(refused.code(), "image_too_large", "{refused}");
    }

    #[test]
    fn a_truncated_jpeg_is_refused_as_corrupt() {
        let jpeg = demo::bearing_jpeg(320, 240, 7);
        let refused = verify_image(&jpeg[..jpeg.len() / 2], MediaType::Jpeg).unwrap_err();
        assert_eq!(refused.code(), "truncated_or_corrupt", "{refused}");
    }

    #[test]
    fn a_truncated_png_is_refused_as_corrupt() {
        let png = demo::bearing_png(200, 200);
        let refused = verify_image(&png[..png.len() * 2 / 3], MediaType::Png).unwrap_err();
        assert_eq!(refused.code(), "truncated_or_corrupt", "{refused}");
    }

    #[test]
    fn a_tiny_image_is_refused_as_too_small() {
        let jpeg = demo::bearing_jpeg(15, 200, 1);
        assert_eq!(verify_image(&jpeg, MediaType::Jpeg), Err(Refusal::TooSmall { width: 15, height: 200 }));
        assert_eq!(Refusal::TooSmall { width: 1, height: 1 }.code(), "image_too_small");
    }

    #[test]
    fn a_png_declared_as_a_jpeg_is_a_content_mismatch_naming_both() {
        let png = demo::drawing_png(32, 32);
        let refused = verify_image(&png, MediaType::Jpeg).unwrap_err();
        assert_eq!(refused, Refusal::TypeMismatch { declared: MediaType::Jpeg, found: Some(MediaType::Png) });
        assert_eq!(refused.code(), "content_mismatch");
        assert_eq!(refused.to_string(), "the file was declared as image/jpeg but its content is image/png");
    }

    #[test]
    fn garbage_and_documents_are_not_valid_images() {
        assert_eq!(verify_image(b"hello, world", MediaType::Png), Err(Refusal::NotAnImage));
        let pdf = demo::datasheet_pdf("x", &[]);
        assert_eq!(verify_image(&pdf, MediaType::Pdf), Err(Refusal::NotAnImage));
        assert_eq!(verify_image(&pdf, MediaType::Png).map_err(|r| r.code()), Err("content_mismatch"));
    }

    #[test]
    fn a_webp_is_verified_and_a_truncated_one_refused() {
        let photo = demo::bearing_jpeg(200, 150, 4);
        let rendered = crate::variants::render(&photo, MediaType::Jpeg).unwrap();
        let webp = &rendered[0].bytes;
        assert_eq!(verify_image(webp, MediaType::Webp), Ok((160, 120)));
        let refused = verify_image(&webp[..webp.len() / 2], MediaType::Webp).unwrap_err();
        assert_eq!(refused.code(), "truncated_or_corrupt", "{refused}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Damaged uploads are refused, never a panic (a panic in spawn_blocking would be a 500).
        #[test]
        fn verifying_a_damaged_image_never_panics(at in 0usize..4000, value: u8, cut in 0usize..4000) {
            for (mut bytes, media_type) in [(demo::bearing_jpeg(48, 32, 1), MediaType::Jpeg), (demo::drawing_png(48, 32), MediaType::Png)] {
                let len = bytes.len();
                bytes[at % len] = value;
                bytes.truncate(len - cut % len);
                let _ = verify_image(&bytes, media_type);
                let _ = crate::variants::render(&bytes, media_type);
            }
        }
    }

    #[test]
    fn a_png_header_with_a_broken_body_is_corrupt() {
        let mut png = demo::drawing_png(64, 64);
        let len = png.len();
        for byte in &mut png[60..len - 12] {
            *byte ^= 0x5A;
        }
        assert_eq!(verify_image(&png, MediaType::Png).map_err(|r| r.code()), Err("truncated_or_corrupt"));
    }
}

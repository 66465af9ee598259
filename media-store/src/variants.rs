//! The image variants the storefront shows: at most three widths, each as lossy WebP and as a
//! JPEG fallback, in sRGB, upright (EXIF orientation applied) and without metadata (the encoders
//! write no EXIF, XMP or ICC).

use domain::media::{MediaType, VariantFormat};
use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, RgbImage, RgbaImage};

use crate::verify::{image_format, limits, reader, refusal, Refusal};

/// The version of this recipe (widths, formats, qualities): part of every variant's key, so a new
/// recipe writes new keys and never overwrites what the read model points at.
pub const SPEC: u16 = 1;
/// The widths made, where the source is wider (images are never upscaled).
pub const WIDTHS: [u32; 3] = [160, 480, 1200];
/// Lossy WebP quality (libwebp's 0–100 scale).
pub const WEBP_QUALITY: f32 = 80.0;
/// JPEG quality of the fallback.
pub const JPEG_QUALITY: u8 = 82;

/// One encoded variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    pub bytes: Vec<u8>,
}

/// The widths made of a source this wide: the standard widths below it, plus its own width when
/// it is narrower than the largest (so a small image still gets its full-size variant).
pub fn widths_for(source_width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = WIDTHS.into_iter().filter(|&w| w <= source_width).collect();
    let largest = WIDTHS[WIDTHS.len() - 1];
    if source_width < largest && !widths.contains(&source_width) {
        widths.push(source_width);
    }
    widths
}

/// Decodes an image (within the limits of `verify`), makes it upright and sRGB, and encodes every
/// variant: for each width of `widths_for`, WebP then JPEG. CPU-bound: run it in `spawn_blocking`.
pub fn render(bytes: &[u8], media_type: MediaType) -> Result<Vec<Rendered>, Refusal> {
    let source = decode_upright_srgb(bytes, media_type)?;
    let mut resizer = Resizer::new();
    let mut rendered = Vec::with_capacity(WIDTHS.len() * 2);
    for width in widths_for(source.width()) {
        let (height, pixels) = resize(&mut resizer, &source, width)?;
        rendered.push(Rendered {
            width,
            height,
            format: VariantFormat::Webp,
            bytes: webp(&source, &pixels, width, height),
        });
        rendered.push(Rendered {
            width,
            height,
            format: VariantFormat::Jpeg,
            bytes: jpeg(&source, pixels, width, height)?,
        });
    }
    Ok(rendered)
}

/// The image as 8-bit RGB (or RGBA when it has alpha), rotated as its EXIF says, converted from
/// its embedded ICC profile to sRGB when it has one.
pub fn decode_upright_srgb(bytes: &[u8], media_type: MediaType) -> Result<DynamicImage, Refusal> {
    let format = image_format(media_type).ok_or(Refusal::NotAnImage)?;
    let mut decoder = reader(bytes, format).into_decoder().map_err(refusal)?;
    // `ImageReader::decode` reserves the buffer against the limits; from a decoder we do it.
    limits().reserve(decoder.total_bytes()).map_err(refusal)?;
    // Broken metadata is no reason to refuse pixels that decode: it is ignored.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let icc = decoder.icc_profile().ok().flatten();
    let mut image = DynamicImage::from_decoder(decoder).map_err(refusal)?;
    image.apply_orientation(orientation);
    let image = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    Ok(match icc {
        Some(icc) => to_srgb(image, &icc),
        None => image,
    })
}

/// Converts 8-bit RGB(A) pixels from an ICC profile to sRGB. An unparsable profile, or one moxcms
/// cannot transform, leaves the pixels as they are (treated as sRGB).
fn to_srgb(image: DynamicImage, icc: &[u8]) -> DynamicImage {
    let Ok(source) = moxcms::ColorProfile::new_from_slice(icc) else {
        return image;
    };
    let srgb = moxcms::ColorProfile::new_srgb();
    let layout = if image.color().has_alpha() { moxcms::Layout::Rgba } else { moxcms::Layout::Rgb };
    let Ok(transform) = source.create_transform_8bit(layout, &srgb, layout, moxcms::TransformOptions::default()) else {
        return image;
    };
    let mut out = vec![0u8; image.as_bytes().len()];
    if transform.transform(image.as_bytes(), &mut out).is_err() {
        return image;
    }
    let (width, height) = (image.width(), image.height());
    match image {
        DynamicImage::ImageRgba8(original) => {
            RgbaImage::from_raw(width, height, out).map_or(DynamicImage::ImageRgba8(original), DynamicImage::ImageRgba8)
        }
        other => RgbImage::from_raw(width, height, out).map_or(other, DynamicImage::ImageRgb8),
    }
}

/// The height at `width` keeping the aspect ratio (rounded, at least 1) and the resized pixels;
/// at the source's own width, its pixels unchanged.
fn resize(resizer: &mut Resizer, source: &DynamicImage, width: u32) -> Result<(u32, Vec<u8>), Refusal> {
    if width == source.width() {
        return Ok((source.height(), source.as_bytes().to_vec()));
    }
    let (sw, sh) = (u64::from(source.width()), u64::from(source.height()));
    let height = u32::try_from((sh * u64::from(width) + sw / 2) / sw).unwrap_or(1).max(1);
    let pixel_type = if source.color().has_alpha() { PixelType::U8x4 } else { PixelType::U8x3 };
    let mut target = Image::new(width, height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    resizer.resize(source, &mut target, &options).map_err(|err| Refusal::Corrupt(err.to_string()))?;
    Ok((height, target.into_vec()))
}

fn webp(source: &DynamicImage, pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    let encoder = if source.color().has_alpha() {
        webp::Encoder::from_rgba(pixels, width, height)
    } else {
        webp::Encoder::from_rgb(pixels, width, height)
    };
    encoder.encode(WEBP_QUALITY).to_vec()
}

/// JPEG has no alpha: transparent pixels are flattened onto white, as a product page shows them.
fn jpeg(source: &DynamicImage, pixels: Vec<u8>, width: u32, height: u32) -> Result<Vec<u8>, Refusal> {
    let rgb = if source.color().has_alpha() { flatten_on_white(&pixels) } else { pixels };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .write_image(&rgb, width, height, ExtendedColorType::Rgb8)
        .map_err(|err| Refusal::Corrupt(err.to_string()))?;
    Ok(out)
}

fn flatten_on_white(rgba: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(rgba.len() / 4 * 3);
    for pixel in rgba.chunks_exact(4) {
        let alpha = u16::from(pixel[3]);
        for &channel in &pixel[..3] {
            // channel·α + 255·(1−α), rounded
            rgb.push(((u16::from(channel) * alpha + 255 * (255 - alpha) + 127) / 255) as u8);
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn widths_never_exceed_the_source_and_a_small_source_keeps_its_own_width() {
        assert_eq!(widths_for(1632), vec![160, 480, 1200]);
        assert_eq!(widths_for(1200), vec![160, 480, 1200]);
        assert_eq!(widths_for(800), vec![160, 480, 800]);
        assert_eq!(widths_for(480), vec![160, 480]);
        assert_eq!(widths_for(100), vec![100]);
    }

    #[test]
    fn transparent_pixels_are_flattened_onto_white() {
        assert_eq!(
            flatten_on_white(&[0, 0, 0, 0, 10, 20, 30, 255, 0, 0, 0, 128]),
            vec![255, 255, 255, 10, 20, 30, 127, 127, 127]
        );
    }
}

//! Image variants as the storefront gets them: the widths of spec v1 without upscaling, upright,
//! sRGB, decodable, lossy WebP plus JPEG, and free of the source's metadata.

#![allow(clippy::unwrap_used)]

use domain::media::{MediaType, VariantFormat};
use image::GenericImageView;
use media_store::demo;
use media_store::variants::{render, Rendered};

fn sizes(rendered: &[Rendered]) -> Vec<(u32, u32, VariantFormat)> {
    rendered.iter().map(|r| (r.width, r.height, r.format)).collect()
}

/// The JPEG marker segments before the first scan (APPn, DQT, …).
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    }
    markers
}

/// The chunk names of a RIFF WebP file.
fn webp_chunks(bytes: &[u8]) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        chunks.push(String::from_utf8_lossy(&bytes[at..at + 4]).into_owned());
        let len = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        at += 8 + len + (len & 1);
    }
    chunks
}

#[test]
fn a_two_megapixel_photo_gets_three_widths_in_webp_and_jpeg_that_decode_back() {
    let photo = demo::bearing_jpeg(1632, 1224, 5);
    let rendered = render(&photo, MediaType::Jpeg).unwrap();
    assert_eq!(
        sizes(&rendered),
        vec![
            (160, 120, VariantFormat::Webp),
            (160, 120, VariantFormat::Jpeg),
            (480, 360, VariantFormat::Webp),
            (480, 360, VariantFormat::Jpeg),
            (1200, 900, VariantFormat::Webp),
            (1200, 900, VariantFormat::Jpeg),
        ]
    );
    for variant in &rendered {
        let format = match variant.format {
            VariantFormat::Webp => image::ImageFormat::WebP,
            VariantFormat::Jpeg => image::ImageFormat::Jpeg,
        };
        let decoded = image::load_from_memory_with_format(&variant.bytes, format).unwrap();
        assert_eq!(decoded.dimensions(), (variant.width, variant.height));
    }
    let large_webp = &rendered[4].bytes;
    assert!(large_webp.len() < rendered[5].bytes.len(), "lossy WebP is smaller than the JPEG fallback");
}

#[test]
fn variants_carry_no_exif_icc_or_other_metadata_and_the_webp_is_lossy() {
    let icc = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let source = demo::jpeg_with_icc(640, 480, [200, 100, 50], icc);
    assert!(jpeg_markers(&source).contains(&0xE2), "the source carries an ICC profile (APP2)");
    for variant in render(&source, MediaType::Jpeg).unwrap() {
        match variant.format {
            VariantFormat::Jpeg => {
                let markers = jpeg_markers(&variant.bytes);
                assert!(!markers.iter().any(|m| (0xE1..=0xEF).contains(m)), "no APP1–APP15: {markers:x?}");
            }
            VariantFormat::Webp => assert_eq!(webp_chunks(&variant.bytes), ["VP8 "], "simple lossy WebP"),
        }
    }
}

#[test]
fn an_embedded_icc_profile_is_converted_to_srgb() {
    let icc = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let tagged = demo::jpeg_with_icc(64, 64, [40, 200, 60], icc);
    let rendered = render(&tagged, MediaType::Jpeg).unwrap();
    let jpeg = rendered.iter().find(|r| r.format == VariantFormat::Jpeg).unwrap();
    let pixel = image::load_from_memory(&jpeg.bytes).unwrap().into_rgb8().get_pixel(32, 32).0;
    // Display P3 green is more saturated than sRGB can show: in sRGB its red drops to ~0 while
    // green stays high. An untransformed copy would keep red near 40.
    assert!(pixel[0] < 20 && pixel[1] > 190, "{pixel:?}");
}

#[test]
fn exif_orientation_is_applied_so_a_portrait_shot_stays_portrait() {
    // Stored 400×200, EXIF 6 (rotate 90° clockwise): displayed 200×400.
    let rotated = demo::rotated_jpeg(400, 200, 6);
    let rendered = render(&rotated, MediaType::Jpeg).unwrap();
    let jpegs: Vec<(u32, u32)> =
        rendered.iter().filter(|r| r.format == VariantFormat::Jpeg).map(|r| (r.width, r.height)).collect();
    assert_eq!(jpegs, vec![(160, 320), (200, 400)]);
    let decoded = image::load_from_memory(&rendered[3].bytes).unwrap();
    assert_eq!(decoded.dimensions(), (200, 400));
}

#[test]
fn a_small_image_is_never_upscaled() {
    let small = demo::bearing_jpeg(100, 80, 2);
    assert_eq!(
        sizes(&render(&small, MediaType::Jpeg).unwrap()),
        vec![(100, 80, VariantFormat::Webp), (100, 80, VariantFormat::Jpeg)]
    );
}

#[test]
fn a_transparent_png_keeps_its_alpha_in_webp_and_is_flattened_on_white_in_jpeg() {
    let transparent = image::RgbaImage::from_pixel(200, 100, image::Rgba([0, 0, 0, 0]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(transparent)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let rendered = render(&png, MediaType::Png).unwrap();
    let webp = image::load_from_memory(&rendered[0].bytes).unwrap().into_rgba8();
    assert_eq!(webp.get_pixel(5, 5).0[3], 0, "transparent in WebP");
    let jpeg = image::load_from_memory(&rendered[1].bytes).unwrap().into_rgb8();
    assert!(jpeg.get_pixel(5, 5).0.iter().all(|&c| c > 245), "white in JPEG");
}

#[test]
fn a_bomb_is_refused_by_the_renderer_too() {
    assert_eq!(render(&demo::bomb_png(), MediaType::Png).unwrap_err().code(), "image_too_large");
    assert_eq!(render(b"%PDF-1.4", MediaType::Pdf).unwrap_err().code(), "not_a_valid_image");
}

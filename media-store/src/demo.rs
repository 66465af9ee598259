//! Deterministic generated assets for the demo data and the tests: photos of a "bearing" with
//! realistic entropy, a line drawing, a one-page datasheet PDF, and the hostile files that uploads
//! must refuse. No asset files are shipped; the same arguments give the same bytes.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};

/// A photo-like JPEG (q85) of a ball bearing on a light gradient: rings for the outer race, the
/// balls and the bore, with xorshift noise so that it compresses like a real photo rather than a
/// flat picture. `seed` varies the noise and the light.
pub fn bearing_jpeg(width: u32, height: u32, seed: u64) -> Vec<u8> {
    encode_jpeg(&bearing(width, height, seed), 85)
}

/// The same bearing as a PNG (large and noisy: for truncation tests).
pub fn bearing_png(width: u32, height: u32) -> Vec<u8> {
    encode_png(&bearing(width, height, 1))
}

/// A JPEG whose EXIF says how to turn it upright (`orientation` 1–8; 6 is "rotate 90° clockwise",
/// as phones write for portrait shots): stored `width`×`height`, displayed rotated.
pub fn rotated_jpeg(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let jpeg = bearing_jpeg(width, height, 3);
    // APP1 "Exif": a big-endian TIFF header and one IFD with the Orientation tag (0x0112, SHORT).
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A uniform JPEG of `rgb` with this ICC profile embedded (for the sRGB conversion tests).
pub fn jpeg_with_icc(width: u32, height: u32, rgb: [u8; 3], icc: Vec<u8>) -> Vec<u8> {
    let image = RgbImage::from_pixel(width, height, Rgb(rgb));
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 95);
    // The JPEG encoder supports ICC profiles; should it ever not, the image is simply untagged.
    let _ = encoder.set_icc_profile(icc);
    let _ = encoder.write_image(image.as_raw(), width, height, ExtendedColorType::Rgb8);
    out
}

/// A technical drawing as a PNG: black lines on white (a bearing's section with dimension lines).
pub fn drawing_png(width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as f32, height as f32);
    let (cx, cy, r) = (w / 2.0, h / 2.0, w.min(h) * 0.35);
    let image = RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
        let on_circle = [1.0, 0.8, 0.45, 0.3].iter().any(|k| (d - r * k).abs() < 1.0);
        let on_axis = ((fx - cx).abs() < 0.6 || (fy - cy).abs() < 0.6) && (x / 4) % 2 == 0;
        let on_dimension = (fy - (cy + r * 1.15)).abs() < 0.6 && (fx - cx).abs() <= r;
        let on_frame = x < 2 || y < 2 || x + 2 >= width || y + 2 >= height;
        if on_circle || on_axis || on_dimension || on_frame {
            Rgb([20, 20, 20])
        } else {
            Rgb([255, 255, 255])
        }
    });
    encode_png(&image)
}

/// A one-page PDF datasheet: the title in 18 pt, then one line of 11 pt text per entry. Text is
/// ASCII (anything else becomes `?`); the byte offsets of the cross-reference table are computed.
pub fn datasheet_pdf(title: &str, lines: &[String]) -> Vec<u8> {
    let mut content = format!("BT /F1 18 Tf 72 760 Td ({}) Tj /F1 11 Tf", pdf_text(title));
    for line in lines {
        content.push_str(&format!(" 0 -22 Td ({}) Tj", pdf_text(line)));
    }
    content.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    // The binary comment line tells tools that the file is not plain text.
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        // Each entry is exactly 20 bytes, its end of line included.
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// A decompression bomb: a valid PNG header announcing 50000×50000 RGB pixels (7.5 GB decoded)
/// in a file of under a hundred bytes.
pub fn bomb_png() -> Vec<u8> {
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few zeros: the start of the "image".
    png_chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn bearing(width: u32, height: u32, seed: u64) -> RgbImage {
    let (w, h) = (width as f32, height as f32);
    let (cx, cy) = (w / 2.0, h / 2.0);
    let scale = w.min(h) / 2.0;
    let light = (seed % 7) as f32 * 4.0;
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 - cx, y as f32 - cy);
        let d = (fx * fx + fy * fy).sqrt() / scale;
        let angle = fy.atan2(fx);
        // Background: a light studio gradient; then steel races, a dark ball track and the bore.
        let base = if d > 0.9 {
            200.0 + 40.0 * (y as f32 / h) + light
        } else if d > 0.72 {
            150.0 + 60.0 * (angle * 3.0).sin().abs() * (1.0 - (d - 0.81).abs() * 8.0)
        } else if d > 0.52 {
            let ball = ((angle * 9.0).cos() * 0.5 + 0.5) * (1.0 - ((d - 0.62) * 10.0).abs()).max(0.0);
            60.0 + 160.0 * ball
        } else if d > 0.36 {
            130.0 + 70.0 * (1.0 - (d - 0.44).abs() * 12.0).max(0.0)
        } else {
            35.0 + 20.0 * d
        };
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state % 25) as f32 - 12.0;
        let grey = (base + noise).clamp(0.0, 255.0);
        // A slightly warm tint keeps the three channels apart, as in a real photo.
        Rgb([grey as u8, (grey * 0.98) as u8, (grey * 0.94 + (state >> 40) as f32 % 6.0) as u8])
    })
}

fn encode_jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    // Encoding an in-memory RGB image into a Vec does not fail.
    let _ = JpegEncoder::new_with_quality(&mut out, quality).write_image(
        image.as_raw(),
        image.width(),
        image.height(),
        ExtendedColorType::Rgb8,
    );
    out
}

fn encode_png(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let _ =
        PngEncoder::new(&mut out).write_image(image.as_raw(), image.width(), image.height(), ExtendedColorType::Rgb8);
    out
}

/// PDF string text: ASCII only, with the three characters that end or escape a string escaped.
fn pdf_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests;

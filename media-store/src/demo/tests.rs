//! The generated assets are what they claim: the PDF's cross-references point at its objects, the
//! images decode, the same arguments give the same bytes.

#![allow(clippy::unwrap_used)]

use super::*;

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn the_datasheet_pdf_has_cross_references_that_point_at_its_objects() {
    let lines = vec!["Bore 20 mm (d)".to_owned(), "Back\\slash and ünïcode".to_owned()];
    let pdf = datasheet_pdf("Ferrule DGB-6204 datasheet", &lines);
    let text = String::from_utf8_lossy(&pdf);
    assert!(pdf.starts_with(b"%PDF-1.4\n") && text.ends_with("%%EOF\n"));

    let startxref: usize = text.rsplit("startxref\n").next().and_then(|t| t.lines().next()).unwrap().parse().unwrap();
    assert!(pdf[startxref..].starts_with(b"xref\n0 6\n"), "startxref points at the table");
    // `text` is lossy (the binary comment), so its byte offsets differ from the file's.
    let table = std::str::from_utf8(&pdf[startxref..]).unwrap();
    let entries: Vec<&str> = table.lines().skip(3).take(5).collect();
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry.len() + 1, 20, "entries are 20 bytes with their end of line");
        let offset: usize = entry[..10].parse().unwrap();
        assert!(pdf[offset..].starts_with(format!("{} 0 obj\n", i + 1).as_bytes()), "object {}", i + 1);
    }

    let stream_start = find(&pdf, b"stream\n").unwrap() + 7;
    let stream_end = find(&pdf, b"\nendstream").unwrap();
    assert!(text.contains(&format!("/Length {}", stream_end - stream_start)), "the stream length is exact");
    assert!(text.contains("(Bore 20 mm \\(d\\)) Tj") && text.contains("(Back\\\\slash and ?n?code) Tj"));
}

#[test]
fn the_datasheet_pdf_passes_qpdf_when_qpdf_is_installed() {
    let pdf = datasheet_pdf("Ferrule DGB-6204 datasheet", &["Dynamic load rating 12.7 kN".to_owned()]);
    let path = std::env::temp_dir().join(format!("ferrule-datasheet-{}.pdf", std::process::id()));
    std::fs::write(&path, &pdf).unwrap();
    let checked = std::process::Command::new("qpdf").arg("--check").arg(&path).output();
    let _ = std::fs::remove_file(&path);
    match checked {
        // qpdf is optional on developer machines; the structural test above always runs.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => eprintln!("qpdf not installed: skipped"),
        Err(err) => panic!("qpdf failed to start: {err}"),
        Ok(out) => assert!(out.status.success(), "qpdf --check: {}", String::from_utf8_lossy(&out.stdout)),
    }
}

#[test]
fn the_bearing_photo_is_deterministic_per_seed_and_compresses_like_a_photo() {
    let a = bearing_jpeg(640, 480, 1);
    assert_eq!(a, bearing_jpeg(640, 480, 1));
    assert_ne!(a, bearing_jpeg(640, 480, 2));
    let decoded = image::load_from_memory(&a).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (640, 480));
    // A flat picture of this size would be a few KiB; a photo is an order of magnitude more.
    assert!(a.len() > 40_000, "{} bytes", a.len());
}

#[test]
fn the_drawing_is_a_png_of_black_lines_on_white() {
    let png = drawing_png(200, 100);
    let decoded = image::load_from_memory(&png).unwrap().into_rgb8();
    assert_eq!(decoded.dimensions(), (200, 100));
    assert_eq!(decoded.get_pixel(0, 0), &Rgb([20, 20, 20]));
    assert_eq!(decoded.get_pixel(10, 10), &Rgb([255, 255, 255]));
}

#[test]
fn png_chunks_carry_the_ieee_crc() {
    assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    let bomb = bomb_png();
    assert!(bomb.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
}

#[test]
fn the_rotated_jpeg_carries_its_orientation_in_exif() {
    use image::ImageDecoder;
    let jpeg = rotated_jpeg(64, 32, 6);
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(&jpeg)).unwrap();
    assert_eq!(decoder.orientation().unwrap(), image::metadata::Orientation::Rotate90);
}

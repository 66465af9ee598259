//! The type of an object from its first bytes: the sniffed type decides, the file name and the
//! content type a browser sends are only claims. Everything not recognised here (SVG, HTML, TIFF,
//! archives, gzipped STEP) is refused by the caller.

use domain::media::MediaType;

/// How many leading bytes `sniff` needs at most: DXF files may open with many `999` comment
/// lines, so the callers read this much.
pub const HEAD_LEN: u64 = 4096;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The type whose magic bytes `head` (the object's first bytes, up to `HEAD_LEN`) starts with.
pub fn sniff(head: &[u8]) -> Option<MediaType> {
    if head.starts_with(b"\xFF\xD8\xFF") {
        return Some(MediaType::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(MediaType::Png);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(MediaType::Webp);
    }
    // Strict: at offset 0 (readers tolerate junk before it; we need not).
    if head.starts_with(b"%PDF-") && head.get(5).is_some_and(u8::is_ascii_digit) {
        return Some(MediaType::Pdf);
    }
    if head.starts_with(b"AutoCAD Binary DXF\r\n\x1a\0") {
        return Some(MediaType::Dxf);
    }
    let text = head.strip_prefix(BOM).unwrap_or(head);
    if text.trim_ascii_start().starts_with(b"ISO-10303-21;") {
        return Some(MediaType::Step);
    }
    ascii_dxf(text).then_some(MediaType::Dxf)
}

/// An ASCII DXF: pairs of lines (group code, value); after any `999` comments the first group
/// must be `0` / `SECTION`.
fn ascii_dxf(text: &[u8]) -> bool {
    // The head may be cut inside a multi-byte character: keep the valid part.
    let text = match std::str::from_utf8(text) {
        Ok(text) => text,
        Err(err) => std::str::from_utf8(&text[..err.valid_up_to()]).unwrap_or_default(),
    };
    let mut lines = text.lines().map(str::trim);
    loop {
        match lines.next() {
            Some("999") => {
                if lines.next().is_none() {
                    return false;
                }
            }
            Some("0") => return lines.next() == Some("SECTION"),
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_accepted_type_is_recognised_by_its_magic_bytes() {
        let cases: [(&[u8], MediaType); 8] = [
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", MediaType::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", MediaType::Png),
            (b"RIFF\x24\0\0\0WEBPVP8 ", MediaType::Webp),
            (b"%PDF-1.7\n%\xE2\xE3\xCF\xD3", MediaType::Pdf),
            (b"ISO-10303-21;\nHEADER;", MediaType::Step),
            (b"\xEF\xBB\xBF  \r\nISO-10303-21;\r\nHEADER;", MediaType::Step),
            (b"  0\r\nSECTION\r\n  2\r\nHEADER\r\n", MediaType::Dxf),
            (b"AutoCAD Binary DXF\r\n\x1a\0\x00", MediaType::Dxf),
        ];
        for (head, expected) in cases {
            assert_eq!(sniff(head), Some(expected), "{head:?}");
        }
    }

    #[test]
    fn a_dxf_with_a_bom_and_comments_is_recognised_even_when_cut_inside_a_character() {
        let mut head = b"\xEF\xBB\xBF999\nmade by a CAD tool\n999\ncomment\n0\nSECTION\n2\nHEADER\n".to_vec();
        head.extend(std::iter::repeat_n(b'x', 10));
        head.extend_from_slice("ü".as_bytes().get(..1).unwrap_or_default());
        assert_eq!(sniff(&head), Some(MediaType::Dxf));
    }

    #[test]
    fn a_dxf_cut_before_its_first_section_is_not_recognised() {
        assert_eq!(sniff(b"999\ncomment\n999\n"), None);
        assert_eq!(sniff(b"999\ncomment\n0\n"), None);
        assert_eq!(sniff(b"0\nEOF\n"), None);
    }

    #[test]
    fn lookalikes_and_refused_types_are_not_recognised() {
        let refused: [&[u8]; 9] = [
            b"",
            b"%PDF-x",
            b" %PDF-1.4",
            b"RIFF\0\0\0\0WAVEfmt ",
            b"\x1F\x8B\x08\0ISO-10303-21;",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"<!DOCTYPE html><html>",
            b"II*\0\x08\0\0\0",
            b"\xFF\xD8",
        ];
        for head in refused {
            assert_eq!(sniff(head), None, "{head:?}");
        }
    }

    #[test]
    fn a_png_is_a_png_whatever_it_was_declared_as() {
        let png = crate::demo::drawing_png(32, 32);
        assert_eq!(sniff(&png), Some(MediaType::Png));
        assert_ne!(sniff(&png), Some(MediaType::Pdf));
    }

    proptest! {
        #[test]
        fn sniffing_never_panics(head in proptest::collection::vec(any::<u8>(), 0..5000)) {
            let _ = sniff(&head);
        }

        #[test]
        fn sniffing_dxf_like_text_never_panics(lines in proptest::collection::vec("(999|0|SECTION|[ -~]{0,8}|\u{fc})", 0..40)) {
            let _ = sniff(lines.join("\r\n").as_bytes());
        }
    }
}

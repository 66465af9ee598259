//! Request text as logs carry it: a query string, a URI or a header is the client's to make as
//! long as it likes, so what a log line takes of it is bounded.

use std::fmt;

/// The most characters of a client's text a log field holds.
pub const LOGGED_CHARS: usize = 200;

/// `text` in a log field: its first `LOGGED_CHARS` characters, and how long it was if it was cut.
pub struct Clipped<'a>(pub &'a str);

impl fmt::Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(LOGGED_CHARS) {
            None => f.write_str(self.0),
            Some((end, _)) => write!(f, "{}… ({} bytes)", &self.0[..end], self.0.len()),
        }
    }
}

impl fmt::Debug for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_logged_whole_and_long_text_cut_with_its_length() {
        assert_eq!(Clipped("q=m12").to_string(), "q=m12");
        let exact = "é".repeat(LOGGED_CHARS);
        assert_eq!(Clipped(&exact).to_string(), exact);
        let long = "é".repeat(30_000);
        let logged = Clipped(&long).to_string();
        assert_eq!(logged, format!("{}… (60000 bytes)", "é".repeat(LOGGED_CHARS)));
    }
}

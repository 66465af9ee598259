//! The search normalizer: the one place that decides which terms a text is found by. The read
//! model indexes a product's name, SKU and spec values as these terms, and a query is parsed into
//! the same terms, so that the forms buyers type meet the forms catalogs store:
//!
//! - quantities, glued or not, in any unit of their family: "24V", "24 V", "24v", `{24, "V"}` and
//!   "0.024 kV" are all the term `24v` (the value in the family's base unit, then the unit);
//!   `1/4"` is `6.35mm`;
//! - metric threads: "M12x1.75" and "M12x1,75" are `m12x1.75`, and also `m12`, which "M12" finds;
//! - standards: "DIN 912", "DIN-912" and "DIN912" are `din912`;
//! - codes split at hyphens: "6205-2RS" and "6205 2RS" are `6205` and `2rs`; "3/8-16" is `3/8` and
//!   `16`;
//! - case and accents are folded ("Edelstahl Ø" → `edelstahl`, `o`);
//! - a term is at most `MAX_TERM_BYTES` long: a longer word is cut there, on both sides, so it
//!   still meets itself and never exceeds what PostgreSQL takes as a lexeme.
//!
//! Terms are plain lexemes: they go into `array_to_tsvector` and tsquery literals as they are,
//! never through PostgreSQL's text parser, which splits part numbers in surprising ways.

mod query;

use unicode_normalization::UnicodeNormalization;

pub use query::{SearchQuery, QUERY_MAX_CHARS, QUERY_MAX_TERMS};

use crate::specs::SpecValue;
use crate::units::{tidy, Unit};

/// The longest term, in bytes: PostgreSQL's limit for a lexeme (a longer one is an error, in a
/// `tsvector` and in a `tsquery`). Folding may lengthen a word (`㌀` is four letters), so even a
/// query within `QUERY_MAX_CHARS` can hold a longer one.
pub const MAX_TERM_BYTES: usize = 2047;

/// Prefixes of standard numbers, joined to the number that follows them.
const STANDARDS: &[&str] = &["din", "iso", "en", "iec", "ansi", "astm", "sae", "jis", "nema", "bs", "asme", "uni"];

/// The terms of a text, in order of first appearance, without repeats.
pub fn terms(text: &str) -> Vec<String> {
    let atoms: Vec<String> = words(&fold(text)).iter().flat_map(|word| atoms(word)).collect();
    let mut found = Terms::default();
    let mut i = 0;
    while i < atoms.len() {
        let atom = atoms[i].as_str();
        let next = atoms.get(i + 1).map(String::as_str);
        // "24 V", "0.024 kV": a number, then a word that is only a unit.
        if let (Some(value), Some(unit)) = (number(atom), next.and_then(unit_word)) {
            found.push(quantity_term(unit.to_base(value), unit));
            i += 2;
            continue;
        }
        // "DIN 912": a standard's prefix, then its number.
        if let Some(number) = next.filter(|n| STANDARDS.contains(&atom) && n.chars().all(|c| c.is_ascii_digit())) {
            found.push(format!("{atom}{number}"));
            i += 2;
            continue;
        }
        atom_terms(atom, &mut found);
        i += 1;
    }
    found.0
}

/// The term of a quantity given in `unit` (`base_value` already in its family's base unit).
pub fn quantity_term(base_value: f64, unit: Unit) -> String {
    let base = unit.dimension().base_unit();
    format!("{}{}", number_text(tidy(base_value)), symbol_term(base))
}

/// The terms a stored spec value is found by: a quantity as its base-unit term (a number without
/// a unit as itself), text and options as their words; a boolean has none.
pub fn value_terms(value: &SpecValue) -> Vec<String> {
    match value {
        SpecValue::Number(q) => match q.base_unit.or(q.unit) {
            Some(unit) => vec![quantity_term(q.base_value, unit)],
            None => vec![number_text(tidy(q.base_value))],
        },
        SpecValue::Text(text) => terms(text),
        SpecValue::List(items) => {
            let mut found = Terms::default();
            items.iter().flat_map(|item| terms(item)).for_each(|t| found.push(t));
            found.0
        }
        SpecValue::Boolean(_) => Vec::new(),
    }
}

/// Whether a term is a value a spec could hold: a quantity, a metric thread or a number. A query
/// term of this kind ranks the products whose specs hold it above those that only mention it.
pub fn is_value_term(term: &str) -> bool {
    glued_quantity(term).is_some()
        || metric_thread(term).is_some()
        || (term.len() > 1 && term.starts_with('m') && number(&term[1..]).is_some())
        || number(term).is_some()
}

#[derive(Default)]
struct Terms(Vec<String>);

impl Terms {
    fn push(&mut self, mut term: String) {
        if term.len() > MAX_TERM_BYTES {
            let cut = (0..=MAX_TERM_BYTES).rev().find(|i| term.is_char_boundary(*i)).unwrap_or(0);
            term.truncate(cut);
        }
        if !term.is_empty() && !self.0.contains(&term) {
            self.0.push(term);
        }
    }
}

/// Lower case, accents and compatibility forms folded, typographic signs made plain.
fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| match c {
            '×' => 'x',
            '″' | '“' | '”' | '„' => '"',
            '′' | '‘' | '’' => '\'',
            '–' | '—' | '‐' => '-',
            'ø' | 'Ø' => 'o',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Splits at whitespace and at punctuation that never belongs to a code; trims what ends a
/// sentence; a comma between digits is a decimal point.
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for raw in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ';' | '(' | ')' | '[' | ']' | '!' | '?' | '|' | '+' | '&' | '=' | '<' | '>' | '{' | '}' | ':'
            )
    }) {
        let chars: Vec<char> = raw.chars().collect();
        let mut word = String::new();
        for (i, c) in chars.iter().enumerate() {
            let between_digits = i > 0
                && chars.get(i - 1).is_some_and(char::is_ascii_digit)
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            match c {
                ',' if between_digits => word.push('.'),
                ',' => {
                    push_word(&mut words, &word);
                    word.clear();
                }
                _ => word.push(*c),
            }
        }
        push_word(&mut words, &word);
    }
    words
}

fn push_word(words: &mut Vec<String>, word: &str) {
    let trimmed = |c: char| matches!(c, '.' | '-' | '/' | '\'' | '*' | '#' | '%' | '_');
    // A minus before a digit is a sign ("-20 °C"), kept.
    let negative = word.starts_with('-') && word[1..].starts_with(|c: char| c.is_ascii_digit());
    let word = word.trim_end_matches(trimmed);
    let word = if negative { word } else { word.trim_start_matches(trimmed) };
    // A lone inch sign stays: `1/4 "` is a quantity.
    let word = if word == "\"" { word } else { word.trim_start_matches('"') };
    if !word.is_empty() {
        words.push(word.to_owned());
    }
}

/// A word cut into the pieces that terms are made of: forms that keep their punctuation
/// (quantities, standards, threads, signed numbers) whole, anything else split at hyphens and
/// stripped to letters, digits, '.' and '/'.
fn atoms(word: &str) -> Vec<String> {
    if glued_quantity(word).is_some() || standard(word).is_some() || metric_thread(word).is_some() {
        return vec![word.to_owned()];
    }
    if word.strip_prefix('-').and_then(number).is_some() {
        return vec![word.to_owned()];
    }
    if word == "\"" {
        return vec![word.to_owned()];
    }
    word.split('-')
        .map(|part| {
            let kept: String = part.chars().filter(|c| c.is_alphanumeric() || matches!(c, '.' | '/')).collect();
            kept.trim_matches(|c| matches!(c, '.' | '/')).to_owned()
        })
        .filter(|part| !part.is_empty())
        .collect()
}

/// The terms of one atom.
fn atom_terms(atom: &str, found: &mut Terms) {
    if let Some((value, unit)) = glued_quantity(atom) {
        found.push(quantity_term(unit.to_base(value), unit));
    } else if let Some(joined) = standard(atom) {
        found.push(joined);
    } else if let Some(thread) = metric_thread(atom) {
        found.push(atom.to_owned());
        found.push(thread.to_owned());
    } else if let Some(value) = atom.strip_prefix('-').and_then(number) {
        found.push(number_text(-value));
    } else if atom != "\"" {
        found.push(atom.to_owned());
    }
}

fn starts_with_digit(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// A decimal ("1.75", "24") or a fraction ("3/8", "1-1/2" is not one: hyphens split codes).
fn number(word: &str) -> Option<f64> {
    if let Some((numerator, denominator)) = word.split_once('/') {
        let (n, d): (f64, f64) = (numerator.parse().ok()?, denominator.parse().ok()?);
        return (d != 0.0 && starts_with_digit(numerator)).then_some(n / d);
    }
    if !word.chars().all(|c| c.is_ascii_digit() || c == '.') || !starts_with_digit(word) {
        return None;
    }
    word.parse().ok().filter(|v: &f64| v.is_finite())
}

/// A word that is a unit and nothing else. Of the one-letter units only those a number is
/// commonly followed by ("5 m", "10 A", "24 V"); "C", "F" and "K" after a number are as often a
/// grade or a size as a temperature, so temperatures are only found glued or spelled out.
fn unit_word(word: &str) -> Option<Unit> {
    if word.chars().count() == 1 && !matches!(word, "m" | "a" | "v" | "w" | "g" | "\"") {
        return None;
    }
    Unit::parse(word)
}

fn glued_quantity(word: &str) -> Option<(f64, Unit)> {
    let (sign, unsigned) = match word.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, word),
    };
    let split = unsigned.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '/'))?;
    let (value, unit) = unsigned.split_at(split);
    let value = sign * number(value)?;
    let unit = Unit::parse(unit)?;
    Some((value, unit))
}

fn standard(word: &str) -> Option<String> {
    let prefix = STANDARDS.iter().find(|p| word.starts_with(**p))?;
    let rest = word[prefix.len()..].trim_start_matches(['-', '.']);
    (!rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())).then(|| format!("{prefix}{rest}"))
}

/// "m12x1.75" → "m12"; `None` for anything but a metric thread with a pitch or length.
fn metric_thread(word: &str) -> Option<&str> {
    let rest = word.strip_prefix('m')?;
    let (size, pitch) = rest.split_once('x')?;
    let numeric = |s: &str| number(s).is_some() && !s.contains('/');
    (numeric(size) && numeric(pitch)).then(|| &word[..=size.len()])
}

/// A number as short as it can be written: "24", "50.8", "0.5".
fn number_text(value: f64) -> String {
    let text = format!("{value}");
    if text.contains('e') {
        return format!("{value:.6}").trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    text
}

/// A unit symbol as a term: folded, letters, digits and '/' only ("°C" → "c", "N·m" → "nm").
fn symbol_term(unit: Unit) -> String {
    fold(unit.symbol()).chars().filter(|c| c.is_ascii_alphanumeric() || *c == '/').collect()
}

#[cfg(test)]
mod tests;

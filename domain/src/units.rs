//! Measurement families and their units, table-driven: every unit is an affine map to its
//! family's base unit (`base = value * factor + offset`), so conversion is one formula.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A measurement family: values of one family can be compared once normalized to its base unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Length,
    Mass,
    Voltage,
    Current,
    Power,
    Frequency,
    RotationalSpeed,
    Pressure,
    Temperature,
    Torque,
    Flow,
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Length => "length",
            Dimension::Mass => "mass",
            Dimension::Voltage => "voltage",
            Dimension::Current => "current",
            Dimension::Power => "power",
            Dimension::Frequency => "frequency",
            Dimension::RotationalSpeed => "rotational speed",
            Dimension::Pressure => "pressure",
            Dimension::Temperature => "temperature",
            Dimension::Torque => "torque",
            Dimension::Flow => "flow",
        }
    }

    /// The unit every value of this family is normalized to.
    pub fn base_unit(self) -> Unit {
        // Invariant of UNITS: the first unit listed for each dimension is its base (factor 1, offset 0).
        self.units().next().unwrap_or_else(|| unreachable!("every dimension has units"))
    }

    pub fn units(self) -> impl Iterator<Item = Unit> {
        UNITS.iter().enumerate().filter(move |(_, u)| u.dimension == self).map(|(i, _)| Unit(i as u8))
    }
}

struct UnitDef {
    symbol: &'static str,
    aliases: &'static [&'static str],
    dimension: Dimension,
    factor: f64,
    offset: f64,
}

const fn unit(symbol: &'static str, aliases: &'static [&'static str], dimension: Dimension, factor: f64) -> UnitDef {
    UnitDef { symbol, aliases, dimension, factor, offset: 0.0 }
}

use Dimension::*;

/// The table. The first entry of each dimension is its base unit.
static UNITS: &[UnitDef] = &[
    unit("mm", &["millimeter", "millimetre"], Length, 1.0),
    unit("cm", &["centimeter", "centimetre"], Length, 10.0),
    unit("m", &["meter", "metre"], Length, 1000.0),
    unit("in", &["inch", "inches", "\""], Length, 25.4),
    unit("ft", &["foot", "feet", "'"], Length, 304.8),
    unit("g", &["gram", "grams"], Mass, 1.0),
    unit("kg", &["kilogram", "kilograms"], Mass, 1000.0),
    unit("lb", &["lbs", "pound", "pounds"], Mass, 453.592_37),
    unit("V", &["volt", "volts"], Voltage, 1.0),
    unit("mV", &["millivolt", "millivolts"], Voltage, 0.001),
    unit("kV", &["kilovolt", "kilovolts"], Voltage, 1000.0),
    unit("A", &["amp", "amps", "ampere", "amperes"], Current, 1.0),
    unit("mA", &["milliamp", "milliamps", "milliampere"], Current, 0.001),
    unit("W", &["watt", "watts"], Power, 1.0),
    unit("kW", &["kilowatt", "kilowatts"], Power, 1000.0),
    unit("hp", &["horsepower"], Power, 745.699_871_582_270_2),
    unit("Hz", &["hertz"], Frequency, 1.0),
    unit("kHz", &["kilohertz"], Frequency, 1000.0),
    unit("rpm", &["r/min", "1/min", "min-1", "min⁻¹"], RotationalSpeed, 1.0),
    unit("Pa", &["pascal"], Pressure, 1.0),
    unit("kPa", &["kilopascal"], Pressure, 1000.0),
    unit("MPa", &["megapascal", "N/mm²", "N/mm2"], Pressure, 1_000_000.0),
    unit("bar", &[], Pressure, 100_000.0),
    unit("psi", &[], Pressure, 6_894.757_293_168_361),
    unit("°C", &["C", "degC", "celsius", "ºC"], Temperature, 1.0),
    UnitDef {
        symbol: "°F",
        aliases: &["F", "degF", "fahrenheit", "ºF"],
        dimension: Temperature,
        factor: 5.0 / 9.0,
        offset: -32.0 * 5.0 / 9.0,
    },
    UnitDef { symbol: "K", aliases: &["kelvin"], dimension: Temperature, factor: 1.0, offset: -273.15 },
    unit("N·m", &["Nm", "N.m", "N*m", "N-m", "newton metre", "newton meter"], Torque, 1.0),
    unit("l/min", &["L/min", "lpm", "l/m"], Flow, 1.0),
    unit("m³/h", &["m3/h", "m^3/h", "cbm/h"], Flow, 1000.0 / 60.0),
];

/// A unit of measurement from the table. Serialized as its canonical symbol.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unit(u8);

impl Unit {
    /// Looks a unit up by symbol or alias: exact first, then ignoring case when that is unambiguous
    /// ("mpa" is not guessed: mPa and MPa differ by 10⁹).
    pub fn parse(text: &str) -> Option<Unit> {
        let text = text.trim();
        let exact = UNITS.iter().position(|u| u.symbol == text || u.aliases.contains(&text));
        if let Some(i) = exact {
            return Some(Unit(i as u8));
        }
        let mut folded = UNITS.iter().enumerate().filter(|(_, u)| {
            u.symbol.eq_ignore_ascii_case(text) || u.aliases.iter().any(|a| a.eq_ignore_ascii_case(text))
        });
        match (folded.next(), folded.next()) {
            (Some((i, _)), None) => Some(Unit(i as u8)),
            _ => None,
        }
    }

    fn def(self) -> &'static UnitDef {
        &UNITS[self.0 as usize]
    }

    pub fn symbol(self) -> &'static str {
        self.def().symbol
    }

    pub fn dimension(self) -> Dimension {
        self.def().dimension
    }

    /// The value expressed in this family's base unit.
    pub fn to_base(self, value: f64) -> f64 {
        let d = self.def();
        value * d.factor + d.offset
    }

    /// A base-unit value expressed in this unit.
    pub fn from_base(self, base: f64) -> f64 {
        let d = self.def();
        (base - d.offset) / d.factor
    }

    /// Converts `value` in this unit to `target`; `None` across families.
    pub fn convert(self, value: f64, target: Unit) -> Option<f64> {
        (self.dimension() == target.dimension()).then(|| target.from_base(self.to_base(value)))
    }

    pub fn all() -> impl Iterator<Item = Unit> {
        (0..UNITS.len()).map(|i| Unit(i as u8))
    }
}

impl fmt::Debug for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unit({})", self.symbol())
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.symbol())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Unit::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown unit {text:?}")))
    }
}

/// Rounds a normalized value so that conversions such as 2 in → 50.8 mm read cleanly
/// (binary floating point would give 50.800000000000004). Twelve significant digits are far
/// beyond any catalog's precision.
pub fn tidy(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let magnitude = value.abs().log10().floor() as i32;
    let scale = 10f64.powi(11 - magnitude);
    if !scale.is_finite() || scale == 0.0 {
        return value;
    }
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(s: &str) -> Unit {
        Unit::parse(s).expect("known unit")
    }

    #[test]
    fn every_dimension_has_a_base_unit_with_identity_conversion() {
        for d in
            [Length, Mass, Voltage, Current, Power, Frequency, RotationalSpeed, Pressure, Temperature, Torque, Flow]
        {
            let base = d.base_unit();
            assert_eq!(base.dimension(), d);
            assert_eq!(base.to_base(42.5), 42.5, "{d:?}");
        }
    }

    #[test]
    fn symbols_and_aliases_are_unambiguous() {
        let mut seen = std::collections::HashSet::new();
        for def in UNITS {
            for name in std::iter::once(&def.symbol).chain(def.aliases.iter()) {
                assert!(seen.insert(*name), "{name} listed twice");
            }
        }
    }

    #[test]
    fn known_conversions() {
        assert_eq!(tidy(u("in").to_base(2.0)), 50.8);
        assert_eq!(tidy(u("ft").to_base(1.0)), 304.8);
        assert_eq!(tidy(u("kV").to_base(0.024)), 24.0);
        assert_eq!(tidy(u("mV").to_base(24_000.0)), 24.0);
        assert_eq!(tidy(u("bar").convert(1.0, u("psi")).unwrap_or_default()), 14.5037737730);
        assert_eq!(tidy(u("°F").to_base(212.0)), 100.0);
        assert_eq!(tidy(u("K").to_base(0.0)), -273.15);
        assert_eq!(tidy(u("m³/h").to_base(6.0)), 100.0);
        assert_eq!(tidy(u("hp").to_base(1.0)), 745.699871582);
        assert_eq!(u("kg").convert(1.0, u("V")), None);
    }

    #[test]
    fn parse_accepts_aliases_and_unambiguous_case() {
        assert_eq!(u("Nm"), u("N·m"));
        assert_eq!(u("m3/h"), u("m³/h"));
        assert_eq!(u("v"), u("V"));
        assert_eq!(u("KW"), u("kW"));
        assert_eq!(u("MPa").symbol(), "MPa");
        assert_eq!(Unit::parse("parsec"), None);
    }

    fn any_unit() -> impl Strategy<Value = Unit> {
        (0..UNITS.len()).prop_map(|i| Unit(i as u8))
    }

    proptest! {
        #[test]
        fn converting_there_and_back_returns_the_value(unit in any_unit(), value in -1.0e6f64..1.0e6) {
            let back = unit.from_base(unit.to_base(value));
            prop_assert!((back - value).abs() <= 1e-9 * value.abs().max(1.0));
        }

        #[test]
        fn conversion_within_a_family_preserves_order(
            (a, b) in any_unit().prop_flat_map(|a| {
                let units: Vec<Unit> = a.dimension().units().collect();
                (Just(a), proptest::sample::select(units))
            }),
            x in -1.0e6f64..1.0e6,
            y in -1.0e6f64..1.0e6,
        ) {
            let (cx, cy) = (a.convert(x, b).unwrap_or(f64::NAN), a.convert(y, b).unwrap_or(f64::NAN));
            prop_assert_eq!(x < y, cx < cy || (x < y && (cx - cy).abs() < 1e-9 * cx.abs().max(1.0)));
        }

        #[test]
        fn parsing_a_symbol_gives_the_unit_back(unit in any_unit()) {
            prop_assert_eq!(Unit::parse(unit.symbol()), Some(unit));
            let json = serde_json::to_string(&unit).unwrap_or_default();
            prop_assert_eq!(serde_json::from_str::<Unit>(&json).ok(), Some(unit));
        }
    }
}

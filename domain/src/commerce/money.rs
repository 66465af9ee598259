//! Money in integer minor units of an ISO 4217 currency, and order quantities: checked once, then
//! types. Arithmetic is checked (overflow and mixed currencies are errors, never wrapped or
//! converted); there are no floats anywhere.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Active ISO 4217 codes. Their minor unit is 2 digits unless listed in `EXPONENT_0`/`EXPONENT_3`.
pub(crate) const CODES: &str =
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP \
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF \
    GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD \
    LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR \
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY \
    TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";
const EXPONENT_0: &str = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF";
const EXPONENT_3: &str = "BHD IQD JOD KWD LYD OMR TND";

/// An ISO 4217 currency code such as `EUR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Three upper-case letters that name an active ISO 4217 currency.
    pub fn parse(field: &str, text: &str) -> Result<Currency, FieldError> {
        let bad = || FieldError::new(field, "invalid_currency", format!("{field} must be an ISO 4217 code like EUR"));
        let bytes: [u8; 3] = text.as_bytes().try_into().map_err(|_| bad())?;
        if !bytes.iter().all(u8::is_ascii_uppercase) || !CODES.split(' ').any(|c| c.as_bytes() == bytes) {
            return Err(bad());
        }
        Ok(Currency(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point: 100 minor units are 1 EUR, 1 JPY is 1 minor unit.
    pub fn exponent(&self) -> u32 {
        if EXPONENT_0.split(' ').any(|c| c == self.as_str()) {
            0
        } else if EXPONENT_3.split(' ').any(|c| c == self.as_str()) {
            3
        } else {
            2
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse("currency", &value).map_err(|e| e.message)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.as_str().to_owned()
    }
}

/// Why money arithmetic has no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is out of range")]
    Overflow,
}

/// An amount in minor units (cents) of a currency: `{ "amount_minor": 1299, "currency": "EUR" }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// Integer minor units (cents); a price is zero or more.
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Money {
        Money { amount_minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { amount_minor: 0, currency }
    }

    /// A price as given in a command: a known currency and an amount of zero or more. Both fields
    /// are checked and every failure is reported (`price.amount_minor`, `price.currency`).
    pub fn parse_price(field: &str, amount_minor: i64, currency: &str) -> Result<Money, Vec<FieldError>> {
        let currency = Currency::parse(&format!("{field}.currency"), currency);
        let amount = if amount_minor < 0 {
            Err(FieldError::new(
                format!("{field}.amount_minor"),
                "negative_price",
                format!("{field}.amount_minor must be zero or more"),
            ))
        } else {
            Ok(amount_minor)
        };
        match (amount, currency) {
            (Ok(amount_minor), Ok(currency)) => Ok(Money { amount_minor, currency }),
            (amount, currency) => Err(amount.err().into_iter().chain(currency.err()).collect()),
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount_minor = self.amount_minor.checked_add(other.amount_minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { amount_minor, ..self })
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount_minor = self.amount_minor.checked_sub(other.amount_minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { amount_minor, ..self })
    }

    /// A unit price times a quantity: a line total.
    pub fn times(self, quantity: Quantity) -> Result<Money, MoneyError> {
        let amount_minor = self.amount_minor.checked_mul(i64::from(quantity.get())).ok_or(MoneyError::Overflow)?;
        Ok(Money { amount_minor, ..self })
    }

    /// The sum of `amounts`, all in `currency` (zero when there are none).
    pub fn sum(currency: Currency, amounts: impl IntoIterator<Item = Money>) -> Result<Money, MoneyError> {
        amounts.into_iter().try_fold(Money::zero(currency), Money::checked_add)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    /// `12.99 EUR`, with the currency's own number of decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exponent = self.currency.exponent();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let amount = self.amount_minor.unsigned_abs();
        if exponent == 0 {
            return write!(f, "{sign}{amount} {}", self.currency);
        }
        let scale = 10u64.pow(exponent);
        write!(f, "{sign}{}.{:0width$} {}", amount / scale, amount % scale, self.currency, width = exponent as usize)
    }
}

/// The most of one product a line may hold: keeps every line total far from overflow.
pub const QUANTITY_MAX: u32 = 1_000_000;

/// A number of units: 1 to `QUANTITY_MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    pub const ONE: Quantity = Quantity(1);

    pub fn parse(field: &str, value: i64) -> Result<Quantity, FieldError> {
        match u32::try_from(value) {
            Ok(n) if (1..=QUANTITY_MAX).contains(&n) => Ok(Quantity(n)),
            _ => Err(FieldError::new(
                field,
                "invalid_quantity",
                format!("{field} must be a whole number from 1 to {QUANTITY_MAX}"),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The sum, when it is still a quantity.
    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_add(other.0).filter(|n| *n <= QUANTITY_MAX).map(Quantity)
    }
}

impl TryFrom<u32> for Quantity {
    type Error = String;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Quantity::parse("quantity", i64::from(value)).map_err(|e| e.message)
    }
}

impl From<Quantity> for u32 {
    fn from(quantity: Quantity) -> u32 {
        quantity.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;

    fn eur(amount_minor: i64) -> Money {
        Money::new(amount_minor, Currency::parse("c", "EUR").unwrap())
    }

    #[test]
    fn currencies_are_known_iso_codes_in_upper_case() {
        assert_eq!(Currency::parse("currency", "EUR").unwrap().as_str(), "EUR");
        for bad in ["eur", "EURO", "EU", "XYZ", "", "€"] {
            assert_eq!(Currency::parse("currency", bad).unwrap_err().code, "invalid_currency", "{bad}");
        }
        assert_eq!(serde_json::from_str::<Currency>("\"JPY\"").unwrap().exponent(), 0);
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }

    #[test]
    fn a_price_lists_every_bad_field_and_prints_with_the_currency_decimals() {
        let errors = Money::parse_price("price", -1, "eur").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["price.amount_minor", "price.currency"]);
        assert_eq!(eur(1299).to_string(), "12.99 EUR");
        assert_eq!(eur(-5).to_string(), "-0.05 EUR");
        assert_eq!(Money::parse_price("p", 1500, "JPY").unwrap().to_string(), "1500 JPY");
        assert_eq!(Money::parse_price("p", 1500, "KWD").unwrap().to_string(), "1.500 KWD");
        let json = serde_json::to_value(eur(1299)).unwrap();
        assert_eq!(json, serde_json::json!({"amount_minor": 1299, "currency": "EUR"}));
    }

    #[test]
    fn mixed_currencies_and_overflow_are_errors() {
        let usd = Money::parse_price("p", 1, "USD").unwrap();
        assert!(matches!(eur(1).checked_add(usd), Err(MoneyError::CurrencyMismatch(..))));
        assert_eq!(eur(i64::MAX).checked_add(eur(1)), Err(MoneyError::Overflow));
        assert_eq!(eur(i64::MAX / 2).times(Quantity::parse("q", 3).unwrap()), Err(MoneyError::Overflow));
    }

    #[test]
    fn quantities_are_whole_numbers_from_one_to_the_maximum() {
        for bad in [0, -3, i64::from(QUANTITY_MAX) + 1] {
            assert_eq!(Quantity::parse("quantity", bad).unwrap_err().code, "invalid_quantity");
        }
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert_eq!(Quantity::parse("q", QUANTITY_MAX.into()).unwrap().checked_add(Quantity::ONE), None);
    }

    proptest! {
        #[test]
        fn addition_is_commutative_associative_and_undone_by_subtraction(
            a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000,
            c in -1_000_000_000_000i64..1_000_000_000_000,
        ) {
            let (a, b, c) = (eur(a), eur(b), eur(c));
            prop_assert_eq!(a.checked_add(b), b.checked_add(a));
            prop_assert_eq!(a.checked_add(b).unwrap().checked_add(c), a.checked_add(b.checked_add(c).unwrap()));
            prop_assert_eq!(a.checked_add(b).unwrap().checked_sub(b), Ok(a));
        }

        #[test]
        fn checked_arithmetic_agrees_with_wide_integers_or_reports_overflow(a in any::<i64>(), b in any::<i64>(), q in 1u32..=QUANTITY_MAX) {
            let exact = i128::from(a) + i128::from(b);
            match eur(a).checked_add(eur(b)) {
                Ok(sum) => prop_assert_eq!(i128::from(sum.amount_minor), exact),
                Err(e) => prop_assert!(e == MoneyError::Overflow && i64::try_from(exact).is_err()),
            }
            let product = i128::from(a) * i128::from(q);
            match eur(a).times(Quantity(q)) {
                Ok(total) => prop_assert_eq!(i128::from(total.amount_minor), product),
                Err(e) => prop_assert!(e == MoneyError::Overflow && i64::try_from(product).is_err()),
            }
        }

        #[test]
        fn a_sum_is_the_total_of_its_parts_in_any_order(amounts in proptest::collection::vec(0i64..1_000_000_000, 0..20)) {
            let currency = eur(0).currency;
            let forward = Money::sum(currency, amounts.iter().map(|a| eur(*a))).unwrap();
            let backward = Money::sum(currency, amounts.iter().rev().map(|a| eur(*a))).unwrap();
            prop_assert_eq!(forward, backward);
            prop_assert_eq!(forward.amount_minor, amounts.iter().sum::<i64>());
        }

        #[test]
        fn a_quantity_parses_back_from_its_json(n in 1u32..=QUANTITY_MAX) {
            let quantity = Quantity::parse("q", n.into()).unwrap();
            prop_assert_eq!(serde_json::from_value::<Quantity>(serde_json::to_value(quantity).unwrap()).unwrap(), quantity);
        }
    }
}

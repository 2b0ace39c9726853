//! Swedish personal identity numbers (personnummer), parsed once at the edge and carried as a
//! validated value in the canonical form `YYYYMMDD-NNNN`.

use chrono::{Datelike, NaiveDate};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonalIdentityNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("use YYYYMMDD-NNNN, YYYYMMDDNNNN or YYMMDD-NNNN")]
    Format,
    #[error("the date of birth is not a real date")]
    Date,
    #[error("the check digit does not match")]
    CheckDigit,
}

impl PersonalIdentityNumber {
    /// Parses the accepted spellings. A two-digit year is placed in the most recent century that
    /// does not put the birth date in the future (`today` makes that testable).
    pub fn parse_at(input: &str, today: NaiveDate) -> Result<Self, PinError> {
        let s = input.trim();
        // The shapes below are cut at byte offsets: only ASCII can be cut anywhere.
        if !s.is_ascii() {
            return Err(PinError::Format);
        }
        let (date_part, serial) = match s.len() {
            13 if s.as_bytes()[8] == b'-' => (&s[..8], &s[9..]),
            12 => (&s[..8], &s[8..]),
            11 if s.as_bytes()[6] == b'-' => (&s[..6], &s[7..]),
            _ => return Err(PinError::Format),
        };
        if !date_part.bytes().all(|b| b.is_ascii_digit())
            || !serial.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(PinError::Format);
        }
        let full_date = if date_part.len() == 6 {
            expand_century(date_part, today)?
        } else {
            date_part.to_string()
        };
        let date = NaiveDate::parse_from_str(&full_date, "%Y%m%d").map_err(|_| PinError::Date)?;
        let ten = format!("{}{}", &full_date[2..], serial);
        if luhn_check_digit(&ten[..9]) != ten.as_bytes()[9] - b'0' {
            return Err(PinError::CheckDigit);
        }
        Ok(Self(format!("{}-{}", date.format("%Y%m%d"), serial)))
    }

    pub fn parse(input: &str) -> Result<Self, PinError> {
        Self::parse_at(input, chrono::Local::now().date_naive())
    }

    /// Builds a valid number from a birth date and a three-digit serial (used by demo data).
    pub fn from_parts(birth: NaiveDate, serial: u16) -> Self {
        let serial = serial % 1000;
        let nine = format!("{}{:03}", birth.format("%y%m%d"), serial);
        let check = luhn_check_digit(&nine);
        Self(format!("{}-{:03}{}", birth.format("%Y%m%d"), serial, check))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[..8], "%Y%m%d").expect("validated on construction")
    }
}

impl fmt::Display for PersonalIdentityNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn expand_century(yymmdd: &str, today: NaiveDate) -> Result<String, PinError> {
    let yy: i32 = yymmdd[..2].parse().map_err(|_| PinError::Format)?;
    let mut year = today.year() - today.year().rem_euclid(100) + yy;
    let candidate =
        |year: i32| NaiveDate::parse_from_str(&format!("{year:04}{}", &yymmdd[2..]), "%Y%m%d");
    match candidate(year) {
        Ok(date) if date > today => year -= 100,
        Ok(_) => {}
        // 29 February may exist only in the earlier century; try it before giving up.
        Err(_) => year -= 100,
    }
    candidate(year).map_err(|_| PinError::Date)?;
    Ok(format!("{year:04}{}", &yymmdd[2..]))
}

/// The Luhn check digit over the nine digits YYMMDDNNN.
fn luhn_check_digit(nine: &str) -> u8 {
    let sum: u32 = nine
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn accepts_the_three_spellings_and_normalises() {
        for input in ["19811218-9876", "198112189876", "811218-9876"] {
            let pin = PersonalIdentityNumber::parse_at(input, today()).unwrap();
            assert_eq!(pin.as_str(), "19811218-9876", "{input}");
        }
    }

    #[test]
    fn two_digit_year_never_lands_in_the_future() {
        let pin = PersonalIdentityNumber::parse_at("121212-1212", today()).unwrap();
        assert_eq!(pin.as_str(), "20121212-1212");
        let born_1927 =
            PersonalIdentityNumber::from_parts(NaiveDate::from_ymd_opt(1927, 1, 1).unwrap(), 123);
        let short = format!("{}-{}", &born_1927.as_str()[2..8], &born_1927.as_str()[9..]);
        assert_eq!(
            PersonalIdentityNumber::parse_at(&short, today()).unwrap(),
            born_1927
        );
    }

    #[test]
    fn text_that_is_not_ascii_is_refused_not_cut_apart() {
        for input in [
            "1234567é890",
            "1234567é8901",
            "19811218–9876",
            "８１１２１８-９８７６",
        ] {
            assert_eq!(
                PersonalIdentityNumber::parse_at(input, today()),
                Err(PinError::Format),
                "{input}"
            );
        }
    }

    #[test]
    fn rejects_wrong_check_digit_dates_and_shapes() {
        assert_eq!(
            PersonalIdentityNumber::parse_at("19811218-9875", today()),
            Err(PinError::CheckDigit)
        );
        assert_eq!(
            PersonalIdentityNumber::parse_at("19811318-9876", today()),
            Err(PinError::Date)
        );
        assert_eq!(
            PersonalIdentityNumber::parse_at("19811218+9876", today()),
            Err(PinError::Format)
        );
        assert_eq!(
            PersonalIdentityNumber::parse_at("abc", today()),
            Err(PinError::Format)
        );
        assert_eq!(
            PersonalIdentityNumber::parse_at("1981121-89876", today()),
            Err(PinError::Format)
        );
    }

    #[test]
    fn built_numbers_validate() {
        let birth = NaiveDate::from_ymd_opt(1990, 2, 28).unwrap();
        for serial in [0, 17, 238, 999] {
            let pin = PersonalIdentityNumber::from_parts(birth, serial);
            assert_eq!(
                PersonalIdentityNumber::parse_at(pin.as_str(), today()).unwrap(),
                pin
            );
        }
    }
}

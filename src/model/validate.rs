//! Syntax rules for the free-text fields of an employee. Each returns the normalised value or a
//! short reason that the caller attaches to the field it came from.

use chrono::NaiveDate;

/// A pragmatic address check: one `@`, a non-empty local part, a dotted domain of letters,
/// digits and hyphens, no spaces. Deliverability is not our call.
pub fn email(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    let (local, domain) = s.split_once('@').ok_or("an email address needs an @")?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(s.to_string())
    } else {
        Err("not a valid email address")
    }
}

/// ISO 3166-1 alpha-2, upper-cased.
pub fn country_code(input: &str) -> Result<String, &'static str> {
    let code = input.trim().to_ascii_uppercase();
    if code.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|c| c == code) {
        Ok(code)
    } else {
        Err("not an ISO 3166-1 alpha-2 country code")
    }
}

/// `YYYY-MM-DD`, and a real day.
pub fn date(input: &str) -> Result<NaiveDate, &'static str> {
    let s = input.trim();
    if s.len() != 10 {
        return Err("use YYYY-MM-DD");
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "not a real date in YYYY-MM-DD")
}

/// Digits only (spaces and hyphens typed for readability are dropped), within a length range.
pub fn digits(input: &str, min: usize, max: usize) -> Result<String, &'static str> {
    let s: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
        return Err("digits only");
    }
    if s.len() < min || s.len() > max {
        return Err("wrong number of digits");
    }
    Ok(s)
}

pub fn clearing_number(input: &str) -> Result<String, &'static str> {
    digits(input, 4, 5).map_err(|e| {
        if e == "digits only" {
            e
        } else {
            "a clearing number has 4 or 5 digits"
        }
    })
}

pub fn bank_account_number(input: &str) -> Result<String, &'static str> {
    digits(input, 1, 15).map_err(|e| {
        if e == "digits only" {
            e
        } else {
            "an account number has at most 15 digits"
        }
    })
}

/// A phone number as people type it: digits with spaces, hyphens, parentheses and a leading +.
pub fn phone(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
    let allowed = s
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (c == '+' && i == 0));
    if allowed && (5..=15).contains(&digits) {
        Ok(s.to_string())
    } else {
        Err("not a phone number: digits, spaces, hyphens, parentheses and a leading +")
    }
}

/// A postal code: digits, letters, spaces and hyphens, at most 10 characters.
pub fn zip_code(input: &str) -> Result<String, &'static str> {
    let s = input.trim();
    if !s.is_empty()
        && s.len() <= 10
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        Ok(s.to_string())
    } else {
        Err("not a postal code")
    }
}

/// Free text: trimmed, an empty string counts as no value.
pub fn text(input: &str) -> Option<String> {
    let s = input.trim();
    (!s.is_empty()).then(|| s.to_string())
}

const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(email(" Anna.Ek@Example.se ").unwrap(), "Anna.Ek@Example.se");
        for bad in [
            "",
            "anna",
            "anna@",
            "@x.se",
            "anna@x",
            "an na@x.se",
            "anna@x..se",
            "a@b.c",
            "a..b@x.se",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn country_codes() {
        assert_eq!(country_code("se").unwrap(), "SE");
        assert!(country_code("XX").is_err());
        assert!(country_code("SWE").is_err());
    }

    #[test]
    fn dates_and_digits() {
        assert!(date("2024-02-29").is_ok());
        assert!(date("2023-02-29").is_err());
        assert!(date("2024-2-1").is_err());
        assert_eq!(clearing_number("8327-9").unwrap(), "83279");
        assert!(clearing_number("12a4").is_err());
        assert!(clearing_number("123").is_err());
        assert_eq!(bank_account_number("123 456 789").unwrap(), "123456789");
    }
}

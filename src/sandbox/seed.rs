//! Realistic Swedish demo employees, always the same ones for the same count: a fixed seed, and
//! employee k does not depend on how many come after it.

use super::rng::SplitMix64;
use crate::kleer::wire::{EmploymentEnd, PayrollUserWrite, UserWrite};
use crate::model::PersonalIdentityNumber;
use chrono::{Datelike, Days, NaiveDate};
use std::collections::HashSet;

const SEED: u64 = 0x4b4c_4545_5253_4242;

const FIRST_NAMES: &[&str] = &[
    "Anna", "Eva", "Maria", "Karin", "Sara", "Kristina", "Lena", "Emma", "Kerstin", "Ingrid",
    "Malin", "Jenny", "Annika", "Hanna", "Linda", "Elin", "Åsa", "Ulla", "Sofia", "Birgitta",
    "Maja", "Linnéa", "Märta", "Ebba", "Astrid", "Saga", "Alva", "Ella", "Lars", "Mikael",
    "Anders", "Johan", "Erik", "Per", "Karl", "Peter", "Jan", "Thomas", "Daniel", "Fredrik",
    "Hans", "Bengt", "Mats", "Magnus", "Björn", "Jörgen", "Göran", "Håkan", "Stefan", "Oskar",
    "Nils", "Gustav", "Axel", "Elias", "Måns", "Östen", "Sören", "Åke", "Jonas", "Ali",
];

const LAST_NAMES: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Jönsson",
    "Lindberg",
    "Jakobsson",
    "Magnusson",
    "Lindström",
    "Olofsson",
    "Lindqvist",
    "Lindgren",
    "Berg",
    "Axelsson",
    "Bergström",
    "Lundberg",
    "Lundgren",
    "Mattsson",
    "Berglund",
    "Fredriksson",
    "Sandberg",
    "Henriksson",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Engström",
    "Eklund",
    "Danielsson",
    "Håkansson",
    "Björk",
    "Bergman",
    "Holm",
    "Wikström",
    "Isaksson",
    "Nyström",
    "Holmberg",
    "Löfgren",
    "Söderberg",
    "Nyberg",
    "Blomqvist",
    "Mårtensson",
    "Björklund",
    "Pålsson",
    "Åberg",
    "Ekström",
    "Sjögren",
    "Öberg",
    "Strömberg",
    "Månsson",
    "Åkesson",
    "Hussein",
];

const STREETS: &[&str] = &[
    "Storgatan",
    "Drottninggatan",
    "Kungsgatan",
    "Vasagatan",
    "Skolgatan",
    "Kyrkogatan",
    "Järnvägsgatan",
    "Parkvägen",
    "Björkvägen",
    "Ekvägen",
    "Tallvägen",
    "Lärkvägen",
    "Sjövägen",
    "Ängsvägen",
    "Västra Hamngatan",
    "Östra Långgatan",
    "Södra Förstadsgatan",
    "Linnégatan",
    "Odengatan",
    "Götgatan",
    "Rönnvägen",
    "Granvägen",
    "Strandvägen",
    "Kvarngatan",
];

/// A city and the first three digits of its zip codes (and how many such prefixes it has).
const CITIES: &[(&str, u32, u32)] = &[
    ("Stockholm", 111, 9),
    ("Göteborg", 411, 8),
    ("Malmö", 211, 8),
    ("Uppsala", 752, 5),
    ("Västerås", 722, 4),
    ("Örebro", 702, 4),
    ("Linköping", 582, 4),
    ("Helsingborg", 252, 4),
    ("Jönköping", 553, 3),
    ("Norrköping", 602, 4),
    ("Lund", 222, 4),
    ("Umeå", 903, 4),
    ("Gävle", 802, 4),
    ("Borås", 503, 4),
    ("Södertälje", 151, 5),
    ("Växjö", 352, 3),
    ("Karlstad", 652, 4),
    ("Sundsvall", 852, 4),
    ("Luleå", 972, 4),
    ("Östersund", 831, 4),
];

/// A bank: its first clearing number, how many it has, and its account number length.
const BANKS: &[(u64, u64, u32)] = &[
    (6000, 1000, 9), // Handelsbanken
    (5000, 1000, 7), // SEB
    (3000, 300, 7),  // Nordea
    (1200, 200, 7),  // Danske Bank
    (9020, 9, 7),    // Länsförsäkringar
];

/// `count` employees as the user and the payroll agreement to create for each.
pub fn employees(count: usize) -> Vec<(UserWrite, PayrollUserWrite)> {
    let mut rng = SplitMix64::new(SEED);
    let mut pins = HashSet::new();
    let mut emails = HashSet::new();
    (0..count)
        .map(|_| employee(&mut rng, &mut pins, &mut emails))
        .collect()
}

fn employee(
    rng: &mut SplitMix64,
    pins: &mut HashSet<PersonalIdentityNumber>,
    emails: &mut HashSet<String>,
) -> (UserWrite, PayrollUserWrite) {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);

    let pin = loop {
        let birth = day_between(rng, date(1962, 1, 1), date(2004, 12, 31));
        let pin = PersonalIdentityNumber::from_parts(birth, rng.below(1000) as u16);
        if pins.insert(pin.clone()) {
            break pin;
        }
    };
    let birth = pin.birth_date();

    let base = format!("{}.{}", ascii_fold(first), ascii_fold(last));
    let email = (1..)
        .map(|n| match n {
            1 => format!("{base}@example.se"),
            n => format!("{base}{n}@example.se"),
        })
        .find(|email| emails.insert(email.clone()))
        .expect("an unused address exists");

    let (city, first_prefix, prefixes) = *rng.pick(CITIES);
    let zip = (u64::from(first_prefix) + rng.below(u64::from(prefixes))) * 100 + rng.below(100);
    let (clearing_start, clearing_count, account_len) = *rng.pick(BANKS);
    let account = (0..account_len)
        .map(|i| {
            let digit = if i == 0 {
                1 + rng.below(9)
            } else {
                rng.below(10)
            };
            char::from(b'0' + digit as u8)
        })
        .collect::<String>();

    let adult = birth
        .with_year(birth.year() + 18)
        .unwrap_or_else(|| date(birth.year() + 18, 3, 1));
    let start = day_between(rng, date(2008, 1, 1), date(2025, 6, 30)).max(adult);
    let end = rng
        .chance(0.12)
        .then(|| start + Days::new(180 + rng.below(1800)));

    let user = UserWrite {
        name: Some(format!("{first} {last}")),
        email: Some(email),
        foreign_id: None,
        active: Some(true),
    };
    let payroll = PayrollUserWrite {
        ssn: Some(pin.as_str().to_string()),
        address2: Some(format!("{} {}", rng.pick(STREETS), 1 + rng.below(80))),
        zip_code: Some(format!("{zip:05}")),
        state: Some(city.to_string()),
        country_code: Some("SE".into()),
        phone: Some(format!(
            "07{}-{:03} {:02} {:02}",
            rng.pick(&[0, 2, 3, 6, 9]),
            rng.below(1000),
            rng.below(100),
            rng.below(100)
        )),
        tax_table: Some(29 + rng.below(8) as i32),
        tax_table_column: Some(1),
        clearing_nr: Some((clearing_start + rng.below(clearing_count)).to_string()),
        account_nr: Some(account),
        employment_start_date: Some(start),
        employment_end_date: end.map(EmploymentEnd::on),
        monthly_salary: Some(25_000 + rng.below(451) as i64 * 100),
        monthly_salary_start_date: Some(start),
        address1: None,
        manager_user: None,
    };
    (user, payroll)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a fixed, valid date")
}

fn day_between(rng: &mut SplitMix64, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64 + 1;
    from + Days::new(rng.below(span))
}

/// `Åsa Öberg` becomes `asa` and `oberg` in an email address.
fn ascii_fold(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            'å' | 'ä' | 'á' | 'à' => Some('a'),
            'ö' | 'ø' | 'ó' => Some('o'),
            'é' | 'è' | 'ë' => Some('e'),
            'ü' | 'ú' => Some('u'),
            c if c.is_ascii_alphanumeric() => Some(c),
            ' ' | '-' => Some('-'),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employees_are_realistic_distinct_and_deterministic() {
        let people = employees(200);
        assert_eq!(people, employees(200));
        assert_eq!(people[..10], employees(10)[..]);

        let pins: HashSet<_> = people.iter().map(|(_, p)| p.ssn.clone().unwrap()).collect();
        assert_eq!(pins.len(), 200);
        let emails: HashSet<_> = people
            .iter()
            .map(|(u, _)| u.email.clone().unwrap())
            .collect();
        assert_eq!(emails.len(), 200);

        for (user, payroll) in &people {
            let pin = PersonalIdentityNumber::parse(payroll.ssn.as_deref().unwrap()).unwrap();
            assert_eq!(pin.as_str(), payroll.ssn.as_deref().unwrap());
            let email = user.email.as_deref().unwrap();
            assert!(
                email.is_ascii() && email.ends_with("@example.se"),
                "{email}"
            );
            assert!(crate::model::validate::email(email).is_ok(), "{email}");
            let zip = payroll.zip_code.as_deref().unwrap();
            assert!(
                zip.len() == 5 && zip.bytes().all(|b| b.is_ascii_digit()),
                "{zip}"
            );
            assert!((29..=36).contains(&payroll.tax_table.unwrap()));
            assert_eq!(payroll.tax_table_column, Some(1));
            assert!((25_000..=70_000).contains(&payroll.monthly_salary.unwrap()));
            assert_eq!(payroll.clearing_nr.as_deref().unwrap().len(), 4);
            assert!(
                crate::model::validate::bank_account_number(payroll.account_nr.as_deref().unwrap())
                    .is_ok()
            );
            let start = payroll.employment_start_date.unwrap();
            assert!(start < date(2025, 7, 1) && start > pin.birth_date());
            if let Some(end) = &payroll.employment_end_date {
                assert!(end.date.unwrap() > start);
            }
            assert_eq!(user.foreign_id, None);
        }
        let ended = people
            .iter()
            .filter(|(_, p)| p.employment_end_date.is_some())
            .count();
        assert!((5..60).contains(&ended), "{ended} with an end date");
        assert!(people.iter().any(|(u, _)| {
            u.name
                .as_deref()
                .unwrap()
                .contains(['å', 'ä', 'ö', 'Å', 'Ö'])
        }));
    }

    #[test]
    fn names_fold_to_ascii() {
        assert_eq!(ascii_fold("Åsa"), "asa");
        assert_eq!(ascii_fold("Linnéa"), "linnea");
        assert_eq!(ascii_fold("Mårtensson"), "martensson");
    }
}

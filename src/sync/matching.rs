//! Automatic matching of unlinked Kleer employees to unlinked HR employees: the same personal
//! identity number first, then the same email (case-insensitive, private or work). A match is
//! made only when it is unambiguous, one candidate on each side; otherwise the row stays
//! unmatched and says why. Every lookup is a hash lookup, so the work grows linearly with the
//! rows, never with the pairs.

use crate::model::{EmployeeId, KleerUserId};
use crate::store::KleerKeys;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchedBy {
    PersonalIdentityNumber,
    Email,
    Manual,
    Link,
}

/// An HR employee free to be matched: not linked, not matched by hand to another row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HrKeys {
    pub employee_id: EmployeeId,
    pub personal_identity_number: Option<String>,
    /// Lower-cased private and work email.
    pub email_keys: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutoMatch {
    Matched(EmployeeId, MatchedBy),
    /// More than one candidate on a side; the text says which.
    Ambiguous(String),
    Unmatched,
}

/// Matches each of `rows` against `hr`. `unlinked_kleer` holds every unlinked Kleer employee
/// sharing a key with the rows or with the HR candidates (the rows included): it tells a unique
/// key from a shared one.
pub fn auto_match(
    rows: &[KleerKeys],
    unlinked_kleer: &[KleerKeys],
    hr: &[HrKeys],
) -> HashMap<KleerUserId, AutoMatch> {
    let index = Index::new(unlinked_kleer, hr);
    rows.iter()
        .map(|row| (row.kleer_user_id, index.match_one(row)))
        .collect()
}

struct Index<'a> {
    kleer_by_pin: HashMap<&'a str, HashSet<KleerUserId>>,
    kleer_by_email: HashMap<&'a str, HashSet<KleerUserId>>,
    hr_by_pin: HashMap<&'a str, Vec<&'a HrKeys>>,
    hr_by_email: HashMap<&'a str, Vec<&'a HrKeys>>,
}

impl<'a> Index<'a> {
    fn new(kleer: &'a [KleerKeys], hr: &'a [HrKeys]) -> Self {
        let mut index = Index {
            kleer_by_pin: HashMap::new(),
            kleer_by_email: HashMap::new(),
            hr_by_pin: HashMap::new(),
            hr_by_email: HashMap::new(),
        };
        for k in kleer {
            if let Some(pin) = &k.personal_identity_number {
                index
                    .kleer_by_pin
                    .entry(pin)
                    .or_default()
                    .insert(k.kleer_user_id);
            }
            if let Some(email) = &k.email_key {
                index
                    .kleer_by_email
                    .entry(email)
                    .or_default()
                    .insert(k.kleer_user_id);
            }
        }
        for h in hr {
            if let Some(pin) = &h.personal_identity_number {
                index.hr_by_pin.entry(pin).or_default().push(h);
            }
            let mut own: HashSet<&str> = HashSet::new();
            for email in &h.email_keys {
                if own.insert(email) {
                    index.hr_by_email.entry(email).or_default().push(h);
                }
            }
        }
        index
    }

    fn match_one(&self, row: &KleerKeys) -> AutoMatch {
        if let Some(pin) = row.personal_identity_number.as_deref()
            && let Some(found) = self.by_pin(pin)
        {
            return found;
        }
        match row.email_key.as_deref() {
            Some(email) => self.by_email(row, email),
            None => AutoMatch::Unmatched,
        }
    }

    /// `None` when no HR employee has the number, so that email gets its turn.
    fn by_pin(&self, pin: &str) -> Option<AutoMatch> {
        let hr = self.hr_by_pin.get(pin).filter(|c| !c.is_empty())?;
        let kleer = self.kleer_by_pin.get(pin).map_or(1, HashSet::len);
        Some(if hr.len() > 1 {
            AutoMatch::Ambiguous(format!(
                "{} HR employees have this personal identity number",
                hr.len()
            ))
        } else if kleer > 1 {
            AutoMatch::Ambiguous(format!(
                "{kleer} Kleer employees have this personal identity number"
            ))
        } else {
            AutoMatch::Matched(hr[0].employee_id, MatchedBy::PersonalIdentityNumber)
        })
    }

    fn by_email(&self, row: &KleerKeys, email: &str) -> AutoMatch {
        let candidates: Vec<&HrKeys> = self
            .hr_by_email
            .get(email)
            .into_iter()
            .flatten()
            .copied()
            .filter(
                |h| match (&h.personal_identity_number, &row.personal_identity_number) {
                    // Two different numbers are two different people, whatever the email says.
                    (Some(a), Some(b)) => a == b,
                    // An HR employee whose number a Kleer employee has is that one's match.
                    (Some(a), None) => !self.kleer_by_pin.contains_key(a.as_str()),
                    _ => true,
                },
            )
            .collect();
        match candidates.as_slice() {
            [] => AutoMatch::Unmatched,
            [h] => {
                let kleer: HashSet<KleerUserId> = h
                    .email_keys
                    .iter()
                    .filter_map(|e| self.kleer_by_email.get(e.as_str()))
                    .flatten()
                    .copied()
                    .chain([row.kleer_user_id])
                    .collect();
                if kleer.len() > 1 {
                    AutoMatch::Ambiguous(format!(
                        "{} Kleer employees have this HR employee's email",
                        kleer.len()
                    ))
                } else {
                    AutoMatch::Matched(h.employee_id, MatchedBy::Email)
                }
            }
            many => AutoMatch::Ambiguous(format!("{} HR employees have this email", many.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kleer(id: i64, pin: Option<&str>, email: Option<&str>) -> KleerKeys {
        KleerKeys {
            kleer_user_id: KleerUserId(id),
            personal_identity_number: pin.map(Into::into),
            email_key: email.map(Into::into),
        }
    }

    fn hr(id: i64, pin: Option<&str>, emails: &[&str]) -> HrKeys {
        HrKeys {
            employee_id: EmployeeId(id),
            personal_identity_number: pin.map(Into::into),
            email_keys: emails.iter().map(|e| e.to_string()).collect(),
        }
    }

    fn run(kleer_rows: &[KleerKeys], hr_rows: &[HrKeys]) -> HashMap<KleerUserId, AutoMatch> {
        auto_match(kleer_rows, kleer_rows, hr_rows)
    }

    #[test]
    fn the_personal_identity_number_wins_over_the_email() {
        let k = [kleer(1, Some("19811218-9876"), Some("a@x.se"))];
        let h = [
            hr(10, None, &["a@x.se"]),
            hr(11, Some("19811218-9876"), &["other@x.se"]),
        ];
        assert_eq!(
            run(&k, &h)[&KleerUserId(1)],
            AutoMatch::Matched(EmployeeId(11), MatchedBy::PersonalIdentityNumber)
        );
    }

    #[test]
    fn email_matches_private_or_work_email() {
        let k = [
            kleer(1, None, Some("anna@corp.se")),
            kleer(2, None, Some("bo@home.se")),
        ];
        let h = [
            hr(10, None, &["anna@home.se", "anna@corp.se"]),
            hr(11, None, &["bo@home.se"]),
        ];
        let m = run(&k, &h);
        assert_eq!(
            m[&KleerUserId(1)],
            AutoMatch::Matched(EmployeeId(10), MatchedBy::Email)
        );
        assert_eq!(
            m[&KleerUserId(2)],
            AutoMatch::Matched(EmployeeId(11), MatchedBy::Email)
        );
    }

    #[test]
    fn shared_keys_on_either_side_stay_unmatched_and_say_why() {
        let k = [
            kleer(1, Some("P1"), None),
            kleer(2, Some("P1"), None),
            kleer(3, None, Some("same@x.se")),
        ];
        let h = [
            hr(10, Some("P1"), &[]),
            hr(11, None, &["same@x.se"]),
            hr(12, None, &["same@x.se"]),
        ];
        let m = run(&k, &h);
        assert_eq!(
            m[&KleerUserId(1)],
            AutoMatch::Ambiguous("2 Kleer employees have this personal identity number".into())
        );
        assert_eq!(
            m[&KleerUserId(3)],
            AutoMatch::Ambiguous("2 HR employees have this email".into())
        );
    }

    #[test]
    fn one_hr_employee_reached_by_two_emails_is_ambiguous() {
        let k = [
            kleer(1, None, Some("a@home.se")),
            kleer(2, None, Some("a@corp.se")),
        ];
        let h = [hr(10, None, &["a@home.se", "a@corp.se"])];
        let m = run(&k, &h);
        assert!(matches!(m[&KleerUserId(1)], AutoMatch::Ambiguous(_)));
        assert!(matches!(m[&KleerUserId(2)], AutoMatch::Ambiguous(_)));
    }

    #[test]
    fn an_email_never_pairs_two_different_numbers() {
        let k = [kleer(1, Some("P1"), Some("a@x.se"))];
        let h = [hr(10, Some("P2"), &["a@x.se"])];
        assert_eq!(run(&k, &h)[&KleerUserId(1)], AutoMatch::Unmatched);
        // Nor takes an HR employee that another Kleer employee has by number.
        let k = [kleer(1, None, Some("a@x.se")), kleer(2, Some("P2"), None)];
        assert_eq!(run(&k, &h)[&KleerUserId(1)], AutoMatch::Unmatched);
        assert_eq!(
            run(&k, &h)[&KleerUserId(2)],
            AutoMatch::Matched(EmployeeId(10), MatchedBy::PersonalIdentityNumber)
        );
    }

    #[test]
    fn ten_thousand_by_ten_thousand_matches_every_pair_it_should() {
        // Linear in the rows: 10,000 × 10,000 would be 10^8 comparisons pairwise; here it is
        // two passes of hash inserts and one of lookups. Half match by number, a quarter by
        // email, a quarter not at all.
        let n = 10_000;
        let k: Vec<KleerKeys> = (0..n)
            .map(|i| match i % 4 {
                0 | 1 => kleer(i, Some(&format!("P{i}")), None),
                2 => kleer(i, None, Some(&format!("e{i}@x.se"))),
                _ => kleer(i, None, Some(&format!("nobody{i}@x.se"))),
            })
            .collect();
        let h: Vec<HrKeys> = (0..n)
            .map(|i| match i % 4 {
                0 | 1 => hr(100_000 + i, Some(&format!("P{i}")), &[]),
                2 => hr(100_000 + i, None, &[&format!("E{i}@X.SE").to_lowercase()]),
                _ => hr(100_000 + i, None, &[&format!("someone{i}@x.se")]),
            })
            .collect();
        let m = run(&k, &h);
        let by = |how: MatchedBy| {
            m.values()
                .filter(|r| matches!(r, AutoMatch::Matched(_, b) if *b == how))
                .count()
        };
        assert_eq!(by(MatchedBy::PersonalIdentityNumber), 5_000);
        assert_eq!(by(MatchedBy::Email), 2_500);
        assert_eq!(
            m.values().filter(|r| **r == AutoMatch::Unmatched).count(),
            2_500
        );
        assert_eq!(
            m[&KleerUserId(6)],
            AutoMatch::Matched(EmployeeId(100_006), MatchedBy::Email)
        );
    }
}

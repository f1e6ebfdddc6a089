//! A registration's rules (`StudentClaims::check`): their order, as the reference server
//! answers them, and the claims' serde form (the `serde` feature).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use mlegit::fixtures::student;
use mlegit::{ClaimName, ClaimsError, Date, IssueError, StudentClaims};

fn broken(f: impl FnOnce(&mut StudentClaims)) -> StudentClaims {
    let mut c = student(None);
    f(&mut c);
    c
}

#[test]
fn the_first_broken_rule_is_answered_in_order() {
    assert_eq!(student(None).check(), Ok(()));
    // Reversed dates come before a bad PESEL, a bad PESEL before bad text, and text
    // members in declaration order.
    let c = broken(|c| {
        c.issue_date = Date::new(2031, 1, 1).unwrap();
        c.pesel = "123".into();
        c.family_name = String::new();
    });
    assert_eq!(c.check(), Err(ClaimsError::DatesReversed));
    let c = broken(|c| {
        c.pesel = "123".into();
        c.family_name = String::new();
    });
    assert_eq!(c.check(), Err(ClaimsError::InvalidPesel));
    let c = broken(|c| c.birth_date = Date::new(2008, 3, 15).unwrap());
    assert_eq!(c.check(), Err(ClaimsError::PeselBirthDateMismatch));
    let c = broken(|c| {
        c.school_id = "\u{7}".into();
        c.address = "x".repeat(257);
    });
    assert_eq!(c.check(), Err(ClaimsError::InvalidText(ClaimName::Address)));
    let c = broken(|c| c.portrait = Some(vec![0; 10]));
    assert_eq!(c.check(), Err(ClaimsError::InvalidPortrait));
    // The issuer refuses what check refuses, with its own error.
    assert_eq!(
        c.to_claims(1_790_000_000),
        Err(IssueError::InvalidClaim(ClaimName::Portrait))
    );
}

#[test]
fn the_serde_form_has_the_eleven_members_and_no_portrait() {
    let c = student(Some(mlegit::fixtures::portrait(64)));
    let json = serde_json::to_value(&c).unwrap();
    let members = json.as_object().unwrap();
    assert_eq!(members.len(), 11);
    assert_eq!(members["birth_date"], "2008-03-14");
    assert!(!members.contains_key("portrait"));
    let back: StudentClaims = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(
        back,
        StudentClaims {
            portrait: None,
            ..c
        }
    );
    // Unknown members and malformed dates are refused.
    let mut extra = json.clone();
    extra["photo"] = "x".into();
    assert!(serde_json::from_value::<StudentClaims>(extra).is_err());
    let mut bad = json;
    bad["issue_date"] = "2026-02-30".into();
    assert!(serde_json::from_value::<StudentClaims>(bad).is_err());
}

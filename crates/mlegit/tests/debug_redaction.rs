//! No personal claim value in any `Debug` output: every public type that holds claims is
//! formatted with `{:?}` and `{:#?}`, and the output is searched for each value.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mlegit::{
    ClaimName, ClaimValue, CredentialInfo, Issuer, PresentationRequest, Signer, StatusReference,
    StudentClaims, TrustList, Verifier, VerifyContext, Wallet, fixtures,
};

const NOW: u64 = fixtures::NOW;
const PESEL: &str = "08231412342";
const FAMILY: &str = "Kowalska";
const GIVEN: &str = "Anna Maria";
const ADDRESS: &str = "ul. Długa 1 m. 2";
const DOCUMENT: &str = "SL/2026/000123";
const SCHOOL_ID: &str = "RSPO 17541";

/// The shared student (whose values the constants above spell out), with a portrait.
fn student() -> StudentClaims {
    let s = fixtures::student(Some(fixtures::portrait(64)));
    assert!(
        s.pesel == PESEL
            && s.family_name == FAMILY
            && s.given_names == GIVEN
            && s.address.starts_with(ADDRESS)
            && s.document_number == DOCUMENT
            && s.school_id == SCHOOL_ID,
        "the fixture student changed: update the searched values"
    );
    s
}

/// Some filler bytes of the portrait, as `Debug` of a byte vector would print them.
fn portrait_bytes() -> String {
    let p = fixtures::portrait(64);
    let shown = format!("{:?}", &p[20..24]);
    shown.trim_matches(|c| c == '[' || c == ']').to_string()
}

/// Asserts that `text` shows none of the student's values, in any usual spelling.
fn assert_clean(what: &str, text: &str) {
    for secret in [
        PESEL,
        FAMILY,
        GIVEN,
        "Anna",
        ADDRESS,
        "Długa",
        DOCUMENT,
        SCHOOL_ID,
        "2008-03-14",
        "14-03-2008",
        "2008, 3, 14",
        "Liceum",
        "Nowowiejska",
    ] {
        assert!(!text.contains(secret), "{what} shows {secret:?}: {text}");
    }
    let portrait = portrait_bytes();
    assert!(
        !text.contains(&portrait),
        "{what} shows the portrait: {text}"
    );
}

fn both<T: core::fmt::Debug>(what: &str, value: &T) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

#[test]
fn no_debug_output_shows_a_claim_value() {
    let issuer = Issuer::new(fixtures::issuer_a().signer());
    let phone = fixtures::device().signer();

    let claims = student();
    both("StudentClaims", &claims);
    let builder = issuer
        .credential()
        .claims(claims)
        .device_key(phone.public_key())
        .validity(mlegit::Validity::starting_at(NOW - 60, 86_460))
        .status(StatusReference {
            uri: "https://issuer.example/status".into(),
            index: 1,
        });
    both("CredentialBuilder", &builder);
    let issued = builder.issue_with_secret(&[0x33; 16], &[0x44; 32]).unwrap();
    both("IssuedCredential", &issued);
    both("Disclosure list", &issued.disclosures);
    both(
        "CredentialInfo",
        &CredentialInfo::decode_unverified(&issued.credential).unwrap(),
    );
    let wallet = Wallet::new(issued.credential.clone(), issued.disclosures.clone(), phone).unwrap();
    both("Wallet", &wallet);
    let request = PresentationRequest {
        nonce: vec![0x55; 16],
        audience: "https://kino.example".into(),
        verifier_name: "Kino".into(),
        claims: ClaimName::ALL.to_vec(),
        created_at: NOW,
        response_key: None,
    };
    let presentation = wallet.present(ClaimName::ALL, Some(&request), NOW).unwrap();
    let mut trust = TrustList::new();
    trust.add(issuer.trusted_key(0, u64::MAX)).unwrap();
    let verified = Verifier::new(trust)
        .verify(
            &presentation,
            &VerifyContext::answering(NOW, &request.nonce, &request.audience),
        )
        .unwrap();
    assert_eq!(verified.claims().len(), ClaimName::ALL.len());
    both("VerifiedPresentation", &verified);
    for (name, value) in verified.claims() {
        both(name.as_str(), value);
    }
    // The values themselves are still there for those who ask for them.
    assert_eq!(
        verified.claim(ClaimName::Pesel),
        Some(&ClaimValue::Text(PESEL.into()))
    );
}

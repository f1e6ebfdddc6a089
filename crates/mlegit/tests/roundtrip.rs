//! Round-trip property tests: every object the crate encodes decodes to what was encoded,
//! through the same strict decoder a verifier uses, and the holder/issuer error paths.

use mlegit::cbor::{self, Value};
use mlegit::{
    ClaimName, ClaimValue, CredentialInfo, Date, Disclosure, IssueError, Issuer, P256Signer,
    PresentError, PresentationRequest, Signer, StatusBits, StatusListContext, StatusListToken,
    StatusReference, StudentClaims, TrustList, TrustedKey, Verifier, VerifyContext, Wallet,
};
use proptest::prelude::*;

const NOW: u64 = 1_790_000_000;

fn cbor_value() -> impl Strategy<Value = Value<'static>> {
    let leaf = prop_oneof![
        any::<u64>().prop_map(Value::Unsigned),
        any::<u64>().prop_map(Value::Negative),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| Value::Bytes(Box::leak(b.into_boxed_slice()))),
        "\\PC{0,20}".prop_map(|s| Value::Text(Box::leak(s.into_boxed_str()))),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::vec((inner.clone(), inner), 0..8).prop_map(|entries| {
                // Deterministic encoding has no duplicate keys: keep the first of each.
                let mut seen = Vec::new();
                let mut unique = Vec::new();
                for (k, v) in entries {
                    let key = cbor::encode(&k);
                    if !seen.contains(&key) {
                        seen.push(key);
                        unique.push((k, v));
                    }
                }
                Value::Map(unique)
            }),
        ]
    })
}

/// The decoder returns maps in encoded (sorted) order; sort the model the same way.
fn canonical(value: &Value<'static>) -> Value<'static> {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Map(entries) => {
            let mut e: Vec<(Value<'static>, Value<'static>)> = entries
                .iter()
                .map(|(k, v)| (canonical(k), canonical(v)))
                .collect();
            e.sort_by_key(|(k, _)| cbor::encode(k));
            Value::Map(e)
        }
        other => other.clone(),
    }
}

fn text_claim() -> impl Strategy<Value = String> {
    "[A-Za-zĄĆĘŁŃÓŚŹŻąćęłńóśźż0-9 ,./-]{1,40}"
}

fn date() -> impl Strategy<Value = Date> {
    (1990u16..2020, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

/// A PESEL for `birth` with serial `serial`: the check digit computed as spec §11.4 says.
fn pesel_for(birth: Date, serial: u16) -> String {
    let month = u16::from(birth.month()) + if birth.year() >= 2000 { 20 } else { 0 };
    let head = format!(
        "{:02}{:02}{:02}{:04}",
        birth.year() % 100,
        month,
        birth.day(),
        serial % 10_000
    );
    let weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = head
        .bytes()
        .zip(weights)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{head}{}", (10 - sum % 10) % 10)
}

fn student() -> impl Strategy<Value = StudentClaims> {
    (
        (text_claim(), text_claim(), text_claim(), text_claim()),
        (text_claim(), text_claim(), text_claim()),
        date(),
        any::<u16>(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
    )
        .prop_map(
            |(
                (family, given, doc, address),
                (school, school_address, school_id),
                birth,
                serial,
                portrait,
            )| {
                StudentClaims {
                    family_name: family,
                    given_names: given,
                    document_number: doc,
                    issue_date: Date::new(2026, 9, 1).unwrap(),
                    expiry_date: Date::new(2027, 9, 30).unwrap(),
                    birth_date: birth,
                    pesel: pesel_for(birth, serial),
                    address,
                    school_name: school,
                    school_address,
                    school_id,
                    portrait: portrait.map(|mut p| {
                        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0];
                        jpeg.append(&mut p);
                        jpeg
                    }),
                }
            },
        )
}

fn issuer() -> Issuer<P256Signer> {
    Issuer::new(P256Signer::from_scalar(&[0x11; 32]).unwrap())
}

fn device() -> P256Signer {
    P256Signer::from_scalar(&[0x22; 32]).unwrap()
}

fn verifier(issuer: &Issuer<P256Signer>) -> Verifier {
    let mut trust = TrustList::new();
    trust.add(issuer.trusted_key(0, u64::MAX)).unwrap();
    Verifier::new(trust)
}

fn issue(issuer: &Issuer<P256Signer>, claims: StudentClaims, seed: u8) -> mlegit::IssuedCredential {
    issuer
        .credential()
        .claims(claims)
        .device_key(device().public_key())
        .validity(mlegit::Validity::starting_at(NOW - 86_400, 86_400 * 301))
        .status(StatusReference {
            uri: "https://issuer.example/status".into(),
            index: u64::from(seed),
        })
        .issue_with_secret(&[seed; 16], &[seed ^ 0x5a; 32])
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn strict_cbor_round_trips(value in cbor_value()) {
        let bytes = cbor::encode(&value);
        let decoded = cbor::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &canonical(&value));
        prop_assert_eq!(cbor::encode(&decoded), bytes);
    }

    #[test]
    fn presentation_requests_round_trip(
        nonce in proptest::collection::vec(any::<u8>(), 16..=32),
        audience in "[a-z:/.]{1,60}",
        name in text_claim(),
        picks in proptest::sample::subsequence(ClaimName::ALL.to_vec(), 1..=16),
        created_at in any::<u64>(),
    ) {
        let request = PresentationRequest { nonce, audience, verifier_name: name, claims: picks, created_at, response_key: None };
        prop_assert_eq!(PresentationRequest::from_slice(&request.to_vec()).unwrap(), request);
    }

    #[test]
    fn disclosures_round_trip(salt in proptest::collection::vec(any::<u8>(), 16..=64), value in text_claim()) {
        let d = Disclosure::new(&salt, ClaimName::FamilyName, &ClaimValue::Text(value));
        let back = Disclosure::from_bytes(d.as_bytes().to_vec()).unwrap();
        prop_assert_eq!(back.digest(), d.digest());
        prop_assert_eq!(back.name(), ClaimName::FamilyName);
    }
}

proptest! {
    // Each case signs and verifies: keep the count modest for debug builds.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn credentials_and_presentations_round_trip(
        claims in student(),
        seed in any::<u8>(),
        picks in proptest::sample::subsequence(ClaimName::ALL.to_vec(), 0..=8),
    ) {
        let issuer = issuer();
        let issued = issue(&issuer, claims.clone(), seed);
        let info = CredentialInfo::decode_unverified(&issued.credential).unwrap();
        prop_assert_eq!(&info.credential_id, &vec![seed; 16]);
        prop_assert_eq!(info.device_key, device().public_key());
        let expected = claims.to_claims(NOW - 86_400).unwrap();
        prop_assert_eq!(issued.disclosures.len(), expected.len());

        let wallet = Wallet::new(issued.credential.clone(), issued.disclosures.clone(), device()).unwrap();
        let held: Vec<ClaimName> = picks.iter().copied().filter(|n| wallet.claims().any(|h| h == *n)).collect();
        let presentation = wallet.present(&held, None, NOW).unwrap();
        let verified = verifier(&issuer)
            .verify(&presentation, &VerifyContext::offline(NOW))
            .unwrap();
        let want: Vec<(ClaimName, ClaimValue)> = held
            .iter()
            .map(|n| expected.iter().find(|(e, _)| e == n).unwrap().clone())
            .collect();
        prop_assert_eq!(verified.claims(), want);
        prop_assert_eq!(verified.presented_at(), NOW);
    }

    #[test]
    fn status_lists_round_trip(
        bits in proptest::sample::select(vec![1u8, 2, 4, 8]),
        bytes in 1usize..=4096,
        set in proptest::collection::vec((any::<u32>(), any::<u8>()), 0..64),
        ttl in 0u64..=86_400,
    ) {
        let issuer = issuer();
        let entries = bytes * 8 / usize::from(bits);
        let mut array = StatusBits::new(entries, bits).unwrap();
        let top = u8::MAX >> (8 - bits);
        for (i, v) in &set {
            array.set(u64::from(*i) % entries as u64, v & top).unwrap();
        }
        let uri = "https://issuer.example/lists/7";
        let token = issuer
            .status_list_token(&StatusListToken { uri, bits: &array, issued_at: NOW, expires: NOW + 86_400, ttl })
            .unwrap();
        let list = verifier(&issuer)
            .verify_status_list(&token, &StatusListContext::new(NOW, uri))
            .unwrap();
        prop_assert_eq!(list.entries(), &array);
        prop_assert_eq!((list.issued_at(), list.expires(), list.ttl()), (NOW, NOW + 86_400, ttl));
        for i in 0..entries as u64 {
            prop_assert_eq!(list.get(i).unwrap().value(), array.get(i).unwrap());
        }
        prop_assert_eq!(list.get(entries as u64), Err(mlegit::Error::StatusIndexOutOfRange));
    }

    #[test]
    fn trust_lists_round_trip(scalars in proptest::collection::vec(1u8..=254, 1..6), windows in proptest::collection::vec((any::<u32>(), any::<u32>()), 6)) {
        let mut list = TrustList::new();
        for (i, s) in scalars.iter().enumerate() {
            let key = P256Signer::from_scalar(&[*s; 32]).unwrap().public_key();
            let (a, b) = windows[i];
            let (nb, na) = (u64::from(a.min(b)), u64::from(a.max(b)));
            // A repeated scalar repeats a kid: the list refuses it, as it should.
            let _ = list.add(TrustedKey { kid: key.key_id(), key, not_before: nb, not_after: na });
        }
        prop_assert_eq!(TrustList::from_slice(&list.to_vec()).unwrap(), list);
    }
}

/// The student of the vectors, born 2012-05-20 instead: a minor (14 at the tests' iat).
fn fixed_student() -> StudentClaims {
    let born = Date::new(2012, 5, 20).unwrap();
    StudentClaims {
        birth_date: born,
        pesel: pesel_for(born, 4321),
        ..mlegit::fixtures::student(None)
    }
}

#[test]
fn a_minor_holds_age_over_13_only_and_cannot_present_age_over_18() {
    // Born 2012-05-20: 14 at iat (2026-09-20).
    let issuer = issuer();
    let issued = issue(&issuer, fixed_student(), 1);
    let wallet = Wallet::new(issued.credential, issued.disclosures, device()).unwrap();
    assert!(wallet.claims().any(|c| c == ClaimName::AgeOver13));
    assert!(!wallet.claims().any(|c| c == ClaimName::AgeOver16));
    assert_eq!(
        wallet.present(&[ClaimName::AgeOver18], None, NOW),
        Err(PresentError::ClaimNotHeld(ClaimName::AgeOver18))
    );
    assert_eq!(
        wallet.present(&[ClaimName::GivenNames, ClaimName::GivenNames], None, NOW),
        Err(PresentError::DuplicateSelection(ClaimName::GivenNames))
    );
    let request = PresentationRequest {
        nonce: vec![9; 16],
        audience: "https://v.example".into(),
        verifier_name: "V".into(),
        claims: vec![ClaimName::AgeOver13],
        created_at: NOW,
        response_key: None,
    };
    assert_eq!(
        wallet.present(
            &[ClaimName::AgeOver13, ClaimName::Pesel],
            Some(&request),
            NOW
        ),
        Err(PresentError::NotRequested(ClaimName::Pesel))
    );
    assert!(
        wallet
            .present(&[ClaimName::AgeOver13], Some(&request), NOW)
            .is_ok()
    );
    let mut bad = request;
    bad.nonce = vec![9; 8];
    assert_eq!(
        wallet.present(&[ClaimName::AgeOver13], Some(&bad), NOW),
        Err(PresentError::Request(mlegit::Error::InvalidField))
    );
}

#[test]
fn the_issuer_refuses_bad_input_with_typed_errors() {
    let issuer = issuer();
    let build = |claims: StudentClaims, validity: (u64, u64, u64)| {
        issuer
            .credential()
            .claims(claims)
            .device_key(device().public_key())
            .validity(mlegit::Validity {
                issued_at: validity.0,
                not_before: validity.1,
                expires: validity.2,
            })
            .status(StatusReference {
                uri: "https://issuer.example/status".into(),
                index: 0,
            })
            .issue_with_secret(&[1; 16], &[2; 32])
            .map(|_| ())
    };
    let ok = (NOW, NOW, NOW + 10);
    assert_eq!(build(fixed_student(), ok), Ok(()));

    let mut c = fixed_student();
    c.pesel = pesel_for(Date::new(2012, 5, 21).unwrap(), 4321);
    assert_eq!(build(c, ok), Err(IssueError::PeselBirthDateMismatch));

    let mut c = fixed_student();
    c.pesel.push('0');
    assert_eq!(
        build(c, ok),
        Err(IssueError::InvalidClaim(ClaimName::Pesel))
    );

    let mut c = fixed_student();
    c.family_name = "Kowalska\u{7}".into();
    assert_eq!(
        build(c, ok),
        Err(IssueError::InvalidClaim(ClaimName::FamilyName))
    );

    let mut c = fixed_student();
    c.portrait = Some(vec![0x89, b'P', b'N', b'G']);
    assert_eq!(
        build(c, ok),
        Err(IssueError::InvalidClaim(ClaimName::Portrait))
    );

    let mut c = fixed_student();
    c.portrait = Some(
        [0xff, 0xd8, 0xff]
            .iter()
            .copied()
            .chain(std::iter::repeat_n(0, 16_382))
            .collect(),
    );
    assert_eq!(
        build(c, ok),
        Err(IssueError::InvalidClaim(ClaimName::Portrait))
    );

    let mut c = fixed_student();
    c.issue_date = Date::new(2028, 1, 1).unwrap();
    assert_eq!(build(c, ok), Err(IssueError::DocumentDatesReversed));

    assert_eq!(
        build(fixed_student(), (NOW, NOW, NOW)),
        Err(IssueError::InvalidValidityWindow)
    );
    assert_eq!(
        build(fixed_student(), (NOW, NOW - 1, NOW + 1)),
        Err(IssueError::InvalidValidityWindow)
    );
    // The lifetime counts from iat, also when nbf is later (spec §5.6).
    let max = mlegit::MAX_CREDENTIAL_LIFETIME;
    assert_eq!(
        build(fixed_student(), (NOW, NOW + 86_400, NOW + max)),
        Ok(())
    );
    for validity in [
        (NOW, NOW, NOW + max + 1),
        (NOW, NOW + 86_400, NOW + max + 1),
        (NOW, NOW, u64::MAX),
    ] {
        assert_eq!(
            build(fixed_student(), validity),
            Err(IssueError::CredentialLifetimeTooLong)
        );
    }
}

#[test]
fn a_wallet_refuses_a_credential_bound_to_another_key_or_foreign_disclosures() {
    let issuer = issuer();
    let issued = issue(&issuer, fixed_student(), 3);
    let other = P256Signer::from_scalar(&[0x33; 32]).unwrap();
    assert_eq!(
        Wallet::new(issued.credential.clone(), issued.disclosures.clone(), other).err(),
        Some(mlegit::Error::InvalidDeviceKey)
    );
    let foreign = issue(&issuer, fixed_student(), 4).disclosures;
    assert_eq!(
        Wallet::new(issued.credential, foreign, device()).err(),
        Some(mlegit::Error::DigestMismatch)
    );
}

#[test]
fn requests_that_break_the_rules_are_refused() {
    let good = PresentationRequest {
        nonce: vec![1; 16],
        audience: "https://v.example".into(),
        verifier_name: "V".into(),
        claims: vec![ClaimName::AgeOver18],
        created_at: NOW,
        response_key: None,
    };
    let mut r = good.clone();
    r.claims = vec![];
    assert_eq!(
        PresentationRequest::from_slice(&r.to_vec()),
        Err(mlegit::Error::InvalidField)
    );
    let mut r = good.clone();
    r.claims = vec![ClaimName::AgeOver18, ClaimName::AgeOver18];
    assert_eq!(
        PresentationRequest::from_slice(&r.to_vec()),
        Err(mlegit::Error::DuplicateClaim)
    );
    let mut r = good.clone();
    r.nonce = vec![1; 15];
    assert_eq!(
        PresentationRequest::from_slice(&r.to_vec()),
        Err(mlegit::Error::InvalidField)
    );
    let mut r = good;
    r.audience = "line\nbreak".into();
    assert_eq!(
        PresentationRequest::from_slice(&r.to_vec()),
        Err(mlegit::Error::InvalidField)
    );
    assert_eq!(
        PresentationRequest::from_slice(&[0xa0; 2000]),
        Err(mlegit::Error::InputTooLarge)
    );
    assert_eq!(
        PresentationRequest::from_slice(&[0x80]),
        Err(mlegit::Error::InvalidField)
    );
}

/// A lookup in a kept list runs L7, L9 and L10 at the time of the lookup, then L12, and
/// not L8 (spec §12.4): the token passed L8 when it was verified, and a lookup at an
/// earlier `now` (a clock set back, a kept list read again) is not a list from the future.
#[test]
fn a_lookup_in_a_kept_list_runs_l7_l9_l10_and_not_l8() {
    let issuer = issuer();
    let verifier = verifier(&issuer).clock_skew(60);
    let uri = "https://issuer.example/lists/7";
    let mut array = StatusBits::new(64, 1).unwrap();
    array.set(5, 1).unwrap();
    let token = issuer
        .status_list_token(&StatusListToken {
            uri,
            bits: &array,
            issued_at: NOW,
            expires: NOW + 1_000,
            ttl: 500,
        })
        .unwrap();
    // L8 when the token is verified: issued more than the skew after now.
    assert_eq!(
        verifier
            .verify_status_list(&token, &StatusListContext::new(NOW - 61, uri))
            .err(),
        Some(mlegit::Error::StatusListFromFuture)
    );
    let list = verifier
        .verify_status_list(&token, &StatusListContext::new(NOW, uri))
        .unwrap();
    let at = |index| StatusReference {
        uri: uri.into(),
        index,
    };
    // No L8 at lookup: an hour before iat the kept list still answers.
    assert_eq!(
        verifier
            .check_status(&list, &at(5), NOW - 3_600)
            .unwrap()
            .value(),
        1
    );
    assert_eq!(
        verifier
            .check_status(&list, &at(4), NOW - 3_600)
            .unwrap()
            .value(),
        0
    );
    // L10 at lookup: past iat + ttl + skew.
    assert_eq!(
        verifier
            .check_status(&list, &at(5), NOW + 560)
            .unwrap()
            .value(),
        1
    );
    assert_eq!(
        verifier.check_status(&list, &at(5), NOW + 561).err(),
        Some(mlegit::Error::StatusListStale)
    );
    // L7 at lookup: a reference to another list.
    let other = StatusReference {
        uri: "https://issuer.example/lists/8".into(),
        index: 5,
    };
    assert_eq!(
        verifier.check_status(&list, &other, NOW).err(),
        Some(mlegit::Error::StatusListUriMismatch)
    );
    // L12.
    assert_eq!(
        verifier.check_status(&list, &at(64), NOW).err(),
        Some(mlegit::Error::StatusIndexOutOfRange)
    );
    // L9 at lookup: a list whose exp comes before iat + ttl.
    let token = issuer
        .status_list_token(&StatusListToken {
            uri,
            bits: &array,
            issued_at: NOW,
            expires: NOW + 100,
            ttl: 500,
        })
        .unwrap();
    let list = verifier
        .verify_status_list(&token, &StatusListContext::new(NOW, uri))
        .unwrap();
    assert_eq!(
        verifier.check_status(&list, &at(5), NOW + 161).err(),
        Some(mlegit::Error::StatusListExpired)
    );
}

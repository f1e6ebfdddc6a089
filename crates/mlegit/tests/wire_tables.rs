//! The encoders follow the wire tables of `mlegit::wire`: every map the crate writes has its
//! keys in the table's order, each key one the table defines, every required key present,
//! and each value meeting its field's rule as the decoder checks it. A field added to an
//! encoder but not to its table (or the other way round) fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mlegit::cbor::{self, Value};
use mlegit::wire::{self, Kind, Object};
use mlegit::{
    ClaimName, Issuer, PresentationRequest, Signer, StatusBits, StatusListToken, StatusReference,
    Wallet, fixtures,
};

/// The payload (or protected header, with `item` 0) of a COSE_Sign1.
fn sign1_item(bytes: &[u8], item: usize) -> Vec<u8> {
    let Value::Array(items) = cbor::decode(bytes).unwrap() else {
        panic!("not a COSE_Sign1");
    };
    items[item].as_bytes().unwrap().to_vec()
}

/// Checks one encoded map against its table; returns its entries' keys.
fn check(object: Object, value: &Value<'_>) -> Vec<i64> {
    let Value::Map(entries) = value else {
        panic!("{}: not a map", object.name);
    };
    let keys: Vec<i64> = entries.iter().map(|(k, _)| k.as_i64().unwrap()).collect();
    let order: Vec<i64> = object
        .fields
        .iter()
        .map(|f| f.key)
        .filter(|k| keys.contains(k))
        .collect();
    assert_eq!(
        keys, order,
        "{}: keys out of table order or unknown",
        object.name
    );
    for f in object.fields.iter().filter(|f| f.required) {
        assert!(keys.contains(&f.key), "{}: {} missing", object.name, f.name);
    }
    for (k, v) in entries {
        let f = object.field(k.as_i64().unwrap()).unwrap();
        let ok = match f.kind {
            Kind::Uint | Kind::Time => v.as_u64().is_some(),
            Kind::HttpsUri => v.as_text().is_some_and(|t| t.starts_with("https://")),
            Kind::Int => v.as_i64().is_some(),
            Kind::Bytes(min, max) => v.as_bytes().is_some_and(|b| (min..=max).contains(&b.len())),
            Kind::Text(min, max) | Kind::CleanText(min, max) => {
                v.as_text().is_some_and(|t| (min..=max).contains(&t.len()))
            }
            Kind::Array | Kind::Disclosures => matches!(v, Value::Array(_)),
            Kind::Map | Kind::CoseKey | Kind::StatusReference | Kind::StatusArray => {
                matches!(v, Value::Map(_))
            }
            Kind::Credential | Kind::Certificate => v.as_bytes().is_some_and(|b| !b.is_empty()),
            _ => panic!("a kind this test does not know: {:?}", f.kind),
        };
        assert!(
            ok,
            "{}: {} breaks its rule {:?}",
            object.name, f.name, f.kind
        );
    }
    keys
}

fn map_of<'v, 'a>(value: &'v Value<'a>, key: i64) -> &'v Value<'a> {
    let Value::Map(entries) = value else {
        panic!("not a map")
    };
    &entries
        .iter()
        .find(|(k, _)| k.as_i64() == Some(key))
        .unwrap()
        .1
}

#[test]
fn every_encoded_object_follows_its_table() {
    let issuer = Issuer::new(fixtures::issuer_a().signer());
    let device = fixtures::device().signer();
    let issued = issuer
        .credential()
        .claims(fixtures::student(Some(fixtures::portrait(512))))
        .device_key(device.public_key())
        .validity(mlegit::Validity::starting_at(
            fixtures::NOW - fixtures::DAY,
            300 * fixtures::DAY,
        ))
        .status(StatusReference {
            uri: "https://issuer.example/status".into(),
            index: 7,
        })
        .issue_with_secret(&[0xc1; 16], &[0x5a; 32])
        .unwrap();

    // The credential: its protected header, payload, device key and status reference.
    let header = sign1_item(&issued.credential, 0);
    check(wire::HEADER, &cbor::decode(&header).unwrap());
    let payload_bytes = sign1_item(&issued.credential, 2);
    let payload = cbor::decode(&payload_bytes).unwrap();
    assert_eq!(
        check(wire::CREDENTIAL, &payload).len(),
        wire::CREDENTIAL.fields.len()
    );
    check(
        wire::COSE_KEY,
        map_of(&payload, wire::credential::DEVICE_KEY.key),
    );
    // The status claim: {"status_list": {"idx": 7, "uri": "https://..."}}, text labels.
    let status = map_of(&payload, wire::credential::STATUS.key);
    let Value::Map(outer) = status else {
        panic!("status not a map")
    };
    assert_eq!(outer.len(), 1);
    assert_eq!(
        outer[0].0.as_text(),
        Some(wire::status_reference::STATUS_LIST)
    );
    let Value::Map(inner) = &outer[0].1 else {
        panic!("status_list not a map")
    };
    let labels: Vec<_> = inner.iter().map(|(k, _)| k.as_text().unwrap()).collect();
    assert_eq!(
        labels,
        [wire::status_reference::IDX, wire::status_reference::URI]
    );
    assert_eq!(inner[0].1.as_u64(), Some(7));

    // The request, and a presentation answering it (every optional field present) and
    // one without it.
    let request = PresentationRequest {
        nonce: fixtures::nonce(),
        audience: fixtures::AUDIENCE.into(),
        verifier_name: "Kino".into(),
        claims: vec![ClaimName::GivenNames, ClaimName::Portrait],
        created_at: fixtures::NOW - 5,
        response_key: Some(fixtures::response_key().signer().public_key()),
    };
    let request_bytes = request.to_vec();
    let request_map = cbor::decode(&request_bytes).unwrap();
    assert_eq!(
        check(wire::REQUEST, &request_map).len(),
        wire::REQUEST.fields.len()
    );
    check(
        wire::COSE_KEY,
        map_of(&request_map, wire::request::RESPONSE_KEY.key),
    );
    let wallet = Wallet::new(issued.credential, issued.disclosures, device).unwrap();
    for (req, count) in [(Some(&request), 6), (None, 4)] {
        let p = wallet
            .present(&[ClaimName::GivenNames], req, fixtures::NOW)
            .unwrap();
        let header = sign1_item(&p, 0);
        check(wire::HEADER, &cbor::decode(&header).unwrap());
        let bytes = sign1_item(&p, 2);
        let keys = check(wire::PRESENTATION, &cbor::decode(&bytes).unwrap());
        assert_eq!(keys.len(), count);
    }

    // A verifier certificate, a signed request carrying it, and the presentation that
    // answers it (every presentation field, the request digest included).
    let authority = mlegit::Authority::new(fixtures::authority_a().signer());
    let kino = fixtures::verifier_kino().signer();
    let certificate = authority
        .certificate(&mlegit::CertificateParts {
            verifier_key: &kino.public_key(),
            name: "Kino",
            audience: fixtures::AUDIENCE,
            claims: &[ClaimName::GivenNames, ClaimName::Portrait],
            issued_at: fixtures::NOW - fixtures::DAY,
            not_before: fixtures::NOW - fixtures::DAY,
            expires: fixtures::NOW + fixtures::DAY,
        })
        .unwrap();
    let header = sign1_item(&certificate, 0);
    check(wire::HEADER, &cbor::decode(&header).unwrap());
    let bytes = sign1_item(&certificate, 2);
    let cert_payload = cbor::decode(&bytes).unwrap();
    assert_eq!(
        check(wire::CERTIFICATE, &cert_payload).len(),
        wire::CERTIFICATE.fields.len()
    );
    check(
        wire::COSE_KEY,
        map_of(&cert_payload, wire::certificate::VERIFIER_KEY.key),
    );
    let signed = request.sign(&kino, &certificate).unwrap();
    let header = sign1_item(&signed, 0);
    check(wire::HEADER, &cbor::decode(&header).unwrap());
    let bytes = sign1_item(&signed, 2);
    assert_eq!(
        check(wire::SIGNED_REQUEST, &cbor::decode(&bytes).unwrap()).len(),
        wire::SIGNED_REQUEST.fields.len()
    );
    let mut authorities = mlegit::TrustList::new();
    authorities.add(authority.trusted_key(0, u64::MAX)).unwrap();
    let checked = mlegit::RequestChecker::new(authorities)
        .check(&signed, fixtures::NOW)
        .unwrap();
    let p = wallet
        .answer(&[ClaimName::GivenNames], &checked, fixtures::NOW)
        .unwrap();
    let bytes = sign1_item(&p, 2);
    let keys = check(wire::PRESENTATION, &cbor::decode(&bytes).unwrap());
    assert_eq!(keys.len(), wire::PRESENTATION.fields.len());

    // A status list token.
    let mut entries = StatusBits::new(1024, 1).unwrap();
    entries.set(7, 1).unwrap();
    let token = issuer
        .status_list_token(&StatusListToken {
            uri: "https://issuer.example/status",
            bits: &entries,
            issued_at: fixtures::NOW,
            expires: fixtures::NOW + fixtures::DAY,
            ttl: 43_200,
        })
        .unwrap();
    let header = sign1_item(&token, 0);
    check(wire::HEADER, &cbor::decode(&header).unwrap());
    let bytes = sign1_item(&token, 2);
    let keys = check(wire::STATUS_LIST, &cbor::decode(&bytes).unwrap());
    assert_eq!(keys.len(), wire::STATUS_LIST.fields.len());

    // The trust list's keys: the integer labels follow the trusted-key table.
    let mut trust = mlegit::TrustList::new();
    trust.add(issuer.trusted_key(0, u64::MAX)).unwrap();
    let list = trust.to_vec();
    let Value::Array(keys) = cbor::decode(&list).unwrap() else {
        panic!("not an array")
    };
    for key in &keys {
        let Value::Map(entries) = key else {
            panic!("not a map")
        };
        let ints: Vec<(Value<'_>, Value<'_>)> = entries
            .iter()
            .filter(|(k, _)| k.as_i64().is_some())
            .cloned()
            .collect();
        check(wire::TRUSTED_KEY, &Value::Map(ints));
        for (k, _) in entries.iter().filter(|(k, _)| k.as_i64().is_none()) {
            assert!(wire::trusted_key::TIME_LABELS.contains(&k.as_text().unwrap()));
        }
    }
}

#[test]
fn tables_have_unique_keys_and_names() {
    for object in [
        wire::CREDENTIAL,
        wire::PRESENTATION,
        wire::STATUS_LIST,
        wire::REQUEST,
        wire::SIGNED_REQUEST,
        wire::CERTIFICATE,
        wire::HEADER,
        wire::COSE_KEY,
        wire::TRUSTED_KEY,
    ] {
        for (i, a) in object.fields.iter().enumerate() {
            for b in &object.fields[i + 1..] {
                assert!(
                    a.key != b.key && a.name != b.name,
                    "{}: {} / {}",
                    object.name,
                    a.name,
                    b.name
                );
            }
        }
    }
}

//! The encoders follow the wire tables of `mlegit::wire`: every map the crate writes has its
//! keys in the table's order, each key one the table defines, every required key present,
//! and each value meeting its field's rule as the decoder checks it. A field added to an
//! encoder but not to its table (or the other way round) fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mlegit::cbor::{self, Value};
use mlegit::wire::{self, Kind, Object};
use mlegit::{
    ClaimName, CredentialStatus, Issuer, PresentationRequest, RevocationReason, Signer, StatusBody,
    StatusReference, Wallet, fixtures,
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
            Kind::Int => v.as_i64().is_some(),
            Kind::Bytes(min, max) => v.as_bytes().is_some_and(|b| (min..=max).contains(&b.len())),
            Kind::Text(min, max) | Kind::CleanText(min, max) => {
                v.as_text().is_some_and(|t| (min..=max).contains(&t.len()))
            }
            Kind::Array | Kind::Disclosures => matches!(v, Value::Array(_)),
            Kind::Map | Kind::CoseKey | Kind::StatusReference => matches!(v, Value::Map(_)),
            Kind::Credential => v.as_bytes().is_some_and(|b| !b.is_empty()),
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
    check(
        wire::STATUS_REFERENCE,
        map_of(&payload, wire::credential::STATUS.key),
    );

    // The request, and a presentation answering it (every optional field present) and
    // one without it.
    let request = PresentationRequest {
        nonce: fixtures::nonce(),
        audience: fixtures::AUDIENCE.into(),
        verifier_name: "Kino".into(),
        claims: vec![ClaimName::GivenNames, ClaimName::Portrait],
        created_at: fixtures::NOW - 5,
    };
    let request_bytes = request.to_vec();
    assert_eq!(
        check(wire::REQUEST, &cbor::decode(&request_bytes).unwrap()).len(),
        wire::REQUEST.fields.len()
    );
    let wallet = Wallet::new(issued.credential, issued.disclosures, device).unwrap();
    for (req, all) in [(Some(&request), true), (None, false)] {
        let p = wallet
            .present(&[ClaimName::GivenNames], req, fixtures::NOW)
            .unwrap();
        let header = sign1_item(&p, 0);
        check(wire::HEADER, &cbor::decode(&header).unwrap());
        let bytes = sign1_item(&p, 2);
        let keys = check(wire::PRESENTATION, &cbor::decode(&bytes).unwrap());
        assert_eq!(keys.len() == wire::PRESENTATION.fields.len(), all);
    }

    // A status response with every optional field, and one with none.
    for (reason, nonce) in [
        (
            Some(RevocationReason::SchoolChange),
            Some(fixtures::nonce()),
        ),
        (None, None),
    ] {
        let body = StatusBody {
            credential_id: vec![0xc1; 16],
            status: reason.map_or(CredentialStatus::Valid, CredentialStatus::Revoked),
            checked_at: fixtures::NOW,
            nonce,
            cache_for: 300,
        };
        let signed = issuer.status_response(&body).unwrap();
        let bytes = sign1_item(&signed, 2);
        let keys = check(wire::STATUS, &cbor::decode(&bytes).unwrap());
        assert_eq!(keys.len() == wire::STATUS.fields.len(), reason.is_some());
    }

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
        wire::STATUS_REFERENCE,
        wire::PRESENTATION,
        wire::STATUS,
        wire::REQUEST,
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

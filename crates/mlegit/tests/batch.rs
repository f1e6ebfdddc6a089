//! Batches of single-use credentials (spec §19): two presentations from one phone share no
//! byte string, text or number outside the claims they disclose and the fields every
//! credential of the issuer carries; and the batch's bookkeeping (which credential next,
//! when all are used, when to ask for more).
//!
//! "Issuer-wide" is measured, not listed: a presentation of another student's credential,
//! issued the same day by the same issuer and disclosing nothing, holds exactly what every
//! credential of that issuer and day holds (issuer kid, doctype, the rounded iat, nbf and
//! exp, the status list URI, algorithm ids, map keys, typ). Whatever two presentations of
//! one student share beyond that and their disclosed claims would link them.

use std::collections::BTreeSet;

use mlegit::cbor::{self, Value};
use mlegit::fixtures::{NOW, issuer_a, student};
use mlegit::{
    Batch, BatchError, ClaimName, IssuedCredential, Issuer, P256Signer, Pick, Signer,
    StatusReference, TrustList, Uses, Validity, Verifier, VerifyContext, Wallet,
};
use proptest::prelude::*;

const DAY: u64 = 86_400;
const LIST: &str = "https://issuer.example/v1/status-lists/1";

/// Every leaf of a CBOR item, descending into byte strings that are CBOR themselves (the
/// credential inside a presentation, the payloads inside COSE_Sign1, the disclosures).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Leaf {
    Bytes(Vec<u8>),
    Text(String),
    Int(i128),
}

fn leaves_of(bytes: &[u8], out: &mut BTreeSet<Leaf>) {
    if let Ok(v) = cbor::decode(bytes) {
        walk(&v, out);
    }
}

fn walk(v: &Value<'_>, out: &mut BTreeSet<Leaf>) {
    match v {
        Value::Unsigned(n) => {
            out.insert(Leaf::Int(i128::from(*n)));
        }
        Value::Negative(n) => {
            out.insert(Leaf::Int(-1 - i128::from(*n)));
        }
        Value::Bytes(b) => {
            out.insert(Leaf::Bytes(b.to_vec()));
            leaves_of(b, out);
        }
        Value::Text(t) => {
            out.insert(Leaf::Text((*t).to_owned()));
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            walk(k, out);
            walk(v, out);
        }),
        Value::Bool(_) | Value::Null => {}
    }
}

fn leaves(bytes: &[u8]) -> BTreeSet<Leaf> {
    let mut out = BTreeSet::new();
    leaves_of(bytes, &mut out);
    out
}

/// One credential per device key, as the issuer makes a batch: its own credential id and
/// salt secret, its own status entry, the same rounded times.
fn issue_batch(
    issuer: &Issuer<P256Signer>,
    devices: &[P256Signer],
    ids: &[[u8; 16]],
    secrets: &[[u8; 32]],
    indices: &[u64],
    portrait: bool,
) -> Vec<IssuedCredential> {
    let validity = Validity::rounded(NOW, NOW + 200 * DAY).unwrap();
    devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            issuer
                .credential()
                .claims(student(portrait.then(|| mlegit::fixtures::portrait(2048))))
                .device_key(d.public_key())
                .validity(validity)
                .status(StatusReference {
                    uri: LIST.into(),
                    index: indices[i],
                })
                .issue_with_secret(&ids[i], &secrets[i])
                .unwrap()
        })
        .collect()
}

fn batch_of(issued: Vec<IssuedCredential>, devices: Vec<P256Signer>) -> Batch<P256Signer> {
    let wallets = issued
        .into_iter()
        .zip(devices)
        .map(|(c, d)| Wallet::new(c.credential, c.disclosures, d).unwrap())
        .collect();
    Batch::new(wallets).unwrap()
}

fn verifier() -> Verifier {
    let mut trust = TrustList::new();
    trust
        .add(Issuer::new(issuer_a().signer()).trusted_key(0, u64::MAX))
        .unwrap();
    Verifier::new(trust)
}

fn distinct<T: Ord + Clone + std::fmt::Debug>(
    n: usize,
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Vec<T>> {
    proptest::collection::btree_set(s, n).prop_map(|set| set.into_iter().collect())
}

fn selection() -> impl Strategy<Value = Vec<ClaimName>> {
    proptest::sample::subsequence(
        vec![
            ClaimName::AgeOver18,
            ClaimName::GivenNames,
            ClaimName::FamilyName,
            ClaimName::SchoolName,
            ClaimName::ExpiryDate,
            ClaimName::Portrait,
        ],
        0..=3,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn two_presentations_of_one_batch_share_nothing_but_disclosed_and_issuer_wide_fields(
        scalars in distinct(3, 1u8..=250),
        ids in distinct(3, any::<[u8; 16]>()),
        secrets in distinct(3, any::<[u8; 32]>()),
        indices in distinct(3, 0u64..(1 << 20)),
        first in selection(),
        second in selection(),
        portrait in any::<bool>(),
        gap in 1u64..300,
    ) {
        let issuer = Issuer::new(issuer_a().signer());
        let devices: Vec<P256Signer> =
            scalars.iter().map(|s| P256Signer::from_scalar(&[*s; 32]).unwrap()).collect();
        // Two credentials of one student; a third, of another student, measures what is
        // issuer-wide.
        let (d, i, s, x) = (&devices, &ids, &secrets, &indices);
        let mine = issue_batch(&issuer, &d[..2], &i[..2], &s[..2], &x[..2], portrait);
        let theirs = issue_batch(&issuer, &d[2..], &i[2..], &s[2..], &x[2..], false);
        let other = Wallet::new(
            theirs[0].credential.clone(),
            theirs[0].disclosures.clone(),
            devices[2].clone(),
        ).unwrap();
        let mut batch = batch_of(mine, devices[..2].to_vec());
        let selections = [first, second];
        let presented_at = [NOW, NOW + gap];

        let mut shown = Vec::new();
        for (sel, at) in selections.iter().zip(presented_at) {
            let sel: Vec<ClaimName> = sel
                .iter()
                .copied()
                .filter(|c| portrait || *c != ClaimName::Portrait)
                .collect();
            let (bytes, pick) = batch.present(&sel, None, at).unwrap();
            prop_assert!(matches!(pick, Pick::Fresh(_)));
            let v = verifier()
                .verify(&bytes, &VerifyContext::offline(at + 1))
                .unwrap();
            shown.push((bytes, v));
        }
        prop_assert_eq!(batch.unused(), 0);
        let issuer_wide = leaves(&other.present(&[], None, NOW).unwrap());
        let mut allowed = issuer_wide.clone();
        for (_, v) in &shown {
            for (name, value) in v.claims() {
                allowed.insert(Leaf::Text(name.as_str().to_owned()));
                let _new = match value {
                    mlegit::ClaimValue::Text(t) => allowed.insert(Leaf::Text(t.clone())),
                    mlegit::ClaimValue::Date(d) => allowed.insert(Leaf::Text(d.to_string_ymd())),
                    mlegit::ClaimValue::Bytes(b) => allowed.insert(Leaf::Bytes(b.clone())),
                    _ => false,
                };
            }
        }
        let (a, b) = (leaves(&shown[0].0), leaves(&shown[1].0));
        let linking: Vec<&Leaf> =
            a.intersection(&b).filter(|l| !allowed.contains(*l)).collect();
        prop_assert!(linking.is_empty(), "shared: {:?}", linking);
        // Nor does any long byte string of one appear anywhere inside the other's bytes.
        for leaf in &a {
            if let Leaf::Bytes(s) = leaf
                && s.len() >= 16
                && !allowed.contains(leaf)
            {
                prop_assert!(
                    !shown[1].0.windows(s.len()).any(|w| w == s.as_slice()),
                    "{} bytes of the first inside the second", s.len()
                );
            }
        }
        // What the measure called issuer-wide is what the spec says it is.
        let (va, vb) = (&shown[0].1, &shown[1].1);
        prop_assert_ne!(va.credential_id(), vb.credential_id());
        prop_assert_ne!(va.status().index, vb.status().index);
        prop_assert_eq!(va.status().uri.as_str(), LIST);
        prop_assert_eq!(va.not_before(), vb.not_before());
        prop_assert_eq!(va.expires(), vb.expires());
        prop_assert!(issuer_wide.contains(&Leaf::Bytes(issuer_a().kid())));
        prop_assert!(!issuer_wide.contains(&Leaf::Bytes(va.credential_id().to_vec())));
        for d in &devices[..2] {
            let point = d.public_key().to_sec1_uncompressed();
            let (x, y) = (&point[1..33], &point[33..]);
            prop_assert!(!issuer_wide.contains(&Leaf::Bytes(x.to_vec())));
            prop_assert!(!issuer_wide.contains(&Leaf::Bytes(y.to_vec())));
        }
    }
}

fn simple_batch(n: u8) -> Batch<P256Signer> {
    let issuer = Issuer::new(issuer_a().signer());
    let devices: Vec<P256Signer> = (1..=n)
        .map(|s| P256Signer::from_scalar(&[s; 32]).unwrap())
        .collect();
    let ids: Vec<[u8; 16]> = (1..=n).map(|s| [s; 16]).collect();
    let secrets: Vec<[u8; 32]> = (1..=n).map(|s| [s ^ 0x5a; 32]).collect();
    let indices: Vec<u64> = (1..=n).map(|s| u64::from(s) * 7).collect();
    let issued = issue_batch(&issuer, &devices, &ids, &secrets, &indices, false);
    batch_of(issued, devices)
}

#[test]
fn each_credential_is_shown_once_then_the_least_recently_shown_again() {
    let mut batch = simple_batch(4);
    assert!(!batch.running_low());
    let mut ids = Vec::new();
    for k in 0..4u64 {
        let (bytes, pick) = batch
            .present(&[ClaimName::AgeOver18], None, NOW + k)
            .unwrap();
        assert_eq!(pick, Pick::Fresh(usize::try_from(k).unwrap()));
        let v = verifier()
            .verify(&bytes, &VerifyContext::offline(NOW + k))
            .unwrap();
        ids.push(v.credential_id().to_vec());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "four presentations, four credentials");
    assert_eq!(batch.unused(), 0);
    assert!(batch.running_low());
    // All used: the least recently shown (the first), and the caller is told.
    let (_, pick) = batch.present(&[], None, NOW + 10).unwrap();
    assert_eq!(pick, Pick::Reused(0));
    assert_eq!(batch.next(), Pick::Reused(1));
    assert_eq!(
        batch.uses()[0],
        Uses {
            count: 2,
            last: NOW + 10
        }
    );
    // A failed presentation records nothing.
    let before = batch.uses().to_vec();
    assert!(
        batch
            .present(&[ClaimName::Pesel, ClaimName::Pesel], None, NOW + 11)
            .is_err()
    );
    assert_eq!(batch.uses(), before.as_slice());
}

#[test]
fn the_usage_record_is_kept_across_reloads() {
    let mut batch = simple_batch(3);
    batch.present(&[], None, NOW).unwrap();
    let record = batch.uses().to_vec();
    let reloaded = simple_batch(3).with_uses(record).unwrap();
    assert_eq!(reloaded.next(), Pick::Fresh(1));
    assert_eq!(reloaded.unused(), 2);
    assert_eq!(
        simple_batch(3).with_uses(vec![Uses::default(); 2]).err(),
        Some(BatchError::Uses)
    );
    // A quarter or more unused is not low; under a quarter is.
    let mut batch = simple_batch(4);
    for k in 0..3 {
        assert!(!batch.running_low(), "after {k}");
        batch.present(&[], None, NOW + k).unwrap();
    }
    assert_eq!(batch.unused(), 1);
    assert!(!batch.running_low());
    batch.present(&[], None, NOW + 3).unwrap();
    assert!(batch.running_low());
}

#[test]
fn credentials_that_cannot_form_a_batch_are_refused() {
    let issuer = Issuer::new(issuer_a().signer());
    let devices: Vec<P256Signer> = (1..=2u8)
        .map(|s| P256Signer::from_scalar(&[s; 32]).unwrap())
        .collect();
    let wallet = |c: &IssuedCredential, d: &P256Signer| {
        Wallet::new(c.credential.clone(), c.disclosures.clone(), d.clone()).unwrap()
    };
    assert_eq!(
        Batch::<P256Signer>::new(vec![]).err(),
        Some(BatchError::Size)
    );
    // One credential id twice.
    let same_id = issue_batch(
        &issuer,
        &devices,
        &[[1; 16], [1; 16]],
        &[[1; 32], [2; 32]],
        &[1, 2],
        false,
    );
    assert_eq!(
        Batch::new(vec![
            wallet(&same_id[0], &devices[0]),
            wallet(&same_id[1], &devices[1])
        ])
        .err(),
        Some(BatchError::RepeatedCredential(1))
    );
    // One device key twice.
    let one_key = [devices[0].clone(), devices[0].clone()];
    let same_key = issue_batch(
        &issuer,
        &one_key,
        &[[1; 16], [2; 16]],
        &[[1; 32], [2; 32]],
        &[1, 2],
        false,
    );
    assert_eq!(
        Batch::new(vec![
            wallet(&same_key[0], &devices[0]),
            wallet(&same_key[1], &devices[0])
        ])
        .err(),
        Some(BatchError::RepeatedKey(1))
    );
    // Other claims (a portrait in one only).
    let plain = issue_batch(&issuer, &devices[..1], &[[1; 16]], &[[1; 32]], &[1], false);
    let with_photo = issue_batch(&issuer, &devices[1..], &[[2; 16]], &[[2; 32]], &[2], true);
    assert_eq!(
        Batch::new(vec![
            wallet(&plain[0], &devices[0]),
            wallet(&with_photo[0], &devices[1])
        ])
        .err(),
        Some(BatchError::OtherClaims(1))
    );
    // A credential tagged with times of its own (a day later), or another list.
    let tagged = |validity: Validity, uri: &str| {
        issuer
            .credential()
            .claims(student(None))
            .device_key(devices[1].public_key())
            .validity(validity)
            .status(StatusReference {
                uri: uri.into(),
                index: 2,
            })
            .issue_with_secret(&[2; 16], &[2; 32])
            .unwrap()
    };
    let day = Validity::rounded(NOW, NOW + 200 * DAY).unwrap();
    let later = Validity::rounded(NOW + DAY, NOW + 200 * DAY).unwrap();
    for other in [
        tagged(later, LIST),
        tagged(day, "https://issuer.example/v1/status-lists/2"),
    ] {
        assert_eq!(
            Batch::new(vec![
                wallet(&plain[0], &devices[0]),
                wallet(&other, &devices[1])
            ])
            .err(),
            Some(BatchError::OtherFields(1))
        );
    }
    assert!(
        Batch::new(vec![
            wallet(&plain[0], &devices[0]),
            wallet(&tagged(day, LIST), &devices[1])
        ])
        .is_ok()
    );
    // More than the most a batch holds.
    let many: Vec<Wallet<P256Signer>> = (0..=mlegit::activation::MAX_BATCH)
        .map(|_| wallet(&plain[0], &devices[0]))
        .collect();
    assert_eq!(Batch::new(many).err(), Some(BatchError::Size));
}

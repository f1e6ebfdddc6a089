//! Conformance with the IETF Token Status List's own examples
//! (`test-vectors/third-party/token-status-list/`, from draft-ietf-oauth-status-list;
//! provenance in `test-vectors/third-party/README.md`): every `{"bits", "lst"}` example inflates, with
//! mlegit's inflater and cap, to exactly the statuses the draft lists; mlegit's encoder
//! reproduces the draft's `lst` bytes where its compressor makes the same choices; the
//! draft's referenced token carries a status claim byte for byte as mlegit encodes it; and
//! the draft's example tokens are refused by the strict decoder, by design (spec §9).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use ciborium::Value as Cbor;
use mlegit::cbor::{self, Value};
use mlegit::{Error, StatusBits, StatusReference};

/// The hex of an example file: its last paragraph (after "encoded:" when there is one).
fn example(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-vectors/third-party/token-status-list")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let hex_part = text.rsplit("encoded:").next().unwrap();
    let digits: String = hex_part.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(digits).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `bits` and `lst` of an example map, read leniently (the draft's maps are not in
/// deterministic order, so mlegit's strict decoder would refuse them).
fn bits_and_lst(name: &str) -> (u64, Vec<u8>) {
    let value: Cbor = ciborium::de::from_reader(&example(name)[..]).unwrap();
    let map = value.into_map().unwrap();
    let mut bits = None;
    let mut lst = None;
    for (k, v) in map {
        match k.as_text() {
            Some("bits") => bits = Some(u64::try_from(v.as_integer().unwrap()).unwrap()),
            Some("lst") => lst = Some(v.into_bytes().unwrap()),
            other => panic!("{name}: unexpected key {other:?}"),
        }
    }
    (bits.unwrap(), lst.unwrap())
}

/// Inflates an example and checks it against the statuses the draft lists for it: every
/// entry named has its value, every other entry is 0.
fn check(name: &str, bits: u64, entries: usize, listed: &[(u64, u8)]) -> StatusBits {
    let (got_bits, lst) = bits_and_lst(name);
    assert_eq!(got_bits, bits, "{name}");
    let array = StatusBits::decompress(bits, &lst, mlegit::status_list::DEFAULT_MAX_LIST)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(array.len(), entries, "{name}");
    let want: BTreeMap<u64, u8> = listed.iter().copied().collect();
    let nonzero: BTreeMap<u64, u8> = (0..entries as u64)
        .filter_map(|i| array.get(i).filter(|v| *v != 0).map(|v| (i, v)))
        .collect();
    let want_nonzero: BTreeMap<u64, u8> = want.into_iter().filter(|(_, v)| *v != 0).collect();
    assert_eq!(nonzero, want_nonzero, "{name}");
    array
}

#[test]
fn one_bit_example() {
    // status[0..16] = 1 0 0 1 1 1 0 1 1 1 0 0 0 1 0 1: bytes 0xb9 0xa3.
    let values = [1u8, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    let listed: Vec<(u64, u8)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u64, *v))
        .collect();
    let array = check("status_list_encoding_cbor.md", 1, 16, &listed);
    assert_eq!(array.as_bytes(), [0xb9, 0xa3]);
}

#[test]
fn two_bit_example() {
    // status[0..12] = 1 2 0 3 0 1 0 1 1 2 3 3: bytes 0xc9 0x44 0xf9.
    let values = [1u8, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
    let listed: Vec<(u64, u8)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u64, *v))
        .collect();
    let array = check("status_list_encoding2_cbor.md", 2, 12, &listed);
    assert_eq!(array.as_bytes(), [0xc9, 0x44, 0xf9]);
}

/// The indices of the draft's long examples.
const LONG: [u64; 11] = [
    0, 1993, 25460, 159_495, 495_669, 554_353, 645_645, 723_232, 854_545, 934_534, 1_000_345,
];

#[test]
fn long_one_bit_example() {
    let listed: Vec<(u64, u8)> = LONG.iter().map(|i| (*i, 1)).collect();
    check("status_list_encoding1_long_cbor.md", 1, 1 << 20, &listed);
}

#[test]
fn long_two_bit_example() {
    let values = [1u8, 2, 1, 3, 1, 1, 2, 1, 1, 2, 3];
    let listed: Vec<(u64, u8)> = LONG.iter().copied().zip(values).collect();
    check("status_list_encoding2_long_cbor.md", 2, 1 << 20, &listed);
}

#[test]
fn four_bit_example() {
    let listed = [
        (0, 1),
        (1993, 2),
        (35_460, 3),
        (459_495, 4),
        (595_669, 5),
        (754_353, 6),
        (845_645, 7),
        (923_232, 8),
        (924_445, 9),
        (934_534, 10),
        (1_004_534, 11),
        (1_000_345, 12),
        (1_030_203, 13),
        (1_030_204, 14),
        (1_030_205, 15),
    ];
    check("status_list_encoding4_cbor.md", 4, 1 << 20, &listed);
}

#[test]
fn eight_bit_example() {
    // The draft sets values 0..=255 at 256 pseudo-random indices (Python's random, seed
    // 42): its text lists them, this test checks what does not need the list: 2^20 entries,
    // and the nonzero ones a set of distinct values (a later index could overwrite an
    // earlier one, so at most 255 of them).
    let (bits, lst) = bits_and_lst("status_list_encoding8_cbor.md");
    assert_eq!(bits, 8);
    let array = StatusBits::decompress(bits, &lst, 1 << 20).unwrap();
    assert_eq!(array.len(), 1 << 20);
    let mut values: Vec<u8> = (0..1u64 << 20)
        .filter_map(|i| array.get(i))
        .filter(|v| *v != 0)
        .collect();
    let count = values.len();
    values.sort_unstable();
    values.dedup();
    assert_eq!(values.len(), count, "a value appears twice");
    assert!((250..=255).contains(&count), "{count}");
}

#[test]
fn our_encoder_reproduces_the_drafts_lst_where_it_can() {
    // The draft compresses with zlib at level 9; mlegit with miniz_oxide at level 9. Both
    // emit the same ZLIB header (78 da). For the two short examples (fixed Huffman codes of
    // two and three literal bytes) the DEFLATE streams are the same bytes; for the long
    // examples the encoders choose other matches and block splits, so the bytes differ
    // while the inflated arrays are equal (checked above and here).
    for (name, bits, same) in [
        ("status_list_encoding_cbor.md", 1, true),
        ("status_list_encoding2_cbor.md", 2, true),
        ("status_list_encoding1_long_cbor.md", 1, false),
        ("status_list_encoding2_long_cbor.md", 2, false),
        ("status_list_encoding4_cbor.md", 4, false),
        ("status_list_encoding8_cbor.md", 8, false),
    ] {
        let (_, lst) = bits_and_lst(name);
        let array = StatusBits::decompress(bits, &lst, 1 << 20).unwrap();
        let ours = array.compress();
        assert_eq!(ours[..2], [0x78, 0xda], "{name}: header");
        assert_eq!(
            ours == lst,
            same,
            "{name}: ours {} bytes, the draft's {}",
            ours.len(),
            lst.len()
        );
        assert_eq!(
            StatusBits::decompress(bits, &ours, 1 << 20).unwrap(),
            array,
            "{name}"
        );
    }
}

#[test]
fn the_drafts_status_claim_is_ours_byte_for_byte() {
    // The referenced token's payload: a CWT whose claim 65535 is
    // {"status_list": {"idx": 0, "uri": "https://example.com/statuslists/1"}}.
    let token = example("referenced_token_cwt.md");
    let Cbor::Tag(18, sign1) = ciborium::de::from_reader::<Cbor, _>(&token[..]).unwrap() else {
        panic!("not a tagged COSE_Sign1");
    };
    let items = sign1.into_array().unwrap();
    let payload = items[2].as_bytes().unwrap();
    let claims = ciborium::de::from_reader::<Cbor, _>(&payload[..])
        .unwrap()
        .into_map()
        .unwrap();
    let status = claims
        .iter()
        .find(|(k, _)| k.as_integer() == Some(65_535.into()))
        .map(|(_, v)| v.clone())
        .unwrap();
    let mut theirs = Vec::new();
    ciborium::ser::into_writer(&status, &mut theirs).unwrap();
    // The claim value is deterministic CBOR: the strict decoder takes it.
    assert!(cbor::decode(&theirs).is_ok());

    // The same claim in an mlegit credential (key 9).
    let issuer = mlegit::Issuer::new(mlegit::fixtures::issuer_a().signer());
    let issued = issuer
        .credential()
        .claims(mlegit::fixtures::student(None))
        .device_key(mlegit::fixtures::device().public_key())
        .validity(mlegit::Validity::starting_at(mlegit::fixtures::NOW, 86_400))
        .status(StatusReference {
            uri: "https://example.com/statuslists/1".into(),
            index: 0,
        })
        .issue_with_secret(&[1; 16], &[2; 32])
        .unwrap();
    let Value::Array(items) = cbor::decode(&issued.credential).unwrap() else {
        panic!()
    };
    let payload = cbor::decode(items[2].as_bytes().unwrap()).unwrap();
    let Value::Map(entries) = payload else {
        panic!()
    };
    let ours = entries
        .iter()
        .find(|(k, _)| k.as_u64() == Some(9))
        .map(|(_, v)| cbor::encode(v))
        .unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn the_drafts_example_tokens_are_refused_by_the_strict_decoder() {
    // Both example tokens start with tag 18 (d2); mlegit's tokens are untagged, and its
    // payload keys ascend (the draft's run 2, 6, 4, 65534, 65533).
    for name in ["status_list_cwt.md", "referenced_token_cwt.md"] {
        let token = example(name);
        assert_eq!(token[0], 0xd2, "{name}");
        assert_eq!(
            cbor::decode(&token).err(),
            Some(Error::CborUnsupportedType),
            "{name}"
        );
    }
    // Untagged, the status list token's payload still fails on its key order.
    let token = example("status_list_cwt.md");
    let Value::Array(items) = cbor::decode(&token[1..]).unwrap() else {
        panic!()
    };
    assert_eq!(
        cbor::decode(items[2].as_bytes().unwrap()).err(),
        Some(Error::CborUnsortedKeys)
    );
    // And its lst inflates to the one-bit example.
    let (_, lst) = bits_and_lst("status_list_encoding_cbor.md");
    let payload = items[2].as_bytes().unwrap();
    assert!(payload.windows(lst.len()).any(|w| w == lst));
}

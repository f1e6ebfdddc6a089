//! `online::open_with_shared_secret`, the HPKE open of a caller that does the
//! Diffie-Hellman itself (a browser's non-extractable WebCrypto key), against
//! `ResponseKey::open` on every encrypted-response vector and on fresh sessions; and
//! `online::sealed_with_shared_secret`, the same up to the AEAD, for a caller that does the
//! AES-GCM too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mlegit::online::{self, ResponseKey, SessionBinding};

/// skR · enc, the x-coordinate: what WebCrypto's ECDH deriveBits(256) gives.
fn dh(scalar: &[u8], enc: &[u8; 65]) -> [u8; 32] {
    let secret = p256::SecretKey::from_slice(scalar).unwrap();
    let public = p256::PublicKey::from_sec1_bytes(enc).unwrap();
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
    let mut out = [0u8; 32];
    out.copy_from_slice(shared.raw_secret_bytes());
    out
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn every_response_vector_opens_the_same_with_the_dh_outside() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/responses.json"
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut compared = 0;
    for v in doc["vectors"].as_array().unwrap() {
        let s = &v["verifier"];
        let scalar = unhex(s["response_key_scalar"].as_str().unwrap());
        let key = ResponseKey::from_scalar(&scalar).unwrap();
        let sid: [u8; 16] = unhex(s["session_id"].as_str().unwrap()).try_into().unwrap();
        let digest: [u8; 32] = unhex(s["request_digest"].as_str().unwrap())
            .try_into()
            .unwrap();
        let binding = SessionBinding {
            relay_origin: s["relay_origin"].as_str().unwrap(),
            session_id: &sid,
            request_digest: &digest,
        };
        let response = unhex(v["response"].as_str().unwrap());
        let native = key.open(&response, &binding);
        let outside = match online::response_enc(&response) {
            Err(e) => Err(e),
            // An enc that is no point: WebCrypto's importKey refuses it, so the caller
            // has no DH to give; any 32 bytes must then fail as O3 does.
            Ok(enc) => match p256::PublicKey::from_sec1_bytes(&enc) {
                Ok(_) => online::open_with_shared_secret(
                    &response,
                    key.public_key(),
                    &dh(&scalar, &enc),
                    &binding,
                ),
                Err(_) => {
                    online::open_with_shared_secret(&response, key.public_key(), &[7; 32], &binding)
                }
            },
        };
        assert_eq!(outside, native, "{}", v["name"]);
        compared += 1;
    }
    assert!(compared >= 13);
}

#[test]
fn fresh_sessions_open_the_same_and_a_wrong_dh_fails() {
    for _ in 0..16 {
        let (key, sealed, z) = fresh_session();
        let binding = BINDING;
        assert_eq!(
            online::open_with_shared_secret(&sealed, key.public_key(), &z, &binding).unwrap(),
            b"a presentation"
        );
        let mut wrong = z;
        wrong[0] ^= 1;
        assert_eq!(
            online::open_with_shared_secret(&sealed, key.public_key(), &wrong, &binding),
            Err(mlegit::Error::ResponseUndecryptable)
        );
    }
}

/// The binding of the fresh sessions below.
const BINDING: SessionBinding<'static> = SessionBinding {
    relay_origin: "https://relay.example",
    session_id: &[9; 16],
    request_digest: &[3; 32],
};

/// A fresh session: its response key, an answer sealed to it under [`BINDING`], and the
/// Diffie-Hellman a browser's WebCrypto would give for it.
fn fresh_session() -> (ResponseKey, Vec<u8>, [u8; 32]) {
    let (key, scalar) = fresh_key();
    let response = online::seal(
        key.public_key(),
        &BINDING,
        b"a presentation",
        &mut rand::rng(),
    )
    .unwrap();
    let z = dh(&scalar, &online::response_enc(&response).unwrap());
    (key, response, z)
}

/// A response key and its scalar, drawn here.
fn fresh_key() -> (ResponseKey, Vec<u8>) {
    use rand::Rng as _;
    loop {
        let mut scalar = [0u8; 32];
        rand::rng().fill_bytes(&mut scalar);
        if let Some(key) = ResponseKey::from_scalar(&scalar) {
            return (key, scalar.to_vec());
        }
    }
}

/// `sealed_with_shared_secret`, the open up to the AEAD: its key, nonce and additional
/// data open the ciphertext with AES-128-GCM (what a browser does with WebCrypto's), and its
/// `Debug` shows neither the key nor the nonce.
#[test]
fn the_aead_inputs_open_what_the_whole_open_opens() {
    use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
    for _ in 0..8 {
        let (key, response, z) = fresh_session();
        let binding = BINDING;
        let sealed =
            online::sealed_with_shared_secret(&response, key.public_key(), &z, &binding).unwrap();
        let opened = aes_gcm::Aes128Gcm::new(&sealed.key.into())
            .decrypt(
                &sealed.nonce.into(),
                Payload {
                    msg: sealed.ciphertext,
                    aad: &sealed.aad,
                },
            )
            .unwrap();
        assert_eq!(opened, b"a presentation");
        let shown = format!("{sealed:?} {sealed:#?}");
        for secret in [&sealed.key[..], &sealed.nonce[..]] {
            assert!(!shown.contains(&format!("{secret:?}")), "{shown}");
            assert!(!shown.contains(&hex::encode(secret)), "{shown}");
            assert!(!shown.contains(format!("{:?}", &secret[..4]).trim_matches(['[', ']'])));
        }
        // A wrong DH gives other AEAD inputs, which the ciphertext refuses.
        let mut wrong = z;
        wrong[31] ^= 1;
        let other =
            online::sealed_with_shared_secret(&response, key.public_key(), &wrong, &binding)
                .unwrap();
        assert_ne!(other.key, sealed.key);
        assert!(
            aes_gcm::Aes128Gcm::new(&other.key.into())
                .decrypt(
                    &other.nonce.into(),
                    Payload {
                        msg: other.ciphertext,
                        aad: &other.aad
                    }
                )
                .is_err()
        );
    }
}

//! The online presentation (spec §18): the verifier's QR code names a session at a relay
//! and a digest of the verifier's ephemeral response key; the holder fetches the request,
//! checks it (R1–R5 or A1–A12, then E1–E2), and sends its presentation encrypted to that key
//! with HPKE (RFC 9180) in a COSE_Encrypt0; only the verifier can open it (O1–O3).
//!
//! ```text
//! engagement  = https://<relay>/v1/sessions/<base64url sid>#<base64url key digest>
//! info        = ["mlegit online response", relay_origin, sid (16), request_digest (32)]
//! response    = [ << {1: -65537} >>, {-4: enc (65)}, ciphertext ]   ; COSE_Encrypt0
//! aad         = ["Encrypt0", protected, h'']                        ; Enc_structure
//! ```
//!
//! HPKE base mode with DHKEM(P-256, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM, through the
//! `hpke` crate (RustCrypto's P-256 and AES-GCM underneath, no_std): a second HPKE here would
//! be a second, less tested one.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpke::aead::AesGcm128;
use hpke::kdf::HkdfSha256;
use hpke::kem::DhP256HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use rand_core::CryptoRng;
use sha2::{Digest as _, Sha256};

use crate::cbor::{self, Encoder, Value};
use crate::crypto::PublicKey;
use crate::error::{Error, PresentError};
use crate::request::CheckedRequest;

type Kem = DhP256HkdfSha256;

/// The COSE algorithm of the encrypted response: HPKE base mode, DHKEM(P-256,
/// HKDF-SHA256), HKDF-SHA256, AES-128-GCM (draft-ietf-cose-hpke's HPKE-0 suite; a
/// private-use value until IANA assigns one).
pub const ALG_HPKE_0: i64 = -65_537;
/// The header label of the HPKE encapsulated key (draft-ietf-cose-hpke's `ek`).
pub const HEADER_EK: i64 = -4;
/// The first element of the HPKE info (spec §18.2).
pub const INFO_LABEL: &str = "mlegit online response";
/// Largest encrypted response accepted (spec §18.3, O1).
pub const MAX_RESPONSE_LEN: usize = 66_560;

/// The first 16 bytes of SHA-256 of a response key's SEC1 uncompressed encoding: what the
/// engagement's URI fragment carries (spec §18.1).
pub fn key_digest(key: &PublicKey) -> [u8; 16] {
    let digest: [u8; 32] = Sha256::digest(key.to_sec1_uncompressed()).into();
    let mut out = [0u8; 16];
    for (o, d) in out.iter_mut().zip(digest) {
        *o = d;
    }
    out
}

/// The session an encrypted response belongs to (spec §18.2): its HPKE info.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionBinding<'a> {
    /// The relay's origin, `https://host[:port]`.
    pub relay_origin: &'a str,
    /// The session id.
    pub session_id: &'a [u8; 16],
    /// SHA-256 of the request bytes as the holder received them.
    pub request_digest: &'a [u8; 32],
}

impl SessionBinding<'_> {
    /// The HPKE info: `["mlegit online response", relay_origin, sid, request_digest]`.
    pub fn info(&self) -> Vec<u8> {
        let mut e = Encoder::with_capacity(96 + self.relay_origin.len());
        e.array(4)
            .text(INFO_LABEL)
            .text(self.relay_origin)
            .bytes(self.session_id)
            .bytes(self.request_digest);
        e.into_bytes()
    }
}

/// The protected header `{1: -65537}`, encoded.
fn protected_header() -> Vec<u8> {
    let mut e = Encoder::new();
    e.map(1).u64(1).i64(ALG_HPKE_0);
    e.into_bytes()
}

/// `Enc_structure = ["Encrypt0", protected, external_aad = h'']` (RFC 9052 §5.3).
fn enc_structure(protected: &[u8]) -> Vec<u8> {
    let mut e = Encoder::with_capacity(protected.len() + 16);
    e.array(3).text("Encrypt0").bytes(protected).bytes(&[]);
    e.into_bytes()
}

/// Encrypts `presentation` to the verifier's `response_key` for the session `binding`
/// (spec §18.3): the holder's side. `rng` draws the HPKE ephemeral key.
pub fn seal<R: CryptoRng>(
    response_key: &PublicKey,
    binding: &SessionBinding<'_>,
    presentation: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, PresentError> {
    let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(&response_key.to_sec1_uncompressed())
        .map_err(|_| PresentError::Encryption)?;
    let protected = protected_header();
    let (enc, ciphertext) = hpke::single_shot_seal_with_rng::<AesGcm128, HkdfSha256, Kem>(
        &OpModeS::Base,
        &recipient,
        &binding.info(),
        presentation,
        &enc_structure(&protected),
        rng,
    )
    .map_err(|_| PresentError::Encryption)?;
    let enc = enc.to_bytes();
    let mut e = Encoder::with_capacity(protected.len() + enc.len() + ciphertext.len() + 16);
    e.array(3).bytes(&protected);
    e.map(1).i64(HEADER_EK).bytes(&enc);
    e.bytes(&ciphertext);
    Ok(e.into_bytes())
}

/// The verifier's ephemeral response key (spec §18.1): lives as long as one session.
pub struct ResponseKey {
    secret: <Kem as hpke::Kem>::PrivateKey,
    public: PublicKey,
}

impl core::fmt::Debug for ResponseKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResponseKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl ResponseKey {
    /// A fresh key from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        loop {
            let mut scalar = [0u8; 32];
            rng.fill_bytes(&mut scalar);
            if let Some(key) = Self::from_scalar(&scalar) {
                return key;
            }
        }
    }

    /// The key of private scalar `scalar` (32 bytes, big-endian, in `[1, n-1]`).
    pub fn from_scalar(scalar: &[u8]) -> Option<Self> {
        let secret = <Kem as hpke::Kem>::PrivateKey::from_bytes(scalar).ok()?;
        let public_bytes = Kem::sk_to_pk(&secret).to_bytes();
        let public = PublicKey::from_sec1(&public_bytes)?;
        Some(Self { secret, public })
    }

    /// The public key: what the request's `response_key` (key 8) carries.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Its digest, for the engagement (spec §18.1).
    pub fn key_digest(&self) -> [u8; 16] {
        key_digest(&self.public)
    }

    /// Opens an encrypted response for the session `binding` (spec §18.3, steps O1–O3):
    /// the presentation bytes, to verify next (P1–P14).
    pub fn open(&self, response: &[u8], binding: &SessionBinding<'_>) -> Result<Vec<u8>, Error> {
        let (protected, enc, ciphertext) = envelope(response)?;
        // O3 (spec §18.3): the HPKE open with this key and this session's info.
        let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc)
            .map_err(|_| Error::ResponseUndecryptable)?;
        hpke::single_shot_open::<AesGcm128, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.secret,
            &enc,
            &binding.info(),
            ciphertext,
            &enc_structure(protected),
        )
        .map_err(|_| Error::ResponseUndecryptable)
    }
}

/// The `enc` of an encrypted response after O1 and O2 (spec §18.3): the sender's ephemeral
/// public key, SEC1 uncompressed, for a caller whose response key lives elsewhere (a
/// browser's non-extractable WebCrypto key) to run the Diffie-Hellman with, before
/// [`open_with_shared_secret`].
pub fn response_enc(response: &[u8]) -> Result<[u8; 65], Error> {
    let (_, enc, _) = envelope(response)?;
    enc.try_into().map_err(|_| Error::CoseMalformed)
}

/// O1–O3 (spec §18.3) with the Diffie-Hellman done by the caller: `dh` is the
/// x-coordinate of skR · enc (what WebCrypto's ECDH `deriveBits` gives, 32 bytes) and
/// `recipient` the response key's public key. The rest of RFC 9180's `Decap` (its
/// `ExtractAndExpand`) and the base-mode key schedule run here with HKDF-SHA256, then
/// AES-128-GCM opens the ciphertext. Gives what [`ResponseKey::open`] gives for the same
/// inputs (a test holds the two together); any failure of O3 is `response_undecryptable`.
pub fn open_with_shared_secret(
    response: &[u8],
    recipient: &PublicKey,
    dh: &[u8; 32],
    binding: &SessionBinding<'_>,
) -> Result<Vec<u8>, Error> {
    use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
    let sealed = sealed_with_shared_secret(response, recipient, dh, binding)?;
    let cipher = aes_gcm::Aes128Gcm::new(&sealed.key.into());
    cipher
        .decrypt(
            &sealed.nonce.into(),
            Payload {
                msg: sealed.ciphertext,
                aad: &sealed.aad,
            },
        )
        .map_err(|_| Error::ResponseUndecryptable)
}

/// An encrypted response's AES-128-GCM inputs, after the key schedule: what
/// [`sealed_with_shared_secret`] gives a caller whose AEAD is elsewhere (a browser's
/// WebCrypto `decrypt({name: "AES-GCM", iv: nonce, additionalData: aad}, key,
/// ciphertext)`, its 128-bit tag the ciphertext's last 16 bytes). The key and nonce are
/// wiped on drop and never shown by `Debug`.
pub struct Sealed<'a> {
    /// The AEAD key (RFC 9180 `key`).
    pub key: [u8; 16],
    /// The nonce of the first and only message (`base_nonce`, sequence number 0).
    pub nonce: [u8; 12],
    /// The `Enc_structure` (spec §18.3): the additional data.
    pub aad: Vec<u8>,
    /// The COSE_Encrypt0 ciphertext, tag included.
    pub ciphertext: &'a [u8],
}

impl Drop for Sealed<'_> {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.key.zeroize();
        self.nonce.zeroize();
    }
}

impl core::fmt::Debug for Sealed<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sealed")
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// [`open_with_shared_secret`] up to the AEAD: O1, O2 and O3's `Decap` and key schedule,
/// with the Diffie-Hellman done by the caller. Opening [`Sealed`] with AES-128-GCM is the
/// rest of O3; a failure there is `response_undecryptable`, as every failure here of O3.
pub fn sealed_with_shared_secret<'a>(
    response: &'a [u8],
    recipient: &PublicKey,
    dh: &[u8; 32],
    binding: &SessionBinding<'_>,
) -> Result<Sealed<'a>, Error> {
    use zeroize::Zeroize as _;
    let (protected, enc, ciphertext) = envelope(response)?;
    // O3 (spec §18.3): enc must be a point (RFC 9180 §7.1.1 Deserialize), as in open.
    if PublicKey::from_uncompressed(enc).is_none() {
        return Err(Error::ResponseUndecryptable);
    }
    const KEM_SUITE: &[u8] = b"KEM\x00\x10";
    const HPKE_SUITE: &[u8] = b"HPKE\x00\x10\x00\x01\x00\x01";
    let extract = |suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]| -> [u8; 32] {
        let mut labeled = Vec::with_capacity(7 + suite.len() + label.len() + ikm.len());
        for part in [b"HPKE-v1".as_slice(), suite, label, ikm] {
            labeled.extend_from_slice(part);
        }
        hkdf::Hkdf::<Sha256>::extract(Some(salt), &labeled).0.into()
    };
    let expand = |suite: &[u8], prk: &[u8; 32], label: &[u8], info: &[u8], out: &mut [u8]| {
        let length = u16::try_from(out.len()).unwrap_or(u16::MAX).to_be_bytes();
        let parts = [length.as_slice(), b"HPKE-v1", suite, label, info];
        let hkdf = hkdf::Hkdf::<Sha256>::from_prk(prk).map_err(|_| Error::ResponseUndecryptable)?;
        hkdf.expand_multi_info(&parts, out)
            .map_err(|_| Error::ResponseUndecryptable)
    };
    // ExtractAndExpand (RFC 9180 §4.1), kem_context = enc || pkRm.
    let mut eae_prk = extract(KEM_SUITE, b"", b"eae_prk", dh);
    let mut kem_context = Vec::with_capacity(130);
    kem_context.extend_from_slice(enc);
    kem_context.extend_from_slice(&recipient.to_sec1_uncompressed());
    let mut shared_secret = [0u8; 32];
    expand(
        KEM_SUITE,
        &eae_prk,
        b"shared_secret",
        &kem_context,
        &mut shared_secret,
    )?;
    // KeySchedule (RFC 9180 §5.1), mode_base, no psk.
    let psk_id_hash = extract(HPKE_SUITE, b"", b"psk_id_hash", b"");
    let info_hash = extract(HPKE_SUITE, b"", b"info_hash", &binding.info());
    let mut context = Vec::with_capacity(65);
    context.push(0x00);
    context.extend_from_slice(&psk_id_hash);
    context.extend_from_slice(&info_hash);
    let mut secret = extract(HPKE_SUITE, &shared_secret, b"secret", b"");
    let mut key = [0u8; 16];
    let mut nonce = [0u8; 12];
    expand(HPKE_SUITE, &secret, b"key", &context, &mut key)?;
    expand(HPKE_SUITE, &secret, b"base_nonce", &context, &mut nonce)?;
    // The first and only message: sequence number 0, the nonce as it is.
    let sealed = Sealed {
        key,
        nonce,
        aad: enc_structure(protected),
        ciphertext,
    };
    // The session's secrets go with this call; `Sealed` wipes its copies of the key and
    // nonce when it is dropped.
    for part in [
        &mut eae_prk[..],
        &mut shared_secret[..],
        &mut secret[..],
        &mut key[..],
        &mut nonce[..],
    ] {
        part.zeroize();
    }
    Ok(sealed)
}

/// O1 and O2 (spec §18.3) without a key: what a relay can check of an encrypted response
/// before it keeps it (only the verifier can run O3).
pub fn check_envelope(response: &[u8]) -> Result<(), Error> {
    envelope(response).map(|_| ())
}

/// The parts of an encrypted response: the protected header's content, `enc`, the
/// ciphertext.
type Envelope<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// O1, O2 (spec §18.3): the parts of an encrypted response.
fn envelope(response: &[u8]) -> Result<Envelope<'_>, Error> {
    // O1 (spec §18.3): the size cap.
    if response.len() > MAX_RESPONSE_LEN {
        return Err(Error::InputTooLarge);
    }
    // O2 (spec §18.3): strict CBOR, [bstr, map, bstr], the exact headers.
    let Value::Array(items) = cbor::decode(response)? else {
        return Err(Error::CoseMalformed);
    };
    let [
        Value::Bytes(protected),
        Value::Map(unprotected),
        Value::Bytes(ciphertext),
    ] = items.as_slice()
    else {
        return Err(Error::CoseMalformed);
    };
    // The protected header's content as strict CBOR (§2 codes), then exactly
    // {1: -65537}: strict CBOR has one encoding of that map, so bytes compare.
    cbor::decode(protected)?;
    if *protected != protected_header() {
        return Err(Error::CoseMalformed);
    }
    let enc = match unprotected.as_slice() {
        [(key, Value::Bytes(enc))] if key.as_i64() == Some(HEADER_EK) && enc.len() == 65 => *enc,
        _ => return Err(Error::CoseMalformed),
    };
    Ok((protected, enc, ciphertext))
}

/// What the verifier's QR code carries (spec §18.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Engagement {
    /// The relay's origin, `https://host[:port]`.
    pub relay_origin: String,
    /// The session id.
    pub session_id: [u8; 16],
    /// The response key's digest, from the URI fragment.
    pub key_digest: [u8; 16],
}

impl Engagement {
    /// `https://<relay>/v1/sessions/<sid>#<key digest>`, both base64url without padding.
    pub fn to_uri(&self) -> String {
        alloc::format!(
            "{}/v1/sessions/{}#{}",
            self.relay_origin,
            URL_SAFE_NO_PAD.encode(self.session_id),
            URL_SAFE_NO_PAD.encode(self.key_digest)
        )
    }

    /// Reads an engagement URI: an https origin, the path `/v1/sessions/<sid>`, the
    /// fragment; anything else is `invalid_field`.
    pub fn parse(uri: &str) -> Result<Self, Error> {
        let rest = uri.strip_prefix("https://").ok_or(Error::InvalidField)?;
        let (authority, path) = rest.split_once('/').ok_or(Error::InvalidField)?;
        let valid_authority = !authority.is_empty()
            && authority.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        let (path, fragment) = path.split_once('#').ok_or(Error::InvalidField)?;
        let sid = path
            .strip_prefix("v1/sessions/")
            .ok_or(Error::InvalidField)?;
        let decode16 = |text: &str| -> Result<[u8; 16], Error> {
            let bytes = URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| Error::InvalidField)?;
            bytes.try_into().map_err(|_| Error::InvalidField)
        };
        if !valid_authority || sid.len() != 22 || fragment.len() != 22 {
            return Err(Error::InvalidField);
        }
        Ok(Self {
            relay_origin: alloc::format!("https://{authority}"),
            session_id: decode16(sid)?,
            key_digest: decode16(fragment)?,
        })
    }

    /// E1, E2 (spec §18.1): the checked request has a response key, and it is the one
    /// this engagement names.
    pub fn check(&self, request: &CheckedRequest) -> Result<(), Error> {
        check_key(request, Some(&self.key_digest))
    }
}

/// E1, E2 (spec §18.1): the request's response key is present and, when the engagement
/// came by QR (`digest`), matches it; a typed code gives no digest (E1 only).
pub fn check_key(request: &CheckedRequest, digest: Option<&[u8; 16]>) -> Result<(), Error> {
    // E1 (spec §18.1): a response key.
    let key = request
        .request()
        .response_key
        .as_ref()
        .ok_or(Error::MissingField)?;
    // E2 (spec §18.1): the key the engagement names.
    if digest.is_some_and(|d| *d != key_digest(key)) {
        return Err(Error::ResponseKeyMismatch);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    struct Counter(u8);
    impl rand_core::TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(u32::from(self.0))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Ok(u64::from(self.0))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                self.0 = self.0.wrapping_add(1);
                *b = self.0;
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Counter {}

    #[test]
    fn seal_and_open_round_trip_and_bind_the_session() {
        let key = ResponseKey::generate(&mut Counter(7));
        let binding = SessionBinding {
            relay_origin: "https://relay.example",
            session_id: &[1; 16],
            request_digest: &[2; 32],
        };
        let sealed = seal(key.public_key(), &binding, b"presentation", &mut Counter(9)).unwrap();
        assert_eq!(key.open(&sealed, &binding).unwrap(), b"presentation");
        // Another session, another request, another key: undecryptable.
        let other = SessionBinding {
            session_id: &[3; 16],
            ..binding
        };
        assert_eq!(key.open(&sealed, &other), Err(Error::ResponseUndecryptable));
        let stranger = ResponseKey::generate(&mut Counter(40));
        assert_eq!(
            stranger.open(&sealed, &binding),
            Err(Error::ResponseUndecryptable)
        );
        // A flipped ciphertext byte; a changed header.
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(
            key.open(&flipped, &binding),
            Err(Error::ResponseUndecryptable)
        );
        assert_eq!(key.open(&[0x80], &binding), Err(Error::CoseMalformed));
    }

    #[test]
    fn engagements_round_trip_and_refuse_other_shapes() {
        let e = Engagement {
            relay_origin: "https://relay.example:8443".into(),
            session_id: [0xfa; 16],
            key_digest: [0x0b; 16],
        };
        assert_eq!(Engagement::parse(&e.to_uri()), Ok(e.clone()));
        for bad in [
            "http://relay.example/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAA",
            "https://relay.example/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA",
            "https://relay.example/v2/sessions/AAAAAAAAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAA",
            "https://relay.example/v1/sessions/AAAA#AAAAAAAAAAAAAAAAAAAAAA",
            "https://re lay/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA#AAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(Engagement::parse(bad), Err(Error::InvalidField), "{bad}");
        }
    }

    #[test]
    fn a_response_keys_debug_shows_no_secret() {
        let scalar = [0x42u8; 32];
        let key = ResponseKey::from_scalar(&scalar).unwrap();
        let shown = alloc::format!("{key:?}");
        assert!(shown.starts_with("ResponseKey"), "{shown}");
        assert!(
            !shown.contains("4242") && !shown.contains("66, 66"),
            "{shown}"
        );
    }

    /// The worked example of spec §18.1 and the binding bytes of §18.2.
    #[test]
    fn the_specs_engagement_example() {
        use crate::crypto::Signer as _;
        let key = crate::fixtures::response_key().signer().public_key();
        let digest = key_digest(&key);
        assert_eq!(
            digest,
            [
                0xa0, 0x52, 0x25, 0x21, 0x22, 0xbe, 0xd9, 0xe1, 0xb0, 0xe8, 0x62, 0x62, 0x2d, 0xb1,
                0x18, 0x4a
            ]
        );
        assert_eq!(digest[..8], key.key_id()[..]);
        let mut session_id = [0u8; 16];
        for (i, b) in session_id.iter_mut().enumerate() {
            *b = i as u8;
        }
        let e = Engagement {
            relay_origin: "https://relay.example".into(),
            session_id,
            key_digest: digest,
        };
        assert_eq!(
            e.to_uri(),
            "https://relay.example/v1/sessions/AAECAwQFBgcICQoLDA0ODw#oFIlISK-2eGw6GJiLbEYSg"
        );
        // Non-zero unused low bits in the last character: not the canonical form.
        assert_eq!(
            Engagement::parse(
                "https://relay.example/v1/sessions/AAECAwQFBgcICQoLDA0ODx#oFIlISK-2eGw6GJiLbEYSg"
            ),
            Err(Error::InvalidField)
        );
        let info = SessionBinding {
            relay_origin: "https://relay.example",
            session_id: &session_id,
            request_digest: &[0; 32],
        }
        .info();
        assert_eq!(info[0], 0x84);
        assert_eq!(&info[1..24], b"\x76mlegit online response");
        assert_eq!(&info[24..46], b"\x75https://relay.example");
    }
}

//! Builds credentials, presentations and status list tokens from editable parts, signs
//! them with fixed keys, and lets a vector change any part before or after signing.

use hkdf::Hkdf;
use mlegit::{Signer, cose};
use sha2::{Digest, Sha256};

use crate::cbor::{V, enc, int, text};

pub use mlegit::fixtures::{
    AUDIENCE, DAY, Key, NOW, authority_a, authority_b, authority_unknown, device, issuer_a,
    issuer_b, issuer_unknown, nonce, other_device, portrait, response_key, verifier_kino,
    verifier_other,
};

/// The COSE_KeySet of `entries` (a trust list or an authority list, spec §10).
pub fn encode_trust(entries: &[TrustEntry]) -> Vec<u8> {
    let mut list = mlegit::TrustList::new();
    for e in entries {
        list.add(mlegit::TrustedKey {
            kid: e.key.kid(),
            key: e.key.signer().public_key(),
            not_before: e.not_before,
            not_after: e.not_after,
        })
        .expect("distinct keys, at most 64");
    }
    list.to_vec()
}

/// A trust list entry.
#[derive(Clone, Debug)]
pub struct TrustEntry {
    /// The key.
    pub key: Key,
    /// Its validity.
    pub not_before: u64,
    /// Its validity.
    pub not_after: u64,
}

/// How a signature is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigMode {
    /// Low S, as every signer must.
    Normal,
    /// The high-S twin `n - s` of the normal signature.
    HighS,
}

/// `n - s` on the second half of `r || s`.
pub fn high_s(mut sig: [u8; 64]) -> [u8; 64] {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(N[i]) - i16::from(sig[32 + i]) - borrow;
        borrow = i16::from(d < 0);
        sig[32 + i] = (d + if d < 0 { 256 } else { 0 }) as u8;
    }
    sig
}

/// The claims of the student in the vectors, in registry order (birth 2008-03-14: all age
/// claims hold at `iat`).
pub fn student_claims(portrait_len: Option<usize>) -> Vec<(String, V)> {
    let st = mlegit::fixtures::student(None);
    let mut claims: Vec<(String, V)> = [
        ("family_name", st.family_name),
        ("given_names", st.given_names),
        ("document_number", st.document_number),
        ("issue_date", st.issue_date.to_string()),
        ("expiry_date", st.expiry_date.to_string()),
        ("holder_status", "student".into()),
        ("birth_date", st.birth_date.to_string()),
        ("pesel", st.pesel),
        ("address", st.address),
        ("school_name", st.school_name),
        ("school_address", st.school_address),
        ("school_id", st.school_id),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), text(&v)))
    .collect();
    if let Some(len) = portrait_len {
        claims.push(("portrait".into(), V::B(portrait(len))));
    }
    for age in ["age_over_13", "age_over_16", "age_over_18"] {
        claims.push((age.into(), V::Bool(true)));
    }
    claims
}

/// The verifier settings of a vector.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Verifier clock.
    pub now: u64,
    /// Clock skew.
    pub clock_skew: u64,
    /// Maximum presentation age.
    pub max_age: u64,
    /// Input size cap.
    pub max_input_size: usize,
    /// Accepted COSE algorithms.
    pub accepted_algs: Vec<i64>,
    /// Expected nonce.
    pub expected_nonce: Option<Vec<u8>>,
    /// Expected audience.
    pub expected_audience: Option<String>,
    /// Expected digest of the signed request sent.
    pub expected_request_digest: Option<Vec<u8>>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            now: NOW,
            clock_skew: mlegit::DEFAULT_CLOCK_SKEW,
            max_age: mlegit::DEFAULT_MAX_AGE,
            max_input_size: mlegit::DEFAULT_MAX_INPUT,
            accepted_algs: vec![-7],
            expected_nonce: None,
            expected_audience: None,
            expected_request_digest: None,
        }
    }
}

/// A function that edits a map.
pub type MapHook = Box<dyn FnOnce(&mut Vec<(V, V)>)>;
/// A function that edits the digest list.
pub type DigestsHook = Box<dyn FnOnce(&mut Vec<Vec<u8>>)>;
/// A function that edits encoded bytes.
pub type BytesHook = Box<dyn FnOnce(Vec<u8>) -> Vec<u8>>;

/// Everything a presentation vector is made from. Fields are public so that each vector
/// changes what it needs; [`Parts::build`] encodes and signs.
pub struct Parts {
    /// The issuer key that signs the credential.
    pub issuer: Key,
    /// The trust list.
    pub trust: Vec<TrustEntry>,
    /// The device key bound in the credential.
    pub device: Key,
    /// The key that signs the presentation.
    pub presenter: Key,
    /// Issued claims, in order.
    pub claims: Vec<(String, V)>,
    /// Salt secret (spec §5.2).
    pub salt_secret: [u8; 32],
    /// Credential id.
    pub credential_id: Vec<u8>,
    /// Validity.
    pub iat: u64,
    /// Validity.
    pub nbf: u64,
    /// Validity.
    pub exp: u64,
    /// Status reference.
    pub status_uri: String,
    /// Status index.
    pub status_index: u64,
    /// Names of the claims disclosed, in order (a name may repeat).
    pub disclosed: Vec<String>,
    /// When presented.
    pub presented_at: u64,
    /// Nonce, when answering a request.
    pub nonce: Option<Vec<u8>>,
    /// Audience, when answering a request.
    pub audience: Option<String>,
    /// The digest of the signed request answered (presentation key 7).
    pub request_digest: Option<Vec<u8>>,
    /// Verifier settings.
    pub settings: Settings,
    /// Override the salt of a claim (otherwise derived).
    pub salt_override: Vec<(String, Vec<u8>)>,
    /// Disclosures issued but encoded by the vector itself (digest goes in the set): the
    /// claim name the bytes hold, and the bytes.
    pub extra_issued: Vec<(String, Vec<u8>)>,
    /// Disclosures to send after the regular ones (raw bytes, digest not added).
    pub extra_sent: Vec<Vec<u8>>,
    /// Edit the digest list (before sorting is undone by the hook if it wants).
    pub digests_hook: Option<DigestsHook>,
    /// Edit the credential payload map before signing.
    pub credential_payload_hook: Option<MapHook>,
    /// Edit the credential payload map after signing (the signature no longer matches).
    pub credential_tamper_hook: Option<MapHook>,
    /// Edit the credential protected header map.
    pub credential_protected_hook: Option<MapHook>,
    /// The credential unprotected header map.
    pub credential_unprotected: Vec<(V, V)>,
    /// The credential signature.
    pub credential_sig: SigMode,
    /// Edit the encoded credential.
    pub credential_bytes_hook: Option<BytesHook>,
    /// Edit the presentation payload map before signing.
    pub presentation_payload_hook: Option<MapHook>,
    /// Edit the presentation protected header map.
    pub presentation_protected_hook: Option<MapHook>,
    /// The presentation unprotected header map.
    pub presentation_unprotected: Vec<(V, V)>,
    /// The presentation signature.
    pub presentation_sig: SigMode,
    /// Edit the encoded presentation.
    pub presentation_bytes_hook: Option<BytesHook>,
}

/// What [`Parts::build`] produced.
pub struct Built {
    /// Encoded credential.
    pub credential: Vec<u8>,
    /// Every issued disclosure: (claim, bytes).
    pub disclosures: Vec<(String, Vec<u8>)>,
    /// The digest set as placed in the credential.
    pub digests: Vec<Vec<u8>>,
    /// Encoded presentation.
    pub presentation: Vec<u8>,
    /// Encoded trust list.
    pub trust_list: Vec<u8>,
}

impl Parts {
    /// A typical offline presentation: the student's claims with a 2 KiB portrait, given
    /// names, family name and portrait disclosed ten seconds ago, issuer A trusted.
    pub fn typical() -> Self {
        let mut p = Self::base();
        p.claims = student_claims(Some(2048));
        p.disclosed.push("portrait".into());
        p
    }

    /// What most vectors start from: the student's claims without a portrait, given names
    /// and family name disclosed ten seconds ago, issuer A trusted.
    pub fn base() -> Self {
        Self {
            issuer: issuer_a(),
            trust: vec![TrustEntry {
                key: issuer_a(),
                not_before: NOW - 400 * DAY,
                not_after: NOW + 400 * DAY,
            }],
            device: device(),
            presenter: device(),
            claims: student_claims(None),
            salt_secret: Sha256::digest(b"mlegit vectors salt secret").into(),
            credential_id: Sha256::digest(b"mlegit vectors credential id")[..16].to_vec(),
            iat: NOW - 30 * DAY,
            nbf: NOW - 30 * DAY,
            exp: NOW + 335 * DAY,
            status_uri: LIST_URI.into(),
            status_index: 4711,
            disclosed: vec!["given_names".into(), "family_name".into()],
            presented_at: NOW - 10,
            nonce: None,
            audience: None,
            request_digest: None,
            settings: Settings::default(),
            salt_override: Vec::new(),
            extra_issued: Vec::new(),
            extra_sent: Vec::new(),
            digests_hook: None,
            credential_payload_hook: None,
            credential_tamper_hook: None,
            credential_protected_hook: None,
            credential_unprotected: Vec::new(),
            credential_sig: SigMode::Normal,
            credential_bytes_hook: None,
            presentation_payload_hook: None,
            presentation_protected_hook: None,
            presentation_unprotected: Vec::new(),
            presentation_sig: SigMode::Normal,
            presentation_bytes_hook: None,
        }
    }

    /// The same, bound to a request: nonce and audience on both sides.
    pub fn request_bound() -> Self {
        let mut p = Self::base();
        p.nonce = Some(nonce());
        p.audience = Some(AUDIENCE.into());
        p.settings.expected_nonce = Some(nonce());
        p.settings.expected_audience = Some(AUDIENCE.into());
        p
    }

    /// The salt of a claim (spec §5.2), unless overridden.
    pub fn salt(&self, name: &str) -> Vec<u8> {
        if let Some((_, s)) = self.salt_override.iter().find(|(n, _)| n == name) {
            return s.clone();
        }
        let hk = Hkdf::<Sha256>::new(Some(&self.credential_id), &self.salt_secret);
        let mut out = [0u8; 16];
        hk.expand_multi_info(&[b"mlegit v1 salt", name.as_bytes()], &mut out)
            .expect("16 bytes");
        out.to_vec()
    }

    fn decoy(&self, index: u8) -> Vec<u8> {
        let hk = Hkdf::<Sha256>::new(Some(&self.credential_id), &self.salt_secret);
        let mut out = [0u8; 32];
        hk.expand_multi_info(&[b"mlegit v1 decoy", &[index]], &mut out)
            .expect("32 bytes");
        out.to_vec()
    }

    /// The disclosure of an issued claim.
    pub fn disclosure(&self, name: &str, value: &V) -> Vec<u8> {
        enc(&V::A(vec![
            V::B(self.salt(name)),
            text(name),
            value.clone(),
        ]))
    }

    /// The encoded trust list.
    pub fn trust_list(&self) -> Vec<u8> {
        encode_trust(&self.trust)
    }

    /// Encodes and signs everything.
    pub fn build(mut self) -> Built {
        let mut disclosures: Vec<(String, Vec<u8>)> = self
            .claims
            .iter()
            .map(|(n, v)| (n.clone(), self.disclosure(n, v)))
            .collect();
        disclosures.extend(self.extra_issued.iter().cloned());
        let mut digests: Vec<Vec<u8>> = disclosures
            .iter()
            .map(|(_, d)| Sha256::digest(d).to_vec())
            .collect();
        let mut i = 0u8;
        while digests.len() < 32 {
            let d = self.decoy(i);
            i += 1;
            if !digests.contains(&d) {
                digests.push(d);
            }
        }
        digests.sort();
        if let Some(h) = self.digests_hook.take() {
            h(&mut digests);
        }

        // The credential.
        let device = self.device.signer().public_key();
        let mut payload = vec![
            (V::U(1), V::U(mlegit::VERSION)),
            (V::U(2), text(mlegit::DOCTYPE)),
            (V::U(3), V::B(self.issuer.kid())),
            (V::U(4), V::B(self.credential_id.clone())),
            (V::U(5), V::U(self.iat)),
            (V::U(6), V::U(self.nbf)),
            (V::U(7), V::U(self.exp)),
            (
                V::U(8),
                V::M(vec![
                    (V::U(1), V::U(2)),
                    (int(-1), V::U(1)),
                    (int(-2), V::B(device.x().to_vec())),
                    (int(-3), V::B(device.y().to_vec())),
                ]),
            ),
            (V::U(9), status_claim(self.status_index, &self.status_uri)),
            (V::U(10), int(-16)),
            (V::U(11), V::A(digests.iter().cloned().map(V::B).collect())),
        ];
        if let Some(h) = self.credential_payload_hook.take() {
            h(&mut payload);
        }
        let mut protected = vec![
            (V::U(1), int(-7)),
            (V::U(4), V::B(self.issuer.kid())),
            (V::U(16), text(cose::TYP_CREDENTIAL)),
        ];
        if let Some(h) = self.credential_protected_hook.take() {
            h(&mut protected);
        }
        let credential = sign1(
            &self.issuer,
            &protected,
            &self.credential_unprotected,
            payload,
            self.credential_tamper_hook.take(),
            self.credential_sig,
        );
        let credential = match self.credential_bytes_hook.take() {
            Some(h) => h(credential),
            None => credential,
        };

        // The presentation.
        let mut sent: Vec<V> = self
            .disclosed
            .iter()
            .map(|n| {
                let (_, d) = disclosures
                    .iter()
                    .find(|(name, _)| name == n)
                    .unwrap_or_else(|| panic!("claim {n} not issued"));
                V::B(d.clone())
            })
            .collect();
        sent.extend(self.extra_sent.iter().cloned().map(V::B));
        let mut payload = vec![
            (V::U(1), V::U(1)),
            (V::U(2), V::B(credential.clone())),
            (V::U(3), V::A(sent)),
            (V::U(4), V::U(self.presented_at)),
        ];
        if let Some(n) = &self.nonce {
            payload.push((V::U(5), V::B(n.clone())));
        }
        if let Some(a) = &self.audience {
            payload.push((V::U(6), V::T(a.clone())));
        }
        if let Some(d) = &self.request_digest {
            payload.push((V::U(7), V::B(d.clone())));
        }
        if let Some(h) = self.presentation_payload_hook.take() {
            h(&mut payload);
        }
        let mut protected = vec![(V::U(1), int(-7)), (V::U(16), text(cose::TYP_PRESENTATION))];
        if let Some(h) = self.presentation_protected_hook.take() {
            h(&mut protected);
        }
        let presentation = sign1(
            &self.presenter,
            &protected,
            &self.presentation_unprotected,
            payload,
            None,
            self.presentation_sig,
        );
        let presentation = match self.presentation_bytes_hook.take() {
            Some(h) => h(presentation),
            None => presentation,
        };
        Built {
            credential,
            disclosures,
            digests,
            presentation,
            trust_list: self.trust_list(),
        }
    }
}

/// Signs `[protected, unprotected, payload, signature]`, optionally editing the payload
/// after signing.
pub fn sign1(
    key: &Key,
    protected: &[(V, V)],
    unprotected: &[(V, V)],
    payload: Vec<(V, V)>,
    tamper: Option<MapHook>,
    mode: SigMode,
) -> Vec<u8> {
    let protected = enc(&V::M(protected.to_vec()));
    let mut payload_bytes = enc(&V::M(payload.clone()));
    let mut sig = key.sign(&cose::to_be_signed(&protected, &payload_bytes));
    if mode == SigMode::HighS {
        sig = high_s(sig);
    }
    if let Some(h) = tamper {
        let mut payload = payload;
        h(&mut payload);
        payload_bytes = enc(&V::M(payload));
    }
    enc(&V::A(vec![
        V::B(protected),
        V::M(unprotected.to_vec()),
        V::B(payload_bytes),
        V::B(sig.to_vec()),
    ]))
}

/// The status claim of a credential (spec §5.4): `{"status_list": {"idx": .., "uri": ..}}`.
pub fn status_claim(idx: u64, uri: &str) -> V {
    V::M(vec![(
        text("status_list"),
        V::M(vec![(text("idx"), V::U(idx)), (text("uri"), text(uri))]),
    )])
}

/// The URI of the vectors' status list, and `sub` of its tokens.
pub const LIST_URI: &str = "https://issuer.mlegit.example/v1/status-lists/1";

/// Everything a status list vector is made from (spec §9, §12.4).
pub struct ListParts {
    /// The signing key.
    pub issuer: Key,
    /// The trust list.
    pub trust: Vec<TrustEntry>,
    /// Bits per entry.
    pub bits: u8,
    /// Entries in the array.
    pub entries: usize,
    /// The entries that are not 0: (index, value).
    pub set: Vec<(u64, u8)>,
    /// `sub`.
    pub sub: String,
    /// `iat`.
    pub iat: u64,
    /// `exp`.
    pub exp: u64,
    /// `ttl`.
    pub ttl: u64,
    /// Replace the compressed array before signing.
    pub lst_hook: Option<BytesHook>,
    /// Edit the payload map before signing.
    pub payload_hook: Option<MapHook>,
    /// The protected header map.
    pub protected: Vec<(V, V)>,
    /// The unprotected header map.
    pub unprotected: Vec<(V, V)>,
    /// Signature mode.
    pub sig: SigMode,
    /// Edit the payload after signing.
    pub tamper: Option<MapHook>,
    /// Replace the token's bytes at the end.
    pub token_hook: Option<BytesHook>,
    /// Verifier clock.
    pub now: u64,
    /// Skew.
    pub clock_skew: u64,
    /// Token size cap.
    pub max_token_size: usize,
    /// Inflated size cap.
    pub max_list_size: usize,
    /// The URI the verifier expects (the credential's status uri).
    pub expected_uri: String,
    /// The entry it looks up (the credential's idx).
    pub index: u64,
}

impl ListParts {
    /// The vectors' list: 2^20 one-bit entries, three of them invalid, signed an hour ago by
    /// issuer A for a day with a ttl of 12 hours; the verifier looks up entry 4711 (the
    /// vectors' credential), which is valid.
    pub fn valid() -> Self {
        let issuer = issuer_a();
        let iat = NOW - 3600;
        Self {
            protected: vec![
                (V::U(1), int(-7)),
                (V::U(4), V::B(issuer.kid())),
                (V::U(16), text(cose::TYP_STATUS_LIST)),
            ],
            unprotected: vec![],
            trust: Parts::base().trust,
            issuer,
            bits: 1,
            entries: 1 << 20,
            set: vec![(17, 1), (4712, 1), (1_000_000, 1)],
            sub: LIST_URI.into(),
            iat,
            exp: iat + DAY,
            ttl: 43_200,
            lst_hook: None,
            payload_hook: None,
            sig: SigMode::Normal,
            tamper: None,
            token_hook: None,
            now: NOW,
            clock_skew: mlegit::DEFAULT_CLOCK_SKEW,
            max_token_size: mlegit::status_list::DEFAULT_MAX_TOKEN,
            max_list_size: mlegit::status_list::DEFAULT_MAX_LIST,
            expected_uri: LIST_URI.into(),
            index: 4711,
        }
    }

    /// The array as the inputs describe it.
    pub fn array(&self) -> mlegit::StatusBits {
        let mut a = mlegit::StatusBits::new(self.entries, self.bits).expect("array shape");
        for (i, v) in &self.set {
            a.set(*i, *v).expect("entry in range");
        }
        a
    }

    /// The encoded trust list.
    pub fn trust_list(&self) -> Vec<u8> {
        encode_trust(&self.trust)
    }

    /// Signs the token.
    pub fn build(&mut self) -> Vec<u8> {
        let mut lst = self.array().compress();
        if let Some(h) = self.lst_hook.take() {
            lst = h(lst);
        }
        let mut payload = vec![
            (V::U(2), text(&self.sub)),
            (V::U(4), V::U(self.exp)),
            (V::U(6), V::U(self.iat)),
            (
                V::U(65_533),
                V::M(vec![
                    (text("lst"), V::B(lst)),
                    (text("bits"), V::U(u64::from(self.bits))),
                ]),
            ),
            (V::U(65_534), V::U(self.ttl)),
        ];
        if let Some(h) = self.payload_hook.take() {
            h(&mut payload);
        }
        let token = sign1(
            &self.issuer,
            &self.protected,
            &self.unprotected,
            payload,
            self.tamper.take(),
            self.sig,
        );
        match self.token_hook.take() {
            Some(h) => h(token),
            None => token,
        }
    }
}

/// The cinema's certificate claims in the vectors: what a cinema may ask for.
pub const KINO_CLAIMS: [&str; 3] = ["given_names", "age_over_18", "portrait"];
/// The cinema's registered name.
pub const KINO_NAME: &str = "Kino Muranów";

/// Everything a request vector is made from (spec §7.4-§7.6): the authority and its list,
/// the verifier key and certificate, the request, and hooks for one defect each.
pub struct RequestParts {
    /// The authority key that signs the certificate.
    pub authority: Key,
    /// The holder's authority list.
    pub authority_trust: Vec<TrustEntry>,
    /// The key the certificate certifies.
    pub verifier: Key,
    /// The key that signs the request (the verifier's unless a vector says otherwise).
    pub request_signer: Key,
    /// Certificate: name, audience, claims, iat, nbf, exp.
    pub cert_name: String,
    /// Certificate audience.
    pub cert_audience: String,
    /// Certificate claims.
    pub cert_claims: Vec<String>,
    /// Certificate iat.
    pub cert_iat: u64,
    /// Certificate nbf.
    pub cert_nbf: u64,
    /// Certificate exp.
    pub cert_exp: u64,
    /// Request: nonce, audience, verifier name, claims, created_at.
    pub nonce: Vec<u8>,
    /// Request audience.
    pub audience: String,
    /// Request verifier name.
    pub verifier_name: String,
    /// Request claims.
    pub claims: Vec<String>,
    /// Request created_at.
    pub created_at: u64,
    /// Unsigned: the bare request map, no certificate, no signature.
    pub unsigned: bool,
    /// Edit the certificate payload before signing.
    pub cert_payload_hook: Option<MapHook>,
    /// Edit the certificate's protected header.
    pub cert_protected: Vec<(V, V)>,
    /// Certificate signature mode.
    pub cert_sig: SigMode,
    /// Edit the certificate payload after signing.
    pub cert_tamper: Option<MapHook>,
    /// Replace the certificate bytes.
    pub cert_bytes_hook: Option<BytesHook>,
    /// Edit the request payload before signing.
    pub request_payload_hook: Option<MapHook>,
    /// The request's protected header.
    pub request_protected: Vec<(V, V)>,
    /// Request signature mode.
    pub request_sig: SigMode,
    /// Edit the request payload after signing.
    pub request_tamper: Option<MapHook>,
    /// Replace the request bytes at the end.
    pub bytes_hook: Option<BytesHook>,
    /// Holder clock.
    pub now: u64,
    /// Holder skew.
    pub clock_skew: u64,
    /// The verifier's response key (key 8), for an online request (spec §18).
    pub response_key: Option<Key>,
    /// The key digest the holder's engagement (a scanned QR) names, if any (E1-E2).
    pub engagement_key_digest: Option<[u8; 16]>,
}

impl RequestParts {
    /// The cinema's signed request for its three certified claims, its certificate signed
    /// by authority A ten days ago for thirty days; the holder at NOW.
    pub fn signed() -> Self {
        let authority = authority_a();
        Self {
            cert_protected: vec![
                (V::U(1), int(-7)),
                (V::U(4), V::B(authority.kid())),
                (V::U(16), text(cose::TYP_VERIFIER)),
            ],
            authority,
            authority_trust: vec![TrustEntry {
                key: authority_a(),
                not_before: NOW - 400 * DAY,
                not_after: NOW + 400 * DAY,
            }],
            verifier: verifier_kino(),
            request_signer: verifier_kino(),
            cert_name: KINO_NAME.into(),
            cert_audience: AUDIENCE.into(),
            cert_claims: KINO_CLAIMS.iter().map(|c| (*c).to_string()).collect(),
            cert_iat: NOW - 10 * DAY,
            cert_nbf: NOW - 10 * DAY,
            cert_exp: NOW + 20 * DAY,
            nonce: nonce(),
            audience: AUDIENCE.into(),
            verifier_name: KINO_NAME.into(),
            claims: KINO_CLAIMS.iter().map(|c| (*c).to_string()).collect(),
            created_at: NOW - 5,
            unsigned: false,
            cert_payload_hook: None,
            cert_sig: SigMode::Normal,
            cert_tamper: None,
            cert_bytes_hook: None,
            request_payload_hook: None,
            request_protected: vec![(V::U(1), int(-7)), (V::U(16), text(cose::TYP_REQUEST))],
            request_sig: SigMode::Normal,
            request_tamper: None,
            bytes_hook: None,
            now: NOW,
            clock_skew: mlegit::DEFAULT_CLOCK_SKEW,
            response_key: None,
            engagement_key_digest: None,
        }
    }

    /// The signed request of an online session: the response key in it, and the holder
    /// engaged by the verifier's QR code, which names that key (spec §18.1).
    pub fn online() -> Self {
        let mut p = Self::signed();
        let key = response_key();
        p.engagement_key_digest = Some(mlegit::online::key_digest(&key.signer().public_key()));
        p.response_key = Some(key);
        p
    }

    /// The same request, unsigned (spec §7.1): shown as "not verified".
    pub fn unsigned() -> Self {
        let mut p = Self::signed();
        p.unsigned = true;
        p
    }

    /// The encoded authority list.
    pub fn authority_list(&self) -> Vec<u8> {
        encode_trust(&self.authority_trust)
    }

    /// The certificate bytes.
    pub fn certificate(&mut self) -> Vec<u8> {
        let key = self.verifier.signer().public_key();
        let mut payload = vec![
            (V::U(1), V::U(1)),
            (
                V::U(2),
                V::M(vec![
                    (V::U(1), V::U(2)),
                    (int(-1), V::U(1)),
                    (int(-2), V::B(key.x().to_vec())),
                    (int(-3), V::B(key.y().to_vec())),
                ]),
            ),
            (V::U(3), text(&self.cert_name)),
            (V::U(4), text(&self.cert_audience)),
            (
                V::U(5),
                V::A(self.cert_claims.iter().map(|c| text(c)).collect()),
            ),
            (V::U(6), V::U(self.cert_iat)),
            (V::U(7), V::U(self.cert_nbf)),
            (V::U(8), V::U(self.cert_exp)),
        ];
        if let Some(h) = self.cert_payload_hook.take() {
            h(&mut payload);
        }
        let cert = sign1(
            &self.authority,
            &self.cert_protected,
            &[],
            payload,
            self.cert_tamper.take(),
            self.cert_sig,
        );
        match self.cert_bytes_hook.take() {
            Some(h) => h(cert),
            None => cert,
        }
    }

    /// The request bytes as the holder receives them.
    pub fn build(&mut self) -> Vec<u8> {
        let mut payload = vec![
            (V::U(1), V::U(1)),
            (V::U(2), V::B(self.nonce.clone())),
            (V::U(3), text(&self.audience)),
            (V::U(4), text(&self.verifier_name)),
            (V::U(5), V::A(self.claims.iter().map(|c| text(c)).collect())),
            (V::U(6), V::U(self.created_at)),
        ];
        let response_key = self.response_key.as_ref().map(|k| {
            let key = k.signer().public_key();
            (
                V::U(8),
                V::M(vec![
                    (V::U(1), V::U(2)),
                    (int(-1), V::U(1)),
                    (int(-2), V::B(key.x().to_vec())),
                    (int(-3), V::B(key.y().to_vec())),
                ]),
            )
        });
        let bytes = if self.unsigned {
            payload.extend(response_key);
            if let Some(h) = self.request_payload_hook.take() {
                h(&mut payload);
            }
            enc(&V::M(payload))
        } else {
            payload.push((V::U(7), V::B(self.certificate())));
            payload.extend(response_key);
            if let Some(h) = self.request_payload_hook.take() {
                h(&mut payload);
            }
            sign1(
                &self.request_signer,
                &self.request_protected,
                &[],
                payload,
                self.request_tamper.take(),
                self.request_sig,
            )
        };
        match self.bytes_hook.take() {
            Some(h) => h(bytes),
            None => bytes,
        }
    }
}

/// The vectors' signed request, as [`RequestParts::signed`] builds it: what the presentation
/// vectors that answer a signed request bind (its SHA-256).
pub fn signed_request() -> Vec<u8> {
    RequestParts::signed().build()
}

/// Everything a response vector is made from (spec §18.3): what the holder sealed with, and
/// what the verifier opens with.
pub struct ResponseParts {
    /// The response key the holder encrypts to.
    pub recipient: Key,
    /// The HPKE ephemeral key's IKM (DeriveKeyPair, RFC 9180 §7.1.3).
    pub sender_ikm: [u8; 32],
    /// The session as the holder binds it.
    pub relay_origin: String,
    /// Session id.
    pub session_id: [u8; 16],
    /// SHA-256 of the request.
    pub request_digest: [u8; 32],
    /// The plaintext: a presentation.
    pub plaintext: Vec<u8>,
    /// The key the verifier opens with.
    pub verifier_key: Key,
    /// The session as the verifier binds it.
    pub verifier_origin: String,
    /// Its session id.
    pub verifier_session_id: [u8; 16],
    /// Its request digest.
    pub verifier_request_digest: [u8; 32],
    /// Verifier's size cap.
    pub max_input_size: usize,
    /// Replace the response bytes.
    pub bytes_hook: Option<BytesHook>,
}

impl ResponseParts {
    /// The holder's encrypted answer to the vectors' online session: the presentation
    /// `request_bound` sealed to the response key.
    pub fn valid() -> Self {
        let request_digest: [u8; 32] = Sha256::digest(RequestParts::online().build()).into();
        let plaintext = crate::vectors::request_bound_presentation();
        let sender_ikm: [u8; 32] = Sha256::digest(b"mlegit test ikm holder").into();
        Self {
            recipient: response_key(),
            sender_ikm,
            relay_origin: "https://relay.mlegit.example".into(),
            session_id: [0x5e; 16],
            request_digest,
            plaintext,
            verifier_key: response_key(),
            verifier_origin: "https://relay.mlegit.example".into(),
            verifier_session_id: [0x5e; 16],
            verifier_request_digest: request_digest,
            max_input_size: mlegit::online::MAX_RESPONSE_LEN,
            bytes_hook: None,
        }
    }

    /// Seals the plaintext as the holder does, with the fixed ephemeral IKM.
    pub fn build(&mut self) -> Vec<u8> {
        let binding = mlegit::online::SessionBinding {
            relay_origin: &self.relay_origin,
            session_id: &self.session_id,
            request_digest: &self.request_digest,
        };
        let mut rng = mlegit::fixtures::FixedBytes::new(&self.sender_ikm);
        let sealed = mlegit::online::seal(
            &self.recipient.signer().public_key(),
            &binding,
            &self.plaintext,
            &mut rng,
        )
        .expect("a valid recipient key");
        match self.bytes_hook.take() {
            Some(h) => h(sealed),
            None => sealed,
        }
    }
}

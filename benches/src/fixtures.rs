//! Fixed keys and objects: the keys of the test vectors (`mlegit-vectors`), a student with
//! every claim, and presentations of four text claims with and without a 2 KiB portrait.

use mlegit::{
    ClaimName, IssuedCredential, Issuer, P256Signer, PresentationRequest, PublicKey, Signer,
    StatusBits, StatusListContext, StatusListToken, StatusReference, StudentClaims, TrustList,
    VerifyContext, Wallet,
};
use mlegit_vectors::scenario::{self, AUDIENCE, DAY, NOW};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};

/// The four text claims every verification row discloses.
pub const TEXT_CLAIMS: [ClaimName; 4] = [
    ClaimName::FamilyName,
    ClaimName::GivenNames,
    ClaimName::DocumentNumber,
    ClaimName::SchoolName,
];

/// The portrait size of the `portrait` rows.
pub const PORTRAIT_LEN: usize = 2048;

/// How many distinct objects of each kind a row cycles through. ECDSA verification in
/// `p256` and AWS-LC takes variable time: its cost depends on the signature and the message
/// digest by a few percent either way. Every row that verifies, the baseline included,
/// therefore averages over this many signatures instead of repeating one.
pub const VARIANTS: usize = 32;

/// The salt secret: fixed, so that every run signs the same bytes.
const SALT_SECRET: [u8; 32] = [0x5a; 32];

/// The credential id of variant `i`.
fn credential_id(i: usize) -> [u8; 16] {
    let mut id = [0xc1; 16];
    id[0] = u8::try_from(i).expect("fewer than 256 variants");
    id
}

/// Everything the benches share.
pub struct Fixtures {
    /// The issuer (key "issuer A" of the vectors).
    pub issuer: Issuer<P256Signer>,
    /// The student's claims, without a portrait.
    pub student: StudentClaims,
    /// The trust list holding the issuer key.
    pub trust: TrustList,
    /// The holder's wallet (key "device" of the vectors), credential without a portrait.
    pub wallet: Wallet<P256Signer>,
    /// The request the presentations answer.
    pub request: PresentationRequest,
    /// Four text claims, request-bound: one per credential, [`VARIANTS`] credentials.
    pub presentations: Vec<Vec<u8>>,
    /// Four text claims and a 2 KiB portrait, request-bound, [`VARIANTS`] credentials.
    pub presentations_portrait: Vec<Vec<u8>>,
    /// Status list tokens of [`LIST_ENTRIES`] entries, [`LIST_REVOKED`] of them invalid,
    /// the list of the credentials' status reference, [`VARIANTS`] of them.
    pub status_lists: Vec<Vec<u8>>,
    /// The first credential's id.
    pub credential_id: Vec<u8>,
    /// The device's public key.
    pub device_key: PublicKey,
    /// For the raw verifies: the issuer key and [`VARIANTS`] messages it signed.
    pub raw_issuer: RawSigned,
    /// For the raw verifies: the device key and [`VARIANTS`] messages it signed.
    pub raw_device: RawSigned,
    /// A batch of [`BATCH`] device keys (spec §19), for the batch rows.
    pub batch_devices: Vec<P256Signer>,
    /// Their public keys.
    pub batch_keys: Vec<PublicKey>,
    /// One proof of possession by each, over [`ACTIVATION_ID`] and [`CHALLENGE`].
    pub batch_proofs: Vec<Vec<u8>>,
}

/// The batch the batch rows issue and prove: the default of spec §19.1.
pub const BATCH: usize = mlegit::activation::DEFAULT_BATCH;
/// The activation the batch's proofs are for (32 characters, as the reference server's).
pub const ACTIVATION_ID: &str = "Hs2kQwVb7pXr4TnZc9MdLe3yAfGu8JiO";
/// The challenge they sign (56 bytes, as the reference server's).
pub const CHALLENGE: [u8; 56] = [0x5c; 56];

/// A `p256` key and 300-byte messages it signed (low S, as every mlegit signature).
pub struct RawSigned {
    /// The verifying key, parsed.
    pub key: VerifyingKey,
    /// The messages and their signatures, parsed.
    pub signed: Vec<([u8; 300], Signature)>,
}

impl RawSigned {
    fn new(scalar: &[u8; 32], fill: u8) -> Self {
        let key = SigningKey::from_slice(scalar).expect("a hash is below the group order");
        let signed = (0..VARIANTS)
            .map(|i| {
                let mut message = [fill; 300];
                message[0] = u8::try_from(i).expect("fewer than 256 variants");
                (message, Signature::normalize_s(&key.sign(&message)))
            })
            .collect();
        Self {
            key: *key.verifying_key(),
            signed,
        }
    }
}

pub use mlegit::fixtures::student;

impl Fixtures {
    /// Builds every object once.
    pub fn new() -> Self {
        let issuer = Issuer::new(scenario::issuer_a().signer());
        let mut trust = TrustList::new();
        trust.add(issuer.trusted_key(0, u64::MAX)).unwrap();
        let request = PresentationRequest {
            nonce: scenario::nonce(),
            audience: AUDIENCE.into(),
            verifier_name: "Kino".into(),
            claims: TEXT_CLAIMS
                .iter()
                .copied()
                .chain([ClaimName::Portrait])
                .collect(),
            created_at: NOW - 5,
            response_key: None,
        };
        let student = student(None);
        let with_portrait = self::student(Some(scenario::portrait(PORTRAIT_LEN)));
        let mut portrait_claims = TEXT_CLAIMS.to_vec();
        portrait_claims.push(ClaimName::Portrait);
        let mut presentations = Vec::new();
        let mut presentations_portrait = Vec::new();
        let mut status_lists = Vec::new();
        let entries = status_entries();
        for i in 0..VARIANTS {
            let wallet = Self::wallet(&issuer, student.clone(), &credential_id(i));
            presentations.push(
                wallet
                    .present(&TEXT_CLAIMS, Some(&request), NOW - 2)
                    .expect("the wallet holds these claims"),
            );
            let wallet = Self::wallet(&issuer, with_portrait.clone(), &credential_id(i));
            presentations_portrait.push(
                wallet
                    .present(&portrait_claims, Some(&request), NOW - 2)
                    .expect("the wallet holds these claims"),
            );
            let issued_at = NOW - 1 - u64::try_from(i).expect("small");
            status_lists.push(
                issuer
                    .status_list_token(&StatusListToken {
                        uri: LIST_URI,
                        bits: &entries,
                        issued_at,
                        expires: issued_at + DAY,
                        ttl: 43_200,
                    })
                    .expect("in-memory signer"),
            );
        }
        let wallet = Self::wallet(&issuer, student.clone(), &credential_id(0));
        let batch_devices: Vec<P256Signer> = (0..BATCH)
            .map(|i| {
                let b = u8::try_from(i + 1).expect("a small batch");
                P256Signer::from_scalar(&[b; 32]).expect("a scalar below the group order")
            })
            .collect();
        let (batch_keys, batch_proofs) =
            mlegit::activation::sign_all(ACTIVATION_ID, &CHALLENGE, &batch_devices).expect("signs");
        Self {
            batch_devices,
            batch_keys,
            batch_proofs,
            issuer,
            student,
            trust,
            wallet,
            request,
            presentations,
            presentations_portrait,
            status_lists,
            credential_id: credential_id(0).to_vec(),
            device_key: scenario::device().signer().public_key(),
            raw_issuer: RawSigned::new(&scenario::issuer_a().scalar, 0x5a),
            raw_device: RawSigned::new(&scenario::device().scalar, 0xa5),
        }
    }

    fn wallet(
        issuer: &Issuer<P256Signer>,
        student: StudentClaims,
        credential_id: &[u8],
    ) -> Wallet<P256Signer> {
        let device = scenario::device().signer();
        let issued = issue_with_id(issuer, student, &device.public_key(), credential_id)
            .expect("valid claims");
        Wallet::new(issued.credential, issued.disclosures, device)
            .expect("a credential bound to the device key")
    }

    /// Issues the student's credential (the first credential id): what the `issue` row
    /// measures.
    pub fn issue(&self, student: StudentClaims) -> Result<IssuedCredential, mlegit::IssueError> {
        issue_with_id(&self.issuer, student, &self.device_key, &credential_id(0))
    }

    /// A batch as the issuer makes it at activation (spec §19.1): one credential per key of
    /// [`Fixtures::batch_keys`], each with its own credential id and salt secret (here
    /// fixed, for the same work on every run), the same claims and the rounded times.
    pub fn issue_batch(&self) -> Result<Vec<IssuedCredential>, mlegit::IssueError> {
        let validity = mlegit::Validity::rounded(NOW, NOW + 300 * DAY).expect("days left");
        self.batch_keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                self.issuer
                    .credential()
                    .claims(self.student.clone())
                    .device_key(key.clone())
                    .validity(validity)
                    .status(StatusReference {
                        uri: LIST_URI.into(),
                        index: 100 + i as u64,
                    })
                    .issue_with_secret(&credential_id(i), &SALT_SECRET)
            })
            .collect()
    }

    /// What the verifier expects of the presentations.
    pub fn context(&self) -> VerifyContext<'_> {
        VerifyContext::answering(NOW, &self.request.nonce, AUDIENCE)
    }

    /// What the verifier expects of the status list tokens.
    pub fn status_list_context(&self) -> StatusListContext<'static> {
        StatusListContext::new(NOW, LIST_URI)
    }
}

impl Default for Fixtures {
    fn default() -> Self {
        Self::new()
    }
}

/// Cycles through `items`, one per call: what every verifying row runs on.
#[derive(Debug)]
pub struct Cycle<'a, T> {
    items: &'a [T],
    next: usize,
}

impl<'a, T> Cycle<'a, T> {
    /// Starts at the first item.
    pub fn new(items: &'a [T]) -> Self {
        assert!(!items.is_empty(), "nothing to cycle through");
        Self { items, next: 0 }
    }

    /// The next item, wrapping around.
    #[allow(clippy::should_implement_trait)] // never ends, unlike an Iterator's contract suggests
    pub fn next(&mut self) -> &'a T {
        let item = &self.items[self.next];
        self.next = (self.next + 1) % self.items.len();
        item
    }
}

/// The status list of the benches: its URI, its entries, how many are invalid (0.1 %).
pub const LIST_URI: &str = "https://issuer.mlegit.example/v1/status-lists/1";
/// Entries of the benches' status list: 2^20, the reference server's list size.
pub const LIST_ENTRIES: usize = 1 << 20;
/// Invalid entries of the benches' status list: 0.1 %.
pub const LIST_REVOKED: usize = LIST_ENTRIES / 1000;

/// The benches' status array: [`LIST_REVOKED`] of [`LIST_ENTRIES`] entries invalid.
pub fn status_entries() -> StatusBits {
    scattered(LIST_ENTRIES, LIST_REVOKED)
}

/// A one-bit array of `entries` entries, `invalid` of them set at pseudo-random places (a
/// fixed linear congruential sequence, so every run signs the same bytes): how the
/// reference server's random indices spread revocations, and the worst case for
/// compression (clustered revocations compress better).
pub fn scattered(entries: usize, invalid: usize) -> StatusBits {
    let mut bits = StatusBits::new(entries, 1).expect("a valid shape");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut set = 0;
    while set < invalid {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let i = (x >> 24) % entries as u64;
        if bits.get(i) == Some(0) {
            bits.set(i, 1).expect("in range");
            set += 1;
        }
    }
    bits
}

fn issue_with_id(
    issuer: &Issuer<P256Signer>,
    student: StudentClaims,
    device_key: &PublicKey,
    credential_id: &[u8],
) -> Result<IssuedCredential, mlegit::IssueError> {
    issuer
        .credential()
        .claims(student)
        .device_key(device_key.clone())
        .validity(mlegit::Validity::starting_at(NOW - DAY, 366 * DAY))
        .status(StatusReference {
            uri: LIST_URI.into(),
            index: 7,
        })
        .issue_with_secret(credential_id, &SALT_SECRET)
}

/// The cinema's request for three claims, its verifier key and its certificate (signed by
/// the vectors' authority A): what `sign_request[claims=3]` signs.
pub fn signed_request_parts() -> (PresentationRequest, P256Signer, Vec<u8>) {
    let authority = mlegit::Authority::new(scenario::authority_a().signer());
    let key = scenario::verifier_kino().signer();
    let claims = [
        ClaimName::GivenNames,
        ClaimName::AgeOver18,
        ClaimName::Portrait,
    ];
    let certificate = authority
        .certificate(&mlegit::CertificateParts {
            verifier_key: &key.public_key(),
            name: "Kino Muranów",
            audience: AUDIENCE,
            claims: &claims,
            issued_at: NOW - 10 * DAY,
            not_before: NOW - 10 * DAY,
            expires: NOW + 20 * DAY,
        })
        .expect("a valid certificate");
    let request = PresentationRequest {
        nonce: scenario::nonce(),
        audience: AUDIENCE.into(),
        verifier_name: "Kino Muranów".into(),
        claims: claims.to_vec(),
        created_at: NOW - 5,
        response_key: None,
    };
    (request, key, certificate)
}

/// The holder's checker (authority A trusted) and the cinema's signed request: what
/// `check_request[claims=3]` checks (two signatures: the certificate's and the request's).
pub fn request_check_parts() -> (mlegit::RequestChecker, Vec<u8>) {
    let (request, key, certificate) = signed_request_parts();
    let signed = request.sign(&key, &certificate).expect("in-memory signer");
    let authority = mlegit::Authority::new(scenario::authority_a().signer());
    let mut list = TrustList::new();
    list.add(authority.trusted_key(0, u64::MAX))
        .expect("one key");
    (mlegit::RequestChecker::new(list), signed)
}

/// A session binding, owned (spec §18.2).
pub struct Binding {
    /// The relay's origin.
    pub relay_origin: String,
    /// The session id.
    pub session_id: [u8; 16],
    /// SHA-256 of the request.
    pub request_digest: [u8; 32],
}

impl Binding {
    /// The borrowed form the core takes.
    pub fn borrow(&self) -> mlegit::online::SessionBinding<'_> {
        mlegit::online::SessionBinding {
            relay_origin: &self.relay_origin,
            session_id: &self.session_id,
            request_digest: &self.request_digest,
        }
    }
}

/// The online rows' inputs: the vectors' response key, a session, and 2 KiB (2,048 bytes)
/// of a presentation with a portrait as the plaintext.
pub fn online_parts(f: &Fixtures) -> (mlegit::online::ResponseKey, Binding, Vec<u8>) {
    let key = mlegit::online::ResponseKey::from_scalar(&mlegit::fixtures::response_key().scalar)
        .expect("the vectors' response key");
    let binding = Binding {
        relay_origin: "https://relay.mlegit.example".into(),
        session_id: [0x5e; 16],
        request_digest: [0x11; 32],
    };
    let plaintext = f.presentations_portrait[0][..2048].to_vec();
    (key, binding, plaintext)
}

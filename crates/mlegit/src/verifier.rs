//! The verifier (spec §12): bytes in, a [`VerifiedPresentation`] or the reason out.

use alloc::string::String;
use alloc::vec::Vec;

use crate::cache::{self, IssuerSignatureCache};
use crate::cbor::{self, Value};
use crate::claims::{ClaimName, ClaimValue};
use crate::cose::{self, Algorithm, KidRule, Sign1};
use crate::credential::{self, PRESENTATION_VERSION as VERSION, StatusReference};
use crate::crypto::{self, P256Backend, PublicKey, SignatureBackend, SignatureFailure};
use crate::disclosure::{self, DIGEST_SET_SIZE};
use crate::error::Error;
use crate::presentation::MAX_DISCLOSURES;
use crate::status_list::{self, ListStatus, StatusBits, StatusList};
use crate::trust::TrustList;
use crate::wire as fields;

/// Default clock skew tolerated, in seconds.
pub const DEFAULT_CLOCK_SKEW: u64 = 60;
/// Default maximum age of a presentation, in seconds.
pub const DEFAULT_MAX_AGE: u64 = 300;
/// Default cap on the size of a presentation, in bytes.
pub const DEFAULT_MAX_INPUT: usize = 65_536;

/// What the verifier expects of one presentation. Made with [`VerifyContext::offline`],
/// [`VerifyContext::answering`] or [`VerifyContext::new`] (it may grow fields).
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct VerifyContext<'a> {
    /// The verifier's current time (NumericDate seconds).
    pub now: u64,
    /// The nonce of the request the verifier sent; `None` for an offline presentation.
    pub expected_nonce: Option<&'a [u8]>,
    /// The verifier's own identifier, when it sent a request.
    pub expected_audience: Option<&'a str>,
    /// SHA-256 of the signed request the verifier sent (spec §12.2, P13c); `None` when it
    /// sent an unsigned request or none.
    pub expected_request_digest: Option<&'a [u8]>,
}

/// What the verifier expects of one status list token (spec §12.4). Made with
/// [`StatusListContext::for_presentation`] or [`StatusListContext::new`] (it may grow
/// fields).
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct StatusListContext<'a> {
    /// The verifier's current time.
    pub now: u64,
    /// The URI the token's `sub` must equal: the `uri` of the credential's status
    /// reference (step L7).
    pub expected_uri: &'a str,
}

impl<'a> StatusListContext<'a> {
    /// The list of the credential of a verified presentation.
    pub fn for_presentation(now: u64, presentation: &'a VerifiedPresentation) -> Self {
        Self::new(now, &presentation.status.uri)
    }

    /// The list named `expected_uri`.
    pub const fn new(now: u64, expected_uri: &'a str) -> Self {
        Self { now, expected_uri }
    }
}

impl<'a> VerifyContext<'a> {
    /// An offline presentation (no request): no nonce and no audience are expected.
    pub const fn offline(now: u64) -> Self {
        Self::new(now, None, None)
    }

    /// A presentation answering the request the verifier sent with `nonce`, as
    /// `audience`.
    pub const fn answering(now: u64, nonce: &'a [u8], audience: &'a str) -> Self {
        Self::new(now, Some(nonce), Some(audience))
    }

    /// A presentation answering the signed request (spec §7.5) whose bytes have the
    /// SHA-256 `request_digest`, sent with `nonce` as `audience`.
    pub const fn answering_signed(
        now: u64,
        nonce: &'a [u8],
        audience: &'a str,
        request_digest: &'a [u8],
    ) -> Self {
        Self {
            now,
            expected_nonce: Some(nonce),
            expected_audience: Some(audience),
            expected_request_digest: Some(request_digest),
        }
    }

    /// Nonce and audience as options, and no signed request: `None` for a nonce or an
    /// audience that is not expected.
    pub const fn new(
        now: u64,
        expected_nonce: Option<&'a [u8]>,
        expected_audience: Option<&'a str>,
    ) -> Self {
        Self {
            now,
            expected_nonce,
            expected_audience,
            expected_request_digest: None,
        }
    }

    /// This context expecting the signed request of SHA-256 `digest` (or, `None`, an
    /// unsigned request or none).
    #[must_use]
    pub const fn with_request_digest(mut self, digest: Option<&'a [u8]>) -> Self {
        self.expected_request_digest = digest;
        self
    }
}

/// A presentation that passed every check. It holds only what was disclosed.
///
/// Only [`Verifier::verify`] and [`Verifier::verify_cached`] make one (spec §12.3): its
/// fields are private, so a value of this type is proof that every check passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPresentation {
    claims: Vec<(ClaimName, ClaimValue)>,
    presented_at: u64,
    not_before: u64,
    expires: u64,
    credential_id: Vec<u8>,
    status: StatusReference,
    issuer_kid: Vec<u8>,
    nonce: Option<Vec<u8>>,
    audience: Option<String>,
    request_digest: Option<Vec<u8>>,
}

impl VerifiedPresentation {
    /// SHA-256 of the signed request it answered (spec §8.1), if it answered one.
    pub fn request_digest(&self) -> Option<&[u8]> {
        self.request_digest.as_deref()
    }

    /// The value of a disclosed claim.
    pub fn claim(&self, name: ClaimName) -> Option<&ClaimValue> {
        self.claims.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The disclosed claims, in the order presented.
    pub fn claims(&self) -> &[(ClaimName, ClaimValue)] {
        &self.claims
    }

    /// When the holder presented (NumericDate seconds, signed by the device key).
    pub fn presented_at(&self) -> u64 {
        self.presented_at
    }

    /// The credential's `nbf`.
    pub fn not_before(&self) -> u64 {
        self.not_before
    }

    /// The credential's `exp`.
    pub fn expires(&self) -> u64 {
        self.expires
    }

    /// The credential id, for an online status check.
    pub fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    /// Where the credential's status is published.
    pub fn status(&self) -> &StatusReference {
        &self.status
    }

    /// The issuer key that signed the credential.
    pub fn issuer_kid(&self) -> &[u8] {
        &self.issuer_kid
    }

    /// The nonce the presentation answered, if any.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }

    /// The audience it was bound to, if any.
    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }
}

/// A verifier: trust anchors and policy. Holds no clock: time comes with each call.
#[derive(Clone, Debug)]
pub struct Verifier<B: SignatureBackend = P256Backend> {
    trust: TrustList,
    algorithms: Vec<Algorithm>,
    clock_skew: u64,
    max_age: u64,
    max_input: usize,
    max_status_token: usize,
    max_status_list: usize,
    backend: B,
}

impl Verifier<P256Backend> {
    /// A verifier with the default policy (ES256, 60 s skew, 300 s maximum age, 64 KiB cap).
    pub fn new(trust: TrustList) -> Self {
        Self::with_backend(trust, P256Backend)
    }
}

impl<B: SignatureBackend> Verifier<B> {
    /// A verifier with the default policy and another signature backend.
    pub fn with_backend(trust: TrustList, backend: B) -> Self {
        Self {
            trust,
            algorithms: alloc::vec![Algorithm::Es256],
            clock_skew: DEFAULT_CLOCK_SKEW,
            max_age: DEFAULT_MAX_AGE,
            max_input: DEFAULT_MAX_INPUT,
            max_status_token: status_list::DEFAULT_MAX_TOKEN,
            max_status_list: status_list::DEFAULT_MAX_LIST,
            backend,
        }
    }

    /// The accepted signature algorithms.
    #[must_use]
    pub fn accepted_algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// The clock skew tolerated, in seconds.
    #[must_use]
    pub fn clock_skew(mut self, seconds: u64) -> Self {
        self.clock_skew = seconds;
        self
    }

    /// The maximum age of a presentation, in seconds.
    #[must_use]
    pub fn max_presentation_age(mut self, seconds: u64) -> Self {
        self.max_age = seconds;
        self
    }

    /// The cap on input size, in bytes.
    #[must_use]
    pub fn max_input_size(mut self, bytes: usize) -> Self {
        self.max_input = bytes;
        self
    }

    /// The cap on a status list token's size, in bytes (default 262,144; step L1).
    #[must_use]
    pub fn max_status_list_token_size(mut self, bytes: usize) -> Self {
        self.max_status_token = bytes;
        self
    }

    /// The cap on an inflated status array, in bytes (default 1,048,576, that is 8,388,608
    /// entries of one bit; step L11).
    #[must_use]
    pub fn max_status_list_size(mut self, bytes: usize) -> Self {
        self.max_status_list = bytes;
        self
    }

    /// The trust list.
    pub fn trust_list(&self) -> &TrustList {
        &self.trust
    }

    /// Verifies a presentation (spec §12.2, steps P1 to P14 in order).
    pub fn verify(
        &self,
        bytes: &[u8],
        ctx: &VerifyContext<'_>,
    ) -> Result<VerifiedPresentation, Error> {
        self.verify_presentation(bytes, ctx, None::<&mut IssuerSignatureCache<0>>)
    }

    /// [`Verifier::verify`] that skips the issuer signature check (V1–V3 in step P8) of a
    /// credential whose exact bytes `cache` has seen verify with the key the trust list holds
    /// now, and records the credential in `cache` when its issuer signature verifies. Every
    /// other step runs as in [`Verifier::verify`], with the same result (see [`crate::cache`]).
    pub fn verify_cached<const N: usize>(
        &self,
        bytes: &[u8],
        ctx: &VerifyContext<'_>,
        cache: &mut IssuerSignatureCache<N>,
    ) -> Result<VerifiedPresentation, Error> {
        self.verify_presentation(bytes, ctx, Some(cache))
    }

    fn verify_presentation<const N: usize>(
        &self,
        bytes: &[u8],
        ctx: &VerifyContext<'_>,
        cache: Option<&mut IssuerSignatureCache<N>>,
    ) -> Result<VerifiedPresentation, Error> {
        // 1. size cap
        // P1 (spec §12.2): the size cap.
        if bytes.len() > self.max_input {
            return Err(Error::InputTooLarge);
        }
        // 2. the presentation's COSE_Sign1 and headers
        // P2 (spec §12.2): C1-C7 and H1-H5, typ presentation, kid absent.
        let outer = cose::decode_sign1(
            bytes,
            cose::TYP_PRESENTATION,
            &self.algorithms,
            KidRule::Forbidden,
        )?;
        // 3. its payload
        // P3a, F1 (spec §12.2, §4): the payload as strict CBOR.
        let outer_root = cbor::decode(outer.payload)?;
        // P3a (spec §12.2): F2-F5 with the presentation's field table (§8.1).
        let [
            version,
            cred,
            discl,
            presented_at,
            nonce,
            audience,
            request_digest,
        ] = fields::decode(&outer_root, &fields::presentation::FIELDS)?;
        // P3b (spec §12.2): version 1.
        if fields::uint(version) != VERSION {
            return Err(Error::UnsupportedVersion);
        }
        // P3c (spec §12.2): at most 32 disclosures, each a bstr.
        let Some(Value::Array(disclosures)) = discl else {
            return Err(Error::InvalidField);
        };
        if disclosures.len() > MAX_DISCLOSURES || disclosures.iter().any(|d| d.as_bytes().is_none())
        {
            return Err(Error::InvalidField);
        }
        let presented_at = fields::uint(presented_at);
        let nonce = nonce.and_then(Value::as_bytes);
        let audience = audience.and_then(Value::as_text);
        let request_digest = request_digest.and_then(Value::as_bytes);
        // 4, 5. the credential's COSE_Sign1, headers and payload
        let credential_bytes = fields::bytes(cred);
        // P4 (spec §12.2): C1-C7 and H1-H5 on the credential, typ credential, kid required.
        let inner = credential::decode(credential_bytes, &self.algorithms)?;
        // P5, F1 (spec §12.2, §4): the credential payload as strict CBOR.
        let inner_root = cbor::decode(inner.payload)?;
        // P5 (spec §12.2): F2-F5 with the credential's field table (§5.2).
        let payload = credential::decode_payload(&inner_root)?;
        // 6, 7, 8. issuer key and signature
        // P6 (spec §12.2): the protected kid names a trust-list key.
        let kid = inner.kid.ok_or(Error::KidMissing)?;
        let trusted = self.trust.find(kid).ok_or(Error::UnknownKeyId)?;
        // P7 (spec §12.2): iat within the key's not_before..=not_after.
        if !trusted.valid_at(payload.iat) {
            return Err(Error::IssuerKeyNotValid);
        }
        // P8 (spec §12.2): V1-V3 on the credential with that key (the cache skips only these).
        match cache {
            // Only V1–V3 are skipped, and only for these exact bytes under this key.
            Some(cache) => {
                let digest = cache::credential_digest(credential_bytes);
                if !cache.contains(&digest, &trusted.key) {
                    self.verify_sign1(&inner, &trusted.key, Error::IssuerSignatureInvalid)?;
                    cache.insert(digest, &trusted.key);
                }
            }
            None => self.verify_sign1(&inner, &trusted.key, Error::IssuerSignatureInvalid)?,
        }
        // 9. the credential's content
        // P9 (spec §12.2): K1-K6 on the credential's content.
        let checked = payload.check(inner.kid)?;
        // 10. its validity window and the clock
        let (nbf, exp) = (payload.nbf, payload.exp);
        // P10a, P10b (spec §12.2): iat <= nbf < exp, and a lifetime of at most 400 days.
        credential::check_validity(payload.iat, nbf, exp)?;
        // P10c (spec §12.2): not yet valid.
        if ctx.now.saturating_add(self.clock_skew) < nbf {
            return Err(Error::CredentialNotYetValid);
        }
        // P10d (spec §12.2): expired.
        if ctx.now > exp.saturating_add(self.clock_skew) {
            return Err(Error::CredentialExpired);
        }
        // 11. the device signature, with the key the issuer bound
        // P11 (spec §12.2): V1-V3 on the presentation with the device key.
        self.verify_sign1(&outer, &checked.device_key, Error::DeviceSignatureInvalid)?;
        // 12. presentation time
        // P12a (spec §12.2): presented in the future.
        if presented_at > ctx.now.saturating_add(self.clock_skew) {
            return Err(Error::PresentationFromFuture);
        }
        // P12b (spec §12.2): presented longer than max_age ago.
        if presented_at.saturating_add(self.max_age) < ctx.now {
            return Err(Error::PresentationTooOld);
        }
        // P12c (spec §12.2): presented outside the credential's window (no skew).
        if presented_at < nbf || presented_at > exp {
            return Err(Error::PresentedOutsideValidity);
        }
        // 13. binding to the request
        // P13a (spec §12.2): the nonce, as options.
        if nonce != ctx.expected_nonce {
            return Err(Error::NonceMismatch);
        }
        // P13b (spec §12.2): the audience, as options.
        if audience != ctx.expected_audience {
            return Err(Error::AudienceMismatch);
        }
        // P13c (spec §12.2): the signed request answered, as options.
        if request_digest != ctx.expected_request_digest {
            return Err(Error::RequestMismatch);
        }
        // 14. disclosures
        // P14 (spec §12.2): X1-X9 for each disclosure in order.
        let claims = check_disclosures(disclosures, &checked.digests)?;
        Ok(VerifiedPresentation {
            claims,
            presented_at,
            not_before: nbf,
            expires: exp,
            credential_id: payload.credential_id.to_vec(),
            status: payload.status,
            issuer_kid: kid.to_vec(),
            nonce: nonce.map(<[u8]>::to_vec),
            audience: audience.map(String::from),
            request_digest: request_digest.map(<[u8]>::to_vec),
        })
    }

    /// Verifies a status list token (spec §12.4, steps L1 to L11 in order): the list the
    /// credential's status reference names, fresh at `ctx.now`. Keep the result for many
    /// lookups with [`Verifier::check_status`].
    pub fn verify_status_list(
        &self,
        token: &[u8],
        ctx: &StatusListContext<'_>,
    ) -> Result<StatusList, Error> {
        // L1 (spec §12.4): the token size cap.
        if token.len() > self.max_status_token {
            return Err(Error::InputTooLarge);
        }
        // L2 (spec §12.4): C1-C7 and H1-H5, typ statuslist+cwt, kid required.
        let sign1 = cose::decode_sign1(
            token,
            cose::TYP_STATUS_LIST,
            &self.algorithms,
            KidRule::Required,
        )?;
        // L3, F1 (spec §12.4, §4): the payload as strict CBOR.
        let root = cbor::decode(sign1.payload)?;
        // L3 (spec §12.4): F2-F5 with the table of §9, then M1-M2.
        let payload = status_list::decode_payload(&root)?;
        // L4 (spec §12.4): the protected kid names a trust-list key.
        let kid = sign1.kid.ok_or(Error::KidMissing)?;
        let trusted = self.trust.find(kid).ok_or(Error::UnknownKeyId)?;
        // L5 (spec §12.4): the key's window contains the token's iat.
        if !(trusted.not_before <= payload.iat && payload.iat <= trusted.not_after) {
            return Err(Error::IssuerKeyNotValid);
        }
        // L6 (spec §12.4): V1-V3 with that key.
        self.verify_sign1(&sign1, &trusted.key, Error::IssuerSignatureInvalid)?;
        // L7, L8, L9, L10 (spec §12.4): the list named, and fresh at now.
        self.list_fresh(
            payload.sub,
            payload.iat,
            payload.exp,
            payload.ttl,
            ctx,
            ListCheck::Fetch,
        )?;
        // L11 (spec §12.4): inflate lst within the cap (M1 again, already true).
        let bits = StatusBits::decompress(payload.bits, payload.lst, self.max_status_list)?;
        Ok(StatusList::new(&payload, kid, bits))
    }

    /// The status of the credential whose status reference is `reference`, in a list that
    /// [`Verifier::verify_status_list`] verified, at `now` (spec §12.4): L7, L9 and L10
    /// again at `now` (a kept list goes stale), then L12. Only [`ListStatus::Valid`] is
    /// valid. Allocates nothing.
    pub fn check_status(
        &self,
        list: &StatusList,
        reference: &StatusReference,
        now: u64,
    ) -> Result<ListStatus, Error> {
        let ctx = StatusListContext::new(now, &reference.uri);
        self.list_fresh(
            list.uri(),
            list.issued_at(),
            list.expires(),
            list.ttl(),
            &ctx,
            ListCheck::Lookup,
        )?;
        // L12 (spec §12.4): the entry, within the list.
        list.get(reference.index)
    }

    /// L7-L10 (spec §12.4) when a token is verified; L7, L9 and L10 when a kept list is
    /// looked up, since L8 is asked once, of the token as it arrives.
    fn list_fresh(
        &self,
        sub: &str,
        iat: u64,
        exp: u64,
        ttl: u64,
        ctx: &StatusListContext<'_>,
        check: ListCheck,
    ) -> Result<(), Error> {
        // L7 (spec §12.4): the list the credential names, bytewise.
        if sub != ctx.expected_uri {
            return Err(Error::StatusListUriMismatch);
        }
        let skew = u128::from(self.clock_skew);
        let (now, iat, exp, ttl) = (
            u128::from(ctx.now),
            u128::from(iat),
            u128::from(exp),
            u128::from(ttl),
        );
        // L8 (spec §12.4): not issued in the future, when the token is verified.
        if check == ListCheck::Fetch && iat > now + skew {
            return Err(Error::StatusListFromFuture);
        }
        // L9 (spec §12.4): not expired.
        if now > exp + skew {
            return Err(Error::StatusListExpired);
        }
        // L10 (spec §12.4): within its ttl.
        if now > iat + ttl + skew {
            return Err(Error::StatusListStale);
        }
        Ok(())
    }
}

/// Which of the freshness steps of spec §12.4 a list check runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListCheck {
    /// [`Verifier::verify_status_list`]: L7, L8, L9 and L10.
    Fetch,
    /// [`Verifier::check_status`] on a kept list: L7, L9 and L10.
    Lookup,
}

impl<B: SignatureBackend> Verifier<B> {
    /// V1–V3 (spec §3.9) on a COSE_Sign1: [`Sign1::verify`] without assembling the
    /// `Sig_structure` (spec §3.7), whose parts go to the backend as they are.
    fn verify_sign1(
        &self,
        sign1: &Sign1<'_>,
        key: &PublicKey,
        invalid: Error,
    ) -> Result<(), Error> {
        let head = SigStructureHead::new(sign1.protected.len(), sign1.payload.len());
        let parts = head.parts(sign1.protected, sign1.payload);
        // V1, V2, V3 (spec §3.9): the signature over the Sig_structure parts, with `key`.
        match crypto::verify_es256_parts(&self.backend, key, &parts, &sign1.signature) {
            Ok(()) => Ok(()),
            Err(SignatureFailure::HighS) => Err(Error::SignatureMalleable),
            Err(_) => Err(invalid),
        }
    }
}

/// The bytes of `Sig_structure = ["Signature1", protected, h'', payload]` (spec §3.7) other
/// than the protected header and payload: what [`cose::to_be_signed`] writes around them.
struct SigStructureHead {
    /// `84 6a "Signature1"`, then the bstr head of `protected`.
    start: [u8; 12 + 9],
    start_len: usize,
    /// `40` (external_aad `h''`), then the bstr head of `payload`.
    middle: [u8; 1 + 9],
    middle_len: usize,
}

impl SigStructureHead {
    fn new(protected_len: usize, payload_len: usize) -> Self {
        let mut start = [0u8; 21];
        let (context, head) = start.split_at_mut(12);
        context.copy_from_slice(b"\x84\x6aSignature1");
        let start_len = 12 + bstr_head(protected_len, head);
        let mut middle = [0x40u8; 10];
        let middle_len = 1 + bstr_head(payload_len, middle.get_mut(1..).unwrap_or_default());
        Self {
            start,
            start_len,
            middle,
            middle_len,
        }
    }

    fn parts<'a>(&'a self, protected: &'a [u8], payload: &'a [u8]) -> [&'a [u8]; 4] {
        [
            self.start.get(..self.start_len).unwrap_or_default(),
            protected,
            self.middle.get(..self.middle_len).unwrap_or_default(),
            payload,
        ]
    }
}

/// Writes the shortest head of a byte string of `len` bytes (spec §2.4) into `out` (9 bytes
/// or more) and returns its length.
fn bstr_head(len: usize, out: &mut [u8]) -> usize {
    let len = len as u64;
    let bytes = len.to_be_bytes();
    // (initial byte, how many low-order argument bytes follow it)
    let (initial, follow) = match len {
        0..=23 => (0x40 | len as u8, 0),
        24..=0xff => (0x58, 1),
        0x100..=0xffff => (0x59, 2),
        0x1_0000..=0xffff_ffff => (0x5a, 4),
        _ => (0x5b, 8),
    };
    let argument = bytes.get(8 - follow..).unwrap_or_default();
    for (o, b) in out
        .iter_mut()
        .zip(core::iter::once(&initial).chain(argument))
    {
        *o = *b;
    }
    1 + follow
}

/// Spec §12.2 step P14 (§6.6): each disclosure decoded, matched against the digest set, unique,
/// of a known claim, seen once, and of its claim's type.
fn check_disclosures(
    disclosures: &[Value<'_>],
    digests: &credential::DigestSet<'_>,
) -> Result<Vec<(ClaimName, ClaimValue)>, Error> {
    // Which digests of the (sorted, duplicate-free) set were disclosed, by position.
    let mut seen = [false; DIGEST_SET_SIZE];
    let mut claims: Vec<(ClaimName, ClaimValue)> = Vec::with_capacity(disclosures.len());
    for d in disclosures {
        let bytes = d.as_bytes().ok_or(Error::InvalidField)?;
        // X1, X2, X3, X4 (spec §6.6): strict CBOR, [bstr 16..=64, tstr, any].
        let (name, value) = disclosure::parse_structure(bytes)?;
        let digest = disclosure::digest(bytes);
        // The set is sorted and free of duplicates (checked in step P9): binary search, and
        // the position names the digest.
        // X5 (spec §6.6): the digest is in the credential's digest set.
        let Some(position) = digests.position(&digest) else {
            return Err(Error::DigestMismatch);
        };
        // X6 (spec §6.6): no earlier disclosure had the same digest.
        match seen.get_mut(position) {
            Some(seen @ false) => *seen = true,
            _ => return Err(Error::DuplicateDisclosure),
        }
        // X7 (spec §6.6): a claim name of the registry.
        let name = ClaimName::from_name(name).ok_or(Error::UnknownClaim)?;
        // X8 (spec §6.6): a claim not disclosed before.
        if claims.iter().any(|(n, _)| *n == name) {
            return Err(Error::DuplicateClaim);
        }
        // X9 (spec §6.6, §11): the value meets its claim's rule.
        let value = crate::claims::validate(name, &value).ok_or(Error::InvalidClaimValue)?;
        claims.push((name, value));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sig_structure_parts_are_the_encoded_sig_structure() {
        // Each length class of the bstr head (spec §2.4), on both sides of its boundary.
        for protected_len in [0usize, 1, 23, 24, 255] {
            for payload_len in [0usize, 23, 24, 255, 256, 65_535, 65_536] {
                let protected = alloc::vec![0xa1; protected_len];
                let payload = alloc::vec![0x5a; payload_len];
                let head = SigStructureHead::new(protected_len, payload_len);
                assert_eq!(
                    head.parts(&protected, &payload).concat(),
                    cose::to_be_signed(&protected, &payload),
                    "protected {protected_len}, payload {payload_len}"
                );
            }
        }
    }
}

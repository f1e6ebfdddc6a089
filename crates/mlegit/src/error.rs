//! Errors: one variant and one stable code for each check of the verifier (spec §13).

use core::fmt;

macro_rules! verification_errors {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// Why a presentation, credential, status list token, request or trust list was rejected.
        ///
        /// Every variant has a stable [`code`](Error::code) that spec §13 registers and the
        /// negative test vectors name. Signature failures are deliberately coarse.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Error {
            $( $(#[$doc])* $variant, )*
        }

        impl Error {
            /// Every error the verifier can return, in registry order.
            pub const ALL: &'static [Error] = &[ $( Error::$variant, )* ];

            /// The stable snake_case code of spec §13.
            pub fn code(self) -> &'static str {
                match self { $( Error::$variant => $code, )* }
            }

            /// The error with this code, if there is one.
            pub fn from_code(code: &str) -> Option<Error> {
                match code { $( $code => Some(Error::$variant), )* _ => None }
            }
        }
    };
}

verification_errors! {
    /// The input is longer than the verifier's size cap.
    InputTooLarge = "input_too_large",
    /// Not well-formed CBOR: truncated, reserved additional info, a stray break, bad UTF-8.
    CborMalformed = "cbor_malformed",
    /// Bytes follow the top-level item.
    CborTrailingBytes = "cbor_trailing_bytes",
    /// An indefinite-length string, array or map.
    CborIndefiniteLength = "cbor_indefinite_length",
    /// An integer, length or count not in its shortest form.
    CborNonShortest = "cbor_non_shortest",
    /// A map key equal to the key before it.
    CborDuplicateKey = "cbor_duplicate_key",
    /// A map key smaller than the key before it (keys ascend bytewise).
    CborUnsortedKeys = "cbor_unsorted_keys",
    /// Arrays and maps nested deeper than eight levels.
    CborDepthExceeded = "cbor_depth_exceeded",
    /// A tag, a float, `undefined` or a simple value.
    CborUnsupportedType = "cbor_unsupported_type",
    /// Not a COSE_Sign1 of the mlegit profile (shape, header value types, signature length).
    CoseMalformed = "cose_malformed",
    /// A protected header label the profile does not define (or `kid` on a presentation).
    CoseUnknownHeader = "cose_unknown_header",
    /// The unprotected header is not empty.
    CoseUnprotectedHeader = "cose_unprotected_header",
    /// No `alg` in the protected header (nor in the unprotected one).
    AlgMissing = "alg_missing",
    /// `alg` appears only in the unprotected header.
    AlgNotProtected = "alg_not_protected",
    /// `alg` is not one the verifier accepts.
    AlgNotAllowed = "alg_not_allowed",
    /// The `typ` context string is absent or names another kind of object.
    WrongContext = "wrong_context",
    /// A credential or status list token without a key id.
    KidMissing = "kid_missing",
    /// The issuer key id is not in the trust list.
    UnknownKeyId = "unknown_key_id",
    /// A signature whose S is above n/2 (the malleable twin of a valid signature).
    SignatureMalleable = "signature_malleable",
    /// The issuer's signature on a credential or status list token does not verify.
    IssuerSignatureInvalid = "issuer_signature_invalid",
    /// The device key's signature on the presentation does not verify.
    DeviceSignatureInvalid = "device_signature_invalid",
    /// A required payload field is absent.
    MissingField = "missing_field",
    /// A payload field the object does not define.
    UnknownField = "unknown_field",
    /// A payload field of the wrong type or outside its bounds.
    InvalidField = "invalid_field",
    /// A version other than the object's (2 for a credential, 1 for a presentation or
    /// request).
    UnsupportedVersion = "unsupported_version",
    /// The credential's document type is not the school ID.
    WrongDoctype = "wrong_doctype",
    /// The issuer key id in the payload differs from the one in the header.
    KidMismatch = "kid_mismatch",
    /// A digest algorithm other than SHA-256.
    UnsupportedDigestAlg = "unsupported_digest_alg",
    /// The digest set is not 32 distinct 32-byte digests in ascending order.
    DigestSetInvalid = "digest_set_invalid",
    /// The device key is not an uncompressed P-256 COSE_Key on the curve.
    InvalidDeviceKey = "invalid_device_key",
    /// The issuer key's window does not contain the credential's `iat`.
    IssuerKeyNotValid = "issuer_key_not_valid",
    /// Not `iat <= nbf < exp`.
    InvalidValidityWindow = "invalid_validity_window",
    /// `exp - iat` is over [`crate::MAX_CREDENTIAL_LIFETIME`] (400 days).
    CredentialLifetimeTooLong = "credential_lifetime_too_long",
    /// The credential's `nbf` is still ahead, beyond the clock skew.
    CredentialNotYetValid = "credential_not_yet_valid",
    /// The credential's `exp` has passed, beyond the clock skew.
    CredentialExpired = "credential_expired",
    /// `presented_at` is ahead of the verifier's clock by more than the skew.
    PresentationFromFuture = "presentation_from_future",
    /// `presented_at` is older than the maximum presentation age.
    PresentationTooOld = "presentation_too_old",
    /// `presented_at` lies outside the credential's validity.
    PresentedOutsideValidity = "presented_outside_validity",
    /// The nonce differs from the one the verifier expects (or one side has none).
    NonceMismatch = "nonce_mismatch",
    /// The audience differs from the one the verifier expects (or one side has none).
    AudienceMismatch = "audience_mismatch",
    /// A disclosure that is not `[salt, claim, value]` in strict CBOR.
    DisclosureMalformed = "disclosure_malformed",
    /// A disclosure whose digest is not in the credential's digest set.
    DigestMismatch = "digest_mismatch",
    /// The same disclosure twice.
    DuplicateDisclosure = "duplicate_disclosure",
    /// A claim name schema v1 does not define.
    UnknownClaim = "unknown_claim",
    /// Two disclosures of the same claim.
    DuplicateClaim = "duplicate_claim",
    /// A claim value not of the type schema v1 gives it.
    InvalidClaimValue = "invalid_claim_value",
    /// A status list token whose `sub` is not the credential's status `uri`.
    StatusListUriMismatch = "status_list_uri_mismatch",
    /// A status list token issued in the future beyond the clock skew.
    StatusListFromFuture = "status_list_from_future",
    /// A status list token past its `exp`, beyond the clock skew.
    StatusListExpired = "status_list_expired",
    /// A status list token older than its `ttl` (plus the skew).
    StatusListStale = "status_list_stale",
    /// A status list whose `lst` is not one complete ZLIB stream, or inflates to nothing.
    StatusListMalformed = "status_list_malformed",
    /// A status list whose `lst` inflates to more than the verifier's cap.
    StatusListTooLarge = "status_list_too_large",
    /// A status index beyond the list's last entry.
    StatusIndexOutOfRange = "status_index_out_of_range",
    /// A verifier certificate whose authority key id is not in the authority list.
    UnknownAuthority = "unknown_authority",
    /// The authority key's window does not contain the certificate's `iat`.
    AuthorityKeyNotValid = "authority_key_not_valid",
    /// The authority's signature on a verifier certificate does not verify.
    CertificateSignatureInvalid = "certificate_signature_invalid",
    /// A verifier certificate whose `nbf` is still ahead, beyond the clock skew.
    CertificateNotYetValid = "certificate_not_yet_valid",
    /// A verifier certificate past its `exp`, beyond the clock skew.
    CertificateExpired = "certificate_expired",
    /// The verifier's signature on a signed request does not verify.
    RequestSignatureInvalid = "request_signature_invalid",
    /// A signed request whose audience or verifier name is not its certificate's.
    RequestCertificateMismatch = "request_certificate_mismatch",
    /// A signed request asking for a claim its certificate does not list.
    ClaimNotAllowed = "claim_not_allowed",
    /// A presentation bound to another signed request than the one expected (or to none).
    RequestMismatch = "request_mismatch",
    /// An encrypted response that does not open: another key, another session, altered.
    ResponseUndecryptable = "response_undecryptable",
    /// A request whose response key is not the one the verifier's QR code names.
    ResponseKeyMismatch = "response_key_mismatch",
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl core::error::Error for Error {}

/// Why an issuer refused to issue a credential; no personal data is carried.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueError {
    /// A claim value breaks the schema (spec §11): which claim.
    InvalidClaim(crate::ClaimName),
    /// The birth date encoded in the PESEL differs from `birth_date`.
    PeselBirthDateMismatch,
    /// `issue_date` is after `expiry_date`.
    DocumentDatesReversed,
    /// Not `iat <= nbf < exp`.
    InvalidValidityWindow,
    /// `exp - iat` is over [`crate::MAX_CREDENTIAL_LIFETIME`] (400 days).
    CredentialLifetimeTooLong,
    /// The status URI is not an https URI of 1 to 256 bytes without control characters.
    InvalidStatusReference,
    /// The credential id is not 16 to 32 bytes.
    InvalidCredentialId,
    /// The key id is not 1 to 32 bytes.
    InvalidKeyId,
    /// No device key was given.
    MissingDeviceKey,
    /// No claims were given.
    MissingClaims,
    /// A status array of the wrong shape (bits not 1, 2, 4 or 8; a size that is not whole
    /// bytes), an index beyond it or a value too wide for it; or a token's `iat` not before
    /// its `exp`.
    InvalidStatusList,
    /// A verifier certificate's name, audience, claims or window breaks spec §7.4.
    InvalidVerifierCertificate,
    /// The signer failed (for example an HSM that is unreachable).
    Signer,
}

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueError::InvalidClaim(name) => {
                write!(f, "invalid value for claim {}", name.as_str())
            }
            IssueError::PeselBirthDateMismatch => {
                f.write_str("the PESEL encodes another birth date")
            }
            IssueError::DocumentDatesReversed => f.write_str("issue_date is after expiry_date"),
            IssueError::InvalidValidityWindow => {
                f.write_str("validity must satisfy iat <= nbf < exp")
            }
            IssueError::CredentialLifetimeTooLong => {
                f.write_str("validity must satisfy exp - iat <= 400 days")
            }
            IssueError::InvalidStatusReference => f.write_str("invalid status reference"),
            IssueError::InvalidCredentialId => f.write_str("credential id must be 16 to 32 bytes"),
            IssueError::InvalidKeyId => f.write_str("key id must be 1 to 32 bytes"),
            IssueError::MissingDeviceKey => f.write_str("no device key given"),
            IssueError::MissingClaims => f.write_str("no claims given"),
            IssueError::InvalidStatusList => f.write_str("invalid status list"),
            IssueError::InvalidVerifierCertificate => f.write_str(
                "verifier certificate: name and audience 1 to 128 bytes of clean text, 1 to 16 distinct claims, iat <= nbf < exp",
            ),
            IssueError::Signer => f.write_str("the signer failed"),
        }
    }
}

impl core::error::Error for IssueError {}

/// Why a holder could not build a presentation.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresentError {
    /// The wallet holds no disclosure for this claim (for example `age_over_18` of a minor).
    ClaimNotHeld(crate::ClaimName),
    /// The same claim was selected twice.
    DuplicateSelection(crate::ClaimName),
    /// A claim the request did not ask for (spec §7.3: the holder MUST NOT disclose it).
    NotRequested(crate::ClaimName),
    /// The presentation request could not be decoded.
    Request(Error),
    /// The device signer failed.
    Signer,
    /// The response could not be encrypted to the verifier's key (spec §18.3).
    Encryption,
}

impl fmt::Display for PresentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresentError::ClaimNotHeld(name) => {
                write!(f, "the wallet holds no claim {}", name.as_str())
            }
            PresentError::DuplicateSelection(name) => {
                write!(f, "claim {} selected twice", name.as_str())
            }
            PresentError::NotRequested(name) => {
                write!(
                    f,
                    "claim {} was not requested by the verifier",
                    name.as_str()
                )
            }
            PresentError::Request(e) => write!(f, "invalid presentation request: {e}"),
            PresentError::Signer => f.write_str("the device signer failed"),
            PresentError::Encryption => f.write_str("encrypting the response failed"),
        }
    }
}

impl core::error::Error for PresentError {}

/// A signer could not produce a signature. Deliberately opaque.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SignerError;

impl fmt::Display for SignerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("signer failed")
    }
}

impl core::error::Error for SignerError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for (i, a) in Error::ALL.iter().enumerate() {
            assert_eq!(Error::from_code(a.code()), Some(*a));
            for b in &Error::ALL[i + 1..] {
                assert_ne!(a.code(), b.code());
            }
        }
        assert_eq!(Error::from_code("no_such_code"), None);
    }
}

//! Who is asking (spec §7.4-§7.6, §8.1, P13c): an authority certifies a verifier, the
//! verifier signs its request, the holder checks it before showing who asks, refuses claims
//! the certificate does not list, and the presentation it makes is good for that verifier's
//! request only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mlegit::fixtures::{self, DAY, NOW};
use mlegit::{
    Authority, CertificateParts, ClaimName, Error, Issuer, PresentationRequest, RequestChecker,
    Signer, StatusReference, TrustList, Verifier, VerifyContext, Wallet,
};

const CINEMA: [ClaimName; 3] = [
    ClaimName::GivenNames,
    ClaimName::AgeOver18,
    ClaimName::Portrait,
];

struct World {
    authority: Authority<mlegit::P256Signer>,
    authorities: TrustList,
    verifier: Verifier,
    wallet: Wallet<mlegit::P256Signer>,
}

fn world() -> World {
    let authority = Authority::new(fixtures::authority_a().signer());
    let mut authorities = TrustList::new();
    authorities.add(authority.trusted_key(0, u64::MAX)).unwrap();
    let issuer = Issuer::new(fixtures::issuer_a().signer());
    let mut trust = TrustList::new();
    trust.add(issuer.trusted_key(0, u64::MAX)).unwrap();
    let device = fixtures::device().signer();
    let issued = issuer
        .credential()
        .claims(fixtures::student(Some(fixtures::portrait(512))))
        .device_key(device.public_key())
        .validity(mlegit::Validity::starting_at(NOW - DAY, 300 * DAY))
        .status(StatusReference {
            uri: "https://issuer.example/v1/status-lists/1".into(),
            index: 5,
        })
        .issue_with_secret(&[0xc1; 16], &[0x5a; 32])
        .unwrap();
    World {
        authority,
        authorities,
        verifier: Verifier::new(trust),
        wallet: Wallet::new(issued.credential, issued.disclosures, device).unwrap(),
    }
}

/// A certificate for `key` as `audience`, named `name`, valid ±10 days around NOW.
fn certificate(w: &World, key: &mlegit::PublicKey, name: &str, audience: &str) -> Vec<u8> {
    w.authority
        .certificate(&CertificateParts {
            verifier_key: key,
            name,
            audience,
            claims: &CINEMA,
            issued_at: NOW - 10 * DAY,
            not_before: NOW - 10 * DAY,
            expires: NOW + 10 * DAY,
        })
        .unwrap()
}

fn request(name: &str, audience: &str, nonce: u8, claims: &[ClaimName]) -> PresentationRequest {
    PresentationRequest {
        nonce: vec![nonce; 16],
        audience: audience.into(),
        verifier_name: name.into(),
        claims: claims.to_vec(),
        created_at: NOW - 5,
        response_key: None,
    }
}

#[test]
fn a_signed_request_is_checked_shown_and_answered_for_that_verifier_only() {
    let w = world();
    let kino_key = fixtures::verifier_kino().signer();
    let cert = certificate(
        &w,
        &kino_key.public_key(),
        "Kino Muranów",
        "https://kino.example",
    );
    let req = request("Kino Muranów", "https://kino.example", 1, &CINEMA);
    let signed = req.sign(&kino_key, &cert).unwrap();
    // The QR code's budget: three claims, with the certificate, in at most 600 bytes.
    assert!(signed.len() <= 600, "{} bytes", signed.len());

    let checked = RequestChecker::new(w.authorities.clone())
        .check(&signed, NOW)
        .unwrap();
    let who = checked.verifier().unwrap();
    assert_eq!(who.name(), "Kino Muranów");
    assert_eq!(who.authority_kid(), w.authority.key_id());
    assert_eq!(checked.request(), &req);
    assert!(checked.outside_certificate().is_empty());
    let digest = *checked.digest().unwrap();

    let p = w
        .wallet
        .answer(&[ClaimName::AgeOver18, ClaimName::Portrait], &checked, NOW)
        .unwrap();
    let ctx = VerifyContext::answering_signed(NOW, &req.nonce, &req.audience, &digest);
    let v = w.verifier.verify(&p, &ctx).unwrap();
    assert_eq!(v.request_digest(), Some(&digest[..]));

    // Verifier B knows A's nonce and claims A's audience, but sent its own signed
    // request: the presentation answers A's, so it fails at B.
    let other_key = fixtures::verifier_other().signer();
    let other_cert = certificate(
        &w,
        &other_key.public_key(),
        "Kino Muranów",
        "https://kino.example",
    );
    let b_request = req.sign(&other_key, &other_cert).unwrap();
    let b_digest = RequestChecker::new(w.authorities.clone())
        .check(&b_request, NOW)
        .unwrap()
        .digest()
        .copied()
        .unwrap();
    assert_ne!(b_digest, digest);
    let at_b = VerifyContext::answering_signed(NOW, &req.nonce, &req.audience, &b_digest);
    assert_eq!(w.verifier.verify(&p, &at_b), Err(Error::RequestMismatch));
    // Nor does it pass where no signed request was sent.
    let unsigned = VerifyContext::answering(NOW, &req.nonce, &req.audience);
    assert_eq!(
        w.verifier.verify(&p, &unsigned),
        Err(Error::RequestMismatch)
    );
    // And a presentation for an unsigned request fails where a signed one was sent.
    let plain = w
        .wallet
        .present(&[ClaimName::AgeOver18], Some(&req), NOW)
        .unwrap();
    assert_eq!(w.verifier.verify(&plain, &ctx), Err(Error::RequestMismatch));
}

#[test]
fn the_wallet_refuses_claims_outside_the_certificate_unless_overridden() {
    let w = world();
    let kino_key = fixtures::verifier_kino().signer();
    let cert = certificate(&w, &kino_key.public_key(), "Kino", "https://kino.example");
    let greedy = request(
        "Kino",
        "https://kino.example",
        2,
        &[ClaimName::GivenNames, ClaimName::Pesel],
    );
    let signed = greedy.sign(&kino_key, &cert).unwrap();
    let checker = RequestChecker::new(w.authorities.clone());
    assert_eq!(checker.check(&signed, NOW), Err(Error::ClaimNotAllowed));
    // The student's explicit override: the request passes, and says what is outside.
    let checked = checker
        .allow_claims_outside_certificate(true)
        .check(&signed, NOW)
        .unwrap();
    assert_eq!(checked.outside_certificate(), [ClaimName::Pesel]);
}

#[test]
fn unsigned_requests_are_not_verified_and_bad_certificates_are_refused() {
    let w = world();
    let kino_key = fixtures::verifier_kino().signer();
    let req = request("Kino Muranów", "https://kino.example", 3, &CINEMA);
    let checker = RequestChecker::new(w.authorities.clone());
    let unsigned = checker.check(&req.to_vec(), NOW).unwrap();
    assert!(unsigned.verifier().is_none() && unsigned.digest().is_none());

    // Expired (beyond the skew), not yet valid, or from an unknown authority.
    let cert = certificate(
        &w,
        &kino_key.public_key(),
        "Kino Muranów",
        "https://kino.example",
    );
    let signed = req.sign(&kino_key, &cert).unwrap();
    assert_eq!(
        checker.check(&signed, NOW + 10 * DAY + 61).err(),
        Some(Error::CertificateExpired)
    );
    assert_eq!(
        checker.check(&signed, NOW - 10 * DAY - 61).err(),
        Some(Error::CertificateNotYetValid)
    );
    let stranger = RequestChecker::new({
        let mut t = TrustList::new();
        t.add(Authority::new(fixtures::authority_b().signer()).trusted_key(0, u64::MAX))
            .unwrap();
        t
    });
    assert_eq!(
        stranger.check(&signed, NOW).err(),
        Some(Error::UnknownAuthority)
    );
    // Signed by another key than the certified one.
    let forged = req
        .sign(&fixtures::verifier_other().signer(), &cert)
        .unwrap();
    assert_eq!(
        checker.check(&forged, NOW).err(),
        Some(Error::RequestSignatureInvalid)
    );
    // A name the certificate does not carry.
    let renamed = request("Kino Muranów Premium", "https://kino.example", 3, &CINEMA);
    let renamed = renamed.sign(&kino_key, &cert).unwrap();
    assert_eq!(
        checker.check(&renamed, NOW).err(),
        Some(Error::RequestCertificateMismatch)
    );
}

//! The rows of the benches, defined once: the criterion bench (`benches/mlegit.rs`) times
//! them and the `instructions` binary (`src/bin/instructions.rs`) counts their instructions
//! under callgrind, so that both tables measure the same operations on the same objects.

use core::hint::black_box;

use mlegit::{IssuerSignatureCache, PublicKey, SignatureBackend, Verifier};
use p256::ecdsa::signature::Verifier as _;

use crate::fixtures::{self, Cycle, Fixtures};

/// The id of the baseline row: one raw `p256` verify of a 300-byte message.
pub const BASELINE: &str = "p256_verify[msg=300]";

/// A backend that accepts every signature without looking at it. Verifying with it measures
/// what a verification costs besides its two signature checks: decoding, the disclosure
/// digests and every other check. (SHA-256 of each `Sig_structure` is part of its signature
/// check, as in the baseline, and is left out with it.)
pub struct NoSignatures;

impl SignatureBackend for NoSignatures {
    fn verify_es256(&self, _: &PublicKey, _: &[u8], _: &[u8; 64]) -> bool {
        true
    }

    fn verify_es256_parts(&self, _: &PublicKey, _: &[&[u8]], _: &[u8; 64]) -> bool {
        true
    }
}

/// One benchmark: its id, the operation, and the target ratio issue 5 sets for it.
pub struct Bench<'f> {
    /// The row's id inside the criterion group (`verify[claims=4]`).
    pub id: &'static str,
    /// The largest ratio to the baseline the issue allows, if it sets one.
    pub target: Option<f64>,
    /// What the row runs.
    pub op: Op<'f>,
}

/// The operation of a row.
pub enum Op<'f> {
    /// Runs on shared fixtures.
    Plain(Box<dyn FnMut() + 'f>),
    /// Consumes a fresh input each time (made outside the measurement).
    Issue(&'f Fixtures),
}

/// Every row, the baseline first; the AWS-LC rows only with the `aws-lc` feature.
pub fn benches(f: &Fixtures) -> Vec<Bench<'_>> {
    // The baseline: one raw p256 verify of a 300-byte message, the key and the signature
    // already parsed (what a verification of an mlegit object cannot go below, twice). The
    // floor of a full verification measured the same way: two raw verifies, of two keys and
    // two messages, one after the other (as the issuer and the device signature are).
    let (issuer, device) = (&f.raw_issuer, &f.raw_device);
    let ctx = f.context();
    let mut rows = vec![
        Bench {
            id: BASELINE,
            target: None,
            op: Op::Plain(Box::new({
                let mut signed = Cycle::new(&issuer.signed);
                move || {
                    let (message, signature) = signed.next();
                    issuer
                        .key
                        .verify(black_box(message), black_box(signature))
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "p256_verify_x2[msg=300]",
            target: None,
            op: Op::Plain(Box::new({
                let mut issuer_signed = Cycle::new(&issuer.signed);
                let mut device_signed = Cycle::new(&device.signed);
                move || {
                    let (message, signature) = issuer_signed.next();
                    issuer
                        .key
                        .verify(black_box(message), black_box(signature))
                        .expect("valid");
                    let (message, signature) = device_signed.next();
                    device
                        .key
                        .verify(black_box(message), black_box(signature))
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4]",
            target: Some(2.05),
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let mut presentations = Cycle::new(&f.presentations);
                move || {
                    verifier
                        .verify(black_box(presentations.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4,portrait=2KiB]",
            target: None,
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let mut presentations = Cycle::new(&f.presentations_portrait);
                move || {
                    verifier
                        .verify(black_box(presentations.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4,cached]",
            target: Some(1.05),
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let mut presentations = Cycle::new(&f.presentations);
                let mut cache: IssuerSignatureCache<64> = IssuerSignatureCache::new();
                move || {
                    verifier
                        .verify_cached(black_box(presentations.next()), &ctx, &mut cache)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "decode_and_check[claims=4]",
            target: Some(0.02),
            op: Op::Plain(Box::new({
                let verifier = Verifier::with_backend(f.trust.clone(), NoSignatures);
                let mut presentations = Cycle::new(&f.presentations);
                move || {
                    verifier
                        .verify(black_box(presentations.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "decode[credential]",
            target: None,
            op: Op::Plain(Box::new(move || {
                mlegit::CredentialInfo::decode_unverified(black_box(f.wallet.credential()))
                    .expect("valid");
            })),
        },
        Bench {
            id: "issue[claims=15]",
            target: None,
            op: Op::Issue(f),
        },
        Bench {
            // The issuer's side of an activation (spec §19.1): issue 32 makes 32
            // signatures, about 11 raw verifies' time; the issue's target: well under 40.
            id: "issue_batch[n=32]",
            target: Some(40.0),
            op: Op::Plain(Box::new(move || {
                black_box(f.issue_batch().expect("valid"));
            })),
        },
        Bench {
            // The issuer's check of the batch's proofs (B1-B5): 32 signature checks.
            id: "activation_verify[n=32]",
            target: None,
            op: Op::Plain(Box::new(move || {
                mlegit::activation::verify(
                    black_box(&f.batch_proofs),
                    fixtures::ACTIVATION_ID,
                    &fixtures::CHALLENGE,
                    &f.batch_keys,
                    &mlegit::P256Backend,
                )
                .expect("valid");
            })),
        },
        Bench {
            // The phone's side: 32 proofs.
            id: "activation_sign[n=32]",
            target: None,
            op: Op::Plain(Box::new(move || {
                black_box(
                    mlegit::activation::sign_all(
                        fixtures::ACTIVATION_ID,
                        &fixtures::CHALLENGE,
                        &f.batch_devices,
                    )
                    .expect("signs"),
                );
            })),
        },
        Bench {
            id: "present[claims=4]",
            target: None,
            op: Op::Plain(Box::new(move || {
                f.wallet
                    .present(black_box(&fixtures::TEXT_CLAIMS), Some(&f.request), ctx.now)
                    .expect("held claims");
            })),
        },
        Bench {
            id: "verify_status_list[entries=2^20,revoked=0.1%]",
            target: None,
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let ctx = f.status_list_context();
                let mut tokens = Cycle::new(&f.status_lists);
                move || {
                    verifier
                        .verify_status_list(black_box(tokens.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "status_lookup",
            target: None,
            op: Op::Plain(Box::new({
                let verifier = Verifier::new(f.trust.clone());
                let list = verifier
                    .verify_status_list(&f.status_lists[0], &f.status_list_context())
                    .expect("valid");
                let reference = f.wallet.info().status.clone();
                move || {
                    black_box(
                        verifier
                            .check_status(
                                black_box(&list),
                                &reference,
                                mlegit_vectors::scenario::NOW,
                            )
                            .expect("in the list"),
                    );
                }
            })),
        },
        Bench {
            id: "sign_request[claims=3]",
            target: None,
            op: Op::Plain(Box::new({
                let (request, key, certificate) = fixtures::signed_request_parts();
                move || {
                    black_box(
                        request
                            .sign(&key, black_box(&certificate))
                            .expect("in-memory signer"),
                    );
                }
            })),
        },
        Bench {
            id: "check_request[claims=3]",
            target: None,
            op: Op::Plain(Box::new({
                let (checker, signed) = fixtures::request_check_parts();
                move || {
                    black_box(
                        checker
                            .check(black_box(&signed), mlegit_vectors::scenario::NOW)
                            .expect("valid"),
                    );
                }
            })),
        },
        Bench {
            id: "seal[presentation=2KiB]",
            target: None,
            op: Op::Plain(Box::new({
                let (key, binding, plaintext) = fixtures::online_parts(f);
                let ikm = [0x42u8; 32];
                move || {
                    let binding = binding.borrow();
                    // A fixed ephemeral IKM: DeriveKeyPair costs what a fresh draw does.
                    let mut rng = mlegit::fixtures::FixedBytes::new(&ikm);
                    black_box(
                        mlegit::online::seal(
                            key.public_key(),
                            &binding,
                            black_box(&plaintext),
                            &mut rng,
                        )
                        .expect("a valid key"),
                    );
                }
            })),
        },
        Bench {
            id: "open[presentation=2KiB]",
            target: None,
            op: Op::Plain(Box::new({
                let (key, binding, plaintext) = fixtures::online_parts(f);
                let sealed = {
                    let mut rng = mlegit::fixtures::FixedBytes::new(&[0x42; 32]);
                    mlegit::online::seal(key.public_key(), &binding.borrow(), &plaintext, &mut rng)
                        .expect("a valid key")
                };
                move || {
                    black_box(
                        key.open(black_box(&sealed), &binding.borrow())
                            .expect("opens"),
                    );
                }
            })),
        },
    ];
    rows.extend(aws_lc_benches(f));
    rows
}

#[cfg(feature = "aws-lc")]
fn aws_lc_benches(f: &Fixtures) -> Vec<Bench<'_>> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
    use mlegit::{AwsLcBackend, Signer as _};

    let ctx = f.context();
    let public = mlegit_vectors::scenario::issuer_a().signer().public_key();
    let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public.to_sec1_uncompressed())
        .expect("a valid point");
    let signed: Vec<([u8; 300], [u8; 64])> = f
        .raw_issuer
        .signed
        .iter()
        .map(|(message, signature)| (*message, signature.to_bytes().into()))
        .collect();
    vec![
        Bench {
            id: "aws_lc_verify[msg=300]",
            target: None,
            op: Op::Plain(Box::new({
                let mut index = 0;
                move || {
                    let (message, signature) = &signed[index % signed.len()];
                    index += 1;
                    parsed
                        .verify_sig(black_box(message), black_box(signature))
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4,aws-lc]",
            target: Some(0.55),
            op: Op::Plain(Box::new({
                let verifier = Verifier::with_backend(f.trust.clone(), AwsLcBackend);
                let mut presentations = Cycle::new(&f.presentations);
                move || {
                    verifier
                        .verify(black_box(presentations.next()), &ctx)
                        .expect("valid");
                }
            })),
        },
        Bench {
            id: "verify[claims=4,cached,aws-lc]",
            target: Some(0.28),
            op: Op::Plain(Box::new({
                let verifier = Verifier::with_backend(f.trust.clone(), AwsLcBackend);
                let mut presentations = Cycle::new(&f.presentations);
                let mut cache: IssuerSignatureCache<64> = IssuerSignatureCache::new();
                move || {
                    verifier
                        .verify_cached(black_box(presentations.next()), &ctx, &mut cache)
                        .expect("valid");
                }
            })),
        },
    ]
}

#[cfg(not(feature = "aws-lc"))]
fn aws_lc_benches(_: &Fixtures) -> Vec<Bench<'_>> {
    Vec::new()
}

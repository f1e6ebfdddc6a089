//! The activation vectors (`activations.json`, spec §19): batches of proofs of possession,
//! each either valid or failing one of steps B1 to B5 at a given proof.
//!
//! Device keys are fixed: key `i` (from 0) has the scalar SHA-256 of the ASCII text
//! `mlegit test vector activation key i` (`i` in decimal). Signatures are RFC 6979
//! deterministic, so the file is the same on every run.

use mlegit::activation::{self, ProofError};
use mlegit::cose;
use mlegit::{P256Signer, PublicKey, Signer as _};
use serde::Deserialize;
use serde_json::{Value as Json, json};
use sha2::Digest as _;

use crate::cbor::{V, enc};
use crate::scenario::high_s;

/// The activation id every vector uses (32 characters, as the reference server makes).
pub const ACTIVATION_ID: &str = "Hs2kQwVb7pXr4TnZc9MdLe3yAfGu8JiO";

/// The challenge every vector signs (56 bytes, as the reference server makes).
pub fn challenge() -> Vec<u8> {
    (0u8..56)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect()
}

/// Device key `i`.
pub fn device(i: usize) -> P256Signer {
    P256Signer::from_scalar(&scalar_of(i)).expect("a scalar below n")
}

/// What a vector sends: the keys (with their scalars, where known) and the proofs.
struct Sent {
    scalars: Vec<Option<[u8; 32]>>,
    keys: Vec<PublicKey>,
    proofs: Vec<Vec<u8>>,
}

/// A batch of `n` keys, each signing the proper payload.
fn batch(n: usize) -> Sent {
    let devices: Vec<P256Signer> = (0..n).map(device).collect();
    let (keys, proofs) =
        activation::sign_all(ACTIVATION_ID, &challenge(), &devices).expect("signs");
    Sent {
        scalars: (0..n).map(|i| Some(scalar_of(i))).collect(),
        keys,
        proofs,
    }
}

impl Sent {
    /// The payload of §19.2 its keys, as sent, should sign.
    fn payload(&self) -> Vec<u8> {
        activation::payload(
            ACTIVATION_ID,
            &challenge(),
            &activation::keys_digest(&self.keys),
        )
    }
}

fn scalar_of(i: usize) -> [u8; 32] {
    sha2::Sha256::digest(format!("mlegit test vector activation key {i}")).into()
}

/// A proof by key `i` over `payload`, with `protected` as its protected header.
fn proof_with(i: usize, protected: &[(V, V)], payload: &[u8]) -> Vec<u8> {
    let protected = enc(&V::M(protected.to_vec()));
    let sig = device(i).sign(&cose::to_be_signed(&protected, payload));
    enc(&V::A(vec![
        V::B(protected),
        V::M(vec![]),
        V::B(payload.to_vec()),
        V::B(sig.expect("signs").to_vec()),
    ]))
}

fn header(typ: &str) -> Vec<(V, V)> {
    vec![
        (V::U(1), V::N(6)), // alg: -7
        (V::U(16), V::T(typ.into())),
    ]
}

/// The expected outcome of a vector.
enum Outcome {
    Valid,
    Invalid(ProofError),
}

struct Case {
    name: &'static str,
    description: &'static str,
    make: fn() -> Sent,
    outcome: Outcome,
}

const CASES: &[Case] = &[
    Case {
        name: "activation_one_key",
        description: "A batch of one: one key, one proof over {1: id, 2: challenge, 3: SHA-256 of the one-key array}.",
        make: || batch(1),
        outcome: Outcome::Valid,
    },
    Case {
        name: "activation_three_keys",
        description: "A batch of three: each key signs the same payload, which names all three in order.",
        make: || batch(3),
        outcome: Outcome::Valid,
    },
    Case {
        name: "activation_thirty_two_keys",
        description: "The default batch of 32: the keys array's head is 98 20 (24 or more elements).",
        make: || batch(32),
        outcome: Outcome::Valid,
    },
    Case {
        name: "activation_no_key",
        description: "No key and no proof (B1).",
        make: || Sent {
            scalars: vec![],
            keys: vec![],
            proofs: vec![],
        },
        outcome: Outcome::Invalid(ProofError::BatchSize),
    },
    Case {
        name: "activation_proof_missing",
        description: "Three keys, two proofs (B1).",
        make: || {
            let mut s = batch(3);
            s.proofs.pop();
            s
        },
        outcome: Outcome::Invalid(ProofError::BatchSize),
    },
    Case {
        name: "activation_sixty_five_keys",
        description: "65 keys, one over the most a batch holds (B1): checked before any proof.",
        make: || {
            let keys: Vec<PublicKey> = (0..65).map(|i| device(i).public_key()).collect();
            let one = batch(1).proofs.remove(0);
            Sent {
                scalars: (0..65).map(|i| Some(scalar_of(i))).collect(),
                proofs: vec![one; 65],
                keys,
            }
        },
        outcome: Outcome::Invalid(ProofError::BatchSize),
    },
    Case {
        name: "activation_key_twice",
        description: "Key 0 sent again as key 2, with proofs made for that array (B2).",
        make: || {
            let devices = [device(0), device(1), device(0)];
            let (keys, proofs) =
                activation::sign_all(ACTIVATION_ID, &challenge(), &devices).expect("signs");
            Sent {
                scalars: vec![Some(scalar_of(0)), Some(scalar_of(1)), Some(scalar_of(0))],
                keys,
                proofs,
            }
        },
        outcome: Outcome::Invalid(ProofError::DuplicateKey { index: 2 }),
    },
    Case {
        name: "activation_proof_too_large",
        description: "Proof 1 is 4097 zero bytes, one over the cap (B3).",
        make: || {
            let mut s = batch(2);
            s.proofs[1] = vec![0; activation::MAX_PROOF_LEN + 1];
            s
        },
        outcome: Outcome::Invalid(ProofError::TooLarge { index: 1 }),
    },
    Case {
        name: "activation_proof_with_kid",
        description: "Proof 0's protected header carries a kid, which an activation proof must not (B3, H5).",
        make: || {
            let mut s = batch(1);
            let payload = s.payload();
            let mut protected = header(cose::TYP_ACTIVATION);
            protected.insert(1, (V::U(4), V::B(s.keys[0].key_id())));
            s.proofs[0] = proof_with(0, &protected, &payload);
            s
        },
        outcome: Outcome::Invalid(ProofError::Malformed {
            index: 0,
            code: "cose_unknown_header",
        }),
    },
    Case {
        name: "activation_proof_wrong_typ",
        description: "Proof 1 is typed as a presentation (B3, H3).",
        make: || {
            let mut s = batch(2);
            let payload = s.payload();
            s.proofs[1] = proof_with(1, &header(cose::TYP_PRESENTATION), &payload);
            s
        },
        outcome: Outcome::Invalid(ProofError::Malformed {
            index: 1,
            code: "wrong_context",
        }),
    },
    Case {
        name: "activation_other_challenge",
        description: "Every proof signs another challenge (B4 at proof 0).",
        make: || {
            let devices: Vec<P256Signer> = (0..2).map(device).collect();
            let (keys, proofs) =
                activation::sign_all(ACTIVATION_ID, &[0x5a; 56], &devices).expect("signs");
            Sent {
                scalars: (0..2).map(|i| Some(scalar_of(i))).collect(),
                keys,
                proofs,
            }
        },
        outcome: Outcome::Invalid(ProofError::WrongPayload { index: 0 }),
    },
    Case {
        name: "activation_other_activation",
        description: "Every proof signs another activation id (B4 at proof 0).",
        make: || {
            let devices = [device(0)];
            let (keys, proofs) =
                activation::sign_all("another-activation-id-0000000000", &challenge(), &devices)
                    .expect("signs");
            Sent {
                scalars: vec![Some(scalar_of(0))],
                keys,
                proofs,
            }
        },
        outcome: Outcome::Invalid(ProofError::WrongPayload { index: 0 }),
    },
    Case {
        name: "activation_key_dropped",
        description: "A batch of three signed, two of its keys and proofs sent: the digest names three (B4).",
        make: || {
            let mut s = batch(3);
            s.keys.pop();
            s.proofs.pop();
            s.scalars.pop();
            s
        },
        outcome: Outcome::Invalid(ProofError::WrongPayload { index: 0 }),
    },
    Case {
        name: "activation_keys_swapped",
        description: "Keys 0 and 1 and their proofs swapped: the array, and so the digest, changed (B4).",
        make: || {
            let mut s = batch(3);
            s.keys.swap(0, 1);
            s.proofs.swap(0, 1);
            s.scalars.swap(0, 1);
            s
        },
        outcome: Outcome::Invalid(ProofError::WrongPayload { index: 0 }),
    },
    Case {
        name: "activation_proof_by_another_key",
        description: "Proof 1 is key 0's (the same payload, the wrong signer) (B5).",
        make: || {
            let mut s = batch(3);
            s.proofs[1] = s.proofs[0].clone();
            s
        },
        outcome: Outcome::Invalid(ProofError::BadSignature { index: 1 }),
    },
    Case {
        name: "activation_high_s",
        description: "Proof 2's signature replaced by its high-S twin n - s (B5, V2).",
        make: || {
            let mut s = batch(3);
            let p = &mut s.proofs[2];
            let at = p.len() - 64;
            let mut sig = [0u8; 64];
            sig.copy_from_slice(&p[at..]);
            p[at..].copy_from_slice(&high_s(sig));
            s
        },
        outcome: Outcome::Invalid(ProofError::BadSignature { index: 2 }),
    },
    Case {
        name: "activation_unknown_key",
        description: "Key 1 replaced by a key that signed nothing: its proof (by the old key 1) fails (B4: the digest names the new array).",
        make: || {
            let mut s = batch(2);
            s.keys[1] = device(99).public_key();
            s.scalars[1] = Some(scalar_of(99));
            s
        },
        outcome: Outcome::Invalid(ProofError::WrongPayload { index: 0 }),
    },
];

/// The error's name in the vectors (the `ProofError` kind, snake case), its proof index
/// and the step.
fn describe(
    e: ProofError,
) -> (
    &'static str,
    Option<usize>,
    &'static str,
    Option<&'static str>,
) {
    match e {
        ProofError::BatchSize => ("batch_size", None, "B1", None),
        ProofError::DuplicateKey { index } => ("duplicate_key", Some(index), "B2", None),
        ProofError::TooLarge { index } => ("too_large", Some(index), "B3", None),
        ProofError::Malformed { index, code } => ("malformed", Some(index), "B3", Some(code)),
        ProofError::WrongPayload { index } => ("wrong_payload", Some(index), "B4", None),
        ProofError::BadSignature { index } => ("bad_signature", Some(index), "B5", None),
        _ => panic!("a proof error unknown to the vectors"),
    }
}

/// Every activation vector.
pub fn activation_vectors() -> Vec<Json> {
    CASES
        .iter()
        .map(|c| {
            let s = (c.make)();
            let digest = activation::keys_digest(&s.keys);
            let expected = match c.outcome {
                Outcome::Valid => json!({
                    "result": "valid", "error": null, "index": null, "step": null, "code": null,
                }),
                Outcome::Invalid(e) => {
                    let (error, index, step, code) = describe(e);
                    json!({
                        "result": "invalid", "error": error, "index": index, "step": step,
                        "code": code,
                    })
                }
            };
            json!({
                "name": c.name,
                "description": c.description,
                "kind": "activation",
                "inputs": {
                    "activation_id": ACTIVATION_ID,
                    "challenge": hex::encode(challenge()),
                    "device_scalars": s.scalars.iter().map(|x| x.map(hex::encode)).collect::<Vec<_>>(),
                    "device_keys": s.keys.iter().map(|k| hex::encode(k.to_sec1_uncompressed())).collect::<Vec<_>>(),
                    "proofs": s.proofs.iter().map(hex::encode).collect::<Vec<_>>(),
                },
                "outputs": {
                    "keys_digest": hex::encode(digest),
                    "payload": hex::encode(s.payload()),
                },
                "expected": expected,
            })
        })
        .collect()
}

/// One activation vector as read back (every field required, nothing unknown).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationVector {
    /// A unique name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Always `activation`.
    pub kind: String,
    /// What is sent.
    pub inputs: ActivationInputs,
    /// What the issuer computes from it.
    pub outputs: ActivationOutputs,
    /// The declared outcome.
    pub expected: ActivationExpected,
}

/// The inputs of an activation vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationInputs {
    /// The activation id (text).
    pub activation_id: String,
    /// The issuer's challenge, hex.
    pub challenge: String,
    /// The private scalar of each key, hex (null where unknown).
    pub device_scalars: Vec<Option<String>>,
    /// The keys as sent: 65-byte uncompressed points, hex.
    pub device_keys: Vec<String>,
    /// The proofs as sent, hex.
    pub proofs: Vec<String>,
}

/// The outputs of an activation vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationOutputs {
    /// SHA-256 of the keys' array, hex.
    pub keys_digest: String,
    /// The payload every proof must sign, hex.
    pub payload: String,
}

/// The declared outcome of an activation vector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivationExpected {
    /// `valid` or `invalid`.
    pub result: String,
    /// The `ProofError` kind, snake case (invalid only).
    pub error: Option<String>,
    /// The failing proof's or key's position (B2 to B5).
    pub index: Option<usize>,
    /// The step, `B1` to `B5`.
    pub step: Option<String>,
    /// The COSE error code of a malformed proof.
    pub code: Option<String>,
}

fn unhex(text: &str, what: &str) -> Result<Vec<u8>, String> {
    hex::decode(text).map_err(|e| format!("{what}: {e}"))
}

/// Runs one activation vector against the core: `Ok` if the outcome and the outputs are
/// the declared ones.
pub fn run(v: &ActivationVector) -> Result<(), String> {
    if v.kind != "activation" {
        return Err(format!("kind {:?}", v.kind));
    }
    let challenge = unhex(&v.inputs.challenge, "challenge")?;
    let keys = v
        .inputs
        .device_keys
        .iter()
        .map(|k| {
            PublicKey::from_sec1(&unhex(k, "device key")?).ok_or_else(|| "not a point".to_owned())
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (scalar, key) in v.inputs.device_scalars.iter().zip(&keys) {
        if let Some(s) = scalar {
            let signer = P256Signer::from_scalar(&unhex(s, "scalar")?).ok_or("not a scalar")?;
            if signer.public_key() != *key {
                return Err("a scalar does not match its key".into());
            }
        }
    }
    let digest = activation::keys_digest(&keys);
    if hex::encode(digest) != v.outputs.keys_digest {
        return Err("keys_digest differs".into());
    }
    if hex::encode(activation::payload(
        &v.inputs.activation_id,
        &challenge,
        &digest,
    )) != v.outputs.payload
    {
        return Err("payload differs".into());
    }
    let proofs = v
        .inputs
        .proofs
        .iter()
        .map(|p| unhex(p, "proof"))
        .collect::<Result<Vec<_>, _>>()?;
    let got = activation::verify(
        &proofs,
        &v.inputs.activation_id,
        &challenge,
        &keys,
        &mlegit::P256Backend,
    );
    let e = &v.expected;
    match got {
        Ok(()) if e.result == "valid" => Ok(()),
        Ok(()) => Err(format!("accepted, expected {:?}", e.error)),
        Err(err) => {
            let (error, index, step, code) = describe(err);
            let want = (
                e.error.as_deref(),
                e.index,
                e.step.as_deref(),
                e.code.as_deref(),
            );
            if e.result == "invalid" && want == (Some(error), index, Some(step), code) {
                Ok(())
            } else {
                Err(format!("refused with {err:?}, expected {want:?}"))
            }
        }
    }
}

//! Every test vector run by the core in the rounds of `src/deferred.rs`, its signatures
//! answered by the native `p256` backend between rounds: each gives its declared outcome,
//! as with `p256` verifying in place, and settles within two rounds. `tests/vectors.mjs`
//! does the same through the WebAssembly build with WebCrypto answering.

use std::path::Path;

use mlegit::{P256Backend, PublicKey, SignatureBackend as _};
use mlegit_wasm::deferred::{ANSWER_LEN, Deferred};

#[test]
fn every_vector_settles_in_rounds_as_it_verifies_in_place() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-vectors");
    let mut count = 0;
    let mut asked = 0;
    for file in [
        "presentations.json",
        "status-lists.json",
        "requests.json",
        "responses.json",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for v in mlegit_vectors::read::parse(&text).unwrap().vectors {
            let mut answers: Vec<u8> = Vec::new();
            let mut rounds = 0;
            let outcome = loop {
                rounds += 1;
                assert!(rounds <= 2, "{}: more than two rounds", v.name);
                let backend = Deferred::new(&answers).unwrap();
                let outcome = mlegit_vectors::run_with(&v, &backend);
                let queries = backend.into_queries();
                if queries.is_empty() {
                    break outcome;
                }
                for q in queries {
                    let key = PublicKey::from_uncompressed(&q.key).unwrap();
                    answers.extend_from_slice(&q.id);
                    answers.push(u8::from(P256Backend.verify_es256(
                        &key,
                        &q.message,
                        &q.signature,
                    )));
                    asked += 1;
                }
                assert_eq!(answers.len() % ANSWER_LEN, 0);
            };
            assert_eq!(outcome, Ok(()), "{}", v.name);
            count += 1;
        }
    }
    assert!(count >= 186, "{count} vectors");
    // The vectors' signatures went through the rounds, not around them (145 today).
    assert!(asked >= 140, "{asked} signatures asked");
}

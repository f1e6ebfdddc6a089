//! Signatures verified by the host: the module's [`SignatureBackend`], which leaves the
//! P-256 arithmetic of ES256 to WebCrypto.
//!
//! WebCrypto's `verify` is asynchronous and the core's checks are not, so a check runs in
//! rounds. In a round the core runs as it always does, with a [`Deferred`] backend that
//! knows the answers of earlier rounds: a signature it knows it answers; one it does not
//! it records as a [`Query`] and answers "valid" for the moment. A round that recorded no
//! query is the result: every signature in it was answered by the host, so it is what the
//! core gives with any backend that answers as the host does (for WebCrypto, as
//! [`mlegit::P256Backend`]). A round that recorded queries is thrown away; the host
//! verifies them and runs the next round with their answers added. A check asks at most
//! a handful of signatures (a presentation two, a status list one, a signed request two),
//! so it settles in two or three rounds.
//!
//! Answers travel as records of 33 bytes: a query's [`Query::id`] and one byte, 1 for
//! valid and 0 for not. The module trusts them as it trusts the page that loads it.

use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;

use mlegit::{PublicKey, SignatureBackend};
use sha2::{Digest as _, Sha256};

/// The length of one answer record: a 32-byte query id and the answer byte.
pub const ANSWER_LEN: usize = 33;

/// One signature for the host to verify: ES256 by `key` over `message`. Its `Debug` shows
/// the id and the message's length only: the message holds the disclosed claims.
#[derive(Clone, PartialEq, Eq)]
pub struct Query {
    /// SHA-256 of `key || signature || message`: what the answer record names.
    pub id: [u8; 32],
    /// The public key, 65 bytes `0x04 || x || y` (WebCrypto's `raw` format).
    pub key: [u8; 65],
    /// The signed bytes (WebCrypto hashes them with SHA-256).
    pub message: Vec<u8>,
    /// `r || s`, 64 bytes (WebCrypto's ECDSA signature format).
    pub signature: [u8; 64],
}

/// A backend answering from earlier rounds' answers and recording what it cannot.
pub struct Deferred {
    answers: Vec<([u8; 32], bool)>,
    queries: RefCell<Vec<Query>>,
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query")
            .field("id", &self.id)
            .field("message_len", &self.message.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deferred")
            .field("answers", &self.answers.len())
            .field("queries", &self.queries.borrow())
            .finish()
    }
}

impl Deferred {
    /// A backend knowing `answers` (records of [`ANSWER_LEN`] bytes); `None` if their
    /// length is not a multiple of it or an answer byte is neither 0 nor 1.
    pub fn new(answers: &[u8]) -> Option<Self> {
        if !answers.len().is_multiple_of(ANSWER_LEN) {
            return None;
        }
        let answers = answers
            .chunks_exact(ANSWER_LEN)
            .map(|record| {
                let (id, answer) = record.split_at(32);
                let valid = match answer {
                    [0] => false,
                    [1] => true,
                    _ => return None,
                };
                Some((id.try_into().ok()?, valid))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            answers,
            queries: RefCell::new(Vec::new()),
        })
    }

    /// The signatures this round asked and no answer knew, each once, in the order asked.
    pub fn into_queries(self) -> Vec<Query> {
        self.queries.into_inner()
    }
}

/// By reference, so that a check's [`Verifier`](mlegit::Verifier) or
/// [`RequestChecker`](mlegit::RequestChecker) borrows the backend and the caller reads its
/// queries after.
impl SignatureBackend for &Deferred {
    fn verify_es256(&self, key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> bool {
        let key = key.to_sec1_uncompressed();
        let id: [u8; 32] = Sha256::new()
            .chain_update(key)
            .chain_update(signature)
            .chain_update(message)
            .finalize()
            .into();
        if let Some((_, valid)) = self.answers.iter().find(|(known, _)| *known == id) {
            return *valid;
        }
        let mut queries = self.queries.borrow_mut();
        if !queries.iter().any(|q| q.id == id) {
            queries.push(Query {
                id,
                key,
                message: message.to_vec(),
                signature: *signature,
            });
        }
        // Valid for this round only: a round that asked anything is not a result.
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mlegit::{P256Backend, P256Signer, Signer as _};

    fn answer(q: &Query, valid: bool) -> Vec<u8> {
        let mut record = q.id.to_vec();
        record.push(u8::from(valid));
        record
    }

    #[test]
    fn records_then_answers() {
        let signer = P256Signer::from_scalar(&[7; 32]).expect("a scalar below the order");
        let key = signer.public_key();
        let sig = signer.sign(b"message").expect("signs");
        let first = Deferred::new(&[]).expect("no answers");
        let backend = &first;
        assert!(backend.verify_es256(&key, b"message", &sig));
        assert!(backend.verify_es256(&key, b"message", &sig));
        assert!(backend.verify_es256(&key, b"other", &sig));
        let queries = first.into_queries();
        assert_eq!(queries.len(), 2, "each signature asked once");
        assert_eq!(queries[0].key, key.to_sec1_uncompressed());
        assert_eq!(queries[0].message, b"message");
        assert_eq!(queries[0].signature, sig);
        for q in &queries {
            let truth = P256Backend.verify_es256(
                &PublicKey::from_uncompressed(&q.key).expect("a point"),
                &q.message,
                &q.signature,
            );
            assert_eq!(truth, q.message == b"message");
        }
        let mut records = answer(&queries[0], true);
        records.extend(answer(&queries[1], false));
        let second = Deferred::new(&records).expect("two answers");
        assert!((&second).verify_es256(&key, b"message", &sig));
        assert!(!(&second).verify_es256(&key, b"other", &sig));
        assert!(second.into_queries().is_empty());
    }

    #[test]
    fn debug_shows_no_message() {
        let signer = P256Signer::from_scalar(&[7; 32]).expect("a scalar below the order");
        let sig = signer.sign(b"Kowalska").expect("signs");
        let d = Deferred::new(&[]).expect("no answers");
        assert!((&d).verify_es256(&signer.public_key(), b"Kowalska", &sig));
        let shown = format!("{d:?} {d:#?}");
        assert!(
            !shown.contains("Kowalska") && !shown.contains("75, 111, 119"),
            "{shown}"
        );
        assert!(shown.contains("message_len: 8"), "{shown}");
    }

    #[test]
    fn refuses_malformed_answers() {
        assert!(Deferred::new(&[0; 32]).is_none());
        assert!(Deferred::new(&[0; 34]).is_none());
        let mut record = [0u8; 33];
        record[32] = 2;
        assert!(Deferred::new(&record).is_none());
        record[32] = 1;
        assert!(Deferred::new(&record).is_some());
    }
}

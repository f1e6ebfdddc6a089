//! Relay load run (see README): starts the server on loopback in a temporary data directory,
//! raises the relay's per-address limits (every client here is 127.0.0.1), and runs whole
//! sessions from THREADS blocking clients for SECONDS: make a session (an unsigned online
//! request), look its code up, post a 2 KiB encrypted response, receive it. Prints sessions
//! per second, the p50 and p99 of one session's four round trips, and the errors.
//!
//! `cargo run --release -p mlegit-server --example relayload -- THREADS SECONDS`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use mlegit::online::{ResponseKey, SessionBinding};
use mlegit::{ClaimName, PresentationRequest};
use mlegit_client::Connector;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, threads, seconds] = args.as_slice() else {
        return Err("usage: relayload THREADS SECONDS".into());
    };
    let (threads, seconds): (usize, u64) = (threads.parse()?, seconds.parse()?);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    mlegit_server::init(&data)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut config = mlegit_server::Config::new(&data, "127.0.0.1:0".parse()?);
    config.relay_limits = mlegit_server::relay::Limits {
        code_lookups: u32::MAX,
        sessions: u32::MAX,
    };
    let server = rt.block_on(mlegit_server::start(config))?;
    let url = server.url().to_owned();

    // One request and one sealed answer for every session: the relay checks the envelope
    // (O1, O2), not the binding, so one ciphertext serves them all.
    let key = ResponseKey::generate(&mut rand::rng());
    let request = Arc::new(
        PresentationRequest {
            nonce: vec![7; 16],
            audience: "https://kino.example".into(),
            verifier_name: "Kino".into(),
            claims: vec![ClaimName::AgeOver18],
            created_at: 1_790_000_000,
            response_key: Some(key.public_key().clone()),
        }
        .to_vec(),
    );
    let sealed = Arc::new(mlegit::online::seal(
        key.public_key(),
        &SessionBinding {
            relay_origin: &url,
            session_id: &[0; 16],
            request_digest: &[0; 32],
        },
        &[0x5a; 2048],
        &mut rand::rng(),
    )?);

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (url, request, sealed) = (url.clone(), Arc::clone(&request), Arc::clone(&sealed));
            std::thread::spawn(move || {
                let relay = Connector::new()
                    .allow_plain_http(true)
                    .client(&url)
                    .unwrap();
                let (mut latencies, mut errors) = (Vec::new(), 0u64);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let ok = (|| -> Result<(), mlegit_client::ClientError> {
                        let session = relay.create_session(&request)?;
                        let fetched = relay.lookup_code(&session.code)?;
                        relay.post_response(&fetched.session_id, &sealed)?;
                        match relay.receive_response(&session, 0)? {
                            Some(r) if r == *sealed => Ok(()),
                            _ => Err(mlegit_client::ClientError::Protocol("no response")),
                        }
                    })();
                    match ok {
                        Ok(()) => latencies.push(t.elapsed()),
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.join().unwrap();
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "relay: {threads} threads, {elapsed:.1} s: {} sessions, {:.0} sessions/s, p50 {:.2} ms, p99 {:.2} ms (4 round trips each), {errors} errors, {} sessions left",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        pick(0.50),
        pick(0.99),
        server.relay_sessions()
    );
    rt.block_on(server.shutdown());
    if errors > 0 {
        return Err(format!("{errors} sessions failed").into());
    }
    Ok(())
}

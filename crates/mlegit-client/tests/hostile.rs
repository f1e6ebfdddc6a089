//! The client against servers that misbehave, on loopback: endless and oversized bodies,
//! a server that drips or never answers, TLS with a private CA, an untrusted certificate,
//! plain HTTP without permission. Each fake server is a thread with a real socket.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use mlegit_client::test_ca::TestCa;
use mlegit_client::{ClientError, Connector, MAX_STATUS_LIST, StatusListFetch};

/// A one-connection server: reads the request head, then lets `answer` write.
fn fake(answer: impl FnOnce(&mut TcpStream) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        read_head(&mut s);
        answer(&mut s);
    });
    addr
}

fn read_head(s: &mut impl std::io::Read) {
    let mut seen = Vec::new();
    let mut b = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
        seen.push(b[0]);
    }
}

fn plain() -> Connector {
    Connector::new().allow_plain_http(true)
}

fn status_from(addr: SocketAddr, connector: &Connector) -> Result<Vec<u8>, ClientError> {
    list(connector, &format!("http://{addr}/v1/status-lists/1"))
}

/// The token at `uri`, unconditionally.
fn list(connector: &Connector, uri: &str) -> Result<Vec<u8>, ClientError> {
    match connector.status_list(uri, None)? {
        StatusListFetch::Token { token, .. } => Ok(token),
        StatusListFetch::NotModified => panic!("304 to an unconditional request"),
    }
}

/// Writes until the client hangs up; returns how many bytes went out.
fn flood(s: &mut TcpStream, head: &[u8], piece: &[u8]) -> usize {
    let mut sent = 0;
    if s.write_all(head).is_err() {
        return 0;
    }
    while s.write_all(piece).is_ok() {
        sent += piece.len();
        if sent > 4 << 30 {
            break;
        }
    }
    sent
}

#[test]
fn an_endless_chunked_body_stops_at_the_cap() {
    let (tx, rx) = std::sync::mpsc::channel();
    let addr = fake(move |s| {
        let mut chunk = b"1000\r\n".to_vec();
        chunk.extend([0u8; 4096]);
        chunk.extend(b"\r\n");
        let sent = flood(
            s,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nTransfer-Encoding: chunked\r\n\r\n",
            &chunk,
        );
        tx.send(sent).unwrap();
    });
    let err = status_from(addr, &plain()).unwrap_err();
    assert!(
        matches!(err, ClientError::ResponseTooLarge { limit } if limit == MAX_STATUS_LIST),
        "{err:?}"
    );
    assert_eq!(err.code(), "input_too_large");
    // The client hung up after about the cap (plus what the socket buffers held).
    let sent = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(
        sent < 64 << 20,
        "the server sent {sent} bytes before the client hung up"
    );
}

#[test]
fn a_huge_content_length_is_refused_before_reading() {
    let addr = fake(|s| {
        let _ = flood(
            s,
            b"HTTP/1.1 200 OK\r\nContent-Length: 2147483648\r\n\r\n",
            &[0u8; 4096],
        );
    });
    let err = status_from(addr, &plain()).unwrap_err();
    assert!(
        matches!(err, ClientError::ResponseTooLarge { .. }),
        "{err:?}"
    );
}

#[test]
fn an_unframed_endless_body_stops_at_the_cap() {
    let addr = fake(|s| {
        let _ = flood(s, b"HTTP/1.0 200 OK\r\n\r\n", &[0u8; 4096]);
    });
    let err = status_from(addr, &plain()).unwrap_err();
    assert!(
        matches!(err, ClientError::ResponseTooLarge { .. }),
        "{err:?}"
    );
}

#[test]
fn an_endless_error_body_stops_at_the_error_cap() {
    let addr = fake(|s| {
        let _ = flood(
            s,
            b"HTTP/1.1 500 Oops\r\nContent-Type: application/problem+json\r\n\r\n",
            &[b' '; 4096],
        );
    });
    let err = status_from(addr, &plain()).unwrap_err();
    assert!(
        matches!(err, ClientError::ResponseTooLarge { limit } if limit == mlegit_client::MAX_ERROR_BODY),
        "{err:?}"
    );
}

#[test]
fn endless_headers_stop_at_the_head_cap() {
    let addr = fake(|s| {
        let _ = flood(s, b"HTTP/1.1 200 OK\r\n", b"X-Filler: aaaaaaaaaaaaaaaa\r\n");
    });
    let err = status_from(addr, &plain()).unwrap_err();
    assert!(matches!(err, ClientError::Malformed(_)), "{err:?}");
}

#[test]
fn a_dripping_server_is_cut_off_by_the_total_timeout() {
    let addr = fake(|s| {
        for b in b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
            .iter()
            .cycle()
        {
            if s.write_all(&[*b]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let connector = plain().total_timeout(Duration::from_secs(1));
    let err = status_from(addr, &connector).unwrap_err();
    assert!(matches!(err, ClientError::Timeout), "{err:?}");
}

#[test]
fn a_silent_server_is_cut_off_by_the_total_timeout() {
    let addr = fake(|_s| thread::sleep(Duration::from_secs(5)));
    let connector = plain().total_timeout(Duration::from_millis(500));
    let err = status_from(addr, &connector).unwrap_err();
    assert!(matches!(err, ClientError::Timeout), "{err:?}");
}

#[test]
fn plain_http_is_refused_unless_allowed() {
    let err = list(&Connector::new(), "http://127.0.0.1:9/v1/status-lists/1").unwrap_err();
    assert!(matches!(err, ClientError::PlainHttpRefused), "{err:?}");
    let err = mlegit_client::Client::new("http://127.0.0.1:9").unwrap_err();
    assert!(matches!(err, ClientError::PlainHttpRefused), "{err:?}");
    let err = list(&plain(), "http://127.0.0.1:1/v1/status-lists/1").unwrap_err();
    assert!(matches!(err, ClientError::Connect(_)), "{err:?}");
}

#[test]
fn a_list_is_fetched_at_its_uri_and_conditionally_with_its_etag() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let mut heads = Vec::new();
        for answer in [
            &b"HTTP/1.1 200 OK\r\nETag: \"t1\"\r\nCache-Control: public, max-age=600\r\nContent-Length: 3\r\n\r\nabc"[..],
            &b"HTTP/1.1 304 Not Modified\r\nETag: \"t1\"\r\nContent-Length: 0\r\n\r\n"[..],
        ] {
            let (mut s, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut b = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap() == 1 {
                head.push(b[0]);
            }
            s.write_all(answer).unwrap();
            heads.push(String::from_utf8(head).unwrap());
        }
        heads
    });
    let uri = format!("http://{addr}/issuer/lists/42");
    let first = plain().status_list(&uri, None).unwrap();
    assert_eq!(
        first,
        StatusListFetch::Token {
            token: b"abc".to_vec(),
            etag: Some("\"t1\"".into()),
            max_age: Some(600),
        }
    );
    let again = plain().status_list(&uri, Some("\"t1\"")).unwrap();
    assert_eq!(again, StatusListFetch::NotModified);
    let heads = server.join().unwrap();
    assert!(
        heads[0].starts_with("GET /issuer/lists/42 HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].contains(&format!("\r\nHost: {addr}\r\n")),
        "{}",
        heads[0]
    );
    assert!(
        !heads[0].to_ascii_lowercase().contains("if-none-match"),
        "{}",
        heads[0]
    );
    assert!(
        heads[1].contains("\r\nIf-None-Match: \"t1\"\r\n"),
        "{}",
        heads[1]
    );
}

/// A one-connection HTTPS server with the test CA's certificate.
fn tls_server(ca: &TestCa, body: &'static [u8]) -> SocketAddr {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(ca.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_slice(ca.key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        read_head(&mut tls);
        let _ = write!(
            tls,
            "HTTP/1.1 200 OK\r\nContent-Type: application/cbor\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = tls.write_all(body);
        tls.conn.send_close_notify();
        let _ = tls.flush();
    });
    addr
}

#[test]
fn https_with_a_private_ca_works_and_an_unknown_ca_does_not() {
    let ca = TestCa::new(&["localhost", "127.0.0.1"]).unwrap();
    let trusting = Connector::with_ca_pem(ca.ca_pem.as_bytes()).unwrap();

    let addr = tls_server(&ca, b"signed");
    let body = list(&trusting, &format!("https://{addr}/v1/status-lists/7")).unwrap();
    assert_eq!(body, b"signed");

    let addr = tls_server(&ca, b"signed");
    let url = format!("https://localhost:{}/v1/status-lists/7", addr.port());
    assert_eq!(list(&trusting, &url).unwrap(), b"signed");

    // The built-in roots do not know the test CA.
    let addr = tls_server(&ca, b"signed");
    let err = list(
        &Connector::new(),
        &format!("https://{addr}/v1/status-lists/7"),
    )
    .unwrap_err();
    assert!(matches!(err, ClientError::Tls(_)), "{err:?}");

    // Another CA's certificate for the same names is refused too.
    let other = TestCa::new(&["127.0.0.1"]).unwrap();
    let addr = tls_server(&other, b"signed");
    let err = list(&trusting, &format!("https://{addr}/v1/status-lists/7")).unwrap_err();
    assert!(matches!(err, ClientError::Tls(_)), "{err:?}");
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let ca = TestCa::new(&["issuer.example"]).unwrap();
    let trusting = Connector::with_ca_pem(ca.ca_pem.as_bytes()).unwrap();
    let addr = tls_server(&ca, b"x");
    let err = list(&trusting, &format!("https://{addr}/v1/status-lists/7")).unwrap_err();
    assert!(matches!(err, ClientError::Tls(_)), "{err:?}");
}

#[test]
fn ca_files_without_certificates_are_refused() {
    for pem in [
        &b""[..],
        b"not pem",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ] {
        assert!(
            matches!(
                Connector::with_ca_pem(pem),
                Err(ClientError::CaCertificates(_))
            ),
            "{}",
            String::from_utf8_lossy(pem)
        );
    }
}

/// A TCP relay to `upstream` that keeps every byte the client sent: what an observer on
/// the path sees of the request.
fn observed_relay(upstream: SocketAddr) -> (SocketAddr, std::sync::mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        let mut server = TcpStream::connect(upstream).unwrap();
        let (mut client_r, mut server_w) =
            (client.try_clone().unwrap(), server.try_clone().unwrap());
        let up = thread::spawn(move || {
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = client_r.read(&mut buf) {
                if n == 0 || server_w.write_all(&buf[..n]).is_err() {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            let _ = server_w.shutdown(std::net::Shutdown::Write);
            seen
        });
        let _ = std::io::copy(&mut server, &mut client);
        let _ = client.shutdown(std::net::Shutdown::Write);
        tx.send(up.join().unwrap()).unwrap();
    });
    (addr, rx)
}

#[test]
fn an_observer_of_https_sees_not_even_which_list_is_fetched() {
    // Over HTTPS the request line is encrypted.
    let ca = TestCa::new(&["127.0.0.1"]).unwrap();
    let (relay, seen) = observed_relay(tls_server(&ca, b"signed"));
    let trusting = Connector::with_ca_pem(ca.ca_pem.as_bytes()).unwrap();
    let body = list(&trusting, &format!("https://{relay}/v1/status-lists/4242")).unwrap();
    assert_eq!(body, b"signed");
    let seen = seen.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(!seen.is_empty());
    let text = String::from_utf8_lossy(&seen);
    for secret in ["4242", "/v1/status-lists"] {
        assert!(!text.contains(secret), "{secret} visible on the wire");
    }
    // The control: over plain HTTP the same observer reads both.
    let upstream = fake(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsigned");
    });
    let (relay, seen) = observed_relay(upstream);
    list(&plain(), &format!("http://{relay}/v1/status-lists/4242")).unwrap();
    let text = String::from_utf8(seen.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
    assert!(text.contains("/v1/status-lists/4242"), "{text}");
}

/// A `#` anywhere in a list URI, or a `?` before its last segment, is refused before any
/// connection (nothing listens on the address); the error names the rule.
#[test]
fn a_list_uri_with_a_fragment_is_refused_before_connecting() {
    for uri in [
        "http://127.0.0.1:9/lists/42#x",
        "http://127.0.0.1:9/lists#x/42",
        "http://127.0.0.1:9/lists?x=1/42",
    ] {
        match plain().status_list(uri, None) {
            Err(e @ ClientError::InvalidUrl(_)) => {
                assert_eq!(e.code(), "invalid_url");
                assert!(e.to_string().contains("query or a fragment"), "{e}");
            }
            other => panic!("{uri}: {other:?}"),
        }
    }
}

//! Load-run preparation (see README): registers N students at a running server, creates
//! their activations, fetches challenges, signs proofs, and writes one activation request
//! per line (`path<TAB>json`) for `loadtest/activate.lua`. Prints one status path.
//! First it times a class: 30 registrations with a photo each, one after the other, then
//! one batch of activation codes for those 30 (their printable page).
//!
//! `cargo run --release -p mlegit-server --example loadprep -- URL TOKEN N OUT [KEYS]`
//!
//! KEYS (default 1) is the batch each activation asks for (spec §19): that many device
//! keys and proofs per request, that many credentials per answer.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;

use base64::Engine as _;
use mlegit::P256Signer;
use mlegit_client::{Client, Connector};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (url, token, n, out, keys) = match args.as_slice() {
        [_, url, token, n, out] => (url, token, n, out, 1),
        [_, url, token, n, out, keys] => (url, token, n, out, keys.parse()?),
        _ => return Err("usage: loadprep URL TOKEN N OUT [KEYS]".into()),
    };
    let n: usize = n.parse()?;
    let http = Connector::new().allow_plain_http(true);
    let school = http.client(url)?.with_token(token);
    let phone = http.client(url)?;
    let img = image::RgbImage::from_fn(120, 160, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    let photo = base64::engine::general_purpose::STANDARD.encode(&png);
    let body = json!({
        "family_name": "Kowalska", "given_names": "Anna", "document_number": "SL-1",
        "issue_date": "2026-09-01", "expiry_date": "2030-09-30", "birth_date": "2008-03-14",
        "pesel": "08231412342", "address": "ul. Długa 1", "school_name": "LO",
        "school_address": "ul. Szkolna 2", "school_id": "RSPO 1", "photo": photo,
    });
    // A class of 30, timed: registrations with photos, then one batch of codes.
    let started = std::time::Instant::now();
    let mut class = Vec::new();
    for _ in 0..30 {
        let student = school.post_json("/v1/students", &body)?.success()?.json()?;
        class.push(
            student["student_id"]
                .as_str()
                .ok_or("student id")?
                .to_owned(),
        );
    }
    let registered = started.elapsed();
    // The batch's answer (30 cards with their QR codes) is larger than the client reads
    // from one response: a plain HTTP/1.1 exchange read to its end instead.
    let batch_body = json!({"class_name": "3B", "student_ids": class}).to_string();
    let started = std::time::Instant::now();
    let status = raw_post(url, token, "/v1/activation-batches", &batch_body)?;
    let batch = started.elapsed();
    if status != 201 {
        return Err(format!("batch: status {status}").into());
    }
    eprintln!(
        "class of 30: registered with photos in {:.1} ms, batch of 30 codes in {:.1} ms",
        registered.as_secs_f64() * 1e3,
        batch.as_secs_f64() * 1e3
    );
    // The same keys for every student: the server checks proofs and issues per
    // activation, and keeps no key across students.
    let devices: Vec<P256Signer> = (0..keys)
        .map(|i: u8| P256Signer::from_scalar(&[0x42u8.wrapping_add(i); 32]).ok_or("scalar"))
        .collect::<Result<_, _>>()?;
    let device: Vec<&dyn mlegit::Signer> =
        devices.iter().map(|d| d as &dyn mlegit::Signer).collect();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut first = None;
    for i in 0..n {
        let student = school.post_json("/v1/students", &body)?.success()?.json()?;
        let student = student["student_id"]
            .as_str()
            .ok_or("student id")?
            .to_owned();
        let a = school
            .post_json(&format!("/v1/students/{student}/activations"), &json!({}))?
            .success()?
            .json()?;
        let id = a["activation_id"].as_str().ok_or("activation id")?;
        let code = a["code"].as_str().ok_or("code")?;
        let challenge = phone.challenge(id)?;
        let req = Client::activation_body(id, code, &challenge, &device)?;
        if i == 0 {
            // One credential, so that the status list run has list 1 to fetch.
            phone.activate(id, code, &device)?;
            first = Some(id.to_owned());
        } else {
            writeln!(file, "/v1/activations/{id}/activate\t{req}")?;
        }
    }
    file.flush()?;
    eprintln!(
        "prepared {} activations; status list 1 made by {first:?}",
        n - 1
    );
    Ok(())
}

/// POSTs `body` to `path` at the plain-http `url` with a bearer token, reads the whole
/// answer (the connection is closed after it), and returns its status code.
fn raw_post(
    url: &str,
    token: &str,
    path: &str,
    body: &str,
) -> Result<u16, Box<dyn std::error::Error>> {
    use std::io::Read;
    let host = url.strip_prefix("http://").ok_or("a plain http:// URL")?;
    let mut stream = std::net::TcpStream::connect(host)?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let head = String::from_utf8_lossy(&answer[..answer.len().min(64)]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status line")?;
    Ok(status)
}

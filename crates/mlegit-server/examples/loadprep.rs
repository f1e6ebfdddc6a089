//! Load-run preparation (see README): registers N students at a running server, creates
//! their activations, fetches challenges, signs proofs, and writes one activation request
//! per line (`path<TAB>json`) for `loadtest/activate.lua`. Prints one status path.
//!
//! `cargo run --release -p mlegit-server --example loadprep -- URL TOKEN N OUT`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;

use base64::Engine as _;
use mlegit::P256Signer;
use mlegit_client::{Client, Connector};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, token, n, out] = args.as_slice() else {
        return Err("usage: loadprep URL TOKEN N OUT".into());
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
    let device = P256Signer::from_scalar(&[0x42; 32]).ok_or("scalar")?;
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

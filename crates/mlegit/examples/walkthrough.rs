//! The whole protocol in one run, printed step by step:
//! `cargo run -p mlegit --example walkthrough`.
//!
//! Keys are fixed so that the output is the same every time; a real issuer or phone
//! generates them with `P256Signer::generate(&mut rng)`.

use mlegit::{
    ClaimName, ClaimValue, Date, Issuer, P256Signer, PresentationRequest, Signer, StatusBits,
    StatusListContext, StatusListToken, StatusReference, StudentClaims, TrustList, Verifier,
    VerifyContext, Wallet,
};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn utc(seconds: u64) -> String {
    let date = Date::from_unix_seconds(seconds).map_or("?".into(), |d| {
        format!("{:02}-{:02}-{:04}", d.day(), d.month(), d.year())
    });
    let s = seconds % 86_400;
    format!(
        "{date} {:02}:{:02}:{:02} UTC",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now: u64 = 1_790_000_000;
    let issuer = Issuer::new(P256Signer::from_scalar(&[0x11; 32]).ok_or("scalar")?);
    let phone = P256Signer::from_scalar(&[0x22; 32]).ok_or("scalar")?;
    println!("1. issuer key id {}", hex(issuer.key_id()));

    let student = StudentClaims {
        family_name: "Kowalska".into(),
        given_names: "Anna Maria".into(),
        document_number: "SL/2026/000123".into(),
        issue_date: Date::new(2026, 9, 1).ok_or("date")?,
        expiry_date: Date::new(2027, 9, 30).ok_or("date")?,
        birth_date: Date::new(2008, 3, 14).ok_or("date")?,
        pesel: "08231412342".into(),
        address: "ul. Długa 1 m. 2, 00-238 Warszawa".into(),
        school_name: "XIV Liceum Ogólnokształcące".into(),
        school_address: "ul. Nowowiejska 37a, 02-010 Warszawa".into(),
        school_id: "RSPO 17541".into(),
        portrait: Some([&[0xff, 0xd8, 0xff, 0xe0][..], &[0u8; 2044]].concat()),
    };
    let issued = issuer
        .credential()
        .claims(student)
        .device_key(phone.public_key())
        .validity(mlegit::Validity::starting_at(now - 86_400, 366 * 86_400))
        .status(StatusReference {
            uri: "https://issuer.example/v1/status-lists/1".into(),
            index: 318_224,
        })
        .issue_with_secret(&[0x33; 16], &[0x44; 32])?;
    println!(
        "2. credential {} bytes, {} disclosures, id {}",
        issued.credential.len(),
        issued.disclosures.len(),
        hex(&issued.credential_id)
    );

    let wallet = Wallet::new(issued.credential.clone(), issued.disclosures, phone)?;
    let request = PresentationRequest {
        nonce: vec![0x55; 16],
        audience: "https://kino.example".into(),
        verifier_name: "Kino Muranów".into(),
        claims: vec![
            ClaimName::GivenNames,
            ClaimName::FamilyName,
            ClaimName::AgeOver18,
        ],
        created_at: now,
        response_key: None,
    };
    let qr = request.to_vec();
    println!("3. verifier request: {} bytes for the QR code", qr.len());

    let request = PresentationRequest::from_slice(&qr)?;
    let presentation = wallet.present(&request.claims, Some(&request), now + 4)?;
    println!(
        "4. phone presents {:?}: {} bytes",
        request.claims,
        presentation.len()
    );

    let mut trust = TrustList::new();
    trust.add(issuer.trusted_key(0, u64::MAX)).unwrap();
    let verifier = Verifier::new(trust);
    let verified = verifier.verify(
        &presentation,
        &VerifyContext::answering(now + 6, &request.nonce, &request.audience),
    )?;
    println!("5. VALID, presented {}", utc(verified.presented_at()));
    for (name, value) in verified.claims() {
        match value {
            ClaimValue::Text(t) => println!("   {name}: {t}"),
            other => println!("   {name}: {other:?}"),
        }
    }

    // The school revokes the ID (a lost phone): its bit in the status list flips, and
    // the issuer signs the whole list, which every verifier fetches alike.
    let mut entries = StatusBits::new(1 << 20, 1)?;
    entries.set(verified.status().index, 1)?;
    let token = issuer.status_list_token(&StatusListToken {
        uri: &verified.status().uri,
        bits: &entries,
        issued_at: now + 7,
        expires: now + 7 + 86_400,
        ttl: 43_200,
    })?;
    let list = verifier.verify_status_list(
        &token,
        &StatusListContext::for_presentation(now + 8, &verified),
    )?;
    let status = verifier.check_status(&list, verified.status(), now + 8)?;
    println!(
        "6. status list: entry {} of {} is {} (signed token of {} bytes)",
        verified.status().index,
        list.entries().len(),
        status.as_str(),
        token.len()
    );

    let tampered = {
        let mut p = presentation.clone();
        let last = p.len() - 1;
        p[last] ^= 1;
        p
    };
    let err = verifier
        .verify(
            &tampered,
            &VerifyContext::answering(now + 6, &request.nonce, &request.audience),
        )
        .err();
    println!("7. one bit flipped in the device signature: INVALID ({err:?})");
    Ok(())
}

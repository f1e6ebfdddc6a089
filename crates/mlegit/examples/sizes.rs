//! Prints the encoded sizes of a credential and of typical presentations:
//! `cargo run -p mlegit --example sizes`. The student and keys are the shared fixtures
//! of the test vectors.

use mlegit::{ClaimName, Issuer, Signer, StatusReference, Wallet, fixtures};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now: u64 = 1_790_000_000;
    let issuer = Issuer::new(fixtures::issuer_a().signer());
    let phone = fixtures::device().signer();
    for portrait in [None, Some(2048usize)] {
        let student = fixtures::student(portrait.map(fixtures::portrait));
        let issued = issuer
            .credential()
            .claims(student)
            .device_key(phone.public_key())
            .validity(mlegit::Validity::starting_at(now - 86_400, 366 * 86_400))
            .status(StatusReference {
                uri: "https://issuer.example/status".into(),
                index: 4711,
            })
            .issue_with_secret(&[0x33; 16], &[0x44; 32])?;
        let all: usize = issued.disclosures.iter().map(|d| d.as_bytes().len()).sum();
        let label = if portrait.is_some() {
            "with a 2048-byte portrait"
        } else {
            "without portrait"
        };
        println!(
            "credential, all {} claims {label}: {} bytes (credential) + {} bytes (all disclosures)",
            issued.disclosures.len(),
            issued.credential.len(),
            all
        );
        let wallet = Wallet::new(issued.credential, issued.disclosures, phone.clone())?;
        let mut pick = vec![
            ClaimName::GivenNames,
            ClaimName::FamilyName,
            ClaimName::AgeOver18,
        ];
        println!(
            "presentation, given + family name + age_over_18 (+ validity): {} bytes",
            wallet.present(&pick, None, now)?.len()
        );
        if portrait.is_some() {
            pick.push(ClaimName::Portrait);
            println!(
                "presentation, the same + portrait: {} bytes",
                wallet.present(&pick, None, now)?.len()
            );
        }
    }
    Ok(())
}

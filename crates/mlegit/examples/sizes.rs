//! Prints the encoded sizes of a credential and of typical presentations:
//! `cargo run -p mlegit --example sizes`.

use mlegit::{ClaimName, Date, Issuer, P256Signer, Signer, StatusReference, StudentClaims, Wallet};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now: u64 = 1_790_000_000;
    let issuer = Issuer::new(P256Signer::from_scalar(&[0x11; 32]).ok_or("scalar")?);
    let phone = P256Signer::from_scalar(&[0x22; 32]).ok_or("scalar")?;
    for portrait in [None, Some(2048usize)] {
        let student = StudentClaims {
            family_name: "Kowalska".into(),
            given_names: "Anna Maria".into(),
            document_number: "SL/2026/000123".into(),
            issue_date: Date::new(2026, 9, 1).ok_or("date")?,
            expiry_date: Date::new(2027, 9, 30).ok_or("date")?,
            birth_date: Date::new(2008, 3, 14).ok_or("date")?,
            pesel: "08231412342".into(),
            address: "ul. Długa 1 m. 2, 00-238 Warszawa".into(),
            school_name: "XIV Liceum Ogólnokształcące im. Stanisława Staszica".into(),
            school_address: "ul. Nowowiejska 37a, 02-010 Warszawa".into(),
            school_id: "RSPO 17541".into(),
            portrait: portrait.map(|n| [&[0xff, 0xd8, 0xff, 0xe0][..], &vec![0u8; n - 4]].concat()),
        };
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

//! A throwaway certificate authority for tests (feature `test-ca`): a CA certificate and
//! one server certificate it signed, for the names given, all as PEM. Never for
//! production: the keys exist only in memory and in the files a test writes.

/// A CA and a server certificate signed by it.
pub struct TestCa {
    /// The CA certificate (what a client trusts: `--ca FILE`).
    pub ca_pem: String,
    /// The server certificate (`--tls-cert FILE`).
    pub cert_pem: String,
    /// The server's private key, PKCS#8 (`--tls-key FILE`).
    pub key_pem: String,
}

impl core::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// A fresh CA and a server certificate for `names` (DNS names or IP addresses, e.g.
    /// `["localhost", "127.0.0.1"]`).
    pub fn new(names: &[&str]) -> Result<Self, rcgen::Error> {
        let ca_key = rcgen::KeyPair::generate()?;
        let mut ca_params = rcgen::CertificateParams::new(Vec::new())?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mlegit test CA");
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key)?;
        let key = rcgen::KeyPair::generate()?;
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mlegit test server");
        let cert = params.signed_by(&key, &ca)?;
        Ok(Self {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

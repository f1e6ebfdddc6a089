//! The JSON claims file `mlegit issue` reads: what a school registers about a student.
//!
//! ```json
//! { "family_name": "Kowalska", "given_names": "Anna Maria", "document_number": "SL-2026/0042",
//!   "issue_date": "2026-09-01", "expiry_date": "2027-09-30", "birth_date": "2008-03-14",
//!   "pesel": "08231412342", "address": "ul. Długa 1, 00-001 Warszawa",
//!   "school_name": "XIV Liceum Ogólnokształcące", "school_address": "ul. Szkolna 2, 00-002 Warszawa",
//!   "school_id": "RSPO 12345", "portrait": "anna.jpg" }
//! ```
//!
//! `portrait` is optional: a JPEG file, relative to the claims file. Unknown fields are refused.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use mlegit::{Date, StudentClaims};
use serde::Deserialize;

use crate::files;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsFile {
    family_name: String,
    given_names: String,
    document_number: String,
    issue_date: String,
    expiry_date: String,
    birth_date: String,
    pesel: String,
    address: String,
    school_name: String,
    school_address: String,
    school_id: String,
    #[serde(default)]
    portrait: Option<PathBuf>,
}

/// Reads a claims file; `portrait` (from `--portrait`) overrides the file's own.
pub fn read(path: &Path, portrait: Option<&Path>) -> Result<StudentClaims> {
    let text = files::read_text(path, "claims file", files::MAX_CLAIMS_FILE)?;
    let origin = path.display();
    let file: ClaimsFile =
        serde_json::from_str(&text).map_err(|e| anyhow!("claims file {origin}: {e}"))?;
    let date = |field: &str, value: &str| {
        Date::parse(value).ok_or_else(|| {
            anyhow!("claims file {origin}: field {field}: {value:?} is not a date YYYY-MM-DD")
        })
    };
    let portrait_path = match (portrait, &file.portrait) {
        (Some(p), _) => Some(p.to_path_buf()),
        (None, Some(p)) => Some(path.parent().unwrap_or(Path::new(".")).join(p)),
        (None, None) => None,
    };
    let portrait = match portrait_path {
        Some(p) => Some(files::read(
            &p,
            "portrait",
            mlegit::claims::MAX_PORTRAIT_LEN,
        )?),
        None => None,
    };
    Ok(StudentClaims {
        issue_date: date("issue_date", &file.issue_date)?,
        expiry_date: date("expiry_date", &file.expiry_date)?,
        birth_date: date("birth_date", &file.birth_date)?,
        family_name: file.family_name,
        given_names: file.given_names,
        document_number: file.document_number,
        pesel: file.pesel,
        address: file.address,
        school_name: file.school_name,
        school_address: file.school_address,
        school_id: file.school_id,
        portrait,
    })
}

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
use serde_json::Value;

use crate::files;

/// The date members of a claims file, named in an error about one.
const DATES: [&str; 3] = ["issue_date", "expiry_date", "birth_date"];

/// Reads a claims file; `portrait` (from `--portrait`) overrides the file's own.
///
/// The members are the core's `StudentClaims` in its serde form (the server stores
/// registrations in the same form); `portrait`, a file name, is taken out first.
pub fn read(path: &Path, portrait: Option<&Path>) -> Result<StudentClaims> {
    let text = files::read_text(path, "claims file", files::MAX_CLAIMS_FILE)?;
    let origin = path.display();
    let mut value: Value =
        serde_json::from_str(&text).map_err(|e| anyhow!("claims file {origin}: {e}"))?;
    let members = value
        .as_object_mut()
        .ok_or_else(|| anyhow!("claims file {origin}: not a JSON object"))?;
    let own_portrait = match members.remove("portrait") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(PathBuf::from(name)),
        Some(_) => return Err(anyhow!("claims file {origin}: portrait: not a file name")),
    };
    // A date that does not parse is named (serde's message would not say which member).
    for field in DATES {
        if let Some(Value::String(v)) = members.get(field)
            && Date::parse(v).is_none()
        {
            return Err(anyhow!(
                "claims file {origin}: field {field}: {v:?} is not a date YYYY-MM-DD"
            ));
        }
    }
    let mut claims: StudentClaims =
        serde_json::from_value(value).map_err(|e| anyhow!("claims file {origin}: {e}"))?;
    let portrait_path = match (portrait, own_portrait) {
        (Some(p), _) => Some(p.to_path_buf()),
        (None, Some(p)) => Some(path.parent().unwrap_or(Path::new(".")).join(p)),
        (None, None) => None,
    };
    claims.portrait = match portrait_path {
        Some(p) => Some(files::read(
            &p,
            "portrait",
            mlegit::claims::MAX_PORTRAIT_LEN,
        )?),
        None => None,
    };
    Ok(claims)
}

//! The claims of the school ID, schema v1 (spec §11): names, value types and validation.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::cbor::{Encoder, Value};

/// Longest text claim, in bytes of UTF-8.
pub const MAX_TEXT_LEN: usize = 256;
/// Largest portrait, in bytes.
pub const MAX_PORTRAIT_LEN: usize = 16384;

macro_rules! claim_names {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// A claim of schema v1.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ClaimName { $( $(#[$doc])* $variant, )* }

        impl ClaimName {
            /// Every claim of schema v1, in registry order.
            pub const ALL: &'static [ClaimName] = &[ $( ClaimName::$variant, )* ];

            /// The claim name as it appears in a disclosure.
            pub fn as_str(self) -> &'static str {
                match self { $( ClaimName::$variant => $name, )* }
            }

            /// The claim with this name, if schema v1 defines it.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $( $name => Some(ClaimName::$variant), )* _ => None }
            }
        }
    };
}

claim_names! {
    /// Family name (surname).
    FamilyName = "family_name",
    /// Given names.
    GivenNames = "given_names",
    /// Number of the paper school ID.
    DocumentNumber = "document_number",
    /// Issue date of the paper school ID.
    IssueDate = "issue_date",
    /// Expiry date of the paper school ID.
    ExpiryDate = "expiry_date",
    /// Always "student" in schema v1.
    HolderStatus = "holder_status",
    /// Date of birth.
    BirthDate = "birth_date",
    /// The Polish national identification number.
    Pesel = "pesel",
    /// Home address.
    Address = "address",
    /// Name of the school.
    SchoolName = "school_name",
    /// Address of the school.
    SchoolAddress = "school_address",
    /// Identifier of the school (for example its RSPO number).
    SchoolId = "school_id",
    /// Low-resolution JPEG portrait.
    Portrait = "portrait",
    /// At least 13 years old at issuance.
    AgeOver13 = "age_over_13",
    /// At least 16 years old at issuance.
    AgeOver16 = "age_over_16",
    /// At least 18 years old at issuance.
    AgeOver18 = "age_over_18",
}

impl fmt::Display for ClaimName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A claim value of a type schema v1 allows.
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub enum ClaimValue {
    /// A text claim (names, document number, PESEL, addresses, school id, holder status).
    Text(String),
    /// A date claim.
    Date(Date),
    /// The portrait (JPEG bytes).
    Bytes(Vec<u8>),
    /// An age claim (always `true`).
    Bool(bool),
}

/// Shows the kind and size of a value, never the value: texts are names, the PESEL and
/// addresses, dates include the birth date, bytes are the portrait. A log line that
/// formats a verified presentation with `{:?}` carries no personal data. The age claims
/// show their value, which is always `true` (spec §11.6).
impl fmt::Debug for ClaimValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimValue::Text(t) => write!(f, "Text(<{} bytes>)", t.len()),
            ClaimValue::Date(_) => f.write_str("Date(<redacted>)"),
            ClaimValue::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
            ClaimValue::Bool(b) => write!(f, "Bool({b})"),
        }
    }
}

impl ClaimValue {
    /// Writes the value's CBOR encoding.
    pub(crate) fn encode(&self, e: &mut Encoder) {
        match self {
            ClaimValue::Text(t) => {
                e.text(t);
            }
            ClaimValue::Date(d) => {
                e.text(d.to_string_ymd().as_str());
            }
            ClaimValue::Bytes(b) => {
                e.bytes(b);
            }
            ClaimValue::Bool(b) => {
                e.bool(*b);
            }
        }
    }

    /// The text, if this is a text claim.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ClaimValue::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The date, if this is a date claim.
    pub fn as_date(&self) -> Option<Date> {
        match self {
            ClaimValue::Date(d) => Some(*d),
            _ => None,
        }
    }

    /// The bytes, if this is the portrait.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            ClaimValue::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// Checks a decoded value against the type schema v1 gives `name` (spec §11) and converts it.
// X9 (spec §6.6, §11): the rule of each claim.
pub fn validate(name: ClaimName, value: &Value<'_>) -> Option<ClaimValue> {
    use ClaimName::*;
    match name {
        FamilyName | GivenNames | DocumentNumber | Address | SchoolName | SchoolAddress
        | SchoolId => {
            let t = value.as_text()?;
            valid_text(t).then(|| ClaimValue::Text(t.into()))
        }
        HolderStatus => (value.as_text()? == HOLDER_STATUS_STUDENT)
            .then(|| ClaimValue::Text(HOLDER_STATUS_STUDENT.into())),
        IssueDate | ExpiryDate | BirthDate => Date::parse(value.as_text()?).map(ClaimValue::Date),
        Pesel => {
            let t = value.as_text()?;
            pesel_birth_date(t).map(|_| ClaimValue::Text(t.into()))
        }
        Portrait => {
            let b = value.as_bytes()?;
            valid_portrait(b).then(|| ClaimValue::Bytes(b.to_vec()))
        }
        AgeOver13 | AgeOver16 | AgeOver18 => {
            (value == &Value::Bool(true)).then_some(ClaimValue::Bool(true))
        }
    }
}

/// The one holder status of schema v1.
pub const HOLDER_STATUS_STUDENT: &str = "student";

/// A text claim (spec §11.2): 1 to 256 bytes, none of them an excluded code point
/// ([`is_excluded_from_text`]).
pub fn valid_text(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_TEXT_LEN && clean_text(text)
}

/// A code point that no text value holds (spec §11.2): general category Cc (terminal
/// escapes, carriage return, newline), U+2028 LINE SEPARATOR and U+2029 PARAGRAPH
/// SEPARATOR (categories Zl and Zp: newlines by another name), and the bidirectional
/// embedding, override and isolate controls U+202A..=U+202E and U+2066..=U+2069, which
/// reorder what a screen shows. Other format characters (zero-width joiners, soft hyphens)
/// are allowed; displays escape them (spec §14.12).
pub fn is_excluded_from_text(c: char) -> bool {
    // U+2028..=U+202E is U+2028, U+2029, then the five embedding and override controls.
    c.is_control() || matches!(c, '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text without excluded code points ([`is_excluded_from_text`]), of any length: the rule of
/// text claims, the status URI, and the request's and presentation's audience and
/// verifier name.
pub fn clean_text(text: &str) -> bool {
    !text.chars().any(is_excluded_from_text)
}

/// A portrait: at most 16 KiB and starting with the JPEG start-of-image marker.
pub fn valid_portrait(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && bytes.len() <= MAX_PORTRAIT_LEN && bytes.starts_with(&[0xff, 0xd8, 0xff])
}

/// A calendar date (proleptic Gregorian), years 1800 to 2299.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date, if it exists and its year is within 1800..=2299.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        if !(1800..=2299).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let num = |range: core::ops::Range<usize>| -> Option<u16> {
            b.get(range)?.iter().try_fold(0u16, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
            })
        };
        let year = num(0..4)?;
        let month = u8::try_from(num(5..7)?).ok()?;
        let day = u8::try_from(num(8..10)?).ok()?;
        Self::new(year, month, day)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// `YYYY-MM-DD`.
    pub fn to_string_ymd(self) -> String {
        alloc::format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil, in the form of the public-domain description.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The UTC date of a NumericDate, if its year is within range.
    pub fn from_unix_seconds(seconds: u64) -> Option<Self> {
        let days = i64::try_from(seconds / 86_400).ok()?;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
    }

    /// The anniversary of this date `years` later; 29 February becomes 1 March in a
    /// common year (spec §11.7).
    pub fn anniversary(self, years: u16) -> Option<Self> {
        let year = self.year.checked_add(years)?;
        Self::new(year, self.month, self.day).or_else(|| Self::new(year, 3, 1))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
                Date::parse(v).ok_or_else(|| E::custom("not a date as YYYY-MM-DD"))
            }
        }
        d.deserialize_str(Visit)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Validates a PESEL (spec §11.4) and returns the birth date it encodes.
///
/// Eleven ASCII digits; the check digit is `(10 - (sum of digit_i * weight_i) mod 10) mod 10`
/// with weights 1, 3, 7, 9, 1, 3, 7, 9, 1, 3; the month carries the century
/// (+80 for the 1800s, +0 1900s, +20 2000s, +40 2100s, +60 2200s).
pub fn pesel_birth_date(pesel: &str) -> Option<Date> {
    const WEIGHTS: [u16; 10] = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let bytes = pesel.as_bytes();
    if bytes.len() != 11 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digit = |i: usize| bytes.get(i).map_or(0, |b| u16::from(b - b'0'));
    let sum: u16 = WEIGHTS.iter().enumerate().map(|(i, w)| digit(i) * w).sum();
    if (10 - sum % 10) % 10 != digit(10) {
        return None;
    }
    let yy = digit(0) * 10 + digit(1);
    let mm = digit(2) * 10 + digit(3);
    let dd = digit(4) * 10 + digit(5);
    let (century, month) = match mm {
        81..=92 => (1800, mm - 80),
        1..=12 => (1900, mm),
        21..=32 => (2000, mm - 20),
        41..=52 => (2100, mm - 40),
        61..=72 => (2200, mm - 60),
        _ => return None,
    };
    Date::new(
        century + yy,
        u8::try_from(month).ok()?,
        u8::try_from(dd).ok()?,
    )
}

/// What a school registers about a student: the issuer's input for one credential.
///
/// `Debug` shows which fields are set, never their values. With the `serde` feature it
/// is a serde type with exactly the eleven text and date members (dates as
/// `"YYYY-MM-DD"`, unknown members refused); the portrait, bytes kept apart by every user
/// (the server's photo, the command's portrait file), is not part of that form.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct StudentClaims {
    /// Family name.
    pub family_name: String,
    /// Given names.
    pub given_names: String,
    /// Number of the paper school ID.
    pub document_number: String,
    /// Issue date of the paper school ID.
    pub issue_date: Date,
    /// Expiry date of the paper school ID.
    pub expiry_date: Date,
    /// Date of birth.
    pub birth_date: Date,
    /// PESEL.
    pub pesel: String,
    /// Home address.
    pub address: String,
    /// School name.
    pub school_name: String,
    /// School address.
    pub school_address: String,
    /// School identifier.
    pub school_id: String,
    /// Low-resolution JPEG portrait, if there is one.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub portrait: Option<Vec<u8>>,
}

/// The rule a [`StudentClaims`] breaks ([`StudentClaims::check`]). It names the member,
/// never its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimsError {
    /// `issue_date` is after `expiry_date`.
    DatesReversed,
    /// The PESEL is not 11 digits with a valid check digit and a real date of birth.
    InvalidPesel,
    /// The PESEL's date of birth is not `birth_date`.
    PeselBirthDateMismatch,
    /// A text member is empty, longer than 256 bytes, or holds a control character.
    InvalidText(ClaimName),
    /// The portrait is not a JPEG of at most 16 KiB (spec §11.5).
    InvalidPortrait,
}

impl fmt::Display for ClaimsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimsError::DatesReversed => f.write_str("issue_date is after expiry_date"),
            ClaimsError::InvalidPesel => f.write_str("pesel is not a valid PESEL"),
            ClaimsError::PeselBirthDateMismatch => {
                f.write_str("the PESEL's date of birth is not birth_date")
            }
            ClaimsError::InvalidText(name) => write!(f, "{} is not valid text", name.as_str()),
            ClaimsError::InvalidPortrait => f.write_str("portrait is not a JPEG of at most 16 KiB"),
        }
    }
}

impl core::error::Error for ClaimsError {}

impl From<ClaimsError> for crate::IssueError {
    fn from(e: ClaimsError) -> Self {
        use crate::IssueError;
        match e {
            ClaimsError::DatesReversed => IssueError::DocumentDatesReversed,
            ClaimsError::InvalidPesel => IssueError::InvalidClaim(ClaimName::Pesel),
            ClaimsError::PeselBirthDateMismatch => IssueError::PeselBirthDateMismatch,
            ClaimsError::InvalidText(name) => IssueError::InvalidClaim(name),
            ClaimsError::InvalidPortrait => IssueError::InvalidClaim(ClaimName::Portrait),
        }
    }
}

impl fmt::Debug for StudentClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StudentClaims")
            .field("portrait", &self.portrait.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl StudentClaims {
    /// The registration rules, in this order, the first broken one answered: the dates'
    /// order, the PESEL (valid, then its date of birth equal to `birth_date`), each text
    /// member in declaration order ([`valid_text`]), then the portrait if there is one
    /// ([`valid_portrait`]). The reference server checks a registration with this (and
    /// answers absent members as missing where this finds them), and [`to_claims`] before
    /// it issues.
    ///
    /// [`to_claims`]: StudentClaims::to_claims
    pub fn check(&self) -> Result<(), ClaimsError> {
        use ClaimName::*;
        if self.issue_date > self.expiry_date {
            return Err(ClaimsError::DatesReversed);
        }
        match pesel_birth_date(&self.pesel) {
            None => return Err(ClaimsError::InvalidPesel),
            Some(d) if d != self.birth_date => return Err(ClaimsError::PeselBirthDateMismatch),
            Some(_) => {}
        }
        for (name, text) in [
            (FamilyName, &self.family_name),
            (GivenNames, &self.given_names),
            (DocumentNumber, &self.document_number),
            (Address, &self.address),
            (SchoolName, &self.school_name),
            (SchoolAddress, &self.school_address),
            (SchoolId, &self.school_id),
        ] {
            if !valid_text(text) {
                return Err(ClaimsError::InvalidText(name));
            }
        }
        if self.portrait.as_deref().is_some_and(|p| !valid_portrait(p)) {
            return Err(ClaimsError::InvalidPortrait);
        }
        Ok(())
    }

    /// The claims to issue at `iat` (spec §11.7), after [`check`](StudentClaims::check):
    /// every registered field, holder status "student", and the age claims that are true
    /// on the UTC date of `iat`.
    pub fn to_claims(&self, iat: u64) -> Result<Vec<(ClaimName, ClaimValue)>, crate::IssueError> {
        use crate::IssueError;
        use ClaimName::*;
        self.check()?;
        let text = |name: ClaimName, t: &String| (name, ClaimValue::Text(t.clone()));
        let mut claims = Vec::with_capacity(16);
        claims.push(text(FamilyName, &self.family_name));
        claims.push(text(GivenNames, &self.given_names));
        claims.push(text(DocumentNumber, &self.document_number));
        claims.push((IssueDate, ClaimValue::Date(self.issue_date)));
        claims.push((ExpiryDate, ClaimValue::Date(self.expiry_date)));
        claims.push((HolderStatus, ClaimValue::Text(HOLDER_STATUS_STUDENT.into())));
        claims.push((BirthDate, ClaimValue::Date(self.birth_date)));
        claims.push(text(Pesel, &self.pesel));
        claims.push(text(Address, &self.address));
        claims.push(text(SchoolName, &self.school_name));
        claims.push(text(SchoolAddress, &self.school_address));
        claims.push(text(SchoolId, &self.school_id));
        if let Some(portrait) = &self.portrait {
            claims.push((Portrait, ClaimValue::Bytes(portrait.clone())));
        }
        let today = Date::from_unix_seconds(iat).ok_or(IssueError::InvalidValidityWindow)?;
        for (years, name) in [(13, AgeOver13), (16, AgeOver16), (18, AgeOver18)] {
            if self
                .birth_date
                .anniversary(years)
                .is_some_and(|d| d <= today)
            {
                claims.push((name, ClaimValue::Bool(true)));
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pesel_checksum_and_century() {
        // check digits computed by hand: 0+6+14+63+0+24+0+27+6+6 = 146 -> 4
        assert_eq!(pesel_birth_date("02070803628"), Date::new(1902, 7, 8));
        assert_eq!(pesel_birth_date("02270803624"), Date::new(2002, 7, 8));
        assert_eq!(pesel_birth_date("02270803625"), None, "wrong check digit");
        assert_eq!(pesel_birth_date("0227080362"), None, "ten digits");
        assert_eq!(pesel_birth_date("0227080362a"), None);
        assert_eq!(pesel_birth_date("02223103627"), None, "31 February");
    }

    #[test]
    fn dates_round_trip_through_epoch_days() {
        for (y, m, d, days) in [(1970, 1, 1, 0), (2000, 3, 1, 11_017), (1969, 12, 31, -1)] {
            let date = Date::new(y, m, d).unwrap();
            assert_eq!(date.days_since_epoch(), days);
        }
        let date = Date::from_unix_seconds(1_767_225_599).unwrap(); // 2025-12-31T23:59:59Z
        assert_eq!(date, Date::new(2025, 12, 31).unwrap());
        assert_eq!(Date::parse("2024-02-29"), Date::new(2024, 2, 29));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2023-2-28"), None);
        assert_eq!(Date::parse("+023-02-28"), None);
    }

    #[test]
    fn leap_day_birthdays_fall_on_first_of_march() {
        let born = Date::new(2008, 2, 29).unwrap();
        assert_eq!(born.anniversary(18), Date::new(2026, 3, 1));
        assert_eq!(born.anniversary(16), Date::new(2024, 2, 29));
    }

    #[test]
    fn text_claims_exclude_control_characters() {
        assert!(valid_text("Kowalska-Nowak Zażółć"));
        assert!(!valid_text(""));
        assert!(!valid_text("a\u{1b}[31m"));
        assert!(!valid_text("a\u{85}"));
        assert!(!valid_text(&"x".repeat(257)));
    }

    #[test]
    fn text_claims_exclude_separators_and_bidi_controls() {
        for c in [
            '\u{2028}', '\u{2029}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
        ] {
            assert!(
                !valid_text(&alloc::format!("Kowalska{c}Nowak")),
                "{:x}",
                c as u32
            );
        }
        for c in ['\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'] {
            assert!(!valid_text(&alloc::format!("Anna{c}")), "{:x}", c as u32);
        }
        // The neighbours of the excluded ranges, and other format characters, stay allowed.
        for c in [
            '\u{2027}', '\u{202f}', '\u{2065}', '\u{206a}', '\u{200d}', '\u{ad}',
        ] {
            assert!(
                valid_text(&alloc::format!("Anna{c}Maria")),
                "{:x}",
                c as u32
            );
        }
        assert!(!clean_text("a\u{2029}"));
        assert!(clean_text(""));
    }
}

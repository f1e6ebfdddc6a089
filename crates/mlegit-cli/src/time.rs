//! Time: the verifier's clock, time arguments, and the Polish display of spec §16.

use anyhow::{Context as _, Result, bail};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The zone every time is shown in: Polish local time, daylight saving included.
pub const ZONE: &str = "Europe/Warsaw";

/// The current time in NumericDate seconds.
pub fn now() -> u64 {
    u64::try_from(Timestamp::now().as_second()).unwrap_or(0)
}

/// `--now` if given, else the clock.
pub fn now_or(arg: Option<u64>) -> u64 {
    arg.unwrap_or_else(now)
}

/// Parses a time argument: NumericDate seconds (`1790000000`) or an RFC 3339 timestamp
/// with its offset (`2026-09-21T12:00:00Z`, `2026-09-21T14:00:00+02:00`).
pub fn parse_time(text: &str) -> Result<u64> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(seconds);
    }
    let ts: Timestamp = text.parse().with_context(|| {
        format!("{text:?} is neither seconds since 1970 nor an RFC 3339 time such as 2026-09-21T12:00:00Z")
    })?;
    u64::try_from(ts.as_second()).or_else(|_| bail!("{text:?} is before 1970"))
}

/// The Warsaw time zone, from the database compiled into the binary (no system files).
fn warsaw() -> Option<TimeZone> {
    TimeZone::get(ZONE).ok()
}

/// `DD-MM-YYYY HH:MM:SS` in Polish local time (spec §16); `None` if out of range.
pub fn warsaw_time(seconds: u64) -> Option<String> {
    let ts = Timestamp::from_second(i64::try_from(seconds).ok()?).ok()?;
    let zoned = ts.to_zoned(warsaw()?);
    Some(zoned.strftime("%d-%m-%Y %H:%M:%S").to_string())
}

/// [`warsaw_time`], or the raw seconds when the time cannot be shown.
pub fn show(seconds: u64) -> String {
    warsaw_time(seconds).unwrap_or_else(|| format!("{seconds} (seconds since 1970)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples_in_warsaw_time() {
        // spec §16: winter (CET, +01:00) and summer (CEST, +02:00)
        assert_eq!(
            warsaw_time(1_700_000_000).as_deref(),
            Some("14-11-2023 23:13:20")
        );
        assert_eq!(
            warsaw_time(1_720_000_000).as_deref(),
            Some("03-07-2024 11:46:40")
        );
    }

    #[test]
    fn daylight_saving_boundaries() {
        // 2025-03-30 01:00:00Z: clocks go from 02:00 CET to 03:00 CEST
        assert_eq!(
            warsaw_time(1_743_296_399).as_deref(),
            Some("30-03-2025 01:59:59")
        );
        assert_eq!(
            warsaw_time(1_743_296_400).as_deref(),
            Some("30-03-2025 03:00:00")
        );
        // 2025-10-26 01:00:00Z: 03:00 CEST back to 02:00 CET
        assert_eq!(
            warsaw_time(1_761_440_399).as_deref(),
            Some("26-10-2025 02:59:59")
        );
        assert_eq!(
            warsaw_time(1_761_440_400).as_deref(),
            Some("26-10-2025 02:00:00")
        );
    }

    #[test]
    fn time_arguments() {
        assert_eq!(parse_time("1700000000").ok(), Some(1_700_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z").ok(), Some(1_700_000_000));
        assert_eq!(
            parse_time("2023-11-14T23:13:20+01:00").ok(),
            Some(1_700_000_000)
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("1969-12-31T23:59:59Z").is_err());
    }
}

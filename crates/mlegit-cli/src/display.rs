//! Text from outside, made safe and unambiguous for a screen (spec §14.12).
//!
//! Claim values, a request's verifier name and audience, and a status URI come from
//! issuers and verifiers the person at the screen may not trust. The spec keeps control
//! characters, line breaks and bidirectional overrides out of them, but allows other
//! format characters (zero-width joiners and spaces, directional marks, soft hyphens) and
//! unassigned code points, which are invisible or look like something else. Each of those
//! is shown as an escape such as `\u{200d}`; so are private-use code points and anything
//! the spec excludes, in case such a value gets this far, and a backslash is doubled so
//! that an escape on the screen always means an escaped code point.

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_general_category::{GeneralCategory, get_general_category};

/// Whether `c` is shown as an escape.
fn hidden(c: char) -> bool {
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    )
}

/// `text` with every hidden code point as `\u{...}`, `\` as `\\` and `"` as `\"` (so
/// that a quoted name cannot end its quotes early and pass for what follows them);
/// borrowed when nothing needed escaping.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c == '\\' || c == '"' || hidden(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if c == '"' {
            out.push_str("\\\"");
        } else if hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Draws `payload` as a QR code with half-block characters, indented.
pub fn qr_code(payload: &str) -> anyhow::Result<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(payload.as_bytes())
        .map_err(|e| anyhow::anyhow!("drawing the QR code: {e}"))?;
    // Light modules drawn, dark ones blank: reads as a normal QR code on a dark terminal.
    let drawing = code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    Ok(drawing
        .lines()
        .map(|l| format!("    {l}\n"))
        .collect::<String>())
}

/// `payload` as a QR code in SVG (dark modules on white, a quiet zone).
pub fn qr_svg(payload: &str) -> anyhow::Result<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(payload.as_bytes())
        .map_err(|e| anyhow::anyhow!("drawing the QR code: {e}"))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn invisible_and_reordering_code_points_become_escapes() {
        assert_eq!(visible("Anna Maria Kowalska"), "Anna Maria Kowalska");
        assert_eq!(
            visible("Kino\" (verified by authority 00) \"x"),
            "Kino\\\" (verified by authority 00) \\\"x"
        );
        assert_eq!(visible("Żółć-Ęą ĄŚ"), "Żółć-Ęą ĄŚ");
        assert_eq!(visible("Ann\u{200d}a"), "Ann\\u{200d}a");
        assert_eq!(
            visible("a\u{200b}b\u{feff}c\u{ad}d"),
            "a\\u{200b}b\\u{feff}c\\u{ad}d"
        );
        assert_eq!(visible("\u{202e}kinO"), "\\u{202e}kinO");
        assert_eq!(visible("x\u{2066}y\u{2069}"), "x\\u{2066}y\\u{2069}");
        assert_eq!(
            visible("one\u{2028}two\u{2029}"),
            "one\\u{2028}two\\u{2029}"
        );
        assert_eq!(visible("e\u{1b}[31m\r\n"), "e\\u{1b}[31m\\u{d}\\u{a}");
        assert_eq!(
            visible("\u{200e}\u{200f}\u{61c}"),
            "\\u{200e}\\u{200f}\\u{61c}"
        );
        assert_eq!(visible("priv\u{e000}"), "priv\\u{e000}");
        // Unassigned in every Unicode version so far (the last code points of plane 2).
        assert_eq!(visible("\u{2fffe}"), "\\u{2fffe}");
        // A backslash is doubled, so that a typed "\u{200d}" cannot pass for an escape.
        assert_eq!(visible("a\\u{200d}"), "a\\\\u{200d}");
    }
}

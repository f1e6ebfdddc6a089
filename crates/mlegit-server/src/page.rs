//! QR codes (SVG) and the printable class page of activation cards.
//!
//! The page is for school staff in Poland: Polish by default, English on request. It is
//! laid out for A4 in millimetres so that a print matches the screen: ten cards of
//! 85 x 54 mm (the size of a bank card) to a page, each with its own dashed border, and
//! everything on a card in boxes of fixed size, so that a long name cannot push the code
//! off the card. `tests/print.rs` prints it with Chromium and measures that.

use mlegit::Date;
use qrcode::QrCode;
use qrcode::render::svg;

/// An SVG QR code of `payload`; `None` if the payload does not fit in a QR code.
pub fn qr_svg(payload: &str) -> Option<String> {
    let code = QrCode::new(payload.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build(),
    )
}

/// One card of the class page.
#[derive(Debug, Clone)]
pub struct Card {
    /// The student's name as registered, family name first (shown so the teacher hands
    /// out the right card; cut after two lines).
    pub name: String,
    /// The student's id.
    pub student_id: String,
    /// The one-time code.
    pub code: String,
    /// The QR payload.
    pub qr_payload: String,
    /// Expiry, NumericDate seconds.
    pub expires_at: u64,
}

/// The language of the class page: the `lang` of a batch request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// `pl`, the default: the staff who print the page are Polish.
    #[default]
    Polish,
    /// `en`.
    English,
}

impl Lang {
    /// The language of a BCP 47 tag the page speaks (`pl`, `en`).
    pub fn from_tag(tag: &str) -> Option<Self> {
        match tag {
            "pl" => Some(Self::Polish),
            "en" => Some(Self::English),
            _ => None,
        }
    }

    /// The tag, as put into `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Polish => "pl",
            Self::English => "en",
        }
    }

    fn text(self) -> &'static Text {
        match self {
            Self::Polish => &POLISH,
            Self::English => &ENGLISH,
        }
    }
}

/// Every fixed text of the page, in one language.
struct Text {
    title: &'static str,
    class: &'static str,
    cards: &'static str,
    cut: &'static str,
    student_id: &'static str,
    code: &'static str,
    valid_until: &'static str,
    utc: &'static str,
    scan: &'static str,
    /// Shows a UTC time in the language's convention.
    time: fn(Date, u64) -> String,
}

const POLISH: Text = Text {
    title: "Kody aktywacji mLegitymacji",
    class: "Klasa",
    cards: "liczba kart",
    cut: "Wytnij karty wzdłuż linii przerywanych i wręcz każdemu uczniowi kartę z jego \
          imieniem i nazwiskiem. Każdego kodu można użyć tylko raz; chroń go jak hasło.",
    student_id: "ID ucznia",
    code: "Kod aktywacji",
    valid_until: "Ważny do",
    utc: "(czasu UTC)",
    scan: "Zeskanuj kod QR w aplikacji i wpisz kod aktywacji. \
           Kod działa jeden raz; nie pokazuj go nikomu.",
    // DD-MM-YYYY HH:MM, as dates are written in Poland.
    time: |d, minutes| {
        format!(
            "{:02}-{:02}-{:04} {:02}:{:02}",
            d.day(),
            d.month(),
            d.year(),
            minutes / 60,
            minutes % 60
        )
    },
};

const ENGLISH: Text = Text {
    title: "mLegitymacja activation codes",
    class: "Class",
    cards: "cards",
    cut: "Cut along the dashed lines and give each student the card with their name. \
          Each code works once; keep it private.",
    student_id: "Student ID",
    code: "Activation code",
    valid_until: "Valid until",
    utc: "UTC",
    scan: "Scan the QR code in the app, then type the activation code. \
           It works once; show it to no one.",
    // YYYY-MM-DD HH:MM: no reader takes it for another day.
    time: |d, minutes| {
        format!(
            "{} {:02}:{:02}",
            d.to_string_ymd(),
            minutes / 60,
            minutes % 60
        )
    },
};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `seconds` in UTC, to the minute, in the convention of `text`; empty if out of range.
///
/// The server holds no time-zone database, so the page says UTC rather than guess at
/// Warsaw's offset.
fn utc_time(text: &Text, seconds: u64) -> String {
    Date::from_unix_seconds(seconds)
        .map(|d| (text.time)(d, seconds % 86_400 / 60))
        .unwrap_or_default()
}

/// The page's style. A4 with 8 mm margins leaves 194 x 281 mm: two columns of 85 mm and
/// five rows of 54 mm with 2 mm between rows (278 mm). Inside a card (border 0.3 mm,
/// padding 3 mm: 78.4 x 47.4 mm) every block has a fixed height and hides what overflows,
/// so nothing moves the code or the validity line.
const STYLE: &str = concat!(
    "@page{size:A4;margin:8mm}",
    "*{box-sizing:border-box}",
    "html,body{margin:0;padding:0}",
    "body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;font-size:9pt;",
    "color:#000;-webkit-print-color-adjust:exact;print-color-adjust:exact}",
    "header{width:176mm;margin:0 0 4mm}",
    "h1{font-size:15pt;margin:0 0 1.5mm}",
    "header p{margin:0 0 1mm;overflow-wrap:anywhere}",
    ".cards{display:grid;grid-template-columns:85mm 85mm;grid-auto-rows:54mm;",
    "column-gap:6mm;row-gap:2mm}",
    ".card{width:85mm;height:54mm;border:0.3mm dashed #000;padding:3mm;overflow:hidden;",
    "break-inside:avoid;page-break-inside:avoid;display:grid;",
    "grid-template-columns:45.4mm 30mm;column-gap:3mm;grid-template-rows:30mm 17.4mm}",
    ".who{overflow:hidden}",
    ".cls{font-size:7pt;height:3.5mm;line-height:3.5mm;overflow:hidden;white-space:nowrap;",
    "text-overflow:ellipsis}",
    // Two lines of name at most, cut with an ellipsis.
    ".name{font-weight:bold;font-size:10pt;line-height:4.2mm;height:8.4mm;",
    "overflow:hidden;overflow-wrap:anywhere;margin:0.5mm 0 2mm;",
    "display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;line-clamp:2}",
    ".label{font-size:8pt;height:3.8mm;line-height:3.8mm}",
    ".code{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:13pt;",
    "font-weight:bold;height:6mm;line-height:6mm;white-space:nowrap}",
    ".card svg{width:30mm;height:30mm;display:block}",
    ".foot{grid-column:1/3;overflow:hidden;padding-top:1.5mm;font-size:7pt;line-height:3mm}",
    ".foot p{margin:0}",
    ".valid{font-size:8pt;font-weight:bold;height:3.6mm;line-height:3.6mm}",
    ".scan{height:6mm;overflow:hidden}",
    ".sid{font-family:'DejaVu Sans Mono','Liberation Mono',monospace;font-size:6.5pt;",
    "height:3mm;white-space:nowrap;overflow:hidden;color:#333}",
);

/// The printable page: a heading, then one cut-out card per student with the class, the
/// name, the QR code, the code and its validity.
pub fn class_page(class_name: &str, cards: &[Card], lang: Lang) -> String {
    let t = lang.text();
    let class = escape(class_name);
    let mut html = String::with_capacity(4096 + cards.len() * 8192);
    html.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <title>{}: {} {class}</title><style>{STYLE}</style></head><body>\n\
         <header><h1>{}</h1><p><strong>{} {class}</strong>, {}: {}</p><p>{}</p></header>\n\
         <div class=\"cards\">\n",
        lang.tag(),
        t.title,
        t.class,
        t.title,
        t.class,
        t.cards,
        cards.len(),
        t.cut,
    ));
    for card in cards {
        let svg = qr_svg(&card.qr_payload).unwrap_or_default();
        html.push_str(&format!(
            "<div class=\"card\"><div class=\"who\"><div class=\"cls\">{} {class}</div>\
             <div class=\"name\">{}</div><div class=\"label\">{}:</div>\
             <div class=\"code\">{}</div></div>{svg}<div class=\"foot\">\
             <p class=\"valid\">{} {} {}</p><p class=\"scan\">{}</p>\
             <p class=\"sid\">{}: {}</p></div></div>\n",
            t.class,
            escape(&card.name),
            t.code,
            escape(&card.code),
            t.valid_until,
            utc_time(t, card.expires_at),
            t.utc,
            t.scan,
            t.student_id,
            escape(&card.student_id),
        ));
    }
    html.push_str("</div></body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn card() -> Card {
        Card {
            name: "Anna <b>Kowalska</b>".into(),
            student_id: "0123abcd".into(),
            code: "1234-5678-9012".into(),
            qr_payload: "http://127.0.0.1:8080/v1/activations/00".into(),
            // 2026-10-21T08:53:20Z
            expires_at: 1_792_572_800,
        }
    }

    #[test]
    fn polish_by_default_with_polish_dates() {
        let html = class_page("2B & co", &[card()], Lang::default());
        assert!(html.contains("<html lang=\"pl\">"));
        for text in [
            "Kody aktywacji mLegitymacji",
            "Klasa 2B &amp; co",
            "Wytnij karty wzdłuż linii przerywanych",
            "Kod aktywacji:",
            "Ważny do 21-10-2026 08:53 (czasu UTC)",
        ] {
            assert!(html.contains(text), "{text}");
        }
        assert!(!html.contains("Cut along"));
    }

    #[test]
    fn english_on_request() {
        let html = class_page("2B", &[card()], Lang::from_tag("en").unwrap());
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("Cut along the dashed lines"));
        assert!(html.contains("Valid until 2026-10-21 08:53 UTC"));
        assert!(!html.contains("Wytnij"));
        assert_eq!(Lang::from_tag("de"), None);
    }

    #[test]
    fn user_text_is_escaped() {
        let html = class_page("<script>", &[card()], Lang::Polish);
        assert!(!html.contains("<script>") && !html.contains("<b>"));
        assert!(html.contains("Klasa &lt;script&gt;"));
        assert!(html.contains("Anna &lt;b&gt;Kowalska&lt;/b&gt;"));
    }

    #[test]
    fn times_out_of_range_show_nothing() {
        assert_eq!(utc_time(&POLISH, u64::MAX), "");
        assert_eq!(utc_time(&POLISH, 0), "01-01-1970 00:00");
    }
}

//! QR codes (SVG) and the printable class page of activation cards.

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
    /// The student's name as registered (shown so the teacher hands out the right card).
    pub name: String,
    /// The student's id.
    pub student_id: String,
    /// The one-time code.
    pub code: String,
    /// The QR payload.
    pub qr_payload: String,
    /// Expiry, `YYYY-MM-DD` (UTC).
    pub expires: String,
}

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

/// The printable page: one cut-out card per student, with the QR code and the code.
pub fn class_page(class_name: &str, cards: &[Card]) -> String {
    let mut html = String::with_capacity(4096 + cards.len() * 8192);
    html.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"pl\"><head><meta charset=\"utf-8\">",
        "<title>mLegitymacja activation codes</title><style>",
        "body{font-family:sans-serif;margin:1cm}",
        ".card{display:inline-block;width:8.5cm;height:5.5cm;border:1px dashed #555;",
        "margin:2mm;padding:3mm;vertical-align:top;page-break-inside:avoid;box-sizing:border-box}",
        ".card svg{float:right;width:3.8cm;height:3.8cm}",
        ".code{font-family:monospace;font-size:14pt;letter-spacing:1px}",
        "small{color:#444}</style></head><body>\n"
    ));
    html.push_str(&format!(
        "<h1>Class {}: activation codes</h1>\n<p>Cut along the dashed lines. Each code works once; \
         keep it private.</p>\n",
        escape(class_name)
    ));
    for card in cards {
        let svg = qr_svg(&card.qr_payload).unwrap_or_default();
        html.push_str(&format!(
            "<div class=\"card\">{svg}<strong>{}</strong><br><small>id {}</small><br><br>\
             Activation code:<br><span class=\"code\">{}</span><br><br>\
             <small>Valid until {} (UTC). Scan the QR code in the app, then type the code.</small></div>\n",
            escape(&card.name),
            escape(&card.student_id),
            escape(&card.code),
            escape(&card.expires),
        ));
    }
    html.push_str("</body></html>\n");
    html
}

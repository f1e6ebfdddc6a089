//! The printable class page, printed to A4 by headless Chromium: every card's text (the
//! code and its validity line included) lies inside the card's dashed border, and no card
//! is split across pages. Issue 10: the page used to print the code below the border, so
//! cutting along the line cut the code away.
//!
//! How the border is measured: the test adds two absolutely positioned marker words to
//! each card (`::before` at the top left and `::after` at the bottom right of the card's
//! padding box, that is the inside of its border). Absolutely positioned boxes take no
//! room, so the page lays out as it would without them. `pdftotext -bbox` then gives the
//! box of every word in the PDF, markers included.
//!
//! Needs Chromium and pdftotext (Debian packages `chromium` and `poppler-utils`). Without
//! them the test fails when `CI` is set and is skipped, saying why, otherwise. `CHROMIUM`
//! names another Chromium binary; `PRINT_TEST_OUT=DIR` keeps each PDF (without the
//! markers) in DIR to look at.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use mlegit_server::app::MAX_BATCH;
use mlegit_server::page::{self, Card, Lang};
use serde_json::json;

/// The words the test adds inside each card's border, numbered from 1 by a CSS counter.
const MARKERS: &str = concat!(
    "<style>.card{position:relative;counter-increment:printtest}",
    ".card::before,.card::after{position:absolute;font:4pt/1 monospace;color:#000}",
    ".card::before{content:\"CARDTL\" counter(printtest);left:0;top:0}",
    ".card::after{content:\"CARDBR\" counter(printtest);right:0;bottom:0}</style></head>"
);

/// First activation validity: 30 days from the harness clock, 2026-10-21T14:13:20Z.
const EXPIRES_AT: u64 = T0 + 30 * 86_400;

#[test]
fn a_printed_class_keeps_every_code_inside_its_card() {
    let Some(tools) = Tools::find() else { return };
    let h = Harness::new();
    let school = h.school("LO");
    // 13 students: a full first page and part of a second; one name long enough to wrap.
    let mut ids = Vec::new();
    for i in 0..13 {
        let mut claims = claims_with_photo();
        if i == 4 {
            claims["given_names"] = json!("Anna Maria Konstancja Aleksandra Bożena");
            claims["family_name"] = json!("Kowalska-Wiśniewska-Grzegrzółka");
        }
        let r = school.post_json("/v1/students", &claims).unwrap();
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        ids.push(r.json().unwrap()["student_id"].as_str().unwrap().to_owned());
    }
    let html = class_page(&school, &json!({"class_name": "2B", "student_ids": ids}));
    let codes = codes_in(&html);
    assert_eq!(codes.len(), ids.len(), "one code per student in the page");
    // Each card: its student's id, code and validity date (Polish date, server time in UTC).
    let expected: Vec<Vec<String>> = ids
        .iter()
        .zip(&codes)
        .map(|(id, code)| {
            vec![
                id.clone(),
                code.clone(),
                "21-10-2026".into(),
                "14:13".into(),
            ]
        })
        .collect();
    tools.check("class", &html, &expected);
}

#[test]
fn the_largest_batch_with_the_longest_names_prints_inside_its_cards() {
    let Some(tools) = Tools::find() else { return };
    // Names and class at the registration limit (256 bytes each), words without breaks.
    let given = "W".repeat(256);
    let family = "Ż".repeat(128);
    let class_name = "Ł".repeat(128);
    let cards: Vec<Card> = (0..MAX_BATCH)
        .map(|i| {
            let id = format!("{i:032x}");
            Card {
                name: format!("{given} {family}"),
                qr_payload: format!(
                    "https://legitymacja.szkola.example.edu.pl/v1/activations/{id}"
                ),
                student_id: id,
                code: format!("{i:04}-{:04}-{:04}", 9999 - i, i * 7),
                expires_at: EXPIRES_AT,
            }
        })
        .collect();
    let expected: Vec<Vec<String>> = cards
        .iter()
        .map(|c| vec![c.student_id.clone(), c.code.clone(), "21-10-2026".into()])
        .collect();
    tools.check(
        "largest",
        &page::class_page(&class_name, &cards, Lang::Polish),
        &expected,
    );
}

/// The activation codes in the page, `1234-5678-9012`, in order.
fn codes_in(html: &str) -> Vec<String> {
    let b = html.as_bytes();
    let is_code = |w: &[u8]| {
        w.iter().enumerate().all(|(i, c)| {
            if i % 5 == 4 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
    };
    let mut codes = Vec::new();
    let mut i = 0;
    while i + 14 <= b.len() {
        let before = i.checked_sub(1).and_then(|j| b.get(j));
        let after = b.get(i + 14);
        let bounded = |c: Option<&u8>| c.is_none_or(|c| !c.is_ascii_digit() && *c != b'-');
        if is_code(&b[i..i + 14]) && bounded(before) && bounded(after) {
            codes.push(html[i..i + 14].to_owned());
            i += 14;
        } else {
            i += 1;
        }
    }
    codes
}

struct Tools {
    chromium: PathBuf,
}

impl Tools {
    /// The tools, or `None` (skip) when one is missing outside CI; in CI a missing tool fails.
    fn find() -> Option<Self> {
        let chromium = std::env::var_os("CHROMIUM")
            .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
        let mut missing = Vec::new();
        if !chromium.is_file() {
            missing.push(format!("{} (Debian: chromium)", chromium.display()));
        }
        let pdftotext = Command::new("pdftotext")
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if pdftotext.is_err() {
            missing.push("pdftotext (Debian: poppler-utils)".to_owned());
        }
        if missing.is_empty() {
            return Some(Self { chromium });
        }
        let missing = missing.join(", ");
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set and the print test needs {missing}"
        );
        eprintln!("skipped: the print test needs {missing}");
        None
    }

    /// Prints `html` to A4 and asserts: card n (from 1) holds every word of `expected[n-1]`,
    /// each of those words appears once in the whole print, each card lies on one page, and
    /// every word of the print lies inside a card, except the heading above the first card.
    fn check(&self, name: &str, html: &str, expected: &[Vec<String>]) {
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        if let Some(out) = std::env::var_os("PRINT_TEST_OUT") {
            let unmarked = self.print(dir.path(), html).1;
            std::fs::copy(unmarked, Path::new(&out).join(format!("{name}.pdf"))).unwrap();
        }
        let marked = html.replacen("</head>", MARKERS, 1);
        assert_ne!(marked, html, "the page has a </head>");
        let (words, _) = self.print(dir.path(), &marked);
        eprintln!(
            "printed {} cards in {:.1} s",
            expected.len(),
            started.elapsed().as_secs_f64()
        );

        let marker = |prefix: &str, n: usize| {
            let text = format!("{prefix}{n}");
            let found: Vec<&Word> = words.iter().filter(|w| w.text == text).collect();
            assert_eq!(found.len(), 1, "{text} once in the print");
            found[0]
        };
        let cards: Vec<Rect> = (1..=expected.len())
            .map(|n| {
                let (tl, br) = (marker("CARDTL", n), marker("CARDBR", n));
                assert_eq!(tl.page, br.page, "card {n} is split across pages");
                let r = Rect {
                    page: tl.page,
                    x0: tl.x0,
                    y0: tl.y0,
                    x1: br.x1,
                    y1: br.y1,
                };
                assert!(r.x1 - r.x0 > 100.0 && r.y1 - r.y0 > 50.0, "card {n}: {r:?}");
                r
            })
            .collect();
        let printed = words
            .iter()
            .filter(|w| w.text.starts_with("CARDTL"))
            .count();
        assert_eq!(printed, expected.len(), "cards printed");

        for (n, (card, wanted)) in cards.iter().zip(expected).enumerate() {
            for text in wanted {
                let hits: Vec<&Word> = words.iter().filter(|w| &w.text == text).collect();
                let inside = hits.iter().filter(|w| card.holds(w)).count();
                assert!(
                    inside >= 1,
                    "card {}: {text:?} not inside the border {card:?}; found at {hits:?}",
                    n + 1
                );
            }
            // The student's id and code are on their own card only.
            for text in &wanted[..2] {
                let count = words.iter().filter(|w| &w.text == text).count();
                assert_eq!(count, 1, "card {}: {text:?} printed once", n + 1);
            }
        }

        let first = cards.first().expect("at least one card");
        for w in &words {
            let heading = w.page == first.page && w.y1 <= first.y0;
            assert!(
                heading || cards.iter().any(|c| c.holds(w)),
                "{w:?} lies outside every card's border"
            );
        }
    }

    /// The words of the PDF Chromium prints from `html`, with their boxes in points, and
    /// the PDF's path.
    fn print(&self, dir: &Path, html: &str) -> (Vec<Word>, PathBuf) {
        let page = dir.join("page.html");
        let pdf = dir.join("page.pdf");
        std::fs::write(&page, html).unwrap();
        let log = std::fs::File::create(dir.join("chromium.log")).unwrap();
        let mut child = Command::new(&self.chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("chromium did not finish printing within 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let log = std::fs::read_to_string(dir.join("chromium.log")).unwrap_or_default();
        assert!(
            status.success() && pdf.is_file(),
            "chromium: {status}\n{log}"
        );
        let out = Command::new("pdftotext")
            .arg("-bbox")
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        assert!(out.status.success(), "pdftotext: {}", out.status);
        let words = parse_bbox(&String::from_utf8(out.stdout).unwrap());
        assert!(!words.is_empty(), "no text in the PDF");
        (words, pdf)
    }
}

#[derive(Debug)]
struct Word {
    page: usize,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    text: String,
}

/// The inside of a card's border on one page, in points from the page's top left.
#[derive(Debug)]
struct Rect {
    page: usize,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn holds(&self, w: &Word) -> bool {
        // Font boxes may reach a hair beyond the line box: allow a quarter point.
        const SLACK: f64 = 0.25;
        w.page == self.page
            && w.x0 >= self.x0 - SLACK
            && w.y0 >= self.y0 - SLACK
            && w.x1 <= self.x1 + SLACK
            && w.y1 <= self.y1 + SLACK
    }
}

/// The `<word>` elements of `pdftotext -bbox` output, numbered by their `<page>`.
fn parse_bbox(xhtml: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut page = 0;
    let mut rest = xhtml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with("page ") {
            page += 1;
        } else if rest.starts_with("word ") {
            let end = rest.find('>').unwrap();
            let tag = &rest[..end];
            let close = rest.find("</word>").unwrap();
            let attr = |name: &str| -> f64 {
                let key = format!("{name}=\"");
                let from = tag.find(&key).unwrap() + key.len();
                let len = tag[from..].find('"').unwrap();
                tag[from..from + len].parse().unwrap()
            };
            words.push(Word {
                page,
                x0: attr("xMin"),
                y0: attr("yMin"),
                x1: attr("xMax"),
                y1: attr("yMax"),
                text: rest[end + 1..close].to_owned(),
            });
            rest = &rest[close..];
        }
    }
    words
}

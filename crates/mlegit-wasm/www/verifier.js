// The browser verifier (issue 15): asks for claims through the relay of the server that
// serves this page (spec §18.7), with a session key made by WebCrypto and never
// extractable, opens the phone's answer and verifies it here with the WebAssembly core
// (crates/mlegit-wasm), its signatures and AES-GCM by WebCrypto through mlegit.js. Nothing
// is stored; the result is wiped after FORGET_AFTER seconds.
import init, * as wasm from "./mlegit_wasm.js";
import { withWebCrypto } from "./mlegit.js";

const FORGET_AFTER = 180;
const ZONE = "Europe/Warsaw";
const T = {
  pl: {
    title: "Weryfikacja legitymacji szkolnej", now: "Teraz", ask: "O co prosisz?",
    claims: "Dane, które uczeń pokaże", name: "Nazwa, którą zobaczy uczeń", start: "Pokaż kod",
    file: "albo sprawdź plik prezentacji (wybierz go lub upuść na stronę)", wait: "Kod dla ucznia",
    type: "Uczeń wpisuje ten kod w aplikacji:", until: "Ważny do", cancel: "Anuluj",
    again: "Nowa weryfikacja", footer: "Sprawdzane na tym urządzeniu. Nic nie jest zapisywane.",
    valid: "WAŻNA", invalid: "NIEWAŻNA", presented: "Okazana", status: "Status",
    notRevoked: "nie unieważniona (lista z {t})", revoked: "unieważniona",
    unchecked: "nie sprawdzono", couldNot: "nie udało się sprawdzić",
    forget: "Dane znikną o {t}.", expired: "Sesja wygasła bez odpowiedzi.",
    qr: "Kod QR do zeskanowania w aplikacji",
    "c.given_names": "Imiona", "c.family_name": "Nazwisko", "c.age_over_18": "Ukończone 18 lat",
    "c.age_over_13": "Ukończone 13 lat", "c.portrait": "Zdjęcie", "c.holder_status": "Status ucznia",
    "c.school_name": "Szkoła", yes: "tak", no: "nie", lang: "English",
    "e.presentation_too_old": "prezentacja jest za stara", "e.credential_expired": "legitymacja wygasła",
    "e.issuer_signature_invalid": "podpis wydawcy się nie zgadza",
    "e.device_signature_invalid": "podpis telefonu się nie zgadza",
    "e.disclosure_digest_mismatch": "dane zostały zmienione",
    "e.unknown_key_id": "nieznany wydawca", "e.nonce_mismatch": "to odpowiedź na inne pytanie",
    "e.response_undecryptable": "nie da się odczytać odpowiedzi",
    "e.cbor_malformed": "uszkodzony plik", "e.cose_malformed": "uszkodzony plik",
  },
  en: {
    title: "School ID check", now: "Now", ask: "What do you ask for?",
    claims: "What the student will show", name: "The name the student will see", start: "Show a code",
    file: "or check a presentation file (pick it or drop it on the page)", wait: "Code for the student",
    type: "The student types this code in the app:", until: "Valid until", cancel: "Cancel",
    again: "New check", footer: "Checked on this device. Nothing is stored.",
    valid: "VALID", invalid: "INVALID", presented: "Presented", status: "Status",
    notRevoked: "not revoked (list of {t})", revoked: "revoked",
    unchecked: "not checked", couldNot: "could not check",
    forget: "The data goes at {t}.", expired: "The session ended without an answer.",
    qr: "QR code to scan in the app",
    "c.given_names": "Given names", "c.family_name": "Family name", "c.age_over_18": "Aged 18 or over",
    "c.age_over_13": "Aged 13 or over", "c.portrait": "Portrait", "c.holder_status": "Student status",
    "c.school_name": "School", yes: "yes", no: "no", lang: "Polski",
    "e.presentation_too_old": "the presentation is too old", "e.credential_expired": "the ID has expired",
    "e.issuer_signature_invalid": "the issuer's signature does not match",
    "e.device_signature_invalid": "the phone's signature does not match",
    "e.disclosure_digest_mismatch": "the data was changed",
    "e.unknown_key_id": "unknown issuer", "e.nonce_mismatch": "it answers another request",
    "e.response_undecryptable": "the answer cannot be opened",
    "e.cbor_malformed": "a damaged file", "e.cose_malformed": "a damaged file",
  },
};
let lang = "pl";
const t = (k, v) => (T[lang][k] ?? T.en[k] ?? k).replace("{t}", v ?? "");
const $ = (id) => document.getElementById(id);

/// DD-MM-YYYY HH:MM:SS in Warsaw time (spec §16), from seconds since the epoch.
function warsaw(seconds) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    }).formatToParts(new Date(seconds * 1000)).map((p) => [p.type, p.value]),
  );
  return `${parts.day}-${parts.month}-${parts.year} ${parts.hour}:${parts.minute}:${parts.second}`;
}
const now = () => Math.floor(Date.now() / 1000);
const b64urlBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("lang").textContent = t("lang");
  $("lang").lang = lang === "pl" ? "en" : "pl";
}

let trust = null;
let session = null; // {abort, key, x, y, nonce, audience, request, sid, token}
let portraitUrl = null;
let forgetTimer = null;

async function trustList() {
  if (!trust) {
    const r = await fetch("/v1/trust-list");
    if (!r.ok) throw new Error(`trust list: ${r.status}`);
    trust = new Uint8Array(await r.arrayBuffer());
  }
  return trust;
}

function show(section) {
  for (const id of ["ask", "wait", "result"]) $(id).hidden = id !== section;
}

async function start(event) {
  event.preventDefault();
  $("ask-error").textContent = "";
  const claims = [...document.querySelectorAll("input[name=claim]:checked")].map((c) => c.value);
  try {
    await trustList();
    // The session key: WebCrypto, not extractable; only its public point leaves it.
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const s = {
      key: pair.privateKey, x: raw.slice(1, 33), y: raw.slice(33),
      nonce: crypto.getRandomValues(new Uint8Array(16)), audience: location.origin,
      abort: new AbortController(),
    };
    const made = mlegit.makeRequest({
      nonce: s.nonce, audience: s.audience, verifierName: $("verifier-name").value, claims,
      createdAt: now(), responseKeyX: s.x, responseKeyY: s.y,
    });
    if (!made.ok) throw new Error(made.error);
    s.request = made.request;
    const r = await fetch("/v1/sessions", { method: "POST", body: s.request, headers: { "content-type": "application/cbor" } });
    const created = await r.json();
    if (!r.ok) throw new Error(created.code ?? r.status);
    s.sid = created.session_id;
    s.token = created.receive_token;
    session = s;
    $("code").textContent = `${created.code.slice(0, 3)} ${created.code.slice(3)}`;
    $("code").dataset.code = created.code;
    $("until").textContent = warsaw(created.expires_at);
    // The engagement URI of spec §18.1 (a QR's content), for an https relay only: the
    // phone checks the key digest in its fragment against the request's key (E2).
    if (location.protocol === "https:") {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw)).slice(0, 16);
      const b64url = (b) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      const uri = `${location.origin}/v1/sessions/${s.sid}#${b64url(digest)}`;
      $("engagement").textContent = uri;
      drawQr(uri);
    } else {
      $("engagement").textContent = "";
      $("qr").replaceChildren();
    }
    show("wait");
    await receive(s);
  } catch (e) {
    if (e.name !== "AbortError") {
      show("ask");
      $("ask-error").textContent = String(e.message ?? e);
    }
  }
}

async function receive(s) {
  for (;;) {
    const r = await fetch(`/v1/sessions/${s.sid}/response?wait=25`, {
      headers: { authorization: `Bearer ${s.token}` }, signal: s.abort.signal,
    });
    if (r.status === 204) continue;
    if (r.status === 404) {
      show("ask");
      $("ask-error").textContent = t("expired");
      return;
    }
    if (!r.ok) throw new Error(`relay: ${r.status}`);
    const answer = new Uint8Array(await r.arrayBuffer());
    session = null;
    await showAnswer(s, answer);
    return;
  }
}

/// HPKE open with the WebCrypto key (spec §18.3), then P1–P14 and the status list.
async function showAnswer(s, answer) {
  const at = now();
  const enc = mlegit.responseEnc(answer);
  if (!enc.ok) return render({ ok: false, error: enc.error }, at);
  let pkE;
  try {
    pkE = await crypto.subtle.importKey("raw", enc.enc, { name: "ECDH", namedCurve: "P-256" }, false, []);
  } catch {
    return render({ ok: false, error: "response_undecryptable" }, at);
  }
  const dh = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: pkE }, s.key, 256));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", s.request));
  const opened = await mlegit.openWithSharedSecret(answer, dh, {
    relayOrigin: location.origin, sessionId: b64urlBytes(s.sid), requestDigest: digest,
    responseKeyX: s.x, responseKeyY: s.y,
  });
  if (!opened.ok) return render(opened, at);
  const verified = await mlegit.verify(opened.presentation, trust, { now: at, nonce: s.nonce, audience: s.audience });
  render(verified, at, verified.ok ? await statusOf(verified, at) : null);
}

/// The credential's entry in its status list, fetched whole from this server (spec §9).
async function statusOf(v, at) {
  try {
    const uri = new URL(v.status.uri);
    const from = uri.host === location.host ? uri.pathname : uri.href;
    // Revalidated every time (If-None-Match, a 304 when unchanged): a list kept for its
    // whole ttl would hide a revocation made since (spec §15.4).
    const r = await fetch(from, { cache: "no-cache" });
    if (!r.ok) return { ok: false, error: `http ${r.status}` };
    const token = new Uint8Array(await r.arrayBuffer());
    return await mlegit.checkStatusList(token, trust, { now: at, uri: v.status.uri, index: v.status.idx });
  } catch (e) {
    return { ok: false, error: String(e.message ?? e) };
  }
}

/// The engagement's QR code as SVG: one path of the dark modules, a 4-module quiet zone.
function drawQr(uri) {
  const qr = mlegit.qrMatrix(uri);
  const box = $("qr");
  box.replaceChildren();
  if (!qr.ok) return;
  const n = qr.width + 8;
  let d = "";
  for (let r = 0; r < qr.width; r++) {
    for (let c = 0; c < qr.width; c++) {
      if (qr.modules[r * qr.width + c]) d += `M${c + 4} ${r + 4}h1v1h-1z`;
    }
  }
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${n} ${n}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t("qr"));
  svg.dataset.width = String(qr.width);
  const bg = document.createElementNS(ns, "rect");
  bg.setAttribute("width", String(n));
  bg.setAttribute("height", String(n));
  bg.setAttribute("fill", "#fff");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(bg, path);
  box.append(svg);
}

function row(dl, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dl.append(dt, dd);
}

function render(v, at, status) {
  const revoked = status && status.ok && status.status !== "valid";
  const valid = v.ok && !revoked;
  const verdict = $("verdict");
  verdict.textContent = t(valid ? "valid" : "invalid");
  verdict.className = `verdict ${valid ? "valid" : "invalid"}`;
  verdict.dataset.result = valid ? "valid" : "invalid";
  $("reason").textContent = v.ok ? (revoked ? t("revoked") : "") : `${t(`e.${v.error}`)} (${v.error})`;
  $("reason").dataset.code = v.ok ? (revoked ? status.status : "") : v.error;
  const dl = $("details");
  dl.replaceChildren();
  const img = $("portrait");
  img.hidden = true;
  if (v.ok) {
    row(dl, t("presented"), warsaw(v.presentedAt));
    for (const name of v.claimOrder) {
      const value = v.claims[name];
      if (value instanceof Uint8Array) {
        if (portraitUrl) URL.revokeObjectURL(portraitUrl);
        portraitUrl = URL.createObjectURL(new Blob([value], { type: "image/jpeg" }));
        img.src = portraitUrl;
        img.alt = t("c.portrait");
        img.hidden = false;
      } else {
        row(dl, t(`c.${name}`), value === true ? t("yes") : value === false ? t("no") : value);
      }
    }
    row(dl, t("status"), status == null ? t("unchecked")
      : status.ok ? (status.status === "valid" ? t("notRevoked", warsaw(status.iat)) : t("revoked"))
        : `${t("couldNot")} (${status.error})`);
  }
  $("forget").textContent = t("forget", warsaw(at + FORGET_AFTER));
  show("result");
  verdict.focus();
  clearTimeout(forgetTimer);
  forgetTimer = setTimeout(forget, FORGET_AFTER * 1000);
}

/// As in the real app, the data is shown for a few minutes and then goes.
function forget() {
  clearTimeout(forgetTimer);
  $("details").replaceChildren();
  $("verdict").textContent = "";
  $("reason").textContent = "";
  $("portrait").hidden = true;
  $("portrait").removeAttribute("src");
  if (portraitUrl) URL.revokeObjectURL(portraitUrl);
  portraitUrl = null;
  show("ask");
}

async function checkFile(dropped) {
  const file = dropped ?? $("file").files[0];
  if (!file) return;
  $("ask-error").textContent = "";
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const at = now();
    const v = await mlegit.verify(bytes, await trustList(), { now: at });
    render(v, at, v.ok ? await statusOf(v, at) : null);
  } catch (e) {
    $("ask-error").textContent = String(e.message ?? e);
  } finally {
    $("file").value = "";
  }
}

await init();
// Throws where the page has no WebCrypto (plain http but for localhost): said on the page.
let mlegit = null;
try {
  mlegit = withWebCrypto(wasm);
} catch (e) {
  $("ask-error").textContent = String(e.message ?? e);
}
translate();
const tick = () => { $("clock").textContent = warsaw(now()); };
tick();
setInterval(tick, 1000);
$("lang").addEventListener("click", () => { lang = lang === "pl" ? "en" : "pl"; translate(); });
$("ask-form").addEventListener("submit", start);
$("file").addEventListener("change", () => checkFile());
// A presentation file dropped anywhere on the page is checked as the file input's is.
document.addEventListener("dragover", (e) => { e.preventDefault(); });
document.addEventListener("drop", (e) => {
  e.preventDefault();
  const file = e.dataTransfer?.files?.[0];
  if (file) checkFile(file);
});
$("again").addEventListener("click", forget);
$("cancel").addEventListener("click", async () => {
  const s = session;
  session = null;
  if (s) {
    s.abort.abort();
    await fetch(`/v1/sessions/${s.sid}`, { method: "DELETE", headers: { authorization: `Bearer ${s.token}` } });
  }
  show("ask");
});
document.body.dataset.ready = "true";

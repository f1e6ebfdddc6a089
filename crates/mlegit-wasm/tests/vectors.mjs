// Every test vector of test-vectors/*.json through the WebAssembly build, in Node 20:
// the wasm verifier must give each vector's declared outcome, as the native core does
// (test-vectors/generator/tests/vectors.rs). The module is used as a page uses it, through
// js/mlegit.js, its signatures and AES-GCM done by Node's WebCrypto. Run by
// crates/mlegit-wasm/test.sh:
//
//   MLEGIT_WASM_PKG=<wasm-bindgen --target nodejs output dir> node --test tests/vectors.mjs
//   MLEGIT_WASM_WEB=<wasm-bindgen --target web output dir> node --test tests/vectors.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createECDH, webcrypto } from "node:crypto";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
// MLEGIT_WASM_PKG: a `--target nodejs` directory (CommonJS glue); or MLEGIT_WASM_WEB: a
// `--target web` directory, the ES module glue a page loads, initialised from its bytes.
const pkg = process.env.MLEGIT_WASM_PKG;
const web = process.env.MLEGIT_WASM_WEB;
if (!pkg && !web) throw new Error("set MLEGIT_WASM_PKG or MLEGIT_WASM_WEB to a wasm-bindgen output directory");
// The wrapper js/mlegit.js as test.sh ships it: minified beside the web glue, as
// mlegit.mjs beside Node's.
let raw;
let wrapper;
if (web) {
  raw = await import(pathToFileURL(join(web, "mlegit_wasm.js")).href);
  raw.initSync({ module: readFileSync(join(web, "mlegit_wasm_bg.wasm")) });
  wrapper = await import(pathToFileURL(join(web, "mlegit.js")).href);
} else {
  raw = createRequire(import.meta.url)(join(pkg, "mlegit_wasm.js"));
  wrapper = await import(pathToFileURL(join(pkg, "mlegit.mjs")).href);
}
const subtle = webcrypto.subtle;
// The module's checks counted: the rounds of each vector (src/deferred.rs), at most two.
let rounds = 0;
const countRounds = (name) => (...args) => {
  rounds += 1;
  return raw[name](...args);
};
const wasm = wrapper.withWebCrypto({
  ...raw,
  verify: countRounds("verify"),
  checkStatusList: countRounds("checkStatusList"),
  checkRequest: countRounds("checkRequest"),
}, subtle);

const bytes = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));
const hex = (b) => (b == null ? null : Buffer.from(b).toString("hex"));
const opt = (h) => (h == null ? undefined : bytes(h));

function verifierSettings(s) {
  return {
    now: s.now,
    clockSkew: s.clock_skew,
    maxInputSize: s.max_input_size ?? undefined,
    acceptedAlgs: s.accepted_algs,
    maxAge: s.max_age ?? undefined,
    maxTokenSize: s.max_token_size ?? undefined,
    maxListSize: s.max_list_size ?? undefined,
  };
}

// A claim as the vectors write it (test-vectors/README.md): text, date text, {bstr}, bool.
function claimJson(value) {
  return value instanceof Uint8Array ? { bstr: hex(value) } : value;
}

const run = {
  async presentation(v) {
    const s = v.verifier;
    const r = await wasm.verify(bytes(v.presentation), bytes(v.trust_list), {
      ...verifierSettings(s),
      nonce: opt(s.expected_nonce),
      audience: s.expected_audience ?? undefined,
      requestDigest: opt(s.expected_request_digest),
    });
    if (!r.ok) return r;
    const claims = {};
    for (const name of r.claimOrder) claims[name] = claimJson(r.claims[name]);
    return {
      ok: true,
      out: {
        claims,
        presented_at: r.presentedAt,
        not_before: r.notBefore,
        expires: r.expires,
        credential_id: hex(r.credentialId),
        status: { uri: r.status.uri, idx: r.status.idx },
        issuer_kid: hex(r.issuerKid),
        nonce: hex(r.nonce),
        audience: r.audience,
        request_digest: hex(r.requestDigest),
      },
    };
  },
  async status_list(v) {
    const s = v.verifier;
    const r = await wasm.checkStatusList(bytes(v.token), bytes(v.trust_list), {
      ...verifierSettings(s),
      uri: s.expected_uri,
      index: s.index,
    });
    if (!r.ok) return r;
    const { status, value, sub, iat, exp, ttl, bits, entries } = r;
    return {
      ok: true,
      out: { status, value, sub, iat, exp, ttl, bits, entries, issuer_kid: hex(r.issuerKid) },
    };
  },
  async request(v) {
    const h = v.holder;
    const r = await wasm.checkRequest(bytes(v.request), bytes(v.authority_list), {
      now: h.now,
      clockSkew: h.clock_skew,
      engagementKeyDigest: opt(h.engagement_key_digest),
    });
    if (!r.ok) return r;
    const c = r.verified;
    return {
      ok: true,
      out: {
        verifier_name: r.verifierName,
        audience: r.audience,
        claims: r.claims,
        allowed_claims: c ? c.allowedClaims : null,
        authority_kid: c ? hex(c.authorityKid) : null,
        verifier_key_x: c ? hex(c.verifierKeyX) : null,
        verifier_key_y: c ? hex(c.verifierKeyY) : null,
        request_digest: hex(r.requestDigest),
        nonce: hex(r.nonce),
        created_at: r.createdAt,
        not_before: c ? c.notBefore : null,
        expires: c ? c.expires : null,
        response_key_x: r.responseKey ? hex(r.responseKey.x) : null,
        response_key_y: r.responseKey ? hex(r.responseKey.y) : null,
      },
    };
  },
  // The browser's way: the response key a non-extractable key of Node's WebCrypto, which
  // does the ECDH and the AES-GCM; the module the KEM's and the key schedule's HKDF (the
  // module has no other HPKE open).
  async response(v) {
    const s = v.verifier;
    assert.equal(s.max_input_size, 66560, "O1's cap is fixed (spec §18.3)");
    const scalar = Buffer.from(s.response_key_scalar, "hex");
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(scalar);
    const pub = ecdh.getPublicKey();
    const b64url = (b) => Buffer.from(b).toString("base64url");
    const key = await subtle.importKey(
      "jwk",
      { kty: "EC", crv: "P-256", d: b64url(scalar), x: b64url(pub.subarray(1, 33)), y: b64url(pub.subarray(33)) },
      { name: "ECDH", namedCurve: "P-256" },
      false,
      ["deriveBits"],
    );
    const response = bytes(v.response);
    const enc = wasm.responseEnc(response);
    if (!enc.ok) return enc;
    let pkE;
    try {
      pkE = await subtle.importKey("raw", enc.enc, { name: "ECDH", namedCurve: "P-256" }, false, []);
    } catch {
      return { ok: false, error: "response_undecryptable" }; // no point: O3 fails (§18.3)
    }
    const z = new Uint8Array(await subtle.deriveBits({ name: "ECDH", public: pkE }, key, 256));
    const r = await wasm.openWithSharedSecret(response, z, {
      relayOrigin: s.relay_origin,
      sessionId: bytes(s.session_id),
      requestDigest: bytes(s.request_digest),
      responseKeyX: Uint8Array.from(pub.subarray(1, 33)),
      responseKeyY: Uint8Array.from(pub.subarray(33)),
    });
    if (!r.ok) return r;
    return { ok: true, out: { plaintext: hex(r.presentation) } };
  },
};

const files = ["presentations.json", "status-lists.json", "requests.json", "responses.json"];
let counted = 0;
for (const file of files) {
  const doc = JSON.parse(readFileSync(join(root, "test-vectors", file), "utf8"));
  assert.equal(doc.version, 5, file);
  test(file, async () => {
    for (const v of doc.vectors) {
      rounds = 0;
      const got = await run[v.kind](v);
      assert.ok(rounds <= 2, `${v.name}: ${rounds} rounds`);
      const { result, error, ...fields } = v.expected;
      if (result === "valid") {
        assert.ok(got.ok, `${v.name}: refused with ${got.error}`);
        assert.deepStrictEqual(got.out, fields, v.name);
      } else {
        assert.equal(got.ok, false, `${v.name}: accepted, expected ${error}`);
        assert.equal(got.error, error, v.name);
      }
      counted += 1;
    }
  });
}

test("every vector ran, and the registry is the core's", async () => {
  assert.ok(counted >= 186, `only ${counted} vectors`);
  assert.equal(wasm.errorCodes().length, 64);
  // Nothing throws on junk: bytes that are no object, settings that are no object.
  assert.equal((await wasm.verify(new Uint8Array([0xff]), new Uint8Array(), null)).ok, false);
  assert.equal((await wasm.verify(new Uint8Array(), new Uint8Array(), { now: -1 })).ok, false);
  assert.equal((await wasm.checkStatusList(new Uint8Array(3), new Uint8Array(), 7)).ok, false);
  const opened = await wasm.openWithSharedSecret(new Uint8Array(4), new Uint8Array(32), {});
  assert.equal(opened.ok, false);
  // The engagement's QR code: a square of modules. A URI of 79 bytes in byte mode is
  // 4 + 8 + 632 = 644 bits: more than version 4-M holds (512), within version 5-M's 688, so
  // version 5 (37 modules).
  const uri = `https://relay.example/v1/sessions/${"A".repeat(22)}#${"B".repeat(22)}`;
  const qr = wasm.qrMatrix(uri);
  assert.ok(qr.ok);
  assert.equal(qr.width, 37);
  assert.equal(qr.modules.length, qr.width * qr.width);
  assert.ok(qr.modules.every((m) => m === 0 || m === 1));
  // The three finder patterns: 7x7 dark rings in three corners.
  for (const [r0, c0] of [[0, 0], [0, qr.width - 7], [qr.width - 7, 0]]) {
    for (let i = 0; i < 7; i++) {
      assert.equal(qr.modules[(r0 + i) * qr.width + c0], 1);
      assert.equal(qr.modules[r0 * qr.width + c0 + i], 1);
    }
  }
  // Version 20 holds 666 bytes at level M, the most the module draws; one more is refused.
  assert.equal(wasm.qrMatrix("x".repeat(666)).width, 97);
  const tooLong = wasm.qrMatrix("x".repeat(667));
  assert.equal(tooLong.ok, false);
  assert.equal(tooLong.error, "input_too_large");
  assert.equal(wasm.qrMatrix("x".repeat(5000)).ok, false);
});

// The rounds of src/deferred.rs, seen through the module's own functions: what the first
// round asks, answers that say "not valid", and answers that are malformed.
test("signatures are the host's to answer, in rounds", async () => {
  const doc = JSON.parse(readFileSync(join(root, "test-vectors", "presentations.json"), "utf8"));
  const v = doc.vectors.find((x) => x.expected.result === "valid");
  const s = { ...verifierSettings(v.verifier), nonce: opt(v.verifier.expected_nonce),
    audience: v.verifier.expected_audience ?? undefined,
    requestDigest: opt(v.verifier.expected_request_digest) };
  const [p, t] = [bytes(v.presentation), bytes(v.trust_list)];
  // Round one asks the issuer's signature (P-steps stop at the first failure, so a
  // provisional "valid" lets the round go on to the device's).
  const first = raw.verify(p, t, s, new Uint8Array());
  assert.equal(first.ok, undefined);
  assert.equal(first.pending.length, 2, `${v.name}: the issuer's and the device's`);
  for (const q of first.pending) {
    assert.equal(q.id.length, 32);
    assert.equal(q.key.length, 65);
    assert.equal(q.key[0], 4);
    assert.equal(q.signature.length, 64);
    const key = await subtle.importKey("raw", q.key, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    assert.ok(await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, q.signature, q.message));
  }
  const records = (answers) => {
    const out = new Uint8Array(33 * answers.length);
    answers.forEach(([q, ok], i) => { out.set(q.id, 33 * i); out[33 * i + 32] = ok; });
    return out;
  };
  const [issuer, device] = first.pending;
  assert.equal(raw.verify(p, t, s, records([[issuer, 1], [device, 1]])).ok, true);
  assert.equal(raw.verify(p, t, s, records([[issuer, 0], [device, 1]])).error, "issuer_signature_invalid");
  assert.equal(raw.verify(p, t, s, records([[issuer, 1], [device, 0]])).error, "device_signature_invalid");
  // An answer to something not asked changes nothing; malformed answers are refused.
  assert.equal(raw.verify(p, t, s, records([[{ id: new Uint8Array(32) }, 0]])).pending.length, 2);
  assert.equal(raw.verify(p, t, s, new Uint8Array(32)).error, "invalid_field");
  const two = records([[issuer, 1]]);
  two[32] = 2;
  assert.equal(raw.verify(p, t, s, two).error, "invalid_field");
  // No WebCrypto at all (a page on plain http): the wrapper says so when made.
  assert.throws(() => wrapper.withWebCrypto(raw, null), /WebCrypto/);
  // A host whose WebCrypto says no to everything: the wrapper gives the core's refusal.
  const no = { importKey: subtle.importKey.bind(subtle), verify: async () => false };
  assert.equal((await wrapper.withWebCrypto(raw, no).verify(p, t, s)).error, "issuer_signature_invalid");
});

// The mlegit verifier's JavaScript API: the WebAssembly module's functions (wasm-bindgen
// glue, `raw`) with the P-256 signature checks and the AES-128-GCM open done by WebCrypto
// (`subtle`), so that the module links neither (crates/mlegit-wasm/README.md).
//
//   import init, * as raw from "./mlegit_wasm.js";
//   import { withWebCrypto } from "./mlegit.js";
//   await init();
//   const mlegit = withWebCrypto(raw);
//   const result = await mlegit.verify(presentation, trustList, { now });
//
// verify, checkStatusList and checkRequest run the core's checks in rounds
// (src/deferred.rs): a round that needs signatures the module has no answer for says which
// (`pending`); they are verified here and the check runs again with the answers, until a
// round needs none. That round's result is the answer: the core's, with WebCrypto's ECDSA
// verify in place of the native p256 crate's. None of them throws on bad input;
// withWebCrypto itself throws where there is no WebCrypto (a page on plain http but for
// localhost).
export function withWebCrypto(raw, subtle = globalThis.crypto?.subtle) {
  // Without WebCrypto no signature could be checked: say so, rather than refuse them all.
  if (!subtle) throw new Error("mlegit: WebCrypto (crypto.subtle) is missing: a browser has it on https or localhost only");
  const ecdsa = { name: "ECDSA", namedCurve: "P-256" };

  // The answer record of one query: its 32-byte id and 1 (valid) or 0.
  async function answer(q) {
    const record = new Uint8Array(33);
    record.set(q.id);
    try {
      const key = await subtle.importKey("raw", q.key, ecdsa, false, ["verify"]);
      const valid = await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, q.signature, q.message);
      record[32] = valid ? 1 : 0;
    } catch {
      // A key WebCrypto refuses verifies nothing (the core has checked it is a point).
    }
    return record;
  }

  async function rounds(check) {
    let answers = new Uint8Array(0);
    // A check asks at most a few signatures, each in one round at most (src/deferred.rs).
    for (let round = 0; round < 16; round++) {
      const r = check(answers);
      if (!r.pending) return r;
      const records = await Promise.all(r.pending.map(answer));
      const next = new Uint8Array(answers.length + 33 * records.length);
      next.set(answers);
      records.forEach((record, i) => next.set(record, answers.length + 33 * i));
      answers = next;
    }
    throw new Error("mlegit: the signature rounds did not settle");
  }

  return {
    verify: (presentation, trustList, settings) =>
      rounds((a) => raw.verify(presentation, trustList, settings, a)),
    checkStatusList: (token, trustList, settings) =>
      rounds((a) => raw.checkStatusList(token, trustList, settings, a)),
    checkRequest: (request, authorityList, settings) =>
      rounds((a) => raw.checkRequest(request, authorityList, settings, a)),
    // O1-O3 of an online answer (spec §18.3): the key schedule in the module, then
    // AES-128-GCM here; on success {ok, presentation}.
    async openWithSharedSecret(response, sharedSecret, settings) {
      const s = raw.sealedWithSharedSecret(response, sharedSecret, settings);
      if (!s.ok) return s;
      try {
        const key = await subtle.importKey("raw", s.key, "AES-GCM", false, ["decrypt"]);
        const plain = await subtle.decrypt({ name: "AES-GCM", iv: s.nonce, additionalData: s.aad }, key, s.ciphertext);
        return { ok: true, presentation: new Uint8Array(plain) };
      } catch {
        return { ok: false, error: "response_undecryptable" };
      } finally {
        s.key.fill(0);
        s.nonce.fill(0);
      }
    },
    responseEnc: raw.responseEnc,
    makeRequest: raw.makeRequest,
    qrMatrix: raw.qrMatrix,
    errorCodes: raw.errorCodes,
  };
}

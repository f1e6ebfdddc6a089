// Times one full verification in the WebAssembly build (through mlegit.js: its two
// signatures by WebCrypto) against one WebCrypto P-256 verify (ECDSA, SHA-256, a 300-byte
// message) in the same process, and prints the ratio of their medians. Not a test: timing
// asserts have no place in tests. Run, after test.sh:
//
//   MLEGIT_WASM_PKG=target/mlegit-wasm/node node crates/mlegit-wasm/tests/bench.mjs
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { webcrypto } from "node:crypto";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const pkg = resolve(process.env.MLEGIT_WASM_PKG);
const raw = createRequire(import.meta.url)(join(pkg, "mlegit_wasm.js"));
const { withWebCrypto } = await import(pathToFileURL(join(pkg, "mlegit.mjs")).href);
const wasm = withWebCrypto(raw, webcrypto.subtle);
const bytes = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));

const doc = JSON.parse(readFileSync(join(root, "test-vectors", "presentations.json"), "utf8"));
const v = doc.vectors.find((x) => x.name === "request_bound");
const s = v.verifier;
const args = [bytes(v.presentation), bytes(v.trust_list), {
  now: s.now, clockSkew: s.clock_skew, acceptedAlgs: s.accepted_algs, maxAge: s.max_age ?? undefined,
  nonce: bytes(s.expected_nonce), audience: s.expected_audience,
}];
if (!(await wasm.verify(...args)).ok) throw new Error("the vector does not verify");

const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
async function time(runs, f) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await f();
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(out);
}

const subtle = webcrypto.subtle;
const pair = await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
const message = new Uint8Array(300).fill(7);
const signature = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, message);
const webVerify = () => subtle.verify({ name: "ECDSA", hash: "SHA-256" }, pair.publicKey, signature, message);

for (let round = 0; round < 3; round++) {
  const w = await time(200, () => wasm.verify(...args));
  const c = await time(200, webVerify);
  console.log(`round ${round + 1}: wasm verify(request_bound, ${args[0].length} B) ${w.toFixed(3)} ms, WebCrypto P-256 verify ${c.toFixed(3)} ms, ratio ${(w / c).toFixed(1)}`);
}

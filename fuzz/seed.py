#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from test-vectors/*.json.

    python3 fuzz/seed.py            # from the repository root; writes fuzz/corpus/<target>/

Each file is named by the SHA-1 of its content (libFuzzer's convention), so running the
script twice adds nothing. Presentation requests do not appear in the vectors: a few are
encoded here (spec section 7.1). Run `cargo fuzz cmin <target>` afterwards to minimise.
"""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


def enc(v):
    """Deterministic CBOR for the few types the requests need (dict keys given sorted)."""
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(enc(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(enc(k) + enc(x) for k, x in v.items())
    raise TypeError(v)


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    pres = json.load(open(os.path.join(ROOT, "test-vectors", "presentations.json")))["vectors"]
    lists = json.load(open(os.path.join(ROOT, "test-vectors", "status-lists.json")))["vectors"]
    cbor_seeds = set()
    for v in pres:
        p = bytes.fromhex(v["presentation"])
        put("verify", p)
        put("presentation", p)
        trust = bytes.fromhex(v["trust_list"])
        put("trust_list", trust)
        cbor_seeds.add(trust)
        out = v.get("outputs") or {}
        if out.get("credential"):
            cred = bytes.fromhex(out["credential"])
            put("credential", cred)
            cbor_seeds.add(cred)
        for d in out.get("disclosures", []):
            b = bytes.fromhex(d["bytes"])
            put("disclosure", b)
            cbor_seeds.add(b)
    requests = json.load(open(os.path.join(ROOT, "test-vectors", "requests.json")))["vectors"]
    for v in requests:
        r = bytes.fromhex(v["request"])
        put("signed_request", r)
        cbor_seeds.add(r)
    responses = json.load(open(os.path.join(ROOT, "test-vectors", "responses.json")))["vectors"]
    for v in responses:
        put("response", bytes.fromhex(v["response"]))
    # Engagement URIs (spec section 18.1): the worked example and two near misses.
    for uri in ("https://relay.example/v1/sessions/AAECAwQFBgcICQoLDA0ODw#oFIlISK-2eGw6GJiLbEYSg",
                "https://relay.example:8443/v1/sessions/AAECAwQFBgcICQoLDA0ODx#oFIlISK-2eGw6GJiLbEYSg",
                "https://relay.example/v1/sessions/AAECAwQFBgcICQoLDA0ODw"):
        put("response", uri.encode())
    for v in lists:
        s = bytes.fromhex(v["token"])
        put("status_list", s)
        put("trust_list", bytes.fromhex(v["trust_list"]))
        cbor_seeds.add(s)
    nonce = bytes((i * 17 & 0xFF) ^ 0xA5 for i in range(16))
    for claims in (["age_over_18"], ["given_names", "family_name", "portrait"], ["pesel"] * 2):
        req = enc({1: 1, 2: nonce, 3: "https://kino.example/verifier", 4: "Kino Muranów",
                   5: claims, 6: 1790000000})
        put("request", req)
        cbor_seeds.add(req)
    for b in cbor_seeds:
        put("cbor", b)
    # The structured target reads its input through `arbitrary`: a few byte patterns.
    for i in range(8):
        put("verify_structured", bytes([i * 37 & 0xFF] * (16 + i * 8)))
    for t in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, t))
        size = sum(os.path.getsize(os.path.join(CORPUS, t, f)) for f in files)
        print(f"{t}: {len(files)} files, {size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Self-test of mlegit_check.py, usable before the Rust vectors exist.

It builds mlegit v5 objects itself from spec/mlegit.md with `cryptography` (ES256 keys, HKDF
salts), `cbor2` (canonical encoding, cross-checked against the checker's own encoder) and
`zlib` (status lists), writes them in the vector-JSON schema of test-vectors/README.md to a
temporary file, and runs the checker's CLI on it; it also unit-tests the strict CBOR decoder
(D1-D17), the COSE and field steps, the status claim, the trust list (T1-T7), the claim
rules, the status list inflate and lookup (L11, L12), the verifier certificates and signed
requests (A1-A12, with the order inside A5) and unsigned requests (R1-R5), the request digest
of a presentation (P13c), the IETF Token Status List examples and the CLI's failure
reporting; for v4, the request's response key (R2b, A3b), the engagement (E1-E2), its HPKE
(RFC 9180: the published test vector A.3.1, DeriveKeyPair's candidate loop, point
validation) and the encrypted responses (O1-O3); for v5, the batches of activation proofs of
possession (spec §19: the keys array and its digest, the payload, B1-B5 with the index, the step
and the code of each failure).  Prints `selftest: N passed, M failed`; exits non-zero on any
failure.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zlib

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mlegit_check as chk  # noqa: E402

N = chk.P256_N
SPEC = chk.SPEC_ID                     # "spec/mlegit.md, version 5"
FILE_VERSION = chk.FILE_VERSION        # 5
assert (SPEC, FILE_VERSION) == ("spec/mlegit.md, version 5", 5)
TYP_CRED, TYP_PRES, TYP_SL = chk.TYP_CREDENTIAL, chk.TYP_PRESENTATION, chk.TYP_STATUS_LIST
TYP_REQ, TYP_VER = chk.TYP_REQUEST, chk.TYP_VERIFIER

_results: list[tuple[str, bool, str]] = []


def expect(name: str, ok: bool, detail: str = "") -> None:
    _results.append((name, bool(ok), detail))
    if not ok:
        print(f"FAIL {name}: {detail}")


# ------------------------------------------------------------------------------------------
# Building blocks (spec §2, §3, §6)
# ------------------------------------------------------------------------------------------

def cbor(obj) -> bytes:
    """Deterministic CBOR via cbor2 (canonical); asserted equal to the checker's encoder.
    (cbor2 sorts keys length-first, RFC 7049 style; every map built here has keys for which
    that order equals the bytewise order of spec §2.4.)"""
    a = cbor2.dumps(obj, canonical=True)
    b = chk.encode(obj)
    assert a == b, f"encoders disagree: {a.hex()} vs {b.hex()}"
    return a


class Key:
    """A test key named as in test-vectors/README.md: scalar = SHA-256("mlegit test key " || name)."""

    def __init__(self, name: str):
        self.name = name
        d = int.from_bytes(hashlib.sha256(b"mlegit test key " + name.encode()).digest(), "big")
        assert 1 <= d < N
        self.d = d
        self.priv = ec.derive_private_key(d, ec.SECP256R1())
        nums = self.priv.public_key().public_numbers()
        self.x, self.y = nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big")
        self.kid = hashlib.sha256(b"\x04" + self.x + self.y).digest()[:8]  # spec §3.8

    def cose_key(self) -> dict:
        return {1: 2, -1: 1, -2: self.x, -3: self.y}

    def trust_entry(self, not_before: int, not_after: int, kid: bytes | None = None) -> dict:
        return {1: 2, 2: kid or self.kid, 3: -7, -1: 1, -2: self.x, -3: self.y,
                "not_after": not_after, "not_before": not_before}

    def key_json(self) -> dict:
        return {"name": self.name, "kid": self.kid.hex(), "private_scalar": self.d.to_bytes(32, "big").hex(),
                "public_x": self.x.hex(), "public_y": self.y.hex()}


def es256(key: Key, protected: bytes, payload: bytes, high_s: bool = False, random_k: bool = False) -> bytes:
    """spec §3.6-§3.7: ES256 over Sig_structure, low-S normalised (or deliberately high-S)."""
    tbs = cbor(["Signature1", protected, b"", payload])
    der = key.priv.sign(tbs, ec.ECDSA(hashes.SHA256(), deterministic_signing=not random_k))  # RFC 6979
    r, s = decode_dss_signature(der)
    if s > N // 2:
        s = N - s
    if high_s:
        s = N - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign1(key: Key, header: dict, payload: bytes, unprotected: dict | None = None,
          high_s: bool = False, sig_hook=None, random_k: bool = False) -> bytes:
    protected = cbor(header)
    sig = es256(key, protected, payload, high_s, random_k)
    if sig_hook:
        sig = sig_hook(sig)
    return cbor([protected, unprotected or {}, payload, sig])


def hkdf(secret: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def pesel_for(date: datetime.date, serial: str) -> str:
    off = {18: 80, 19: 0, 20: 20, 21: 40, 22: 60}[date.year // 100]
    body = f"{date.year % 100:02d}{date.month + off:02d}{date.day:02d}{serial}"
    check = (10 - sum(w * int(c) for w, c in zip((1, 3, 7, 9) * 3, body)) % 10) % 10
    return body + str(check)


# ------------------------------------------------------------------------------------------
# The reference scenario
# ------------------------------------------------------------------------------------------

ISSUER, DEVICE, OTHER = Key("selftest issuer"), Key("selftest device"), Key("selftest other")
CRED_ID = bytes(range(16))
SECRET = hashlib.sha256(b"salt secret").digest()
IAT = int(datetime.datetime(2025, 9, 1, tzinfo=datetime.timezone.utc).timestamp())
NBF, EXP = IAT, IAT + 400 * 86400
NOW = IAT + 86400
PRESENTED_AT = NOW - 10
NONCE = bytes(range(100, 116))
AUDIENCE = "https://verifier.example/gate-1"
STATUS_URI = "https://issuer.example/v1/status-lists/3"
STATUS_IDX = 42
PORTRAIT = b"\xff\xd8\xff\xe0" + bytes(60)
BORN = datetime.date(2008, 2, 29)
CLAIMS = {
    "family_name": "Kowalska", "given_names": "Zofia Anna", "document_number": "ABC123456",
    "address": "ul. Długa 5, 00-001 Warszawa", "school_name": "Szkoła Podstawowa nr 1",
    "school_address": "ul. Szkolna 1, 00-002 Warszawa", "school_id": "SP1-WAW",
    "holder_status": "student", "issue_date": "2025-09-01", "expiry_date": "2026-09-30",
    "birth_date": BORN.isoformat(), "pesel": pesel_for(BORN, "0123"), "portrait": PORTRAIT,
    # 13th birthday 2021-03-01, 16th 2024-02-29 (leap) <= 2025-09-01; 18th 2026-03-01 is not
    "age_over_13": True, "age_over_16": True,
}


def salt_for(name: str, cid: bytes = CRED_ID) -> bytes:
    return hkdf(SECRET, cid, b"mlegit v1 salt" + name.encode(), 16)  # spec §6.3


def disclosure(name: str, value, salt: bytes | None = None) -> bytes:
    return cbor([salt if salt is not None else salt_for(name), name, value])


class Raw:
    """Bytes put verbatim into an encoded payload (for encodings cbor2 would not produce)."""

    def __init__(self, data: bytes):
        self.data = data


def status_claim(idx: int = STATUS_IDX, uri: str = STATUS_URI) -> dict:
    """spec §5.4 (v2): the Token Status List status claim value."""
    return {"status_list": {"idx": idx, "uri": uri}}


def encode_payload(payload: dict) -> bytes:
    """cbor(payload), except that a Raw value goes in as its bytes (keys stay sorted)."""
    if not any(isinstance(v, Raw) for v in payload.values()):
        return cbor(payload)
    items = sorted(((cbor(k), v) for k, v in payload.items()), key=lambda kv: kv[0])
    assert len(items) < 24
    return bytes([0xA0 | len(items)]) + b"".join(
        k + (v.data if isinstance(v, Raw) else cbor(v)) for k, v in items)


def issue(claims=None, extra: list[bytes] = (), overrides: dict | None = None,
          header: dict | None = None, key: Key = ISSUER, high_s: bool = False,
          digests=None):
    """Issue a v2 credential (spec §5, §6); returns (credential bytes, {name: disclosure},
    digests)."""
    claims = CLAIMS if claims is None else claims
    discl = {n: disclosure(n, v) for n, v in claims.items()}
    digs = [hashlib.sha256(d).digest() for d in list(discl.values()) + list(extra)]
    i = 0
    while len(digs) < 32:
        digs.append(hkdf(SECRET, CRED_ID, b"mlegit v1 decoy" + bytes([i]), 32))
        i += 1
    digs = sorted(digs) if digests is None else digests
    payload = {1: 2, 2: "mlegit.school-id.1", 3: ISSUER.kid, 4: CRED_ID, 5: IAT, 6: NBF, 7: EXP,
               8: DEVICE.cose_key(), 9: status_claim(), 10: -16, 11: digs}
    payload.update(overrides or {})
    hdr = header or {1: -7, 4: ISSUER.kid, 16: TYP_CRED}
    return sign1(key, hdr, encode_payload(payload), high_s=high_s), discl, digs


CRED, DISCL, DIGESTS = issue()


def present(disclosures: list[bytes], cred: bytes = CRED, presented_at: int = PRESENTED_AT,
            nonce=NONCE, audience=AUDIENCE, header=None, unprotected=None, payload=None,
            high_s=False, sig_hook=None, key: Key = DEVICE, random_k: bool = False,
            request_digest: bytes | None = None) -> bytes:
    if payload is None:
        p = {1: 1, 2: cred, 3: disclosures, 4: presented_at}
        if nonce is not None:
            p[5] = nonce
        if audience is not None:
            p[6] = audience
        if request_digest is not None:
            p[7] = request_digest           # spec v3 §8.1: answering a signed request
        payload = cbor(p)
    hdr = header or {1: -7, 16: TYP_PRES}
    return sign1(key, hdr, payload, unprotected=unprotected, high_s=high_s, sig_hook=sig_hook,
                 random_k=random_k)


TRUST_ENTRIES = [(ISSUER, IAT - 86400, IAT + 3 * 365 * 86400)]  # (key, not_before, not_after)


def trust_bytes(entries) -> bytes:
    return cbor([k.trust_entry(nb, na) for k, nb, na in entries])


TRUST = trust_bytes(TRUST_ENTRIES)


def claim_json(v):
    return {"bstr": v.hex()} if isinstance(v, bytes) else v


def trust_inputs(entries) -> list:
    return [{"key": k.name, "not_before": nb, "not_after": na} for k, nb, na in entries]


_SAME = object()


def pvec(name: str, pres: bytes, error: str | None = None, disclosed=(), verifier=None,
         trust=TRUST_ENTRIES, presented_at: int = PRESENTED_AT, signer: Key = ISSUER,
         request_digest=_SAME) -> dict:
    """A presentation vector in the schema of test-vectors/README.md (v3).  The inputs describe
    the reference scenario (exact for valid vectors); outputs.credential is the credential the
    presentation embeds, and outputs.digests its digest array, where they decode.
    request_digest: inputs.request_digest, the digest the presentation carries (hex or None;
    by default the verifier's expected one)."""
    ver = {"now": NOW, "clock_skew": 60, "max_age": 300, "max_input_size": 65536,
           "accepted_algs": [-7], "expected_nonce": NONCE.hex(), "expected_audience": AUDIENCE,
           "expected_request_digest": None}
    ver.update(verifier or {})
    if request_digest is _SAME:
        request_digest = ver["expected_request_digest"]
    vec = {"name": name, "description": f"selftest {name}", "kind": "presentation"}
    vec["inputs"] = {
        "issuer_keys": [signer.key_json()], "issuer": signer.name, "trust": trust_inputs(trust),
        "device_private_scalar": DEVICE.d.to_bytes(32, "big").hex(),
        "presenting_private_scalar": DEVICE.d.to_bytes(32, "big").hex(),
        "salt_secret": SECRET.hex(), "credential_id": CRED_ID.hex(),
        "claims": {k: claim_json(v) for k, v in CLAIMS.items()}, "iat": IAT, "nbf": NBF,
        "exp": EXP, "status": {"uri": STATUS_URI, "idx": STATUS_IDX}, "presented_at": presented_at,
        "nonce": ver["expected_nonce"], "audience": ver["expected_audience"],
        "request_digest": request_digest, "disclosed": list(disclosed)}
    cred, digs = CRED, DIGESTS
    try:
        embedded = cbor2.loads(cbor2.loads(pres)[2])[2]
        cred = embedded if isinstance(embedded, bytes) else cred
    except Exception:  # a broken presentation: keep the reference credential
        pass
    try:
        array = cbor2.loads(cbor2.loads(cred)[2])[11]
        digs = array if isinstance(array, list) else digs
    except Exception:
        pass
    vec["outputs"] = {
        "credential": cred.hex(),
        "disclosures": [{"claim": n, "bytes": d.hex(), "digest": hashlib.sha256(d).hexdigest()}
                        for n, d in DISCL.items()],
        "digests": [d.hex() for d in digs]}
    vec.update({"trust_list": trust_bytes(trust).hex(), "verifier": ver, "presentation": pres.hex()})
    if error:
        vec["expected"] = {"result": "invalid", "error": error}
    else:
        vec["expected"] = {
            "result": "valid", "claims": {n: claim_json(CLAIMS[n]) for n in disclosed},
            "presented_at": presented_at, "not_before": NBF, "expires": EXP,
            "credential_id": CRED_ID.hex(), "status": {"uri": STATUS_URI, "idx": STATUS_IDX},
            "issuer_kid": ISSUER.kid.hex(), "nonce": ver["expected_nonce"],
            "audience": ver["expected_audience"], "request_digest": ver["expected_request_digest"]}
    return vec


def replace_s(sig: bytes, s: int) -> bytes:
    return sig[:32] + s.to_bytes(32, "big")


def presentation_vectors() -> list[dict]:
    V = []
    all_names = list(CLAIMS)
    all_d = [DISCL[n] for n in all_names]
    # --- valid ---
    V.append(pvec("valid_all_claims", present(all_d), disclosed=all_names))
    V.append(pvec("valid_no_disclosure_no_nonce", present([], nonce=None, audience=None),
                  verifier={"expected_nonce": None, "expected_audience": None}))
    sel = ["age_over_16", "portrait", "family_name"]
    V.append(pvec("valid_selective", present([DISCL[n] for n in sel]), disclosed=sel))
    V.append(pvec("valid_at_skew_edges", present([DISCL["age_over_13"]], presented_at=NOW + 60),
                  disclosed=["age_over_13"], presented_at=NOW + 60))
    # the plaintext of the valid response vectors (v4), by its name in test-vectors/README.md
    V.append(pvec("request_bound", REQUEST_BOUND, disclosed=["age_over_16"]))
    # --- the negatives the brief names ---
    tampered = disclosure("family_name", "Nowak")  # same salt, other value
    V.append(pvec("tampered_claim", present([tampered]), "digest_mismatch"))
    V.append(pvec("device_high_s", present([DISCL["pesel"]], high_s=True), "signature_malleable"))
    hs_cred, _, _ = issue(high_s=True)
    V.append(pvec("issuer_high_s", present([], cred=hs_cred), "signature_malleable"))
    # payload {1:1, 2:cred, 3:[], 4:t, 4:t}: key 4 twice
    dup = (b"\xa5\x01\x01\x02" + chk.encode(CRED) + b"\x03\x80"
           + b"\x04" + chk.encode(PRESENTED_AT) + b"\x04" + chk.encode(PRESENTED_AT))
    V.append(pvec("payload_duplicate_key", present([], payload=dup), "cbor_duplicate_key"))
    nonshort = b"\xa4\x18\x01\x01" + b"\x02" + chk.encode(CRED) + b"\x03\x80\x04" + chk.encode(PRESENTED_AT)
    V.append(pvec("payload_non_shortest_key", present([], payload=nonshort), "cbor_non_shortest"))
    V.append(pvec("trailing_byte", present([]) + b"\x00", "cbor_trailing_bytes"))
    V.append(pvec("wrong_nonce", present([]), "nonce_mismatch",
                  verifier={"expected_nonce": bytes(16).hex()}))
    V.append(pvec("credential_expired", present([], presented_at=EXP + 61 - 5), "credential_expired",
                  verifier={"now": EXP + 61}))
    # --- more negatives, one per step of spec §12.2 ---
    p = present([])
    V.append(pvec("input_too_large", p, "input_too_large", verifier={"max_input_size": len(p) - 1}))
    V.append(pvec("valid_input_exactly_max", p, verifier={"max_input_size": len(p)}))
    V.append(pvec("unsorted_keys", present([], payload=b"\xa2\x02\x01\x01\x01"), "cbor_unsorted_keys"))
    deep = b"\xa1\x03" + b"\x81" * 7 + b"\x80"  # the 8th nested array is at level 9
    V.append(pvec("depth_exceeded", present([], payload=deep), "cbor_depth_exceeded"))
    V.append(pvec("tag_in_presentation", b"\xd2" + p, "cbor_unsupported_type"))
    V.append(pvec("indefinite_array", b"\x9f" + p[1:], "cbor_indefinite_length"))
    V.append(pvec("not_cose_array", cbor([1, 2, 3]), "cose_malformed"))
    V.append(pvec("signature_63_bytes", present([], sig_hook=lambda s: s[:63]), "cose_malformed"))
    V.append(pvec("alg_not_protected", present([], header={16: TYP_PRES}, unprotected={1: -7}),
                  "alg_not_protected"))
    V.append(pvec("alg_missing", present([], header={16: TYP_PRES}), "alg_missing"))
    V.append(pvec("unprotected_header", present([], unprotected={5: b"iv"}), "cose_unprotected_header"))
    V.append(pvec("unknown_protected_label", present([], header={1: -7, 3: 0, 16: TYP_PRES}),
                  "cose_unknown_header"))
    V.append(pvec("wrong_typ", present([], header={1: -7, 16: TYP_CRED}), "wrong_context"))
    V.append(pvec("alg_not_allowed", present([], header={1: -35, 16: TYP_PRES}), "alg_not_allowed"))
    V.append(pvec("kid_in_presentation", present([], header={1: -7, 4: DEVICE.kid, 16: TYP_PRES}),
                  "cose_unknown_header"))
    V.append(pvec("presentation_version_2", present([], payload=cbor({1: 2, 2: CRED, 3: [], 4: PRESENTED_AT})),
                  "unsupported_version"))
    V.append(pvec("presentation_unknown_field",
                  present([], payload=cbor({1: 1, 2: CRED, 3: [], 4: PRESENTED_AT, 8: 0})), "unknown_field"))
    V.append(pvec("presentation_missing_field", present([], payload=cbor({1: 1, 2: CRED, 3: []})),
                  "missing_field"))
    V.append(pvec("presentation_short_nonce", present([], nonce=bytes(15)), "invalid_field"))
    nokid, _, _ = issue(header={1: -7, 16: TYP_CRED})
    V.append(pvec("credential_kid_missing", present([], cred=nokid), "kid_missing"))
    V.append(pvec("credential_unknown_field", present([], cred=issue(overrides={12: 0})[0]), "unknown_field"))
    V.append(pvec("unknown_key_id", present([]), "unknown_key_id",
                  trust=[(OTHER, 0, 2**40)]))
    V.append(pvec("issuer_key_expired", present([]), "issuer_key_not_valid",
                  trust=[(ISSUER, 0, IAT - 1)]))
    forged, _, _ = issue(key=OTHER)  # carries ISSUER's kid
    V.append(pvec("issuer_signature_invalid", present([], cred=forged), "issuer_signature_invalid",
                  signer=OTHER))
    V.append(pvec("issuer_s_equals_n", present([], cred=sign1(
        ISSUER, {1: -7, 4: ISSUER.kid, 16: TYP_CRED}, strict_payload(CRED), sig_hook=lambda s: replace_s(s, N))),
        "issuer_signature_invalid"))
    V.append(pvec("kid_mismatch", present([], cred=issue(overrides={3: OTHER.kid})[0]), "kid_mismatch"))
    V.append(pvec("wrong_doctype", present([], cred=issue(overrides={2: "mlegit.school-id.2"})[0]),
                  "wrong_doctype"))
    V.append(pvec("digest_set_31", present([], cred=issue(digests=DIGESTS[:31])[0]), "digest_set_invalid"))
    V.append(pvec("digest_set_unsorted", present([], cred=issue(digests=DIGESTS[::-1])[0]),
                  "digest_set_invalid"))
    bad_dev = DEVICE.cose_key()
    bad_dev[-3] = bytes(31) + b"\x01"
    V.append(pvec("device_key_off_curve", present([], cred=issue(overrides={8: bad_dev})[0]),
                  "invalid_device_key"))
    V.append(pvec("validity_window_empty", present([], cred=issue(overrides={7: NBF})[0]),
                  "invalid_validity_window"))
    # P10b: exp - iat at most 400 days, counted from iat; P10a comes first.
    V.append(pvec("lifetime_over_400_days", present([], cred=issue(overrides={7: IAT + 34_560_001})[0]),
                  "credential_lifetime_too_long"))
    V.append(pvec("lifetime_exp_max", present([], cred=issue(overrides={7: 2**64 - 1})[0]),
                  "credential_lifetime_too_long"))
    V.append(pvec("window_before_lifetime", present([], cred=issue(overrides={6: IAT - 1, 7: 2**64 - 1})[0]),
                  "invalid_validity_window"))
    V.append(pvec("credential_not_yet_valid", present([], presented_at=NBF - 100), "credential_not_yet_valid",
                  verifier={"now": NBF - 61}))
    V.append(pvec("device_signature_invalid",
                  present([], sig_hook=lambda s: bytes([s[0] ^ 1]) + s[1:]), "device_signature_invalid"))
    V.append(pvec("signed_by_other_device", present([], key=OTHER), "device_signature_invalid"))
    V.append(pvec("presentation_from_future", present([], presented_at=NOW + 61), "presentation_from_future"))
    V.append(pvec("presentation_too_old", present([], presented_at=NOW - 301), "presentation_too_old"))
    V.append(pvec("presented_before_nbf", present([], presented_at=NBF - 1), "presented_outside_validity",
                  verifier={"now": NBF, "max_age": 300}))
    V.append(pvec("nonce_absent_but_expected", present([], nonce=None), "nonce_mismatch"))
    V.append(pvec("audience_mismatch", present([]), "audience_mismatch",
                  verifier={"expected_audience": "other"}))
    V.append(pvec("disclosure_not_cbor", present([b"\x18\x01"]), "disclosure_malformed"))
    V.append(pvec("disclosure_short_salt", present([cbor([bytes(15), "family_name", "X"])]),
                  "disclosure_malformed"))
    V.append(pvec("duplicate_disclosure", present([DISCL["pesel"], DISCL["pesel"]]), "duplicate_disclosure"))
    second = disclosure("family_name", "Kowalska-Nowak", salt=bytes(16))
    cred2, d2, _ = issue(extra=[second])
    V.append(pvec("duplicate_claim", present([d2["family_name"], second], cred=cred2), "duplicate_claim"))
    unknown = disclosure("nickname", "Zosia")
    cred3, _, _ = issue(extra=[unknown])
    V.append(pvec("unknown_claim", present([unknown], cred=cred3), "unknown_claim"))
    bad_pesel = disclosure("pesel", CLAIMS["pesel"][:10] + str((int(CLAIMS["pesel"][10]) + 1) % 10))
    cred4, _, _ = issue(extra=[bad_pesel])
    V.append(pvec("invalid_pesel_checksum", present([bad_pesel], cred=cred4), "invalid_claim_value"))
    false_age = disclosure("age_over_18", False)
    cred5, _, _ = issue(extra=[false_age])
    V.append(pvec("age_over_false", present([false_age], cred=cred5), "invalid_claim_value"))
    ctrl = disclosure("school_name", "Szkoła\u0085nr 1")  # U+0085 NEL is category Cc
    cred6, _, _ = issue(extra=[ctrl])
    V.append(pvec("text_with_c1_control", present([ctrl], cred=cred6), "invalid_claim_value"))
    V += spec_order_vectors()
    V += p13c_vectors()
    return V


def raw_cose(protected: bytes, payload: bytes, sig: bytes, unprotected=None) -> bytes:
    return cbor([protected, unprotected or {}, payload, sig])


def pres_payload(**fields) -> bytes:
    p = {1: 1, 2: CRED, 3: [], 4: PRESENTED_AT, 5: NONCE, 6: AUDIENCE}
    for k, v in fields.items():
        key = int(k[1:])
        if v is None:
            p.pop(key, None)
        else:
            p[key] = v
    return cbor(p)


def spec_order_vectors() -> list[dict]:
    """Cases where spec/mlegit.md fixes an order or a code that an earlier draft left open."""
    V = []
    pres_hdr = cbor({1: -7, 16: TYP_PRES})
    good_payload = pres_payload()
    # C4 (signature length) comes before C5 (decoding the protected bstr).
    V.append(pvec("c4_before_c5_short_sig_empty_protected",
                  raw_cose(b"", good_payload, bytes(63)), "cose_malformed"))
    V.append(pvec("c5_empty_protected", raw_cose(b"", good_payload, bytes(64)), "cbor_malformed"))
    V.append(pvec("c5_protected_tag", raw_cose(b"\xc1\x00", good_payload, bytes(64)),
                  "cbor_unsupported_type"))
    V.append(pvec("c6_protected_not_map", raw_cose(cbor([1]), good_payload, bytes(64)), "cose_malformed"))
    V.append(pvec("c3_signature_not_bstr", cbor([pres_hdr, {}, good_payload, "sig"]), "cose_malformed"))
    V.append(pvec("c3_payload_nil", cbor([pres_hdr, {}, None, bytes(64)]), "cose_malformed"))
    # C7: entries in encoded order; wrong value type of 1/4/16 is cose_malformed.
    V.append(pvec("c7_alg_text_before_unknown_label", present([], header={1: "ES256", 3: 0, 16: TYP_PRES}),
                  "cose_malformed"))
    V.append(pvec("c7_unknown_label_before_bad_typ", present([], header={1: -7, 3: 0, 16: b"x"}),
                  "cose_unknown_header"))
    V.append(pvec("c7_text_label", present([], header={1: -7, 16: TYP_PRES, "typ": 1}),
                  "cose_unknown_header"))
    V.append(pvec("c7_empty_kid_credential", present([], cred=issue(header={1: -7, 4: b"", 16: TYP_CRED})[0]),
                  "cose_malformed"))
    V.append(pvec("c7_kid_33_bytes", present([], cred=issue(header={1: -7, 4: bytes(33), 16: TYP_CRED})[0]),
                  "cose_malformed"))
    # H1 before H2; H3 before H4; H4 uses the configured set intersected with {-7}.
    V.append(pvec("h1_before_h2", present([], header={16: TYP_PRES}, unprotected={1: -7, 5: b"iv"}),
                  "alg_not_protected"))
    V.append(pvec("h3_before_h4", present([], header={1: -8, 16: TYP_CRED}), "wrong_context"))
    V.append(pvec("h4_eddsa_configured", present([], header={1: -8, 16: TYP_PRES}), "alg_not_allowed",
                  verifier={"accepted_algs": [-7, -8]}))
    V.append(pvec("valid_extra_configured_alg", present([]), verifier={"accepted_algs": [-8, -7]}))
    # F2: a signed payload that is not a map is cose_malformed.
    V.append(pvec("f2_presentation_payload_array", present([], payload=cbor([1, 2])), "cose_malformed"))
    cred_array = sign1(ISSUER, {1: -7, 4: ISSUER.kid, 16: TYP_CRED}, cbor([1]))
    V.append(pvec("f2_credential_payload_array", present([], cred=cred_array), "cose_malformed"))
    # F4 field rules.
    V.append(pvec("f4_empty_credential_bstr", present([], payload=pres_payload(k2=b"")), "invalid_field"))
    V.append(pvec("f4_audience_with_newline", present([], audience="gate\n1"), "invalid_field",
                  verifier={"expected_audience": "gate\n1"}))
    V.append(pvec("f4_audience_129_bytes", present([], audience="a" * 129), "invalid_field",
                  verifier={"expected_audience": "a" * 129}))
    V += status_claim_vectors()
    # P3b before P3c; P3c after F5.
    V.append(pvec("p3b_before_p3c", present([], payload=pres_payload(k1=2, k3=[b"x"] * 33)),
                  "unsupported_version"))
    V.append(pvec("p3c_33_disclosures", present([], payload=pres_payload(k3=[b"x"] * 33)), "invalid_field"))
    V.append(pvec("p3c_disclosure_not_bstr", present([], payload=pres_payload(k3=[DISCL["pesel"], 1])),
                  "invalid_field"))
    V.append(pvec("f3_before_p3c", present([], payload=pres_payload(k3=[1], k8=0)), "unknown_field"))
    V.append(pvec("f5_before_p3c", present([], payload=pres_payload(k3=[1], k4=None)), "missing_field"))
    # K6: exactly four labels.
    extra_label = dict(DEVICE.cose_key())
    extra_label[3] = -7
    V.append(pvec("k6_device_key_alg", present([], cred=issue(overrides={8: extra_label})[0]),
                  "invalid_device_key"))
    return V


def status_claim_vectors() -> list[dict]:
    """spec §5.4 (v2): credential key 9, F4 (P5), and the credential version K1 (P9)."""
    V = []

    def with_status(name, value, error="invalid_field"):
        V.append(pvec(name, present([], cred=issue(overrides={9: value})[0]), error))

    uri_257 = "https://i.example/" + "a" * (257 - 18)
    assert len(uri_257.encode()) == 257
    with_status("f4_status_index_not_idx", {"status_list": {"index": STATUS_IDX, "uri": STATUS_URI}})
    with_status("f4_status_http_uri", status_claim(uri="http://issuer.example/v1/status-lists/3"))
    with_status("f4_status_uppercase_scheme", status_claim(uri="HTTPS://issuer.example/v1/status-lists/3"))
    with_status("f4_status_extra_outer_entry", {**status_claim(), "x": 1})
    with_status("f4_status_extra_inner_entry", {"status_list": {"idx": 1, "uri": STATUS_URI, "zzz": 0}})
    with_status("f4_status_missing_idx", {"status_list": {"uri": STATUS_URI}})
    with_status("f4_status_missing_uri", {"status_list": {"idx": 1}})
    with_status("f4_status_outer_key_status", {"status": {"idx": 1, "uri": STATUS_URI}})
    with_status("f4_status_outer_key_bstr", {b"status_list": {"idx": 1, "uri": STATUS_URI}})
    with_status("f4_status_v1_form", {1: STATUS_URI, 2: STATUS_IDX})
    with_status("f4_status_empty_map", {})
    with_status("f4_status_not_map", [STATUS_IDX, STATUS_URI])
    with_status("f4_status_idx_negative", status_claim(idx=-1))
    with_status("f4_status_idx_bool", status_claim(idx=True))
    with_status("f4_status_idx_text", status_claim(idx="42"))
    with_status("f4_status_uri_bstr", {"status_list": {"idx": 1, "uri": STATUS_URI.encode()}})
    with_status("f4_status_uri_escape", status_claim(uri="https://i.example/\x1b[0m"))
    with_status("f4_status_uri_c1", status_claim(uri="https://i.example/\x85"))
    with_status("f4_status_uri_bidi", status_claim(uri="https://i.example/\u202e"))
    with_status("f4_status_uri_257_bytes", status_claim(uri=uri_257))
    with_status("f4_status_uri_empty", status_claim(uri=""))
    with_status("f4_status_uri_https_prefix_only_7", status_claim(uri="https:/"))
    # The other order of the status claim map, "uri" before "idx", is not sorted: the
    # strict decoder (D16, in P5's F1) rejects it before any field rule runs.
    unordered = (b"\xa1\x6bstatus_list\xa2" + cbor("uri") + cbor(STATUS_URI)
                 + cbor("idx") + cbor(STATUS_IDX))
    V.append(pvec("f1_status_uri_before_idx", present([], cred=issue(overrides={9: Raw(unordered)})[0]),
                  "cbor_unsorted_keys"))
    # The same bytes in sorted order are exactly the deterministic encoding (control).
    ordered = (b"\xa1\x6bstatus_list\xa2" + cbor("idx") + cbor(STATUS_IDX)
               + cbor("uri") + cbor(STATUS_URI))
    assert ordered == cbor(status_claim())
    V.append(pvec("valid_status_claim_raw", present([], cred=issue(overrides={9: Raw(ordered)})[0])))
    # K1: a v2 verifier accepts credential version 2 only.
    V.append(pvec("k1_credential_version_1", present([], cred=issue(overrides={1: 1})[0]),
                  "unsupported_version"))
    V.append(pvec("k1_credential_version_3", present([], cred=issue(overrides={1: 3})[0]),
                  "unsupported_version"))
    # F4 (P5) of the status claim comes before K1 (P9).
    V.append(pvec("f4_status_before_k1", present([], cred=issue(overrides={1: 1, 9: {1: STATUS_URI, 2: 1}})[0]),
                  "invalid_field"))
    return V


def strict_payload(cose: bytes) -> bytes:
    return cbor2.loads(cose)[2]


# ------------------------------------------------------------------------------------------
# Status List Tokens (spec §9, §12.4)
# ------------------------------------------------------------------------------------------

SL_URI = STATUS_URI                      # the uri of the credentials' status claim
SL_IAT = NOW - 3600
SL_TTL = 43200
SL_EXP = SL_IAT + 86400
SL_ENTRIES = 4096
SL_SET = [(7, 1), (STATUS_IDX + 1, 1), (SL_ENTRIES - 1, 1)]   # (index, value), bits = 1
VALUE_NAMES = {0: "valid", 1: "invalid", 2: "suspended"}     # spec §9; others "unknown"


def pack(bits: int, entries: int, pairs) -> bytes:
    """The status array of spec §9, built as one little-endian integer: entry i is bits
    [i*bits, (i+1)*bits) of the number, which puts it in byte i*bits//8 from bit
    (i*bits) % 8 on."""
    assert entries * bits % 8 == 0
    n = 0
    for i, v in pairs:
        assert 0 <= i < entries and 0 <= v < 1 << bits
        n |= v << (i * bits)
    return n.to_bytes(entries * bits // 8, "little")


def deflate(data: bytes, level: int = 9, wbits: int = 15, zdict: bytes | None = None) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, wbits, zdict=zdict) if zdict else \
        zlib.compressobj(level, zlib.DEFLATED, wbits)
    return c.compress(data) + c.flush()


def sl_token(bits: int = 1, entries: int = SL_ENTRIES, pairs=SL_SET, lst: bytes | None = None,
             sub=SL_URI, iat=SL_IAT, exp=SL_EXP, ttl=SL_TTL, status_list=None, extra=None,
             drop=(), payload: bytes | None = None, header=None, unprotected=None,
             key: Key = ISSUER, high_s=False, sig_hook=None, random_k=False) -> bytes:
    """A status list token (spec §9): COSE_Sign1, protected {1: -7, 4: kid, 16: typ},
    payload {2: sub, 4: exp, 6: iat, 65533: {"lst": zlib(array), "bits": bits}, 65534: ttl}."""
    if lst is None:
        lst = deflate(pack(bits, entries, pairs))
    p = {2: sub, 4: exp, 6: iat, 65533: {"lst": lst, "bits": bits} if status_list is None else status_list,
         65534: ttl}
    p.update(extra or {})
    for k in drop:
        del p[k]
    if payload is None:
        payload = encode_payload(p)
    hdr = header or {1: -7, 4: key.kid, 16: TYP_SL}
    return sign1(key, hdr, payload, unprotected=unprotected, high_s=high_s, sig_hook=sig_hook,
                 random_k=random_k)


def slvec(name: str, token: bytes, error: str | None = None, verifier=None, bits: int = 1,
          entries: int = SL_ENTRIES, pairs=SL_SET, sub=SL_URI, iat=SL_IAT, exp=SL_EXP, ttl=SL_TTL,
          trust=TRUST_ENTRIES, signer: Key = ISSUER, index: int = STATUS_IDX) -> dict:
    """A status_list vector in the schema of test-vectors/README.md (v2)."""
    ver = {"now": NOW, "clock_skew": 60, "max_token_size": 262144, "max_list_size": 1048576,
           "accepted_algs": [-7], "expected_uri": SL_URI, "index": index}
    ver.update(verifier or {})
    vec = {"name": name, "description": f"selftest {name}", "kind": "status_list",
           "inputs": {"issuer_keys": [signer.key_json()], "trust": trust_inputs(trust),
                      "list": {"bits": bits, "entries": entries, "set": [[i, v] for i, v in pairs]},
                      "sub": sub, "iat": iat, "exp": exp, "ttl": ttl},
           "trust_list": trust_bytes(trust).hex(), "verifier": ver, "token": token.hex()}
    if error:
        vec["expected"] = {"result": "invalid", "error": error}
    else:
        value = dict(pairs).get(ver["index"], 0)
        vec["expected"] = {"result": "valid", "status": VALUE_NAMES.get(value, "unknown"),
                           "value": value, "sub": sub, "iat": iat, "exp": exp, "ttl": ttl,
                           "bits": bits, "entries": entries, "issuer_kid": signer.kid.hex()}
    return vec


def cose_parts(token: bytes):
    return cbor2.loads(token)


def resign_payload(token: bytes, payload: bytes) -> bytes:
    """The token with another payload and its old signature (a tampered token)."""
    protected, unprotected, _, sig = cose_parts(token)
    return cbor([protected, unprotected, payload, sig])


def sl_raw_payload(pairs) -> bytes:
    """A payload map from (key, value) pairs encoded in exactly this order."""
    return bytes([0xA0 | len(pairs)]) + b"".join(cbor(k) + (v.data if isinstance(v, Raw) else cbor(v))
                                                  for k, v in pairs)


BOMB_SIZE = 16 << 20   # 16 MiB of zeros; the stream is about 16 KiB
BOMB = deflate(bytes(BOMB_SIZE))


def status_list_vectors() -> list[dict]:
    V = []
    tok = sl_token()
    # --- valid ---
    V.append(slvec("sl_valid_entry_clear", tok))                          # index 42: 0
    V.append(slvec("sl_valid_entry_revoked", tok, index=7))               # index 7: 1
    V.append(slvec("sl_valid_index_zero", tok, index=0))
    V.append(slvec("sl_valid_last_entry", tok, index=SL_ENTRIES - 1))
    two = [(41, 1), (42, 2), (43, 3), (SL_ENTRIES - 1, 3)]
    t2 = sl_token(bits=2, pairs=two)
    V.append(slvec("sl_bits2_suspended", t2, bits=2, pairs=two))
    V.append(slvec("sl_bits2_value_3_unknown", t2, bits=2, pairs=two, index=43))
    V.append(slvec("sl_bits2_value_1_invalid", t2, bits=2, pairs=two, index=41))
    four = [(3, 15), (42, 9), (43, 2)]
    t4 = sl_token(bits=4, pairs=four)
    V.append(slvec("sl_bits4_unknown_9", t4, bits=4, pairs=four))
    V.append(slvec("sl_bits4_value_15", t4, bits=4, pairs=four, index=3))
    V.append(slvec("sl_bits4_value_2_suspended", t4, bits=4, pairs=four, index=43))
    eight = [(0, 1), (42, 255), (511, 2)]
    t8 = sl_token(bits=8, entries=512, pairs=eight)
    V.append(slvec("sl_bits8_value_255", t8, bits=8, entries=512, pairs=eight))
    V.append(slvec("sl_bits8_value_1", t8, bits=8, entries=512, pairs=eight, index=0))
    full = [(0, 1), (STATUS_IDX, 1), ((1 << 20) - 1, 1)]
    V.append(slvec("sl_reference_size_2_20", sl_token(entries=1 << 20, pairs=full), entries=1 << 20,
                   pairs=full, index=(1 << 20) - 1))
    at_max = [((1 << 20) - 1, 2)]
    V.append(slvec("sl_bits8_inflates_to_max", sl_token(bits=8, entries=1 << 20, pairs=at_max), bits=8,
                   entries=1 << 20, pairs=at_max, index=(1 << 20) - 1))
    V.append(slvec("sl_token_exactly_max", tok, verifier={"max_token_size": len(tok)}))
    V.append(slvec("sl_list_exactly_max", tok, verifier={"max_list_size": SL_ENTRIES // 8}))
    V.append(slvec("sl_l8_edge", sl_token(iat=NOW + 60, exp=NOW + 60 + 86400), iat=NOW + 60,
                   exp=NOW + 60 + 86400))
    V.append(slvec("sl_l9_l10_edge", sl_token(ttl=86400), ttl=86400, verifier={"now": SL_EXP + 60}))
    V.append(slvec("sl_l10_edge", tok, verifier={"now": SL_IAT + SL_TTL + 60}))
    V.append(slvec("sl_m2_edge_ttl_0", sl_token(exp=SL_IAT + 1, ttl=0), exp=SL_IAT + 1, ttl=0,
                   verifier={"now": SL_IAT}))
    V.append(slvec("sl_l5_edge_not_after", tok, trust=[(ISSUER, SL_IAT, SL_IAT)]))
    V.append(slvec("sl_extra_configured_alg", tok, verifier={"accepted_algs": [-8, -7]}))
    both = TRUST_ENTRIES + [(OTHER, 0, 2**40)]
    V.append(slvec("sl_signed_by_other_trusted_key", sl_token(key=OTHER), trust=both, signer=OTHER))
    V.append(slvec("sl_stored_blocks", sl_token(lst=deflate(pack(1, SL_ENTRIES, SL_SET), level=0))))
    V.append(slvec("sl_times_beyond_2_63", sl_token(iat=2**63, exp=2**64 - 1, ttl=2**64 - 1), iat=2**63,
                   exp=2**64 - 1, ttl=2**64 - 1, trust=[(ISSUER, 0, 2**64 - 1)],
                   verifier={"now": 2**64 - 1}))
    # --- L1 ---
    V.append(slvec("sl_l1_too_large", tok, "input_too_large", verifier={"max_token_size": len(tok) - 1}))
    V.append(slvec("sl_l1_before_l2", b"\xff" * 100, "input_too_large", verifier={"max_token_size": 99}))
    # --- L2: C1-C7, H1-H5 ---
    V.append(slvec("sl_l2_tagged", b"\xd2" + tok, "cbor_unsupported_type"))
    V.append(slvec("sl_l2_trailing_byte", tok + b"\x00", "cbor_trailing_bytes"))
    V.append(slvec("sl_l2_short_signature", sl_token(sig_hook=lambda s: s[:63]), "cose_malformed"))
    V.append(slvec("sl_l2_typ_credential", sl_token(header={1: -7, 4: ISSUER.kid, 16: TYP_CRED}),
                   "wrong_context"))
    V.append(slvec("sl_l2_typ_jwt", sl_token(header={1: -7, 4: ISSUER.kid, 16: "application/statuslist+jwt"}),
                   "wrong_context"))
    V.append(slvec("sl_l2_typ_missing", sl_token(header={1: -7, 4: ISSUER.kid}), "wrong_context"))
    V.append(slvec("sl_l2_kid_missing", sl_token(header={1: -7, 16: TYP_SL}), "kid_missing"))
    V.append(slvec("sl_l2_kid_unprotected", sl_token(header={1: -7, 16: TYP_SL}, unprotected={4: ISSUER.kid}),
                   "cose_unprotected_header"))
    V.append(slvec("sl_l2_alg_missing", sl_token(header={4: ISSUER.kid, 16: TYP_SL}), "alg_missing"))
    V.append(slvec("sl_l2_alg_eddsa", sl_token(header={1: -8, 4: ISSUER.kid, 16: TYP_SL}), "alg_not_allowed"))
    V.append(slvec("sl_l2_no_alg_accepted", tok, "alg_not_allowed", verifier={"accepted_algs": []}))
    V.append(slvec("sl_l2_unknown_header", sl_token(header={1: -7, 3: 0, 4: ISSUER.kid, 16: TYP_SL}),
                   "cose_unknown_header"))
    # --- L3: F1-F5 ---
    V.append(slvec("sl_f2_payload_array", sl_token(payload=cbor([1])), "cose_malformed"))
    lst = deflate(pack(1, SL_ENTRIES, SL_SET))
    draft_order = sl_raw_payload([(2, SL_URI), (6, SL_IAT), (4, SL_EXP), (65534, SL_TTL),
                                  (65533, {"lst": lst, "bits": 1})])
    V.append(slvec("sl_f1_draft_key_order", sl_token(payload=draft_order), "cbor_unsorted_keys"))
    bits_first = Raw(b"\xa2" + cbor("bits") + cbor(1) + cbor("lst") + cbor(lst))
    V.append(slvec("sl_f1_bits_before_lst", sl_token(status_list=bits_first), "cbor_unsorted_keys"))
    V.append(slvec("sl_f3_iss", sl_token(extra={1: "https://issuer.example"}), "unknown_field"))
    V.append(slvec("sl_f3_status_claim_key", sl_token(extra={65535: status_claim()}), "unknown_field"))
    V.append(slvec("sl_f3_text_key", sl_token(extra={"sub": SL_URI}), "unknown_field"))
    V.append(slvec("sl_f5_no_ttl", sl_token(drop=(65534,)), "missing_field"))
    V.append(slvec("sl_f5_no_sub", sl_token(drop=(2,)), "missing_field"))
    V.append(slvec("sl_f5_no_status_list", sl_token(drop=(65533,)), "missing_field"))
    V.append(slvec("sl_f5_no_iat", sl_token(drop=(6,)), "missing_field"))
    for label, sub in (("http", "http://issuer.example/v1/status-lists/3"), ("escape", "https://i.example/\x1b[0m"),
                       ("c1", "https://i.example/\x85"), ("line_separator", "https://i.example/\u2028"),
                       ("257_bytes", "https://i.example/" + "a" * 239), ("empty", ""),
                       ("uppercase_scheme", "HTTPS://issuer.example/v1/status-lists/3")):
        V.append(slvec(f"sl_f4_sub_{label}", sl_token(sub=sub), "invalid_field", sub=sub))
    V.append(slvec("sl_f4_sub_bstr", sl_token(sub=SL_URI.encode()), "invalid_field"))
    V.append(slvec("sl_f4_lst_empty", sl_token(lst=b""), "invalid_field"))
    V.append(slvec("sl_f4_lst_text", sl_token(status_list={"lst": lst.hex(), "bits": 1}), "invalid_field"))
    V.append(slvec("sl_f4_bits_text", sl_token(status_list={"lst": lst, "bits": "1"}), "invalid_field"))
    V.append(slvec("sl_f4_bits_negative", sl_token(status_list={"lst": lst, "bits": -1}), "invalid_field"))
    V.append(slvec("sl_f4_bits_bool", sl_token(status_list={"lst": lst, "bits": True}), "invalid_field"))
    V.append(slvec("sl_f4_aggregation_uri", sl_token(status_list={"lst": lst, "bits": 1,
                                                                   "aggregation_uri": "https://i.example/agg"}),
                   "invalid_field"))
    V.append(slvec("sl_f4_status_list_array", sl_token(status_list=[lst, 1]), "invalid_field"))
    V.append(slvec("sl_f4_status_list_lst_only", sl_token(status_list={"lst": lst}), "invalid_field"))
    V.append(slvec("sl_f4_exp_negative", sl_token(exp=-1), "invalid_field"))
    V.append(slvec("sl_f4_iat_bool", sl_token(iat=True), "invalid_field"))
    V.append(slvec("sl_f4_ttl_text", sl_token(ttl="43200"), "invalid_field"))
    V.append(slvec("sl_f4_key_order_decides", sl_token(sub="http://i.example", extra={7: 0}), "invalid_field"))
    V.append(slvec("sl_f3_key_order_decides", sl_token(sub="http://i.example", extra={1: 0}), "unknown_field"))
    # --- L3: M1-M2, after F1-F5 ---
    for b in (0, 3, 5, 16, 2**64 - 1):
        V.append(slvec(f"sl_m1_bits_{b}", sl_token(status_list={"lst": lst, "bits": b}), "invalid_field"))
    V.append(slvec("sl_m2_iat_equals_exp", sl_token(exp=SL_IAT), "invalid_field"))
    V.append(slvec("sl_m2_iat_after_exp", sl_token(exp=SL_IAT - 1), "invalid_field"))
    V.append(slvec("sl_f3_before_m1", sl_token(status_list={"lst": lst, "bits": 3}, extra={1: 0}),
                   "unknown_field"))
    V.append(slvec("sl_f5_before_m1", sl_token(status_list={"lst": lst, "bits": 3}, drop=(65534,)),
                   "missing_field"))
    V.append(slvec("sl_f5_before_m2", sl_token(exp=SL_IAT, drop=(2,)), "missing_field"))
    V.append(slvec("sl_m2_before_l4", sl_token(exp=SL_IAT, key=OTHER), "invalid_field", signer=OTHER))
    # --- L4-L6 ---
    V.append(slvec("sl_l4_unknown_key", sl_token(key=OTHER), "unknown_key_id", signer=OTHER))
    V.append(slvec("sl_l4_trust_list_without_signer", tok, "unknown_key_id", trust=[(OTHER, 0, 2**40)]))
    V.append(slvec("sl_l5_key_ended", tok, "issuer_key_not_valid", trust=[(ISSUER, 0, SL_IAT - 1)]))
    V.append(slvec("sl_l5_key_not_started", tok, "issuer_key_not_valid", trust=[(ISSUER, SL_IAT + 1, 2**40)]))
    forged = sl_token(key=OTHER, header={1: -7, 4: ISSUER.kid, 16: TYP_SL})
    V.append(slvec("sl_l5_before_l6", forged, "issuer_key_not_valid", trust=[(ISSUER, 0, SL_IAT - 1)],
                   signer=OTHER))
    V.append(slvec("sl_l6_high_s", sl_token(high_s=True), "signature_malleable"))
    V.append(slvec("sl_l6_forged", forged, "issuer_signature_invalid", signer=OTHER))
    V.append(slvec("sl_l6_s_zero", sl_token(sig_hook=lambda s: replace_s(s, 0)), "issuer_signature_invalid"))
    revoked_42 = SL_SET + [(STATUS_IDX, 1)]
    tampered = resign_payload(tok, cose_parts(sl_token(pairs=revoked_42))[2])
    V.append(slvec("sl_l6_tampered_list", tampered, "issuer_signature_invalid"))
    V.append(slvec("sl_l6_before_l7", forged, "issuer_signature_invalid", signer=OTHER,
                   verifier={"expected_uri": "https://other.example/"}))
    # --- L7-L10 ---
    for label, uri in (("other_list", "https://issuer.example/v1/status-lists/4"),
                       ("trailing_slash", SL_URI + "/"), ("host_case", SL_URI.replace("issuer", "Issuer"))):
        V.append(slvec(f"sl_l7_{label}", tok, "status_list_uri_mismatch", verifier={"expected_uri": uri}))
    nfc = "https://issuer.example/\u00e9"
    V.append(slvec("sl_l7_bytewise_not_normalised", sl_token(sub=nfc), "status_list_uri_mismatch", sub=nfc,
                   verifier={"expected_uri": "https://issuer.example/e\u0301"}))
    future = sl_token(iat=NOW + 61, exp=NOW + 61 + 86400)
    V.append(slvec("sl_l8_from_future", future, "status_list_from_future", iat=NOW + 61, exp=NOW + 61 + 86400))
    V.append(slvec("sl_l7_before_l8", future, "status_list_uri_mismatch", iat=NOW + 61, exp=NOW + 61 + 86400,
                   verifier={"expected_uri": "https://other.example/"}))
    V.append(slvec("sl_l9_expired", tok, "status_list_expired", verifier={"now": SL_EXP + 61}))
    V.append(slvec("sl_l9_before_l10", sl_token(ttl=86400), "status_list_expired", ttl=86400,
                   verifier={"now": SL_EXP + 61}))
    V.append(slvec("sl_l10_stale", tok, "status_list_stale", verifier={"now": SL_IAT + SL_TTL + 61}))
    V.append(slvec("sl_l10_ttl_0", sl_token(ttl=0), "status_list_stale", ttl=0,
                   verifier={"now": SL_IAT + 61}))
    V.append(slvec("sl_l10_before_l11", sl_token(lst=b"\x00"), "status_list_stale",
                   verifier={"now": SL_IAT + SL_TTL + 61}))
    # --- L11: inflate ---
    good = deflate(pack(1, SL_ENTRIES, SL_SET))
    dict_stream = deflate(pack(1, SL_ENTRIES, SL_SET), zdict=b"\x00" * 64)
    assert dict_stream[1] & 0x20  # FDICT
    malformed = {
        "not_zlib": b"\x00\x01\x02\x03",
        "raw_deflate": deflate(pack(1, SL_ENTRIES, SL_SET), wbits=-15),
        "gzip": deflate(pack(1, SL_ENTRIES, SL_SET), wbits=31),
        "bad_header_check": bytes([good[0], good[1] ^ 1]) + good[2:],
        "preset_dictionary": dict_stream,
        "bad_block_type": b"\x78\x9c\x07",
        "bad_adler32": good[:-1] + bytes([good[-1] ^ 1]),
        "truncated_adler32": good[:-1],
        "truncated_half": good[: len(good) // 2],
        "header_only": good[:2],
        "trailing_zero_byte": good + b"\x00",
        "two_streams": good + good,
        "empty_output": deflate(b""),
    }
    for label, data in malformed.items():
        V.append(slvec(f"sl_l11_{label}", sl_token(lst=data), "status_list_malformed"))
    V.append(slvec("sl_l11_zlib_bomb", sl_token(lst=BOMB), "status_list_too_large"))
    V.append(slvec("sl_l11_bomb_then_trailing_bytes", sl_token(lst=BOMB + b"\x00"), "status_list_too_large"))
    V.append(slvec("sl_l11_bomb_bad_adler32", sl_token(lst=BOMB[:-1] + bytes([BOMB[-1] ^ 1])),
                   "status_list_too_large"))
    V.append(slvec("sl_l11_bomb_truncated", sl_token(lst=BOMB[: len(BOMB) // 2]), "status_list_too_large"))
    V.append(slvec("sl_l11_one_byte_over_max", tok, "status_list_too_large",
                   verifier={"max_list_size": SL_ENTRIES // 8 - 1}))
    bad_adler = good[:-1] + bytes([good[-1] ^ 1])
    V.append(slvec("sl_l11_one_over_max_then_bad_adler32", sl_token(lst=bad_adler), "status_list_too_large",
                   verifier={"max_list_size": SL_ENTRIES // 8 - 1}))
    V.append(slvec("sl_l11_at_max_then_bad_adler32", sl_token(lst=bad_adler), "status_list_malformed",
                   verifier={"max_list_size": SL_ENTRIES // 8}))
    over = [(1 << 20, 1)]
    V.append(slvec("sl_l11_bits8_one_entry_over_default_max", sl_token(bits=8, entries=(1 << 20) + 1, pairs=over),
                   "status_list_too_large", bits=8, entries=(1 << 20) + 1, pairs=over))
    V.append(slvec("sl_l11_empty_output_max_0", sl_token(lst=deflate(b"")), "status_list_malformed",
                   verifier={"max_list_size": 0}))
    # --- L12 ---
    V.append(slvec("sl_l12_index_equals_entries", tok, "status_index_out_of_range", index=SL_ENTRIES))
    V.append(slvec("sl_l12_index_2_64", tok, "status_index_out_of_range", index=2**64))
    V.append(slvec("sl_l12_bits8", t8, "status_index_out_of_range", bits=8, entries=512, pairs=eight, index=512))
    V.append(slvec("sl_l12_bits2", t2, "status_index_out_of_range", bits=2, pairs=two, index=SL_ENTRIES))
    V.append(slvec("sl_l11_before_l12", sl_token(lst=b"\x00"), "status_list_malformed", index=2**64))
    return V


# ------------------------------------------------------------------------------------------
# Verifier certificates and signed requests (spec v3 §7.4-§7.6), unsigned requests (§7.1-§7.3)
# ------------------------------------------------------------------------------------------
# The named keys of test-vectors/README.md (v3): the checker's generator checks want the
# verifier scalar to be one of "verifier kino" and "verifier other".

AUTH_A, AUTH_B, AUTH_UNKNOWN = Key("authority A"), Key("authority B"), Key("authority unknown")
VKINO, VOTHER = Key("verifier kino"), Key("verifier other")
# v4 (spec §18): the verifier's ephemeral response key, named as in test-vectors/README.md, and
# another named key in its place (a relay's substitute, or another session's key).
RK, RK_OTHER = Key("response key"), VOTHER
RK_DIGEST = hashlib.sha256(b"\x04" + RK.x + RK.y).digest()[:16]      # spec §18.1 <kd>
ONLINE = {8: RK.cose_key()}                                          # request key 8
DAY = 86400
CERT_IAT = NOW - 10 * DAY
CERT_IN = {"name": "Kino Światowid", "audience": "https://kino.example/verifier",
           "claims": ["age_over_18", "age_over_16", "age_over_13", "given_names", "family_name",
                      "portrait"],
           "iat": CERT_IAT, "nbf": CERT_IAT, "exp": CERT_IAT + 30 * DAY}
REQ_NONCE = bytes(range(200, 216))
REQ_IN = {"nonce": REQ_NONCE, "audience": CERT_IN["audience"], "verifier_name": CERT_IN["name"],
          "claims": ["portrait", "age_over_18"], "created_at": NOW - 5}
AUTH_TRUST = [(AUTH_A, CERT_IAT - 365 * DAY, CERT_IAT + 365 * DAY)]
ALL_CLAIMS = list(chk.REGISTRY)
assert len(ALL_CLAIMS) == 16


def cert_payload(c=None, vkey: Key = VKINO, version=1, extra=None, drop=(), key_map=None) -> bytes:
    """A verifier certificate payload (spec §7.4): c overrides fields of CERT_IN."""
    c = {**CERT_IN, **(c or {})}
    p = {1: version, 2: vkey.cose_key() if key_map is None else key_map, 3: c["name"],
         4: c["audience"], 5: c["claims"], 6: c["iat"], 7: c["nbf"], 8: c["exp"]}
    p.update(extra or {})
    for k in drop:
        p.pop(k)
    return encode_payload(p)


def make_cert(c=None, signer: Key = AUTH_A, header=None, unprotected=None, high_s=False,
              sig_hook=None, payload=None, random_k=False, **fields) -> bytes:
    """A verifier certificate (spec §7.4): COSE_Sign1, typ verifier, the authority's kid."""
    body = cert_payload(c, **fields) if payload is None else payload
    hdr = {1: -7, 4: signer.kid, 16: TYP_VER} if header is None else header
    return sign1(signer, hdr, body, unprotected=unprotected, high_s=high_s, sig_hook=sig_hook,
                 random_k=random_k)


CERT = make_cert()


def req_fields(r=None, version=1) -> dict:
    r = {**REQ_IN, **(r or {})}
    return {1: version, 2: r["nonce"], 3: r["audience"], 4: r["verifier_name"], 5: r["claims"],
            6: r["created_at"]}


def make_request(r=None, cert: bytes | None = None, signer: Key = VKINO, header=None,
                 unprotected=None, high_s=False, sig_hook=None, payload=None, version=1,
                 extra=None, drop=(), random_k=False) -> bytes:
    """A signed request (spec §7.5): COSE_Sign1, typ request, no kid; payload the six fields
    of §7.1 and key 7, the certificate's bytes."""
    if payload is None:
        p = req_fields(r, version)
        p[7] = CERT if cert is None else cert
        p.update(extra or {})
        for k in drop:
            p.pop(k)
        payload = encode_payload(p)
    hdr = {1: -7, 16: TYP_REQ} if header is None else header
    return sign1(signer, hdr, payload, unprotected=unprotected, high_s=high_s, sig_hook=sig_hook,
                 random_k=random_k)


def make_unsigned(r=None, version=1, extra=None, drop=()) -> bytes:
    """An unsigned request (spec §7.1): a plain map of the six fields."""
    p = req_fields(r, version)
    p.update(extra or {})
    for k in drop:
        p.pop(k)
    return encode_payload(p)


REQUEST = make_request()
OTHER_REQUEST = make_request(r={"nonce": bytes(range(16))})   # another request (other nonce)
REQUEST_DIGEST = hashlib.sha256(REQUEST).digest()
OTHER_REQUEST_DIGEST = hashlib.sha256(OTHER_REQUEST).digest()


def rvec(name: str, data: bytes, error: str | None = None, r=None, c=None, trust=AUTH_TRUST,
         holder=None, signer: Key = AUTH_A, vkey: Key = VKINO, auth_keys=None,
         signed: bool = True, rk: "Key | None" = None, kd: bytes | None = None) -> dict:
    """A request vector in the schema of test-vectors/README.md (v4, kind "request").  r and c
    override REQ_IN and CERT_IN: the inputs the object was built from.  rk: the response key
    whose public key is the request's key 8 (None: no key 8); kd: the engagement key digest
    the holder checks E1-E2 against (None: none).  For a valid vector the expected object is
    computed here from those inputs (signed: with the certificate's fields; unsigned: those
    null)."""
    rr, cc = {**REQ_IN, **(r or {})}, {**CERT_IN, **(c or {})}
    hold = {"now": NOW, "clock_skew": 60, "engagement_key_digest": None if kd is None else kd.hex()}
    hold.update(holder or {})
    vec = {"name": name, "description": f"selftest {name}", "kind": "request",
           "inputs": {"authority_keys": [k.key_json() for k in (auth_keys or [signer])],
                      "authority": signer.name,
                      "authority_trust": trust_inputs(trust),
                      "verifier_private_scalar": vkey.d.to_bytes(32, "big").hex(),
                      "certificate": {k: cc[k] for k in ("name", "audience", "claims", "iat", "nbf", "exp")},
                      "request": {"nonce": rr["nonce"].hex(), "audience": rr["audience"],
                                  "verifier_name": rr["verifier_name"], "claims": list(rr["claims"]),
                                  "created_at": rr["created_at"],
                                  "response_key_scalar": None if rk is None else rk.d.to_bytes(32, "big").hex()}},
           "authority_list": trust_bytes(trust).hex(), "holder": hold, "request": data.hex()}
    if error:
        vec["expected"] = {"result": "invalid", "error": error}
        return vec
    vec["expected"] = {
        "result": "valid", "verifier_name": rr["verifier_name"], "audience": rr["audience"],
        "claims": list(rr["claims"]),
        "allowed_claims": list(cc["claims"]) if signed else None,
        "authority_kid": signer.kid.hex() if signed else None,
        "verifier_key_x": vkey.x.hex() if signed else None,
        "verifier_key_y": vkey.y.hex() if signed else None,
        "request_digest": hashlib.sha256(data).hexdigest() if signed else None,
        "nonce": rr["nonce"].hex(), "created_at": rr["created_at"],
        "not_before": cc["nbf"] if signed else None, "expires": cc["exp"] if signed else None,
        "response_key_x": None if rk is None else rk.x.hex(),
        "response_key_y": None if rk is None else rk.y.hex()}
    return vec


_REQUEST_CASES: list = []   # (vector, code, step path, detail substring or None, signed or None)


def rcase(V: list, name: str, data: bytes, error: str | None = None, path: str = "",
          detail: str | None = None, **kw) -> None:
    """One request vector: in the CLI file (verdict and expected) and, directly, its code, its
    step path (exactly) and, where given, a substring of its detail (which A5 check)."""
    vec = rvec(name, data, error, **kw)
    V.append(vec)
    _REQUEST_CASES.append((vec, error or "valid", path, detail, kw.get("signed", True) if not error else None))


def tampered(cose: bytes, payload: bytes) -> bytes:
    """cose with another payload and its old signature."""
    protected, unprotected, _, sig = cbor2.loads(cose)
    return cbor([protected, unprotected, payload, sig])


_REQUEST_VECTORS: list = []


def request_vectors() -> list[dict]:
    if _REQUEST_VECTORS:
        return _REQUEST_VECTORS
    V = _REQUEST_VECTORS
    # --- valid, signed (A1-A12 pass) ---
    rcase(V, "valid_signed", REQUEST)
    all_r = {"claims": ALL_CLAIMS[::-1]}
    big_c = {"name": "ł" * 64, "audience": "https://" + "a" * 120, "claims": ALL_CLAIMS}
    big_r = {"nonce": bytes(range(32)), "audience": big_c["audience"], "verifier_name": big_c["name"], **all_r}
    big = make_request(r=big_r, cert=make_cert(c=big_c))
    assert 1024 < len(big) <= 2048, len(big)
    rcase(V, "valid_signed_over_1024_bytes", big, r=big_r, c=big_c)
    rcase(V, "valid_signed_one_claim", make_request(r={"claims": ["age_over_13"]}), r={"claims": ["age_over_13"]})
    rcase(V, "valid_signed_all_claims_other_order", make_request(
        r=all_r, cert=make_cert(c={"claims": ALL_CLAIMS})), r=all_r, c={"claims": ALL_CLAIMS})
    rot = [(AUTH_A, CERT_IAT - 365 * DAY, CERT_IAT), (AUTH_B, CERT_IAT, CERT_IAT + 365 * DAY)]
    rcase(V, "valid_rotation_retired_key_at_its_edge", REQUEST, trust=rot, auth_keys=[AUTH_A, AUTH_B])
    rcase(V, "valid_rotation_new_key", make_request(cert=make_cert(signer=AUTH_B)), trust=rot,
          signer=AUTH_B, auth_keys=[AUTH_A, AUTH_B])
    rcase(V, "valid_a7_not_before_edge", REQUEST, trust=[(AUTH_A, CERT_IAT, CERT_IAT)])
    nbf_edge = {"nbf": NOW + 60, "exp": NOW + 60 + 30 * DAY}
    rcase(V, "valid_a9a_edge", make_request(cert=make_cert(c=nbf_edge)), c=nbf_edge)
    rcase(V, "valid_a9b_edge", REQUEST, holder={"now": CERT_IN["exp"] + 60})
    win = {"iat": CERT_IAT, "nbf": CERT_IAT + 5, "exp": CERT_IAT + 6}
    rcase(V, "valid_window_nbf_after_iat", make_request(cert=make_cert(c=win)), c=win,
          holder={"now": CERT_IAT})
    rcase(V, "valid_skew_0", REQUEST, holder={"clock_skew": 0})
    # --- valid, unsigned (R1-R5 pass): the certificate's fields are null ---
    rcase(V, "valid_unsigned", make_unsigned(), signed=False)
    rcase(V, "valid_unsigned_claims_outside_any_certificate", make_unsigned(r={"claims": ["pesel"]}),
          r={"claims": ["pesel"]}, signed=False)
    rcase(V, "valid_unsigned_all_claims", make_unsigned(r=all_r), r=all_r, signed=False)
    rcase(V, "valid_unsigned_ignores_authorities", make_unsigned(), trust=[(AUTH_B, 0, 1)], signer=AUTH_B,
          signed=False)

    # --- A1 (2048 bytes; the 1024 of R1 does not apply) ---
    rcase(V, "a1_2049_bytes", b"\x84" + bytes(2048), "input_too_large", "A1")
    rcase(V, "a1_2048_bytes_reach_a2", b"\x80" + bytes(2047), "cbor_trailing_bytes", "A2/C1/Decode")
    rcase(V, "a1_padded_valid_request", REQUEST + bytes(2049 - len(REQUEST)), "input_too_large", "A1")
    # --- A2: C1-C7, H1-H5 on the request ---
    rcase(V, "a2_trailing_byte", REQUEST + b"\x00", "cbor_trailing_bytes", "A2/C1/Decode")
    rcase(V, "a2_indefinite_array", b"\x9f" + REQUEST[1:] + b"\xff", "cbor_indefinite_length", "A2/C1/D5")
    rcase(V, "a2_reserved_ai_array", b"\x9c" + REQUEST[1:], "cbor_malformed", "A2/C1/D2")
    rcase(V, "a2_three_elements", cbor(cbor2.loads(REQUEST)[:3]), "cose_malformed", "A2/C2")
    rcase(V, "a2_payload_nil", cbor([cbor({1: -7, 16: TYP_REQ}), {}, None, bytes(64)]), "cose_malformed", "A2/C3")
    rcase(V, "a2_short_signature", make_request(sig_hook=lambda s: s[:63]), "cose_malformed", "A2/C4")
    rcase(V, "a2_empty_protected", cbor([b"", {}, cbor2.loads(REQUEST)[2], bytes(64)]), "cbor_malformed",
          "A2/C5/D1")
    rcase(V, "a2_unknown_header", make_request(header={1: -7, 3: 0, 16: TYP_REQ}), "cose_unknown_header", "A2/C7")
    rcase(V, "a2_typ_not_text", make_request(header={1: -7, 16: b"x"}), "cose_malformed", "A2/C7")
    rcase(V, "a2_alg_missing", make_request(header={16: TYP_REQ}), "alg_missing", "A2/H1")
    rcase(V, "a2_alg_unprotected", make_request(header={16: TYP_REQ}, unprotected={1: -7}),
          "alg_not_protected", "A2/H1")
    rcase(V, "a2_unprotected_header", make_request(unprotected={5: b"iv"}), "cose_unprotected_header", "A2/H2")
    rcase(V, "a2_typ_presentation", make_request(header={1: -7, 16: TYP_PRES}), "wrong_context", "A2/H3")
    rcase(V, "a2_typ_missing", make_request(header={1: -7}), "wrong_context", "A2/H3")
    rcase(V, "a2_certificate_sent_as_request", CERT, "wrong_context", "A2/H3")
    rcase(V, "a2_alg_eddsa", make_request(header={1: -8, 16: TYP_REQ}), "alg_not_allowed", "A2/H4")
    rcase(V, "a2_kid_present", make_request(header={1: -7, 4: VKINO.kid, 16: TYP_REQ}),
          "cose_unknown_header", "A2/H5")
    # --- A3: F1-F5 with the table of §7.5, then R3, R4, R5 ---
    rcase(V, "a3_payload_array", make_request(payload=cbor([1, 2])), "cose_malformed", "A3/F2")
    rcase(V, "a3_payload_unsorted", make_request(payload=b"\xa2\x02\x01\x01\x01"), "cbor_unsorted_keys",
          "A3/F1/D16")
    rcase(V, "a3_unknown_key_9", make_request(extra={9: 0}), "unknown_field", "A3/F3")
    rcase(V, "a3_text_key", make_request(extra={"certificate": b""}), "unknown_field", "A3/F3")
    rcase(V, "a3_nonce_15_bytes", make_request(r={"nonce": bytes(15)}), "invalid_field", "A3/F4")
    rcase(V, "a3_audience_newline", make_request(r={"audience": "kino\n"}), "invalid_field", "A3/F4")
    rcase(V, "a3_verifier_name_129_bytes", make_request(r={"verifier_name": "a" * 129}), "invalid_field", "A3/F4")
    rcase(V, "a3_claims_not_array", make_request(r={"claims": "portrait"}), "invalid_field", "A3/F4")
    rcase(V, "a3_certificate_text", make_request(extra={7: CERT.hex()}), "invalid_field", "A3/F4")
    rcase(V, "a3_created_at_negative", make_request(r={"created_at": -1}), "invalid_field", "A3/F4")
    rcase(V, "a3_no_certificate", make_request(drop=(7,)), "missing_field", "A3/F5")
    rcase(V, "a3_no_created_at", make_request(drop=(6,)), "missing_field", "A3/F5")
    rcase(V, "a3_version_2", make_request(version=2), "unsupported_version", "A3/R3")
    rcase(V, "a3_version_0", make_request(version=0), "unsupported_version", "A3/R3")
    rcase(V, "a3_no_claims", make_request(r={"claims": []}), "invalid_field", "A3/R4")
    rcase(V, "a3_17_claims", make_request(r={"claims": ALL_CLAIMS + ["portrait"]}), "invalid_field", "A3/R4")
    rcase(V, "a3_claim_not_text", make_request(r={"claims": ["portrait", 1]}), "invalid_field", "A3/R5")
    rcase(V, "a3_claim_unknown", make_request(r={"claims": ["portrait", "nickname"]}), "unknown_claim", "A3/R5")
    rcase(V, "a3_claim_repeated", make_request(r={"claims": ["portrait", "portrait"]}), "duplicate_claim", "A3/R5")
    rcase(V, "a3_f5_before_r3", make_request(version=2, drop=(6,)), "missing_field", "A3/F5")
    rcase(V, "a3_r3_before_r4", make_request(version=2, r={"claims": []}), "unsupported_version", "A3/R3")
    rcase(V, "a3_before_a4", make_request(version=2, cert=b""), "unsupported_version", "A3/R3")
    rcase(V, "a3_r5_before_a4", make_request(r={"claims": ["nickname"]}, cert=b"\x00"), "unknown_claim", "A3/R5")
    # --- A4: C1-C7, H1-H5 on the certificate ---
    rcase(V, "a4_empty_certificate", make_request(cert=b""), "cbor_malformed", "A4/C1/D1")
    rcase(V, "a4_tagged_certificate", make_request(cert=b"\xd2" + CERT), "cbor_unsupported_type", "A4/C1/D3")
    rcase(V, "a4_certificate_trailing_byte", make_request(cert=CERT + b"\x00"), "cbor_trailing_bytes",
          "A4/C1/Decode")
    rcase(V, "a4_certificate_short_signature", make_request(cert=make_cert(sig_hook=lambda s: s[:63])),
          "cose_malformed", "A4/C4")
    rcase(V, "a4_certificate_unknown_header", make_request(cert=make_cert(header={1: -7, 3: 0, 4: AUTH_A.kid,
                                                                                16: TYP_VER})),
          "cose_unknown_header", "A4/C7")
    rcase(V, "a4_certificate_alg_missing", make_request(cert=make_cert(header={4: AUTH_A.kid, 16: TYP_VER})),
          "alg_missing", "A4/H1")
    rcase(V, "a4_certificate_kid_unprotected", make_request(cert=make_cert(
        header={1: -7, 16: TYP_VER}, unprotected={4: AUTH_A.kid})), "cose_unprotected_header", "A4/H2")
    rcase(V, "a4_certificate_typ_request", make_request(cert=make_cert(header={1: -7, 4: AUTH_A.kid, 16: TYP_REQ})),
          "wrong_context", "A4/H3")
    rcase(V, "a4_certificate_typ_credential", make_request(cert=make_cert(
        header={1: -7, 4: AUTH_A.kid, 16: TYP_CRED})), "wrong_context", "A4/H3")
    rcase(V, "a4_credential_as_certificate", make_request(cert=CRED), "wrong_context", "A4/H3")
    rcase(V, "a4_certificate_alg_eddsa", make_request(cert=make_cert(header={1: -8, 4: AUTH_A.kid, 16: TYP_VER})),
          "alg_not_allowed", "A4/H4")
    rcase(V, "a4_certificate_kid_missing", make_request(cert=make_cert(header={1: -7, 16: TYP_VER})),
          "kid_missing", "A4/H5")
    rcase(V, "a4_before_a5", make_request(cert=make_cert(header={1: -7, 16: TYP_VER}, version=2)),
          "kid_missing", "A4/H5")

    def cert_req(**kw):
        return make_request(cert=make_cert(**kw))

    # --- A5: F1-F5 with the table of §7.4 ---
    rcase(V, "a5_payload_array", cert_req(payload=cbor([1])), "cose_malformed", "A5/F2")
    rcase(V, "a5_payload_empty_bstr", cert_req(payload=b""), "cbor_malformed", "A5/F1/D1")
    rcase(V, "a5_unknown_key_9", cert_req(extra={9: 0}), "unknown_field", "A5/F3")
    rcase(V, "a5_name_empty", cert_req(c={"name": ""}), "invalid_field", "A5/F4")
    rcase(V, "a5_name_bidi_override", cert_req(c={"name": "Kino\u202e"}), "invalid_field", "A5/F4")
    rcase(V, "a5_name_129_bytes", cert_req(c={"name": "ł" * 64 + "a"}), "invalid_field", "A5/F4")
    rcase(V, "a5_audience_bstr", cert_req(c={"audience": b"kino"}), "invalid_field", "A5/F4")
    rcase(V, "a5_verifier_key_not_map", cert_req(key_map=VKINO.x + VKINO.y), "invalid_field", "A5/F4")
    rcase(V, "a5_claims_not_array", cert_req(c={"claims": {"portrait": True}}), "invalid_field", "A5/F4")
    rcase(V, "a5_iat_negative", cert_req(c={"iat": -1}), "invalid_field", "A5/F4")
    rcase(V, "a5_exp_text", cert_req(c={"exp": "never"}), "invalid_field", "A5/F4")
    rcase(V, "a5_version_bool", cert_req(version=True), "invalid_field", "A5/F4")
    rcase(V, "a5_no_exp", cert_req(drop=(8,)), "missing_field", "A5/F5")
    rcase(V, "a5_no_verifier_key", cert_req(drop=(2,)), "missing_field", "A5/F5")
    # --- A5 after F5: version, claims, verifier key, window ---
    rcase(V, "a5_version_2", cert_req(version=2), "unsupported_version", "A5", "version")
    rcase(V, "a5_version_0", cert_req(version=0), "unsupported_version", "A5", "version")
    rcase(V, "a5_claims_empty", cert_req(c={"claims": []}), "invalid_field", "A5", "claims: 0 certificate claims")
    rcase(V, "a5_claims_17", cert_req(c={"claims": ALL_CLAIMS + ["portrait"]}), "invalid_field", "A5",
          "claims: 17 certificate claims")
    rcase(V, "a5_claims_16", make_request(cert=make_cert(c={"claims": ALL_CLAIMS})),   # valid: 16 is the most
          c={"claims": ALL_CLAIMS})
    rcase(V, "a5_claim_not_text", cert_req(c={"claims": ["portrait", b"pesel"]}), "invalid_field", "A5",
          "certificate claims[1] is not a tstr")
    rcase(V, "a5_claim_unknown", cert_req(c={"claims": ["portrait", "nickname"]}), "unknown_claim", "A5",
          "certificate claims[1]")
    rcase(V, "a5_claim_repeated", cert_req(c={"claims": ["portrait", "pesel", "portrait"]}), "duplicate_claim",
          "A5", "certificate claims[2]")
    off_curve = {**VKINO.cose_key(), -3: bytes(31) + b"\x01"}
    rcase(V, "a5_verifier_key_off_curve", cert_req(key_map=off_curve), "invalid_field", "A5", "verifier_key")
    rcase(V, "a5_verifier_key_alg_label", cert_req(key_map={**VKINO.cose_key(), 3: -7}), "invalid_field", "A5",
          "verifier_key: labels")
    rcase(V, "a5_verifier_key_kty_okp", cert_req(key_map={**VKINO.cose_key(), 1: 1}), "invalid_field", "A5",
          "verifier_key: values")
    rcase(V, "a5_verifier_key_x_31_bytes", cert_req(key_map={**VKINO.cose_key(), -2: VKINO.x[1:]}),
          "invalid_field", "A5", "verifier_key: values")
    rcase(V, "a5_verifier_key_x_ge_p", cert_req(key_map={**VKINO.cose_key(), -2: b"\xff" * 32}),
          "invalid_field", "A5", "verifier_key: not a valid P-256 point")
    rcase(V, "a5_window_iat_after_nbf", cert_req(c={"iat": CERT_IAT + 1}), "invalid_field", "A5", "window")
    rcase(V, "a5_window_nbf_equals_exp", cert_req(c={"exp": CERT_IAT}), "invalid_field", "A5", "window")
    rcase(V, "a5_window_exp_before_nbf", cert_req(c={"exp": CERT_IAT - 1}), "invalid_field", "A5", "window")
    # --- the order inside A5: F1-F5 to completion, version, claims in order, key, window ---
    rcase(V, "a5_order_f3_before_version", cert_req(version=2, extra={9: 0}), "unknown_field", "A5/F3")
    rcase(V, "a5_order_f5_before_version", cert_req(version=2, drop=(8,)), "missing_field", "A5/F5")
    rcase(V, "a5_order_f4_name_before_version", cert_req(version=2, c={"name": ""}), "invalid_field", "A5/F4")
    rcase(V, "a5_order_version_before_claims_count", cert_req(version=2, c={"claims": []}),
          "unsupported_version", "A5", "version")
    rcase(V, "a5_order_f3_before_claims_count", cert_req(c={"claims": []}, extra={9: 0}), "unknown_field", "A5/F3")
    rcase(V, "a5_order_claims_count_before_elements", cert_req(c={"claims": ALL_CLAIMS + ["nickname"]}),
          "invalid_field", "A5", "claims: 17 certificate claims")
    rcase(V, "a5_order_claims_count_before_verifier_key", cert_req(c={"claims": []}, key_map=off_curve),
          "invalid_field", "A5", "claims: 0 certificate claims")
    rcase(V, "a5_order_f3_after_bad_key_map", cert_req(key_map=off_curve, extra={9: 0}), "unknown_field", "A5/F3")
    rcase(V, "a5_order_f5_after_bad_window", cert_req(c={"exp": CERT_IAT}, drop=(2,)), "missing_field", "A5/F5")
    rcase(V, "a5_order_version_before_claims", cert_req(version=2, c={"claims": ["nickname"]}),
          "unsupported_version", "A5", "version")
    rcase(V, "a5_order_claims_element_order_unknown_first", cert_req(c={"claims": ["nickname", 1]}),
          "unknown_claim", "A5", "certificate claims[0]")
    rcase(V, "a5_order_claims_element_order_text_first", cert_req(c={"claims": [1, "nickname"]}),
          "invalid_field", "A5", "certificate claims[0] is not a tstr")
    rcase(V, "a5_order_repeat_before_later_unknown", cert_req(c={"claims": ["pesel", "pesel", "nickname"]}),
          "duplicate_claim", "A5", "certificate claims[1]")
    rcase(V, "a5_order_claims_before_verifier_key", cert_req(c={"claims": ["nickname"]}, key_map=off_curve),
          "unknown_claim", "A5", "certificate claims[0]")
    rcase(V, "a5_order_claim_text_before_verifier_key", cert_req(c={"claims": [1]}, key_map=off_curve),
          "invalid_field", "A5", "certificate claims[0] is not a tstr")
    rcase(V, "a5_order_verifier_key_before_window", cert_req(key_map=off_curve, c={"exp": CERT_IAT}),
          "invalid_field", "A5", "verifier_key")
    rcase(V, "a5_order_version_before_window", cert_req(version=2, c={"exp": CERT_IAT}),
          "unsupported_version", "A5", "version")
    rcase(V, "a5_before_a6", make_request(cert=make_cert(signer=AUTH_UNKNOWN, c={"exp": CERT_IAT})),
          "invalid_field", "A5", "window", signer=AUTH_UNKNOWN)
    # --- A6: the certificate's kid is not an authority-list key ---
    rcase(V, "a6_unknown_authority", make_request(cert=make_cert(signer=AUTH_UNKNOWN)), "unknown_authority", "A6",
          signer=AUTH_UNKNOWN)
    rcase(V, "a6_list_without_signer", REQUEST, "unknown_authority", "A6", trust=[(AUTH_B, 0, 2**40)])
    rcase(V, "a6_issuer_key_is_no_authority", make_request(cert=make_cert(signer=ISSUER)), "unknown_authority",
          "A6", signer=ISSUER, trust=AUTH_TRUST + [(AUTH_B, 0, 2**40)], auth_keys=[AUTH_A, ISSUER])
    # --- A7: the authority key's window and the certificate's iat ---
    rcase(V, "a7_key_retired_before_iat", REQUEST, "authority_key_not_valid", "A7",
          trust=[(AUTH_A, 0, CERT_IAT - 1)])
    rcase(V, "a7_key_not_yet_started", REQUEST, "authority_key_not_valid", "A7",
          trust=[(AUTH_A, CERT_IAT + 1, 2**40)])
    rcase(V, "a7_rotation_old_key_after_retirement", REQUEST, "authority_key_not_valid", "A7",
          trust=[(AUTH_A, 0, CERT_IAT - 1), (AUTH_B, CERT_IAT - 1, 2**40)], auth_keys=[AUTH_A, AUTH_B])
    forged = make_cert(signer=AUTH_UNKNOWN, header={1: -7, 4: AUTH_A.kid, 16: TYP_VER})  # A's kid, not A's key
    rcase(V, "a7_before_a8", make_request(cert=forged), "authority_key_not_valid", "A7",
          trust=[(AUTH_A, 0, CERT_IAT - 1)], signer=AUTH_UNKNOWN)
    # --- A8: V1-V3 on the certificate ---
    rcase(V, "a8_certificate_high_s", make_request(cert=make_cert(high_s=True)), "signature_malleable", "A8/V2")
    rcase(V, "a8_certificate_forged", make_request(cert=forged), "certificate_signature_invalid", "A8/V3",
          signer=AUTH_UNKNOWN)
    rcase(V, "a8_certificate_s_zero", make_request(cert=make_cert(sig_hook=lambda s: replace_s(s, 0))),
          "certificate_signature_invalid", "A8/V1")
    rcase(V, "a8_certificate_s_n", make_request(cert=make_cert(sig_hook=lambda s: replace_s(s, N))),
          "certificate_signature_invalid", "A8/V1")
    rcase(V, "a8_certificate_claims_added", make_request(
        cert=tampered(CERT, cert_payload(c={"claims": CERT_IN["claims"] + ["pesel"]}))),
        "certificate_signature_invalid", "A8/V3")
    rcase(V, "a8_before_a9", make_request(cert=forged), "certificate_signature_invalid", "A8/V3",
          signer=AUTH_UNKNOWN, holder={"now": CERT_IN["exp"] + 61})
    # --- A9a, A9b: the certificate's window and now ---
    future = {"nbf": NOW + 61, "exp": NOW + 61 + 30 * DAY}
    rcase(V, "a9a_not_yet_valid", make_request(cert=make_cert(c=future)), "certificate_not_yet_valid", "A9a",
          c=future)
    rcase(V, "a9a_not_yet_valid_skew_0", REQUEST, "certificate_not_yet_valid", "A9a",
          holder={"now": CERT_IAT - 1, "clock_skew": 0})
    rcase(V, "a9b_expired", REQUEST, "certificate_expired", "A9b", holder={"now": CERT_IN["exp"] + 61})
    rcase(V, "a9b_expired_skew_0", REQUEST, "certificate_expired", "A9b",
          holder={"now": CERT_IN["exp"] + 1, "clock_skew": 0})
    rcase(V, "a9_before_a10", make_request(signer=VOTHER), "certificate_expired", "A9b",
          holder={"now": CERT_IN["exp"] + 61})
    # --- A10: V1-V3 on the request with the certificate's verifier key ---
    rcase(V, "a10_request_high_s", make_request(high_s=True), "signature_malleable", "A10/V2")
    rcase(V, "a10_signed_by_other_verifier", make_request(signer=VOTHER), "request_signature_invalid", "A10/V3")
    rcase(V, "a10_request_r_zero", make_request(sig_hook=lambda s: bytes(32) + s[32:]), "request_signature_invalid",
          "A10/V1")
    rcase(V, "a10_claims_added_after_signing", tampered(REQUEST, encode_payload(
        {**req_fields({"claims": ["portrait", "age_over_18", "given_names"]}), 7: CERT})),
        "request_signature_invalid", "A10/V3")
    rcase(V, "a10_certificate_swapped_after_signing", tampered(REQUEST, encode_payload(
        {**req_fields(), 7: make_cert(vkey=VOTHER)})), "request_signature_invalid", "A10/V3")
    rcase(V, "a10_before_a11", make_request(signer=VOTHER, r={"audience": "https://other.example/"}),
          "request_signature_invalid", "A10/V3")
    # A stolen certificate: another verifier's request carrying kino's certificate, own name.
    rcase(V, "a10_stolen_certificate", make_request(signer=VOTHER, r={"verifier_name": "Other"}),
          "request_signature_invalid", "A10/V3", r={"verifier_name": "Other"})
    # --- A11: the request's audience and verifier_name are the certificate's, bytewise ---
    rcase(V, "a11_audience_differs", make_request(r={"audience": "https://other.example/verifier"}),
          "request_certificate_mismatch", "A11", r={"audience": "https://other.example/verifier"})
    rcase(V, "a11_audience_trailing_slash", make_request(r={"audience": CERT_IN["audience"] + "/"}),
          "request_certificate_mismatch", "A11", r={"audience": CERT_IN["audience"] + "/"})
    rcase(V, "a11_verifier_name_differs", make_request(r={"verifier_name": "Urząd Skarbowy"}),
          "request_certificate_mismatch", "A11", r={"verifier_name": "Urząd Skarbowy"})
    rcase(V, "a11_verifier_name_case", make_request(r={"verifier_name": CERT_IN["name"].upper()}),
          "request_certificate_mismatch", "A11", r={"verifier_name": CERT_IN["name"].upper()})
    nfd = CERT_IN["name"].replace("Ś", "S\u0301")   # the same text, decomposed: other bytes
    rcase(V, "a11_verifier_name_not_normalised", make_request(r={"verifier_name": nfd}),
          "request_certificate_mismatch", "A11", r={"verifier_name": nfd})
    rcase(V, "a11_before_a12", make_request(r={"audience": "https://other.example/", "claims": ["pesel"]}),
          "request_certificate_mismatch", "A11", r={"audience": "https://other.example/", "claims": ["pesel"]})
    # --- A12: every requested claim is one the certificate lists ---
    rcase(V, "a12_claim_not_allowed", make_request(r={"claims": ["pesel"]}), "claim_not_allowed", "A12",
          r={"claims": ["pesel"]})
    rcase(V, "a12_last_claim_not_allowed", make_request(r={"claims": ["portrait", "age_over_18", "address"]}),
          "claim_not_allowed", "A12", r={"claims": ["portrait", "age_over_18", "address"]})
    # --- the authority list is checked like a trust list (T1-T7), before A1 ---
    rcase(V, "authority_list_invalid", REQUEST, "invalid_field", "T2", trust=[])
    # --- unsigned requests: R1-R5 (any first byte but an array's) ---
    rcase(V, "r1_1025_bytes", b"\xa0" + bytes(1024), "input_too_large", "R1")
    rcase(V, "r1_1500_bytes_under_the_signed_cap", b"\xa0" + bytes(1499), "input_too_large", "R1")
    rcase(V, "r1_1024_bytes_reach_r2", b"\xa0" + bytes(1023), "cbor_trailing_bytes", "R2/F1/Decode")
    rcase(V, "r2_empty_input", b"", "cbor_malformed", "R2/F1/D1")
    rcase(V, "r2_tagged_request", b"\xd2" + REQUEST, "cbor_unsupported_type", "R2/F1/D3")
    rcase(V, "r2_not_a_map", cbor(b"request"), "invalid_field", "R2/F2")
    rcase(V, "r2_integer", cbor(7), "invalid_field", "R2/F2")
    rcase(V, "r2_certificate_key_7", make_unsigned(extra={7: CERT}), "unknown_field", "R2/F3")
    rcase(V, "r2_signed_payload_bare", cbor2.loads(REQUEST)[2], "unknown_field", "R2/F3")
    rcase(V, "r2_nonce_33_bytes", make_unsigned(r={"nonce": bytes(33)}), "invalid_field", "R2/F4")
    rcase(V, "r2_verifier_name_line_separator", make_unsigned(r={"verifier_name": "Kino\u2028"}), "invalid_field",
          "R2/F4")
    rcase(V, "r2_no_created_at", make_unsigned(drop=(6,)), "missing_field", "R2/F5")
    rcase(V, "r3_version_2", make_unsigned(version=2), "unsupported_version", "R3")
    rcase(V, "r4_no_claims", make_unsigned(r={"claims": []}), "invalid_field", "R4")
    rcase(V, "r4_17_claims", make_unsigned(r={"claims": ALL_CLAIMS + ["pesel"]}), "invalid_field", "R4")
    rcase(V, "r5_claim_not_text", make_unsigned(r={"claims": [True]}), "invalid_field", "R5")
    rcase(V, "r5_claim_unknown", make_unsigned(r={"claims": ["nickname"]}), "unknown_claim", "R5")
    rcase(V, "r5_claim_repeated", make_unsigned(r={"claims": ["pesel", "pesel"]}), "duplicate_claim", "R5")
    v4_request_cases(V)
    return V


def v4_request_cases(V: list) -> None:
    """spec v4: the request's key 8 (response_key: F4 "map", R2b / A3b right after F5) and the
    holder's E1-E2 against an engagement key digest, after R1-R5 or A1-A12."""
    # --- valid: online requests, with and without an engagement digest to check ---
    rcase(V, "v4_valid_unsigned_online", make_unsigned(extra=ONLINE), signed=False, rk=RK)
    rcase(V, "v4_valid_signed_online", make_request(extra=ONLINE), rk=RK)
    rcase(V, "v4_valid_unsigned_engagement", make_unsigned(extra=ONLINE), signed=False, rk=RK, kd=RK_DIGEST)
    rcase(V, "v4_valid_signed_engagement", make_request(extra=ONLINE), rk=RK, kd=RK_DIGEST)
    rcase(V, "v4_valid_signed_online_no_engagement_digest_other_key",   # a typed code: no <kd>
          make_request(extra={8: RK_OTHER.cose_key()}), rk=RK_OTHER)
    big_c = {"name": "ł" * 64, "audience": "https://" + "a" * 120, "claims": ALL_CLAIMS}
    big_r = {"nonce": bytes(range(32)), "audience": big_c["audience"], "verifier_name": big_c["name"],
             "claims": ALL_CLAIMS[::-1]}
    big = make_request(r=big_r, cert=make_cert(c=big_c), extra=ONLINE)
    assert 1024 < len(big) <= 2048, len(big)
    rcase(V, "v4_valid_signed_online_over_1024_bytes", big, r=big_r, c=big_c, rk=RK, kd=RK_DIGEST)
    # --- R2: key 8's field rule is "map" (F4) ---
    rcase(V, "r2_response_key_sec1_bstr", make_unsigned(extra={8: b"\x04" + RK.x + RK.y}), "invalid_field", "R2/F4")
    rcase(V, "r2_response_key_array", make_unsigned(extra={8: [RK.x, RK.y]}), "invalid_field", "R2/F4")
    rcase(V, "r2_response_key_null", make_unsigned(extra={8: None}), "invalid_field", "R2/F4")
    rcase(V, "r2_unknown_key_9", make_unsigned(extra={9: ONLINE[8]}), "unknown_field", "R2/F3")
    # --- R2b: the exact form of §5.3 ---
    key = RK.cose_key()
    off_curve = {**key, -3: bytes(31) + b"\x01"}
    for label, bad, detail in (
            ("kid_label", {**key, 2: b"rk"}, "labels"), ("alg_label", {**key, 3: -25}, "labels"),
            ("y_missing", {1: 2, -1: 1, -2: RK.x}, "labels"), ("empty_map", {}, "labels"),
            ("text_labels", {"kty": 2, "crv": 1, "x": RK.x, "y": RK.y}, "labels"),
            ("kty_okp", {**key, 1: 1}, "values"), ("crv_p384", {**key, -1: 2}, "values"),
            ("kty_text", {**key, 1: "EC2"}, "values"), ("x_31_bytes", {**key, -2: RK.x[1:]}, "values"),
            ("y_33_bytes", {**key, -3: b"\x00" + RK.y}, "values"),
            ("x_ge_p", {**key, -2: b"\xff" * 32}, "not a valid P-256 point"),
            ("off_curve", off_curve, "not a valid P-256 point")):
        rcase(V, f"r2b_response_key_{label}", make_unsigned(extra={8: bad}), "invalid_field", "R2b",
              f"response_key: {detail}")
    rcase(V, "r2b_before_r3", make_unsigned(version=2, extra={8: off_curve}), "invalid_field", "R2b")
    rcase(V, "r2b_before_r4", make_unsigned(r={"claims": []}, extra={8: off_curve}), "invalid_field", "R2b")
    rcase(V, "r2b_before_r5", make_unsigned(r={"claims": ["nickname"]}, extra={8: off_curve}), "invalid_field",
          "R2b")
    rcase(V, "r2_f5_before_r2b", make_unsigned(drop=(6,), extra={8: off_curve}), "missing_field", "R2/F5")
    rcase(V, "r2_f3_before_r2b", make_unsigned(extra={8: off_curve, 9: 0}), "unknown_field", "R2/F3")
    rcase(V, "r2_f4_before_r2b", make_unsigned(r={"nonce": bytes(8)}, extra={8: off_curve}), "invalid_field",
          "R2/F4")
    # --- A3: key 8 in a signed request: F4, then A3b after F5 and before R3-R5 and A4 ---
    rcase(V, "a3_response_key_not_map", make_request(extra={8: 0}), "invalid_field", "A3/F4")
    rcase(V, "a3b_response_key_off_curve", make_request(extra={8: off_curve}), "invalid_field", "A3b",
          "response_key: not a valid P-256 point")
    rcase(V, "a3b_response_key_kid_label", make_request(extra={8: {**key, 2: b"rk"}}), "invalid_field", "A3b",
          "response_key: labels")
    rcase(V, "a3b_response_key_crv_p384", make_request(extra={8: {**key, -1: 2}}), "invalid_field", "A3b",
          "response_key: values")
    rcase(V, "a3b_before_r3", make_request(version=2, extra={8: off_curve}), "invalid_field", "A3b")
    rcase(V, "a3b_before_r5", make_request(r={"claims": ["nickname"]}, extra={8: off_curve}), "invalid_field",
          "A3b")
    rcase(V, "a3b_before_a4", make_request(cert=b"", extra={8: off_curve}), "invalid_field", "A3b")
    rcase(V, "a3_f5_before_a3b", make_request(drop=(7,), extra={8: off_curve}), "missing_field", "A3/F5")
    rcase(V, "a3_f3_before_a3b", make_request(extra={8: off_curve, 9: 0}), "unknown_field", "A3/F3")
    rcase(V, "a2_before_a3b", make_request(header={1: -7}, extra={8: off_curve}), "wrong_context", "A2/H3")
    # key 8 is covered by the verifier's signature
    rcase(V, "a10_response_key_swapped_after_signing", tampered(make_request(extra=ONLINE), encode_payload(
        {**req_fields(), 7: CERT, 8: RK_OTHER.cose_key()})), "request_signature_invalid", "A10/V3")
    rcase(V, "a10_response_key_added_after_signing", tampered(REQUEST, encode_payload(
        {**req_fields(), 7: CERT, 8: RK.cose_key()})), "request_signature_invalid", "A10/V3")
    # --- E1: an engagement, a request without key 8 ---
    rcase(V, "e1_unsigned_without_response_key", make_unsigned(), "missing_field", "E1", kd=RK_DIGEST)
    rcase(V, "e1_signed_without_response_key", REQUEST, "missing_field", "E1", kd=RK_DIGEST)
    # --- E2: the key digest of key 8 differs from the engagement's <kd> ---
    rcase(V, "e2_unsigned_substituted_key", make_unsigned(extra={8: RK_OTHER.cose_key()}), "response_key_mismatch",
          "E2", kd=RK_DIGEST, rk=RK_OTHER)
    rcase(V, "e2_signed_other_key", make_request(extra={8: RK_OTHER.cose_key()}), "response_key_mismatch", "E2",
          kd=RK_DIGEST, rk=RK_OTHER)
    flipped = RK_DIGEST[:15] + bytes([RK_DIGEST[15] ^ 1])
    rcase(V, "e2_digest_last_bit", make_unsigned(extra=ONLINE), "response_key_mismatch", "E2", kd=flipped, rk=RK)
    compressed = hashlib.sha256(bytes([2 + (RK.y[-1] & 1)]) + RK.x).digest()[:16]
    rcase(V, "e2_digest_of_compressed_key", make_unsigned(extra=ONLINE), "response_key_mismatch", "E2",
          kd=compressed, rk=RK)
    rcase(V, "e2_digest_of_x_and_y_only", make_unsigned(extra=ONLINE), "response_key_mismatch", "E2",
          kd=hashlib.sha256(RK.x + RK.y).digest()[:16], rk=RK)
    rcase(V, "e2_digest_last_16_bytes", make_unsigned(extra=ONLINE), "response_key_mismatch", "E2",
          kd=hashlib.sha256(b"\x04" + RK.x + RK.y).digest()[16:], rk=RK)
    # --- E1-E2 come after R1-R5 and A1-A12 ---
    rcase(V, "r5_before_e1", make_unsigned(r={"claims": ["nickname"]}), "unknown_claim", "R5", kd=RK_DIGEST)
    rcase(V, "r2b_before_e2", make_unsigned(extra={8: off_curve}), "invalid_field", "R2b", kd=RK_DIGEST)
    rcase(V, "a9b_before_e1", REQUEST, "certificate_expired", "A9b", kd=RK_DIGEST,
          holder={"now": CERT_IN["exp"] + 61})
    rcase(V, "a12_before_e2", make_request(r={"claims": ["pesel"]}, extra={8: RK_OTHER.cose_key()}),
          "claim_not_allowed", "A12", kd=RK_DIGEST, r={"claims": ["pesel"]}, rk=RK_OTHER)


def request_tests() -> None:
    """Each request case directly: its code, its exact step path, which A5 check (detail),
    signed or unsigned, the digest; evaluate() (list_vectors.py) agrees."""
    vecs = request_vectors()
    names = [v["name"] for v in vecs]
    expect("request cases: distinct names", len(names) == len(set(names)))
    for vec, want, want_path, want_detail, signed in _REQUEST_CASES:
        name = vec["name"]
        data = bytes.fromhex(vec["request"])
        try:
            auth = chk.parse_trust_list(bytes.fromhex(vec["authority_list"]))
            kd = vec["holder"]["engagement_key_digest"]
            res = chk.holder_check(data, auth, vec["holder"]["now"], vec["holder"]["clock_skew"],
                                   None if kd is None else bytes.fromhex(kd))
            got, path, detail = "valid", "", ""
        except chk.MlegitError as exc:
            res, got, path, detail = None, exc.code, chk.step_path(exc.detail), exc.detail
        expect(f"request {name}: {want}", got == want, f"got {got} at {path} ({detail})")
        if want != "valid":
            expect(f"request {name}: at {want_path}", path == want_path, f"path {path} ({detail})")
        if want_detail is not None:
            expect(f"request {name}: detail names {want_detail!r}", want_detail in detail, detail)
        ev = chk.evaluate(vec)
        expect(f"request {name}: evaluate agrees", ev[0] == got and (got == "valid" or ev[1] == path), f"{ev}")
        if res is not None:
            expect(f"request {name}: {'signed' if signed else 'unsigned'}", res.signed is signed)
            digest = hashlib.sha256(data).digest() if signed else None
            expect(f"request {name}: request_digest", res.request_digest == digest)
            rx = vec["expected"]["response_key_x"]
            expect(f"request {name}: response key", (res.response_x, res.response_y) == (
                (None, None) if rx is None
                else (bytes.fromhex(rx), bytes.fromhex(vec["expected"]["response_key_y"]))))
    # Each A step and each new code is exercised (the A5 inner checks told apart by detail).
    steps = {p.split("/")[0] for _, c, p, _, _ in _REQUEST_CASES if c != "valid"}
    want_steps = ({f"A{i}" for i in range(1, 13) if i != 9} | {"A9a", "A9b"} | {f"R{i}" for i in range(1, 6)}
                  | {"R2b", "A3b", "E1", "E2"})
    expect("request cases: every step A1-A12, R1-R5, R2b, A3b, E1-E2 fails somewhere", want_steps <= steps,
           f"missing {sorted(want_steps - steps)}")
    codes = {c for _, c, _, _, _ in _REQUEST_CASES}
    request_codes = set(V3_CODES) - {"request_mismatch"}   # request_mismatch: P13c (presentations)
    request_codes |= {"response_key_mismatch"}            # v4; response_undecryptable: O3 (responses)
    expect("request cases: every new holder-side code", request_codes <= codes,
           f"missing {sorted(request_codes - codes)}")
    # The verifier key check is the device key's (spec §5.3), with invalid_field at A5.
    try:
        chk.exact_p256_cose_key(chk.strict_decode(cbor(VKINO.cose_key())), "invalid_field", "verifier_key")
        got = "ok"
    except chk.MlegitError as exc:
        got = exc.code
    expect("verifier key: an exact COSE_Key passes", got == "ok", got)
    # The digest is over the bytes exactly as received: the same request signed again with a
    # random k verifies too, and its digest is another one.
    again = make_request(random_k=True)
    res = chk.check_request(again, chk.parse_trust_list(trust_bytes(AUTH_TRUST)), NOW, 60)
    expect("request digest: over the bytes as received",
           res.request_digest == hashlib.sha256(again).digest() != REQUEST_DIGEST)
    # The first byte decides: a signed request's bytes go through A1-A12, its payload alone
    # (a map) through R1-R5.
    expect("first byte: array -> signed", chk.is_signed_request(REQUEST) and chk.is_signed_request(b"\x9f")
           and chk.is_signed_request(b"\x80"))
    expect("first byte: map, tag, bstr, empty -> unsigned",
           not any(chk.is_signed_request(b) for b in (make_unsigned(), b"\xd2" + REQUEST, b"\x40", b"")))


def p13c_vectors() -> list[dict]:
    """spec v3 §8.1 key 7 and §12.2 P13c, as presentation vectors."""
    V = []
    d, other = REQUEST_DIGEST.hex(), OTHER_REQUEST_DIGEST.hex()
    signed = {"expected_request_digest": d}
    V.append(pvec("p13c_valid_answering_signed_request", present([DISCL["age_over_16"]],
                                                                 request_digest=REQUEST_DIGEST),
                  disclosed=["age_over_16"], verifier=signed))
    V.append(pvec("p13c_valid_no_claims", present([], request_digest=REQUEST_DIGEST), verifier=signed))
    V.append(pvec("p13c_other_requests_digest", present([], request_digest=OTHER_REQUEST_DIGEST),
                  "request_mismatch", verifier=signed, request_digest=other))
    V.append(pvec("p13c_digest_present_none_expected", present([], request_digest=REQUEST_DIGEST),
                  "request_mismatch", request_digest=d))
    V.append(pvec("p13c_expected_but_absent", present([]), "request_mismatch", verifier=signed,
                  request_digest=None))
    V.append(pvec("p13c_offline_with_digest", present([], nonce=None, audience=None, request_digest=REQUEST_DIGEST),
                  "request_mismatch", verifier={"expected_nonce": None, "expected_audience": None},
                  request_digest=d))
    # P13a and P13b come first; P13c before P14.
    V.append(pvec("p13b_before_p13c", present([], request_digest=OTHER_REQUEST_DIGEST), "audience_mismatch",
                  verifier={**signed, "expected_audience": "https://other.example/"}, request_digest=other))
    V.append(pvec("p13a_before_p13c", present([], nonce=bytes(16)), "nonce_mismatch", verifier=signed,
                  request_digest=None))
    V.append(pvec("p13c_before_p14", present([disclosure("family_name", "Nowak")],
                                             request_digest=OTHER_REQUEST_DIGEST),
                  "request_mismatch", verifier=signed, request_digest=other))
    # Key 7: bstr of exactly 32 bytes (F4), checked in P3a.
    for label, value in (("31_bytes", REQUEST_DIGEST[:31]), ("33_bytes", REQUEST_DIGEST + b"\x00"),
                         ("text", d), ("empty", b"")):
        V.append(pvec(f"p3a_request_digest_{label}", present([], payload=pres_payload(k7=value)),
                      "invalid_field", verifier=signed))
    V.append(pvec("p3a_request_digest_f4_before_p13c", present([], payload=pres_payload(k7=bytes(31))),
                  "invalid_field"))
    return V


def p13c_tests() -> None:
    for vec in p13c_vectors():
        want = vec["expected"].get("error", "valid")
        got = chk.evaluate(vec)
        steps = {"request_mismatch": "P13c", "audience_mismatch": "P13b", "nonce_mismatch": "P13a",
                 "invalid_field": "P3a/F4", "valid": None}
        ok = got[0] == want and (want == "valid" or got[1] == steps[want])
        expect(f"presentation {vec['name']}: {want}", ok, f"{got[:1]} {got[1] if want != 'valid' else ''}")
        if want == "valid":
            expect(f"presentation {vec['name']}: request_digest", got[1].request_digest == REQUEST_DIGEST)


# ------------------------------------------------------------------------------------------
# spec v4 §18: HPKE (RFC 9180) and the encrypted response (O1-O3)
# ------------------------------------------------------------------------------------------
# RFC 9180, Appendix A.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, Base Setup
# Information (mode 0, kem_id 16, kdf_id 1, aead_id 1), and its first two encryptions.
# Copied from the RFC's published text (the CFRG draft repository's final auth48 text, where
# the appendix is numbered B.3.1, cross-checked against RFC-citing test suites); not from
# memory.
RFC9180_A31 = {
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "ikmE": "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
    "pkEm": "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b32"
            "5ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
    "skEm": "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
    "ikmR": "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
    "pkRm": "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f70"
            "6a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
    "skRm": "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
    "enc": "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325"
           "ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
    "shared_secret": "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8",
    "key_schedule_context": "00b88d4e6d91759e65e87c470e8b9141113e9ad5f0c8ce"
                            "efc1e088c82e6980500798e486f9c9c09c9b5c753ac72d6005de254c607d1b534ed1"
                            "1d493ae1c1d9ac85",
    "secret": "2eb7b6bf138f6b5aff857414a058a3f1750054a9ba1f72c2cf0684a6f20b10e1",
    "key": "868c066ef58aae6dc589b6cfdd18f97e",
    "base_nonce": "4e0bc5018beba4bf004cca59",
    "exporter_secret": "14ad94af484a7ad3ef40e9f3be99ecc6fa9036df9d4920548424df127ee0d99f",
    "encryptions": [
        # (sequence number, pt, aad, nonce, ct)
        (0, "4265617574792069732074727574682c20747275746820626561757479", "436f756e742d30",
         "4e0bc5018beba4bf004cca59",
         "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f"
         "9076ac232e3ab2523f39513434"),
        (1, "4265617574792069732074727574682c20747275746820626561757479", "436f756e742d31",
         "4e0bc5018beba4bf004cca58",
         "fa6f037b47fc21826b610172ca9637e82d6e5801eb31cbd3748271affd4ecb06"
         "646e0329cbdf3c3cd655b28e82"),
    ],
}
# RFC 5869, Appendix A.1 (HKDF-SHA256, basic test case), for the HKDF under HPKE.
RFC5869_A1 = {"ikm": "0b" * 22, "salt": "000102030405060708090a0b0c", "info": "f0f1f2f3f4f5f6f7f8f9",
              "prk": "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
              "okm": "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"}


def hpke_tests() -> None:
    """The checker's HPKE against RFC 9180 A.3.1, its DeriveKeyPair loop, its point checks,
    and its HKDF against RFC 5869 A.1 and `cryptography`'s HKDF."""
    h = bytes.fromhex
    t = RFC9180_A31
    # HKDF (RFC 5869 A.1; and the same as cryptography's for other lengths)
    prk = chk.hkdf_extract(h(RFC5869_A1["salt"]), h(RFC5869_A1["ikm"]))
    expect("hkdf: RFC 5869 A.1 PRK", prk.hex() == RFC5869_A1["prk"])
    expect("hkdf: RFC 5869 A.1 OKM", chk.hkdf_expand(prk, h(RFC5869_A1["info"]), 42).hex() == RFC5869_A1["okm"])
    for n in (1, 16, 32, 33, 64, 100):
        expect(f"hkdf: cryptography's HKDF, {n} bytes",
               chk.hkdf_expand(chk.hkdf_extract(b"salt", b"ikm"), b"info", n) == hkdf(b"ikm", b"salt", b"info", n))
    expect("hkdf: an empty salt is HashLen zeros (RFC 5869 §2.2)",
           chk.hkdf_extract(b"", b"ikm") == chk.hkdf_extract(bytes(32), b"ikm"))
    # suite ids
    expect("hpke: KEM suite id", chk.KEM_SUITE_ID == b"KEM\x00\x10")
    expect("hpke: HPKE suite id", chk.HPKE_SUITE_ID == b"HPKE\x00\x10\x00\x01\x00\x01")
    # DeriveKeyPair (RFC 9180 §7.1.3), both key pairs of the test vector
    sk_e, sk_r = chk.derive_key_pair(h(t["ikmE"])), chk.derive_key_pair(h(t["ikmR"]))
    expect("rfc9180 A.3.1: DeriveKeyPair(ikmE) = skEm", sk_e.to_bytes(32, "big").hex() == t["skEm"])
    expect("rfc9180 A.3.1: DeriveKeyPair(ikmR) = skRm", sk_r.to_bytes(32, "big").hex() == t["skRm"])
    expect("rfc9180 A.3.1: pk(skEm) = pkEm", chk.public_key_bytes(sk_e).hex() == t["pkEm"])
    expect("rfc9180 A.3.1: pk(skRm) = pkRm", chk.public_key_bytes(sk_r).hex() == t["pkRm"])
    # Encap / Decap
    shared, enc = chk.hpke_encap(h(t["pkRm"]), sk_e)
    expect("rfc9180 A.3.1: enc", enc.hex() == t["enc"])
    expect("rfc9180 A.3.1: shared_secret (Encap)", shared.hex() == t["shared_secret"])
    expect("rfc9180 A.3.1: shared_secret (Decap)", chk.hpke_decap(h(t["enc"]), sk_r).hex() == t["shared_secret"])
    # KeySchedule
    ctx = chk.key_schedule_base(shared, h(t["info"]))
    for name in ("key_schedule_context", "secret", "key", "base_nonce", "exporter_secret"):
        expect(f"rfc9180 A.3.1: {name}", getattr(ctx, name).hex() == t[name], getattr(ctx, name).hex())
    # Encryptions (Seal with the given ephemeral key; Open with skR)
    for seq, pt, aad, nonce, ct in t["encryptions"]:
        expect(f"rfc9180 A.3.1: nonce {seq}", chk.hpke_nonce(ctx.base_nonce, seq).hex() == nonce)
        enc2, got = chk.hpke_seal_base(h(t["pkRm"]), h(t["info"]), h(aad), h(pt), sk_e, seq)
        expect(f"rfc9180 A.3.1: Seal, sequence {seq}", enc2.hex() == t["enc"] and got.hex() == ct, got.hex())
        opened = chk.hpke_open_base(h(t["enc"]), sk_r, h(t["info"]), h(aad), h(ct), seq)
        expect(f"rfc9180 A.3.1: Open, sequence {seq}", opened.hex() == pt)
    for label, args in (("other info", (h(t["enc"]), sk_r, b"", h("436f756e742d30"), h(t["encryptions"][0][4]))),
                        ("other aad", (h(t["enc"]), sk_r, h(t["info"]), b"", h(t["encryptions"][0][4]))),
                        ("other sequence", (h(t["enc"]), sk_r, h(t["info"]), h("436f756e742d30"),
                                            h(t["encryptions"][0][4]), 1)),
                        ("other key", (h(t["enc"]), sk_e, h(t["info"]), h("436f756e742d30"),
                                       h(t["encryptions"][0][4])))):
        try:
            chk.hpke_open_base(*args)
            got = "opened"
        except chk.HpkeError:
            got = "HpkeError"
        expect(f"rfc9180 A.3.1: Open fails with {label}", got == "HpkeError", got)
    # DeriveKeyPair's candidate loop (bitmask 0xff, counter 0..255): with a bound below the
    # first candidate, the first candidate under it is taken; with bound 1 none is.
    ikm = h(t["ikmE"])
    dkp_prk = chk.labeled_extract(chk.KEM_SUITE_ID, b"", b"dkp_prk", ikm)
    cands = [int.from_bytes(chk.labeled_expand(chk.KEM_SUITE_ID, dkp_prk, b"candidate", bytes([i]), 32), "big")
             for i in range(256)]
    expect("derive_key_pair: candidate 0 is skEm", cands[0] == int(t["skEm"], 16))
    bound = cands[0]
    first_under = next(c for c in cands[1:] if 0 < c < bound)
    expect("derive_key_pair: candidate 0 rejected, the next one under the bound taken",
           chk.derive_key_pair(ikm, order=bound) == first_under)
    bound = sorted(cands)[3] + 1   # only four candidates are under it
    expect("derive_key_pair: several candidates rejected in turn",
           chk.derive_key_pair(ikm, order=bound) == next(c for c in cands if c < bound))
    try:
        chk.derive_key_pair(ikm, order=1)
        got = "derived"
    except chk.HpkeError as exc:
        got = str(exc)
    expect("derive_key_pair: 256 candidates, then DeriveKeyPairError", got == "DeriveKeyPairError", got)
    # DeriveKeyPair agrees with the sender key the vectors name: pk(DeriveKeyPair(ikm)) is enc.
    sk = chk.derive_key_pair(SENDER_IKM)
    expect("derive_key_pair: a sealed response's enc is pk(DeriveKeyPair(sender_ikm))",
           cbor2.loads(response())[1][-4] == chk.public_key_bytes(sk))
    # Public key deserialisation and validation (RFC 9180 §7.1.1, §7.1.4)
    pk = h(t["pkRm"])
    y_odd = pk[-1] & 1
    for label, data in (("compressed", bytes([2 + y_odd]) + pk[1:33]), ("hybrid", bytes([6 + y_odd]) + pk[1:]),
                        ("64 bytes", pk[1:]), ("66 bytes", pk + b"\x00"), ("infinity", b"\x00"),
                        ("65 zero bytes", bytes(65)), ("off the curve", pk[:-1] + bytes([pk[-1] ^ 1])),
                        ("x = p", b"\x04" + chk.P256_P.to_bytes(32, "big") + pk[33:]),
                        ("prefix 05", b"\x05" + pk[1:])):
        try:
            chk.deserialize_public_key(data)
            got = "accepted"
        except chk.HpkeError:
            got = "rejected"
        expect(f"hpke: public key {label} rejected", got == "rejected", got)
    expect("hpke: the uncompressed point accepted", chk.deserialize_public_key(pk) is not None)


RELAY_ORIGIN = "https://relay.example"
SESSION_ID = bytes(range(0xA0, 0xB0))
SENDER_IKM = hashlib.sha256(b"selftest sender ikm").digest()
RESP_DIGEST = REQUEST_DIGEST                 # the signed request the session serves
REQUEST_BOUND = present([DISCL["age_over_16"]])   # the presentation vector "request_bound"
PROTECTED = bytes.fromhex("a1013a00010000")  # {1: -65537}


def seal(pt: bytes = REQUEST_BOUND, rk: Key = RK, ikm: bytes = SENDER_IKM, origin: str = RELAY_ORIGIN,
         sid: bytes = SESSION_ID, digest: bytes = RESP_DIGEST, protected: bytes = PROTECTED,
         aad: bytes | None = None, info: bytes | None = None, seq: int = 0):
    """spec §18.2, §18.3 built here with cbor2 (info, Enc_structure), on the checker's HPKE
    (checked against RFC 9180 above): (protected, enc, ciphertext)."""
    info = cbor(["mlegit online response", origin, sid, digest]) if info is None else info
    aad = cbor(["Encrypt0", protected, b""]) if aad is None else aad
    enc, ct = chk.hpke_seal_base(b"\x04" + rk.x + rk.y, info, aad, pt, chk.derive_key_pair(ikm), seq)
    return protected, enc, ct


def response(**kw) -> bytes:
    protected, enc, ct = seal(**kw)
    return cbor([protected, {-4: enc}, ct])


def rsvec(name: str, data: bytes, error: str | None = None, inp=None, ver=None) -> dict:
    """A response vector in the schema of test-vectors/README.md (v4, kind "response"): inp
    overrides what the holder sealed with, ver what the verifier opens with (by default the
    same session)."""
    i = {"response_key_scalar": RK.d.to_bytes(32, "big").hex(), "sender_ikm": SENDER_IKM.hex(),
         "relay_origin": RELAY_ORIGIN, "session_id": SESSION_ID.hex(), "request_digest": RESP_DIGEST.hex(),
         "plaintext": REQUEST_BOUND.hex()}
    i.update(inp or {})
    v = {k: i[k] for k in ("response_key_scalar", "relay_origin", "session_id", "request_digest")}
    v["max_input_size"] = 66560
    v.update(ver or {})
    vec = {"name": name, "description": f"selftest {name}", "kind": "response", "inputs": i, "verifier": v,
           "response": data.hex()}
    vec["expected"] = ({"result": "invalid", "error": error} if error
                       else {"result": "valid", "plaintext": i["plaintext"]})
    return vec


_RESPONSE_CASES: list = []   # (vector, code, step path)


def scase(V: list, name: str, data: bytes, error: str | None = None, path: str = "", **kw) -> None:
    vec = rsvec(name, data, error, **kw)
    V.append(vec)
    _RESPONSE_CASES.append((vec, error or "valid", path))


_RESPONSE_VECTORS: list = []


def response_vectors() -> list[dict]:
    if _RESPONSE_VECTORS:
        return _RESPONSE_VECTORS
    V = _RESPONSE_VECTORS
    good = response()
    p, enc, ct = seal()
    other_sid = bytes(range(0xB0, 0xC0))
    # --- valid (O1-O3 pass) ---
    scase(V, "valid", good)
    port = "https://relay.example:8443"
    scase(V, "valid_origin_with_port", response(origin=port), inp={"relay_origin": port})
    ikm2 = hashlib.sha256(b"selftest sender ikm 2").digest()
    scase(V, "valid_other_sender_ikm", response(ikm=ikm2), inp={"sender_ikm": ikm2.hex()})
    scase(V, "valid_other_session", response(sid=other_sid), inp={"session_id": other_sid.hex()})
    scase(V, "valid_unsigned_request_digest", response(digest=hashlib.sha256(b"unsigned").digest()),
          inp={"request_digest": hashlib.sha256(b"unsigned").hexdigest()})
    scase(V, "valid_size_edge", good, ver={"max_input_size": len(good)})
    # --- O1 ---
    scase(V, "o1_one_byte_over_the_cap", good, "input_too_large", "O1", ver={"max_input_size": len(good) - 1})
    scase(V, "o1_66561_bytes", b"\x83" + bytes(66560), "input_too_large", "O1")
    scase(V, "o1_66560_bytes_reach_o2", b"\x80" + bytes(66559), "cbor_trailing_bytes", "O2/Decode")
    scase(V, "o1_before_o2", good + bytes(66560), "input_too_large", "O1")
    # --- O2: strict CBOR ---
    scase(V, "o2_empty", b"", "cbor_malformed", "O2/D1")
    scase(V, "o2_trailing_byte", good + b"\x00", "cbor_trailing_bytes", "O2/Decode")
    scase(V, "o2_truncated", good[:-1], "cbor_malformed", "O2/D10")
    scase(V, "o2_tagged_encrypt0", b"\xd0" + good, "cbor_unsupported_type", "O2/D3")
    scase(V, "o2_indefinite_array", b"\x9f" + good[1:] + b"\xff", "cbor_indefinite_length", "O2/D5")
    unsorted = b"\x83" + cbor(p) + b"\xa2\x23" + cbor(enc) + b"\x05\x42iv" + cbor(ct)
    scase(V, "o2_unprotected_unsorted", unsorted, "cbor_unsorted_keys", "O2/D16")
    # --- O2: the shape [bstr, map, bstr] ---
    scase(V, "o2_four_elements", cbor([p, {-4: enc}, ct, b""]), "cose_malformed", "O2")
    scase(V, "o2_two_elements", cbor([p, {-4: enc}]), "cose_malformed", "O2")
    scase(V, "o2_a_map", cbor({1: p, 2: {-4: enc}, 3: ct}), "cose_malformed", "O2")
    scase(V, "o2_sign1_shape", cbor([p, {-4: enc}, ct, bytes(64)]), "cose_malformed", "O2")
    scase(V, "o2_protected_as_map", cbor([{1: -65537}, {-4: enc}, ct]), "cose_malformed", "O2")
    scase(V, "o2_unprotected_as_bstr", cbor([p, cbor({-4: enc}), ct]), "cose_malformed", "O2")
    scase(V, "o2_ciphertext_nil", cbor([p, {-4: enc}, None]), "cose_malformed", "O2")
    scase(V, "o2_ciphertext_text", cbor([p, {-4: enc}, ct.hex()]), "cose_malformed", "O2")
    # --- O2: protected exactly {1: -65537} (its content decoded strictly first) ---
    for label, hdr in (("a128gcm", {1: 1}), ("es256", {1: -7}), ("extra_kid", {1: -65537, 4: b"rk"}),
                       ("alg_text", {1: "HPKE-0"}), ("empty_map", {}), ("ek_protected", {1: -65537, -4: enc}),
                       ("alg_minus_65536", {1: -65536}), ("array", [1, -65537])):
        scase(V, f"o2_protected_{label}", cbor([cbor(hdr), {-4: enc}, ct]), "cose_malformed", "O2")
    scase(V, "o2_protected_empty_bstr", cbor([b"", {-4: enc}, ct]), "cbor_malformed", "O2/D1")
    scase(V, "o2_protected_non_shortest", cbor([bytes.fromhex("a1013b0000000000010000"), {-4: enc}, ct]),
          "cbor_non_shortest", "O2/D8")
    scase(V, "o2_protected_trailing_byte", cbor([p + b"\x00", {-4: enc}, ct]), "cbor_trailing_bytes",
          "O2/Decode")
    # --- O2: unprotected exactly {-4: bstr 65} ---
    for label, unp in (("empty", {}), ("extra_iv", {-4: enc, 5: b"iv"}), ("alg_too", {1: -65537, -4: enc}),
                       ("ek_compressed", {-4: bytes([2 + (enc[-1] & 1)]) + enc[1:33]}),
                       ("ek_64_bytes", {-4: enc[1:]}), ("ek_66_bytes", {-4: enc + b"\x00"}),
                       ("ek_text", {-4: enc.hex()}), ("ek_label_4", {4: enc}), ("ek_label_text", {"ek": enc})):
        scase(V, f"o2_unprotected_{label}", cbor([p, unp, ct]), "cose_malformed", "O2")
    scase(V, "o2_before_o3", cbor([p, {-4: enc, 5: b"iv"}, ct]), "cose_malformed", "O2",
          ver={"response_key_scalar": RK_OTHER.d.to_bytes(32, "big").hex()})
    # --- O3: the HPKE open fails ---
    scase(V, "o3_wrong_key", good, "response_undecryptable", "O3",
          ver={"response_key_scalar": RK_OTHER.d.to_bytes(32, "big").hex()})
    scase(V, "o3_sealed_to_another_key", response(rk=RK_OTHER), "response_undecryptable", "O3",
          inp={"response_key_scalar": RK_OTHER.d.to_bytes(32, "big").hex()},
          ver={"response_key_scalar": RK.d.to_bytes(32, "big").hex()})
    scase(V, "o3_other_session", good, "response_undecryptable", "O3", ver={"session_id": other_sid.hex()})
    scase(V, "o3_other_relay_origin", good, "response_undecryptable", "O3",
          ver={"relay_origin": "https://relay.example:443"})
    scase(V, "o3_origin_trailing_slash", good, "response_undecryptable", "O3",
          ver={"relay_origin": RELAY_ORIGIN + "/"})
    scase(V, "o3_other_request", good, "response_undecryptable", "O3",
          ver={"request_digest": OTHER_REQUEST_DIGEST.hex()})
    flipped = bytearray(ct)
    flipped[0] ^= 1
    scase(V, "o3_ciphertext_bit_flipped", cbor([p, {-4: enc}, bytes(flipped)]), "response_undecryptable", "O3")
    tag = bytearray(ct)
    tag[-1] ^= 0x80
    scase(V, "o3_tag_bit_flipped", cbor([p, {-4: enc}, bytes(tag)]), "response_undecryptable", "O3")
    scase(V, "o3_tag_truncated", cbor([p, {-4: enc}, ct[:-1]]), "response_undecryptable", "O3")
    scase(V, "o3_ciphertext_empty", cbor([p, {-4: enc}, b""]), "response_undecryptable", "O3")
    scase(V, "o3_ciphertext_15_bytes", cbor([p, {-4: enc}, ct[:15]]), "response_undecryptable", "O3")
    scase(V, "o3_enc_off_curve", cbor([p, {-4: enc[:-1] + bytes([enc[-1] ^ 1])}, ct]), "response_undecryptable",
          "O3")
    scase(V, "o3_enc_hybrid_form", cbor([p, {-4: bytes([6 + (enc[-1] & 1)]) + enc[1:]}, ct]),
          "response_undecryptable", "O3")
    scase(V, "o3_enc_zero", cbor([p, {-4: bytes(65)}, ct]), "response_undecryptable", "O3")
    scase(V, "o3_enc_x_is_p", cbor([p, {-4: b"\x04" + chk.P256_P.to_bytes(32, "big") + enc[33:]}, ct]),
          "response_undecryptable", "O3")
    scase(V, "o3_enc_another_ephemeral", cbor([p, {-4: seal(ikm=ikm2)[1]}, ct]), "response_undecryptable", "O3")
    scase(V, "o3_enc_the_recipient_key", cbor([p, {-4: b"\x04" + RK.x + RK.y}, ct]), "response_undecryptable",
          "O3")
    scase(V, "o3_ciphertext_of_another_session", cbor([p, {-4: enc}, seal(sid=other_sid)[2]]),
          "response_undecryptable", "O3")
    # sealed with another aad, info or nonce than spec §18.2-§18.3 say
    for label, kw in (("aad_empty", {"aad": b""}), ("aad_protected_only", {"aad": PROTECTED}),
                      ("aad_external_aad", {"aad": cbor(["Encrypt0", PROTECTED, b"x"])}),
                      ("aad_encrypt_context", {"aad": cbor(["Encrypt", PROTECTED, b""])}),
                      ("aad_protected_wrapped", {"aad": cbor(["Encrypt0", cbor(PROTECTED), b""])}),
                      ("info_empty", {"info": b""}),
                      ("info_other_context", {"info": cbor(["mlegit online response v2", RELAY_ORIGIN, SESSION_ID,
                                                            RESP_DIGEST])}),
                      ("info_session_id_text", {"info": cbor(["mlegit online response", RELAY_ORIGIN,
                                                              SESSION_ID.hex(), RESP_DIGEST])}),
                      ("info_no_request_digest", {"info": cbor(["mlegit online response", RELAY_ORIGIN,
                                                                SESSION_ID])}),
                      ("info_origin_bstr", {"info": cbor(["mlegit online response", RELAY_ORIGIN.encode(),
                                                          SESSION_ID, RESP_DIGEST])}),
                      ("sequence_1", {"seq": 1})):
        pp, ee, cc = seal(**kw)
        scase(V, f"o3_sealed_with_{label}", cbor([pp, {-4: ee}, cc]), "response_undecryptable", "O3")
    return V


def response_tests() -> None:
    """Each response case directly: its code and its exact step path; evaluate() agrees; and
    the checker's own seal_response, session_info and enc_structure against this file's."""
    vecs = response_vectors()
    names = [v["name"] for v in vecs]
    expect("response cases: distinct names", len(names) == len(set(names)))
    for vec, want, want_path in _RESPONSE_CASES:
        ver = vec["verifier"]
        info = cbor(["mlegit online response", ver["relay_origin"], bytes.fromhex(ver["session_id"]),
                     bytes.fromhex(ver["request_digest"])])
        try:
            pt = chk.open_response(bytes.fromhex(vec["response"]), int(ver["response_key_scalar"], 16), info,
                                   ver["max_input_size"])
            got, path = "valid", ""
        except chk.MlegitError as exc:
            pt, got, path = None, exc.code, chk.step_path(exc.detail)
        expect(f"response {vec['name']}: {want}", got == want, f"got {got} at {path}")
        if want != "valid":
            expect(f"response {vec['name']}: at {want_path}", path == want_path, f"path {path}")
        else:
            expect(f"response {vec['name']}: plaintext", pt == REQUEST_BOUND)
        ev = chk.evaluate(vec)
        expect(f"response {vec['name']}: evaluate agrees", ev[0] == got and (got == "valid" or ev[1] == path),
               f"{ev}")
    steps = {p for _, c, p in _RESPONSE_CASES if c != "valid"}
    expect("response cases: O1, O2 and O3 each fail somewhere", {"O1", "O2", "O3"} <= steps, f"{steps}")
    # The checker's builders agree with this file's (cbor2) encodings.
    info = cbor(["mlegit online response", RELAY_ORIGIN, SESSION_ID, RESP_DIGEST])
    expect("session_info: the CBOR array of spec §18.2",
           chk.session_info(RELAY_ORIGIN, SESSION_ID, RESP_DIGEST) == info)
    expect("enc_structure: [\"Encrypt0\", protected, h'']",
           chk.enc_structure(PROTECTED) == cbor(["Encrypt0", PROTECTED, b""]))
    expect("protected header: {1: -65537} is a1 01 3a 00 01 00 00",
           cbor({1: -65537}) == PROTECTED == chk.RESPONSE_PROTECTED)
    expect("seal_response: the same bytes as built here",
           chk.seal_response(b"\x04" + RK.x + RK.y, info, REQUEST_BOUND,
                             chk.derive_key_pair(SENDER_IKM)) == response())
    # O1 at exactly the default cap (66,560 bytes) and one over
    for n, want in ((66560, "cbor_trailing_bytes"), (66561, "input_too_large")):
        try:
            chk.open_response(b"\x80" + bytes(n - 1), RK.d, info)
            got = "valid"
        except chk.MlegitError as exc:
            got = exc.code
        expect(f"O1: {n} bytes with the default cap -> {want}", got == want, got)
    expect("O1: the default cap is 65,536 + 1,024", chk.MAX_RESPONSE_SIZE == 66560)
    # A round trip with a large plaintext, at the size limit's order.
    big = os.urandom(60000)
    sealed = chk.seal_response(b"\x04" + RK.x + RK.y, info, big, chk.derive_key_pair(os.urandom(32)))
    expect("round trip: 60,000 bytes", chk.open_response(sealed, RK.d, info) == big)
    # The key digest of the engagement (spec §18.1): 16 bytes, 22 base64url characters.
    import base64
    kd = chk.response_key_digest(RK.x, RK.y)
    expect("engagement: key digest = SHA-256(04 || x || y)[:16]", kd == RK_DIGEST and len(kd) == 16)
    expect("engagement: <kd> is 22 base64url characters",
           len(base64.urlsafe_b64encode(kd).rstrip(b"=")) == 22)
    # The informative examples of spec §18.1-§18.3 (v4).
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    expect("spec §18.1 example: the response key's digest", kd.hex() == "a052252122bed9e1b0e862622db1184a")
    expect("spec §18.1 example: its first 8 bytes are its kid", kd[:8] == RK.kid)
    expect("spec §18.1 example: the engagement URI",
           f"https://relay.example/v1/sessions/{b64(bytes(range(16)))}#{b64(kd)}"
           == "https://relay.example/v1/sessions/AAECAwQFBgcICQoLDA0ODw#oFIlISK-2eGw6GJiLbEYSg")
    binding = chk.session_info("https://relay.example", bytes(range(16)), bytes(32))
    expect("spec §18.2 example: the binding's encoding",
           binding == bytes.fromhex("84" "766d6c65676974206f6e6c696e6520726573706f6e7365"
                                    "7568747470733a2f2f72656c61792e6578616d706c65" "50") + bytes(range(16))
           + b"\x58\x20" + bytes(32))
    expect("spec §18.3: the aad is the 19 bytes 83 68 456e637279707430 47 a1013a00010000 40",
           chk.enc_structure(chk.RESPONSE_PROTECTED) == bytes.fromhex("8368456e63727970743047a1013a0001000040"))
    expect("spec §18.3: the envelope takes 99 bytes around a presentation of 65,536 bytes",
           len(chk.seal_response(b"\x04" + RK.x + RK.y, binding, bytes(65536), chk.derive_key_pair(SENDER_IKM)))
           == 65536 + 99)


# ------------------------------------------------------------------------------------------
# spec v5 §19: batch issuance, the activation proofs of possession (B1-B5)
# ------------------------------------------------------------------------------------------
# Built here with `cryptography` and `cbor2` from spec §19.2 (the keys array, the payload, the
# proofs); the expectations are spec §19.3's table, written out here.

TYP_ACT = "application/mlegit.activation+cose"              # spec §3.4, §19.2
ACT_ID = "5f0c3b2a9e8d7c6b5a4f3e2d1c0b9a88"                  # 32 lowercase hex digits (reference server)
ACT_CHALLENGE = hashlib.sha256(b"selftest challenge").digest() + bytes(range(24))   # 56 bytes
ACT_HEADER = {1: -7, 16: TYP_ACT}
ACT_STEPS = {"batch_size": "B1", "duplicate_key": "B2", "too_large": "B3", "malformed": "B3",
             "wrong_payload": "B4", "bad_signature": "B5"}   # spec §19.3: ProofError kind -> step


class ActKey:
    """Activation key i of test-vectors/README.md: scalar = SHA-256 of the ASCII text
    "mlegit test vector activation key i" (i in decimal)."""

    def __init__(self, i: int | None = None, scalar: bytes | None = None):
        if scalar is None:
            scalar = hashlib.sha256(f"mlegit test vector activation key {i}".encode("ascii")).digest()
        self.i = i
        self.d = int.from_bytes(scalar, "big")
        assert 1 <= self.d < N
        self.priv = ec.derive_private_key(self.d, ec.SECP256R1())
        nums = self.priv.public_key().public_numbers()
        self.x, self.y = nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big")
        self.sec1 = b"\x04" + self.x + self.y

    def scalar_hex(self) -> str:
        return self.d.to_bytes(32, "big").hex()


_ACT_KEYS: dict = {}


def akey(i: int) -> ActKey:
    if i not in _ACT_KEYS:
        _ACT_KEYS[i] = ActKey(i)
    return _ACT_KEYS[i]


def act_keys_bytes(points) -> bytes:
    """spec §19.2, by hand: the head 0x80 + N (N < 24) or 98 N, then 58 41 and each key; asserted
    equal to cbor2's encoding of the array."""
    n = len(points)
    out = (bytes([0x80 + n]) if n < 24 else bytes([0x98, n])) + b"".join(b"\x58\x41" + p for p in points)
    assert out == cbor(list(points)), "keys array"
    return out


def act_payload(points, aid: str = ACT_ID, ch: bytes = ACT_CHALLENGE) -> bytes:
    return cbor({1: aid, 2: ch, 3: hashlib.sha256(act_keys_bytes(points)).digest()})


def act_proof(key: ActKey, payload: bytes, header=None, **kw) -> bytes:
    return sign1(key, ACT_HEADER if header is None else header, payload, **kw)


def act_batch(idx, aid: str = ACT_ID, ch: bytes = ACT_CHALLENGE, signed_over=None):
    """Keys idx and a proof by each over the payload of the keys signed_over (default idx)."""
    keys = [akey(i) for i in idx]
    over = keys if signed_over is None else [akey(i) for i in signed_over]
    payload = act_payload([k.sec1 for k in over], aid, ch)
    return keys, [act_proof(k, payload) for k in keys]


def avec(name: str, keys, proofs, error: str | None = None, index: int | None = None,
         code: str | None = None, aid: str = ACT_ID, ch: bytes = ACT_CHALLENGE, scalars=None) -> dict:
    """An activation vector in the schema of test-vectors/README.md (v5, kind "activation")."""
    points = [k.sec1 for k in keys]
    digest = hashlib.sha256(act_keys_bytes(points)).digest()
    if error is None:
        exp = {"result": "valid", "error": None, "index": None, "step": None, "code": None}
    else:
        exp = {"result": "invalid", "error": error, "index": index, "step": ACT_STEPS[error], "code": code}
    return {"name": name, "description": f"selftest {name}", "kind": "activation",
            "inputs": {"activation_id": aid, "challenge": ch.hex(),
                       "device_scalars": [k.scalar_hex() for k in keys] if scalars is None else scalars,
                       "device_keys": [p.hex() for p in points], "proofs": [p.hex() for p in proofs]},
            "outputs": {"keys_digest": digest.hex(), "payload": cbor({1: aid, 2: ch, 3: digest}).hex()},
            "expected": exp}


_ACTIVATION_CASES: list = []   # (vector, step path)
_ACTIVATION_VECTORS: list = []


def acase(V: list, name: str, keys, proofs, error: str | None = None, index: int | None = None,
          path: str = "", code: str | None = None, **kw) -> None:
    vec = avec(name, keys, proofs, error, index, code, **kw)
    V.append(vec)
    _ACTIVATION_CASES.append((vec, path))


def act_size_edge_id(size: int) -> str:
    """An activation id that makes a proper proof exactly `size` bytes long."""
    for n in range(3000, 5000):
        aid = "a" * n
        if len(act_batch([0], aid=aid)[1][0]) == size:
            return aid
    raise AssertionError("no id of that size")


def activation_vectors() -> list[dict]:
    if _ACTIVATION_VECTORS:
        return _ACTIVATION_VECTORS
    V = _ACTIVATION_VECTORS
    three, p3 = act_batch([0, 1, 2])
    good = p3[0]
    payload3 = act_payload([k.sec1 for k in three])
    # --- valid (B1-B5 pass) ---
    for n in (1, 3, 23, 24, 32, 64):
        acase(V, f"valid_{n}_keys", *act_batch(range(n)))
    acase(V, "valid_any_keys_any_order", *act_batch([5, 99, 3]))
    edge = act_size_edge_id(4096)
    acase(V, "valid_proof_of_4096_bytes", *act_batch([0, 1], aid=edge), aid=edge)
    acase(V, "valid_empty_id_and_challenge", *act_batch([0, 1], aid="", ch=b""), aid="", ch=b"")
    # --- B1: the batch's size, before anything else ---
    acase(V, "b1_no_key", [], [], "batch_size", path="B1")
    acase(V, "b1_65_keys", *act_batch(range(65)), "batch_size", path="B1")
    acase(V, "b1_proof_missing", three, p3[:2], "batch_size", path="B1")
    acase(V, "b1_one_proof_too_many", three, p3 + [p3[0]], "batch_size", path="B1")
    acase(V, "b1_no_proof", three, [], "batch_size", path="B1")
    acase(V, "b1_a_proof_without_key", [], [good], "batch_size", path="B1")
    k65, p65 = act_batch(list(range(64)) + [0])
    acase(V, "b1_before_b2", k65, p65, "batch_size", path="B1")
    acase(V, "b1_before_b3", three, [bytes(4097)] * 2, "batch_size", path="B1")
    # --- B2: a key repeated, before any proof ---
    acase(V, "b2_key_0_again_as_key_2", *act_batch([0, 1, 0]), "duplicate_key", 2, "B2")
    acase(V, "b2_adjacent", *act_batch([0, 0, 1]), "duplicate_key", 1, "B2")
    acase(V, "b2_first_repeat_wins", *act_batch([0, 1, 1, 0]), "duplicate_key", 2, "B2")
    kd, pd = act_batch([0, 1, 0])
    acase(V, "b2_before_b3", kd, [bytes(4097), b"", b""], "duplicate_key", 2, "B2")
    # --- B3: the size, then C1-C7 and H1-H5 ---
    acase(V, "b3_4097_zero_bytes", three, [p3[0], bytes(4097), p3[2]], "too_large", 1, "B3")
    big = act_size_edge_id(4097)
    acase(V, "b3_a_proper_proof_of_4097_bytes", *act_batch([0, 1], aid=big), "too_large", 0, "B3", aid=big)
    acase(V, "b3_4096_zero_bytes_are_decoded", three, [bytes(4096)] + p3[1:], "malformed", 0, "B3/C1/Decode",
          "cbor_trailing_bytes")
    acase(V, "b3_too_large_before_b4", three, [bytes(4097)] + p3[1:], "too_large", 0, "B3",
          ch=b"another challenge")
    sig = good[-64:]
    prot = cbor(ACT_HEADER)
    for label, header, unprotected, code, path in (
            ("kid", {1: -7, 4: b"kid-0001", 16: TYP_ACT}, None, "cose_unknown_header", "B3/H5"),
            ("kid_of_the_key", {1: -7, 4: hashlib.sha256(three[0].sec1).digest()[:8], 16: TYP_ACT}, None,
             "cose_unknown_header", "B3/H5"),
            ("typ_presentation", {1: -7, 16: TYP_PRES}, None, "wrong_context", "B3/H3"),
            ("typ_credential", {1: -7, 16: TYP_CRED}, None, "wrong_context", "B3/H3"),
            ("typ_request", {1: -7, 16: TYP_REQ}, None, "wrong_context", "B3/H3"),
            ("typ_absent", {1: -7}, None, "wrong_context", "B3/H3"),
            ("typ_case", {1: -7, 16: TYP_ACT.upper()}, None, "wrong_context", "B3/H3"),
            ("alg_eddsa", {1: -8, 16: TYP_ACT}, None, "alg_not_allowed", "B3/H4"),
            ("alg_es384", {1: -35, 16: TYP_ACT}, None, "alg_not_allowed", "B3/H4"),
            ("alg_missing", {16: TYP_ACT}, None, "alg_missing", "B3/H1"),
            ("alg_unprotected", {16: TYP_ACT}, {1: -7}, "alg_not_protected", "B3/H1"),
            ("unprotected_iv", ACT_HEADER, {5: b"iv"}, "cose_unprotected_header", "B3/H2"),
            ("content_type", {1: -7, 3: 0, 16: TYP_ACT}, None, "cose_unknown_header", "B3/C7"),
            ("kid_text", {1: -7, 4: "kid", 16: TYP_ACT}, None, "cose_malformed", "B3/C7"),
            ("typ_bstr", {1: -7, 16: TYP_ACT.encode()}, None, "cose_malformed", "B3/C7"),
            ("alg_text", {1: "ES256", 16: TYP_ACT}, None, "cose_malformed", "B3/C7")):
        proof = act_proof(three[1], payload3, header=header, unprotected=unprotected)
        acase(V, f"b3_{label}", three, [p3[0], proof, p3[2]], "malformed", 1, path, code)
    for label, proof, code, path in (
            ("empty", b"", "cbor_malformed", "B3/C1/D1"),
            ("tagged", b"\xd2" + good, "cbor_unsupported_type", "B3/C1/D3"),
            ("trailing_byte", good + b"\x00", "cbor_trailing_bytes", "B3/C1/Decode"),
            ("truncated", good[:-1], "cbor_malformed", "B3/C1/D10"),
            ("indefinite_array", b"\x9f" + good[1:] + b"\xff", "cbor_indefinite_length", "B3/C1/D5"),
            ("three_elements", cbor([prot, {}, payload3]), "cose_malformed", "B3/C2"),
            ("five_elements", cbor([prot, {}, payload3, sig, b""]), "cose_malformed", "B3/C2"),
            ("payload_detached", cbor([prot, {}, None, sig]), "cose_malformed", "B3/C3"),
            ("protected_as_map", cbor([ACT_HEADER, {}, payload3, sig]), "cose_malformed", "B3/C3"),
            ("signature_63_bytes", cbor([prot, {}, payload3, sig[:63]]), "cose_malformed", "B3/C4"),
            ("protected_empty", cbor([b"", {}, payload3, sig]), "cbor_malformed", "B3/C5/D1"),
            ("protected_not_a_map", cbor([cbor([1, -7]), {}, payload3, sig]), "cose_malformed", "B3/C6"),
            ("protected_unsorted", cbor([bytes.fromhex("a2") + cbor(16) + cbor(TYP_ACT) + cbor(1) + cbor(-7), {},
                                         payload3, sig]), "cbor_unsorted_keys", "B3/C5/D16")):
        acase(V, f"b3_{label}", three, [proof, p3[1], p3[2]], "malformed", 0, path, code)
    acase(V, "b3_at_the_last_proof", three, p3[:2] + [p3[2] + b"\x00"], "malformed", 2, "B3/C1/Decode",
          "cbor_trailing_bytes")
    # --- B4: the payload, compared bytewise with the one of the keys as received ---
    acase(V, "b4_key_dropped", *act_batch([0, 1], signed_over=[0, 1, 2]), "wrong_payload", 0, "B4")
    acase(V, "b4_last_key_dropped", three[:2], p3[:2], "wrong_payload", 0, "B4")
    ks, ps = three, p3
    acase(V, "b4_keys_swapped", [ks[1], ks[0], ks[2]], [ps[1], ps[0], ps[2]], "wrong_payload", 0, "B4")
    acase(V, "b4_key_added", *act_batch([0, 1, 2, 3], signed_over=[0, 1, 2]), "wrong_payload", 0, "B4")
    acase(V, "b4_key_replaced", [three[0], akey(99), three[2]], p3, "wrong_payload", 0, "B4")
    acase(V, "b4_other_challenge", *act_batch([0, 1], ch=ACT_CHALLENGE[::-1]), "wrong_payload", 0, "B4")
    acase(V, "b4_other_activation", *act_batch([0, 1], aid=ACT_ID.upper()), "wrong_payload", 0, "B4")
    other = act_payload([k.sec1 for k in three], ch=b"another challenge")
    acase(V, "b4_only_the_last_proof", three, p3[:2] + [act_proof(three[2], other)], "wrong_payload", 2, "B4")
    digest3 = hashlib.sha256(act_keys_bytes([k.sec1 for k in three])).digest()
    for label, pl in (
            # the same map, not in the deterministic encoding: compared, never decoded (§19.3)
            ("non_shortest_challenge_head", bytes.fromhex("a301") + cbor(ACT_ID) + b"\x02\x59\x00\x38" + ACT_CHALLENGE
             + b"\x03" + cbor(digest3)),
            ("keys_unsorted", b"\xa3\x02" + cbor(ACT_CHALLENGE) + b"\x01" + cbor(ACT_ID) + b"\x03" + cbor(digest3)),
            ("an_extra_key", cbor({1: ACT_ID, 2: ACT_CHALLENGE, 3: digest3, 4: 0})),
            ("id_as_bstr", cbor({1: ACT_ID.encode(), 2: ACT_CHALLENGE, 3: digest3})),
            ("digest_of_the_raw_keys", cbor({1: ACT_ID, 2: ACT_CHALLENGE,
                                             3: hashlib.sha256(b"".join(k.sec1 for k in three)).digest()})),
            ("digest_of_the_cose_keys", cbor({1: ACT_ID, 2: ACT_CHALLENGE,
                                              3: hashlib.sha256(cbor([{1: 2, -1: 1, -2: k.x, -3: k.y}
                                                                      for k in three])).digest()})),
            ("the_payload_with_a_trailing_byte", payload3 + b"\x00"),
            ("empty", b"")):
        acase(V, f"b4_payload_{label}", three, [act_proof(k, pl) for k in three], "wrong_payload", 0, "B4")
    acase(V, "b4_before_b5", three, [act_proof(akey(7), other)] + p3[1:], "wrong_payload", 0, "B4")
    # --- B5: V1-V3 with key i ---
    acase(V, "b5_proof_by_another_key", three, [p3[0], act_proof(three[0], payload3), p3[2]], "bad_signature", 1,
          "B5/V3")
    acase(V, "b5_proof_by_an_unknown_key", three, [p3[0], p3[1], act_proof(akey(99), payload3)],
          "bad_signature", 2, "B5/V3")
    acase(V, "b5_proofs_in_the_wrong_order", three, [p3[1], p3[0], p3[2]], "bad_signature", 0, "B5/V3")
    acase(V, "b5_high_s", three, p3[:2] + [act_proof(three[2], payload3, high_s=True)], "bad_signature", 2,
          "B5/V2")
    acase(V, "b5_r_zero", three, [act_proof(three[0], payload3, sig_hook=lambda s: bytes(32) + s[32:])] + p3[1:],
          "bad_signature", 0, "B5/V1")
    acase(V, "b5_s_zero", three, [act_proof(three[0], payload3, sig_hook=lambda s: s[:32] + bytes(32))] + p3[1:],
          "bad_signature", 0, "B5/V1")
    acase(V, "b5_s_is_n", three, [act_proof(three[0], payload3, sig_hook=lambda s: replace_s(s, N))] + p3[1:],
          "bad_signature", 0, "B5/V1")
    acase(V, "b5_signature_bit_flipped",
          three, [act_proof(three[0], payload3, sig_hook=lambda s: s[:31] + bytes([s[31] ^ 1]) + s[32:])] + p3[1:],
          "bad_signature", 0, "B5/V3")
    acase(V, "b5_signed_over_another_protected", three,
          [cbor([prot, {}, payload3, es256(three[0], cbor({1: -7, 16: TYP_PRES}), payload3)])] + p3[1:],
          "bad_signature", 0, "B5/V3")
    # --- the order: B3, B4, B5 for proof i before proof i + 1 ---
    acase(V, "order_b5_at_proof_0_before_b3_at_proof_1", three,
          [act_proof(three[1], payload3), bytes(4097), p3[2]], "bad_signature", 0, "B5/V3")
    acase(V, "order_b4_at_proof_0_before_b3_at_proof_1", three, [act_proof(three[0], other), b"", p3[2]],
          "wrong_payload", 0, "B4")
    acase(V, "order_b3_at_proof_1_before_b5_at_proof_2", three,
          [p3[0], b"", act_proof(three[2], payload3, high_s=True)], "malformed", 1, "B3/C1/D1", "cbor_malformed")
    return V


def activation_tests() -> None:
    """Each activation case directly: its outcome (error, index, step, code) and its exact step
    path; evaluate() agrees; the checker's keys_digest and payload against this file's; the
    sizes that spec §19.2 states."""
    vecs = activation_vectors()
    names = [v["name"] for v in vecs]
    expect("activation cases: distinct names", len(names) == len(set(names)))
    for vec, want_path in _ACTIVATION_CASES:
        name, inp, exp = vec["name"], vec["inputs"], vec["expected"]
        keys = [bytes.fromhex(k) for k in inp["device_keys"]]
        proofs = [bytes.fromhex(p) for p in inp["proofs"]]
        got = chk.activation_outcome(inp["activation_id"], bytes.fromhex(inp["challenge"]), keys, proofs)
        want = {k: exp[k] for k in ("result", "error", "index", "step", "code")}
        expect(f"activation {name}: {exp['error'] or 'valid'}",
               {k: got[k] for k in want} == want, f"got {got}")
        if exp["result"] == "invalid":
            expect(f"activation {name}: at {want_path}", got["path"] == want_path, f"path {got['path']}")
        ev = chk.evaluate(vec)
        expect(f"activation {name}: evaluate agrees",
               ev[0] == (exp["error"] or "valid") and (ev[0] == "valid" or ev[1] == want_path), f"{ev}")
        expect(f"activation {name}: keys_digest",
               chk.keys_digest(keys).hex() == vec["outputs"]["keys_digest"])
        expect(f"activation {name}: payload",
               chk.activation_payload(inp["activation_id"], bytes.fromhex(inp["challenge"]),
                                      chk.keys_digest(keys)).hex() == vec["outputs"]["payload"])
    cases = [(v["expected"], p) for v, p in _ACTIVATION_CASES]
    expect("activation cases: every step B1-B5 fails somewhere",
           {e["step"] for e, _ in cases if e["step"]} == {"B1", "B2", "B3", "B4", "B5"})
    expect("activation cases: every ProofError kind", {e["error"] for e, _ in cases if e["error"]} == set(ACT_STEPS))
    expect("activation cases: V1, V2 and V3 under B5", {"B5/V1", "B5/V2", "B5/V3"} <= {p for _, p in cases})
    expect("activation: the checker's kinds and steps are spec §19.3's", chk.PROOF_ERROR_STEPS == ACT_STEPS)
    expect("activation: at most 64 keys, proofs of at most 4096 bytes",
           (chk.MAX_BATCH, chk.MAX_PROOF_SIZE) == (64, 4096))
    # The rows list_vectors.py prints for test-vectors/README.md: the kind, the code, the
    # step path and the position; a disagreement in any of error, index, step or code is marked.
    import list_vectors
    by_name = {v["name"]: v for v in vecs}
    for name, want in (("valid_3_keys", ("**valid**", "B1–B5 pass")), ("b1_65_keys", ("`batch_size`", "B1")),
                       ("b2_adjacent", ("`duplicate_key`", "B2, key 1")),
                       ("b3_kid", ("`malformed` (`cose_unknown_header`)", "B3/H5, proof 1")),
                       ("b5_high_s", ("`bad_signature`", "B5/V2, proof 2"))):
        got = list_vectors.activation_row(by_name[name])
        expect(f"list_vectors: the row of {name}", got == want, f"{got}")
    v = json.loads(json.dumps(by_name["b2_adjacent"]))
    v["expected"]["index"] = 2
    got = list_vectors.activation_row(v)
    expect("list_vectors: another index is a disagreement",
           got[1] == "CHECKER DISAGREES: `duplicate_key` at B2, key 1", f"{got}")
    # B5 accepts any valid low-S signature, not only RFC 6979's (that is a generator check).
    k2 = [akey(0), akey(1)]
    pl = act_payload([k.sec1 for k in k2])
    got = chk.activation_outcome(ACT_ID, ACT_CHALLENGE, [k.sec1 for k in k2],
                                 [act_proof(k, pl, random_k=True) for k in k2])
    expect("activation: proofs signed with a random k pass B1-B5", got["result"] == "valid", f"{got}")
    # spec §19.2's sizes and bytes
    for n in (1, 3, 23, 24, 32, 64):
        pts = [akey(i).sec1 for i in range(n)]
        want = 1 + 67 * n if n < 24 else 2 + 67 * n
        enc = chk.activation_keys(pts)
        expect(f"spec §19.2: the keys array of {n} is {want} bytes, head {enc[:2].hex()}",
               len(enc) == want and enc == act_keys_bytes(pts)
               and enc[:2] == (bytes([0x80 + n, 0x58]) if n < 24 else bytes([0x98, n])))
    expect("spec §19.2: 2,146 bytes for N = 32", len(chk.activation_keys([akey(i).sec1 for i in range(32)])) == 2146)
    prot = cbor(ACT_HEADER)
    expect("spec §19.2: the protected header is the 40 bytes a2 01 26 10 78 22 and the typ",
           prot == bytes.fromhex("a20126107822") + TYP_ACT.encode() and len(prot) == 40
           and chk.TYP_ACTIVATION == TYP_ACT)
    pts = [akey(i).sec1 for i in range(3)]
    digest = hashlib.sha256(act_keys_bytes(pts)).digest()
    payload = chk.activation_payload(ACT_ID, ACT_CHALLENGE, digest)
    expect("spec §19.2: the payload of a 32-character id and a 56-byte challenge is the 130 bytes",
           payload == bytes.fromhex("a3017820") + ACT_ID.encode() + bytes.fromhex("025838") + ACT_CHALLENGE
           + bytes.fromhex("035820") + digest and len(payload) == 130 and payload == act_payload(pts))
    proof = act_batch(range(3))[1][0]
    expect("spec §19.2: the proof is 84 58 28 <protected> a0 58 82 <payload> 58 40 <signature>, 242 bytes",
           len(proof) == 242 and proof[:3] == bytes.fromhex("845828") and proof[3:43] == prot
           and proof[43:46] == bytes.fromhex("a05882") and proof[46:176] == payload
           and proof[176:178] == bytes.fromhex("5840"))
    expect("spec §19.2: the Sig_structure is 84 6a Signature1 58 28 <protected> 40 58 82 <payload>",
           chk.sig_structure(prot, payload) == bytes.fromhex("846a5369676e61747572653158 28".replace(" ", ""))
           + prot + bytes.fromhex("405882") + payload)
    # The activation key derivation of test-vectors/README.md.
    expect("activation keys: scalar i is SHA-256(\"mlegit test vector activation key i\")",
           all(chk.activation_key_scalar(i) == akey(i).d.to_bytes(32, "big") for i in (0, 1, 64, 99))
           and chk.activation_key_index(akey(99).d.to_bytes(32, "big")) == 99)
    # Keys that are not points never reach B1-B5: the vector runner refuses them (schema).
    for label, pt in (("compressed", bytes([2 + (akey(0).y[-1] & 1)]) + akey(0).x),
                      ("off the curve", akey(0).sec1[:-1] + bytes([akey(0).sec1[-1] ^ 1])),
                      ("hybrid", b"\x06" + akey(0).sec1[1:]), ("x = p", b"\x04" + chk.P256_P.to_bytes(32, "big")
                                                                + akey(0).y), ("64 bytes", akey(0).sec1[1:])):
        expect(f"activation: a device key {label} is not a key", chk.sec1_public_key(pt) is None)
    expect("activation: a SEC1 uncompressed point is a key", chk.sec1_public_key(akey(0).sec1) is not None)


def flusher_free_bad_block() -> bytes:
    """One stored byte, a full flush, then an invalid block type: 1 byte out, then an error."""
    c = zlib.compressobj(0)
    return c.compress(b"\x01") + c.flush(zlib.Z_FULL_FLUSH) + b"\x07"


def status_list_unit_tests() -> None:
    """Direct calls: lookups at a later now (L7, L9, L10 again, then L12), step paths, M1
    before M2, and the lookup against an independent packing for every width."""
    trust = chk.parse_trust_list(TRUST)
    settings = chk.VerifierSettings()
    sl = chk.verify_status_list(sl_token(), trust, settings, NOW, SL_URI)
    expect("status list entries", sl.entries == SL_ENTRIES and sl.bits == 1 and sl.sub == SL_URI,
           f"{sl.entries} {sl.bits} {sl.sub}")

    def lookup_code(uri, idx, now):
        try:
            return chk.status_name(chk.check_status(sl, uri, idx, now, 60))
        except chk.MlegitError as exc:
            return exc.code

    cases = [
        ("now", SL_URI, STATUS_IDX, NOW, "valid"),
        ("revoked", SL_URI, 7, NOW, "invalid"),
        ("later but fresh", SL_URI, 7, SL_IAT + SL_TTL + 60, "invalid"),
        ("cached list goes stale", SL_URI, 7, SL_IAT + SL_TTL + 61, "status_list_stale"),
        ("cached list expires", SL_URI, 7, SL_EXP + 61, "status_list_expired"),
        ("other presentation's uri", "https://issuer.example/v1/status-lists/4", 7, NOW,
         "status_list_uri_mismatch"),
        ("L7 before L9", "https://other.example/", 7, SL_EXP + 61, "status_list_uri_mismatch"),
        ("L10 before L12", SL_URI, SL_ENTRIES, SL_IAT + SL_TTL + 61, "status_list_stale"),
        ("out of range", SL_URI, SL_ENTRIES, NOW, "status_index_out_of_range"),
    ]
    for label, uri, idx, now, want in cases:
        got = lookup_code(uri, idx, now)
        expect(f"check_status {label}", got == want, f"got {got}, want {want}")
    # M1 before M2 (both invalid_field: told apart by the step path).
    try:
        chk.verify_status_list(sl_token(status_list={"lst": b"x", "bits": 3}, exp=SL_IAT), trust, settings,
                               NOW, SL_URI)
        path = "accepted"
    except chk.MlegitError as exc:
        path = f"{exc.code} {chk.step_path(exc.detail)}"
    expect("M1 before M2", path == "invalid_field L3/M1", path)
    # Step paths that list_vectors.py prints.
    for label, token, want in [
        ("tag", b"\xd2" + sl_token(), "cbor_unsupported_type L2/C1/D3"),
        ("M2", sl_token(exp=SL_IAT), "invalid_field L3/M2"),
        ("F4", sl_token(sub="http://x"), "invalid_field L3/F4"),
        ("L6", sl_token(high_s=True), "signature_malleable L6/V2"),
        ("L11", sl_token(lst=b"\x00"), "status_list_malformed L11"),
        ("L11 bomb", sl_token(lst=BOMB), "status_list_too_large L11"),
    ]:
        vec = slvec("x", token, "invalid_field")
        code, path = chk.evaluate(vec)
        expect(f"step path {label}", f"{code} {path}" == want, f"got {code} {path}, want {want}")
    # The lookup against the little-endian-integer packing, every width, every entry of a
    # small list and a spread of values.
    for bits in (1, 2, 4, 8):
        entries = 64
        pairs = [(i, (i * 7 + 3) % (1 << bits)) for i in range(entries) if i % 3]
        array = pack(bits, entries, pairs)
        want = dict(pairs)
        got = [chk.status_list_lookup(array, bits, i) for i in range(entries)]
        expect(f"lookup bits={bits}", got == [want.get(i, 0) for i in range(entries)], f"{got}")
        try:
            chk.status_list_lookup(array, bits, entries)
            code = "ok"
        except chk.MlegitError as exc:
            code = exc.code
        expect(f"lookup bits={bits} one past the end", code == "status_index_out_of_range", code)
    # Inflate: the cap counts output bytes, inclusive.
    data = bytes(range(256)) * 4
    for label, lst, cap, want in [
        ("exactly the cap", deflate(data), 1024, "ok"),
        ("one over the cap", deflate(data), 1023, "status_list_too_large"),
        ("cap 0, one byte", deflate(b"\x01"), 0, "status_list_too_large"),
        ("bomb at the default cap", BOMB, 1 << 20, "status_list_too_large"),
        ("bomb under a cap above its size", BOMB, BOMB_SIZE, "ok"),
        ("empty bstr", b"", 1024, "status_list_malformed"),
    ]:
        try:
            out = chk.inflate_status_list(lst, cap)
            got = "ok" if out == (data if lst != BOMB else bytes(BOMB_SIZE)) else "wrong output"
        except chk.MlegitError as exc:
            got = exc.code
        expect(f"inflate {label}", got == want, f"got {got}, want {want}")
    # Stop at max + 1: once that many bytes are out, what follows in the stream (its Adler-32,
    # its next block, its end, bytes after it) is never looked at.  zlib itself goes on
    # decoding past a full output buffer, so these need the checker's byte-by-byte rerun.
    good = deflate(data)
    bad_adler = good[:-1] + bytes([good[-1] ^ 1])
    flusher = zlib.compressobj(9)
    then_bad_block = flusher.compress(data) + flusher.flush(zlib.Z_FULL_FLUSH) + b"\x07"  # BTYPE 11
    for label, lst, cap, want in [
        ("max + 1 bytes, then a bad Adler-32", bad_adler, 1023, "status_list_too_large"),
        ("max bytes, then a bad Adler-32", bad_adler, 1024, "status_list_malformed"),
        ("max + 1 bytes, then a truncated end", good[:-2], 1023, "status_list_too_large"),
        ("max + 1 bytes, then a trailing byte", good + b"\x00", 1023, "status_list_too_large"),
        ("max + 1 bytes, then a bad block type", then_bad_block, 1023, "status_list_too_large"),
        ("max bytes, then a bad block type", then_bad_block, 1024, "status_list_malformed"),
        ("max + 1 bytes, then a bad block type, cap 0", flusher_free_bad_block(), 0, "status_list_too_large"),
        ("bad block type before any output", b"\x78\x9c\x07", 0, "status_list_malformed"),
        ("bomb, bad Adler-32", BOMB[:-1] + bytes([BOMB[-1] ^ 1]), BOMB_SIZE - 1, "status_list_too_large"),
        ("bomb, bad Adler-32, cap its size", BOMB[:-1] + bytes([BOMB[-1] ^ 1]), BOMB_SIZE, "status_list_malformed"),
    ]:
        try:
            chk.inflate_status_list(lst, cap)
            got = "ok"
        except chk.MlegitError as exc:
            got = exc.code
        expect(f"inflate {label}", got == want, f"got {got}, want {want}")
    # Why each malformed stream fails (the code is the same; the detail names the reason).
    good = deflate(data)
    for label, lst, reason in [
        ("truncated", good[:-1], "truncated"),
        ("trailing byte", good + b"\x00", "1 byte(s) after the ZLIB stream"),
        ("second stream", good + deflate(b"x"), "after the ZLIB stream"),
        ("nothing inflated", deflate(b""), "inflates to 0 bytes"),
        ("bad Adler-32", good[:-1] + bytes([good[-1] ^ 0x80]), "not a valid ZLIB stream"),
        ("raw DEFLATE", deflate(data, wbits=-15), "not a valid ZLIB stream"),
    ]:
        try:
            chk.inflate_status_list(lst, 1 << 20)
            detail = "accepted"
        except chk.MlegitError as exc:
            detail = f"{exc.code} {exc.detail}"
        expect(f"inflate {label}: malformed, {reason}",
               detail.startswith("status_list_malformed L11: ") and reason in detail, detail)


def status_claim_unit_tests() -> None:
    """F4 of credential key 9 on decoded maps, including orders the strict decoder never
    produces (it rejects them with D16 first)."""
    M = chk.CborMap

    def claim(inner_pairs, outer_key="status_list"):
        return M([(outer_key, M(inner_pairs))])

    cases = [
        ("reference", claim([("idx", 42), ("uri", STATUS_URI)]), True),
        ("uri before idx (as built, unsorted)", claim([("uri", STATUS_URI), ("idx", 42)]), False),
        ("idx 0", claim([("idx", 0), ("uri", STATUS_URI)]), True),
        ("idx 2^64-1", claim([("idx", 2**64 - 1), ("uri", STATUS_URI)]), True),
        ("uri exactly https://", claim([("idx", 1), ("uri", "https://")]), True),
        ("uri 256 bytes", claim([("idx", 1), ("uri", "https://" + "a" * 248)]), True),
        ("uri 257 bytes", claim([("idx", 1), ("uri", "https://" + "a" * 249)]), False),
        ("uri 256 bytes of 2-byte chars", claim([("idx", 1), ("uri", "https://" + "ł" * 124)]), True),
        ("uri 258 bytes of 2-byte chars", claim([("idx", 1), ("uri", "https://" + "ł" * 125)]), False),
        ("uri https:/", claim([("idx", 1), ("uri", "https:/")]), False),
        ("uri with U+2066", claim([("idx", 1), ("uri", "https://a/\u2066")]), False),
        ("uri with U+200B (Cf, allowed)", claim([("idx", 1), ("uri", "https://a/\u200b")]), True),
        ("inner has three entries", claim([("idx", 1), ("uri", STATUS_URI), ("x", 0)]), False),
        ("outer has two entries", M([("status_list", M([("idx", 1), ("uri", STATUS_URI)])), ("x", 0)]), False),
        ("outer key status", claim([("idx", 1), ("uri", STATUS_URI)], "status"), False),
        ("inner is an array", M([("status_list", [1, STATUS_URI])]), False),
        ("idx is a bool", claim([("idx", True), ("uri", STATUS_URI)]), False),
    ]
    for label, value, want in cases:
        got = chk._is_status_claim(value)
        expect(f"status claim {label}", got == want, f"got {got}, want {want}")


# ------------------------------------------------------------------------------------------
# Unit tests of the strict decoder (spec §2.3), claims (spec §11), signatures and trust list
# ------------------------------------------------------------------------------------------

DECODER_CASES = [  # (hex, expected error code or "ok")
    ("00", "ok"), ("17", "ok"), ("1818", "ok"), ("1817", "cbor_non_shortest"),
    ("1900ff", "cbor_non_shortest"), ("190100", "ok"), ("1a0000ffff", "cbor_non_shortest"),
    ("1b00000000ffffffff", "cbor_non_shortest"), ("1bffffffffffffffff", "ok"),
    ("3bffffffffffffffff", "ok"), ("3817", "cbor_non_shortest"),
    ("1c", "cbor_malformed"), ("5d", "cbor_malformed"), ("fe", "cbor_malformed"),
    ("1f", "cbor_malformed"), ("3f", "cbor_malformed"), ("ff", "cbor_malformed"),
    # D2-D6 classify from the initial byte alone (spec §2.3 notes)
    ("df", "cbor_unsupported_type"), ("dc", "cbor_malformed"), ("dd", "cbor_malformed"),
    ("de", "cbor_malformed"), ("fc", "cbor_malformed"), ("fd", "cbor_malformed"), ("fe", "cbor_malformed"),
    ("3c", "cbor_malformed"), ("9e", "cbor_malformed"), ("d8", "cbor_unsupported_type"),
    ("db", "cbor_unsupported_type"), ("f8", "cbor_unsupported_type"), ("f9", "cbor_unsupported_type"),
    ("fb00", "cbor_unsupported_type"), ("8218ff", "cbor_malformed"), ("82f7ff", "cbor_unsupported_type"),
    ("82ff00", "cbor_malformed"), ("81df", "cbor_unsupported_type"),
    ("a100", "cbor_malformed"), ("a2000000", "cbor_malformed"), ("a1000000", "cbor_trailing_bytes"),
    ("5f41ff", "cbor_indefinite_length"), ("7f", "cbor_indefinite_length"),
    ("9fff", "cbor_indefinite_length"), ("bfff", "cbor_indefinite_length"),
    ("c0", "cbor_unsupported_type"), ("d82a00", "cbor_unsupported_type"), ("f7", "cbor_unsupported_type"),
    ("e0", "cbor_unsupported_type"), ("f3", "cbor_unsupported_type"), ("f820", "cbor_unsupported_type"),
    ("f90000", "cbor_unsupported_type"), ("fa00000000", "cbor_unsupported_type"),
    ("fb0000000000000000", "cbor_unsupported_type"), ("f4", "ok"), ("f5", "ok"), ("f6", "ok"),
    ("", "cbor_malformed"), ("18", "cbor_malformed"), ("19ff", "cbor_malformed"), ("4201", "cbor_malformed"),
    ("82", "cbor_malformed"), ("8201", "cbor_malformed"), ("a1", "cbor_malformed"), ("a101", "cbor_malformed"),
    ("9b00000000000000ff00", "cbor_non_shortest"), ("5bffffffffffffffff", "cbor_malformed"),
    ("62c328", "cbor_malformed"), ("63eda080", "cbor_malformed"),  # invalid UTF-8 / surrogate
    ("62c3b3", "ok"), ("0000", "cbor_trailing_bytes"), ("80ff", "cbor_trailing_bytes"),
    ("a201000100", "cbor_duplicate_key"), ("a202000100", "cbor_unsorted_keys"),
    ("a20100f500", "ok"),                       # keys 1 and true are distinct, 0x01 < 0xf5
    ("a2010020 00".replace(" ", ""), "ok"),   # 1 then -1: 0x01 < 0x20
    ("a2200001 00".replace(" ", ""), "cbor_unsorted_keys"),  # -1 then 1
    ("a2181800 2000".replace(" ", ""), "ok"),  # 24 (0x1818) before -1 (0x20): bytewise, not length-first
    ("a2616200 616100".replace(" ", ""), "cbor_unsorted_keys"),
    ("a2616100 61610f".replace(" ", ""), "cbor_duplicate_key"),
    ("a2010ff51817", "cbor_non_shortest"),  # {1: 15, true: 23 in non-shortest form}
    ("8181818181818180", "ok"),          # 8 nested arrays: deepest at level 8
    ("818181818181818180", "cbor_depth_exceeded"),
    ("8181818181818181" + "00", "ok"),  # scalar at level 9 is fine
    # first violation in byte order wins
    ("821817ff", "cbor_non_shortest"), ("82ff1817", "cbor_malformed"),
    ("a2020001001817", "cbor_unsorted_keys"),                # key order before the bad value
    ("a201180002", "cbor_non_shortest"),
    ("a1c10000", "cbor_unsupported_type"),
    ("818181818181818198ff", "cbor_depth_exceeded"),          # D12 before D13
    ("81818181818181819801", "cbor_non_shortest"),            # D8 before D12
    ("818181818181818198", "cbor_malformed"),                 # D7 before D12
]


def decoder_tests() -> None:
    for hx, want in DECODER_CASES:
        data = bytes.fromhex(hx)
        try:
            chk.strict_decode(data)
            got = "ok"
        except chk.MlegitError as exc:
            got = exc.code
        except chk.CheckerBug as exc:
            got = f"CHECKER BUG {exc}"
        expect(f"decoder {hx or '(empty)'}", got == want, f"got {got}, want {want}")


def claim_tests() -> None:
    v = chk.valid_claim_value
    cases = [
        ("pesel", CLAIMS["pesel"], True), ("pesel", pesel_for(datetime.date(1899, 12, 31), "9876"), True),
        ("pesel", pesel_for(datetime.date(2299, 1, 1), "0000"), True),
        ("pesel", pesel_for(datetime.date(1950, 6, 15), "5555"), True),
        ("pesel", "02070803628", True),            # 1902-07-08 (commonly quoted example)
        ("pesel", "02070803629", False), ("pesel", "0207080362", False), ("pesel", "0207080362a", False),
        ("pesel", "０２０７０８０３６２８", False),  # fullwidth digits are not ASCII
        ("birth_date", "2024-02-29", True), ("birth_date", "2023-02-29", False),
        ("birth_date", "1800-01-01", True), ("birth_date", "1799-12-31", False),
        ("birth_date", "2299-12-31", True), ("birth_date", "2300-01-01", False),
        ("birth_date", "2024-1-01", False), ("birth_date", "2024-01-01 ", False),
        ("birth_date", "2024/01/01", False), ("issue_date", "2024-13-01", False),
        ("family_name", "", False), ("family_name", "a" * 256, True), ("family_name", "a" * 257, False),
        ("family_name", "ł" * 128, True), ("family_name", "ł" * 129, False),
        ("family_name", "tab\there", False), ("family_name", "del\x7f", False),
        ("family_name", "zero\u200bwidth", True),  # U+200B is Cf: allowed, displays escape it
        ("family_name", "line\u2028sep", False), ("family_name", "para\u2029sep", False),
        ("family_name", "\u202aembed", False), ("family_name", "over\u202eride", False),
        ("family_name", "\u2066isolate\u2069", False), ("family_name", "fsi\u2068", False),
        ("family_name", "nnbsp\u202f", True), ("family_name", "\u2027\u2065\u206a", True),
        ("family_name", b"bytes", False),
        ("holder_status", "student", True), ("holder_status", "teacher", False),
        ("portrait", b"\xff\xd8\xff\xe0", True), ("portrait", b"\xff\xd8\xff", False),
        ("portrait", b"\xff\xd8\xfe\xe0", False), ("portrait", b"\xff\xd8\xff" + bytes(16381), True),
        ("portrait", b"\xff\xd8\xff" + bytes(16382), False),
        ("age_over_18", True, True), ("age_over_18", False, False), ("age_over_18", 1, False),
    ]
    # PESEL with a valid checksum but an impossible date (2001-02-30 -> month 22, day 30)
    body = "012230" + "1234"
    cs = (10 - sum(w * int(c) for w, c in zip((1, 3, 7, 9) * 3, body)) % 10) % 10
    cases.append(("pesel", body + str(cs), False))
    for name, value, want in cases:
        got = v(name, value)
        expect(f"claim {name}={value!r:.40}", got == want, f"got {got}, want {want}")


def signature_tests() -> None:
    """spec §3.9 V1-V3 order on the device signature of a good presentation."""
    good = present([])
    for label, hook, want in [
        ("s=0", lambda s: replace_s(s, 0), "device_signature_invalid"),
        ("s=n", lambda s: replace_s(s, N), "device_signature_invalid"),
        ("s=n-1", lambda s: replace_s(s, N - 1), "signature_malleable"),
        ("s=(n+1)/2", lambda s: replace_s(s, N // 2 + 1), "signature_malleable"),
        ("r=0", lambda s: bytes(32) + s[32:], "device_signature_invalid"),
        ("r=n, s high", lambda s: N.to_bytes(32, "big") + (N - 1).to_bytes(32, "big"), "device_signature_invalid"),
        ("s=(n-1)/2 (not malleable, V3 fails)", lambda s: replace_s(s, (N - 1) // 2), "device_signature_invalid"),
    ]:
        p = present([], sig_hook=hook)
        try:
            chk.verify_presentation(p, chk.parse_trust_list(TRUST), chk.VerifierSettings(), NOW,
                                    NONCE, AUDIENCE)
            got = "valid"
        except chk.MlegitError as exc:
            got = exc.code
        expect(f"signature {label}", got == want, f"got {got}, want {want}")
    expect("good presentation verifies", chk.verify_presentation(
        good, chk.parse_trust_list(TRUST), chk.VerifierSettings(), NOW, NONCE, AUDIENCE) is not None)
    expect("kid derivation", chk.key_id(ISSUER.x, ISSUER.y) == ISSUER.kid)


def trust_list_tests() -> None:
    e = ISSUER.trust_entry(0, 10)
    bad_point = dict(e)
    bad_point[-3] = bytes(32)
    unknown = dict(e)
    unknown[5] = 0
    missing = dict(e)
    del missing["not_before"]
    unknown_and_missing = dict(missing)
    unknown_and_missing["z"] = 0          # sorts after every other label
    missing_and_bad = dict(missing)
    missing_and_bad[3] = -35
    other = OTHER.trust_entry(0, 10)
    cases = [
        ("ok", cbor([e, OTHER.trust_entry(0, 10)]), None),
        ("empty", cbor([]), "invalid_field"),
        ("not array", cbor({1: 2}), "invalid_field"),
        ("dup kid", cbor([e, OTHER.trust_entry(0, 10, kid=ISSUER.kid)]), "invalid_field"),
        ("bad point", cbor([bad_point]), "invalid_field"),
        ("unknown label", cbor([unknown]), "unknown_field"),
        ("missing label", cbor([missing]), "missing_field"),
        ("T4 before T5 (unknown label last)", cbor([unknown_and_missing]), "unknown_field"),
        ("T5 before T6", cbor([missing_and_bad]), "missing_field"),
        ("element by element: bad value, then unknown label", cbor([{**e, 3: -35}, {**other, 5: 0}]),
         "invalid_field"),
        ("element by element: unknown label, then bad value", cbor([e, {**other, 5: 0}, {**e, 1: 3}]),
         "unknown_field"),
        ("64 keys", cbor([Key(f"tk{i}").trust_entry(0, 1) for i in range(64)]), None),
        ("65 keys", cbor([Key(f"tk{i}").trust_entry(0, 1) for i in range(65)]), "invalid_field"),
        ("kid empty", cbor([{**e, 2: b""}]), "invalid_field"),
        ("kid 32 bytes", cbor([{**e, 2: bytes(32)}]), None),
        ("x >= p", cbor([{**e, -2: b"\xff" * 32}]), "invalid_field"),
        ("not_after bool", cbor([{**e, "not_after": True}]), "invalid_field"),
        ("text kty", cbor([{**e, 1: "EC2"}]), "invalid_field"),
        ("element not a map", cbor([e, [1]]), "invalid_field"),
        ("nb > na", cbor([ISSUER.trust_entry(11, 10)]), "invalid_field"),
        ("alg -35", cbor([{**e, 3: -35}]), "invalid_field"),
        ("trailing", cbor([e]) + b"\x00", "cbor_trailing_bytes"),
    ]
    for label, data, want in cases:
        try:
            chk.parse_trust_list(data)
            got = None
        except chk.MlegitError as exc:
            got = exc.code
        expect(f"trust list {label}", got == want, f"got {got}, want {want}")


# ------------------------------------------------------------------------------------------
# The error code registry (spec §13, v4)
# ------------------------------------------------------------------------------------------

V3_CODES = ("unknown_authority", "authority_key_not_valid", "certificate_signature_invalid",
            "certificate_not_yet_valid", "certificate_expired", "request_signature_invalid",
            "request_certificate_mismatch", "claim_not_allowed", "request_mismatch")
V4_CODES = ("response_undecryptable", "response_key_mismatch")


def registry_tests() -> None:
    codes = chk.REGISTRY_CODES
    expect("registry: 64 codes, no duplicate", len(codes) == 64 and len(set(codes)) == 64, f"{len(codes)}")
    new = ("status_list_uri_mismatch", "status_list_from_future", "status_list_expired", "status_list_stale",
           "status_list_malformed", "status_list_too_large", "status_index_out_of_range")
    i = codes.index("invalid_claim_value") if "invalid_claim_value" in codes else -1
    expect("registry: the seven v2 codes, in order, after invalid_claim_value",
           codes[i + 1:i + 8] == new, f"{codes[i + 1:]}")
    expect("registry: the nine v3 codes, in order, after status_index_out_of_range",
           codes[-12:-2] == ("status_index_out_of_range",) + V3_CODES, f"{codes[-12:]}")
    expect("registry: the two v4 codes, in order, after request_mismatch, last",
           codes[-3:] == ("request_mismatch",) + V4_CODES, f"{codes[-3:]}")
    removed = ("status_key_mismatch", "status_credential_mismatch", "status_from_future", "status_stale")
    expect("registry: the four v1 status response codes are gone",
           not set(removed) & chk.ERROR_CODES, f"{set(removed) & chk.ERROR_CODES}")


# ------------------------------------------------------------------------------------------
# The IETF Token Status List examples (draft-ietf-oauth-status-list, examples/)
# ------------------------------------------------------------------------------------------
# Where they are: copied into the project (test-vectors/third-party/token-status-list), or the
# shared folder beside the repository.  The first folder that exists is used; if none does,
# the test fails (it is never skipped).

ROOT = os.path.dirname(os.path.dirname(HERE))
DRAFT_DIRS = [os.path.join(ROOT, "test-vectors", "third-party", "token-status-list"),
              os.path.join(os.path.dirname(ROOT), "shared", "vectors", "token-status-list")]

# The statuses the draft lists for its examples (all other entries are 0).  The files
# themselves carry only the bytes (and, for the two short ones, the byte array); these lists
# are the draft's text: "Status List" byte-array examples (16 one-bit and 12 two-bit entries)
# and the appendix "Test vectors for Status List encoding" (2^20 entries each).
DRAFT_SHORT_1 = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
DRAFT_SHORT_2 = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
DRAFT_LONG_1 = {0: 1, 1993: 1, 25460: 1, 159495: 1, 495669: 1, 554353: 1, 645645: 1, 723232: 1,
                854545: 1, 934534: 1, 1000345: 1}
DRAFT_LONG_2 = {0: 1, 1993: 2, 25460: 1, 159495: 3, 495669: 1, 554353: 1, 645645: 2, 723232: 1,
                854545: 1, 934534: 2, 1000345: 3}
DRAFT_LONG_4 = {0: 1, 1993: 2, 35460: 3, 459495: 4, 595669: 5, 754353: 6, 845645: 7, 923232: 8,
                924445: 9, 934534: 10, 1004534: 11, 1000345: 12, 1030203: 13, 1030204: 14,
                1030205: 15}
# The 8-bit example gives each value 0..=255 to one entry; a few of them, as spot checks.
DRAFT_LONG_8_SPOTS = {52451: 1, 576778: 2, 1046963: 78, 19535: 255, 233478: 0}


def _draft_dir():
    for d in DRAFT_DIRS:
        if os.path.isdir(d):
            return d
    return None


def _hex_of(path: str):
    """(bytes, byte_array or None) of an examples/*.md file: its lines of hex, and the
    `byte_array = [0x.., ...]` line when it has one."""
    data, array = "", None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("byte_array"):
                inner = line.split("[", 1)[1].split("]", 1)[0]
                array = bytes(int(x, 16) for x in inner.split(","))
            elif line and all(c in "0123456789abcdef" for c in line):
                data += line
    return bytes.fromhex(data), array


def _diag_hex(path: str) -> bytes:
    """The bytes a cbor.me-style diagnostic dump shows in its first column."""
    out = ""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            out += "".join(line.split("#", 1)[0].split())
    return bytes.fromhex(out)


def _strict_code(data: bytes) -> str:
    try:
        chk.strict_decode(data)
        return "ok"
    except chk.MlegitError as exc:
        return exc.code


def draft_example_tests() -> None:
    d = _draft_dir()
    expect("draft examples: folder found", d is not None, f"none of {DRAFT_DIRS}")
    if d is None:
        return

    def path(name):
        return os.path.join(d, name)

    expect("draft examples: LICENSE.md beside them", os.path.isfile(path("LICENSE.md")))

    def status_list_map(name):
        """Lenient parse (cbor2) of a {"bits": n, "lst": zlib} example map; then mlegit's own
        inflate (L11, default max size) and lookup (L12)."""
        raw, array = _hex_of(path(name))
        m = cbor2.loads(raw)
        ok = isinstance(m, dict) and set(m) == {"bits", "lst"}
        expect(f"draft {name}: a {{bits, lst}} map", ok, repr(m)[:80])
        # The draft's key order ("bits" before "lst") is not deterministic CBOR: D16.
        code = _strict_code(raw)
        expect(f"draft {name}: strict decoder rejects it (D16)", code == "cbor_unsorted_keys", code)
        inflated = chk.inflate_status_list(m["lst"], chk.VerifierSettings().max_status_list_size)
        return m["bits"], inflated, array

    def values(bits, inflated, n):
        return [chk.status_list_lookup(inflated, bits, i) for i in range(n)]

    # Short examples: the file gives the byte array; the draft lists the statuses.
    for name, want_bits, listed in (("status_list_encoding_cbor.md", 1, DRAFT_SHORT_1),
                                    ("status_list_encoding2_cbor.md", 2, DRAFT_SHORT_2)):
        bits, inflated, array = status_list_map(name)
        diag = name[:-3] + "_diag.md"
        expect(f"draft {diag}: shows the same bytes", _diag_hex(path(diag)) == _hex_of(path(name))[0])
        expect(f"draft {name}: bits {want_bits}", bits == want_bits, f"{bits}")
        expect(f"draft {name}: inflates to the file's byte_array", inflated == array,
               f"{inflated.hex()} vs {array.hex() if array else None}")
        sl_entries = 8 * len(inflated) // bits
        expect(f"draft {name}: {len(listed)} entries", sl_entries == len(listed), f"{sl_entries}")
        got = values(bits, inflated, len(listed))
        expect(f"draft {name}: the listed statuses", got == listed, f"{got}")
        expect(f"draft {name}: the listed statuses, packed", pack(bits, len(listed), enumerate(listed)) == inflated)
    # Long examples: 2^20 entries; everything 0 except the listed entries.
    for name, want_bits, listed in (("status_list_encoding1_long_cbor.md", 1, DRAFT_LONG_1),
                                    ("status_list_encoding2_long_cbor.md", 2, DRAFT_LONG_2),
                                    ("status_list_encoding4_cbor.md", 4, DRAFT_LONG_4)):
        bits, inflated, _ = status_list_map(name)
        expect(f"draft {name}: bits {want_bits}", bits == want_bits, f"{bits}")
        expect(f"draft {name}: 2^20 entries", 8 * len(inflated) // bits == 1 << 20, f"{len(inflated)} bytes")
        got = {i: chk.status_list_lookup(inflated, bits, i) for i in listed}
        expect(f"draft {name}: the listed statuses", got == listed, f"{got}")
        expect(f"draft {name}: all other entries 0", inflated == pack(bits, 1 << 20, listed.items()))
        code = "ok"
        try:
            chk.status_list_lookup(inflated, bits, 1 << 20)
        except chk.MlegitError as exc:
            code = exc.code
        expect(f"draft {name}: index 2^20 out of range", code == "status_index_out_of_range", code)
    name = "status_list_encoding8_cbor.md"
    bits, inflated, _ = status_list_map(name)
    expect(f"draft {name}: bits 8, 2^20 entries, exactly mlegit's default max size",
           bits == 8 and len(inflated) == 1 << 20 == chk.VerifierSettings().max_status_list_size,
           f"{bits} {len(inflated)}")
    nonzero = sorted(b for b in inflated if b)
    expect(f"draft {name}: each value 1..=255 exactly once, all else 0", nonzero == list(range(1, 256)),
           f"{len(nonzero)} non-zero")
    got = {i: chk.status_list_lookup(inflated, 8, i) for i in DRAFT_LONG_8_SPOTS}
    expect(f"draft {name}: spot checks", got == DRAFT_LONG_8_SPOTS, f"{got}")
    # A one-byte-smaller max size rejects the 8-bit example (L11 stops at max + 1).
    lst8 = cbor2.loads(_hex_of(path(name))[0])["lst"]
    try:
        chk.inflate_status_list(lst8, (1 << 20) - 1)
        code = "ok"
    except chk.MlegitError as exc:
        code = exc.code
    expect(f"draft {name}: over a max size of 2^20 - 1", code == "status_list_too_large", code)

    # The CWT Status List Token: tagged (18), kid unprotected, payload keys 2, 6, 4, 65534,
    # 65533, status_list keys "bits", "lst".  The strict decoder rejects it at its first byte:
    # a tag is major type 6, D3, cbor_unsupported_type (spec §2.3; vector cose_tagged).
    raw, _ = _hex_of(path("status_list_cwt.md"))
    expect("draft status_list_cwt_diag.md: shows the same bytes", _diag_hex(path("status_list_cwt_diag.md")) == raw)
    code = _strict_code(raw)
    expect("draft status_list_cwt.md: strict decoder rejects the tag", code == "cbor_unsupported_type", code)
    vec = slvec("draft_status_list_cwt", raw, "cbor_unsupported_type",
                verifier={"expected_uri": "https://example.com/statuslists/1"})
    got = chk.evaluate(vec)
    expect("draft status_list_cwt.md: L2/C1/D3 cbor_unsupported_type",
           got == ("cbor_unsupported_type", "L2/C1/D3"), f"{got}")
    tagged = cbor2.loads(raw)
    expect("draft status_list_cwt.md: tag 18", isinstance(tagged, cbor2.CBORTag) and tagged.tag == 18)
    protected, unprotected, payload, _sig = tagged.value
    # Untagged, it still fails: its kid is in the unprotected header (H2) ...
    expect("draft status_list_cwt.md: tag 18 is its one first byte", raw[0] == 0xD2)
    code = chk.evaluate(slvec("x", raw[1:], "x"))
    expect("draft status_list_cwt.md untagged: H2 (kid unprotected)", code == ("cose_unprotected_header", "L2/H2"),
           f"{code}")
    # ... its protected header is deterministic and names mlegit's typ ...
    expect("draft status_list_cwt.md: protected header strict, typ application/statuslist+cwt",
           _strict_code(protected) == "ok" and cbor2.loads(protected) == {1: -7, 16: TYP_SL})
    # ... and its payload keys are out of order (D16).
    code = _strict_code(payload)
    expect("draft status_list_cwt.md: payload key order 2, 6, 4 rejected (D16)", code == "cbor_unsorted_keys", code)
    claims = cbor2.loads(payload)
    sl_map = claims.get(65533)
    expect("draft status_list_cwt.md: status_list is the 16-entry one-bit example",
           sl_map == cbor2.loads(_hex_of(path("status_list_encoding_cbor.md"))[0]), repr(sl_map)[:80])
    inflated = chk.inflate_status_list(sl_map["lst"], 1 << 20)
    got = [chk.status_list_lookup(inflated, sl_map["bits"], i) for i in range(16)]
    expect("draft status_list_cwt.md: its statuses", got == DRAFT_SHORT_1, f"{got}")
    sub = claims.get(2)
    expect("draft status_list_cwt.md: sub passes mlegit's field rule", chk.is_https_uri(sub), repr(sub))

    # The Referenced Token: its status claim (CWT claim 65535) is exactly mlegit's key 9 value,
    # already in deterministic order ("idx" before "uri"); it points at entry 0 of that list.
    raw, _ = _hex_of(path("referenced_token_cwt.md"))
    expect("draft referenced_token_cwt_diag.md: shows the same bytes",
           _diag_hex(path("referenced_token_cwt_diag.md")) == raw)
    code = _strict_code(raw)
    expect("draft referenced_token_cwt.md: strict decoder rejects the tag", code == "cbor_unsupported_type", code)
    ref_payload = cbor2.loads(raw).value[2]
    claim = cbor2.loads(ref_payload).get(65535)
    encoded = chk.encode(claim)
    expect("draft referenced_token_cwt.md: the status claim's bytes are deterministic",
           encoded in ref_payload and _strict_code(encoded) == "ok", encoded.hex())
    decoded = chk.strict_decode(encoded)
    expect("draft referenced_token_cwt.md: status claim passes F4 of credential key 9",
           chk._is_status_claim(decoded), repr(decoded))
    ref = claim["status_list"]
    expect("draft referenced_token_cwt.md: it points at the status list token's sub", ref["uri"] == sub,
           f"{ref} vs {sub}")
    value = chk.status_list_lookup(inflated, sl_map["bits"], ref["idx"])
    expect("draft referenced_token_cwt.md: entry 0 of that list is 1 (invalid)",
           ref["idx"] == 0 and value == 1 and chk.status_name(value) == "invalid", f"{ref['idx']} {value}")


# ------------------------------------------------------------------------------------------
# CLI runs
# ------------------------------------------------------------------------------------------

def run_cli(doc: dict, tmp: str, fname: str, *extra: str):
    path = os.path.join(tmp, fname)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
    proc = subprocess.run([sys.executable, os.path.join(HERE, "mlegit_check.py"), path, *extra],
                          capture_output=True, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    return proc.returncode, lines, proc.stderr


def cli_tests(tmp: str) -> None:
    pres = presentation_vectors()
    lists = status_list_vectors()
    reqs = request_vectors()
    resps = response_vectors()
    acts = activation_vectors()
    # presentations.json first: the response vectors' generator checks read its request_bound.
    for name, vecs in (("presentations.json", pres), ("status-lists.json", lists), ("requests.json", reqs),
                       ("responses.json", resps), ("activations.json", acts)):
        doc = {"version": FILE_VERSION, "generator": "selftest.py", "spec": SPEC, "vectors": vecs}
        rc, lines, err = run_cli(doc, tmp, name)
        for ln in lines[:-1]:
            print("  checker:", ln)
        expect(f"cli {name} exit 0", rc == 0, f"rc={rc} stderr={err[-500:]}")
        expect(f"cli {name} summary", lines[-1:] == [f"check: {len(vecs)} passed, 0 failed"],
               f"last line {lines[-1:]}")

    # The checker must FAIL (never skip) vectors that are wrong or unknown.
    good = pvec("good", present([]))
    bad = []
    v = pvec("unknown_kind", present([]))
    v["kind"] = "batch"
    bad.append(v)
    v = pvec("presentation_as_activation", present([]))   # a known kind, the other kind's schema
    v["kind"] = "activation"
    bad.append(v)
    v = pvec("unknown_key", present([]))
    v["extra"] = 1
    bad.append(v)
    v = pvec("unknown_verifier_key", present([]))
    v["verifier"]["strict"] = True
    bad.append(v)
    bad.append(pvec("wrong_code", present([]) + b"\x00", "cbor_malformed"))
    bad.append(pvec("code_not_in_spec", present([]) + b"\x00", "trailing_garbage"))
    bad.append(pvec("valid_expected_but_invalid", present([]) + b"\x00"))
    bad.append(pvec("invalid_expected_but_valid", present([]), "nonce_mismatch"))
    v = pvec("wrong_claims", present([DISCL["pesel"]]), disclosed=["pesel"])
    v["expected"]["claims"]["pesel"] = "02070803628"
    bad.append(v)
    v = pvec("age_as_int", present([DISCL["age_over_16"]]), disclosed=["age_over_16"])
    v["expected"]["claims"]["age_over_16"] = 1
    bad.append(v)
    v = pvec("negative_outputs_not_embedded", present([], cred=issue(overrides={1: 1})[0]),
             "unsupported_version")
    v["outputs"]["credential"] = CRED.hex()  # not the credential the presentation carries
    bad.append(v)
    v = pvec("bad_outputs_digest", present(list(DISCL.values())), disclosed=list(CLAIMS))
    v["outputs"]["disclosures"][0]["digest"] = "00" * 32
    bad.append(v)
    v = pvec("uppercase_hex", present([]))
    v["presentation"] = v["presentation"].upper()
    bad.append(v)
    dup = pvec("good", present([]))  # duplicate name
    bad.append(dup)
    v = pvec("no_inputs", present([]))
    del v["inputs"]
    bad.append(v)
    v = pvec("no_outputs", present([]), "nonce_mismatch", verifier={"expected_nonce": None})
    del v["outputs"]
    bad.append(v)
    v = pvec("inputs_unknown_key", present([]))
    v["inputs"]["seed"] = "00"
    bad.append(v)
    v = pvec("verifier_key_missing", present([]))
    del v["verifier"]["max_age"]
    bad.append(v)
    v = pvec("expected_valid_without_audience", present([]))
    del v["expected"]["audience"]
    bad.append(v)
    v = pvec("expected_wrong_nonce", present([]))
    v["expected"]["nonce"] = None
    bad.append(v)
    sel = ["portrait", "family_name"]
    v = pvec("claims_out_of_disclosure_order", present([DISCL[n] for n in sel]), disclosed=sel)
    v["expected"]["claims"] = {n: v["expected"]["claims"][n] for n in reversed(sel)}
    bad.append(v)
    v = pvec("trust_list_not_inputs_trust", present([]), "unknown_key_id", trust=[(OTHER, 0, 2**40)])
    v["inputs"]["trust"][0]["not_after"] += 1
    bad.append(v)
    v = pvec("issuer_scalar_not_derived", present([]), "nonce_mismatch", verifier={"expected_nonce": None})
    v["inputs"]["issuer_keys"][0]["name"] = "someone else"
    bad.append(v)
    v = pvec("v1_status_index_in_expected", present([]))
    v["expected"]["status"] = {"uri": STATUS_URI, "index": STATUS_IDX}
    bad.append(v)
    v = pvec("v1_status_index_in_inputs", present([]))
    v["inputs"]["status"] = {"uri": STATUS_URI, "index": STATUS_IDX}
    bad.append(v)
    # Status list vectors: schema, verdict and expected outputs.
    tok = sl_token()
    v = slvec("sl_old_kind_status", tok)
    v["kind"] = "status"
    bad.append(v)
    v = slvec("sl_expected_without_entries", tok)
    del v["expected"]["entries"]
    bad.append(v)
    v = slvec("sl_expected_extra_key", tok)
    v["expected"]["reason"] = None
    bad.append(v)
    v = slvec("sl_expected_wrong_value", tok, index=7)
    v["expected"]["value"] = 0
    bad.append(v)
    v = slvec("sl_expected_status_revoked", tok, index=7)
    v["expected"]["status"] = "revoked"      # the v1 name; v2 says "invalid"
    bad.append(v)
    v = slvec("sl_expected_value_as_bool", tok, index=7)
    v["expected"]["value"] = True
    bad.append(v)
    v = slvec("sl_expected_wrong_entries", tok)
    v["expected"]["entries"] = SL_ENTRIES // 8
    bad.append(v)
    v = slvec("sl_expected_wrong_kid", tok)
    v["expected"]["issuer_kid"] = OTHER.kid.hex()
    bad.append(v)
    v = slvec("sl_verifier_without_index", tok)
    del v["verifier"]["index"]
    bad.append(v)
    v = slvec("sl_verifier_old_max_input_size", tok)
    v["verifier"]["max_input_size"] = 65536
    bad.append(v)
    v = slvec("sl_verifier_negative_index", tok, "status_index_out_of_range")
    v["verifier"]["index"] = -1
    bad.append(v)
    v = slvec("sl_inputs_list_extra_key", tok, "status_list_expired", verifier={"now": SL_EXP + 61})
    v["inputs"]["list"]["aggregation_uri"] = None
    bad.append(v)
    v = slvec("sl_inputs_without_ttl", tok, "status_list_expired", verifier={"now": SL_EXP + 61})
    del v["inputs"]["ttl"]
    bad.append(v)
    v = slvec("sl_status_response_key", tok)
    v["status_response"] = v.pop("token")
    bad.append(v)
    bad.append(slvec("sl_wrong_code", sl_token(lst=BOMB), "status_list_malformed"))
    bad.append(slvec("sl_removed_code", sl_token(), "status_stale", verifier={"now": SL_IAT + SL_TTL + 61}))
    bad.append(slvec("sl_valid_expected_but_out_of_range", tok, index=SL_ENTRIES))
    v = slvec("sl_trust_list_not_inputs_trust", tok)
    v["inputs"]["trust"][0]["not_before"] += 1
    bad.append(v)
    # v3 presentation fields: present in every presentation vector, hex or null.
    v = pvec("no_expected_request_digest", present([]))
    del v["verifier"]["expected_request_digest"]
    bad.append(v)
    v = pvec("no_inputs_request_digest", present([]))
    del v["inputs"]["request_digest"]
    bad.append(v)
    v = pvec("no_expected_result_request_digest", present([]))
    del v["expected"]["request_digest"]
    bad.append(v)
    v = pvec("expected_request_digest_wrong", present([], request_digest=REQUEST_DIGEST),
             verifier={"expected_request_digest": REQUEST_DIGEST.hex()})
    v["expected"]["request_digest"] = None
    bad.append(v)
    v = pvec("expected_request_digest_uppercase", present([]), "request_mismatch")
    v["verifier"]["expected_request_digest"] = REQUEST_DIGEST.hex().upper()
    bad.append(v)
    bad.append(pvec("digest_mismatch_expected_valid", present([], request_digest=OTHER_REQUEST_DIGEST),
                    verifier={"expected_request_digest": REQUEST_DIGEST.hex()}))
    # Request vectors: schema, verdict and expected outputs.
    v = rvec("rq_unknown_top_key", REQUEST)
    v["verifier"] = {}
    bad.append(v)
    v = rvec("rq_no_authority_list", REQUEST)
    del v["authority_list"]
    bad.append(v)
    v = rvec("rq_holder_accepted_algs", REQUEST)
    v["holder"]["accepted_algs"] = [-7]
    bad.append(v)
    v = rvec("rq_holder_without_skew", REQUEST)
    del v["holder"]["clock_skew"]
    bad.append(v)
    v = rvec("rq_inputs_extra_key", REQUEST)
    v["inputs"]["verifier"] = "verifier kino"
    bad.append(v)
    v = rvec("rq_inputs_certificate_without_exp", REQUEST, "certificate_expired", holder={"now": 2**40})
    del v["inputs"]["certificate"]["exp"]
    bad.append(v)
    v = rvec("rq_inputs_request_extra_key", REQUEST)
    v["inputs"]["request"]["version"] = 1
    bad.append(v)
    v = rvec("rq_inputs_without_request", make_unsigned(), signed=False)
    del v["inputs"]["request"]
    bad.append(v)
    v = rvec("rq_expected_without_allowed_claims", REQUEST)
    del v["expected"]["allowed_claims"]
    bad.append(v)
    v = rvec("rq_expected_extra_key", REQUEST)
    v["expected"]["verified"] = True
    bad.append(v)
    v = rvec("rq_expected_wrong_digest", REQUEST)
    v["expected"]["request_digest"] = OTHER_REQUEST_DIGEST.hex()
    bad.append(v)
    v = rvec("rq_expected_claims_reordered", REQUEST)
    v["expected"]["claims"] = v["expected"]["claims"][::-1]
    bad.append(v)
    v = rvec("rq_expected_allowed_claims_as_requested", REQUEST)
    v["expected"]["allowed_claims"] = v["expected"]["claims"]
    bad.append(v)
    v = rvec("rq_expected_wrong_kid", REQUEST)
    v["expected"]["authority_kid"] = AUTH_B.kid.hex()
    bad.append(v)
    v = rvec("rq_expected_created_at_text", REQUEST)
    v["expected"]["created_at"] = str(v["expected"]["created_at"])
    bad.append(v)
    bad.append(rvec("rq_unsigned_with_certificate_fields", make_unsigned()))   # signed=True expected
    bad.append(rvec("rq_signed_with_null_fields", REQUEST, signed=False))
    v = rvec("rq_unsigned_allowed_claims_empty", make_unsigned(), signed=False)
    v["expected"]["allowed_claims"] = []
    bad.append(v)
    bad.append(rvec("rq_valid_expected_but_claim_not_allowed", make_request(r={"claims": ["pesel"]}),
                    r={"claims": ["pesel"]}))
    bad.append(rvec("rq_invalid_expected_but_valid", REQUEST, "claim_not_allowed"))
    bad.append(rvec("rq_wrong_code", make_request(signer=VOTHER), "device_signature_invalid"))
    bad.append(rvec("rq_code_not_in_spec", make_request(signer=VOTHER), "verifier_signature_invalid"))
    bad.append(rvec("rq_request_mismatch_is_no_holder_code", make_request(r={"audience": "https://x.example/"}),
                    "request_mismatch"))
    v = rvec("rq_kind_signed_request", REQUEST)
    v["kind"] = "signed_request"
    bad.append(v)
    v = rvec("rq_request_uppercase_hex", REQUEST)
    v["request"] = v["request"].upper()
    bad.append(v)
    # v4 request fields: present in every request vector, hex or null.
    v = rvec("rq_holder_without_engagement_key_digest", REQUEST)
    del v["holder"]["engagement_key_digest"]
    bad.append(v)
    v = rvec("rq_engagement_key_digest_15_bytes", make_unsigned(extra=ONLINE), signed=False, rk=RK, kd=RK_DIGEST)
    v["holder"]["engagement_key_digest"] = RK_DIGEST[:15].hex()
    bad.append(v)
    v = rvec("rq_engagement_key_digest_full_sha256", make_unsigned(extra=ONLINE), signed=False, rk=RK)
    v["holder"]["engagement_key_digest"] = hashlib.sha256(b"\x04" + RK.x + RK.y).hexdigest()
    bad.append(v)
    v = rvec("rq_engagement_key_digest_uppercase", make_unsigned(extra=ONLINE), signed=False, rk=RK, kd=RK_DIGEST)
    v["holder"]["engagement_key_digest"] = RK_DIGEST.hex().upper()
    bad.append(v)
    v = rvec("rq_inputs_request_without_response_key_scalar", REQUEST)
    del v["inputs"]["request"]["response_key_scalar"]
    bad.append(v)
    v = rvec("rq_response_key_scalar_zero", REQUEST, "certificate_expired", holder={"now": 2**40})
    v["inputs"]["request"]["response_key_scalar"] = "00" * 32
    bad.append(v)
    v = rvec("rq_expected_without_response_key_x", make_request(extra=ONLINE), rk=RK)
    del v["expected"]["response_key_x"]
    bad.append(v)
    v = rvec("rq_expected_response_key_of_another_key", make_request(extra=ONLINE), rk=RK)
    v["expected"]["response_key_x"] = RK_OTHER.x.hex()
    bad.append(v)
    bad.append(rvec("rq_expected_response_key_for_offline_request", REQUEST, rk=RK))  # no key 8 in REQUEST
    v = rvec("rq_expected_no_response_key_for_online_request", make_unsigned(extra=ONLINE), signed=False, rk=RK)
    v["expected"]["response_key_y"] = None
    bad.append(v)
    bad.append(rvec("rq_e2_expected_valid", make_unsigned(extra={8: RK_OTHER.cose_key()}), signed=False,
                    rk=RK_OTHER, kd=RK_DIGEST))
    bad.append(rvec("rq_e1_expected_valid", REQUEST, kd=RK_DIGEST))
    bad.append(rvec("rq_e1_expected_as_e2", REQUEST, "response_key_mismatch", kd=RK_DIGEST))
    bad.append(rvec("rq_response_key_off_curve_expected_valid",
                    make_unsigned(extra={8: {**RK.cose_key(), -3: RK.x}}),
                    signed=False))
    bad.append(rvec("rq_a3b_expected_as_device_key", make_request(extra={8: {**RK.cose_key(), 1: 1}}),
                    "invalid_device_key"))
    # Response vectors (v4): schema, verdict and the expected plaintext.
    good_resp = response()
    v = rsvec("rs_kind_encrypted_response", good_resp)
    v["kind"] = "encrypted_response"
    bad.append(v)
    v = rsvec("rs_unknown_top_key", good_resp)
    v["trust_list"] = ""
    bad.append(v)
    v = rsvec("rs_no_response", good_resp)
    del v["response"]
    bad.append(v)
    v = rsvec("rs_verifier_without_max_input_size", good_resp)
    del v["verifier"]["max_input_size"]
    bad.append(v)
    v = rsvec("rs_verifier_extra_now", good_resp)
    v["verifier"]["now"] = NOW
    bad.append(v)
    v = rsvec("rs_inputs_without_sender_ikm", good_resp)
    del v["inputs"]["sender_ikm"]
    bad.append(v)
    v = rsvec("rs_inputs_extra_key", good_resp)
    v["inputs"]["enc"] = "00"
    bad.append(v)
    v = rsvec("rs_expected_without_plaintext", good_resp)
    del v["expected"]["plaintext"]
    bad.append(v)
    v = rsvec("rs_expected_extra_key", good_resp)
    v["expected"]["presentation"] = None
    bad.append(v)
    v = rsvec("rs_expected_wrong_plaintext", good_resp)
    v["expected"]["plaintext"] = REQUEST_BOUND[:-1].hex()
    bad.append(v)
    v = rsvec("rs_session_id_15_bytes", good_resp, "response_undecryptable")
    v["verifier"]["session_id"] = SESSION_ID[:15].hex()
    bad.append(v)
    v = rsvec("rs_request_digest_31_bytes", good_resp, "response_undecryptable")
    v["verifier"]["request_digest"] = RESP_DIGEST[:31].hex()
    bad.append(v)
    v = rsvec("rs_scalar_zero", good_resp, "response_undecryptable")
    v["verifier"]["response_key_scalar"] = "00" * 32
    bad.append(v)
    v = rsvec("rs_scalar_n", good_resp, "response_undecryptable")
    v["verifier"]["response_key_scalar"] = N.to_bytes(32, "big").hex()
    bad.append(v)
    v = rsvec("rs_scalar_31_bytes", good_resp, "response_undecryptable")
    v["verifier"]["response_key_scalar"] = RK.d.to_bytes(32, "big")[1:].hex()
    bad.append(v)
    v = rsvec("rs_max_input_size_negative", good_resp, "input_too_large")
    v["verifier"]["max_input_size"] = -1
    bad.append(v)
    v = rsvec("rs_relay_origin_not_text", good_resp)
    v["verifier"]["relay_origin"] = None
    bad.append(v)
    v = rsvec("rs_inputs_session_id_not_hex", good_resp, "response_undecryptable")
    v["inputs"]["session_id"] = "not hex"
    bad.append(v)
    v = rsvec("rs_response_uppercase_hex", good_resp)
    v["response"] = v["response"].upper()
    bad.append(v)
    bad.append(rsvec("rs_valid_expected_but_other_key", good_resp,
                     ver={"response_key_scalar": RK_OTHER.d.to_bytes(32, "big").hex()}))
    bad.append(rsvec("rs_invalid_expected_but_valid", good_resp, "response_undecryptable"))
    bad.append(rsvec("rs_wrong_code", good_resp + b"\x00", "cose_malformed"))
    bad.append(rsvec("rs_o3_expected_as_o2", cbor([PROTECTED, {-4: bytes(65)}, b""]), "cose_malformed"))
    bad.append(rsvec("rs_code_not_in_spec", good_resp, "hpke_open_failed",
                     ver={"session_id": bytes(16).hex()}))
    bad += bad_activation_vectors()
    doc = {"version": FILE_VERSION, "generator": "selftest.py", "spec": SPEC, "vectors": [good] + bad}
    rc, lines, _ = run_cli(doc, tmp, "bad.json")
    expect("cli bad vectors exit 1", rc == 1, f"rc={rc}")
    expect("cli bad vectors summary", lines[-1:] == [f"check: 1 passed, {len(bad)} failed"],
           f"last line {lines[-1:]}")
    fail_lines = [ln for ln in lines if ln.startswith("FAIL ")]
    expect("cli one line per failing vector", len(fail_lines) == len(bad), "\n".join(lines))

    # Generator cross-checks (valid vectors, "inputs"): a wrong salt_secret or iat is caught,
    # and --no-generator-checks turns exactly those checks off.
    v1 = pvec("wrong_salt_secret", present(list(DISCL.values())), disclosed=list(CLAIMS))
    v1["inputs"]["salt_secret"] = "00" * 32
    v2 = pvec("wrong_inputs_iat", present([]))
    v2["inputs"]["iat"] = IAT + 1
    v3 = pvec("random_k_device_signature", present([], random_k=True))
    # ... and in status list vectors: the array, the times, the signature.
    tok = sl_token()
    g = []
    v = slvec("sl_inputs_set_differs", tok)
    v["inputs"]["list"]["set"].append([STATUS_IDX, 1])
    g.append(v)
    v = slvec("sl_inputs_set_entry_missing", tok)
    v["inputs"]["list"]["set"] = v["inputs"]["list"]["set"][1:]
    g.append(v)
    v = slvec("sl_inputs_entries_differ", tok)
    v["inputs"]["list"]["entries"] = 2 * SL_ENTRIES
    g.append(v)
    v = slvec("sl_inputs_bits_differ", sl_token(bits=2, pairs=[]), bits=2, pairs=[])
    v["inputs"]["list"].update({"bits": 1, "entries": 2 * SL_ENTRIES})   # same bytes, other width
    g.append(v)
    v = slvec("sl_inputs_set_index_twice", tok)
    v["inputs"]["list"]["set"].append([7, 1])
    g.append(v)
    for name, value in (("sub", SL_URI + "x"), ("iat", SL_IAT + 1), ("exp", SL_EXP + 1), ("ttl", SL_TTL - 1)):
        v = slvec(f"sl_inputs_{name}_differs", tok)
        v["inputs"][name] = value
        g.append(v)
    g.append(slvec("sl_random_k_signature", sl_token(random_k=True)))
    v = slvec("sl_issuer_scalar_not_derived", tok, "status_list_stale", verifier={"now": SL_IAT + SL_TTL + 61})
    v["inputs"]["issuer_keys"][0]["private_scalar"] = OTHER.key_json()["private_scalar"]
    g.append(v)
    # ... in presentation vectors answering a signed request: inputs.request_digest.
    v = pvec("inputs_request_digest_differs", present([], request_digest=REQUEST_DIGEST),
             verifier={"expected_request_digest": REQUEST_DIGEST.hex()})
    v["inputs"]["request_digest"] = OTHER_REQUEST_DIGEST.hex()
    g.append(v)
    v = pvec("inputs_request_digest_missing_value", present([], request_digest=REQUEST_DIGEST),
             verifier={"expected_request_digest": REQUEST_DIGEST.hex()}, request_digest=None)
    g.append(v)
    # ... and in request vectors: keys, the authority list, inputs, both signatures.
    g.append(rvec("rq_random_k_request_signature", make_request(random_k=True)))
    g.append(rvec("rq_random_k_certificate_signature", make_request(cert=make_cert(random_k=True))))
    for part, name, value in (("certificate", "name", "Kino"), ("certificate", "claims", ["portrait"]),
                              ("certificate", "nbf", CERT_IAT + 1), ("certificate", "exp", CERT_IAT + 1),
                              ("certificate", "iat", CERT_IAT - 1), ("certificate", "audience", "x"),
                              ("request", "nonce", bytes(16).hex()), ("request", "claims", ["age_over_18"]),
                              ("request", "created_at", 0), ("request", "verifier_name", "Kino"),
                              ("request", "audience", "x")):
        v = rvec(f"rq_inputs_{part}_{name}_differs", REQUEST)
        v["inputs"][part][name] = value
        g.append(v)
    v = rvec("rq_unsigned_inputs_request_claims_differ", make_unsigned(), signed=False)
    v["inputs"]["request"]["claims"] = ["pesel"]
    g.append(v)
    v = rvec("rq_authority_list_not_inputs", REQUEST)
    v["inputs"]["authority_trust"][0]["not_after"] += 1
    g.append(v)
    v = rvec("rq_authority_scalar_not_derived", REQUEST, "certificate_expired", holder={"now": 2**40})
    v["inputs"]["authority_keys"][0]["name"] = "authority Z"
    g.append(v)
    v = rvec("rq_authority_kid_not_derived", REQUEST, "certificate_expired", holder={"now": 2**40})
    v["inputs"]["authority_keys"][0]["kid"] = AUTH_B.kid.hex()
    g.append(v)
    g.append(rvec("rq_verifier_scalar_not_named", REQUEST, "certificate_expired", holder={"now": 2**40},
                  vkey=Key("verifier cinema")))
    v = rvec("rq_verifier_scalar_other_key", REQUEST)     # valid, certifies kino; inputs name other
    v["inputs"]["verifier_private_scalar"] = VOTHER.d.to_bytes(32, "big").hex()
    g.append(v)
    g.append(rvec("rq_certificate_signer_not_in_inputs", REQUEST, auth_keys=[AUTH_B]))
    # ... v4 request vectors: inputs.request.response_key_scalar is key 8's.
    v = rvec("rq_response_key_scalar_null_for_key_8", make_unsigned(extra=ONLINE), signed=False, rk=RK)
    v["inputs"]["request"]["response_key_scalar"] = None
    g.append(v)
    v = rvec("rq_response_key_scalar_of_another_key", make_request(extra=ONLINE), rk=RK)
    v["inputs"]["request"]["response_key_scalar"] = RK_OTHER.d.to_bytes(32, "big").hex()
    g.append(v)
    unnamed = Key("response key 2")
    g.append(rvec("rq_response_key_scalar_not_named", make_unsigned(extra={8: unnamed.cose_key()}), signed=False,
                  rk=unnamed))
    v = rvec("rq_response_key_scalar_without_key_8", REQUEST)
    v["inputs"]["request"]["response_key_scalar"] = RK.d.to_bytes(32, "big").hex()
    g.append(v)
    # ... and response vectors: the sealing, inputs = verifier, the plaintext, the named key.
    ikm2 = hashlib.sha256(b"selftest sender ikm 2").digest()
    g.append(rsvec("rs_ephemeral_not_derived_from_sender_ikm", response(ikm=ikm2)))
    v = rsvec("rs_inputs_session_differs", response())
    v["inputs"]["session_id"] = bytes(16).hex()
    g.append(v)
    v = rsvec("rs_inputs_origin_differs", response())
    v["inputs"]["relay_origin"] = "https://other.example"
    g.append(v)
    other_pres = present([DISCL["age_over_13"]])
    g.append(rsvec("rs_plaintext_not_request_bound", response(pt=other_pres), inp={"plaintext": other_pres.hex()}))
    v = rsvec("rs_inputs_plaintext_differs", response())
    v["inputs"]["plaintext"] = other_pres.hex()
    v["expected"]["plaintext"] = REQUEST_BOUND.hex()
    g.append(v)
    g.append(rsvec("rs_response_key_not_named", response(rk=RK_OTHER),
                   inp={"response_key_scalar": RK_OTHER.d.to_bytes(32, "big").hex()}))
    v = rsvec("rs_negative_response_key_not_named", response(), "response_undecryptable",
              ver={"response_key_scalar": RK_OTHER.d.to_bytes(32, "big").hex()})
    v["inputs"]["response_key_scalar"] = Key("response key 2").d.to_bytes(32, "big").hex()
    g.append(v)
    v = rsvec("rs_negative_other_key_not_named", response(), "response_undecryptable",
              ver={"response_key_scalar": Key("response key 2").d.to_bytes(32, "big").hex()})
    g.append(v)
    # a sealing with a random ephemeral key (not the one DeriveKeyPair gives): opens, not reproducible
    enc_rand, ct_rand = chk.hpke_seal_base(b"\x04" + RK.x + RK.y, cbor(["mlegit online response", RELAY_ORIGIN,
                                                                       SESSION_ID, RESP_DIGEST]),
                                           cbor(["Encrypt0", PROTECTED, b""]), REQUEST_BOUND,
                                           chk.derive_key_pair(os.urandom(32)))
    g.append(rsvec("rs_random_ephemeral_key", cbor([PROTECTED, {-4: enc_rand}, ct_rand])))
    g += generator_activation_vectors()
    vecs = [v1, v2, v3] + g
    doc = {"version": FILE_VERSION, "generator": "selftest.py", "spec": SPEC, "vectors": vecs}
    rc, lines, _ = run_cli(doc, tmp, "gen.json")
    expect("cli generator checks catch bad inputs",
           rc == 1 and lines[-1:] == [f"check: 0 passed, {len(vecs)} failed"], f"rc={rc} {lines}")
    rc, lines, _ = run_cli(doc, tmp, "gen.json", "--no-generator-checks")
    expect("cli --no-generator-checks",
           rc == 0 and lines[-1:] == [f"check: {len(vecs)} passed, 0 failed"], f"rc={rc} {lines}")
    # A valid response's plaintext is checked against the presentation request_bound of the
    # presentations.json beside the file: without one, the generator check fails (never skips).
    alone = os.path.join(tmp, "alone")
    os.makedirs(alone, exist_ok=True)
    doc = {"version": FILE_VERSION, "generator": "selftest.py", "spec": SPEC,
           "vectors": [rsvec("valid", response()), rsvec("o3", response(), "response_undecryptable",
                                                          ver={"session_id": bytes(16).hex()})]}
    rc, lines, _ = run_cli(doc, alone, "responses.json")
    expect("cli response without a presentations.json beside it: the valid vector fails",
           rc == 1 and lines[-1:] == ["check: 1 passed, 1 failed"] and "request_bound" in lines[0],
           f"rc={rc} {lines}")
    rc, lines, _ = run_cli(doc, alone, "responses.json", "--no-generator-checks")
    expect("cli response without a presentations.json beside it, --no-generator-checks",
           rc == 0 and lines[-1:] == ["check: 2 passed, 0 failed"], f"rc={rc} {lines}")
    rc, lines, _ = run_cli({"version": FILE_VERSION, "generator": "x", "spec": SPEC, "vectors": []}, tmp,
                           "empty.json")
    expect("cli no vectors -> exit 1", rc == 1 and lines[-1:] == ["check: 0 passed, 0 failed"],
           f"rc={rc} {lines[-1:]}")
    rc, lines, _ = run_cli({"version": FILE_VERSION, "generator": "x", "spec": SPEC, "vectors": [good], "x": 0},
                           tmp,
                           "topkey.json")
    expect("cli unknown top-level key -> failure", rc == 1 and lines[-1:] == ["check: 0 passed, 1 failed"],
           f"rc={rc} {lines[-1:]}")
    rc, lines, _ = run_cli({"version": FILE_VERSION, "generator": "x", "vectors": [good]}, tmp, "nospec.json")
    expect("cli missing top-level spec -> failure", rc == 1 and lines[-1:] == ["check: 0 passed, 1 failed"],
           f"rc={rc} {lines[-1:]}")
    for label, version, spec in (("spec version 1", 5, "spec/mlegit.md, version 1"),
                                 ("spec version 2", 5, "spec/mlegit.md, version 2"),
                                 ("spec version 3", 5, "spec/mlegit.md, version 3"),
                                 ("spec version 4", 5, "spec/mlegit.md, version 4"),
                                 ("spec version 6", 5, "spec/mlegit.md, version 6"),
                                 ("spec and file version 4", 4, "spec/mlegit.md, version 4"),
                                 ("spec and file version 6", 6, "spec/mlegit.md, version 6"),
                                 ("spec and file version 3", 3, "spec/mlegit.md, version 3"),
                                 ("file version 6", 6, SPEC),
                                 ("file version 4", 4, SPEC),
                                 ("file version 3", 3, SPEC),
                                 ("file version 2", 2, SPEC),
                                 ("file version 1", 1, SPEC),
                                 ("file version \"5\"", "5", SPEC),
                                 ("file version 5.0", 5.0, SPEC)):
        rc, lines, _ = run_cli({"version": version, "generator": "x", "spec": spec, "vectors": [good]}, tmp,
                               "other.json")
        expect(f"cli {label} -> failure", rc == 1 and lines[-1:] == ["check: 0 passed, 1 failed"],
               f"rc={rc} {lines[-1:]}")
    rc, lines, _ = run_cli({"version": 5, "generator": "x", "spec": "spec/mlegit.md, version 5",
                            "vectors": [good, avec("a", *act_batch([0]))]}, tmp, "v5.json")
    expect("cli version 5 and spec version 5 -> accepted", rc == 0 and lines[-1:] == ["check: 2 passed, 0 failed"],
           f"rc={rc} {lines[-1:]}")


def bad_activation_vectors() -> list[dict]:
    """Activation vectors the checker must fail: schema (v5, kind "activation"), outputs and
    verdicts (error, index, step, code)."""
    keys, proofs = act_batch([0, 1, 2])
    bad = []

    def mk(name, error=None, index=None, code=None, k=keys, p=proofs, **kw):
        return avec(f"act_{name}", k, p, error, index, code, **kw)

    # schema: every key required, nothing else allowed, at every level
    for where, key in (("", "extra"), ("inputs", "seed"), ("outputs", "sig_structure"), ("expected", "path")):
        v = mk(f"unknown_key_{where or 'top'}")
        (v[where] if where else v)[key] = None
        bad.append(v)
    for where, key in (("", "outputs"), ("", "description"), ("inputs", "device_scalars"), ("inputs", "challenge"),
                       ("outputs", "payload"), ("expected", "code"), ("expected", "index")):
        v = mk(f"missing_{where or 'top'}_{key}")
        del (v[where] if where else v)[key]
        bad.append(v)
    v = mk("trust_list_beside")
    v["trust_list"] = ""
    bad.append(v)
    v = mk("scalars_one_short")
    v["inputs"]["device_scalars"].pop()
    bad.append(v)
    v = mk("scalar_31_bytes")
    v["inputs"]["device_scalars"][0] = v["inputs"]["device_scalars"][0][2:]
    bad.append(v)
    v = mk("scalar_zero")
    v["inputs"]["device_scalars"][0] = "00" * 32
    bad.append(v)
    k0 = akey(0)
    for label, pt in (("compressed", bytes([2 + (k0.y[-1] & 1)]) + k0.x),
                      ("off_curve", k0.sec1[:-1] + bytes([k0.sec1[-1] ^ 1])),
                      ("x_y_only", k0.sec1[1:])):
        v = mk(f"device_key_{label}", "wrong_payload", 0)
        v["inputs"]["device_keys"][0] = pt.hex()
        bad.append(v)
    v = mk("device_keys_not_a_list")
    v["inputs"]["device_keys"] = keys[0].sec1.hex()
    bad.append(v)
    v = mk("proof_uppercase_hex")
    v["inputs"]["proofs"][0] = v["inputs"]["proofs"][0].upper()
    bad.append(v)
    v = mk("activation_id_bytes")
    v["inputs"]["activation_id"] = ACT_ID.encode().hex()   # hex where text is wanted: another payload
    bad.append(v)
    v = mk("challenge_not_hex")
    v["inputs"]["challenge"] = "zz"
    bad.append(v)
    v = mk("index_as_bool", "duplicate_key", True, k=[keys[0], keys[0]], p=proofs[:2])
    bad.append(v)
    v = mk("result_accepted")
    v["expected"]["result"] = "accepted"
    bad.append(v)
    v = mk("error_camel_case", "batch_size", p=proofs[:2])
    v["expected"]["error"] = "BatchSize"
    bad.append(v)
    v = mk("error_a_code_of_13", "batch_size", p=proofs[:2])
    v["expected"]["error"] = "input_too_large"
    bad.append(v)
    v = mk("step_b6", "bad_signature", 0, p=[proofs[1]] + proofs[1:])
    v["expected"]["step"] = "B6"
    bad.append(v)
    # outputs: what the issuer computes
    v = mk("outputs_digest_of_other_keys")
    v["outputs"]["keys_digest"] = hashlib.sha256(act_keys_bytes([k.sec1 for k in keys[:2]])).hexdigest()
    bad.append(v)
    v = mk("outputs_payload_other_challenge")
    v["outputs"]["payload"] = act_payload([k.sec1 for k in keys], ch=b"x").hex()
    bad.append(v)
    # expected: inconsistent with itself
    v = mk("valid_with_an_error")
    v["expected"]["error"] = "batch_size"
    bad.append(v)
    v = mk("valid_with_a_step")
    v["expected"]["step"] = "B5"
    bad.append(v)
    v = mk("invalid_without_error", "bad_signature", 1, p=[proofs[0], proofs[0], proofs[2]])
    v["expected"]["error"] = None
    bad.append(v)
    v = mk("batch_size_with_index", "batch_size", 0, p=proofs[:2])
    bad.append(v)
    v = mk("batch_size_at_b2", "batch_size", p=proofs[:2])
    v["expected"]["step"] = "B2"
    bad.append(v)
    v = mk("malformed_without_code", "malformed", 0, p=[b""] + proofs[1:])
    bad.append(v)
    v = mk("malformed_with_a_field_code", "malformed", 0, "unknown_field", p=[b""] + proofs[1:])
    bad.append(v)
    v = mk("bad_signature_with_code", "bad_signature", 0, "signature_malleable",
           p=[act_proof(keys[0], act_payload([k.sec1 for k in keys]), high_s=True)] + proofs[1:])
    bad.append(v)
    # verdicts
    bad.append(mk("valid_expected_but_b1", p=proofs[:2]))
    bad.append(mk("b1_expected_but_valid", "batch_size"))
    bad.append(mk("b2_expected_as_b1", "batch_size", k=[keys[0], keys[0]], p=proofs[:2]))
    bad.append(mk("wrong_index_b2", "duplicate_key", 1, k=[keys[0], keys[1], keys[0]], p=proofs))
    bad.append(mk("wrong_index_b5", "bad_signature", 0, p=[proofs[0], proofs[0], proofs[2]]))
    bad.append(mk("wrong_code_b3", "malformed", 1, "cose_unknown_header",
                  p=[proofs[0], act_proof(keys[1], act_payload([k.sec1 for k in keys]), header={1: -7}),
                     proofs[2]]))
    bad.append(mk("b4_expected_as_b5", "bad_signature", 0, k=keys[:2], p=proofs[:2]))
    bad.append(mk("b5_expected_as_b4", "wrong_payload", 1, p=[proofs[0], proofs[0], proofs[2]]))
    bad.append(mk("b3_expected_as_too_large", "too_large", 0, p=[bytes(4096)] + proofs[1:]))
    bad.append(mk("too_large_expected_as_malformed", "malformed", 0, "cbor_trailing_bytes",
                  p=[bytes(4097)] + proofs[1:]))
    bad.append(mk("high_s_expected_valid", p=proofs[:2] + [act_proof(keys[2], act_payload([k.sec1 for k in keys]),
                                                                      high_s=True)]))
    return bad


def generator_activation_vectors() -> list[dict]:
    """Activation vectors whose verdict is right but whose inputs are not what a generator that
    follows test-vectors/README.md makes: they fail, and pass with --no-generator-checks."""
    keys, proofs = act_batch([0, 1, 2])
    g = []
    v = avec("act_scalar_of_another_key", keys, proofs)
    v["inputs"]["device_scalars"][1] = akey(5).scalar_hex()
    g.append(v)
    v = avec("act_scalar_of_another_key_negative", keys, proofs[:2], "batch_size")
    v["inputs"]["device_scalars"][2] = akey(5).scalar_hex()
    g.append(v)
    stranger = ActKey(scalar=hashlib.sha256(b"not an activation key").digest())
    k2 = [keys[0], stranger]
    pl = act_payload([k.sec1 for k in k2])
    g.append(avec("act_scalar_not_derived", k2, [act_proof(k, pl) for k in k2]))
    v = avec("act_scalar_null_in_a_valid_vector", keys, proofs)
    v["inputs"]["device_scalars"][0] = None
    g.append(v)
    pl = act_payload([k.sec1 for k in keys])
    g.append(avec("act_random_k_proof", keys, [proofs[0], act_proof(keys[1], pl, random_k=True), proofs[2]]))
    return g


def main() -> int:
    # `selftest.py --keep DIR` leaves the generated JSON files in DIR for inspection.
    keep = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--keep" else None
    decoder_tests()
    claim_tests()
    signature_tests()
    trust_list_tests()
    registry_tests()
    status_claim_unit_tests()
    status_list_unit_tests()
    draft_example_tests()
    request_tests()
    p13c_tests()
    hpke_tests()
    response_tests()
    activation_tests()
    if keep:
        os.makedirs(keep, exist_ok=True)
        cli_tests(keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            cli_tests(tmp)
    passed = sum(1 for _, ok, _ in _results if ok)
    failed = len(_results) - passed
    print(f"selftest: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

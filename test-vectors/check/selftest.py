#!/usr/bin/env python3
"""Self-test of mlegit_check.py, usable before the Rust vectors exist.

It builds mlegit objects itself from spec/mlegit.md with `cryptography` (ES256 keys, HKDF
salts) and `cbor2` (canonical encoding, cross-checked against the checker's own encoder), writes
them in the vector-JSON schema of test-vectors/README.md to a temporary file, and runs the
checker's CLI on it; it also unit-tests the strict CBOR decoder (D1-D17), the COSE and field
steps, the trust list (T1-T7), the claim rules and the CLI's failure reporting.  Prints `selftest: N passed, M failed`; exits non-zero on any failure.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mlegit_check as chk  # noqa: E402

N = chk.P256_N
SPEC = chk.SPEC_ID
TYP_CRED, TYP_PRES, TYP_STATUS = chk.TYP_CREDENTIAL, chk.TYP_PRESENTATION, chk.TYP_STATUS

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
STATUS_URI = "https://issuer.example/status"
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


def issue(claims=None, extra: list[bytes] = (), overrides: dict | None = None,
          header: dict | None = None, key: Key = ISSUER, high_s: bool = False,
          digests=None):
    """Issue a credential (spec §5, §6); returns (credential bytes, {name: disclosure}, digests)."""
    claims = CLAIMS if claims is None else claims
    discl = {n: disclosure(n, v) for n, v in claims.items()}
    digs = [hashlib.sha256(d).digest() for d in list(discl.values()) + list(extra)]
    i = 0
    while len(digs) < 32:
        digs.append(hkdf(SECRET, CRED_ID, b"mlegit v1 decoy" + bytes([i]), 32))
        i += 1
    digs = sorted(digs) if digests is None else digests
    payload = {1: 1, 2: "mlegit.school-id.1", 3: ISSUER.kid, 4: CRED_ID, 5: IAT, 6: NBF, 7: EXP,
               8: DEVICE.cose_key(), 9: {1: STATUS_URI, 2: 42}, 10: -16, 11: digs}
    payload.update(overrides or {})
    hdr = header or {1: -7, 4: ISSUER.kid, 16: TYP_CRED}
    return sign1(key, hdr, cbor(payload), high_s=high_s), discl, digs


CRED, DISCL, DIGESTS = issue()


def present(disclosures: list[bytes], cred: bytes = CRED, presented_at: int = PRESENTED_AT,
            nonce=NONCE, audience=AUDIENCE, header=None, unprotected=None, payload=None,
            high_s=False, sig_hook=None, key: Key = DEVICE, random_k: bool = False) -> bytes:
    if payload is None:
        p = {1: 1, 2: cred, 3: disclosures, 4: presented_at}
        if nonce is not None:
            p[5] = nonce
        if audience is not None:
            p[6] = audience
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


def pvec(name: str, pres: bytes, error: str | None = None, disclosed=(), verifier=None,
         trust=TRUST_ENTRIES, presented_at: int = PRESENTED_AT, signer: Key = ISSUER) -> dict:
    """A presentation vector in the schema of test-vectors/README.md.  The inputs describe the
    reference scenario (exact for valid vectors); outputs.credential is the credential the
    presentation embeds, and outputs.digests its digest array, where they decode."""
    ver = {"now": NOW, "clock_skew": 60, "max_age": 300, "max_input_size": 65536,
           "accepted_algs": [-7], "expected_nonce": NONCE.hex(), "expected_audience": AUDIENCE}
    ver.update(verifier or {})
    vec = {"name": name, "description": f"selftest {name}", "kind": "presentation"}
    vec["inputs"] = {
        "issuer_keys": [signer.key_json()], "issuer": signer.name, "trust": trust_inputs(trust),
        "device_private_scalar": DEVICE.d.to_bytes(32, "big").hex(),
        "presenting_private_scalar": DEVICE.d.to_bytes(32, "big").hex(),
        "salt_secret": SECRET.hex(), "credential_id": CRED_ID.hex(),
        "claims": {k: claim_json(v) for k, v in CLAIMS.items()}, "iat": IAT, "nbf": NBF,
        "exp": EXP, "status": {"uri": STATUS_URI, "index": 42}, "presented_at": presented_at,
        "nonce": ver["expected_nonce"], "audience": ver["expected_audience"],
        "disclosed": list(disclosed)}
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
            "credential_id": CRED_ID.hex(), "status": {"uri": STATUS_URI, "index": 42},
            "issuer_kid": ISSUER.kid.hex(), "nonce": ver["expected_nonce"],
            "audience": ver["expected_audience"]}
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
                  present([], payload=cbor({1: 1, 2: CRED, 3: [], 4: PRESENTED_AT, 7: 0})), "unknown_field"))
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
    V.append(pvec("f4_status_uri_escape", present([], cred=issue(overrides={9: {1: "https://i.example/\x1b[0m", 2: 1}})[0]),
                  "invalid_field"))
    V.append(pvec("f4_status_uri_c1", present([], cred=issue(overrides={9: {1: "https://i.example/\x85", 2: 1}})[0]),
                  "invalid_field"))
    V.append(pvec("f4_status_extra_key", present([], cred=issue(overrides={9: {1: STATUS_URI, 2: 1, 3: 0}})[0]),
                  "invalid_field"))
    V.append(pvec("f4_status_uri_257_bytes", present([], cred=issue(overrides={9: {1: "h" * 257, 2: 1}})[0]),
                  "invalid_field"))
    # P3b before P3c; P3c after F5.
    V.append(pvec("p3b_before_p3c", present([], payload=pres_payload(k1=2, k3=[b"x"] * 33)),
                  "unsupported_version"))
    V.append(pvec("p3c_33_disclosures", present([], payload=pres_payload(k3=[b"x"] * 33)), "invalid_field"))
    V.append(pvec("p3c_disclosure_not_bstr", present([], payload=pres_payload(k3=[DISCL["pesel"], 1])),
                  "invalid_field"))
    V.append(pvec("f3_before_p3c", present([], payload=pres_payload(k3=[1], k7=0)), "unknown_field"))
    V.append(pvec("f5_before_p3c", present([], payload=pres_payload(k3=[1], k4=None)), "missing_field"))
    # K6: exactly four labels.
    extra_label = dict(DEVICE.cose_key())
    extra_label[3] = -7
    V.append(pvec("k6_device_key_alg", present([], cred=issue(overrides={8: extra_label})[0]),
                  "invalid_device_key"))
    return V


def strict_payload(cose: bytes) -> bytes:
    return cbor2.loads(cose)[2]


# ------------------------------------------------------------------------------------------
# Status responses (spec §9, §12.4)
# ------------------------------------------------------------------------------------------

CHECKED_AT = NOW - 100


def status_response(status=0, reason=None, nonce=NONCE, cache_for=3600, checked_at=CHECKED_AT,
                    header=None, high_s=False, cid=CRED_ID, extra=None, drop=()) -> bytes:
    p = {1: 1, 2: cid, 3: status, 5: checked_at, 7: cache_for}
    if reason is not None:
        p[4] = reason
    if nonce is not None:
        p[6] = nonce
    p.update(extra or {})
    for k in drop:
        del p[k]
    return sign1(ISSUER, header or {1: -7, 4: ISSUER.kid, 16: TYP_STATUS}, cbor(p), high_s=high_s)


def svec(name: str, resp: bytes, error: str | None = None, expected: dict | None = None,
         verifier=None) -> dict:
    ver = {"now": NOW, "clock_skew": 60, "max_input_size": 65536, "accepted_algs": [-7],
           "expected_credential_id": CRED_ID.hex(), "expected_credential_kid": ISSUER.kid.hex(),
           "expected_nonce": NONCE.hex()}
    ver.update(verifier or {})
    vec = {"name": name, "description": f"selftest {name}", "kind": "status",
           "inputs": {"issuer_keys": [ISSUER.key_json()], "trust": trust_inputs(TRUST_ENTRIES)},
           "trust_list": TRUST.hex(), "verifier": ver, "status_response": resp.hex()}
    if error:
        vec["expected"] = {"result": "invalid", "error": error}
    else:
        vec["expected"] = {"result": "valid", "credential_id": CRED_ID.hex(), "checked_at": CHECKED_AT,
                           "cache_for": 3600, "nonce": NONCE.hex(), "issuer_kid": ISSUER.kid.hex(),
                           **expected}
    return vec


def status_vectors() -> list[dict]:
    return [
        svec("status_valid", status_response(), expected={"status": "valid", "reason": None}),
        svec("status_revoked_superseded", status_response(1, 4),
             expected={"status": "revoked", "reason": "superseded"}),
        svec("status_stale", status_response(), "status_stale", verifier={"now": CHECKED_AT + 3600 + 61}),
        svec("status_fresh_at_edge", status_response(), expected={"status": "valid", "reason": None},
             verifier={"now": CHECKED_AT + 3600 + 60}),
        svec("status_from_future", status_response(checked_at=NOW + 61), "status_from_future"),
        svec("status_other_credential", status_response(cid=bytes(16)), "status_credential_mismatch"),
        svec("status_wrong_nonce", status_response(nonce=bytes(16)), "nonce_mismatch"),
        svec("status_revoked_without_reason", status_response(1), "invalid_field"),
        svec("status_reason_when_valid", status_response(0, 1), "invalid_field"),
        svec("status_code_4", status_response(4), "invalid_field"),
        svec("status_cache_for_too_long", status_response(cache_for=86401), "invalid_field"),
        svec("status_high_s", status_response(high_s=True), "signature_malleable"),
        svec("status_wrong_typ", status_response(header={1: -7, 4: ISSUER.kid, 16: TYP_PRES}), "wrong_context"),
        svec("status_kid_missing", status_response(header={1: -7, 16: TYP_STATUS}), "kid_missing"),
        svec("status_version_2", status_response(extra={1: 2}), "unsupported_version"),
        # Q1-Q2 run after the field loop (F3-F4) and after F5.
        svec("q1_after_f3", status_response(5, extra={8: 0}), "unknown_field"),
        svec("q1_after_f4", status_response(1, extra={4: "lost"}), "invalid_field"),
        svec("q1_revoked_reason_5", status_response(1, 5), "invalid_field"),
        svec("q2_after_f5", status_response(cache_for=86401, drop=(5,)), "missing_field"),
        svec("q2_cache_for_86400", status_response(cache_for=86400),
             expected={"status": "valid", "reason": None, "cache_for": 86400}),
        svec("f2_status_payload_text", sign1(ISSUER, {1: -7, 4: ISSUER.kid, 16: TYP_STATUS}, cbor("valid")),
             "cose_malformed"),
        svec("status_no_alg_accepted", status_response(), "alg_not_allowed", verifier={"accepted_algs": []}),
        svec("status_suspended", status_response(2), expected={"status": "suspended", "reason": None}),
        # S5: the response's kid must be the credential's kid; the key window plays no part.
        svec("s5_other_credential_kid", status_response(), "status_key_mismatch",
             verifier={"expected_credential_kid": "00" * 8}),
        svec("s4_before_s5", status_response(header={1: -7, 4: b"\x01" * 8, 16: TYP_STATUS}),
             "unknown_key_id", verifier={"expected_credential_kid": "01" * 8}),
    ]


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
    stat = status_vectors()
    for name, vecs in (("presentations.json", pres), ("status.json", stat)):
        doc = {"version": 1, "generator": "selftest.py", "spec": SPEC, "vectors": vecs}
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
    v = pvec("negative_outputs_not_embedded", present([], cred=issue(overrides={1: 2})[0]),
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
    sv = svec("status_expected_without_issuer_kid", status_response(), expected={"status": "valid", "reason": None})
    del sv["expected"]["issuer_kid"]
    bad.append(sv)
    doc = {"version": 1, "generator": "selftest.py", "spec": SPEC, "vectors": [good] + bad}
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
    doc = {"version": 1, "generator": "selftest.py", "spec": SPEC, "vectors": [v1, v2, v3]}
    rc, lines, _ = run_cli(doc, tmp, "gen.json")
    expect("cli generator checks catch bad inputs", rc == 1 and lines[-1:] == ["check: 0 passed, 3 failed"],
           f"rc={rc} {lines}")
    rc, lines, _ = run_cli(doc, tmp, "gen.json", "--no-generator-checks")
    expect("cli --no-generator-checks", rc == 0 and lines[-1:] == ["check: 3 passed, 0 failed"],
           f"rc={rc} {lines}")
    rc, lines, _ = run_cli({"version": 1, "generator": "x", "spec": SPEC, "vectors": []}, tmp, "empty.json")
    expect("cli no vectors -> exit 1", rc == 1 and lines[-1:] == ["check: 0 passed, 0 failed"],
           f"rc={rc} {lines[-1:]}")
    rc, lines, _ = run_cli({"version": 1, "generator": "x", "spec": SPEC, "vectors": [good], "x": 0}, tmp,
                           "topkey.json")
    expect("cli unknown top-level key -> failure", rc == 1 and lines[-1:] == ["check: 0 passed, 1 failed"],
           f"rc={rc} {lines[-1:]}")
    rc, lines, _ = run_cli({"version": 1, "generator": "x", "vectors": [good]}, tmp, "nospec.json")
    expect("cli missing top-level spec -> failure", rc == 1 and lines[-1:] == ["check: 0 passed, 1 failed"],
           f"rc={rc} {lines[-1:]}")
    rc, lines, _ = run_cli({"version": 1, "generator": "x", "spec": "spec/mlegit.md, version 2",
                            "vectors": [good]}, tmp, "spec2.json")
    expect("cli other spec version -> failure", rc == 1 and lines[-1:] == ["check: 0 passed, 1 failed"],
           f"rc={rc} {lines[-1:]}")


def main() -> int:
    # `selftest.py --keep DIR` leaves the generated JSON files in DIR for inspection.
    keep = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--keep" else None
    decoder_tests()
    claim_tests()
    signature_tests()
    trust_list_tests()
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

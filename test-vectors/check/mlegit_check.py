#!/usr/bin/env python3
"""mlegit_check: an independent second verifier for mlegit v5 test vectors.

Written from the normative specification spec/mlegit.md (cited as "spec §N.M" and by step
labels such as "P8", "D3") and its CDDL (spec/mlegit.cddl); for v4 (issue 14), from the
binding design of spec §18 (the online presentation), and for HPKE from RFC 9180; for v5
(issue 17), from spec §19 (batch issuance: the activation proofs, B1-B5).  It
shares no code with the Rust implementation and was written without reading it.  Where
this file and the Rust crate disagree, the specification decides.

Layout (each part cites the section it implements):
  * strict CBOR decoder (D1-D17) + deterministic encoder ..... spec §2
  * COSE_Sign1 decoding (C1-C7), headers (H1-H5), ES256 (V1-V3) spec §3
  * payload field decoding (F1-F5) .......................... spec §4
  * credential (K1-K6), disclosures (X1-X9), claims .......... spec §5, §6, §11
  * trust list (T1-T7), also the authority list ............. spec §10
  * request (R1-R5, R2b), verifier certificate and signed request
    (A1-A12, A3b) ........................................... spec §7
  * presentation (P1-P14, P13c) ............................. spec §8, §12.2
  * status list token (L1-L12, M1-M2), ZLIB inflate, lookup .. spec §9, §12.4
  * online presentation: engagement (E1-E2), HPKE base mode
    (RFC 9180), encrypted response (O1-O3) .................. spec §18
  * batch issuance: keys digest, activation payload, issuer
    checks of the proofs of possession (B1-B5) .............. spec §19
  * vector runner (CLI) ..................................... test-vectors/README.md

Every rejection raises MlegitError whose .code is an error code of the registry (spec §13);
a batch that fails B1-B5 raises ProofError, whose kinds are not codes of §13 (spec §19.3).

Usage: python mlegit_check.py [--no-generator-checks] FILE.json [FILE.json ...]
"""
from __future__ import annotations

import argparse
import collections.abc
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import zlib
from dataclasses import dataclass, field

import cbor2
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (Prehashed, decode_dss_signature,
                                                             encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


# --------------------------------------------------------------------------------------------
# Errors (spec §13)
# --------------------------------------------------------------------------------------------

class MlegitError(Exception):
    """A rejection with one of the error codes of the registry (spec §13)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code} ({detail})" if detail else code)
        self.code = code
        self.detail = detail


def at_step(step: str, fn, *args, **kwargs):
    """Run fn; if it rejects, prefix the detail with the step label (e.g. "P4 C7: ..."), so the
    reported path names the spec steps that decided.  The code is never changed."""
    try:
        return fn(*args, **kwargs)
    except MlegitError as exc:
        raise MlegitError(exc.code, f"{step} {exc.detail}".strip()) from None


class CheckerBug(Exception):
    """An internal consistency assertion failed (e.g. the cbor2 cross-check disagreed).
    This is never a verdict about the input; it means this checker itself is wrong."""


# Every error code of the registry, spec §13 (v4, unchanged in v5), in registry order.  A
# vector expecting any other code fails.
REGISTRY_CODES = tuple("""
    input_too_large
    cbor_malformed cbor_indefinite_length cbor_unsupported_type cbor_non_shortest
    cbor_depth_exceeded cbor_duplicate_key cbor_unsorted_keys cbor_trailing_bytes
    cose_malformed cose_unknown_header alg_not_protected alg_missing cose_unprotected_header
    wrong_context alg_not_allowed kid_missing
    unknown_field invalid_field missing_field
    unsupported_version wrong_doctype kid_mismatch unsupported_digest_alg digest_set_invalid
    invalid_device_key
    unknown_key_id issuer_key_not_valid signature_malleable
    issuer_signature_invalid device_signature_invalid
    invalid_validity_window credential_lifetime_too_long credential_not_yet_valid
    credential_expired
    presentation_from_future presentation_too_old presented_outside_validity
    nonce_mismatch audience_mismatch
    disclosure_malformed digest_mismatch duplicate_disclosure unknown_claim duplicate_claim
    invalid_claim_value
    status_list_uri_mismatch status_list_from_future status_list_expired status_list_stale
    status_list_malformed status_list_too_large status_index_out_of_range
    unknown_authority authority_key_not_valid certificate_signature_invalid
    certificate_not_yet_valid certificate_expired request_signature_invalid
    request_certificate_mismatch claim_not_allowed request_mismatch
    response_undecryptable response_key_mismatch
""".split())
ERROR_CODES = frozenset(REGISTRY_CODES)
assert len(REGISTRY_CODES) == len(ERROR_CODES) == 64  # spec §13 (v4): 62 of v3 and 2 new; v5 the same


# --------------------------------------------------------------------------------------------
# spec §2: deterministic strict CBOR
# --------------------------------------------------------------------------------------------
# Decoded value model (type-exact; bool is never accepted where an int is expected):
#   uint / nint -> int         bstr -> bytes       tstr -> str
#   array       -> list        map  -> CborMap     false/true -> bool     null -> None

class CborMap:
    """A decoded CBOR map.  Entries keep their encoded order; keys are identified by their
    encoded bytes, so that e.g. the keys 1 and true (distinct in CBOR, equal in Python) never
    collide."""

    __slots__ = ("entries", "_index")

    def __init__(self, pairs=()):
        self.entries: list[tuple[object, object, bytes]] = []  # (key, value, key encoding)
        self._index: dict[bytes, object] = {}
        for k, v in pairs:
            self._append(k, v, encode(k))

    def _append(self, key, value, key_bytes: bytes) -> None:
        self.entries.append((key, value, key_bytes))
        self._index[key_bytes] = value

    def __len__(self) -> int:
        return len(self.entries)

    def has(self, key) -> bool:
        return encode(key) in self._index

    def get(self, key, default=None):
        return self._index.get(encode(key), default)

    def __repr__(self) -> str:
        return "CborMap(%s)" % ", ".join(f"{k!r}: {v!r}" for k, v, _ in self.entries)


MAX_DEPTH = 8  # spec §2.3 D12


class _StrictDecoder:
    """spec §2.3: one left-to-right pass; the first failing check ends the decode."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.pos = 0

    def _fail(self, code: str, at: int, what: str):
        raise MlegitError(code, f"offset {at}: {what}")

    def _remaining(self) -> int:
        return len(self.data) - self.pos

    def _read_head(self):
        """D1-D8.  Returns (major, argument, start offset); for major type 7 the 'argument' is
        the initial byte itself (only f4, f5, f6 get this far).  D2-D6 classify the item from
        the initial byte alone, before any argument byte is read (spec §2.3 notes)."""
        start = self.pos
        # D1
        if self.pos >= len(self.data):
            self._fail("cbor_malformed", start, "D1: no byte remains")
        ib = self.data[self.pos]
        self.pos += 1
        major, ai = ib >> 5, ib & 0x1F
        # D2: reserved additional info, any major type
        if 28 <= ai <= 30:
            self._fail("cbor_malformed", start, f"D2: reserved additional info {ai}")
        # D3: any tag, 0xc0..=0xdb and 0xdf (D3 comes before D6)
        if major == 6:
            self._fail("cbor_unsupported_type", start, f"D3: tag (initial byte {ib:#04x})")
        # D4: major type 7
        if major == 7:
            if ib in (0xF4, 0xF5, 0xF6):
                return 7, ib, start
            if ib == 0xFF:
                self._fail("cbor_malformed", start, "D4: break byte")
            self._fail("cbor_unsupported_type", start, f"D4: major type 7 item {ib:#04x}")
        if ai == 31:
            # D5
            if major in (2, 3, 4, 5):
                self._fail("cbor_indefinite_length", start, f"D5: indefinite length, major type {major}")
            # D6
            self._fail("cbor_malformed", start, f"D6: additional info 31 in major type {major}")
        if ai < 24:
            return major, ai, start
        # D7
        n = 1 << (ai - 24)  # 1, 2, 4 or 8 argument bytes
        if self._remaining() < n:
            self._fail("cbor_malformed", start, "D7: truncated argument")
        arg = int.from_bytes(self.data[self.pos:self.pos + n], "big")
        self.pos += n
        # D8: shortest form: <24 inline; <2^8 one byte; <2^16 two; <2^32 four.
        smallest = 24 if n == 1 else 1 << (4 * n)
        if arg < smallest:
            self._fail("cbor_non_shortest", start, f"D8: argument {arg} in {n} bytes")
        return major, arg, start

    def item(self, level: int):
        major, arg, start = self._read_head()
        # D9
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major in (2, 3):
            # D10
            if arg > self._remaining():
                self._fail("cbor_malformed", start, f"D10: string length {arg} exceeds input")
            raw = self.data[self.pos:self.pos + arg]
            self.pos += arg
            if major == 2:
                return raw
            # D11: Python's strict UTF-8 codec rejects overlong forms, surrogates and code
            # points above U+10FFFF (RFC 3629).
            try:
                return raw.decode("utf-8", errors="strict")
            except UnicodeDecodeError:
                self._fail("cbor_malformed", start, "D11: text string is not valid UTF-8")
        if major == 7:
            return {0xF4: False, 0xF5: True, 0xF6: None}[arg]
        # D12: arrays and maps deeper than level 8 (after D7-D8 on the head)
        if level > MAX_DEPTH:
            self._fail("cbor_depth_exceeded", start, f"D12: container at level {level}")
        if major == 4:
            # D13
            if arg > self._remaining():
                self._fail("cbor_malformed", start, f"D13: array count {arg} cannot fit")
            # D14
            return [self.item(level + 1) for _ in range(arg)]
        # major == 5; D13: arg > floor(remaining / 2)
        if arg > self._remaining() // 2:
            self._fail("cbor_malformed", start, f"D13: map count {arg} cannot fit")
        result = CborMap()
        previous = None
        for _ in range(arg):
            key_start = self.pos
            key = self.item(level + 1)
            key_bytes = self.data[key_start:self.pos]
            if previous is not None:
                # D15
                if key_bytes == previous:
                    self._fail("cbor_duplicate_key", key_start, f"D15: duplicate key {key_bytes.hex()}")
                # D16
                if key_bytes < previous:
                    self._fail("cbor_unsorted_keys", key_start,
                               f"D16: key {key_bytes.hex()} after {previous.hex()}")
            previous = key_bytes
            # D17
            value = self.item(level + 1)
            result._append(key, value, key_bytes)
        return result


CROSS_CHECK = True  # cross-check every accepted input against cbor2 and our own encoder


def strict_decode(data: bytes):
    """Decode(s) of spec §2.3; raises MlegitError(cbor_*)."""
    decoder = _StrictDecoder(data)
    value = decoder.item(1)
    if decoder.pos != len(decoder.data):
        raise MlegitError("cbor_trailing_bytes",
                          f"offset {decoder.pos}: Decode: {len(decoder.data) - decoder.pos} byte(s) after the item")
    if CROSS_CHECK:
        _cross_check(bytes(data), value)
    return value


def _cross_check(data: bytes, value) -> None:
    """Whatever the strict decoder accepts must (a) re-encode to the same bytes with our
    deterministic encoder (spec §2.4: exactly one encoding per value) and (b) decode to the
    same value with cbor2."""
    if encode(value) != data:
        raise CheckerBug(f"re-encoding differs for {data.hex()}")
    try:
        other = cbor2.loads(data)
    except Exception as exc:  # noqa: BLE001 - any cbor2 failure is a disagreement
        raise CheckerBug(f"cbor2 rejects what the strict decoder accepted: {exc}") from exc
    if not _same_as_cbor2(value, other):
        raise CheckerBug(f"cbor2 decodes {data.hex()} differently: {other!r}")


def _same_as_cbor2(mine, theirs) -> bool:
    if isinstance(mine, CborMap):
        if not isinstance(theirs, collections.abc.Mapping):
            return False
        if len(theirs) != len(mine):
            # Only acceptable when two of our keys are equal in Python (1 and true, 0 and
            # false) so that cbor2's dict merged them; such maps are not compared further.
            bools = {k for k, _, _ in mine.entries if isinstance(k, bool)}
            ints = {k for k, _, _ in mine.entries if type(k) is int}
            return any(b in ints for b in bools)
        # cbor2 keeps the decoding order, which is the encoded order.
        return all(_same_as_cbor2(k1, k2) and _same_as_cbor2(v1, v2)
                   for (k1, v1, _), (k2, v2) in zip(mine.entries, theirs.items()))
    if isinstance(mine, list):
        return isinstance(theirs, (list, tuple)) and len(mine) == len(theirs) and all(
            _same_as_cbor2(a, b) for a, b in zip(mine, theirs))
    if mine is None or isinstance(mine, bool):
        return theirs is mine
    return type(mine) is type(theirs) and mine == theirs


def _encode_head(major: int, arg: int) -> bytes:
    if arg < 0 or arg >= 1 << 64:
        raise ValueError("CBOR argument out of range")
    if arg < 24:
        return bytes([(major << 5) | arg])
    for ai, n in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * n):
            return bytes([(major << 5) | ai]) + arg.to_bytes(n, "big")
    raise AssertionError("unreachable")


def encode(value) -> bytes:
    """Deterministic encoder (spec §2.4): definite lengths, shortest arguments, map keys
    sorted bytewise by their encodings.  Used for Sig_structure, the generator checks and the
    self-test."""
    if value is False:
        return b"\xf4"
    if value is True:
        return b"\xf5"
    if value is None:
        return b"\xf6"
    if type(value) is int:
        return _encode_head(0, value) if value >= 0 else _encode_head(1, -1 - value)
    if isinstance(value, (bytes, bytearray)):
        return _encode_head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _encode_head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _encode_head(4, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, CborMap):
        pairs = [(kb, encode(v)) for _, v, kb in value.entries]
    elif isinstance(value, dict):
        pairs = [(encode(k), encode(v)) for k, v in value.items()]
    else:
        raise TypeError(f"cannot encode {type(value).__name__}")
    pairs.sort(key=lambda p: p[0])
    for a, b in zip(pairs, pairs[1:]):
        if a[0] == b[0]:
            raise ValueError("duplicate map key")
    return _encode_head(5, len(pairs)) + b"".join(k + v for k, v in pairs)


# --------------------------------------------------------------------------------------------
# Type predicates (type-exact; spec §4: "int" = major type 0 or 1, "uint" = major type 0)
# --------------------------------------------------------------------------------------------

def is_int(v) -> bool:
    return type(v) is int


def is_uint(v) -> bool:
    return type(v) is int and v >= 0


def is_bstr(v, lo: int = 0, hi: int | None = None) -> bool:
    return type(v) is bytes and len(v) >= lo and (hi is None or len(v) <= hi)


def is_tstr(v, lo: int = 0, hi: int | None = None) -> bool:
    """spec §1.3: "tstr 1..=128" counts bytes of UTF-8, not characters."""
    if type(v) is not str:
        return False
    n = len(v.encode("utf-8"))
    return n >= lo and (hi is None or n <= hi)


# spec §11.2, the excluded code points, as listed there: general category Cc
# (U+0000..=U+001F, U+007F..=U+009F), U+2028 and U+2029 (Zl, Zp), and the bidirectional
# controls U+202A..=U+202E and U+2066..=U+2069.
EXCLUDED_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029), (0x202A, 0x202E),
                   (0x2066, 0x2069))


def has_excluded(v: str) -> bool:
    """spec §11.2: does v hold an excluded code point?"""
    return any(lo <= ord(c) <= hi for c in v for lo, hi in EXCLUDED_RANGES)


def is_text(v, lo: int, hi: int) -> bool:
    """tstr lo..=hi bytes with no excluded code point (spec §11.2)."""
    return is_tstr(v, lo, hi) and not has_excluded(v)


def is_map(v) -> bool:
    return isinstance(v, CborMap)


def is_array(v) -> bool:
    return type(v) is list


# --------------------------------------------------------------------------------------------
# spec §3: COSE_Sign1 profile, P-256, ES256
# --------------------------------------------------------------------------------------------

P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_N = 0x7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8  # (n-1)/2, spec §3.6
assert HALF_N == (P256_N - 1) // 2
ALG_ES256 = -7
V1_ALGS = frozenset({ALG_ES256})  # spec §3.5

TYP_CREDENTIAL = "application/mlegit.credential+cose"
TYP_PRESENTATION = "application/mlegit.presentation+cose"
TYP_STATUS_LIST = "application/statuslist+cwt"  # spec §9: the IETF Token Status List's CWT typ
TYP_REQUEST = "application/mlegit.request+cose"    # spec §7.5: signed request, no kid
TYP_VERIFIER = "application/mlegit.verifier+cose"  # spec §7.4: verifier certificate, kid required
TYP_ACTIVATION = "application/mlegit.activation+cose"  # spec §19.2: activation proof, no kid;
                                                       # accepted only by the issuer's B3


def p256_public_key(x: bytes, y: bytes):
    """The public key for (x, y), or None if it is not valid (spec §3.8: x < p, y < p, on the
    curve)."""
    if len(x) != 32 or len(y) != 32:
        return None
    xi, yi = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    if xi >= P256_P or yi >= P256_P:
        return None
    if (yi * yi - (xi * xi * xi - 3 * xi + P256_B)) % P256_P != 0:
        return None
    try:
        return ec.EllipticCurvePublicNumbers(xi, yi, ec.SECP256R1()).public_key()
    except ValueError:
        return None


def key_id(x: bytes, y: bytes) -> bytes:
    """spec §3.8: kid = first 8 bytes of SHA-256(0x04 || x || y).  Verifiers never recompute
    it; used only by the generator checks and the self-test."""
    return hashlib.sha256(b"\x04" + x + y).digest()[:8]


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """spec §3.7: ["Signature1", protected as received, h'', payload as received]."""
    return encode(["Signature1", protected, b"", payload])


@dataclass
class CoseSign1:
    protected: bytes   # the protected header bstr exactly as received
    alg: int
    kid: bytes | None
    typ: str
    payload: bytes
    signature: bytes


def effective_algs(configured) -> frozenset:
    """spec §3.5: the configured set intersected with {-7}."""
    return frozenset(configured) & V1_ALGS


def decode_cose_sign1(data: bytes, expected_typ: str, kid_required: bool,
                      accepted_algs) -> CoseSign1:
    """Steps C1-C7 (spec §3.2) then H1-H5 (spec §3.3).
    kid_required=True: credential, status list token or verifier certificate; False:
    presentation or signed request (kid MUST be absent)."""
    obj = at_step("C1", strict_decode, data)                             # C1
    if not (is_array(obj) and len(obj) == 4):                            # C2
        raise MlegitError("cose_malformed", "C2: not an array of 4")
    protected, unprotected, payload, signature = obj
    if not is_bstr(protected):                                           # C3 (in this order)
        raise MlegitError("cose_malformed", "C3: protected is not a bstr")
    if not is_map(unprotected):
        raise MlegitError("cose_malformed", "C3: unprotected is not a map")
    if not is_bstr(payload):
        raise MlegitError("cose_malformed", "C3: payload is not a bstr")
    if not is_bstr(signature):
        raise MlegitError("cose_malformed", "C3: signature is not a bstr")
    if len(signature) != 64:                                             # C4
        raise MlegitError("cose_malformed", f"C4: signature is {len(signature)} bytes")
    header = at_step("C5", strict_decode, protected)                     # C5 (h'' fails at D1)
    if not is_map(header):                                               # C6
        raise MlegitError("cose_malformed", "C6: protected header is not a map")
    alg = kid = typ = None
    have_alg = have_kid = have_typ = False
    for label, value, label_bytes in header.entries:                     # C7, encoded order
        if label_bytes == encode(1):
            if not is_int(value):
                raise MlegitError("cose_malformed", "C7: alg is not an int")
            alg, have_alg = value, True
        elif label_bytes == encode(4):
            if not is_bstr(value, 1, 32):
                raise MlegitError("cose_malformed", "C7: kid is not a bstr 1..=32")
            kid, have_kid = value, True
        elif label_bytes == encode(16):
            if not is_tstr(value):
                raise MlegitError("cose_malformed", "C7: typ is not a tstr")
            typ, have_typ = value, True
        else:
            raise MlegitError("cose_unknown_header", f"C7: protected label {label!r}")
    if not have_alg:                                                     # H1
        if unprotected.has(1):
            raise MlegitError("alg_not_protected", "H1")
        raise MlegitError("alg_missing", "H1")
    if len(unprotected) != 0:                                            # H2
        raise MlegitError("cose_unprotected_header", "H2")
    if not have_typ or typ != expected_typ:                              # H3
        raise MlegitError("wrong_context", f"H3: typ {typ!r}")
    if alg not in effective_algs(accepted_algs):                         # H4
        raise MlegitError("alg_not_allowed", f"H4: alg {alg}")
    if kid_required and not have_kid:                                    # H5
        raise MlegitError("kid_missing", "H5")
    if not kid_required and have_kid:
        raise MlegitError("cose_unknown_header", "H5: a kid where it must be absent")
    return CoseSign1(protected, alg, kid, typ, payload, signature)


def verify_es256(public_key, cose: CoseSign1, invalid_code: str) -> None:
    """Steps V1-V3 (spec §3.9).  len(signature) == 64 was established at C4."""
    r = int.from_bytes(cose.signature[:32], "big")
    s = int.from_bytes(cose.signature[32:], "big")
    if not (1 <= r <= P256_N - 1 and 1 <= s <= P256_N - 1):             # V1
        raise MlegitError(invalid_code, "V1: r or s out of range")
    if s > HALF_N:                                                       # V2
        raise MlegitError("signature_malleable", "V2")
    digest = hashlib.sha256(sig_structure(cose.protected, cose.payload)).digest()
    try:                                                                 # V3
        public_key.verify(encode_dss_signature(r, s), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        raise MlegitError(invalid_code, "V3") from None


# --------------------------------------------------------------------------------------------
# spec §4: payload field decoding (F1-F5)
# --------------------------------------------------------------------------------------------

def decode_fields(payload_bytes: bytes, table: dict, required, not_map_code: str) -> dict:
    """table: uint key -> (name, field rule).  not_map_code: F2's code, cose_malformed for a
    COSE_Sign1 payload, invalid_field for the presentation request."""
    m = at_step("F1", strict_decode, payload_bytes)                      # F1
    if not is_map(m):                                                    # F2
        raise MlegitError(not_map_code, "F2: not a map")
    by_bytes = {encode(k): (k, name, pred) for k, (name, pred) in table.items()}
    out = {}
    for key, value, key_bytes in m.entries:
        if key_bytes not in by_bytes:                                    # F3
            raise MlegitError("unknown_field", f"F3: key {key!r}")
        k, name, pred = by_bytes[key_bytes]
        if not pred(value):                                              # F4
            raise MlegitError("invalid_field", f"F4: {name} (key {k})")
        out[k] = value
    for k in sorted(required):                                           # F5
        if k not in out:
            raise MlegitError("missing_field", f"F5: {table[k][0]} (key {k})")
    return out


# --------------------------------------------------------------------------------------------
# spec §5: credential
# --------------------------------------------------------------------------------------------

DOCTYPE = "mlegit.school-id.1"
MAX_CREDENTIAL_LIFETIME = 34_560_000  # spec §5.6 and P10b: exp - iat, 400 days
DIGEST_ALG_SHA256 = -16


CREDENTIAL_VERSION = 2  # spec §5.5 K1 (v2); the presentation (§8) and request (§7) stay at 1


def is_https_uri(v) -> bool:
    """spec §5.4 and §9 (sub): tstr 1..=256 bytes, no excluded code point (spec §11.2), and
    its first 8 bytes are exactly `https://` (bytewise, so `HTTPS://` fails)."""
    return is_text(v, 1, 256) and v.encode("utf-8").startswith(b"https://")


def _entry_keys_are(m: CborMap, *names: str) -> bool:
    """The map's entries, in encoded order, have exactly these text keys (compared by their
    encodings, so a bstr or an int key never matches a text key)."""
    return len(m) == len(names) and all(kb == encode(n) for (_, _, kb), n in zip(m.entries, names))


def _is_status_claim(v) -> bool:
    """spec §5.4 (v2), field rule F4 of credential key 9: the Token Status List's status claim
    value, exactly {"status_list": {"idx": uint, "uri": tstr}}: one entry with text key
    "status_list", whose value is a map of exactly two entries, in this order, text key "idx"
    -> uint and text key "uri" -> an https URI (is_https_uri).  The order is also the
    deterministic one (63 69 64 78 < 63 75 72 69), so D16 rejects the other order before F4."""
    if not (is_map(v) and _entry_keys_are(v, "status_list")):
        return False
    ref = v.entries[0][1]
    if not (is_map(ref) and _entry_keys_are(ref, "idx", "uri")):
        return False
    return is_uint(ref.entries[0][1]) and is_https_uri(ref.entries[1][1])


CREDENTIAL_FIELDS = {  # spec §5.2, field rules (F4)
    1: ("version", is_uint),
    2: ("doctype", is_tstr),
    3: ("issuer_kid", lambda v: is_bstr(v, 1, 32)),
    4: ("credential_id", lambda v: is_bstr(v, 16, 32)),
    5: ("iat", is_uint),
    6: ("nbf", is_uint),
    7: ("exp", is_uint),
    8: ("device_key", is_map),
    9: ("status", _is_status_claim),
    10: ("digest_alg", is_int),
    11: ("digests", is_array),
}


def exact_p256_cose_key(m: CborMap, code: str, step: str):
    """spec §5.3: exactly {1: 2, -1: 1, -2: x bstr 32, -3: y bstr 32}, a valid point.  The
    device key of a credential (K6, invalid_device_key) and, "exactly as the device key", the
    verifier key of a verifier certificate (spec §7.4, A5, invalid_field)."""
    if len(m) != 4 or not all(m.has(k) for k in (1, -1, -2, -3)):
        raise MlegitError(code, f"{step}: labels")
    kty, crv, x, y = m.get(1), m.get(-1), m.get(-2), m.get(-3)
    if not (is_int(kty) and kty == 2 and is_int(crv) and crv == 1
            and is_bstr(x, 32, 32) and is_bstr(y, 32, 32)):
        raise MlegitError(code, f"{step}: values")
    key = p256_public_key(x, y)
    if key is None:
        raise MlegitError(code, f"{step}: not a valid P-256 point")
    return key, x, y


def device_public_key(m: CborMap):
    """spec §5.3, K6."""
    return exact_p256_cose_key(m, "invalid_device_key", "K6")


def credential_semantics(fields: dict, protected_kid: bytes):
    """Steps K1-K6 (spec §5.5), in order."""
    if fields[1] != CREDENTIAL_VERSION:
        raise MlegitError("unsupported_version", f"K1: credential version {fields[1]}")
    if fields[2] != DOCTYPE:
        raise MlegitError("wrong_doctype", f"K2: {fields[2]!r}")
    if fields[3] != protected_kid:
        raise MlegitError("kid_mismatch", "K3")
    if fields[10] != DIGEST_ALG_SHA256:
        raise MlegitError("unsupported_digest_alg", f"K4: {fields[10]}")
    digests = fields[11]
    if len(digests) != 32 or not all(is_bstr(d, 32, 32) for d in digests):
        raise MlegitError("digest_set_invalid", "K5: need 32 bstr of 32 bytes")
    if any(a >= b for a, b in zip(digests, digests[1:])):
        raise MlegitError("digest_set_invalid", "K5: not strictly ascending")
    return device_public_key(fields[8])                                  # K6


# --------------------------------------------------------------------------------------------
# spec §11: claim registry
# --------------------------------------------------------------------------------------------

TEXT_CLAIMS = ("family_name", "given_names", "document_number", "address", "school_name",
               "school_address", "school_id")
DATE_CLAIMS = ("issue_date", "expiry_date", "birth_date")
AGE_CLAIMS = ("age_over_13", "age_over_16", "age_over_18")
# Registry order (spec §11.1)
REGISTRY = ("family_name", "given_names", "document_number", "address", "school_name",
            "school_address", "school_id", "holder_status", "issue_date", "expiry_date",
            "birth_date", "pesel", "portrait", "age_over_13", "age_over_16", "age_over_18")
KNOWN_CLAIMS = frozenset(REGISTRY)
assert KNOWN_CLAIMS == frozenset(TEXT_CLAIMS + DATE_CLAIMS + AGE_CLAIMS + ("holder_status", "pesel", "portrait"))
_DIGITS = "0123456789"  # ASCII only (str.isdigit would accept other scripts' digits)


def parse_date(v):
    """spec §11.3: "YYYY-MM-DD", valid Gregorian date, year 1800..=2299; date or None."""
    if type(v) is not str or len(v) != 10 or v[4] != "-" or v[7] != "-":
        return None
    if not all(c in _DIGITS for c in v[:4] + v[5:7] + v[8:]):
        return None
    year, month, day = int(v[:4]), int(v[5:7]), int(v[8:])
    if not 1800 <= year <= 2299:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


# PESEL month offsets per century (spec §11.4): +80 1800s, +0 1900s, +20 2000s, +40 2100s, +60 2200s
_PESEL_CENTURY = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}


def pesel_birth_date(v):
    """The birth date encoded in a valid PESEL, or None if it is not valid (spec §11.4)."""
    if type(v) is not str or len(v) != 11 or not all(c in _DIGITS for c in v):
        return None
    d = [int(c) for c in v]
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    if (10 - sum(w * x for w, x in zip(weights, d)) % 10) % 10 != d[10]:
        return None
    yy, mm, dd = int(v[0:2]), int(v[2:4]), int(v[4:6])
    offset = (mm - 1) // 20 * 20 if mm >= 1 else -1  # 1..12 -> 0, 21..32 -> 20, ...
    if offset not in _PESEL_CENTURY or not 1 <= mm - offset <= 12:
        return None
    try:
        return datetime.date(_PESEL_CENTURY[offset] + yy, mm - offset, dd)
    except ValueError:
        return None


def valid_claim_value(name: str, v) -> bool:
    """spec §11.1 value rules (X9)."""
    if name in TEXT_CLAIMS:
        return is_text(v, 1, 256)
    if name == "holder_status":
        return type(v) is str and v == "student"
    if name in DATE_CLAIMS:
        return parse_date(v) is not None
    if name == "pesel":
        return pesel_birth_date(v) is not None
    if name == "portrait":
        return is_bstr(v, 4, 16384) and v[:3] == b"\xff\xd8\xff"
    if name in AGE_CLAIMS:
        return v is True  # false is never issued and fails X9 (spec §11.6)
    raise KeyError(name)


# --------------------------------------------------------------------------------------------
# spec §10: trust list (T1-T7)
# --------------------------------------------------------------------------------------------

@dataclass
class TrustedKey:
    kid: bytes
    public_key: object
    not_before: int
    not_after: int
    x: bytes
    y: bytes


TRUST_KEY_LABELS = {  # spec §10.1: label -> (name, value rule of T6)
    1: ("kty", lambda v: is_int(v) and v == 2),
    2: ("kid", lambda v: is_bstr(v, 1, 32)),
    3: ("alg", lambda v: is_int(v) and v == ALG_ES256),
    -1: ("crv", lambda v: is_int(v) and v == 1),
    -2: ("x", lambda v: is_bstr(v, 32, 32)),
    -3: ("y", lambda v: is_bstr(v, 32, 32)),
    "not_after": ("not_after", is_uint),
    "not_before": ("not_before", is_uint),
}
MAX_TRUSTED_KEYS = 64


def parse_trust_list(data: bytes) -> dict:
    """Steps T1-T7 (spec §10.2); returns kid -> TrustedKey.  Each element passes T3-T7 before
    the next is examined."""
    ks = at_step("T1", strict_decode, data)                              # T1
    if not is_array(ks) or not 1 <= len(ks) <= MAX_TRUSTED_KEYS:         # T2
        raise MlegitError("invalid_field", "T2: not an array of 1..=64 keys")
    by_bytes = {encode(k): name for k, (name, _) in TRUST_KEY_LABELS.items()}
    keys: dict[bytes, TrustedKey] = {}
    for i, entry in enumerate(ks):
        if not is_map(entry):                                            # T3
            raise MlegitError("invalid_field", f"T3: trust list element {i} is not a map")
        got = {}
        for label, value, label_bytes in entry.entries:                  # T4: every label first
            if label_bytes not in by_bytes:
                raise MlegitError("unknown_field", f"T4: element {i} label {label!r}")
            got[by_bytes[label_bytes]] = value
        if len(got) < len(TRUST_KEY_LABELS):                             # T5
            missing = sorted(n for n, _ in TRUST_KEY_LABELS.values() if n not in got)
            raise MlegitError("missing_field", f"T5: element {i} lacks {missing}")
        for _, (name, pred) in TRUST_KEY_LABELS.items():                 # T6
            if not pred(got[name]):
                raise MlegitError("invalid_field", f"T6: element {i} {name}")
        pub = p256_public_key(got["x"], got["y"])
        if pub is None:
            raise MlegitError("invalid_field", f"T6: element {i}: (x, y) not a valid point")
        if got["not_before"] > got["not_after"]:
            raise MlegitError("invalid_field", f"T6: element {i}: not_before > not_after")
        if got["kid"] in keys:                                           # T7
            raise MlegitError("invalid_field", f"T7: element {i}: duplicate kid")
        keys[got["kid"]] = TrustedKey(got["kid"], pub, got["not_before"], got["not_after"],
                                      got["x"], got["y"])
    return keys


# --------------------------------------------------------------------------------------------
# spec §8, §12.2: presentation
# --------------------------------------------------------------------------------------------

@dataclass
class VerifierSettings:
    """spec §12.1 settings with their defaults."""
    accepted_algs: tuple = (ALG_ES256,)
    clock_skew: int = 60
    max_age: int = 300
    max_input_size: int = 65536
    max_status_list_token_size: int = 262_144   # L1
    max_status_list_size: int = 1_048_576       # L11, inflated bytes (8,388,608 one-bit entries)


PRESENTATION_FIELDS = {  # spec §8.1, field rules (F4)
    1: ("version", is_uint),
    2: ("credential", lambda v: is_bstr(v, 1)),
    3: ("disclosures", is_array),
    4: ("presented_at", is_uint),
    5: ("nonce", lambda v: is_bstr(v, 16, 32)),
    6: ("audience", lambda v: is_text(v, 1, 128)),
    7: ("request_digest", lambda v: is_bstr(v, 32, 32)),  # v3: SHA-256 of a signed request
}


@dataclass
class PresentationResult:
    """spec §12.3, plus extras for the vector cross-checks."""
    claims: dict
    presented_at: int
    not_before: int
    expires: int
    credential_id: bytes
    status_uri: str
    status_idx: int
    issuer_kid: bytes
    nonce: bytes | None = None
    audience: str | None = None
    request_digest: bytes | None = None
    # extra, for the vector cross-checks
    credential: bytes = b""
    digests: list = field(default_factory=list)
    disclosures: list = field(default_factory=list)   # (bytes, salt, claim, value)
    device_x: bytes = b""
    device_y: bytes = b""
    iat: int = 0
    credential_cose: CoseSign1 | None = None
    presentation_cose: CoseSign1 | None = None


def decode_disclosure(raw: bytes):
    """Steps X1-X4 (spec §6.6); every failure is disclosure_malformed."""
    try:
        d = strict_decode(raw)                                           # X1
    except MlegitError as exc:
        raise MlegitError("disclosure_malformed", f"X1: {exc.code}") from None
    if not (is_array(d) and len(d) == 3):                                # X2
        raise MlegitError("disclosure_malformed", "X2: not an array of 3")
    salt, claim, value = d
    if not is_bstr(salt, 16, 64):                                        # X3
        raise MlegitError("disclosure_malformed", "X3: salt")
    if not is_tstr(claim):                                               # X4
        raise MlegitError("disclosure_malformed", "X4: claim name")
    return salt, claim, value


def verify_presentation(data: bytes, trust: dict, settings: VerifierSettings, now: int,
                        expected_nonce: bytes | None = None,
                        expected_audience: str | None = None,
                        expected_request_digest: bytes | None = None) -> PresentationResult:
    """Steps P1-P14 (spec §12.2, with P13c of v3) in order; the first failure is raised.
    expected_request_digest: SHA-256 of the signed request the verifier sent (None when it
    sent an unsigned request or none).  Integers are unbounded, so sums never wrap (spec
    §1.5)."""
    skew = settings.clock_skew
    if len(data) > settings.max_input_size:                              # P1
        raise MlegitError("input_too_large", f"P1: {len(data)} > {settings.max_input_size}")
    pres = at_step("P2", decode_cose_sign1, data, TYP_PRESENTATION, False, settings.accepted_algs)
    pf = at_step("P3a", decode_fields, pres.payload, PRESENTATION_FIELDS, (1, 2, 3, 4), "cose_malformed")
    if pf[1] != 1:                                                       # P3b
        raise MlegitError("unsupported_version", f"P3b: presentation version {pf[1]}")
    if len(pf[3]) > 32 or not all(is_bstr(d) for d in pf[3]):            # P3c
        raise MlegitError("invalid_field", "P3c: disclosures")
    cred = at_step("P4", decode_cose_sign1, pf[2], TYP_CREDENTIAL, True, settings.accepted_algs)
    cf = at_step("P5", decode_fields, cred.payload, CREDENTIAL_FIELDS, range(1, 12), "cose_malformed")
    iat, nbf, exp = cf[5], cf[6], cf[7]
    tk = trust.get(cred.kid)                                             # P6
    if tk is None:
        raise MlegitError("unknown_key_id", f"P6: {cred.kid.hex()}")
    if not (tk.not_before <= iat <= tk.not_after):                       # P7
        raise MlegitError("issuer_key_not_valid", "P7")
    at_step("P8", verify_es256, tk.public_key, cred, "issuer_signature_invalid")
    device_key, dx, dy = at_step("P9", credential_semantics, cf, cred.kid)
    if not (iat <= nbf < exp):                                           # P10a
        raise MlegitError("invalid_validity_window", "P10a")
    if exp - iat > MAX_CREDENTIAL_LIFETIME:                              # P10b
        raise MlegitError("credential_lifetime_too_long", f"P10b: {exp - iat} s")
    if now + skew < nbf:                                                 # P10c
        raise MlegitError("credential_not_yet_valid", "P10c")
    if now > exp + skew:                                                 # P10d
        raise MlegitError("credential_expired", "P10d")
    at_step("P11", verify_es256, device_key, pres, "device_signature_invalid")
    presented_at = pf[4]
    if presented_at > now + skew:                                        # P12a
        raise MlegitError("presentation_from_future", "P12a")
    if presented_at + settings.max_age < now:                            # P12b
        raise MlegitError("presentation_too_old", "P12b")
    if presented_at < nbf or presented_at > exp:                         # P12c
        raise MlegitError("presented_outside_validity", "P12c")
    nonce, audience = pf.get(5), pf.get(6)
    if nonce != expected_nonce:                                          # P13a (as options)
        raise MlegitError("nonce_mismatch", "P13a")
    if audience != expected_audience:                                    # P13b (as options)
        raise MlegitError("audience_mismatch", "P13b")
    request_digest = pf.get(7)
    if request_digest != expected_request_digest:                        # P13c (as options)
        raise MlegitError("request_mismatch", "P13c")
    digest_set = set(cf[11])                                             # P14: X1-X9
    seen_digests, claims, decoded = set(), {}, []
    for raw in pf[3]:
        salt, name, value = at_step("P14", decode_disclosure, raw)       # X1-X4
        digest = hashlib.sha256(raw).digest()
        if digest not in digest_set:                                     # X5
            raise MlegitError("digest_mismatch", f"P14 X5: {name}")
        if digest in seen_digests:                                       # X6
            raise MlegitError("duplicate_disclosure", f"P14 X6: {name}")
        seen_digests.add(digest)
        if name not in KNOWN_CLAIMS:                                     # X7
            raise MlegitError("unknown_claim", f"P14 X7: {name}")
        if name in claims:                                               # X8
            raise MlegitError("duplicate_claim", f"P14 X8: {name}")
        if not valid_claim_value(name, value):                           # X9
            raise MlegitError("invalid_claim_value", f"P14 X9: {name}")
        claims[name] = value
        decoded.append((raw, salt, name, value))
    status = cf[9].entries[0][1]                                         # {"idx": .., "uri": ..}
    return PresentationResult(
        claims=claims, presented_at=presented_at, not_before=nbf, expires=exp,
        credential_id=cf[4], status_uri=status.get("uri"), status_idx=status.get("idx"),
        issuer_kid=cred.kid, nonce=nonce, audience=audience, request_digest=request_digest,
        credential=pf[2],
        digests=list(cf[11]), disclosures=decoded, device_x=dx, device_y=dy, iat=iat,
        credential_cose=cred, presentation_cose=pres)


# --------------------------------------------------------------------------------------------
# spec §7: presentation request (R1-R5), verifier certificate and signed request (A1-A12)
# --------------------------------------------------------------------------------------------

MAX_REQUEST_SIZE = 1024          # spec §7.3 R1: a fixed limit, not a setting
MAX_SIGNED_REQUEST_SIZE = 2048   # spec §7.5, §7.6 A1: a fixed limit, not a setting
MAX_REQUESTED_CLAIMS = 16        # R4; and the certificate's claims, spec §7.4

REQUEST_FIELDS = {  # spec §7.1, field rules (F4); the six of v3 REQUIRED, key 8 OPTIONAL (v4)
    1: ("version", is_uint),
    2: ("nonce", lambda v: is_bstr(v, 16, 32)),
    3: ("audience", lambda v: is_text(v, 1, 128)),
    4: ("verifier_name", lambda v: is_text(v, 1, 128)),
    5: ("claims", is_array),
    6: ("created_at", is_uint),
    # v4 (spec §18): the verifier's ephemeral P-256 key, present iff the request is answered
    # online.  The field rule is "map"; its exact form (§5.3) is R2b / A3b, after F5.
    8: ("response_key", is_map),
}
REQUEST_REQUIRED = (1, 2, 3, 4, 5, 6)
SIGNED_REQUEST_FIELDS = {  # spec §7.5: the fields of §7.1 plus the certificate
    **REQUEST_FIELDS,
    7: ("certificate", is_bstr),
}
SIGNED_REQUEST_REQUIRED = REQUEST_REQUIRED + (7,)
CERTIFICATE_FIELDS = {  # spec §7.4, field rules (F4); all REQUIRED
    1: ("version", is_uint),
    2: ("verifier_key", is_map),
    3: ("name", lambda v: is_text(v, 1, 128)),
    4: ("audience", lambda v: is_text(v, 1, 128)),
    # "array": its count (1..=16) and its elements are checked after F5, in A5, as R4 and
    # R5 do for a request (see README "Readings", 8).
    5: ("claims", is_array),
    6: ("iat", is_uint),
    7: ("nbf", is_uint),
    8: ("exp", is_uint),
}
CERTIFICATE_VERSION = 1   # spec §7.4
REQUEST_VERSION = 1       # spec §7.1, R3


@dataclass
class RequestResult:
    """What the holder has after R1-R5 (unsigned) or A1-A12 (signed, spec §7.6)."""
    nonce: bytes
    audience: str
    verifier_name: str
    claims: list
    created_at: int
    signed: bool = False
    # signed requests only (None for an unsigned one)
    authority_kid: bytes | None = None
    verifier_x: bytes | None = None
    verifier_y: bytes | None = None
    certificate_name: str | None = None
    certificate_audience: str | None = None
    allowed_claims: list | None = None
    certificate_iat: int | None = None
    not_before: int | None = None
    expires: int | None = None
    request_digest: bytes | None = None
    certificate: bytes | None = None
    certificate_cose: CoseSign1 | None = None
    request_cose: CoseSign1 | None = None
    # v4, both kinds: the request's key 8 (None: no key 8, the request is not answered online)
    response_x: bytes | None = None
    response_y: bytes | None = None


def check_claim_names(claims: list, what: str) -> None:
    """R5, and the claims list of a certificate in A5: for each element in order, not a tstr
    (invalid_field), not a registry name (unknown_claim), equal to an earlier element
    (duplicate_claim)."""
    seen = set()
    for i, name in enumerate(claims):
        if not is_tstr(name):
            raise MlegitError("invalid_field", f"{what}[{i}] is not a tstr")
        if name not in KNOWN_CLAIMS:
            raise MlegitError("unknown_claim", f"{what}[{i}] {name!r}")
        if name in seen:
            raise MlegitError("duplicate_claim", f"{what}[{i}] {name!r}")
        seen.add(name)


def response_key_check(fields: dict, step: str):
    """R2b (unsigned) or A3b (signed), right after F5 (spec §18, v4): key 8, if present, is
    exactly the COSE_Key of §5.3, {1: 2, -1: 1, -2: x, -3: y} with (x, y) on P-256, else
    invalid_field.  Returns (x, y), or (None, None) without key 8."""
    if 8 not in fields:
        return None, None
    _, x, y = at_step(step, exact_p256_cose_key, fields[8], "invalid_field", "response_key")
    return x, y


def request_field_checks(fields: dict) -> None:
    """R3, R4, R5 (spec §7.3) on decoded request fields; in A3 for a signed request."""
    if fields[1] != REQUEST_VERSION:                                     # R3
        raise MlegitError("unsupported_version", f"R3: request version {fields[1]}")
    claims = fields[5]
    if not 1 <= len(claims) <= MAX_REQUESTED_CLAIMS:                     # R4
        raise MlegitError("invalid_field", f"R4: {len(claims)} requested claims")
    at_step("R5", check_claim_names, claims, "claims")                   # R5


def _same_text(a: str, b: str) -> bool:
    """Bytewise comparison of the UTF-8 encodings (A11)."""
    return a.encode("utf-8", "surrogatepass") == b.encode("utf-8", "surrogatepass")


def certificate_checks(fields: dict):
    """A5 after F1-F5 (spec §7.6), in this order: version; the claims list (its count, then
    element by element, as R4 and R5); the verifier key; iat <= nbf < exp.  Returns the
    verifier's public key and (x, y)."""
    if fields[1] != CERTIFICATE_VERSION:
        raise MlegitError("unsupported_version", f"version: certificate version {fields[1]}")
    claims = fields[5]
    if not 1 <= len(claims) <= MAX_REQUESTED_CLAIMS:
        raise MlegitError("invalid_field", f"claims: {len(claims)} certificate claims")
    check_claim_names(claims, "certificate claims")
    key, x, y = exact_p256_cose_key(fields[2], "invalid_field", "verifier_key")
    iat, nbf, exp = fields[6], fields[7], fields[8]
    if not (iat <= nbf < exp):
        raise MlegitError("invalid_field", f"window: not iat {iat} <= nbf {nbf} < exp {exp}")
    return key, x, y


def is_signed_request(data: bytes) -> bool:
    """spec §7.6: a first byte of major type 4 (a CBOR array) is a signed request; anything
    else (no byte at all included) an unsigned one."""
    return len(data) > 0 and data[0] >> 5 == 4


def verify_unsigned_request(data: bytes) -> RequestResult:
    """Steps R1-R5 (spec §7.3) in order."""
    if len(data) > MAX_REQUEST_SIZE:                                     # R1
        raise MlegitError("input_too_large", f"R1: {len(data)} > {MAX_REQUEST_SIZE}")
    f = at_step("R2", decode_fields, data, REQUEST_FIELDS, REQUEST_REQUIRED, "invalid_field")
    rx, ry = response_key_check(f, "R2b")                                # R2b (v4)
    request_field_checks(f)                                              # R3-R5
    return RequestResult(nonce=f[2], audience=f[3], verifier_name=f[4], claims=list(f[5]),
                         created_at=f[6], signed=False, response_x=rx, response_y=ry)


def verify_signed_request(data: bytes, authorities: dict, now: int, clock_skew: int = 60,
                          accepted_algs=(ALG_ES256,)) -> RequestResult:
    """Steps A1-A12 (spec §7.6) in order; the first failure is raised.  authorities: the
    authority list, parsed with T1-T7 (kid -> TrustedKey).  Integers are unbounded (spec
    §1.5)."""
    skew = clock_skew
    if len(data) > MAX_SIGNED_REQUEST_SIZE:                              # A1
        raise MlegitError("input_too_large", f"A1: {len(data)} > {MAX_SIGNED_REQUEST_SIZE}")
    req = at_step("A2", decode_cose_sign1, data, TYP_REQUEST, False, accepted_algs)
    rf = at_step("A3", decode_fields, req.payload, SIGNED_REQUEST_FIELDS,
                 SIGNED_REQUEST_REQUIRED, "cose_malformed")             # A3: F1-F5
    rx, ry = response_key_check(rf, "A3b")                               # A3b (v4)
    at_step("A3", request_field_checks, rf)                              # A3: R3, R4, R5
    cert = at_step("A4", decode_cose_sign1, rf[7], TYP_VERIFIER, True, accepted_algs)
    cf = at_step("A5", decode_fields, cert.payload, CERTIFICATE_FIELDS,
                 tuple(CERTIFICATE_FIELDS), "cose_malformed")           # A5: F1-F5
    vkey, vx, vy = at_step("A5", certificate_checks, cf)                 # A5: the rest
    iat, nbf, exp = cf[6], cf[7], cf[8]
    ak = authorities.get(cert.kid)                                       # A6
    if ak is None:
        raise MlegitError("unknown_authority", f"A6: {cert.kid.hex()}")
    if not (ak.not_before <= iat <= ak.not_after):                       # A7
        raise MlegitError("authority_key_not_valid", "A7")
    at_step("A8", verify_es256, ak.public_key, cert, "certificate_signature_invalid")
    if now + skew < nbf:                                                 # A9a
        raise MlegitError("certificate_not_yet_valid", "A9a")
    if now > exp + skew:                                                 # A9b
        raise MlegitError("certificate_expired", "A9b")
    at_step("A10", verify_es256, vkey, req, "request_signature_invalid")
    if not _same_text(rf[3], cf[4]):                                     # A11
        raise MlegitError("request_certificate_mismatch", "A11: audience")
    if not _same_text(rf[4], cf[3]):
        raise MlegitError("request_certificate_mismatch", "A11: verifier_name")
    allowed = set(cf[5])                                                 # A12
    for i, name in enumerate(rf[5]):
        if name not in allowed:
            raise MlegitError("claim_not_allowed", f"A12: claims[{i}] {name!r}")
    return RequestResult(
        nonce=rf[2], audience=rf[3], verifier_name=rf[4], claims=list(rf[5]), created_at=rf[6],
        signed=True, authority_kid=cert.kid, verifier_x=vx, verifier_y=vy,
        certificate_name=cf[3], certificate_audience=cf[4], allowed_claims=list(cf[5]),
        certificate_iat=iat, not_before=nbf, expires=exp,
        request_digest=hashlib.sha256(data).digest(), certificate=rf[7],
        certificate_cose=cert, request_cose=req, response_x=rx, response_y=ry)


def check_request(data: bytes, authorities: dict, now: int, clock_skew: int = 60) -> RequestResult:
    """The holder's call for both kinds (spec §7.6): A1-A12 for a signed request, R1-R5 for
    an unsigned one, told apart by the first byte."""
    if is_signed_request(data):
        return verify_signed_request(data, authorities, now, clock_skew)
    return verify_unsigned_request(data)


# --------------------------------------------------------------------------------------------
# spec §18.1: the engagement (E1-E2)
# --------------------------------------------------------------------------------------------

KEY_DIGEST_SIZE = 16  # spec §18.1: the first 16 bytes of SHA-256(SEC1 uncompressed key)


def response_key_digest(x: bytes, y: bytes) -> bytes:
    """spec §18.1 `<kd>` (before base64url): SHA-256(0x04 || x || y)[:16]."""
    return hashlib.sha256(b"\x04" + x + y).digest()[:KEY_DIGEST_SIZE]


def engagement_checks(res: RequestResult, key_digest: bytes | None) -> None:
    """Steps E1-E2 (spec §18.1), after R1-R5 or A1-A12.  key_digest: the engagement's `<kd>`
    (engagement by QR code), or None for a typed six-digit code, which carries no digest."""
    if res.response_x is None:                                           # E1
        raise MlegitError("missing_field", "E1: the request has no response_key")
    if key_digest is not None and \
            response_key_digest(res.response_x, res.response_y) != key_digest:   # E2
        raise MlegitError("response_key_mismatch",
                          "E2: the key digest differs from the engagement's")


def holder_check(data: bytes, authorities: dict, now: int, clock_skew: int,
                 engagement_key_digest: bytes | None) -> RequestResult:
    """What a request vector runs (test-vectors/README.md): R1-R5 or A1-A12 (check_request),
    then, when the vector's holder names an engagement key digest, E1-E2 against it."""
    res = check_request(data, authorities, now, clock_skew)
    if engagement_key_digest is not None:
        engagement_checks(res, engagement_key_digest)
    return res


# --------------------------------------------------------------------------------------------
# spec §9, §12.4: Status List Token (L1-L12, M1-M2)
# --------------------------------------------------------------------------------------------

STATUS_LIST_BITS = (1, 2, 4, 8)                          # spec §9 M1
STATUS_VALUE_NAMES = {0: "valid", 1: "invalid", 2: "suspended"}  # any other value: "unknown"


def _is_status_list_map(v) -> bool:
    """spec §9, key 65533: exactly {"lst": bstr of 1 or more bytes, "bits": uint}, in this
    order (the deterministic one: 63 6c 73 74 < 64 62 69 74 73).  The range of bits is M1."""
    if not (is_map(v) and _entry_keys_are(v, "lst", "bits")):
        return False
    return is_bstr(v.entries[0][1], 1) and is_uint(v.entries[1][1])


STATUS_LIST_FIELDS = {  # spec §9, field rules (F4); all required (F5)
    2: ("sub", is_https_uri),
    4: ("exp", is_uint),
    6: ("iat", is_uint),
    65533: ("status_list", _is_status_list_map),
    65534: ("ttl", is_uint),
}


@dataclass
class StatusList:
    """A token that passed L1-L11 (spec §12.4): kept, it serves many lookups (check_status)."""
    sub: str
    iat: int
    exp: int
    ttl: int
    bits: int
    array: bytes             # the inflated status array
    issuer_kid: bytes
    cose: CoseSign1 | None = None

    @property
    def entries(self) -> int:
        """spec §9: 8 * len(inflated) / bits (bits is 1, 2, 4 or 8, so this is exact)."""
        return 8 * len(self.array) // self.bits


def status_name(value: int) -> str:
    """spec §9: 0 valid, 1 invalid, 2 suspended, any other value unknown."""
    return STATUS_VALUE_NAMES.get(value, "unknown")


def _output_before_error(lst: bytes, limit: int) -> int:
    """How many bytes (at most `limit`) a ZLIB stream that zlib rejects inflates to before the
    error, fed one input byte at a time.  zlib goes on decoding after its output buffer is
    full (an end-of-block code, the next block header, the Adler-32) and reports an error met
    there with the output lost; feeding byte by byte keeps the output of every byte before the
    one in which the error is detected."""
    inflater = zlib.decompressobj(wbits=15)
    total = 0
    for i in range(len(lst)):
        try:
            total += len(inflater.decompress(lst[i:i + 1], limit - total))
        except zlib.error:
            return total
        if total >= limit or inflater.eof:
            return total
    return total


def inflate_status_list(lst: bytes, max_size: int) -> bytes:
    """Step L11 (spec §12.4): lst must be exactly one complete, valid ZLIB stream (RFC 1950
    header and Adler-32, RFC 1951 blocks) with nothing after it, inflating to 1..=max_size
    bytes.  Inflating stops at max_size + 1 bytes of output, so a small stream that inflates
    to gigabytes costs at most that much memory: once max_size + 1 bytes are out the verdict
    is status_list_too_large, and nothing after that point of the stream is looked at (a bad
    block, the Adler-32, a truncated end, bytes after the end).  Everything else that is wrong
    is status_list_malformed.  (Precision: an input byte; see _output_before_error.)"""
    if max_size < 0:
        raise ValueError("max status list size is negative")
    limit = max_size + 1 if max_size + 1 <= sys.maxsize else 0    # 0: no limit
    inflater = zlib.decompressobj(wbits=15)                       # ZLIB format only
    try:
        out = inflater.decompress(lst, limit)
    except zlib.error as exc:
        if limit and _output_before_error(lst, limit) >= limit:
            raise MlegitError("status_list_too_large",
                              f"L11: inflates to more than {max_size} bytes (before an error "
                              "further on in the stream)") from None
        raise MlegitError("status_list_malformed", f"L11: not a valid ZLIB stream ({exc})") from None
    if len(out) > max_size:
        raise MlegitError("status_list_too_large", f"L11: inflates to more than {max_size} bytes")
    if not inflater.eof:
        raise MlegitError("status_list_malformed", "L11: the ZLIB stream is truncated")
    if inflater.unused_data:
        raise MlegitError("status_list_malformed",
                          f"L11: {len(inflater.unused_data)} byte(s) after the ZLIB stream")
    if not out:
        raise MlegitError("status_list_malformed", "L11: inflates to 0 bytes")
    return out


def status_list_lookup(array: bytes, bits: int, index: int) -> int:
    """Step L12 (spec §9, §12.4): entry `index` occupies bits [index*bits, (index+1)*bits) of
    the array, counted from the least significant bit of each byte.  index is a uint (F4 of
    the status claim; vectors are checked for it), never negative."""
    if index < 0:
        raise ValueError("negative status list index")
    entries = 8 * len(array) // bits
    if index >= entries:
        raise MlegitError("status_index_out_of_range", f"L12: index {index} >= {entries} entries")
    first_bit = index * bits
    return (array[first_bit // 8] >> (first_bit % 8)) & ((1 << bits) - 1)


def _same_uri(a: str, b: str) -> bool:
    """L7: bytewise comparison of the UTF-8 encodings."""
    return a.encode("utf-8", "surrogatepass") == b.encode("utf-8", "surrogatepass")


def verify_status_list(data: bytes, trust: dict, settings: VerifierSettings, now: int,
                       expected_uri: str) -> StatusList:
    """Steps L1-L11 (spec §12.4) in order; the first failure is raised.  expected_uri: the uri
    of the status claim of a presentation that passed P1-P14.  Integers are unbounded, so the
    time sums never wrap (spec §1.5)."""
    skew = settings.clock_skew
    if len(data) > settings.max_status_list_token_size:                  # L1
        raise MlegitError("input_too_large",
                          f"L1: {len(data)} > {settings.max_status_list_token_size}")
    cose = at_step("L2", decode_cose_sign1, data, TYP_STATUS_LIST, True, settings.accepted_algs)
    f = at_step("L3", decode_fields, cose.payload, STATUS_LIST_FIELDS, tuple(STATUS_LIST_FIELDS),
                "cose_malformed")                                        # L3: F1-F5
    sub, exp, iat, ttl = f[2], f[4], f[6], f[65534]
    lst, bits = f[65533].entries[0][1], f[65533].entries[1][1]
    if bits not in STATUS_LIST_BITS:                                     # L3: M1
        raise MlegitError("invalid_field", f"L3 M1: bits {bits}")
    if not iat < exp:                                                    # L3: M2
        raise MlegitError("invalid_field", f"L3 M2: iat {iat} is not before exp {exp}")
    tk = trust.get(cose.kid)                                             # L4
    if tk is None:
        raise MlegitError("unknown_key_id", f"L4: {cose.kid.hex()}")
    if not (tk.not_before <= iat <= tk.not_after):                       # L5
        raise MlegitError("issuer_key_not_valid", "L5")
    at_step("L6", verify_es256, tk.public_key, cose, "issuer_signature_invalid")
    if not _same_uri(sub, expected_uri):                                 # L7
        raise MlegitError("status_list_uri_mismatch", f"L7: sub {sub!r}")
    if iat > now + skew:                                                 # L8
        raise MlegitError("status_list_from_future", "L8")
    if now > exp + skew:                                                 # L9
        raise MlegitError("status_list_expired", "L9")
    if now > iat + ttl + skew:                                           # L10
        raise MlegitError("status_list_stale", "L10")
    array = inflate_status_list(lst, settings.max_status_list_size)     # L11
    return StatusList(sub, iat, exp, ttl, bits, array, cose.kid, cose)


def check_status(status_list: StatusList, uri: str, idx: int, now: int, skew: int) -> int:
    """A lookup at `now` in a verified list (spec §12.4): L7 (the presentation's uri), L9 and
    L10 again with this `now`, then L12.  Returns the entry's value (status_name names it)."""
    if not _same_uri(status_list.sub, uri):                              # L7
        raise MlegitError("status_list_uri_mismatch", f"L7: sub {status_list.sub!r}")
    if now > status_list.exp + skew:                                     # L9
        raise MlegitError("status_list_expired", "L9")
    if now > status_list.iat + status_list.ttl + skew:                   # L10
        raise MlegitError("status_list_stale", "L10")
    return status_list_lookup(status_list.array, status_list.bits, idx)  # L12


# --------------------------------------------------------------------------------------------
# RFC 9180 HPKE, mode_base, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM (spec §18.3)
# --------------------------------------------------------------------------------------------
# Written from RFC 9180 (§4 LabeledExtract/LabeledExpand, §4.1 DHKEM, §5.1 KeySchedule,
# §5.2 nonces, §6.1 single-shot Seal/Open, §7.1.1 serialisation, §7.1.3 DeriveKeyPair,
# §7.1.4 validation), on `cryptography` (ECDH, AES-GCM) and the HMAC-SHA256 HKDF below.  The
# self-test checks it against the RFC's test vector A.3.1.

HPKE_MODE_BASE = 0x00
HPKE_KEM_ID = 0x0010    # DHKEM(P-256, HKDF-SHA256)
HPKE_KDF_ID = 0x0001    # HKDF-SHA256
HPKE_AEAD_ID = 0x0001   # AES-128-GCM
KEM_SUITE_ID = b"KEM" + HPKE_KEM_ID.to_bytes(2, "big")                       # RFC 9180 §4.1
HPKE_SUITE_ID = (b"HPKE" + HPKE_KEM_ID.to_bytes(2, "big") + HPKE_KDF_ID.to_bytes(2, "big")
                 + HPKE_AEAD_ID.to_bytes(2, "big"))                           # RFC 9180 §5.1
HPKE_N_SECRET, HPKE_N_ENC, HPKE_N_PK, HPKE_N_SK = 32, 65, 65, 32              # RFC 9180 §7.1
HPKE_N_K, HPKE_N_N, HPKE_N_H = 16, 12, 32                                     # §7.2, §7.3
DKP_BITMASK = 0xFF                                                            # §7.1.3, P-256


class HpkeError(Exception):
    """An HPKE failure (RFC 9180 §8.2: DeserializeError, DeriveKeyPairError, OpenError)."""


def labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    """RFC 9180 §4: Extract(salt, "HPKE-v1" || suite_id || label || ikm)."""
    return hkdf_extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    """RFC 9180 §4: Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)."""
    return hkdf_expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info,
                       length)


def serialize_public_key(x: bytes, y: bytes) -> bytes:
    """RFC 9180 §7.1.1: SEC1 uncompressed, 0x04 || x || y (Npk = 65)."""
    return b"\x04" + x + y


def deserialize_public_key(pkm: bytes):
    """RFC 9180 §7.1.1 and §7.1.4: exactly 65 bytes 0x04 || x || y with x, y < p and the point
    on the curve (p256_public_key); anything else (a compressed or hybrid form, the point at
    infinity, off the curve) is a DeserializeError."""
    if len(pkm) != HPKE_N_PK or pkm[0] != 0x04:
        raise HpkeError("DeserializeError: not a 65-byte uncompressed point")
    key = p256_public_key(pkm[1:33], pkm[33:])
    if key is None:
        raise HpkeError("DeserializeError: not a point of P-256")
    return key


def _scalar_key(sk: int):
    if not 1 <= sk < P256_N:
        raise HpkeError("private key out of range")
    return ec.derive_private_key(sk, ec.SECP256R1())


def public_key_bytes(sk: int) -> bytes:
    """pk(skX), serialised (RFC 9180 §7.1.1)."""
    nums = _scalar_key(sk).public_key().public_numbers()
    return serialize_public_key(nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big"))


def dh_p256(sk: int, pk) -> bytes:
    """RFC 9180 §4.1 DH(skX, pkY): the x-coordinate of skX * pkY, 32 bytes (§7.1)."""
    return _scalar_key(sk).exchange(ec.ECDH(), pk)


def derive_key_pair(ikm: bytes, order: int = P256_N) -> int:
    """RFC 9180 §7.1.3 DeriveKeyPair for DHKEM(P-256): dkp_prk = LabeledExtract("", "dkp_prk",
    ikm); then candidates LabeledExpand(dkp_prk, "candidate", I2OSP(counter, 1), Nsk) with the
    first byte masked by 0xff, for counter = 0, 1, ..., until one is in 1..order-1 (after 256
    candidates, DeriveKeyPairError).  Returns skX as an integer; pk(skX) is public_key_bytes.
    `order` is the group order n; the self-test passes a smaller one to exercise the loop."""
    dkp_prk = labeled_extract(KEM_SUITE_ID, b"", b"dkp_prk", ikm)
    sk, counter = 0, 0
    while sk == 0 or sk >= order:
        if counter > 255:
            raise HpkeError("DeriveKeyPairError")
        candidate = bytearray(labeled_expand(KEM_SUITE_ID, dkp_prk, b"candidate",
                                             bytes([counter]), HPKE_N_SK))
        candidate[0] &= DKP_BITMASK
        sk = int.from_bytes(candidate, "big")
        counter += 1
    return sk


def extract_and_expand(dh: bytes, kem_context: bytes) -> bytes:
    """RFC 9180 §4.1 ExtractAndExpand (KEM suite id)."""
    eae_prk = labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE_ID, eae_prk, b"shared_secret", kem_context, HPKE_N_SECRET)


def hpke_encap(pk_rm: bytes, sk_e: int) -> tuple[bytes, bytes]:
    """RFC 9180 §4.1 Encap(pkR) with the ephemeral key skE given (DeriveKeyPair of the
    sender's ikm, as the vectors do).  Returns (shared_secret, enc)."""
    pk_r = deserialize_public_key(pk_rm)
    enc = public_key_bytes(sk_e)
    return extract_and_expand(dh_p256(sk_e, pk_r), enc + pk_rm), enc


def hpke_decap(enc: bytes, sk_r: int) -> bytes:
    """RFC 9180 §4.1 Decap(enc, skR)."""
    pk_e = deserialize_public_key(enc)
    return extract_and_expand(dh_p256(sk_r, pk_e), enc + public_key_bytes(sk_r))


@dataclass
class HpkeContext:
    """RFC 9180 §5.1 KeySchedule output (and the intermediates, for the self-test)."""
    key: bytes
    base_nonce: bytes
    exporter_secret: bytes
    key_schedule_context: bytes
    secret: bytes


def key_schedule_base(shared_secret: bytes, info: bytes) -> HpkeContext:
    """RFC 9180 §5.1 KeySchedule(mode_base, shared_secret, info, psk = "", psk_id = "")."""
    psk, psk_id = b"", b""
    psk_id_hash = labeled_extract(HPKE_SUITE_ID, b"", b"psk_id_hash", psk_id)
    info_hash = labeled_extract(HPKE_SUITE_ID, b"", b"info_hash", info)
    context = bytes([HPKE_MODE_BASE]) + psk_id_hash + info_hash
    secret = labeled_extract(HPKE_SUITE_ID, shared_secret, b"secret", psk)
    return HpkeContext(
        key=labeled_expand(HPKE_SUITE_ID, secret, b"key", context, HPKE_N_K),
        base_nonce=labeled_expand(HPKE_SUITE_ID, secret, b"base_nonce", context, HPKE_N_N),
        exporter_secret=labeled_expand(HPKE_SUITE_ID, secret, b"exp", context, HPKE_N_H),
        key_schedule_context=context, secret=secret)


def hpke_nonce(base_nonce: bytes, seq: int) -> bytes:
    """RFC 9180 §5.2 ComputeNonce(seq): base_nonce xor I2OSP(seq, Nn)."""
    return bytes(a ^ b for a, b in zip(base_nonce, seq.to_bytes(HPKE_N_N, "big")))


def hpke_seal_base(pk_rm: bytes, info: bytes, aad: bytes, pt: bytes, sk_e: int,
                   seq: int = 0) -> tuple[bytes, bytes]:
    """RFC 9180 §6.1 SealBase (one message, sequence 0 unless told) with the ephemeral key
    skE: (enc, ct)."""
    shared_secret, enc = hpke_encap(pk_rm, sk_e)
    ctx = key_schedule_base(shared_secret, info)
    return enc, AESGCM(ctx.key).encrypt(hpke_nonce(ctx.base_nonce, seq), pt, aad)


def hpke_open_base(enc: bytes, sk_r: int, info: bytes, aad: bytes, ct: bytes,
                   seq: int = 0) -> bytes:
    """RFC 9180 §6.1 OpenBase; raises HpkeError (DeserializeError or OpenError)."""
    ctx = key_schedule_base(hpke_decap(enc, sk_r), info)
    try:
        return AESGCM(ctx.key).decrypt(hpke_nonce(ctx.base_nonce, seq), ct, aad)
    except InvalidTag:
        raise HpkeError("OpenError: the AEAD tag does not verify") from None


# --------------------------------------------------------------------------------------------
# spec §18.2, §18.3: the session binding and the encrypted response (O1-O3)
# --------------------------------------------------------------------------------------------

ALG_HPKE_0 = -65537            # spec §18.3: private use, HPKE-0 of draft-ietf-cose-hpke
HEADER_EK = -4                 # spec §18.3: the draft's `ek`, the encapsulated key
RESPONSE_PROTECTED = encode({1: ALG_HPKE_0})           # a1 01 3a 00 01 00 00
assert RESPONSE_PROTECTED == bytes.fromhex("a1013a00010000")
MAX_RESPONSE_SIZE = 65_536 + 1_024                     # spec §18.3, O1: 66,560 bytes
INFO_CONTEXT = "mlegit online response"                # spec §18.2
SESSION_ID_SIZE = 16                                   # spec §18.1
REQUEST_DIGEST_SIZE = 32                               # spec §18.2: SHA-256


def session_info(relay_origin: str, session_id: bytes, request_digest: bytes) -> bytes:
    """spec §18.2: HPKE info = the deterministic CBOR of ["mlegit online response",
    relay_origin (tstr), sid (bstr 16), request_digest (bstr 32)]."""
    if type(relay_origin) is not str or len(session_id) != SESSION_ID_SIZE \
            or len(request_digest) != REQUEST_DIGEST_SIZE:
        raise ValueError("session binding: origin tstr, session id 16 bytes, digest 32 bytes")
    return encode([INFO_CONTEXT, relay_origin, session_id, request_digest])


def enc_structure(protected: bytes) -> bytes:
    """spec §18.3 aad: the Enc_structure of RFC 9052 §5.3, ["Encrypt0", protected (the
    bstr's content), external_aad = h''], deterministic CBOR."""
    return encode(["Encrypt0", protected, b""])


def seal_response(pk_rm: bytes, info: bytes, plaintext: bytes, sk_e: int) -> bytes:
    """The holder's side (spec §18.3): the untagged COSE_Encrypt0 [protected {1: -65537},
    {-4: enc}, ciphertext] of plaintext for the recipient key pk_rm (SEC1 uncompressed), with
    the ephemeral key sk_e.  Used by the generator checks and the self-test."""
    enc, ct = hpke_seal_base(pk_rm, info, enc_structure(RESPONSE_PROTECTED), plaintext, sk_e)
    return encode([RESPONSE_PROTECTED, {HEADER_EK: enc}, ct])


def open_response(data: bytes, sk_r: int, info: bytes,
                  max_size: int = MAX_RESPONSE_SIZE) -> bytes:
    """Steps O1-O3 (spec §18.3) in order; the first failure is raised.  sk_r: the response
    key's private scalar; info: session_info() of the session the verifier opened.  Returns
    the plaintext (a presentation, to be verified with P1-P14)."""
    if len(data) > max_size:                                             # O1
        raise MlegitError("input_too_large", f"O1: {len(data)} > {max_size}")
    obj = at_step("O2", strict_decode, data)                             # O2: strict CBOR
    if not (is_array(obj) and len(obj) == 3):
        raise MlegitError("cose_malformed", "O2: not an array of 3")
    protected, unprotected, ciphertext = obj
    if not is_bstr(protected):
        raise MlegitError("cose_malformed", "O2: protected is not a bstr")
    if not is_map(unprotected):
        raise MlegitError("cose_malformed", "O2: unprotected is not a map")
    if not is_bstr(ciphertext):
        raise MlegitError("cose_malformed", "O2: ciphertext is not a bstr")
    # "protected not exactly {1: -65537}": its content decoded strictly (as C5 does for a
    # COSE_Sign1; see README "Readings", 13), then compared with the one map allowed.
    header = at_step("O2 protected", strict_decode, protected)
    if not (is_map(header) and len(header) == 1 and header.has(1)
            and is_int(header.get(1)) and header.get(1) == ALG_HPKE_0):
        raise MlegitError("cose_malformed", "O2: protected header is not exactly {1: -65537}")
    if not (len(unprotected) == 1 and unprotected.has(HEADER_EK)
            and is_bstr(unprotected.get(HEADER_EK), HPKE_N_ENC, HPKE_N_ENC)):
        raise MlegitError("cose_malformed", "O2: unprotected header is not exactly {-4: bstr 65}")
    try:                                                                 # O3
        return hpke_open_base(unprotected.get(HEADER_EK), sk_r, info, enc_structure(protected),
                              ciphertext)
    except HpkeError as exc:
        raise MlegitError("response_undecryptable", f"O3: {exc}") from None


# --------------------------------------------------------------------------------------------
# spec §19: batch issuance: the keys digest and the payload (§19.2), the issuer's checks of the
# proofs of possession (B1-B5, §19.3)
# --------------------------------------------------------------------------------------------

MAX_BATCH = 64          # spec §19.1, B1: 1 <= N <= 64
MAX_PROOF_SIZE = 4096   # spec §19.3, B3: a proof longer than this is too large
SEC1_POINT_SIZE = 65    # spec §19.2: 0x04 || x || y
ACTIVATION_ALGS = V1_ALGS   # spec §19.3 B3: "the accepted set {-7}"
# The failure kinds of spec §19.3 (the reference library's ProofError, snake case in the
# vectors) and the step of each.
PROOF_ERROR_STEPS = {"batch_size": "B1", "duplicate_key": "B2", "too_large": "B3",
                     "malformed": "B3", "wrong_payload": "B4", "bad_signature": "B5"}


class ProofError(Exception):
    """A batch that fails B1-B5 (spec §19.3).  kind: a key of PROOF_ERROR_STEPS; index: the
    position, from 0, of the key (B2) or the proof (B3-B5) at fault, None for B1; code: for
    "malformed" only, the §2 or §3 code of the failed C1-C7 / H1-H5 check.  These kinds are
    not codes of §13."""

    def __init__(self, kind: str, index: int | None = None, code: str | None = None,
                 detail: str = ""):
        super().__init__(f"{kind} ({detail})" if detail else kind)
        self.kind = kind
        self.step = PROOF_ERROR_STEPS[kind]
        self.index = index
        self.code = code
        self.detail = detail


def sec1_public_key(point: bytes):
    """The public key of a 65-byte SEC1 uncompressed point 0x04 || x || y of a valid P-256
    point (spec §3.8, §19.2), or None."""
    if type(point) is not bytes or len(point) != SEC1_POINT_SIZE or point[0] != 0x04:
        return None
    return p256_public_key(point[1:33], point[33:])


def activation_keys(keys) -> bytes:
    """spec §19.2: the encoding (§2.4) of the array [k_1, ..., k_N], each a bstr of 65 bytes:
    the head 0x80 + N (N < 24) or 98 N (24 <= N <= 255), then 58 41 and each key."""
    return encode([bytes(k) for k in keys])


def keys_digest(keys) -> bytes:
    """spec §19.2: keys_digest = SHA-256(keys)."""
    return hashlib.sha256(activation_keys(keys)).digest()


def activation_payload(activation_id: str, challenge: bytes, digest: bytes) -> bytes:
    """spec §19.2: the deterministic encoding of {1: activation_id (tstr), 2: challenge
    (bstr), 3: keys_digest (bstr 32)}: a3 01 <tstr> 02 <bstr> 03 58 20 <32 bytes>."""
    return encode({1: activation_id, 2: bytes(challenge), 3: bytes(digest)})


def verify_activation(activation_id: str, challenge: bytes, keys, proofs) -> None:
    """Steps B1-B5 of spec §19.3, in this order; the first failure is raised as ProofError.
    keys: the device keys as received, each the 65-byte SEC1 uncompressed encoding of a valid
    point (the reference library's keys are typed, so B1-B5 never see any other; the vector
    runner refuses any other as a schema error); proofs: the proofs' bytes as received.
    B1 and B2 check the batch before any proof is decoded; then B3, B4 and B5 run for proof i
    before proof i + 1."""
    keys = [bytes(k) for k in keys]
    proofs = [bytes(p) for p in proofs]
    n = len(keys)
    if not 1 <= n <= MAX_BATCH or len(proofs) != n:                      # B1
        raise ProofError("batch_size", detail=f"B1: {n} key(s), {len(proofs)} proof(s)")
    for i, key in enumerate(keys):                                       # B2
        for j in range(i):
            if keys[j] == key:
                raise ProofError("duplicate_key", i, detail=f"B2: key {i} equals key {j}")
    # B4 compares with the payload made from the keys as received.
    payload = activation_payload(activation_id, challenge, keys_digest(keys))
    for i, (key, proof) in enumerate(zip(keys, proofs)):
        if len(proof) > MAX_PROOF_SIZE:                                  # B3: size first
            raise ProofError("too_large", i, detail=f"B3: proof {i} is {len(proof)} bytes")
        try:                                                             # B3: C1-C7, H1-H5
            cose = decode_cose_sign1(proof, TYP_ACTIVATION, False, ACTIVATION_ALGS)
        except MlegitError as exc:
            raise ProofError("malformed", i, exc.code, f"B3 {exc.detail}".strip()) from None
        if cose.payload != payload:                                      # B4: bytewise
            raise ProofError("wrong_payload", i, detail=f"B4: proof {i}'s payload")
        public_key = sec1_public_key(key)
        if public_key is None:
            raise ValueError(f"key {i} is not a valid SEC1 uncompressed P-256 point")
        try:                                                             # B5: V1-V3, key i
            verify_es256(public_key, cose, "device_signature_invalid")
        except MlegitError as exc:
            raise ProofError("bad_signature", i, detail=f"B5 {exc.detail}".strip()) from None


# --------------------------------------------------------------------------------------------
# HKDF-SHA256 (RFC 5869); spec §6.3, §6.4: reference salt / decoy derivation (the generator
# checks); HPKE's KDF (above)
# --------------------------------------------------------------------------------------------

def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def reference_salt(prk: bytes, claim: str) -> bytes:
    return hkdf_expand(prk, b"mlegit v1 salt" + claim.encode("utf-8"), 16)


def reference_decoy(prk: bytes, i: int) -> bytes:
    return hkdf_expand(prk, b"mlegit v1 decoy" + bytes([i]), 32)


def test_key_scalar(name: str) -> bytes:
    """test-vectors/README.md: a test key's private scalar is SHA-256("mlegit test key " || name)."""
    return hashlib.sha256(b"mlegit test key " + name.encode("utf-8")).digest()


def rfc6979_low_s(scalar: bytes, cose: CoseSign1) -> bytes:
    """The ES256 signature a deterministic signer (RFC 6979, then low-S, spec §3.6) makes over
    cose's Sig_structure with this private scalar."""
    key = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
    der = key.sign(sig_structure(cose.protected, cose.payload),
                   ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    if s > HALF_N:
        s = P256_N - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def public_point(scalar: bytes) -> tuple[bytes, bytes]:
    d = int.from_bytes(scalar, "big")
    if not 1 <= d < P256_N:
        raise VectorSchemaError("private scalar out of range")
    nums = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
    return nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big")


# --------------------------------------------------------------------------------------------
# Vector runner (schema: test-vectors/README.md)
# --------------------------------------------------------------------------------------------

FILE_VERSION = 5
SPEC_ID = "spec/mlegit.md, version 5"


class VectorSchemaError(Exception):
    pass


def _keys(obj, where: str, required, optional=()):
    if not isinstance(obj, dict):
        raise VectorSchemaError(f"{where}: not an object")
    unknown = sorted(set(obj) - set(required) - set(optional))
    if unknown:
        raise VectorSchemaError(f"{where}: unknown key(s) {unknown}")
    missing = sorted(set(required) - set(obj))
    if missing:
        raise VectorSchemaError(f"{where}: missing key(s) {missing}")


def _hex(v, where: str) -> bytes:
    if type(v) is not str or len(v) % 2 or any(c not in "0123456789abcdef" for c in v):
        raise VectorSchemaError(f"{where}: not lowercase hex")
    return bytes.fromhex(v)


def _opt_hex(v, where: str):
    return None if v is None else _hex(v, where)


def _int(v, where: str) -> int:
    if type(v) is not int:
        raise VectorSchemaError(f"{where}: not an integer")
    return v


def _uint(v, where: str) -> int:
    if type(v) is not int or v < 0:
        raise VectorSchemaError(f"{where}: not a non-negative integer")
    return v


def _str(v, where: str) -> str:
    if type(v) is not str:
        raise VectorSchemaError(f"{where}: not a string")
    return v


def _opt_str(v, where: str):
    return None if v is None else _str(v, where)


def _list(v, where: str) -> list:
    if not isinstance(v, list):
        raise VectorSchemaError(f"{where}: not a list")
    return v


def claim_to_json(v):
    """value-json: text claims and dates -> string, age_over_* -> true (or false), portrait ->
    {"bstr": hex}."""
    if type(v) is bytes:
        return {"bstr": v.hex()}
    if type(v) is str or type(v) is bool:
        return v
    raise VectorSchemaError(f"claim value {v!r} has no value-json form")


def claim_from_json(v, where: str):
    if type(v) is str or type(v) is bool:
        return v
    if isinstance(v, dict) and set(v) == {"bstr"}:
        return _hex(v["bstr"], where)
    raise VectorSchemaError(f"{where}: not a value-json claim value")


def json_equal(a, b) -> bool:
    """Type-exact JSON equality (so true != 1); object key order is not significant."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def _settings(ver: dict, kind: str) -> VerifierSettings:
    """The verifier settings of a vector of this kind (each kind names only those it uses)."""
    s = VerifierSettings()
    s.accepted_algs = tuple(_int(a, "verifier.accepted_algs[]")
                            for a in _list(ver["accepted_algs"], "verifier.accepted_algs"))
    s.clock_skew = _int(ver["clock_skew"], "verifier.clock_skew")
    if kind == "presentation":
        s.max_age = _int(ver["max_age"], "verifier.max_age")
        s.max_input_size = _int(ver["max_input_size"], "verifier.max_input_size")
    else:
        s.max_status_list_token_size = _uint(ver["max_token_size"], "verifier.max_token_size")
        s.max_status_list_size = _uint(ver["max_list_size"], "verifier.max_list_size")
    return s


def _expected(exp, valid_keys) -> tuple:
    if not isinstance(exp, dict) or exp.get("result") not in ("valid", "invalid"):
        raise VectorSchemaError("expected.result: must be \"valid\" or \"invalid\"")
    if exp["result"] == "invalid":
        _keys(exp, "expected", ("result", "error"))
        return "invalid", _str(exp["error"], "expected.error")
    _keys(exp, "expected", ("result",) + tuple(valid_keys))
    return "valid", None


def _verdict(problems: list, expected_result: str, expected_error, run) -> object:
    """Run `run()`; compare with the expectation.  Returns the result object for valid
    expectations (None on any failure, with the reason appended to problems)."""
    if expected_error is not None and expected_error not in ERROR_CODES:
        problems.append(f"expected error {expected_error!r} is not a code of spec §13")
    try:
        result = run()
    except MlegitError as exc:
        if expected_result == "valid":
            problems.append(f"rejected with {exc.code} ({exc.detail}), expected valid")
        elif exc.code != expected_error:
            problems.append(f"rejected with {exc.code} ({exc.detail}), expected {expected_error}")
        return None
    if expected_result == "invalid":
        problems.append(f"accepted, expected {expected_error}")
        return None
    return result


ISSUER_KEY_KEYS = ("name", "kid", "private_scalar", "public_x", "public_y")
TRUST_INPUT_KEYS = ("key", "not_before", "not_after")
PRESENTATION_INPUT_KEYS = ("issuer_keys", "issuer", "trust", "device_private_scalar",
                           "presenting_private_scalar", "salt_secret", "credential_id", "claims",
                           "iat", "nbf", "exp", "status", "presented_at", "nonce", "audience",
                           "request_digest", "disclosed")
STATUS_LIST_INPUT_KEYS = ("issuer_keys", "trust", "list", "sub", "iat", "exp", "ttl")
STATUS_LIST_LIST_KEYS = ("bits", "entries", "set")
PRESENTATION_VERIFIER_KEYS = ("now", "clock_skew", "max_age", "max_input_size", "accepted_algs",
                              "expected_nonce", "expected_audience", "expected_request_digest")
STATUS_LIST_VERIFIER_KEYS = ("now", "clock_skew", "max_token_size", "max_list_size",
                             "accepted_algs", "expected_uri", "index")
PRESENTATION_EXPECTED_KEYS = ("claims", "presented_at", "not_before", "expires", "credential_id",
                              "status", "issuer_kid", "nonce", "audience", "request_digest")
STATUS_LIST_EXPECTED_KEYS = ("status", "value", "sub", "iat", "exp", "ttl", "bits", "entries",
                             "issuer_kid")
REQUEST_VECTOR_KEYS = ("name", "description", "kind", "inputs", "authority_list", "holder",
                       "request", "expected")
REQUEST_INPUT_KEYS = ("authority_keys", "authority", "authority_trust",
                      "verifier_private_scalar", "certificate", "request")
REQUEST_INPUT_CERTIFICATE_KEYS = ("name", "audience", "claims", "iat", "nbf", "exp")
REQUEST_INPUT_REQUEST_KEYS = ("nonce", "audience", "verifier_name", "claims", "created_at",
                              "response_key_scalar")
REQUEST_HOLDER_KEYS = ("now", "clock_skew", "engagement_key_digest")
REQUEST_EXPECTED_KEYS = ("verifier_name", "audience", "claims", "allowed_claims", "authority_kid",
                         "verifier_key_x", "verifier_key_y", "request_digest", "nonce",
                         "created_at", "not_before", "expires", "response_key_x",
                         "response_key_y")
RESPONSE_VECTOR_KEYS = ("name", "description", "kind", "inputs", "verifier", "response",
                        "expected")
RESPONSE_INPUT_KEYS = ("response_key_scalar", "sender_ikm", "relay_origin", "session_id",
                       "request_digest", "plaintext")
RESPONSE_VERIFIER_KEYS = ("response_key_scalar", "relay_origin", "session_id", "request_digest",
                          "max_input_size")
RESPONSE_EXPECTED_KEYS = ("plaintext",)
RESPONSE_KEY_NAME = "response key"       # test-vectors/README.md, named keys (v4)
TEST_KEY_NAMES = ("issuer A", "issuer B", "issuer unknown", "device", "other device",
                  "authority A", "authority B", "authority unknown", "verifier kino",
                  "verifier other", RESPONSE_KEY_NAME)   # every named key of the README
REFERENCE_PRESENTATION = "request_bound"  # a valid response's plaintext (test-vectors/README.md)
VERIFIER_KEY_NAMES = ("verifier kino", "verifier other")  # test-vectors/README.md, named keys


def check_key_inputs(inp: dict, trust_bytes: bytes, keys_field: str = "issuer_keys",
                     trust_field: str = "trust", list_name: str = "trust_list") -> list:
    """Generator checks for every vector: the test keys follow the derivation rule, and
    trust_list is the deterministic encoding of inputs.trust (for a request vector: the keys
    of inputs.authority_keys, and authority_list the encoding of inputs.authority_trust)."""
    p = []
    named = {}
    for i, k in enumerate(_list(inp[keys_field], f"inputs.{keys_field}")):
        where = f"inputs.{keys_field}[{i}]"
        _keys(k, where, ISSUER_KEY_KEYS)
        name = _str(k["name"], where + ".name")
        scalar = _hex(k["private_scalar"], where + ".private_scalar")
        if scalar != test_key_scalar(name):
            p.append(f"{where}: private_scalar != SHA-256(\"mlegit test key \" || name)")
        x, y = public_point(scalar)
        if (x, y) != (_hex(k["public_x"], where + ".public_x"), _hex(k["public_y"], where + ".public_y")):
            p.append(f"{where}: public point does not match private_scalar")
        if _hex(k["kid"], where + ".kid") != key_id(x, y):
            p.append(f"{where}: kid is not SHA-256(04 || x || y)[:8] (spec §3.8)")
        if name in named:
            p.append(f"{where}: name {name!r} listed twice")
        named[name] = (x, y)
    entries = []
    for i, t in enumerate(_list(inp[trust_field], f"inputs.{trust_field}")):
        where = f"inputs.{trust_field}[{i}]"
        _keys(t, where, TRUST_INPUT_KEYS)
        name = _str(t["key"], where + ".key")
        x, y = named[name] if name in named else public_point(test_key_scalar(name))
        entries.append({1: 2, 2: key_id(x, y), 3: ALG_ES256, -1: 1, -2: x, -3: y,
                        "not_after": _int(t["not_after"], where + ".not_after"),
                        "not_before": _int(t["not_before"], where + ".not_before")})
    if encode(entries) != trust_bytes:
        p.append(f"{list_name} is not the encoding of inputs.{trust_field}")
    return p


def run_presentation_vector(vec: dict, generator_checks: bool) -> list:
    problems: list[str] = []
    _keys(vec, "vector", ("name", "description", "kind", "inputs", "outputs", "trust_list",
                          "verifier", "presentation", "expected"))
    ver = vec["verifier"]
    _keys(ver, "verifier", PRESENTATION_VERIFIER_KEYS)
    settings = _settings(ver, "presentation")
    now = _int(ver["now"], "verifier.now")
    exp_nonce = _opt_hex(ver["expected_nonce"], "verifier.expected_nonce")
    exp_aud = _opt_str(ver["expected_audience"], "verifier.expected_audience")
    exp_digest = _opt_hex(ver["expected_request_digest"], "verifier.expected_request_digest")
    trust_bytes = _hex(vec["trust_list"], "trust_list")
    presentation = _hex(vec["presentation"], "presentation")
    _keys(vec["inputs"], "inputs", PRESENTATION_INPUT_KEYS)
    _keys(vec["outputs"], "outputs", ("credential", "disclosures", "digests"))
    result_kind, error = _expected(vec["expected"], PRESENTATION_EXPECTED_KEYS)

    def run():
        # The trust list is a verifier setting (spec §10.2: a verifier MUST NOT start with a
        # trust list that fails T1-T7); it is loaded before P1.
        trust = at_step("trust list", parse_trust_list, trust_bytes)
        return verify_presentation(presentation, trust, settings, now, exp_nonce, exp_aud,
                                   exp_digest)

    res = _verdict(problems, result_kind, error, run)
    if generator_checks:
        problems += check_key_inputs(vec["inputs"], trust_bytes)
    if res is None:
        if generator_checks:
            problems += check_negative_outputs(vec["outputs"], presentation)
        return problems
    # Exact expected outputs (spec §12.3).
    exp = vec["expected"]
    got = {
        "claims": {k: claim_to_json(v) for k, v in res.claims.items()},
        "presented_at": res.presented_at, "not_before": res.not_before, "expires": res.expires,
        "credential_id": res.credential_id.hex(),
        "status": {"uri": res.status_uri, "idx": res.status_idx},
        "issuer_kid": res.issuer_kid.hex(),
        "nonce": None if res.nonce is None else res.nonce.hex(),
        "audience": res.audience,
        "request_digest": None if res.request_digest is None else res.request_digest.hex(),
    }
    for k, v in got.items():
        if not json_equal(v, exp[k]):
            problems.append(f"expected.{k} = {json.dumps(exp[k])}, checker got {json.dumps(v)}")
    if isinstance(exp["claims"], dict) and list(exp["claims"]) != list(got["claims"]):
        problems.append(f"expected.claims order {list(exp['claims'])} is not the disclosure "
                        f"order {list(got['claims'])} (spec §12.3)")
    problems += check_outputs(vec["outputs"], res)
    if generator_checks:
        problems += check_inputs(vec["inputs"], res)
    return problems


def _lenient_field(data: bytes, index: int, key: int):
    """Element `index` of a CBOR array in data, then (if key is not None) the value under
    `key` of the map its bstr content holds; None when anything does not strictly decode."""
    try:
        item = strict_decode(data)
        if not (is_array(item) and len(item) > index):
            return None
        if key is None:
            return item[index]
        if not is_bstr(item[index]):
            return None
        m = strict_decode(item[index])
        return m.get(key) if is_map(m) else None
    except MlegitError:
        return None


def check_negative_outputs(out: dict, presentation: bytes) -> list:
    """Negative vectors (test-vectors/README.md): each listed disclosure's digest is SHA-256
    of its bytes (spec §6.2) and its claim the name its bytes hold; outputs.credential is the
    credential the presentation embeds, whenever its payload decodes; outputs.digests is the
    digest array of outputs.credential, whenever its payload decodes."""
    p = []
    for i, d in enumerate(_list(out["disclosures"], "outputs.disclosures")):
        where = f"outputs.disclosures[{i}]"
        _keys(d, where, ("claim", "bytes", "digest"))
        claim = _str(d["claim"], where + ".claim")
        raw = _hex(d["bytes"], where + ".bytes")
        if hashlib.sha256(raw).digest() != _hex(d["digest"], where + ".digest"):
            p.append(f"{where}: digest != SHA-256(bytes)")
        held = _lenient_field(raw, 1, None)
        if held is not None and held != claim:
            p.append(f"{where}: claim {claim!r} but the bytes hold {held!r}")
    digests = [_hex(d, f"outputs.digests[{i}]")
               for i, d in enumerate(_list(out["digests"], "outputs.digests"))]
    credential = _hex(out["credential"], "outputs.credential")
    embedded = _lenient_field(presentation, 2, 2)
    if embedded is not None and embedded != credential:
        p.append("outputs.credential differs from the credential inside the presentation")
    encoded = _lenient_field(credential, 2, 11)
    if encoded is not None and encoded != digests:
        p.append("outputs.digests differs from the digest array of outputs.credential")
    return p


def check_outputs(out: dict, res: PresentationResult) -> list:
    """Valid vectors: the "outputs" section is consistent with what was verified."""
    p = []
    digest_set = set(res.digests)
    if _hex(out["credential"], "outputs.credential") != res.credential:
        p.append("outputs.credential differs from the credential inside the presentation")
    if [_hex(d, "outputs.digests[]") for d in _list(out["digests"], "outputs.digests")] != res.digests:
        p.append("outputs.digests differs from the credential's digest array")
    listed_bytes, listed_claims = set(), set()
    for i, d in enumerate(_list(out["disclosures"], "outputs.disclosures")):
        where = f"outputs.disclosures[{i}]"
        _keys(d, where, ("claim", "bytes", "digest"))
        raw, digest = _hex(d["bytes"], where + ".bytes"), _hex(d["digest"], where + ".digest")
        if hashlib.sha256(raw).digest() != digest:
            p.append(f"{where}: digest != SHA-256(bytes)")
        if digest not in digest_set:
            p.append(f"{where}: digest not in the credential digest set")
        try:
            _, name, value = decode_disclosure(raw)
        except MlegitError as exc:
            p.append(f"{where}: does not decode as a disclosure ({exc.detail})")
            continue
        if name != d["claim"]:
            p.append(f"{where}: claim {d['claim']!r} but the bytes hold {name!r}")
        if name not in KNOWN_CLAIMS or not valid_claim_value(name, value):
            p.append(f"{where}: claim {name!r} has an invalid value")
        if raw in listed_bytes or name in listed_claims:
            p.append(f"{where}: listed twice")
        listed_bytes.add(raw)
        listed_claims.add(name)
    for raw, _, name, _ in res.disclosures:
        if raw not in listed_bytes:
            p.append(f"presented disclosure {name!r} is not among outputs.disclosures")
    return p


def _nth_birthday(born: datetime.date, n: int) -> datetime.date:
    """spec §11.7: born on Feb 29, the birthday in a common year is Mar 1."""
    try:
        return born.replace(year=born.year + n)
    except ValueError:
        return datetime.date(born.year + n, 3, 1)


def check_inputs(inp: dict, res: PresentationResult) -> list:
    """Generator checks for valid presentation vectors (disable with --no-generator-checks):
    the informative "inputs" agree with the verified objects, the reference HKDF salt/decoy
    derivation (spec §6.3, §6.4) reproduces the digest set, and the issuer-only rules of
    spec §11.7 hold."""
    p = []
    keys = {k["name"]: k for k in inp["issuer_keys"]}
    issuer = _str(inp["issuer"], "inputs.issuer")
    if issuer not in keys:
        p.append(f"inputs.issuer {issuer!r} is not among inputs.issuer_keys")
    elif _hex(keys[issuer]["kid"], "inputs.issuer_keys[].kid") != res.issuer_kid:
        p.append("the credential kid is not the kid of inputs.issuer")
    elif rfc6979_low_s(_hex(keys[issuer]["private_scalar"], "private_scalar"),
                       res.credential_cose) != res.credential_cose.signature:
        p.append("the issuer signature is not the RFC 6979 low-S signature of inputs.issuer")
    presenting = _hex(inp["presenting_private_scalar"], "inputs.presenting_private_scalar")
    if rfc6979_low_s(presenting, res.presentation_cose) != res.presentation_cose.signature:
        p.append("the device signature is not the RFC 6979 low-S signature of presenting_private_scalar")
    dev = public_point(_hex(inp["device_private_scalar"], "inputs.device_private_scalar"))
    if dev != (res.device_x, res.device_y):
        p.append("inputs.device_private_scalar does not match the credential device_key")
    pres = public_point(_hex(inp["presenting_private_scalar"], "inputs.presenting_private_scalar"))
    if pres != (res.device_x, res.device_y):
        p.append("inputs.presenting_private_scalar is not the device key, yet the presentation verified")
    for name, got in (("credential_id", res.credential_id), ("nonce", res.nonce),
                      ("request_digest", res.request_digest)):
        if _opt_hex(inp[name], "inputs." + name) != got:
            p.append(f"inputs.{name} differs from the presentation")
    for name, got in (("iat", res.iat), ("nbf", res.not_before), ("exp", res.expires),
                      ("presented_at", res.presented_at), ("audience", res.audience),
                      ("status", {"uri": res.status_uri, "idx": res.status_idx})):
        if not json_equal(inp[name], got):
            p.append(f"inputs.{name} = {inp[name]!r}, presentation has {got!r}")
    if not isinstance(inp["claims"], dict):
        raise VectorSchemaError("inputs.claims: not an object")
    claims = {k: claim_from_json(v, f"inputs.claims.{k}") for k, v in inp["claims"].items()}
    for k, v in res.claims.items():
        if k not in claims or not json_equal(claim_to_json(claims[k]), claim_to_json(v)):
            p.append(f"disclosed {k!r} differs from inputs.claims")
    p += issuer_rule_problems(claims, res.iat)
    if _list(inp["disclosed"], "inputs.disclosed") != list(res.claims):
        p.append(f"inputs.disclosed {inp['disclosed']!r} != disclosed claims {list(res.claims)}")
    secret = _hex(inp["salt_secret"], "inputs.salt_secret")
    prk = hkdf_extract(res.credential_id, secret)
    for raw, salt, name, _ in res.disclosures:
        if salt != reference_salt(prk, name):
            p.append(f"salt of {name!r} is not the spec §6.3 HKDF salt")
    if len(claims) > 32:
        p.append("more than 32 claims")
    else:
        digests = [hashlib.sha256(encode([reference_salt(prk, n), n, v])).digest()
                   for n, v in claims.items()]
        digests += [reference_decoy(prk, i) for i in range(32 - len(claims))]
        if sorted(digests) != res.digests:
            p.append("digest set != sorted(claim digests + spec §6.4 decoys) from inputs")
    return p


def issuer_rule_problems(claims: dict, iat: int) -> list:
    """spec §11.7 issuer-only rules, for the claims a (valid) vector says were issued."""
    p = []
    for name, v in claims.items():
        if name not in KNOWN_CLAIMS or not valid_claim_value(name, v):
            p.append(f"issued claim {name!r} invalid per spec §11")
    if "holder_status" not in claims:
        p.append("holder_status not issued (spec §11.7 rule 1)")
    born = parse_date(claims.get("birth_date"))
    if "pesel" in claims and born is not None and pesel_birth_date(claims["pesel"]) != born:
        p.append("PESEL birth date != birth_date (spec §11.7 rule 2)")
    issued, expiry = parse_date(claims.get("issue_date")), parse_date(claims.get("expiry_date"))
    if issued is not None and expiry is not None and issued > expiry:
        p.append("issue_date > expiry_date (spec §11.7 rule 3)")
    if born is not None:
        try:
            iat_date = datetime.datetime.fromtimestamp(iat, tz=datetime.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            iat_date = None
        if iat_date is not None:
            for n in (13, 16, 18):
                should = _nth_birthday(born, n) <= iat_date
                if (f"age_over_{n}" in claims) != should:
                    p.append(f"age_over_{n} {'missing' if should else 'issued'} (spec §11.7 rule 4)")
    return p


def status_array_from_inputs(lst: dict) -> bytes:
    """The inflated array that inputs.list describes: entries * bits / 8 bytes, every entry 0
    except those of `set` ([index, value] pairs), packed as spec §9 says."""
    bits = _int(lst["bits"], "inputs.list.bits")
    entries = _int(lst["entries"], "inputs.list.entries")
    if bits not in STATUS_LIST_BITS:
        raise VectorSchemaError(f"inputs.list.bits = {bits}, not 1, 2, 4 or 8")
    if entries < 0 or entries * bits % 8:
        raise VectorSchemaError("inputs.list: entries * bits is not a whole number of bytes")
    array = bytearray(entries * bits // 8)
    seen = set()
    for j, pair in enumerate(_list(lst["set"], "inputs.list.set")):
        where = f"inputs.list.set[{j}]"
        if not (isinstance(pair, list) and len(pair) == 2):
            raise VectorSchemaError(f"{where}: not an [index, value] pair")
        index, value = _int(pair[0], where + "[0]"), _int(pair[1], where + "[1]")
        if not 0 <= index < entries:
            raise VectorSchemaError(f"{where}: index {index} outside 0..{entries}")
        if not 0 <= value < 1 << bits:
            raise VectorSchemaError(f"{where}: value {value} does not fit in {bits} bit(s)")
        if index in seen:
            raise VectorSchemaError(f"{where}: index {index} set twice")
        seen.add(index)
        first_bit = index * bits
        array[first_bit // 8] |= value << (first_bit % 8)
    return bytes(array)


def check_status_list_inputs(inp: dict, sl: StatusList) -> list:
    """Generator checks for valid status list vectors: the token holds exactly what `inputs`
    describe, signed with the RFC 6979 low-S signature of the issuer key that has its kid."""
    p = []
    signers = [k for k in inp["issuer_keys"] if _hex(k["kid"], "kid") == sl.issuer_kid]
    if len(signers) != 1:
        p.append("the token's kid is not the kid of exactly one of inputs.issuer_keys")
    elif rfc6979_low_s(_hex(signers[0]["private_scalar"], "private_scalar"), sl.cose) != sl.cose.signature:
        p.append("the token's signature is not the RFC 6979 low-S signature of its issuer key")
    lst = inp["list"]
    if status_array_from_inputs(lst) != sl.array:
        p.append("the inflated array is not the array inputs.list describes")
    for name, got in (("bits", sl.bits), ("entries", sl.entries)):
        if not json_equal(lst[name], got):
            p.append(f"inputs.list.{name} = {lst[name]!r}, the token has {got!r}")
    for name, got in (("sub", sl.sub), ("iat", sl.iat), ("exp", sl.exp), ("ttl", sl.ttl)):
        if not json_equal(inp[name], got):
            p.append(f"inputs.{name} = {inp[name]!r}, the token has {got!r}")
    return p


def run_status_list_vector(vec: dict, generator_checks: bool) -> list:
    problems: list[str] = []
    _keys(vec, "vector", ("name", "description", "kind", "inputs", "trust_list", "verifier",
                          "token", "expected"))
    ver = vec["verifier"]
    _keys(ver, "verifier", STATUS_LIST_VERIFIER_KEYS)
    settings = _settings(ver, "status_list")
    now = _int(ver["now"], "verifier.now")
    expected_uri = _str(ver["expected_uri"], "verifier.expected_uri")
    index = _uint(ver["index"], "verifier.index")
    trust_bytes = _hex(vec["trust_list"], "trust_list")
    token = _hex(vec["token"], "token")
    inp = vec["inputs"]
    _keys(inp, "inputs", STATUS_LIST_INPUT_KEYS)
    _keys(inp["list"], "inputs.list", STATUS_LIST_LIST_KEYS)
    result_kind, error = _expected(vec["expected"], STATUS_LIST_EXPECTED_KEYS)

    def run():
        trust = at_step("trust list", parse_trust_list, trust_bytes)
        sl = verify_status_list(token, trust, settings, now, expected_uri)      # L1-L11
        return sl, check_status(sl, expected_uri, index, now, settings.clock_skew)  # L12

    res = _verdict(problems, result_kind, error, run)
    if generator_checks:
        problems += check_key_inputs(inp, trust_bytes)
    if res is None:
        return problems
    sl, value = res
    exp = vec["expected"]
    got = {"status": status_name(value), "value": value, "sub": sl.sub, "iat": sl.iat,
           "exp": sl.exp, "ttl": sl.ttl, "bits": sl.bits, "entries": sl.entries,
           "issuer_kid": sl.issuer_kid.hex()}
    for k, v in got.items():
        if not json_equal(v, exp[k]):
            problems.append(f"expected.{k} = {json.dumps(exp[k])}, checker got {json.dumps(v)}")
    if generator_checks:
        problems += check_status_list_inputs(inp, sl)
    return problems


def request_expected(res: RequestResult) -> dict:
    """The `expected` object of a valid request vector for this result (test-vectors/README.md):
    the certificate's fields are null for an unsigned request."""
    def h(b):
        return None if b is None else b.hex()
    return {
        "verifier_name": res.verifier_name, "audience": res.audience, "claims": list(res.claims),
        "allowed_claims": None if res.allowed_claims is None else list(res.allowed_claims),
        "authority_kid": h(res.authority_kid), "verifier_key_x": h(res.verifier_x),
        "verifier_key_y": h(res.verifier_y), "request_digest": h(res.request_digest),
        "nonce": res.nonce.hex(), "created_at": res.created_at,
        "not_before": res.not_before, "expires": res.expires,
        "response_key_x": h(res.response_x), "response_key_y": h(res.response_y),
    }


def check_verifier_scalar(inp: dict) -> list:
    """Generator check for every request vector: inputs.verifier_private_scalar is the scalar
    of one of the named verifier keys (SHA-256("mlegit test key " || name))."""
    scalar = _hex(inp["verifier_private_scalar"], "inputs.verifier_private_scalar")
    public_point(scalar)  # a scalar in 1..n-1
    if scalar not in {test_key_scalar(n) for n in VERIFIER_KEY_NAMES}:
        return ["inputs.verifier_private_scalar is not the scalar of "
                + " or ".join(repr(n) for n in VERIFIER_KEY_NAMES)]
    return []


def check_request_inputs(inp: dict, res: RequestResult) -> list:
    """Generator checks for valid request vectors: inputs.request (and, for a signed request,
    inputs.certificate and the verifier key) describe exactly what was verified, and both
    signatures are the RFC 6979 low-S signatures of their keys."""
    p = []
    r = inp["request"]
    if _hex(r["nonce"], "inputs.request.nonce") != res.nonce:
        p.append("inputs.request.nonce differs from the request")
    scalar = _opt_hex(r["response_key_scalar"], "inputs.request.response_key_scalar")
    key = (None, None) if scalar is None else public_point(scalar)
    if key != (res.response_x, res.response_y):
        p.append("the request's key 8 is not the public key of inputs.request.response_key_scalar"
                 if scalar is not None else "inputs.request.response_key_scalar is null, yet "
                 "the request has key 8")
    for name, got in (("audience", res.audience), ("verifier_name", res.verifier_name),
                      ("claims", res.claims), ("created_at", res.created_at)):
        if not json_equal(r[name], got):
            p.append(f"inputs.request.{name} = {r[name]!r}, the request has {got!r}")
    if not res.signed:
        return p
    c = inp["certificate"]
    for name, got in (("name", res.certificate_name), ("audience", res.certificate_audience),
                      ("claims", res.allowed_claims), ("iat", res.certificate_iat),
                      ("nbf", res.not_before), ("exp", res.expires)):
        if not json_equal(c[name], got):
            p.append(f"inputs.certificate.{name} = {c[name]!r}, the certificate has {got!r}")
    scalar = _hex(inp["verifier_private_scalar"], "inputs.verifier_private_scalar")
    if public_point(scalar) != (res.verifier_x, res.verifier_y):
        p.append("the certificate's verifier_key is not the key of inputs.verifier_private_scalar")
    if rfc6979_low_s(scalar, res.request_cose) != res.request_cose.signature:
        p.append("the request signature is not the RFC 6979 low-S signature of "
                 "inputs.verifier_private_scalar")
    signers = [k for k in inp["authority_keys"]
               if _hex(k["kid"], "inputs.authority_keys[].kid") == res.authority_kid]
    if len(signers) != 1:
        p.append("the certificate's kid is not the kid of exactly one of inputs.authority_keys")
    elif rfc6979_low_s(_hex(signers[0]["private_scalar"], "private_scalar"),
                       res.certificate_cose) != res.certificate_cose.signature:
        p.append("the certificate signature is not the RFC 6979 low-S signature of its "
                 "authority key")
    return p


def run_request_vector(vec: dict, generator_checks: bool) -> list:
    problems: list[str] = []
    _keys(vec, "vector", REQUEST_VECTOR_KEYS)
    holder = vec["holder"]
    _keys(holder, "holder", REQUEST_HOLDER_KEYS)
    now = _int(holder["now"], "holder.now")
    skew = _int(holder["clock_skew"], "holder.clock_skew")
    key_digest = _engagement_key_digest(holder)
    list_bytes = _hex(vec["authority_list"], "authority_list")
    request = _hex(vec["request"], "request")
    inp = vec["inputs"]
    _keys(inp, "inputs", REQUEST_INPUT_KEYS)
    authority = _str(inp["authority"], "inputs.authority")
    _keys(inp["certificate"], "inputs.certificate", REQUEST_INPUT_CERTIFICATE_KEYS)
    _keys(inp["request"], "inputs.request", REQUEST_INPUT_REQUEST_KEYS)
    response_scalar = _opt_hex(inp["request"]["response_key_scalar"],
                               "inputs.request.response_key_scalar")
    if response_scalar is not None:
        public_point(response_scalar)  # a scalar in 1..n-1
    result_kind, error = _expected(vec["expected"], REQUEST_EXPECTED_KEYS)

    def run():
        # The authority list is a holder setting checked like a trust list (spec §10.2);
        # it is loaded before A1 (or R1).  E1-E2 (v4) run after R1-R5 or A1-A12 when the
        # holder names an engagement key digest.
        authorities = at_step("authority list", parse_trust_list, list_bytes)
        return holder_check(request, authorities, now, skew, key_digest)

    res = _verdict(problems, result_kind, error, run)
    if generator_checks:
        problems += check_key_inputs(inp, list_bytes, "authority_keys", "authority_trust",
                                     "authority_list")
        problems += check_verifier_scalar(inp)
        if response_scalar is not None and \
                named_key(int.from_bytes(response_scalar, "big")) is None:
            problems.append("inputs.request.response_key_scalar is not the scalar of a named "
                            "test key")
        # inputs.authority names the key that signed the certificate: one of authority_keys.
        names = [k.get("name") for k in inp["authority_keys"] if isinstance(k, dict)]
        if authority not in names:
            problems.append(f"inputs.authority {authority!r} is not one of inputs.authority_keys")
    if res is None:
        return problems
    exp = vec["expected"]
    for k, v in request_expected(res).items():
        if not json_equal(v, exp[k]):
            problems.append(f"expected.{k} = {json.dumps(exp[k])}, checker got {json.dumps(v)}")
    if generator_checks:
        problems += check_request_inputs(inp, res)
    return problems


def _engagement_key_digest(holder: dict):
    """holder.engagement_key_digest: hex of the 16 bytes of spec §18.1, or null."""
    kd = _opt_hex(holder["engagement_key_digest"], "holder.engagement_key_digest")
    if kd is not None and len(kd) != KEY_DIGEST_SIZE:
        raise VectorSchemaError(f"holder.engagement_key_digest: {len(kd)} bytes, not "
                                f"{KEY_DIGEST_SIZE}")
    return kd


def _scalar(v, where: str) -> int:
    """A P-256 private scalar: hex of 32 bytes, in 1..n-1."""
    b = _hex(v, where)
    d = int.from_bytes(b, "big")
    if len(b) != 32 or not 1 <= d < P256_N:
        raise VectorSchemaError(f"{where}: not a 32-byte scalar in 1..n-1")
    return d


def _binding(obj: dict, where: str) -> bytes:
    """The session binding of a response vector's inputs or verifier: HPKE info (§18.2)."""
    origin = _str(obj["relay_origin"], where + ".relay_origin")
    sid = _hex(obj["session_id"], where + ".session_id")
    digest = _hex(obj["request_digest"], where + ".request_digest")
    if len(sid) != SESSION_ID_SIZE:
        raise VectorSchemaError(f"{where}.session_id: {len(sid)} bytes, not {SESSION_ID_SIZE}")
    if len(digest) != REQUEST_DIGEST_SIZE:
        raise VectorSchemaError(f"{where}.request_digest: {len(digest)} bytes, not "
                                f"{REQUEST_DIGEST_SIZE}")
    return session_info(origin, sid, digest)


_REFERENCE_CACHE: dict = {}


def reference_presentation(vector_file: str | None):
    """The bytes of the presentation vector `request_bound` of the presentations.json beside
    vector_file (a valid response's plaintext, test-vectors/README.md); None if there is no
    such file or vector."""
    if vector_file is None:
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(vector_file)), "presentations.json")
    if path not in _REFERENCE_CACHE:
        found = None
        try:
            for v in load_json(path)["vectors"]:
                if isinstance(v, dict) and v.get("name") == REFERENCE_PRESENTATION \
                        and v.get("kind") == "presentation":
                    found = _hex(v["presentation"], f"{path}: {REFERENCE_PRESENTATION}")
                    break
        except (OSError, ValueError, KeyError, TypeError, VectorSchemaError):
            found = None
        _REFERENCE_CACHE[path] = found
    return _REFERENCE_CACHE[path]


def named_key(scalar: int):
    """The README name of the test key with this private scalar, or None."""
    for name in TEST_KEY_NAMES:
        if int.from_bytes(test_key_scalar(name), "big") == scalar:
            return name
    return None


def check_response_scalars(sealed_to: int, opened_with: int) -> list:
    """Generator check for every response vector: both scalars (the key the holder sealed to,
    inputs; the key the verifier opens with, verifier) are named test keys, and at least one
    of them is the "response key" (a negative vector may put another named key on either
    side)."""
    p = []
    names = []
    for where, scalar in (("inputs", sealed_to), ("verifier", opened_with)):
        name = named_key(scalar)
        if name is None:
            p.append(f"{where}.response_key_scalar is not the scalar of a named test key")
        names.append(name)
    if not p and RESPONSE_KEY_NAME not in names:
        p.append(f"neither inputs.response_key_scalar nor verifier.response_key_scalar is the "
                 f"scalar of {RESPONSE_KEY_NAME!r}")
    return p


def check_response_inputs(inp: dict, ver: dict, response: bytes, plaintext: bytes,
                          vector_file: str | None) -> list:
    """Generator checks for valid response vectors: the verifier opened with what the holder
    sealed with (inputs = verifier); the plaintext is inputs.plaintext and the presentation
    request_bound; and `response` is exactly the sealing of inputs.plaintext to the public key
    of inputs.response_key_scalar with the ephemeral key DeriveKeyPair(inputs.sender_ikm)
    (RFC 9180 §7.1.3) and the info of inputs (spec §18.2, §18.3)."""
    p = []
    for name in ("response_key_scalar", "relay_origin", "session_id", "request_digest"):
        if not json_equal(inp[name], ver[name]):
            p.append(f"inputs.{name} differs from verifier.{name} in a valid vector")
    if _hex(inp["plaintext"], "inputs.plaintext") != plaintext:
        p.append("inputs.plaintext differs from the opened plaintext")
    reference = reference_presentation(vector_file)
    if reference is None:
        p.append(f"no presentation vector {REFERENCE_PRESENTATION!r} in the presentations.json "
                 "beside this file: the plaintext cannot be checked")
    elif reference != plaintext:
        p.append(f"the plaintext is not the presentation {REFERENCE_PRESENTATION!r}")
    sk_e = derive_key_pair(_hex(inp["sender_ikm"], "inputs.sender_ikm"))
    pk_rm = public_key_bytes(_scalar(inp["response_key_scalar"], "inputs.response_key_scalar"))
    sealed = seal_response(pk_rm, _binding(inp, "inputs"),
                           _hex(inp["plaintext"], "inputs.plaintext"), sk_e)
    if sealed != response:
        p.append("response is not the sealing of inputs.plaintext with the ephemeral key "
                 "DeriveKeyPair(inputs.sender_ikm)")
    return p


def run_response_vector(vec: dict, generator_checks: bool, vector_file: str | None = None) -> list:
    problems: list[str] = []
    _keys(vec, "vector", RESPONSE_VECTOR_KEYS)
    ver = vec["verifier"]
    _keys(ver, "verifier", RESPONSE_VERIFIER_KEYS)
    sk_r = _scalar(ver["response_key_scalar"], "verifier.response_key_scalar")
    info = _binding(ver, "verifier")
    max_size = _uint(ver["max_input_size"], "verifier.max_input_size")
    response = _hex(vec["response"], "response")
    inp = vec["inputs"]
    _keys(inp, "inputs", RESPONSE_INPUT_KEYS)
    in_scalar = _scalar(inp["response_key_scalar"], "inputs.response_key_scalar")
    _hex(inp["sender_ikm"], "inputs.sender_ikm")
    _binding(inp, "inputs")
    _hex(inp["plaintext"], "inputs.plaintext")
    result_kind, error = _expected(vec["expected"], RESPONSE_EXPECTED_KEYS)
    res = _verdict(problems, result_kind, error,
                   lambda: open_response(response, sk_r, info, max_size))
    if generator_checks:
        problems += check_response_scalars(in_scalar, sk_r)
    if res is None:
        return problems
    if _hex(vec["expected"]["plaintext"], "expected.plaintext") != res:
        problems.append("expected.plaintext differs from the plaintext the checker opened")
    if generator_checks:
        problems += check_response_inputs(inp, ver, response, res, vector_file)
    return problems


ACTIVATION_VECTOR_KEYS = ("name", "description", "kind", "inputs", "outputs", "expected")
ACTIVATION_INPUT_KEYS = ("activation_id", "challenge", "device_scalars", "device_keys", "proofs")
ACTIVATION_OUTPUT_KEYS = ("keys_digest", "payload")
ACTIVATION_EXPECTED_KEYS = ("result", "error", "index", "step", "code")
ACTIVATION_KEY_PREFIX = "mlegit test vector activation key "   # test-vectors/README.md
ACTIVATION_KEY_SEARCH = 256   # the generator checks look the derivation up for i in 0..=255
# The codes a "malformed" proof may carry: those of §2 and §3 (spec §19.3, B3), i.e. the
# decoding (C1, C5: §2.3) and the COSE steps (C2-C7, H1-H5).
COSE_STEP_CODES = frozenset(REGISTRY_CODES[REGISTRY_CODES.index("cbor_malformed"):
                                           REGISTRY_CODES.index("kid_missing") + 1])


def activation_key_scalar(i: int) -> bytes:
    """test-vectors/README.md: activation key i's scalar is SHA-256 of the ASCII text
    "mlegit test vector activation key i" (i in decimal, from 0)."""
    return hashlib.sha256(f"{ACTIVATION_KEY_PREFIX}{i}".encode("ascii")).digest()


_ACTIVATION_INDEX: dict = {}


def activation_key_index(scalar: bytes):
    """The i of the activation key with this scalar (i < ACTIVATION_KEY_SEARCH), or None."""
    if not _ACTIVATION_INDEX:
        for i in range(ACTIVATION_KEY_SEARCH):
            _ACTIVATION_INDEX[activation_key_scalar(i)] = i
    return _ACTIVATION_INDEX.get(scalar)


def activation_inputs(inp) -> tuple:
    """The inputs of an activation vector, schema-checked: (activation_id, challenge,
    scalars (bytes or None, one per key), keys (65-byte points), proofs (bytes))."""
    _keys(inp, "inputs", ACTIVATION_INPUT_KEYS)
    activation_id = _str(inp["activation_id"], "inputs.activation_id")
    challenge = _hex(inp["challenge"], "inputs.challenge")
    keys = []
    for i, k in enumerate(_list(inp["device_keys"], "inputs.device_keys")):
        point = _hex(k, f"inputs.device_keys[{i}]")
        if sec1_public_key(point) is None:
            raise VectorSchemaError(f"inputs.device_keys[{i}]: not the 65-byte SEC1 uncompressed "
                                    "encoding of a valid P-256 point")
        keys.append(point)
    scalars = []
    for i, s in enumerate(_list(inp["device_scalars"], "inputs.device_scalars")):
        if s is None:
            scalars.append(None)
            continue
        b = _hex(s, f"inputs.device_scalars[{i}]")
        if len(b) != 32 or not 1 <= int.from_bytes(b, "big") < P256_N:
            raise VectorSchemaError(f"inputs.device_scalars[{i}]: not a 32-byte scalar in 1..n-1")
        scalars.append(b)
    if len(scalars) != len(keys):
        raise VectorSchemaError(f"inputs.device_scalars: {len(scalars)} entries for "
                                f"{len(keys)} keys (one per key)")
    proofs = [_hex(p, f"inputs.proofs[{i}]")
              for i, p in enumerate(_list(inp["proofs"], "inputs.proofs"))]
    return activation_id, challenge, scalars, keys, proofs


def activation_expected(exp) -> dict:
    """expected of an activation vector, schema-checked: every key of
    ACTIVATION_EXPECTED_KEYS, nothing else; the values' types."""
    _keys(exp, "expected", ACTIVATION_EXPECTED_KEYS)
    if exp["result"] not in ("valid", "invalid"):
        raise VectorSchemaError("expected.result: must be \"valid\" or \"invalid\"")
    if exp["error"] is not None and exp["error"] not in PROOF_ERROR_STEPS:
        raise VectorSchemaError(f"expected.error: {exp['error']!r} is not one of "
                                f"{sorted(PROOF_ERROR_STEPS)} or null")
    if exp["index"] is not None:
        _uint(exp["index"], "expected.index")
    if exp["step"] is not None and exp["step"] not in ("B1", "B2", "B3", "B4", "B5"):
        raise VectorSchemaError(f"expected.step: {exp['step']!r} is not B1..B5 or null")
    _opt_str(exp["code"], "expected.code")
    return dict(exp)


def activation_expected_problems(exp: dict) -> list:
    """What an activation vector's expected says that no outcome of B1-B5 can be."""
    p = []
    err = exp["error"]
    if exp["result"] == "valid":
        if any(exp[k] is not None for k in ("error", "index", "step", "code")):
            p.append("expected: a valid vector has error, index, step and code all null")
        return p
    if err is None:
        return ["expected: an invalid vector names its error"]
    if exp["step"] != PROOF_ERROR_STEPS[err]:
        p.append(f"expected.step {exp['step']!r}: {err} is step {PROOF_ERROR_STEPS[err]}")
    if (exp["index"] is None) != (err == "batch_size"):
        p.append("expected.index: null exactly for batch_size")
    if (exp["code"] is None) != (err != "malformed"):
        p.append("expected.code: a code exactly for malformed")
    elif exp["code"] is not None and exp["code"] not in COSE_STEP_CODES:
        p.append(f"expected.code {exp['code']!r} is not a §2 or §3 code of spec §13")
    return p


def activation_outcome(activation_id: str, challenge: bytes, keys, proofs) -> dict:
    """B1-B5 on the inputs: the expected-shaped outcome, and "path" (the steps, "B3/H5")."""
    try:
        verify_activation(activation_id, challenge, keys, proofs)
    except ProofError as exc:
        return {"result": "invalid", "error": exc.kind, "index": exc.index, "step": exc.step,
                "code": exc.code, "path": step_path(exc.detail) or exc.step}
    return {"result": "valid", "error": None, "index": None, "step": None, "code": None,
            "path": ""}


def check_activation_inputs(scalars: list, keys: list, proofs: list, valid: bool) -> list:
    """Generator checks of an activation vector: each scalar that is not null is that of
    activation key i for some i (test-vectors/README.md) and gives the key at its position;
    in a valid vector every scalar is known and each proof's signature is the RFC 6979 low-S
    signature of its key's scalar."""
    p = []
    for i, (scalar, key) in enumerate(zip(scalars, keys)):
        if scalar is None:
            if valid:
                p.append(f"inputs.device_scalars[{i}] is null in a valid vector")
            continue
        if activation_key_index(scalar) is None:
            p.append(f"inputs.device_scalars[{i}] is not SHA-256(\"{ACTIVATION_KEY_PREFIX}i\") "
                     f"for any i < {ACTIVATION_KEY_SEARCH}")
        x, y = public_point(scalar)
        if b"\x04" + x + y != key:
            p.append(f"inputs.device_scalars[{i}] does not give inputs.device_keys[{i}]")
        elif valid:
            cose = decode_cose_sign1(proofs[i], TYP_ACTIVATION, False, ACTIVATION_ALGS)
            if rfc6979_low_s(scalar, cose) != cose.signature:
                p.append(f"proof {i}'s signature is not the RFC 6979 low-S signature of its key")
    return p


def run_activation_vector(vec: dict, generator_checks: bool) -> list:
    problems: list[str] = []
    _keys(vec, "vector", ACTIVATION_VECTOR_KEYS)
    activation_id, challenge, scalars, keys, proofs = activation_inputs(vec["inputs"])
    out = vec["outputs"]
    _keys(out, "outputs", ACTIVATION_OUTPUT_KEYS)
    out_digest = _hex(out["keys_digest"], "outputs.keys_digest")
    out_payload = _hex(out["payload"], "outputs.payload")
    exp = activation_expected(vec["expected"])
    problems += activation_expected_problems(exp)
    # outputs: what the issuer computes from the keys as received (spec §19.2), for B4.
    digest = keys_digest(keys)
    if out_digest != digest:
        problems.append(f"outputs.keys_digest {out_digest.hex()}, checker computes {digest.hex()}")
    payload = activation_payload(activation_id, challenge, digest)
    if out_payload != payload:
        problems.append(f"outputs.payload {out_payload.hex()}, checker computes {payload.hex()}")
    got = activation_outcome(activation_id, challenge, keys, proofs)
    wrong = [k for k in ACTIVATION_EXPECTED_KEYS if not json_equal(got[k], exp[k])]
    if wrong:
        def show(o):
            return json.dumps({k: o[k] for k in ACTIVATION_EXPECTED_KEYS})
        problems.append(f"checker: {show(got)} at {got['path'] or 'B1-B5 pass'}, "
                        f"expected {show(exp)}")
    if generator_checks:
        problems += check_activation_inputs(scalars, keys, proofs,
                                            got["result"] == "valid" and exp["result"] == "valid")
    return problems


_STEP_TOKEN = re.compile(r"^(Decode|[ABCDEFHKLMOPRTVX][0-9]{1,2}[a-d]?):?$")


def step_path(detail: str) -> str:
    """The spec step labels named in a rejection's detail, outermost first ("P4/C5/D1")."""
    return "/".join(t.rstrip(":") for t in detail.split() if _STEP_TOKEN.match(t))


def evaluate(vec: dict):
    """Verify one (schema-valid) vector without comparing: returns ("valid", result) or
    (error code, step path).  Used by list_vectors.py."""
    if vec["kind"] == "activation":
        activation_id, challenge, _, keys, proofs = activation_inputs(vec["inputs"])
        got = activation_outcome(activation_id, challenge, keys, proofs)
        return ("valid", got) if got["result"] == "valid" else (got["error"], got["path"])
    try:
        if vec["kind"] == "request":
            authorities = at_step("authority list", parse_trust_list,
                                  _hex(vec["authority_list"], "authority_list"))
            res = holder_check(_hex(vec["request"], "request"), authorities,
                               _int(vec["holder"]["now"], "holder.now"),
                               _int(vec["holder"]["clock_skew"], "holder.clock_skew"),
                               _engagement_key_digest(vec["holder"]))
            return "valid", res
        if vec["kind"] == "response":
            ver = vec["verifier"]
            res = open_response(_hex(vec["response"], "response"),
                                _scalar(ver["response_key_scalar"], "verifier.response_key_scalar"),
                                _binding(ver, "verifier"),
                                _uint(ver["max_input_size"], "verifier.max_input_size"))
            return "valid", res
        ver = vec["verifier"]
        trust = at_step("trust list", parse_trust_list, _hex(vec["trust_list"], "trust_list"))
        if vec["kind"] == "presentation":
            res = verify_presentation(_hex(vec["presentation"], "presentation"), trust,
                                      _settings(ver, "presentation"), ver["now"],
                                      _opt_hex(ver["expected_nonce"], "expected_nonce"),
                                      ver["expected_audience"],
                                      _opt_hex(ver["expected_request_digest"],
                                               "expected_request_digest"))
        else:
            settings = _settings(ver, "status_list")
            sl = verify_status_list(_hex(vec["token"], "token"), trust, settings, ver["now"],
                                    ver["expected_uri"])
            res = sl, check_status(sl, ver["expected_uri"], _uint(ver["index"], "verifier.index"),
                                   ver["now"], settings.clock_skew)
    except MlegitError as exc:
        return exc.code, step_path(exc.detail)
    return "valid", res


def run_vector(vec, generator_checks: bool = True, vector_file: str | None = None) -> list:
    """Problems found for one vector (empty list = pass).  Never skips.  vector_file: the
    file it came from (a response vector's generator checks read the presentations.json
    beside it)."""
    try:
        if not isinstance(vec, dict):
            return ["vector is not an object"]
        for k in ("name", "description"):
            if k in vec and type(vec[k]) is not str:
                raise VectorSchemaError(f"{k}: not a string")
        kind = vec.get("kind")
        if kind == "presentation":
            return run_presentation_vector(vec, generator_checks)
        if kind == "status_list":
            return run_status_list_vector(vec, generator_checks)
        if kind == "request":
            return run_request_vector(vec, generator_checks)
        if kind == "response":
            return run_response_vector(vec, generator_checks, vector_file)
        if kind == "activation":
            return run_activation_vector(vec, generator_checks)
        return [f"unknown kind {kind!r}"]
    except VectorSchemaError as exc:
        return [f"schema: {exc}"]
    except CheckerBug as exc:
        return [f"CHECKER BUG: {exc}"]
    except Exception as exc:  # noqa: BLE001 - never let one vector stop the run, never skip
        return [f"CHECKER BUG (unexpected {type(exc).__name__}): {exc}"]


def load_json(path: str):
    """Parse a vector file, rejecting duplicate JSON object keys."""
    def no_duplicate_keys(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate JSON key among {keys}")
        return dict(pairs)

    with open(path, encoding="utf-8") as fh:
        return json.load(fh, object_pairs_hook=no_duplicate_keys)


def run_file(path: str, generator_checks: bool = True):
    """Returns (passed, failures) where failures is a list of (label, reason)."""
    failures, passed = [], 0
    try:
        doc = load_json(path)
    except (OSError, ValueError) as exc:
        return 0, [(path, f"cannot read JSON: {exc}")]
    try:
        _keys(doc, path, ("version", "generator", "spec", "vectors"))
        if type(doc["version"]) is not int or doc["version"] != FILE_VERSION:
            raise VectorSchemaError(f"{path}: version must be {FILE_VERSION}")
        _str(doc["generator"], f"{path}: generator")
        if doc["spec"] != SPEC_ID:
            raise VectorSchemaError(f"{path}: spec must be {SPEC_ID!r}, this checker implements it")
        _list(doc["vectors"], f"{path}: vectors")
    except VectorSchemaError as exc:
        return 0, [(path, f"schema: {exc}")]
    names = set()
    for i, vec in enumerate(doc["vectors"]):
        name = vec.get("name") if isinstance(vec, dict) else None
        label = f"{path}:{name if isinstance(name, str) else '#' + str(i)}"
        problems = run_vector(vec, generator_checks, path)
        if not isinstance(name, str) or not name:
            problems.insert(0, "missing or empty name")
        elif name in names:
            problems.insert(0, "duplicate vector name")
        names.add(name)
        if problems:
            failures.append((label, "; ".join(problems)))
        else:
            passed += 1
    return passed, failures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Independent checker of mlegit v5 test vectors.")
    ap.add_argument("files", nargs="+", metavar="FILE.json")
    ap.add_argument("--no-generator-checks", action="store_true",
                    help="skip the inputs/outputs/HKDF/issuer-rule/signature cross-checks")
    args = ap.parse_args(argv)
    passed, failed = 0, 0
    for path in args.files:
        n, fails = run_file(path, not args.no_generator_checks)
        passed += n
        failed += len(fails)
        for label, reason in fails:
            print(f"FAIL {label}: {reason}")
    print(f"check: {passed} passed, {failed} failed")
    return 1 if failed > 0 or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""mlegit_check: an independent second verifier for mlegit v1 test vectors.

Written from spec/design-notes.md alone (cited below as "DN §n"); it shares no code with the
Rust implementation.  Where this file and the Rust crate disagree, the specification decides.

Layout (each part cites the section it implements):
  * strict CBOR decoder + deterministic encoder ............ DN §1
  * COSE_Sign1 profile, ES256, low-S ......................... DN §2
  * payload field decoding .................................. DN §3
  * credential / disclosure / claims ........................ DN §4, §5, §6
  * presentation verification, exact step order ............. DN §8, §9
  * status response verification ............................ DN §10
  * trust list .............................................. DN §11
  * vector runner (CLI) ..................................... test-vectors/SCHEMA-DRAFT.md

Every rejection raises MlegitError whose .code is the error code of the design notes.
The reading chosen for each ambiguous point of the notes is marked "READING:" in comments and
listed in README.md.

Usage: python mlegit_check.py FILE.json [FILE.json ...]
"""
from __future__ import annotations

import argparse
import collections.abc
import datetime
import hashlib
import hmac
import json
import sys
import unicodedata
from dataclasses import dataclass, field

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

class MlegitError(Exception):
    """A rejection with one of the error codes of the design notes."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code} ({detail})" if detail else code)
        self.code = code
        self.detail = detail


class CheckerBug(Exception):
    """An internal consistency assertion failed (e.g. the cbor2 cross-check disagreed).
    This is never a verdict about the input; it means this checker itself is wrong."""


# Every error code defined by the design notes.  A vector expecting any other code fails.
ERROR_CODES = frozenset("""
    cbor_malformed cbor_indefinite_length cbor_non_shortest cbor_duplicate_key cbor_unsorted_keys
    cbor_depth_exceeded cbor_unsupported_type cbor_trailing_bytes
    cose_malformed cose_unknown_header alg_not_protected alg_missing cose_unprotected_header
    wrong_context alg_not_allowed kid_missing signature_malleable
    issuer_signature_invalid device_signature_invalid
    unknown_field invalid_field missing_field
    unsupported_version wrong_doctype kid_mismatch invalid_device_key unsupported_digest_alg
    digest_set_invalid
    input_too_large unknown_key_id issuer_key_not_valid invalid_validity_window
    credential_not_yet_valid credential_expired presentation_from_future presentation_too_old
    presented_outside_validity nonce_mismatch audience_mismatch disclosure_malformed
    digest_mismatch duplicate_disclosure unknown_claim duplicate_claim invalid_claim_value
    status_credential_mismatch status_from_future status_stale
""".split())

CBOR_ERROR_CODES = frozenset(c for c in ERROR_CODES if c.startswith("cbor_"))


# --------------------------------------------------------------------------------------------
# DN §1: strict CBOR ("mlegit deterministic CBOR")
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


MAX_DEPTH = 8  # DN §1: an array or map at a level greater than 8 is rejected


class _StrictDecoder:
    """Single left-to-right pass over the input (DN §1); the first violation met is raised."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.pos = 0

    def _fail(self, code: str, at: int, what: str):
        raise MlegitError(code, f"offset {at}: {what}")

    def _remaining(self) -> int:
        return len(self.data) - self.pos

    def _read_head(self):
        """Read the initial byte and the argument of one data item.
        Returns (major, argument, start offset); for major type 7 the 'argument' is the
        initial byte itself (only f4, f5, f6 get this far)."""
        start = self.pos
        if self.pos >= len(self.data):
            self._fail("cbor_malformed", start, "truncated: no initial byte")
        ib = self.data[self.pos]
        self.pos += 1
        major, ai = ib >> 5, ib & 0x1F
        # Additional info 28..30 is reserved in every major type.
        if 28 <= ai <= 30:
            self._fail("cbor_malformed", start, f"reserved additional info {ai}")
        # Additional info 31: indefinite length in 2..5, meaningless in 0, 1, 6; 0xff is a
        # stray "break".
        if ai == 31:
            if major in (2, 3, 4, 5):
                self._fail("cbor_indefinite_length", start, f"indefinite length, major type {major}")
            self._fail("cbor_malformed", start, "break byte" if ib == 0xFF else
                       f"additional info 31 in major type {major}")
        # READING: a tag (major 6) or an unsupported major-7 item is reported on its initial
        # byte, before any following argument byte is looked at (so a truncated d8 or f8 is
        # still cbor_unsupported_type).
        if major == 6:
            self._fail("cbor_unsupported_type", start, f"tag (initial byte {ib:#04x})")
        if major == 7:
            if ib in (0xF4, 0xF5, 0xF6):
                return 7, ib, start
            self._fail("cbor_unsupported_type", start, f"major type 7 item {ib:#04x}")
        if ai < 24:
            return major, ai, start
        n = 1 << (ai - 24)  # 1, 2, 4 or 8 argument bytes
        if self._remaining() < n:
            self._fail("cbor_malformed", start, "truncated argument")
        arg = int.from_bytes(self.data[self.pos:self.pos + n], "big")
        self.pos += n
        # Shortest form: <24 inline; <2^8 one byte; <2^16 two; <2^32 four.
        smallest = 24 if n == 1 else 1 << (4 * n)
        if arg < smallest:
            self._fail("cbor_non_shortest", start, f"argument {arg} in {n} bytes")
        return major, arg, start

    def item(self, level: int):
        major, arg, start = self._read_head()
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major in (2, 3):
            if arg > self._remaining():
                self._fail("cbor_malformed", start, f"string length {arg} exceeds input")
            raw = self.data[self.pos:self.pos + arg]
            self.pos += arg
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8", errors="strict")
            except UnicodeDecodeError:
                self._fail("cbor_malformed", start, "text string is not valid UTF-8")
        if major == 7:
            return {0xF4: False, 0xF5: True, 0xF6: None}[arg]
        # Arrays and maps.  READING: the head (initial byte + argument, with its shortest-form
        # check) is read completely first; then depth; then the "count cannot fit" check.
        if level > MAX_DEPTH:
            self._fail("cbor_depth_exceeded", start, f"container at level {level}")
        if major == 4:
            if arg > self._remaining():  # every element needs >= 1 byte
                self._fail("cbor_malformed", start, f"array count {arg} cannot fit")
            return [self.item(level + 1) for _ in range(arg)]
        # major == 5
        if 2 * arg > self._remaining():  # every entry needs >= 2 bytes
            self._fail("cbor_malformed", start, f"map count {arg} cannot fit")
        result = CborMap()
        previous = None
        for _ in range(arg):
            key_start = self.pos
            key = self.item(level + 1)
            key_bytes = self.data[key_start:self.pos]
            # Key order is checked after the key is decoded, before its value (DN §1).
            if previous is not None:
                if key_bytes == previous:
                    self._fail("cbor_duplicate_key", key_start, f"duplicate key {key_bytes.hex()}")
                if key_bytes < previous:
                    self._fail("cbor_unsorted_keys", key_start,
                               f"key {key_bytes.hex()} after {previous.hex()}")
            previous = key_bytes
            value = self.item(level + 1)
            result._append(key, value, key_bytes)
        return result


CROSS_CHECK = True  # cross-check every accepted input against cbor2 and our own encoder


def strict_decode(data: bytes):
    """Decode one complete CBOR item under DN §1; raises MlegitError(cbor_*)."""
    decoder = _StrictDecoder(data)
    value = decoder.item(1)
    if decoder.pos != len(decoder.data):
        raise MlegitError("cbor_trailing_bytes",
                          f"offset {decoder.pos}: {len(decoder.data) - decoder.pos} byte(s) after the item")
    if CROSS_CHECK:
        _cross_check(bytes(data), value)
    return value


def _cross_check(data: bytes, value) -> None:
    """Whatever the strict decoder accepts must (a) re-encode to the same bytes with our
    deterministic encoder (DN §1: one encoding per object) and (b) decode to the same value
    with cbor2."""
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
    """Deterministic encoder (DN §1): definite lengths, shortest arguments, map keys sorted
    bytewise by their encodings.  Used for Sig_structure and by the self-test."""
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
# Type predicates (type-exact)
# --------------------------------------------------------------------------------------------

def is_int(v) -> bool:
    return type(v) is int


def is_uint(v) -> bool:
    return type(v) is int and v >= 0


def is_bstr(v, lo: int = 0, hi: int | None = None) -> bool:
    return type(v) is bytes and len(v) >= lo and (hi is None or len(v) <= hi)


def is_tstr(v, lo: int = 0, hi: int | None = None) -> bool:
    # READING: tstr size bounds ("tstr 1..=128" etc.) count UTF-8 bytes, as DN §6 says
    # explicitly for text claims.
    if type(v) is not str:
        return False
    n = len(v.encode("utf-8"))
    return n >= lo and (hi is None or n <= hi)


def is_map(v) -> bool:
    return isinstance(v, CborMap)


def is_array(v) -> bool:
    return type(v) is list


# --------------------------------------------------------------------------------------------
# DN §2: P-256, ES256, COSE_Sign1 profile
# --------------------------------------------------------------------------------------------

P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ALG_ES256 = -7

TYP_CREDENTIAL = "application/mlegit.credential+cose"
TYP_PRESENTATION = "application/mlegit.presentation+cose"
TYP_STATUS = "application/mlegit.status+cose"
TYP_ACTIVATION = "application/mlegit.activation+cose"  # server only; never accepted here


def p256_public_key(x: bytes, y: bytes):
    """The public key for affine (x, y), or None if it is not a point on P-256."""
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
    """DN §2: kid = first 8 bytes of SHA-256(0x04 || x || y).  (Verifiers never recompute it;
    used only by the generator cross-checks and the self-test.)"""
    return hashlib.sha256(b"\x04" + x + y).digest()[:8]


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """DN §2: ["Signature1", protected as received, external_aad = h'', payload]."""
    return encode(["Signature1", protected, b"", payload])


@dataclass
class CoseSign1:
    protected: bytes   # the protected header bstr exactly as received
    alg: int
    kid: bytes | None
    typ: str
    payload: bytes
    signature: bytes


def decode_cose_sign1(data: bytes, expected_typ: str, kid_required: bool,
                      accepted_algs) -> CoseSign1:
    """Strict decode + COSE_Sign1 profile (DN §2) including header steps 1-5.
    kid_required=True: kid REQUIRED (credential, status); False: kid MUST be absent
    (presentation)."""
    obj = strict_decode(data)
    if not (is_array(obj) and len(obj) == 4):
        raise MlegitError("cose_malformed", "not an array of 4")
    protected, unprotected, payload, signature = obj
    if not (is_bstr(protected) and is_map(unprotected) and is_bstr(payload) and is_bstr(signature)):
        raise MlegitError("cose_malformed", "element types")
    # READING: an empty protected bstr is strictly decoded like any other and so gives
    # cbor_malformed (it is not read as an empty map as RFC 9052 would allow).
    header = strict_decode(protected)
    if not is_map(header):
        raise MlegitError("cose_malformed", "protected header is not a map")
    alg = kid = typ = None
    have_alg = have_kid = have_typ = False
    for label, value, label_bytes in header.entries:  # in encoded order, first error wins
        if label_bytes == encode(1):
            if not is_int(value):
                raise MlegitError("cose_malformed", "alg is not an int")
            alg, have_alg = value, True
        elif label_bytes == encode(4):
            # READING: a kid of the wrong length (0 or > 32 bytes) is a "wrong value type"
            # -> cose_malformed.
            if not is_bstr(value, 1, 32):
                raise MlegitError("cose_malformed", "kid is not a bstr 1..=32")
            kid, have_kid = value, True
        elif label_bytes == encode(16):
            if not is_tstr(value):
                raise MlegitError("cose_malformed", "typ is not a tstr")
            typ, have_typ = value, True
        else:
            raise MlegitError("cose_unknown_header", f"protected label {label!r}")
    # Header checking order (DN §2 steps 1-5).
    if not have_alg:
        if unprotected.has(1):
            raise MlegitError("alg_not_protected")
        raise MlegitError("alg_missing")
    if len(unprotected) != 0:
        raise MlegitError("cose_unprotected_header")
    if not have_typ or typ != expected_typ:
        raise MlegitError("wrong_context", f"typ {typ!r}")
    if alg not in accepted_algs:
        raise MlegitError("alg_not_allowed", f"alg {alg}")
    if kid_required and not have_kid:
        raise MlegitError("kid_missing")
    if not kid_required and have_kid:
        raise MlegitError("cose_unknown_header", "kid in a presentation")
    # READING: the 64-byte signature length is a structural check made here, after the header
    # steps, as part of "strict-decode the COSE_Sign1" (DN §9 steps 2/4), not at verification.
    if len(signature) != 64:
        raise MlegitError("cose_malformed", f"signature is {len(signature)} bytes")
    return CoseSign1(protected, alg, kid, typ, payload, signature)


def verify_es256(public_key, cose: CoseSign1, invalid_code: str) -> None:
    """DN §2 signature rules.  READING of the order: r, s outside [1, n-1] -> invalid (so
    s >= n is "invalid", not "malleable"); then s > n/2 -> signature_malleable; then the ECDSA
    verification itself -> invalid."""
    r = int.from_bytes(cose.signature[:32], "big")
    s = int.from_bytes(cose.signature[32:], "big")
    if not (1 <= r <= P256_N - 1 and 1 <= s <= P256_N - 1):
        raise MlegitError(invalid_code, "r or s out of range")
    if s > P256_N // 2:  # n is odd, so s > n/2  <=>  s > n // 2
        raise MlegitError("signature_malleable")
    digest = hashlib.sha256(sig_structure(cose.protected, cose.payload)).digest()
    try:
        public_key.verify(encode_dss_signature(r, s), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        raise MlegitError(invalid_code) from None


# --------------------------------------------------------------------------------------------
# DN §3: payload field decoding
# --------------------------------------------------------------------------------------------

def decode_fields(payload_bytes: bytes, table: dict, required) -> dict:
    """table: uint key -> (name, predicate).  Iterates entries in encoded order:
    unknown key -> unknown_field, bad type/bounds -> invalid_field; then missing_field."""
    m = strict_decode(payload_bytes)
    # READING: a payload that decodes to something other than a map -> invalid_field.
    if not is_map(m):
        raise MlegitError("invalid_field", "payload is not a map")
    by_bytes = {encode(k): (k, name, pred) for k, (name, pred) in table.items()}
    out = {}
    for key, value, key_bytes in m.entries:
        if key_bytes not in by_bytes:
            raise MlegitError("unknown_field", f"key {key!r}")
        k, name, pred = by_bytes[key_bytes]
        if not pred(value):
            raise MlegitError("invalid_field", f"{name} (key {k})")
        out[k] = value
    for k in sorted(required):
        if k not in out:
            raise MlegitError("missing_field", f"{table[k][0]} (key {k})")
    return out


# --------------------------------------------------------------------------------------------
# DN §4: credential
# --------------------------------------------------------------------------------------------

DOCTYPE = "mlegit.school-id.1"
DIGEST_ALG_SHA256 = -16


def _is_status_ref(v) -> bool:
    """Key 9: exactly {1: uri tstr 1..=256, 2: index uint}.  READING: any other shape
    (extra or missing inner key) -> invalid_field; the uri is not parsed as a URI."""
    if not is_map(v) or len(v) != 2:
        return False
    return (v.has(1) and is_tstr(v.get(1), 1, 256)
            and v.has(2) and is_uint(v.get(2)))


CREDENTIAL_FIELDS = {
    1: ("version", is_uint),
    2: ("doctype", is_tstr),
    3: ("issuer_kid", lambda v: is_bstr(v, 1, 32)),
    4: ("credential_id", lambda v: is_bstr(v, 16, 32)),
    5: ("iat", is_uint),
    6: ("nbf", is_uint),
    7: ("exp", is_uint),
    8: ("device_key", is_map),      # field level: only a map (DN §4)
    9: ("status", _is_status_ref),
    10: ("digest_alg", is_int),     # field level: only an int
    11: ("digests", is_array),      # field level: only an array
}


def device_public_key(m: CborMap):
    """DN §4: exactly {1: 2, -1: 1, -2: x bstr 32, -3: y bstr 32}, a point on P-256."""
    if len(m) != 4 or not all(m.has(k) for k in (1, -1, -2, -3)):
        raise MlegitError("invalid_device_key", "labels")
    kty, crv, x, y = m.get(1), m.get(-1), m.get(-2), m.get(-3)
    if not (is_int(kty) and kty == 2 and is_int(crv) and crv == 1
            and is_bstr(x, 32, 32) and is_bstr(y, 32, 32)):
        raise MlegitError("invalid_device_key", "values")
    key = p256_public_key(x, y)
    if key is None:
        raise MlegitError("invalid_device_key", "not on P-256")
    return key, x, y


def credential_semantics(fields: dict, protected_kid: bytes):
    """DN §9 step 9, in order: version, doctype, issuer_kid, digest_alg, digests, device_key."""
    if fields[1] != 1:
        raise MlegitError("unsupported_version", f"credential version {fields[1]}")
    if fields[2] != DOCTYPE:
        raise MlegitError("wrong_doctype", repr(fields[2]))
    if fields[3] != protected_kid:
        raise MlegitError("kid_mismatch")
    if fields[10] != DIGEST_ALG_SHA256:
        raise MlegitError("unsupported_digest_alg", str(fields[10]))
    digests = fields[11]
    if len(digests) != 32 or not all(is_bstr(d, 32, 32) for d in digests):
        raise MlegitError("digest_set_invalid", "need 32 bstr of 32 bytes")
    if any(a >= b for a, b in zip(digests, digests[1:])):
        raise MlegitError("digest_set_invalid", "not strictly ascending")
    return device_public_key(fields[8])


# --------------------------------------------------------------------------------------------
# DN §6: claims
# --------------------------------------------------------------------------------------------

TEXT_CLAIMS = ("family_name", "given_names", "document_number", "address", "school_name",
               "school_address", "school_id")
DATE_CLAIMS = ("issue_date", "expiry_date", "birth_date")
AGE_CLAIMS = ("age_over_13", "age_over_16", "age_over_18")
KNOWN_CLAIMS = frozenset(TEXT_CLAIMS + DATE_CLAIMS + AGE_CLAIMS + ("holder_status", "pesel", "portrait"))
_DIGITS = "0123456789"  # ASCII only (str.isdigit would accept other scripts' digits)


def _valid_text(v) -> bool:
    # No character of Unicode general category Cc (U+0000-001F, U+007F-009F; stable across
    # Unicode versions).
    return is_tstr(v, 1, 256) and not any(unicodedata.category(c) == "Cc" for c in v)


def parse_date(v):
    """DN §6 date: "YYYY-MM-DD", valid Gregorian date, year 1800..=2299; returns date or None."""
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


# PESEL month offsets per century (DN §6): +80 1800s, +0 1900s, +20 2000s, +40 2100s, +60 2200s
_PESEL_CENTURY = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}


def pesel_birth_date(v):
    """The birth date encoded in a valid PESEL, or None if the PESEL is not valid (DN §6)."""
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
    if name in TEXT_CLAIMS:
        return _valid_text(v)
    if name == "holder_status":
        return type(v) is str and v == "student"
    if name in DATE_CLAIMS:
        return parse_date(v) is not None
    if name == "pesel":
        return pesel_birth_date(v) is not None
    if name == "portrait":
        return is_bstr(v, 4, 16384) and v[:3] == b"\xff\xd8\xff"
    if name in AGE_CLAIMS:
        return v is True  # false is never issued and is rejected
    raise KeyError(name)


# --------------------------------------------------------------------------------------------
# DN §11: trust list
# --------------------------------------------------------------------------------------------

@dataclass
class TrustedKey:
    kid: bytes
    public_key: object
    not_before: int
    not_after: int
    x: bytes
    y: bytes


TRUST_KEY_LABELS = {  # label -> (name, predicate); any deviation -> invalid_field
    1: ("kty", lambda v: is_int(v) and v == 2),
    2: ("kid", lambda v: is_bstr(v, 1, 32)),
    3: ("alg", lambda v: is_int(v) and v == ALG_ES256),
    -1: ("crv", lambda v: is_int(v) and v == 1),
    -2: ("x", lambda v: is_bstr(v, 32, 32)),   # READING: x, y are bstr of 32 bytes
    -3: ("y", lambda v: is_bstr(v, 32, 32)),
    "not_after": ("not_after", is_uint),
    "not_before": ("not_before", is_uint),
}


def parse_trust_list(data: bytes) -> dict:
    """COSE_KeySet = [+ COSE_Key] (DN §11); returns kid -> TrustedKey.
    READING: keys are checked one after another; within a key, entries in encoded order
    (unknown label -> unknown_field, bad value -> invalid_field), then missing labels,
    not_before <= not_after and the point (all invalid_field); a duplicate kid is reported
    after the duplicate key has passed all of that."""
    ks = strict_decode(data)
    if not is_array(ks) or len(ks) == 0:
        raise MlegitError("invalid_field", "trust list is not a non-empty array")
    by_bytes = {encode(k): (k, name, pred) for k, (name, pred) in TRUST_KEY_LABELS.items()}
    keys: dict[bytes, TrustedKey] = {}
    for i, entry in enumerate(ks):
        if not is_map(entry):
            raise MlegitError("invalid_field", f"trust list entry {i} is not a map")
        got = {}
        for label, value, label_bytes in entry.entries:
            if label_bytes not in by_bytes:
                raise MlegitError("unknown_field", f"trust list entry {i} label {label!r}")
            k, name, pred = by_bytes[label_bytes]
            if not pred(value):
                raise MlegitError("invalid_field", f"trust list entry {i} {name}")
            got[name] = value
        # READING: a missing label is "any other deviation" -> invalid_field (not missing_field).
        if len(got) != len(TRUST_KEY_LABELS):
            raise MlegitError("invalid_field", f"trust list entry {i} lacks labels")
        if got["not_before"] > got["not_after"]:
            raise MlegitError("invalid_field", f"trust list entry {i} not_before > not_after")
        pub = p256_public_key(got["x"], got["y"])
        if pub is None:
            raise MlegitError("invalid_field", f"trust list entry {i} not on P-256")
        if got["kid"] in keys:
            raise MlegitError("invalid_field", f"trust list entry {i} duplicate kid")
        keys[got["kid"]] = TrustedKey(got["kid"], pub, got["not_before"], got["not_after"],
                                      got["x"], got["y"])
    return keys


# --------------------------------------------------------------------------------------------
# DN §8, §9: presentation
# --------------------------------------------------------------------------------------------

@dataclass
class VerifierSettings:
    """DN §9 settings with their defaults."""
    accepted_algs: tuple = (ALG_ES256,)
    clock_skew: int = 60
    max_age: int = 300
    max_input_size: int = 65536


def _is_disclosure_list(v) -> bool:
    return is_array(v) and len(v) <= 32 and all(is_bstr(d) for d in v)


PRESENTATION_FIELDS = {
    1: ("version", is_uint),
    2: ("credential", is_bstr),
    3: ("disclosures", _is_disclosure_list),
    4: ("presented_at", is_uint),
    5: ("nonce", lambda v: is_bstr(v, 16, 32)),
    6: ("audience", lambda v: is_tstr(v, 1, 128)),
}


@dataclass
class PresentationResult:
    claims: dict
    presented_at: int
    not_before: int
    expires: int
    credential_id: bytes
    status_uri: str
    status_index: int
    issuer_kid: bytes
    # extra, for the vector cross-checks
    credential: bytes = b""
    digests: list = field(default_factory=list)
    disclosures: list = field(default_factory=list)   # (bytes, salt, claim, value)
    device_x: bytes = b""
    device_y: bytes = b""
    iat: int = 0
    nonce: bytes | None = None
    audience: str | None = None


def decode_disclosure(raw: bytes):
    """DN §5 / §9 step 14 decoding; every failure is disclosure_malformed."""
    try:
        d = strict_decode(raw)
    except MlegitError as exc:
        raise MlegitError("disclosure_malformed", exc.code) from None
    if not (is_array(d) and len(d) == 3):
        raise MlegitError("disclosure_malformed", "not an array of 3")
    salt, claim, value = d
    if not is_bstr(salt, 16, 64):
        raise MlegitError("disclosure_malformed", "salt")
    if not is_tstr(claim):
        raise MlegitError("disclosure_malformed", "claim name")
    return salt, claim, value


def verify_presentation(data: bytes, trust: dict, settings: VerifierSettings, now: int,
                        expected_nonce: bytes | None = None,
                        expected_audience: str | None = None) -> PresentationResult:
    """DN §9, steps 1-14 in order; the first failure is raised."""
    skew = settings.clock_skew
    # 1. input size
    if len(data) > settings.max_input_size:
        raise MlegitError("input_too_large", f"{len(data)} > {settings.max_input_size}")
    # 2. presentation COSE_Sign1: structure and header steps 1-5, typ presentation, no kid
    pres = decode_cose_sign1(data, TYP_PRESENTATION, False, settings.accepted_algs)
    # 3. presentation payload fields (table 8); version
    pf = decode_fields(pres.payload, PRESENTATION_FIELDS, required=(1, 2, 3, 4))
    if pf[1] != 1:
        raise MlegitError("unsupported_version", f"presentation version {pf[1]}")
    # 4. embedded credential COSE_Sign1, typ credential, kid required
    cred = decode_cose_sign1(pf[2], TYP_CREDENTIAL, True, settings.accepted_algs)
    # 5. credential payload fields (table 4)
    cf = decode_fields(cred.payload, CREDENTIAL_FIELDS, required=range(1, 12))
    iat, nbf, exp = cf[5], cf[6], cf[7]
    # 6. issuer key lookup by the protected kid
    tk = trust.get(cred.kid)
    if tk is None:
        raise MlegitError("unknown_key_id", cred.kid.hex())
    # 7. issuer key validity at iat
    if not (tk.not_before <= iat <= tk.not_after):
        raise MlegitError("issuer_key_not_valid")
    # 8. issuer signature
    verify_es256(tk.public_key, cred, "issuer_signature_invalid")
    # 9. credential semantic checks
    device_key, dx, dy = credential_semantics(cf, cred.kid)
    # 10. validity window and clock
    if not (iat <= nbf < exp):
        raise MlegitError("invalid_validity_window")
    if now + skew < nbf:
        raise MlegitError("credential_not_yet_valid")
    if now > exp + skew:
        raise MlegitError("credential_expired")
    # 11. device signature
    verify_es256(device_key, pres, "device_signature_invalid")
    # 12. presentation time
    presented_at = pf[4]
    if presented_at > now + skew:
        raise MlegitError("presentation_from_future")
    if presented_at + settings.max_age < now:
        raise MlegitError("presentation_too_old")
    if presented_at < nbf or presented_at > exp:
        raise MlegitError("presented_outside_validity")
    # 13. nonce and audience, compared as options (absent == None)
    nonce, audience = pf.get(5), pf.get(6)
    if nonce != expected_nonce:
        raise MlegitError("nonce_mismatch")
    if audience != expected_audience:
        raise MlegitError("audience_mismatch")
    # 14. disclosures, in order
    digest_set = set(cf[11])
    seen_digests, claims, decoded = set(), {}, []
    for raw in pf[3]:
        salt, name, value = decode_disclosure(raw)
        digest = hashlib.sha256(raw).digest()
        if digest not in digest_set:
            raise MlegitError("digest_mismatch", name)
        if digest in seen_digests:
            raise MlegitError("duplicate_disclosure", name)
        seen_digests.add(digest)
        if name not in KNOWN_CLAIMS:
            raise MlegitError("unknown_claim", name)
        if name in claims:
            raise MlegitError("duplicate_claim", name)
        if not valid_claim_value(name, value):
            raise MlegitError("invalid_claim_value", name)
        claims[name] = value
        decoded.append((raw, salt, name, value))
    status = cf[9]
    return PresentationResult(
        claims=claims, presented_at=presented_at, not_before=nbf, expires=exp,
        credential_id=cf[4], status_uri=status.get(1), status_index=status.get(2),
        issuer_kid=cred.kid, credential=pf[2], digests=list(cf[11]), disclosures=decoded,
        device_x=dx, device_y=dy, iat=iat, nonce=nonce, audience=audience)


# --------------------------------------------------------------------------------------------
# DN §10: status response
# --------------------------------------------------------------------------------------------

STATUS_NAMES = {0: "valid", 1: "revoked", 2: "suspended", 3: "expired"}
REASON_NAMES = {1: "holder_request", 2: "paper_id_expired", 3: "school_change", 4: "superseded"}

STATUS_FIELDS = {
    1: ("version", is_uint),
    2: ("credential_id", lambda v: is_bstr(v, 16, 32)),
    3: ("status", lambda v: is_uint(v) and v in STATUS_NAMES),
    4: ("reason", lambda v: is_uint(v) and v in REASON_NAMES),
    5: ("checked_at", is_uint),
    6: ("nonce", lambda v: is_bstr(v, 16, 32)),
    7: ("cache_for", lambda v: is_uint(v) and v <= 86400),
}


@dataclass
class StatusResult:
    credential_id: bytes
    status: str
    reason: str | None
    checked_at: int
    cache_for: int
    nonce: bytes | None


def verify_status(data: bytes, trust: dict, settings: VerifierSettings, now: int,
                  expected_credential_id: bytes, expected_nonce: bytes | None = None) -> StatusResult:
    """DN §10 in the listed order."""
    skew = settings.clock_skew
    if len(data) > settings.max_input_size:
        raise MlegitError("input_too_large")
    cose = decode_cose_sign1(data, TYP_STATUS, True, settings.accepted_algs)
    f = decode_fields(cose.payload, STATUS_FIELDS, required=(1, 2, 3, 5, 7))
    # READING: "reason present iff status == 1" is a field rule (invalid_field) checked after
    # the entry iteration and after missing_field, not while iterating.
    if (4 in f) != (f[3] == 1):
        raise MlegitError("invalid_field", "reason present iff status == revoked")
    tk = trust.get(cose.kid)
    if tk is None:
        raise MlegitError("unknown_key_id", cose.kid.hex())
    if not (tk.not_before <= f[5] <= tk.not_after):
        raise MlegitError("issuer_key_not_valid")
    verify_es256(tk.public_key, cose, "issuer_signature_invalid")
    if f[1] != 1:
        raise MlegitError("unsupported_version", f"status version {f[1]}")
    if f[2] != expected_credential_id:
        raise MlegitError("status_credential_mismatch")
    if f.get(6) != expected_nonce:
        raise MlegitError("nonce_mismatch")
    if f[5] > now + skew:
        raise MlegitError("status_from_future")
    if now > f[5] + f[7] + skew:
        raise MlegitError("status_stale")
    return StatusResult(f[2], STATUS_NAMES[f[3]], REASON_NAMES.get(f.get(4)), f[5], f[7], f.get(6))


# --------------------------------------------------------------------------------------------
# DN §5: reference salt / decoy derivation (used only by the generator cross-checks)
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


# --------------------------------------------------------------------------------------------
# Vector runner (test-vectors/SCHEMA-DRAFT.md)
# --------------------------------------------------------------------------------------------

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


def _opt_str(v, where: str):
    if v is not None and type(v) is not str:
        raise VectorSchemaError(f"{where}: not a string or null")
    return v


def claim_to_json(v):
    """value-json of SCHEMA-DRAFT: text/dates -> string, age_over_* -> true, portrait -> {"bstr": hex}."""
    if type(v) is bytes:
        return {"bstr": v.hex()}
    if type(v) is str or v is True:
        return v
    raise VectorSchemaError(f"claim value {v!r} has no value-json form")


def claim_from_json(v, where: str):
    if type(v) is str or v is True:
        return v
    if isinstance(v, dict) and set(v) == {"bstr"}:
        return _hex(v["bstr"], where)
    raise VectorSchemaError(f"{where}: not a value-json claim value")


def json_equal(a, b) -> bool:
    """Type-exact JSON equality (so true != 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def _settings(ver: dict, with_max_age: bool) -> VerifierSettings:
    s = VerifierSettings()
    if "accepted_algs" in ver:
        algs = ver["accepted_algs"]
        if not isinstance(algs, list):
            raise VectorSchemaError("verifier.accepted_algs: not a list")
        s.accepted_algs = tuple(_int(a, "verifier.accepted_algs[]") for a in algs)
    if "clock_skew" in ver:
        s.clock_skew = _int(ver["clock_skew"], "verifier.clock_skew")
    if with_max_age and "max_age" in ver:
        s.max_age = _int(ver["max_age"], "verifier.max_age")
    if "max_input_size" in ver:
        s.max_input_size = _int(ver["max_input_size"], "verifier.max_input_size")
    return s


def _expected(exp: dict, valid_keys) -> tuple:
    if not isinstance(exp, dict) or exp.get("result") not in ("valid", "invalid"):
        raise VectorSchemaError("expected.result: must be \"valid\" or \"invalid\"")
    if exp["result"] == "invalid":
        _keys(exp, "expected", ("result", "error"))
        if type(exp["error"]) is not str:
            raise VectorSchemaError("expected.error: not a string")
        return "invalid", exp["error"]
    _keys(exp, "expected", ("result",) + tuple(valid_keys))
    return "valid", None


def _verdict(problems: list, expected_result: str, expected_error, run) -> object:
    """Run `run()`; compare with an expected error.  Returns the result object for valid
    expectations (None on any failure, with the reason appended to problems)."""
    if expected_error is not None and expected_error not in ERROR_CODES:
        problems.append(f"expected error {expected_error!r} is not a code of the design notes")
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


PRESENTATION_INPUT_KEYS = ("issuer_keys", "device_private_scalar", "salt_secret", "credential_id",
                           "claims", "iat", "nbf", "exp", "presented_at", "nonce", "audience",
                           "disclosed")


def run_presentation_vector(vec: dict, generator_checks: bool) -> list:
    problems: list[str] = []
    _keys(vec, "vector", ("name", "description", "kind", "trust_list", "verifier",
                          "presentation", "expected"), ("inputs", "outputs"))
    ver = vec["verifier"]
    _keys(ver, "verifier", ("now",), ("clock_skew", "max_age", "max_input_size", "accepted_algs",
                                      "expected_nonce", "expected_audience"))
    settings = _settings(ver, with_max_age=True)
    now = _int(ver["now"], "verifier.now")
    exp_nonce = _opt_hex(ver.get("expected_nonce"), "verifier.expected_nonce")
    exp_aud = _opt_str(ver.get("expected_audience"), "verifier.expected_audience")
    trust_bytes = _hex(vec["trust_list"], "trust_list")
    presentation = _hex(vec["presentation"], "presentation")
    if "inputs" in vec:
        _keys(vec["inputs"], "inputs", (), PRESENTATION_INPUT_KEYS)
    if "outputs" in vec:
        _keys(vec["outputs"], "outputs", (), ("credential", "disclosures", "digests"))
    result_kind, error = _expected(vec["expected"], (
        "claims", "presented_at", "not_before", "expires", "credential_id", "status", "issuer_kid"))

    def run():
        # READING: the trust list is a verifier setting, loaded (and validated, DN §11) before
        # step 1; an invalid trust list is the verdict of the vector.
        trust = parse_trust_list(trust_bytes)
        return verify_presentation(presentation, trust, settings, now, exp_nonce, exp_aud)

    res = _verdict(problems, result_kind, error, run)
    if res is None:
        return problems
    # Exact expected outputs.
    exp = vec["expected"]
    got = {
        "claims": {k: claim_to_json(v) for k, v in res.claims.items()},
        "presented_at": res.presented_at, "not_before": res.not_before, "expires": res.expires,
        "credential_id": res.credential_id.hex(),
        "status": {"uri": res.status_uri, "index": res.status_index},
        "issuer_kid": res.issuer_kid.hex(),
    }
    for k, v in got.items():
        if not json_equal(v, exp[k]):
            problems.append(f"expected.{k} = {json.dumps(exp[k])}, checker got {json.dumps(v)}")
    if "outputs" in vec:
        problems += check_outputs(vec["outputs"], res)
    if generator_checks and "inputs" in vec:
        problems += check_inputs(vec["inputs"], res)
    return problems


def check_outputs(out: dict, res: PresentationResult) -> list:
    """Valid vectors: the "outputs" section is consistent with what was verified."""
    p = []
    digest_set = set(res.digests)
    if "credential" in out and _hex(out["credential"], "outputs.credential") != res.credential:
        p.append("outputs.credential differs from the credential inside the presentation")
    if "digests" in out:
        ds = out["digests"]
        if not isinstance(ds, list) or [_hex(d, "outputs.digests[]") for d in ds] != res.digests:
            p.append("outputs.digests differs from the credential's digest array")
    if "disclosures" in out:
        items = out["disclosures"]
        if not isinstance(items, list):
            raise VectorSchemaError("outputs.disclosures: not a list")
        listed_bytes, listed_claims = set(), set()
        for i, d in enumerate(items):
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
    """DN §6: born on Feb 29, the birthday in a common year is Mar 1."""
    try:
        return born.replace(year=born.year + n)
    except ValueError:
        return datetime.date(born.year + n, 3, 1)


def check_inputs(inp: dict, res: PresentationResult) -> list:
    """Generator cross-checks for valid vectors (disable with --no-generator-checks): the
    informative "inputs" agree with the verified objects, the reference salt/decoy derivation
    of DN §5 reproduces the digest set, and the issuer-only rules of DN §6 hold."""
    p = []
    cred_kid = res.issuer_kid
    if "issuer_keys" in inp:
        if not isinstance(inp["issuer_keys"], list):
            raise VectorSchemaError("inputs.issuer_keys: not a list")
        kids = []
        for i, k in enumerate(inp["issuer_keys"]):
            where = f"inputs.issuer_keys[{i}]"
            _keys(k, where, ("kid", "private_scalar", "public_x", "public_y"))
            kids.append(_hex(k["kid"], where + ".kid"))
            d = int.from_bytes(_hex(k["private_scalar"], where + ".private_scalar"), "big")
            pub = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
            if (pub.x.to_bytes(32, "big"), pub.y.to_bytes(32, "big")) != (
                    _hex(k["public_x"], where), _hex(k["public_y"], where)):
                p.append(f"{where}: public point does not match private_scalar")
        if cred_kid not in kids:
            p.append("credential kid is not among inputs.issuer_keys")
    if "device_private_scalar" in inp:
        d = int.from_bytes(_hex(inp["device_private_scalar"], "inputs.device_private_scalar"), "big")
        pub = ec.derive_private_key(d, ec.SECP256R1()).public_key().public_numbers()
        if (pub.x.to_bytes(32, "big"), pub.y.to_bytes(32, "big")) != (res.device_x, res.device_y):
            p.append("inputs.device_private_scalar does not match the credential device_key")
    for name, got in (("credential_id", res.credential_id), ("nonce", res.nonce)):
        if name in inp and _opt_hex(inp[name], "inputs." + name) != got:
            p.append(f"inputs.{name} differs from the presentation")
    for name, got in (("iat", res.iat), ("nbf", res.not_before), ("exp", res.expires),
                      ("presented_at", res.presented_at), ("audience", res.audience)):
        if name in inp and not json_equal(inp[name], got):
            p.append(f"inputs.{name} = {inp[name]!r}, presentation has {got!r}")
    claims = None
    if "claims" in inp:
        if not isinstance(inp["claims"], dict):
            raise VectorSchemaError("inputs.claims: not an object")
        claims = {k: claim_from_json(v, f"inputs.claims.{k}") for k, v in inp["claims"].items()}
        for k, v in res.claims.items():
            if k not in claims or not json_equal(claim_to_json(claims[k]), claim_to_json(v)):
                p.append(f"disclosed {k!r} differs from inputs.claims")
        p += issuer_rule_problems(claims, res.iat)
    if "disclosed" in inp:
        if not isinstance(inp["disclosed"], list) or sorted(inp["disclosed"]) != sorted(res.claims):
            p.append(f"inputs.disclosed {inp['disclosed']!r} != disclosed claims {sorted(res.claims)}")
    if "salt_secret" in inp and claims is not None:
        secret = _hex(inp["salt_secret"], "inputs.salt_secret")
        prk = hkdf_extract(res.credential_id, secret)
        for raw, salt, name, _ in res.disclosures:
            if salt != reference_salt(prk, name):
                p.append(f"salt of {name!r} is not the DN §5 HKDF salt")
        if len(claims) > 32:
            p.append("more than 32 claims")
        else:
            digests = [hashlib.sha256(encode([reference_salt(prk, n), n, v])).digest()
                       for n, v in claims.items()]
            digests += [reference_decoy(prk, i) for i in range(32 - len(claims))]
            if sorted(digests) != res.digests:
                p.append("digest set != sorted(claim digests + DN §5 decoys) from inputs")
    return p


def issuer_rule_problems(claims: dict, iat: int) -> list:
    """DN §6 issuer-only rules, for the claims a (valid) vector says were issued."""
    p = []
    for name, v in claims.items():
        if name not in KNOWN_CLAIMS or not valid_claim_value(name, v):
            p.append(f"issued claim {name!r} invalid per DN §6")
    if "holder_status" not in claims:
        p.append("holder_status not issued (DN §6: always issued)")
    born = parse_date(claims.get("birth_date"))
    if "pesel" in claims and born is not None and pesel_birth_date(claims["pesel"]) != born:
        p.append("PESEL birth date != birth_date")
    issued, expiry = parse_date(claims.get("issue_date")), parse_date(claims.get("expiry_date"))
    if issued is not None and expiry is not None and issued > expiry:
        p.append("issue_date > expiry_date")
    if born is not None:
        try:
            iat_date = datetime.datetime.fromtimestamp(iat, tz=datetime.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            iat_date = None
        if iat_date is not None:
            for n in (13, 16, 18):
                should = _nth_birthday(born, n) <= iat_date
                if (f"age_over_{n}" in claims) != should:
                    p.append(f"age_over_{n} {'missing' if should else 'issued'} (DN §6 rule)")
    return p


def run_status_vector(vec: dict) -> list:
    problems: list[str] = []
    _keys(vec, "vector", ("name", "description", "kind", "trust_list", "verifier",
                          "status_response", "expected"))
    ver = vec["verifier"]
    _keys(ver, "verifier", ("now", "expected_credential_id"),
          ("clock_skew", "max_input_size", "accepted_algs", "expected_nonce"))
    settings = _settings(ver, with_max_age=False)
    now = _int(ver["now"], "verifier.now")
    exp_cid = _hex(ver["expected_credential_id"], "verifier.expected_credential_id")
    exp_nonce = _opt_hex(ver.get("expected_nonce"), "verifier.expected_nonce")
    trust_bytes = _hex(vec["trust_list"], "trust_list")
    response = _hex(vec["status_response"], "status_response")
    result_kind, error = _expected(vec["expected"], (
        "credential_id", "status", "reason", "checked_at", "cache_for", "nonce"))

    def run():
        trust = parse_trust_list(trust_bytes)
        return verify_status(response, trust, settings, now, exp_cid, exp_nonce)

    res = _verdict(problems, result_kind, error, run)
    if res is None:
        return problems
    exp = vec["expected"]
    got = {"credential_id": res.credential_id.hex(), "status": res.status, "reason": res.reason,
           "checked_at": res.checked_at, "cache_for": res.cache_for,
           "nonce": None if res.nonce is None else res.nonce.hex()}
    for k, v in got.items():
        if not json_equal(v, exp[k]):
            problems.append(f"expected.{k} = {json.dumps(exp[k])}, checker got {json.dumps(v)}")
    return problems


def run_vector(vec, generator_checks: bool = True) -> list:
    """Problems found for one vector (empty list = pass).  Never skips."""
    try:
        if not isinstance(vec, dict):
            return ["vector is not an object"]
        for k in ("name", "description"):
            if k in vec and type(vec[k]) is not str:
                raise VectorSchemaError(f"{k}: not a string")
        kind = vec.get("kind")
        if kind == "presentation":
            return run_presentation_vector(vec, generator_checks)
        if kind == "status":
            return run_status_vector(vec)
        return [f"unknown kind {kind!r}"]
    except VectorSchemaError as exc:
        return [f"schema: {exc}"]
    except CheckerBug as exc:
        return [f"CHECKER BUG: {exc}"]
    except Exception as exc:  # noqa: BLE001 - never let one vector stop the run, never skip
        return [f"CHECKER BUG (unexpected {type(exc).__name__}): {exc}"]


def run_file(path: str, generator_checks: bool = True):
    """Returns (passed, failures) where failures is a list of (label, reason)."""
    failures, passed = [], 0
    def no_duplicate_keys(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError(f"duplicate JSON key among {keys}")
        return dict(pairs)

    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh, object_pairs_hook=no_duplicate_keys)
    except (OSError, ValueError) as exc:
        return 0, [(path, f"cannot read JSON: {exc}")]
    try:
        _keys(doc, path, ("version", "generator", "vectors"))
        if doc["version"] != 1 or type(doc["version"]) is not int:
            raise VectorSchemaError(f"{path}: version must be 1")
        if type(doc["generator"]) is not str:
            raise VectorSchemaError(f"{path}: generator must be a string")
        if not isinstance(doc["vectors"], list):
            raise VectorSchemaError(f"{path}: vectors must be a list")
    except VectorSchemaError as exc:
        return 0, [(path, f"schema: {exc}")]
    names = set()
    for i, vec in enumerate(doc["vectors"]):
        name = vec.get("name") if isinstance(vec, dict) else None
        label = f"{path}:{name if isinstance(name, str) else '#' + str(i)}"
        problems = run_vector(vec, generator_checks)
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
    ap = argparse.ArgumentParser(description="Independent checker of mlegit v1 test vectors.")
    ap.add_argument("files", nargs="+", metavar="FILE.json")
    ap.add_argument("--no-generator-checks", action="store_true",
                    help="skip the inputs/issuer-rule/HKDF cross-checks on valid vectors")
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

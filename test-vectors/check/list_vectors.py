#!/usr/bin/env python3
"""Print the Markdown list of test vectors that test-vectors/README.md carries.

    python list_vectors.py ../presentations.json ../status-lists.json ../requests.json \
        ../responses.json ../activations.json
    python list_vectors.py --check ../README.md ../presentations.json ../status-lists.json \
        ../requests.json ../responses.json ../activations.json

For each vector: its name, the expected result from the JSON ("valid" or the error code; for an
activation vector the ProofError kind of spec §19.3, with the §2/§3 code of a malformed proof),
the spec steps that decide it according to the independent checker (mlegit_check.py), and the
description.  The step column comes from running the checker, so a row whose checker verdict
differs from the expected result is marked with "CHECKER DISAGREES" (for an activation vector:
any of error, index, step and code differs).  An activation vector's step column names the
key (B2) or the proof (B3-B5) at fault, from 0.

--check compares the text between the markers `<!-- vectors:begin -->` and
`<!-- vectors:end -->` of the README with what this script prints, and exits 1 if they differ.
"""
from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mlegit_check as chk  # noqa: E402

BEGIN, END = "<!-- vectors:begin -->", "<!-- vectors:end -->"
# The steps a valid vector passes; a request vector's depend on its kind (spec §7.6: a
# signed request goes through A1–A12, an unsigned one through R1–R5) and, since v4, on whether
# the holder checks an engagement key digest (then E1–E2 follow, spec §18.1).
PASSED = {"presentation": "P1–P14 pass", "status_list": "L1–L12 pass", "response": "O1–O3 pass",
          "activation": "B1–B5 pass"}
PASSED_REQUEST = {True: "A1–A12", False: "R1–R5"}


def passed_steps(vec: dict, result) -> str:
    if vec["kind"] == "request":
        steps = PASSED_REQUEST[result.signed]
        if vec["holder"]["engagement_key_digest"] is not None:
            steps += ", E1–E2"
        return steps + " pass"
    return PASSED[vec["kind"]]


def _activation_label(o: dict) -> str:
    if o["result"] == "valid":
        return "**valid**"
    return f"`{o['error']}`" + (f" (`{o['code']}`)" if o["code"] is not None else "")


def _activation_steps(o: dict) -> str:
    if o["result"] == "valid":
        return PASSED["activation"]
    if o["index"] is None:
        return o["path"]
    return f"{o['path']}, {'key' if o['step'] == 'B2' else 'proof'} {o['index']}"


def activation_row(vec: dict) -> tuple[str, str]:
    """The expected and decided-at cells of an activation vector (spec §19.3)."""
    exp = vec["expected"]
    activation_id, challenge, _, keys, proofs = chk.activation_inputs(vec["inputs"])
    got = chk.activation_outcome(activation_id, challenge, keys, proofs)
    step = _activation_steps(got)
    if any(got[k] != exp[k] for k in chk.ACTIVATION_EXPECTED_KEYS):
        step = f"CHECKER DISAGREES: {_activation_label(got)} at {step}"
    return _activation_label(exp), step


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def tables(paths: list[str]) -> str:
    out = []
    for path in paths:
        doc = chk.load_json(path)
        vecs = doc["vectors"]
        valid = sum(1 for v in vecs if v["expected"]["result"] == "valid")
        out.append(f"### `{os.path.basename(path)}`: {len(vecs)} vectors, {valid} valid, "
                   f"{len(vecs) - valid} invalid\n")
        out.append("| # | name | expected | decided at | description |")
        out.append("| --- | --- | --- | --- | --- |")
        for i, v in enumerate(vecs, 1):
            if v["kind"] == "activation":
                shown, step = activation_row(v)
                out.append(f"| {i} | `{v['name']}` | {shown} | {step} | {_cell(v['description'])} |")
                continue
            exp = v["expected"]
            want = "valid" if exp["result"] == "valid" else exp["error"]
            got, step = chk.evaluate(v)
            if got == "valid":
                step = passed_steps(v, step)
            else:
                step = step or "?"
            if got != want:
                step = f"CHECKER DISAGREES: {got} at {step}"
            shown = "**valid**" if want == "valid" else f"`{want}`"
            out.append(f"| {i} | `{v['name']}` | {shown} | {step} | {_cell(v['description'])} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", metavar="README", help="fail if README's vector list is stale")
    ap.add_argument("files", nargs="+", metavar="FILE.json")
    args = ap.parse_args()
    text = tables(args.files)
    if not args.check:
        sys.stdout.write(text)
        return 0
    with open(args.check, encoding="utf-8") as fh:
        readme = fh.read()
    try:
        current = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    except IndexError:
        print(f"{args.check}: markers {BEGIN} / {END} not found")
        return 1
    if current != text:
        print(f"{args.check}: the vector list is stale; regenerate it with list_vectors.py")
        return 1
    print(f"{args.check}: vector list up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

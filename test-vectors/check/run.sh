#!/bin/sh
# Run the independent Python checker of the mlegit v5 test vectors: the self-test, then the
# checker on the five vector files (presentations.json, status-lists.json, requests.json,
# responses.json, activations.json).
# Call from the repository root (CI does):
#
#     test-vectors/check/run.sh
#
# The virtual environment goes to ${MLEGIT_VENV:-target/checkvenv}; it is created if missing
# and the pinned requirements are installed into it (quietly).  Exits non-zero if anything
# fails.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${MLEGIT_VENV:-target/checkvenv}
case $venv in
    /*) ;;
    *) venv=$root/$venv ;;
esac

if [ ! -x "$venv/bin/python" ]; then
    echo "run.sh: creating virtual environment $venv"
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

cd "$root"
status=0
"$venv/bin/python" test-vectors/check/selftest.py || status=1
"$venv/bin/python" test-vectors/check/mlegit_check.py \
    test-vectors/presentations.json test-vectors/status-lists.json \
    test-vectors/requests.json test-vectors/responses.json \
    test-vectors/activations.json || status=1
exit $status

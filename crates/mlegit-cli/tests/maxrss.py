#!/usr/bin/env python3
"""Runs a command and reports its exit code, output and peak resident set size.

Usage: maxrss.py [--endless-stdin] -- COMMAND [ARGS...]

With --endless-stdin the command's standard input never ends: zeros are written until
the command closes it or exits. Prints one JSON object:
{"code": N, "maxrss_kib": N, "stdout": "...", "stderr": "...", "stdin_bytes": N}.
The peak RSS is getrusage(RUSAGE_CHILDREN).ru_maxrss after the wait (KiB on Linux): the
kernel's own high-water mark of the one child, not a sample.
"""
import json
import resource
import subprocess
import sys
import threading


def main() -> int:
    args = sys.argv[1:]
    endless = False
    if args and args[0] == "--endless-stdin":
        endless = True
        args = args[1:]
    if not args or args[0] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    command = args[1:]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if endless else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    sent = [0]

    def feed() -> None:
        block = bytes(65536)
        try:
            while True:
                proc.stdin.write(block)
                sent[0] += len(block)
        except (BrokenPipeError, OSError, ValueError):
            pass

    outputs = {}

    def drain(name, stream) -> None:
        outputs[name] = stream.read()

    threads = [
        threading.Thread(target=drain, args=("stdout", proc.stdout)),
        threading.Thread(target=drain, args=("stderr", proc.stderr)),
    ]
    if endless:
        threads.append(threading.Thread(target=feed, daemon=True))
    for t in threads:
        t.start()
    code = proc.wait()
    for t in threads[:2]:
        t.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "code": code,
                "maxrss_kib": usage.ru_maxrss,
                "stdout": outputs.get("stdout", b"").decode("utf-8", "replace"),
                "stderr": outputs.get("stderr", b"").decode("utf-8", "replace"),
                "stdin_bytes": sent[0],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

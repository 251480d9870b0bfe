#!/usr/bin/env python3
"""An independent verifier of an ecoledger hash chain, written from docs/LEDGER.md alone.

Reads `ecoledger export --format jsonl` on stdin (or a file), rebuilds each entry's canonical
bytes, recomputes hash(n) = SHA-256(hash(n-1) || canonical(n)), and checks seq continuity and
every stored prev_hash and hash. It checks the chain only; `ecoledger verify` also replays the
rules and compares the projections.

    ecoledger export --db ledger.sqlite | python3 docs/verify_export.py [--expect-head SEQ:HASH]
    python3 docs/verify_export.py --vectors 3 export.jsonl   # print canonical bytes, as in LEDGER.md

Exit status 0 when the chain verifies, 1 otherwise. Standard library only.
"""
import hashlib
import json
import struct
import sys

VERSION = 1


def field(text):
    data = text.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def canonical(entry):
    out = bytearray([VERSION])
    out += struct.pack(">q", entry["seq"])
    out += struct.pack(">q", entry["time_ms"])
    out += field(entry["kind"])
    out += field(entry["debit"] or "")
    out += field(entry["credit"] or "")
    out += struct.pack(">q", entry["amount"])
    out += field(entry["actor"])
    out += field(entry["ref"] or "")
    attrs = entry["attrs"]
    keys = sorted(attrs, key=lambda k: k.encode("utf-8"))
    out += struct.pack(">I", len(keys))
    for key in keys:
        out += field(key) + field(attrs[key])
    out += bytes.fromhex(entry["prev_hash"])
    return bytes(out)


def main(argv):
    expect, vectors, path = None, 0, None
    args = iter(argv)
    for arg in args:
        if arg == "--expect-head":
            seq, digest = next(args).split(":")
            expect = (int(seq), digest.lower())
        elif arg == "--vectors":
            vectors = int(next(args))
        else:
            path = arg
    stream = open(path, encoding="utf-8") if path else sys.stdin
    prev, seq, hashes = bytes(32), 0, {0: "00" * 32}
    for line in stream:
        entry = json.loads(line)
        seq += 1
        if entry["seq"] != seq:
            print(f"CHAIN_BROKEN seq={seq} reason=entry {seq} is missing")
            return 1
        if bytes.fromhex(entry["prev_hash"]) != prev:
            print(f"CHAIN_BROKEN seq={seq} reason=prev_hash does not match")
            return 1
        body = canonical(entry)
        digest = hashlib.sha256(prev + body).digest()
        if digest.hex() != entry["hash"]:
            print(f"CHAIN_BROKEN seq={seq} reason=hash does not match")
            return 1
        if seq <= vectors:
            print(f"entry {seq} canonical ({len(body)} bytes):\n{body.hex()}\nhash: {digest.hex()}\n")
        prev, hashes[seq] = digest, digest.hex()
    if expect is not None:
        if seq < expect[0]:
            print(f"CHAIN_BROKEN seq={seq + 1} reason=truncated: the expected head is seq {expect[0]}")
            return 1
        if hashes.get(expect[0]) != expect[1]:
            print(f"CHAIN_BROKEN seq={expect[0]} reason=hash differs from the expected head")
            return 1
    print(f"OK entries={seq} head={seq}:{prev.hex() if seq else '00' * 32}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""An independent verifier of an ecoledger hash chain, written from docs/LEDGER.md alone.

Reads `ecoledger export --format jsonl` on stdin (or a file), rebuilds each entry's canonical
bytes, recomputes hash(n) = SHA-256(hash(n-1) || canonical(n)), and checks seq continuity, every
stored prev_hash and hash, and that time_ms never decreases (from 0). A line that is not one
well-formed entry is refused, in particular one whose attrs (or the line itself) has a key twice:
JSON readers disagree on which value wins, so such a line could mean two different entries. It
checks the chain only; `ecoledger verify` also replays the rules and compares the projections.

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


class Fields(dict):
    """A JSON object that remembers the keys it was given more than once."""

    def __init__(self, pairs):
        super().__init__()
        self.repeated = []
        for key, value in pairs:
            if key in self and key not in self.repeated:
                self.repeated.append(key)
            self[key] = value


HEX = set("0123456789abcdef")
FIELDS = ("seq", "time_ms", "kind", "debit", "credit", "amount", "actor", "ref", "attrs", "prev_hash", "hash")


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63


def is_hash(value):
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX


def parse(line):
    """The entry on one export line, or the reason it is not one."""
    try:
        entry = json.loads(line, object_pairs_hook=Fields)
    except ValueError as error:
        return None, f"the line is not valid JSON ({error})"
    if not isinstance(entry, Fields):
        return None, "the line is not a JSON object"
    if entry.repeated:
        return None, f"the line has the field {json.dumps(entry.repeated[0])} more than once"
    missing = [name for name in FIELDS if name not in entry]
    if missing:
        return None, f"the line has no {json.dumps(missing[0])} field"
    attrs = entry["attrs"]
    if not isinstance(attrs, Fields):
        return None, "attrs is not a JSON object"
    if attrs.repeated:
        return None, f"attrs has the key {json.dumps(attrs.repeated[0])} more than once"
    if not all(isinstance(value, str) for value in attrs.values()):
        return None, "attrs has a value that is not a string"
    if not all(is_int(entry[name]) for name in ("seq", "time_ms", "amount")):
        return None, "seq, time_ms and amount must be 64-bit integers"
    # Ids are never empty, which is what lets the canonical bytes write null as "".
    if not all(isinstance(entry[name], str) and entry[name] for name in ("kind", "actor")):
        return None, "kind and actor must be non-empty strings"
    if not all(entry[name] is None or isinstance(entry[name], str) and entry[name] for name in ("debit", "credit", "ref")):
        return None, "debit, credit and ref must be non-empty strings or null"
    if not (is_hash(entry["prev_hash"]) and is_hash(entry["hash"])):
        return None, "prev_hash and hash must be 64 lowercase hex digits"
    return entry, None


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
    prev, seq, time_ms, hashes = bytes(32), 0, 0, {0: "00" * 32}
    for line in stream:
        entry, problem = parse(line)
        seq += 1
        if problem:
            print(f"CHAIN_BROKEN seq={seq} reason={problem}")
            return 1
        if entry["seq"] > seq:
            print(f"CHAIN_BROKEN seq={seq} reason=entry {seq} is missing")
            return 1
        if entry["seq"] < seq:
            print(f"CHAIN_BROKEN seq={entry['seq']} reason=sequence goes backwards after {seq - 1}")
            return 1
        if bytes.fromhex(entry["prev_hash"]) != prev:
            print(f"CHAIN_BROKEN seq={seq} reason=prev_hash does not match")
            return 1
        body = canonical(entry)
        digest = hashlib.sha256(prev + body).digest()
        if digest.hex() != entry["hash"]:
            print(f"CHAIN_BROKEN seq={seq} reason=hash does not match")
            return 1
        if entry["time_ms"] < time_ms:
            print(f"CHAIN_BROKEN seq={seq} reason=time goes backwards")
            return 1
        if seq <= vectors:
            print(f"entry {seq} canonical ({len(body)} bytes):\n{body.hex()}\nhash: {digest.hex()}\n")
        prev, time_ms, hashes[seq] = digest, entry["time_ms"], digest.hex()
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

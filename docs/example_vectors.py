#!/usr/bin/env python3
"""The transparency log vectors of the example ledger, computed independently.

Written from docs/LEDGER.md (*The transparency log*, *Transparency log vectors*), the C2SP
specifications (signed-note, tlog-checkpoint, tlog-cosignature, tlog-proof) and RFC 6962/9162
alone, not from ecoledger's code. Reads `ecoledger export` of the example ledger (JSONL, a file
or stdin), checks every entry's stored hash against its canonical bytes (the encoding of
verify_export.py), builds the RFC 6962 tree over the entry hashes, and signs the checkpoint, the
receipt of entry 8 and a witness cosignature with the published test seeds. Every proof it
prints is first checked with the verification steps the page gives.

    python3 docs/example_vectors.py example.jsonl                    # print the ```text blocks
    python3 docs/example_vectors.py --check docs/LEDGER.md example.jsonl

It prints each ```text block of *Transparency log vectors*, in page order, fences included.
With --check it compares them with the page's blocks instead, by position, and prints a diff of
each that differs. Exit status 0 when all is well, 1 otherwise. Needs python3-cryptography.
"""
import base64
import difflib
import hashlib
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_export  # noqa: E402  (canonical bytes and line parsing, from the same page)

ORIGIN, LOG_SEED = "example.ecoledger.test/ledger", bytes(range(0, 32))
WITNESS, WITNESS_SEED, COSIGNED_AT = "witness.example.ecoledger.test/w1", bytes(range(32, 64)), 1767225600
INCLUDED = 8              # the entry (seq) whose inclusion proof and receipt the page shows
CONSISTENT_FROM = (8, 6)  # old sizes of the consistency proofs to the full tree
SECTION = "### Transparency log vectors"


class Failure(Exception):
    pass


def H(data):
    return hashlib.sha256(data).digest()


def b64(data):
    return base64.b64encode(data).decode()


def node(left, right):
    return H(b"\x01" + left + right)


def split(n):
    """k, the largest power of two below n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- The tree. Proofs are lists of ranges (lo, hi): the hash is MTH(D[lo:hi]), which covers
# entries lo + 1 to hi, so the "entries each hash covers" column comes from the recursion itself.

def mth(leaves, lo, hi):
    if hi - lo == 0:
        return H(b"")
    if hi - lo == 1:
        return leaves[lo]
    k = split(hi - lo)
    return node(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi))


def path(m, lo, hi):
    """PATH(m, D[lo:hi]) of RFC 6962 §2.1.1, m an absolute leaf index."""
    if hi - lo == 1:
        return []
    k = split(hi - lo)
    if m < lo + k:
        return path(m, lo, lo + k) + [(lo + k, hi)]
    return path(m, lo + k, hi) + [(lo, lo + k)]


def subproof(m, lo, hi, complete):
    """SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2, m counted from lo."""
    if m == hi - lo:
        return [] if complete else [(lo, hi)]
    k = split(hi - lo)
    if m <= k:
        return subproof(m, lo, lo + k, complete) + [(lo + k, hi)]
    return subproof(m - k, lo + k, hi, False) + [(lo, lo + k)]


def verify_inclusion(index, size, leaf, proof, root):
    """The page's `inclusion` steps (RFC 9162 §2.1.3.2)."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old, new, old_root, new_root, proof):
    """The page's `consistency` steps (RFC 9162 §2.1.4.2)."""
    if old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    if not proof:
        return False
    if old & (old - 1) == 0:
        proof = [old_root] + proof
    fn, sn = old - 1, new - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def position(level, index):
    """StoredHashIndex(L, K), as *How the store keeps the tree* gives it."""
    n = index
    for _ in range(level):
        n = 2 * n + 1
    total = 0
    while n:
        total, n = total + n, n >> 1
    return total + level


def stored_rows(size):
    """Replays the appends; the positions written must be 0, 1, 2, … without a gap."""
    written = []
    for i in range(size):
        written.append(position(0, i))
        level = 1
        while (i + 1) % (1 << level) == 0:
            written.append(position(level, i >> level))
            level += 1
    if written != list(range(len(written))):
        raise Failure("the stored hash positions do not follow one another")
    return len(written)


# --- Reading the export.

def read_export(stream):
    """Entries (parsed) and their canonical bytes; every stored hash is recomputed."""
    entries, prev = [], bytes(32)
    for number, line in enumerate(stream, 1):
        entry, problem = verify_export.parse(line)
        if problem:
            raise Failure(f"export line {number}: {problem}")
        if entry["seq"] != number:
            raise Failure(f"export line {number} has seq {entry['seq']}")
        if bytes.fromhex(entry["prev_hash"]) != prev:
            raise Failure(f"entry {number}: prev_hash is not the hash of entry {number - 1}")
        body = verify_export.canonical(entry)
        prev = H(prev + body)
        if prev.hex() != entry["hash"]:
            raise Failure(f"entry {number}: the stored hash is not SHA-256(prev_hash ‖ canonical bytes)")
        entries.append((entry, body))
    if len(entries) < max(INCLUDED, *CONSISTENT_FROM) + 1:
        raise Failure(f"the export has {len(entries)} entries; the vectors need more than {INCLUDED}")
    return entries


# --- The blocks.

def block(lines):
    return "```text\n" + "".join(line + "\n" for line in lines) + "```"


def covers(lo, hi):
    return f"entry {hi}" if hi - lo == 1 else f"entries {lo + 1}–{hi}"


def proof_lines(leaves, ranges, sibling_note=False):
    lines = []
    for number, (lo, hi) in enumerate(ranges, 1):
        digest = mth(leaves, lo, hi)
        note = covers(lo, hi)
        if sibling_note and number == 1 and hi - lo == 1:
            note += " (the leaf's sibling)"
        lines.append(f"{number}  {digest.hex()}  {b64(digest)}  {note}")
    return lines


def key(seed, name, kind):
    """(private key, public bytes, key ID, key lines) of a note key of signature type `kind`."""
    private = Ed25519PrivateKey.from_private_bytes(seed)
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = H(name.encode() + b"\n" + bytes([kind]) + public)[:4]
    label = "origin" if kind == 1 else "name"
    lines = [
        f"{label:<14}{name}",
        f"{'seed (hex)':<14}{seed.hex()}",
        f"{'public (hex)':<14}{public.hex()}",
        f"{'key ID':<14}{key_id.hex()} = the first 4 bytes of SHA-256(\"{name}\" ‖ 0a ‖ {kind:02x} ‖ public)",
        f"{'verifier key':<14}{name}+{key_id.hex()}+{b64(bytes([kind]) + public)}",
    ]
    return private, public, key_id, lines


def vectors(entries):
    size = len(entries)
    hashes = [bytes.fromhex(entry["hash"]) for entry, _ in entries]
    leaves = [H(b"\x00" + h) for h in hashes]
    roots = [mth(leaves, 0, n) for n in range(size + 1)]
    root = roots[size]
    index = INCLUDED - 1
    blocks = []

    # The tree.
    head = f"leaf of entry {INCLUDED} (index {index}) "
    width = len(f"root {size}")
    rows = stored_rows(size)
    if rows != 2 * size - bin(size).count("1"):
        raise Failure(f"{rows} stored hashes at size {size}, not 2n − popcount(n)")
    blocks.append(block(
        ["tree of the example ledger",
         f"{head}= SHA-256(00 ‖ {hashes[index].hex()})",
         f"{'':<{len(head)}}= {leaves[index].hex()}"]
        + [f"{'root ' + str(n):<{width}} {r.hex()}" for n, r in enumerate(roots)]
        + [f"{'root ' + str(size) + ' in base64':<{len(head)}}= {b64(root)}",
           f"stored hashes (tree_hashes rows) at size {size} = 2·{size} − popcount({size}) = {rows}"]))

    # The inclusion proof.
    inclusion = path(index, 0, size)
    if not verify_inclusion(index, size, leaves[index], [mth(leaves, *r) for r in inclusion], root):
        raise Failure("the inclusion proof does not verify")
    blocks.append(block([f"inclusion proof, index {index}, size {size}"]
                        + proof_lines(leaves, inclusion, sibling_note=True)))

    # The consistency proofs, in one block.
    lines = []
    for old in CONSISTENT_FROM:
        ranges = subproof(old, 0, size, True)
        if not verify_consistency(old, size, roots[old], root, [mth(leaves, *r) for r in ranges]):
            raise Failure(f"the consistency proof from {old} does not verify")
        lines += ([""] if lines else []) + [f"consistency proof, {old} to {size}"] + proof_lines(leaves, ranges)
    blocks.append(block(lines))

    # The log key and the checkpoint note (text, empty line, signature line; ends in LF).
    log_key, log_public, log_id, lines = key(LOG_SEED, ORIGIN, 0x01)
    blocks.append(block(["log key"] + lines))
    text = f"{ORIGIN}\n{size}\n{b64(root)}\n".encode()
    signature = log_key.sign(text)
    log_key.public_key().verify(signature, text)
    note = text.decode() + "\n" + f"— {ORIGIN} {b64(log_id + signature)}\n"
    blocks.append(block(note.splitlines()))

    # The receipt of entry INCLUDED.
    body = entries[index][1]
    if H(body[-32:] + body) != hashes[index]:
        raise Failure("the receipt's extra does not hash to the entry's hash")
    receipt = (["c2sp.org/tlog-proof@v1", f"extra {b64(body)}", f"index {index}"]
               + [b64(mth(leaves, *r)) for r in inclusion] + [""] + note.splitlines())
    blocks.append(block(receipt))

    # The witness: its key, the bytes it signs, its cosignature line.
    witness_key, _, witness_id, lines = key(WITNESS_SEED, WITNESS, 0x04)
    blocks.append(block(["witness key"] + lines))
    message = f"cosignature/v1\ntime {COSIGNED_AT}\n".encode() + text
    blocks.append(block(message.decode().splitlines()))
    cosignature = witness_key.sign(message)
    witness_key.public_key().verify(cosignature, message)
    blocks.append(block([f"— {WITNESS} {b64(witness_id + COSIGNED_AT.to_bytes(8, 'big') + cosignature)}"]))
    return blocks


# --- The page.

def page_blocks(page):
    """The ```text blocks of the page's *Transparency log vectors* section, in order."""
    lines = page.split("\n")
    try:
        start = lines.index(SECTION)
    except ValueError:
        raise Failure(f"the page has no line {SECTION!r}")
    blocks, current, fence, before = [], None, False, ""
    for line in lines[start + 1:]:
        if not fence and line.startswith("#") and line.split(" ")[0] in ("#", "##", "###"):
            break
        if current is not None:
            if line == "```":
                # Skipped on purpose: the block after "prints:" is `ecoledger receipt verify`'s
                # human summary of the entry (a rounded time, kinds in words, points as decimals).
                # That wording is the tool's, not the log's, so it is not derivable from the spec.
                if not before.rstrip().endswith("prints:"):
                    blocks.append(block(current))
                current = None
            else:
                current.append(line)
        elif line.startswith("```"):
            fence = not fence
            if fence and line == "```text":
                current, fence = [], False
        elif not fence and line.strip():
            before = line
    return blocks


def check(page_path, computed):
    with open(page_path, encoding="utf-8") as page:
        expected = page_blocks(page.read())
    status = 0
    for number in range(max(len(expected), len(computed))):
        want = expected[number] if number < len(expected) else ""
        got = computed[number] if number < len(computed) else ""
        if want != got:
            status = 1
            title = (want or got).split("\n")[1][:60]
            print(f"block {number + 1} ({title}) differs:")
            sys.stdout.writelines(difflib.unified_diff(
                want.splitlines(True), got.splitlines(True), page_path, "computed", lineterm="\n"))
            print()
    if status == 0:
        print(f"OK {len(computed)} blocks of {page_path} match")
    return status


def main(argv):
    page, path, args = None, None, iter(argv)
    for arg in args:
        if arg == "--check":
            page = next(args, None)
            if page is None:
                print("usage: example_vectors.py [--check LEDGER.md] [EXPORT.jsonl]", file=sys.stderr)
                return 2
        else:
            path = arg
    try:
        stream = open(path, encoding="utf-8") if path else sys.stdin
        with stream:
            computed = vectors(read_export(stream))
        if page:
            return check(page, computed)
    except Failure as failure:
        print(f"FAILED {failure}", file=sys.stderr)
        return 1
    print("\n\n".join(computed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

// tlogverify checks ecoledger's transparency-log output with an implementation nobody on the
// project wrote: golang.org/x/mod/sumdb/tlog (RFC 6962 proofs) and sumdb/note (C2SP signed
// notes, Ed25519 key IDs), as Debian packages them (golang-golang-x-mod-dev). Witness
// cosignatures (type 0x04) are checked by a small note.Verifier written from
// c2sp.org/tlog-cosignature, since x/mod predates them.
//
// Usage: tlogverify INPUT.json. Prints one summary line; exits 1 at the first thing that does
// not verify, naming it.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type input struct {
	LogKey      string   `json:"log_key"`
	WitnessName string   `json:"witness_name"`
	WitnessKey  string   `json:"witness_key"` // base64 of the 32-byte Ed25519 public key
	Checkpoints []string `json:"checkpoints"` // signed notes, oldest first
	Receipts    []string `json:"receipts"`    // c2sp.org/tlog-proof@v1 files
	Consistency []struct {
		Old   int64    `json:"old"`
		New   int64    `json:"new"`
		Proof []string `json:"proof"` // base64
	} `json:"consistency"`
}

type cosigV1 struct {
	name string
	pub  ed25519.PublicKey
	id   uint32
	seen bool
}

func (v *cosigV1) Name() string    { return v.name }
func (v *cosigV1) KeyHash() uint32 { return v.id }
func (v *cosigV1) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	m := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	ok := ed25519.Verify(v.pub, m, sig[8:])
	v.seen = v.seen || ok
	return ok
}

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

type tree struct {
	size int64
	root tlog.Hash
}

func openCheckpoint(text string, verifiers note.Verifiers) (tree, *note.Note) {
	n, err := note.Open([]byte(text), verifiers)
	if err != nil {
		fail("checkpoint does not open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		fail("checkpoint body is not three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	raw, err2 := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || err2 != nil || len(raw) != 32 {
		fail("checkpoint size or root malformed")
	}
	var root tlog.Hash
	copy(root[:], raw)
	return tree{size, root}, n
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		fail("%v", err)
	}
	logV, err := note.NewVerifier(in.LogKey)
	if err != nil {
		fail("log key: %v", err)
	}
	verifiers := note.VerifierList(logV)
	var witness *cosigV1
	if in.WitnessKey != "" {
		pub, _ := base64.StdEncoding.DecodeString(in.WitnessKey)
		h := sha256.Sum256(append(append([]byte(in.WitnessName+"\n"), 0x04), pub...))
		witness = &cosigV1{name: in.WitnessName, pub: pub, id: binary.BigEndian.Uint32(h[:4])}
		verifiers = note.VerifierList(logV, witness)
	}
	trees := map[int64]tlog.Hash{}
	for _, text := range in.Checkpoints {
		t, _ := openCheckpoint(text, verifiers)
		trees[t.size] = t.root
	}
	for i, c := range in.Consistency {
		oldRoot, ok1 := trees[c.Old]
		newRoot, ok2 := trees[c.New]
		if !ok1 || !ok2 {
			fail("consistency %d: sizes %d and %d are not both checkpoints", i, c.Old, c.New)
		}
		var proof tlog.TreeProof
		for _, s := range c.Proof {
			b, _ := base64.StdEncoding.DecodeString(s)
			var h tlog.Hash
			copy(h[:], b)
			proof = append(proof, h)
		}
		if c.Old == 0 || c.Old == c.New {
			if len(proof) != 0 || (c.Old == c.New && oldRoot != newRoot) {
				fail("consistency %d: trivial proof %d→%d wrong", i, c.Old, c.New)
			}
			continue
		}
		if err := tlog.CheckTree(proof, c.New, newRoot, c.Old, oldRoot); err != nil {
			fail("consistency %d→%d: %v", c.Old, c.New, err)
		}
	}
	for i, text := range in.Receipts {
		split := strings.Index(text, "\n\n")
		if split < 0 {
			fail("receipt %d: no blank line", i)
		}
		lines := strings.Split(text[:split], "\n")
		if lines[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(lines[1], "extra ") || !strings.HasPrefix(lines[2], "index ") {
			fail("receipt %d: header", i)
		}
		extra, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[1], "extra "))
		if err != nil || len(extra) < 33 {
			fail("receipt %d: extra", i)
		}
		index, err := strconv.ParseInt(strings.TrimPrefix(lines[2], "index "), 10, 64)
		if err != nil {
			fail("receipt %d: index", i)
		}
		var proof tlog.RecordProof
		for _, s := range lines[3:] {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil || len(b) != 32 {
				fail("receipt %d: proof line", i)
			}
			var h tlog.Hash
			copy(h[:], b)
			proof = append(proof, h)
		}
		t, _ := openCheckpoint(text[split+2:], verifiers)
		// The entry's hash: SHA-256(previous hash ‖ canonical bytes), the previous hash ending them.
		entryHash := sha256.Sum256(append(append([]byte{}, extra[len(extra)-32:]...), extra...))
		if err := tlog.CheckRecord(proof, t.size, t.root, index, tlog.RecordHash(entryHash[:])); err != nil {
			fail("receipt %d (index %d): %v", i, index, err)
		}
	}
	cosigned := witness != nil && witness.seen
	fmt.Printf("OK checkpoints=%d consistency=%d receipts=%d cosigned=%v\n", len(in.Checkpoints), len(in.Consistency), len(in.Receipts), cosigned)
}

package webhook

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseRecords: any bytes parse without panicking into records whose
// re-encoding is exactly the valid prefix.
func FuzzParseRecords(f *testing.F) {
	var seed []byte
	seed = appendRecord(seed, &record{kind: kindEvent, lsn: 1, app: 1400000001, typ: EventEnterRoom, info: []byte(`{"RoomId":1}`)})
	seed = appendRecord(seed, &record{kind: kindAck, lsn: 1})
	f.Add(seed)
	f.Add(seed[:len(seed)-3])
	f.Add([]byte{})
	f.Add([]byte{255, 255, 255, 255, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, valid := parseRecords(data)
		if valid < 0 || valid > len(data) {
			t.Fatalf("valid prefix %d of %d bytes", valid, len(data))
		}
		var again []byte
		for i := range recs {
			r := &recs[i]
			if r.lsn == 0 || (r.kind == kindEvent && !r.typ.Valid()) {
				t.Fatalf("record %+v accepted", r)
			}
			again = appendRecord(again, r)
		}
		if !bytes.Equal(again, data[:valid]) {
			t.Fatalf("records re-encode to %x, valid prefix is %x", again, data[:valid])
		}
	})
}

// TestOutboxRecoverGarbage: whatever a segment file holds after its
// header (torn, flipped or random bytes), the outbox opens, recovers only
// well-formed events, and takes appends that a second recovery finds. (The
// parser itself is fuzzed by FuzzParseRecords; this covers the files around
// it, and fsyncs too slowly to be a fuzz target.)
func TestOutboxRecoverGarbage(t *testing.T) {
	const garbageSegLimit = 4096
	var good []byte
	good = appendRecord(good, &record{kind: kindEvent, lsn: 3, app: 7, typ: EventExitRoom, info: []byte(`{}`)})
	good = appendRecord(good, &record{kind: kindEvent, lsn: 4, app: 7, typ: EventDismissRoom, info: []byte(`{}`)})
	good = appendRecord(good, &record{kind: kindAck, lsn: 3})
	rng := rand.New(rand.NewPCG(1, 2))
	type tc struct {
		name      string
		body      []byte
		badHeader bool
		want      int
	}
	cases := []tc{
		{"intact", good, false, 1},
		{"torn", good[:20], false, 0},
		{"text", []byte("garbage"), false, 0},
		{"bad header", good, true, 0},
	}
	for i := range 40 {
		b := bytes.Clone(good)
		b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		cases = append(cases, tc{name: fmt.Sprintf("flip %d", i), body: b, want: -1})
		r := make([]byte, rng.IntN(200))
		for j := range r {
			r[j] = byte(rng.Uint32())
		}
		cases = append(cases, tc{name: fmt.Sprintf("random %d", i), body: append(bytes.Clone(good[:rng.IntN(len(good))]), r...), want: -1})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			hdr := segHeader{instance: 42, base: 3}.encode()
			if c.badHeader {
				hdr[5] ^= 1
			}
			name := filepath.Join(dir, "00000000000000000003-00000000000000000001.seg")
			if err := os.WriteFile(name, append(hdr, c.body...), 0o600); err != nil {
				t.Fatal(err)
			}
			o, got, err := openOutbox(dir, garbageSegLimit, discard)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if c.want >= 0 && len(got) != c.want {
				t.Fatalf("recovered %d events, want %d", len(got), c.want)
			}
			for _, st := range got {
				if !st.typ.Valid() || st.lsn < 3 || st.seg == nil {
					t.Fatalf("recovered %+v", st)
				}
			}
			st, err := o.append(7, EventEnterRoom, []byte(`{"new":1}`), true)
			if err != nil {
				t.Fatalf("append: %v", err)
			}
			o.close()
			o2, again, err := openOutbox(dir, garbageSegLimit, discard)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer o2.close()
			if len(again) != len(got)+1 || again[len(again)-1].lsn != st.lsn {
				t.Fatalf("reopen found %d events, want %d ending with lsn %d", len(again), len(got)+1, st.lsn)
			}
		})
	}
}

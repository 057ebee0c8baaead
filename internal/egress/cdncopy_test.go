package egress

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestNALUnitsAndParamSets(t *testing.T) {
	sps := []byte{0x67, 0x42, 0xc0, 0x1e}
	pps := []byte{0x68, 0xce, 0x3c, 0x80}
	idr := []byte{0x65, 0x88, 0x84, 0x00}
	slice := []byte{0x41, 0x9a, 0x02}
	annexB := func(ns ...[]byte) []byte {
		var b []byte
		for _, n := range ns {
			b = append(append(b, 0, 0, 0, 1), n...)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		au   []byte
		want int
	}{
		{"four-byte start codes", annexB(sps, pps, idr), 3},
		{"three-byte start code", append([]byte{0, 0, 1}, slice...), 1},
		{"empty", nil, 0},
		{"no start code", []byte{1, 2, 3}, 0},
	} {
		if got := nalUnits(tc.au); len(got) != tc.want {
			t.Errorf("%s: %d units %x, want %d", tc.name, len(got), got, tc.want)
		}
	}
	var c copyState
	if got := c.withParamSets(annexB(idr)); !bytes.Equal(got, annexB(idr)) {
		t.Fatalf("without known parameter sets a keyframe is kept as is: %x", got)
	}
	c.learnParamSets(annexB(sps, pps, idr))
	if got := c.withParamSets(annexB(idr)); !bytes.Equal(got, annexB(sps, pps, idr)) {
		t.Fatalf("a bare keyframe gets SPS and PPS: %x", got)
	}
	if got := c.withParamSets(annexB(sps, pps, idr)); !bytes.Equal(got, annexB(sps, pps, idr)) {
		t.Fatalf("a keyframe with its parameter sets is kept as is: %x", got)
	}
}

// FuzzNALUnits: any bytes split without a panic into units that lie within
// the access unit.
func FuzzNALUnits(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2})
	f.Add([]byte{0, 0, 1})
	f.Add([]byte{0, 0, 1, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, au []byte) {
		total := 0
		for _, n := range nalUnits(au) {
			total += len(n)
		}
		if total > len(au) {
			t.Fatalf("%d bytes of units from %d", total, len(au))
		}
		var c copyState
		c.learnParamSets(au)
		_ = c.withParamSets(au)
	})
}

// TestRecoverRelays: the relay tasks a previous run left running, or
// stopped at its shutdown, are listed once with their records; ended and
// malformed ones are not.
func TestRecoverRelays(t *testing.T) {
	dir := t.TempDir()
	write := func(id string, rec taskRecord) {
		d := filepath.Join(dir, "cdn", "1400000001", id)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeRecord(d, rec); err != nil {
			t.Fatal(err)
		}
	}
	relay := json.RawMessage(`{"k":1}`)
	const running, shutDown, ended, foreign = "00000000000000000000000000000001", "00000000000000000000000000000002",
		"00000000000000000000000000000003", "00000000000000000000000000000004"
	write(running, taskRecord{TaskID: running, App: 1400000001, Status: StatusInProgress.String(), Relay: relay})
	write(shutDown, taskRecord{TaskID: shutDown, App: 1400000001, Status: StatusExited.String(), LeaveCode: LeaveServerKicked, Relay: relay})
	write(ended, taskRecord{TaskID: ended, App: 1400000001, Status: StatusExited.String(), LeaveCode: LeaveFailed, Relay: relay})
	write(foreign, taskRecord{TaskID: running, App: 1400000001, Status: StatusInProgress.String(), Relay: relay}) // id ≠ directory
	write("not-an-id", taskRecord{TaskID: "not-an-id", App: 1400000001, Status: StatusInProgress.String(), Relay: relay})
	s := New(Config{Dir: dir})
	got, err := s.RecoverRelays()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range got {
		if string(r.Record) != string(relay) || r.App != 1400000001 {
			t.Fatalf("record %+v", r)
		}
		ids[r.TaskID] = true
	}
	if len(got) != 2 || !ids[running] || !ids[shutDown] {
		t.Fatalf("recovered %v, want %s and %s", ids, running, shutDown)
	}
	if again, err := s.RecoverRelays(); err != nil || len(again) != 0 {
		t.Fatalf("a second recovery: %v %v, want none", again, err)
	}
}

package rtpnack

import (
	"slices"
	"testing"
)

func seqRange(from, to uint16) []uint16 {
	var out []uint16
	for s := from; s != to+1; s++ {
		out = append(out, s)
	}
	return out
}

func TestWindowMissing(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  []uint16
		want []uint16
	}{
		{"nothing received", nil, nil},
		{"in order", []uint16{1, 2, 3, 4}, nil},
		{"one gap", []uint16{1, 2, 5}, []uint16{3, 4}},
		{"reordered arrival fills the gap", []uint16{1, 3, 2}, nil},
		{"late packet fills part of a gap", []uint16{10, 15, 12}, []uint16{11, 13, 14}},
		{"wrap-around", []uint16{65533, 65534, 1}, []uint16{65535, 0}},
		{"wrap-around gap filled late", []uint16{65534, 2, 0, 65535}, []uint16{1}},
		{"duplicate", []uint16{7, 7, 9}, []uint16{8}},
		{"largest gap the window holds", []uint16{100, 100 + Window - 1}, seqRange(101, 100+Window-2)},
		{"a jump of a window starts afresh", []uint16{100, 100 + Window, 100 + Window + 2}, []uint16{100 + Window + 1}},
		{"a packet older than the window is ignored", []uint16{400, 900, 1000, 400}, append(seqRange(489, 899), seqRange(901, 999)...)},
		{"first packet starts the log", []uint16{5000, 4990}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w window
			for _, s := range tc.add {
				w.add(s)
			}
			got := w.missing(nil, 3)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("missing = %v, want %v", got, tc.want)
			}
		})
	}
}

// A repaired packet (recorded late, as Generator.Repaired does) is asked
// for no more; the others go on until the maximum.
func TestWindowRepairStopsRequests(t *testing.T) {
	var w window
	for _, s := range []uint16{1, 2, 6} {
		w.add(s)
	}
	if got := w.missing(nil, 4); !slices.Equal(got, []uint16{3, 4, 5}) {
		t.Fatalf("first round = %v", got)
	}
	w.add(4)
	for round := 2; round <= 4; round++ {
		if got := w.missing(nil, 4); !slices.Equal(got, []uint16{3, 5}) {
			t.Fatalf("round %d = %v, want [3 5]", round, got)
		}
	}
	if got := w.missing(nil, 4); len(got) != 0 {
		t.Fatalf("after the maximum: %v, want none", got)
	}
	// A packet given up on that arrives after all, and a new gap.
	w.add(3)
	w.add(9)
	if got := w.missing(nil, 4); !slices.Equal(got, []uint16{7, 8}) {
		t.Fatalf("new gap = %v, want [7 8]", got)
	}
}

// The counters of a slot start over when the window moves past it: a new
// packet with the same slot is asked for the full number of times.
func TestWindowSlotReuse(t *testing.T) {
	var w window
	w.add(0)
	w.add(2) // 1 missing
	for range 2 {
		w.missing(nil, 2)
	}
	if got := w.missing(nil, 2); len(got) != 0 {
		t.Fatalf("1 should be given up: %v", got)
	}
	w.add(Window)     // slot 0 again; 3..Window-1 missing
	w.add(Window + 2) // Window+1 (slot 1) missing
	got := w.missing(nil, 2)
	if !slices.Contains(got, Window+1) || slices.Contains(got, 1) || len(got) != Window-3+1 {
		t.Fatalf("after reuse: %d missing, has %d: %v, has 1: %v", len(got), Window+1, slices.Contains(got, Window+1), slices.Contains(got, 1))
	}
}

func TestWindowAddAllocatesNothing(t *testing.T) {
	var w window
	seq := uint16(0)
	allocs := testing.AllocsPerRun(1000, func() {
		seq += 2 // a gap every time
		w.add(seq)
		w.add(seq - 1)
	})
	if allocs != 0 {
		t.Fatalf("add allocates %v per run", allocs)
	}
}

// FuzzWindow feeds arbitrary sequence numbers and checks the log's
// promises: requests lie inside the window, oldest first, never for a
// packet just recorded, and never more than the maximum.
func FuzzWindow(f *testing.F) {
	f.Add([]byte{0, 1, 0, 5, 0, 3, 0xff})
	f.Add([]byte{0xff, 0xfe, 0, 2, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 2, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 3
		var w window
		asked := map[uint16]int{}
		for len(data) >= 2 {
			seq := uint16(data[0])<<8 | uint16(data[1])
			data = data[2:]
			oldEnd, started := w.end, w.started
			w.add(seq)
			if !started || seq-oldEnd < 0x8000 && seq-oldEnd >= Window {
				clear(asked) // the log started afresh
			}
			delete(asked, seq)
			for s := range asked {
				if w.end-s >= Window {
					delete(asked, s) // out of the window: its counter is gone
				}
			}
			if len(data) > 0 && data[0] == 0xff {
				data = data[1:]
				got := w.missing(nil, max)
				prev := -1
				for _, s := range got {
					back := int(w.end - s)
					if back <= 0 || back >= Window {
						t.Fatalf("requested %d, end %d: outside the window", s, w.end)
					}
					if prev >= 0 && back >= prev {
						t.Fatalf("requests out of order: %v", got)
					}
					prev = back
					if s == seq {
						t.Fatalf("requested %d, just recorded", s)
					}
					asked[s]++
					if asked[s] > max {
						t.Fatalf("requested %d %d times", s, asked[s])
					}
				}
			}
		}
	})
}

// add reports a gap exactly when a packet leaves others missing behind it.
func TestWindowAddReportsGaps(t *testing.T) {
	var w window
	for _, c := range []struct {
		seq uint16
		gap bool
	}{
		{65534, false}, // first packet
		{65535, false},
		{1, true},  // 0 missing, across the wrap
		{0, false}, // the repair
		{1, false}, // a duplicate
		{2, false},
		{2 + Window, false}, // a restart of the numbering: a fresh log
		{5 + Window, true},
	} {
		if got := w.add(c.seq); got != c.gap {
			t.Fatalf("add(%d) = %v, want %v", c.seq, got, c.gap)
		}
	}
}

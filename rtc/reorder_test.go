package rtc

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestAudioReorder(t *testing.T) {
	type step struct {
		seq  uint16
		at   time.Duration
		want []uint16
	}
	t0 := time.Unix(100, 0)
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"in order", []step{{10, 0, []uint16{10}}, {11, 20, []uint16{11}}, {12, 40, []uint16{12}}}},
		{"swapped pair", []step{{10, 0, []uint16{10}}, {12, 20, nil}, {11, 25, []uint16{11, 12}}, {13, 40, []uint16{13}}}},
		{"gap given up", []step{{10, 0, []uint16{10}}, {12, 20, nil}, {13, 40, nil}, {14, 85, []uint16{12, 13, 14}}, {11, 90, nil}}},
		{"duplicates dropped", []step{{10, 0, []uint16{10}}, {10, 5, nil}, {12, 20, nil}, {12, 21, nil}, {11, 22, []uint16{11, 12}}}},
		{"wraps", []step{{65535, 0, []uint16{65535}}, {1, 20, nil}, {0, 21, []uint16{0, 1}}}},
		{"burst after a long gap", func() []step {
			s := []step{{1, 0, []uint16{1}}}
			for i := range uint16(15) {
				s = append(s, step{3 + i, 10, nil})
			}
			want := []uint16{}
			for i := range uint16(16) {
				want = append(want, 3+i)
			}
			return append(s, step{18, 10, want})
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r audioReorder
			for _, st := range tc.steps {
				var got []uint16
				for _, p := range r.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: st.seq}}, t0.Add(st.at*time.Millisecond)) {
					got = append(got, p.SequenceNumber)
				}
				if !slices.Equal(got, st.want) {
					t.Fatalf("push %d at %d ms: got %v, want %v", st.seq, st.at, got, st.want)
				}
			}
		})
	}
}

// TestAudioReorderAdapts: a packet that arrives after its gap was given up
// makes the next gap wait longer by how late it came; gaps that fill in
// time bring the wait back down.
func TestAudioReorderAdapts(t *testing.T) {
	t0 := time.Unix(100, 0)
	var r audioReorder
	push := func(seq uint16, ms int) []uint16 {
		var got []uint16
		for _, p := range r.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq}}, t0.Add(time.Duration(ms)*time.Millisecond)) {
			got = append(got, p.SequenceNumber)
		}
		return got
	}
	push(10, 0)
	push(12, 20)
	push(13, 40)
	if got := push(14, 85); !slices.Equal(got, []uint16{12, 13, 14}) {
		t.Fatalf("gap not given up: %v", got)
	}
	push(11, 105) // 20 ms after its gap was given up
	if w := r.Wait(); w != 85*time.Millisecond {
		t.Fatalf("wait after a packet 20 ms late: %v, want 85ms", w)
	}
	push(16, 120) // 15 is missing
	if got := push(17, 200); got != nil {
		t.Fatalf("gave up after 80 ms with a wait of 85: %v", got)
	}
	if got := push(18, 206); !slices.Equal(got, []uint16{16, 17, 18}) {
		t.Fatalf("gap not given up after 86 ms: %v", got)
	}
	// Gaps that fill in time shrink the wait toward the start.
	seq, at := uint16(19), 220
	for range 400 {
		push(seq+1, at)
		push(seq, at+5)
		seq, at = seq+2, at+40
	}
	if w := r.Wait(); w > audioReorderWait+time.Millisecond {
		t.Fatalf("wait after 400 gaps filled in time: %v", w)
	}
	// Packets from long before do not count as late for a gap.
	push(5, at)
	if w := r.Wait(); w > audioReorderWait+time.Millisecond {
		t.Fatalf("an old duplicate changed the wait: %v", w)
	}
}

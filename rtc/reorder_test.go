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

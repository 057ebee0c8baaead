package egress

import (
	"fmt"
	"testing"
	"time"
)

func rtpSeq(seq uint16) []byte {
	b := make([]byte, 12)
	b[0] = 0x80
	b[2], b[3] = byte(seq>>8), byte(seq)
	return b
}

func TestReorderBuffer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name string
		in   []int // sequence numbers; -N advances the clock N ms
		want string
	}{
		{"in order", []int{1, 2, 3}, "[1 2 3]"},
		{"a repair fills the gap", []int{1, 3, 4, -100, 2, 5}, "[1 2 3 4 5]"},
		{"a gap older than the wait is skipped", []int{1, 3, 4, -400, 5}, "[1 3 4 5]"},
		{"late repair and duplicates are dropped", []int{1, 3, -400, 4, 2, 3}, "[1 3 4]"},
		{"wraps around", []int{65534, 65535, 1, 0, 2}, "[65534 65535 0 1 2]"},
		{"far ahead releases what is held", []int{1, 3, 2000, 2001}, "[1 3 2000 2001]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b reorderBuffer
			var got []int
			now := t0
			out := func(p []byte) { got = append(got, int(p[2])<<8|int(p[3])) }
			for _, s := range tc.in {
				if s < 0 {
					now = now.Add(time.Duration(-s) * time.Millisecond)
					continue
				}
				b.push(rtpSeq(uint16(s)), now, out)
			}
			b.flush(out)
			if fmt.Sprint(got) != tc.want {
				t.Fatalf("released %v, want %s", got, tc.want)
			}
		})
	}
}

package egress

import (
	"bytes"
	"testing"
)

func TestPCMFIFO(t *testing.T) {
	f := newPCMFIFO(8*mixFrameLen, 16*mixFrameLen)
	out := make([]byte, 4*mixFrameLen)
	f.push(bytes.Repeat([]byte{1}, 6*mixFrameLen))
	f.pull(out)
	if !bytes.Equal(out, make([]byte, len(out))) {
		t.Fatal("played before the prebuffer filled")
	}
	f.push(bytes.Repeat([]byte{2}, 3*mixFrameLen)) // 9 frames: plays
	f.pull(out)
	if out[0] != 1 || out[len(out)-1] != 1 {
		t.Fatalf("first pull %v", out)
	}
	f.pull(out) // 5 left: 2 of 1s, 3 of 2s
	f.pull(out) // 1 left: underrun, the rest silence
	if out[0] != 2 || out[mixFrameLen] != 0 || f.underruns != 1 {
		t.Fatalf("underrun pull %v, underruns %d", out, f.underruns)
	}
	f.push(bytes.Repeat([]byte{3}, 40*mixFrameLen+1)) // over the limit: the oldest go
	if l := f.level(); l > 16*mixFrameLen+mixFrameLen || f.dropped == 0 {
		t.Fatalf("level %d, dropped %d", l, f.dropped)
	}
}

// TestMixCellFrame: a cell shows its newest frame, the background before
// the first, and black while muted with FillType 1.
func TestMixCellFrame(t *testing.T) {
	bg := [3]byte{0, 255, 0}
	m := &mixer{p: MixParams{FillBlack: true}, layout: MixLayout{Background: bg}, solid: map[[5]int][]byte{}}
	in := &mixInput{video: true}
	pc := placed{in: in, cell: mixCell{w: 4, h: 2}}
	if f, ok := m.cellFrame(pc); ok || !bytes.Equal(f, solidFrame(4, 2, bg)) {
		t.Fatalf("before any frame: %v %v", f, ok)
	}
	frame := bytes.Repeat([]byte{9}, frameSize(4, 2))
	in.latest = frame
	if f, ok := m.cellFrame(pc); !ok || !bytes.Equal(f, frame) {
		t.Fatalf("with a frame: %v %v", f, ok)
	}
	in.paused = true
	if f, ok := m.cellFrame(pc); !ok || !bytes.Equal(f, solidFrame(4, 2, [3]byte{})) {
		t.Fatalf("muted, FillType 1: %v %v", f, ok)
	}
	m.p.FillBlack = false
	if f, _ := m.cellFrame(pc); !bytes.Equal(f, frame) {
		t.Fatalf("muted, FillType 0: %v", f)
	}
	// Black in BT.601 limited range.
	if y, u, v := yuvColor([3]byte{}); y != 16 || u != 128 || v != 128 {
		t.Fatalf("black is %d %d %d", y, u, v)
	}
}

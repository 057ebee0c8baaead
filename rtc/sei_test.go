package rtc

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestH264SEINALBytes(t *testing.T) {
	// Header 06, payload type 5, size 18 (UUID + "hi"), UUID, "hi",
	// rbsp_trailing_bits.
	want := "060512" + "63cf61a299f344b3b9a28c6a2d5d44fb" + "6869" + "80"
	if got := hex.EncodeToString(h264SEINAL([][]byte{[]byte("hi")})); got != want {
		t.Fatalf("SEI NAL %s, want %s", got, want)
	}
	// Sizes of 255 and more take 0xff bytes (§7.3.2.3.1): 1016 = 3×255 + 251.
	nal := h264SEINAL([][]byte{bytes.Repeat([]byte{'x'}, 1000)})
	if !bytes.HasPrefix(nal, []byte{0x06, 0x05, 0xff, 0xff, 0xff, 0xfb}) {
		t.Fatalf("1000-byte message header % x", nal[:6])
	}
	// Zeros in a message get emulation prevention bytes: no start code, no
	// 00 00 0x (x ≤ 3) can appear inside the unit.
	z := []byte{0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0}
	nal = h264SEINAL([][]byte{z})
	for i := 0; i+2 < len(nal); i++ {
		if nal[i] == 0 && nal[i+1] == 0 && nal[i+2] <= 3 && nal[i+2] != 3 {
			t.Fatalf("unescaped 00 00 %02x at %d in % x", nal[i+2], i, nal)
		}
	}
	msgs, all := parseSEINAL(nal)
	if !all || len(msgs) != 1 || !bytes.Equal(msgs[0], z) {
		t.Fatalf("parsed %x (all %v)", msgs, all)
	}
}

func TestH264SEIInsertAndStrip(t *testing.T) {
	zeros := []byte{0, 0, 1, 0, 0, 0}
	for _, tc := range []struct {
		name string
		au   []byte
		msgs [][]byte
	}{
		{"keyframe", testH264AU(1, true, 3000), [][]byte{[]byte("frame 1")}},
		{"delta frame, two messages", testH264AU(2, false, 3000), [][]byte{[]byte("a"), zeros}},
		{"1000 bytes", testH264AU(3, true, 500), [][]byte{bytes.Repeat([]byte{0}, 1000)}},
		{"3-byte start codes", []byte{0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x65, 0x88, 0x84}, [][]byte{[]byte("x")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := insertH264SEI(tc.au, tc.msgs)
			if !ok || len(out) <= len(tc.au) {
				t.Fatal("not inserted")
			}
			// The SEI unit comes right before the first slice.
			units := annexBUnits(out)
			for i, u := range units {
				if typ := out[u.body] & 0x1f; typ >= 1 && typ <= 5 {
					if i == 0 || out[units[i-1].body]&0x1f != h264NALSEI {
						t.Fatalf("unit before the first slice is not SEI")
					}
					break
				}
			}
			got, msgs := stripH264SEI(out)
			if !bytes.Equal(got, tc.au) {
				t.Fatalf("stripped access unit differs:\n% x\n% x", got, tc.au)
			}
			if fmt.Sprint(msgs) != fmt.Sprint(tc.msgs) {
				t.Fatalf("messages %q, want %q", msgs, tc.msgs)
			}
		})
	}
	if _, ok := insertH264SEI([]byte{0, 0, 0, 1, 0x67, 0x42}, [][]byte{[]byte("x")}); ok {
		t.Fatal("inserted into an access unit without a slice")
	}
}

func TestH264ForeignSEIKept(t *testing.T) {
	au := testH264AU(4, true, 300)
	otherUUID := append([]byte{0x05, 0x13}, bytes.Repeat([]byte{0x11}, 16)...)
	foreign := append(append([]byte{0x06}, otherUUID...), 'a', 'b', 'c', 0x80)
	withForeign := append(append([]byte{0, 0, 0, 1}, foreign...), au...)
	got, msgs := stripH264SEI(withForeign)
	if !bytes.Equal(got, withForeign) || len(msgs) != 0 {
		t.Fatal("a foreign SEI was touched")
	}
	// A unit holding a foreign message and ours is kept; ours is reported.
	mixed := h264SEINAL([][]byte{[]byte("ours")})
	mixed = append(append([]byte{0x06}, otherUUID...), append([]byte("abc"), mixed[1:]...)...)
	au2 := append(append([]byte{0, 0, 0, 1}, mixed...), au...)
	got, msgs = stripH264SEI(au2)
	if !bytes.Equal(got, au2) || len(msgs) != 1 || string(msgs[0]) != "ours" {
		t.Fatalf("mixed SEI: kept %v, messages %q", bytes.Equal(got, au2), msgs)
	}
	// Malformed SEI units are left alone.
	for _, bad := range [][]byte{{0x06}, {0x06, 0xff}, {0x06, 0x05, 0x40, 1, 2}, {0x06, 0x05}} {
		x := append(append([]byte{0, 0, 0, 1}, bad...), au...)
		if got, msgs := stripH264SEI(x); !bytes.Equal(got, x) || len(msgs) != 0 {
			t.Fatalf("malformed % x was changed", bad)
		}
	}
}

func TestSEITrailer(t *testing.T) {
	frame := testVP8Frame(7, true, 640, 360, 800)
	msgs := [][]byte{[]byte("one"), {}, bytes.Repeat([]byte{0xfb}, 1000)}
	out := appendSEITrailer(frame, msgs)
	if want := len(frame) + 3*2 + 3 + 1000 + seiFooterLen; len(out) != want {
		t.Fatalf("trailer of %d bytes, want %d", len(out)-len(frame), want-len(frame))
	}
	got, gotMsgs := stripSEITrailer(out)
	if !bytes.Equal(got, frame) || fmt.Sprint(gotMsgs) != fmt.Sprint(msgs) {
		t.Fatalf("round trip: frame equal %v, messages %d", bytes.Equal(got, frame), len(gotMsgs))
	}
	if got, m := stripSEITrailer(frame); !bytes.Equal(got, frame) || m != nil {
		t.Fatal("a frame without a trailer was changed")
	}
	// Only a well-formed trailer is removed.
	for name, corrupt := range map[string]func([]byte){
		"count too high":   func(b []byte) { b[len(b)-seiFooterLen]++ },
		"count too low":    func(b []byte) { b[len(b)-seiFooterLen]-- },
		"length too long":  func(b []byte) { b[len(b)-18] = 0xff },
		"length too short": func(b []byte) { b[len(b)-17]-- },
		"message length":   func(b []byte) { b[len(frame)+1]++ },
	} {
		b := append([]byte(nil), out...)
		corrupt(b)
		if got, m := stripSEITrailer(b); !bytes.Equal(got, b) || m != nil {
			t.Fatalf("%s: stripped", name)
		}
	}
}

// TestSEIThroughRTP: SEI survives the sender's packetizer and the
// receiver's frame assembly, for both codecs.
func TestSEIThroughRTP(t *testing.T) {
	for _, c := range asmCases {
		t.Run(c.name, func(t *testing.T) {
			frames := makeFrames(c, 30)
			var sent [][]byte
			for i, f := range frames {
				var out []byte
				msgs := [][]byte{[]byte(fmt.Sprintf("frame %d", i)), bytes.Repeat([]byte{0}, i*30)}
				if c.dp.format() == VideoFormatH264 {
					out, _ = insertH264SEI(f, msgs)
				} else {
					out = appendSEITrailer(f, msgs)
				}
				sent = append(sent, out)
			}
			asm := newFrameAssembler(c.dp)
			n := 0
			for _, pkts := range packetize(t, c.pay(), sent, 1200) {
				for _, p := range pkts {
					b, _ := p.Marshal()
					var q rtp.Packet
					if err := q.Unmarshal(b); err != nil {
						t.Fatal(err)
					}
					got, _ := asm.push(&q, time.Now())
					for _, f := range got {
						data, msgs := stripSEI(c.dp.format(), f.data)
						if !bytes.Equal(data, frames[n]) {
							t.Fatalf("frame %d differs after stripping", n)
						}
						if len(msgs) != 2 || string(msgs[0]) != fmt.Sprintf("frame %d", n) || len(msgs[1]) != n*30 {
							t.Fatalf("frame %d carried %q", n, msgs)
						}
						n++
					}
				}
			}
			if n != len(frames) {
				t.Fatalf("%d frames assembled, want %d", n, len(frames))
			}
		})
	}
}

func TestAttachSEIRepeats(t *testing.T) {
	var ms messenger
	ms.sei.items = []*seiItem{
		{data: []byte("a"), left: [2]int{2, 1}},
		{data: []byte("b"), left: [2]int{1, 0}},
	}
	check := func(st StreamType, want ...string) {
		t.Helper()
		f := testVP8Frame(1, false, 0, 0, 50)
		_, msgs := stripSEITrailer(ms.attachSEI(st, VideoFormatVP8, f))
		if fmt.Sprintf("%s", msgs) != fmt.Sprint(want) {
			t.Fatalf("stream %v carried %s, want %v", st, msgs, want)
		}
	}
	check(StreamBig, "a", "b")
	check(StreamSmall, "a")
	check(StreamSub)
	check(StreamBig, "a")
	check(StreamBig)
	check(StreamSmall)
	if len(ms.sei.items) != 0 {
		t.Fatalf("%d items left", len(ms.sei.items))
	}
	// Formats that cannot carry SEI leave the frame alone and keep it waiting.
	ms.sei.items = []*seiItem{{data: []byte("c"), left: [2]int{1, 0}}}
	if out := ms.attachSEI(StreamBig, VideoFormatH264, []byte{0, 0, 0, 1, 0x67}); len(out) != 5 || len(ms.sei.items) != 1 {
		t.Fatal("attached to an access unit without a slice")
	}
}

func FuzzStripH264SEI(f *testing.F) {
	f.Add(testH264AU(1, true, 200), []byte("hello"))
	f.Add([]byte{0, 0, 1, 0x65, 0, 0, 0, 1, 0x06, 0x05, 0x01, 0x80}, []byte{0, 0, 0})
	f.Add([]byte{0, 0, 0, 1, 0x41, 0}, []byte{})
	f.Fuzz(func(t *testing.T, au, msg []byte) {
		stripped, had := stripH264SEI(au) // must not panic on anything
		if len(stripped) > len(au) {
			t.Fatal("stripping grew the access unit")
		}
		if len(had) > 0 || len(msg) > MaxCustomMsgBytes {
			return
		}
		out, ok := insertH264SEI(au, [][]byte{msg})
		if !ok {
			return
		}
		back, msgs := stripH264SEI(out)
		if !bytes.Equal(back, au) || len(msgs) != 1 || !bytes.Equal(msgs[0], msg) {
			t.Fatalf("round trip of %x in % x: got % x, %x", msg, au, back, msgs)
		}
	})
}

func FuzzStripSEITrailer(f *testing.F) {
	f.Add(testVP8Frame(1, true, 640, 360, 30), []byte("hello"))
	f.Add(appendSEITrailer([]byte{1}, [][]byte{{2}}), []byte{})
	f.Fuzz(func(t *testing.T, frame, msg []byte) {
		stripped, had := stripSEITrailer(frame)
		if len(stripped) > len(frame) {
			t.Fatal("stripping grew the frame")
		}
		if len(frame) == 0 || had != nil || len(msg) > MaxCustomMsgBytes {
			return
		}
		back, msgs := stripSEITrailer(appendSEITrailer(frame, [][]byte{msg}))
		if !bytes.Equal(back, frame) || len(msgs) != 1 || !bytes.Equal(msgs[0], msg) {
			t.Fatalf("round trip of %x after % x failed", msg, frame)
		}
	})
}

package test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// SEI messages ride inside video frames: the receiver gets each one with
// OnRecvSEIMsg right before the render callback of the frame it rode on,
// and the frame itself exactly as it was sent.

// seiFrames is a renderer that notes, for each frame, its counter and the
// SEI messages reported since the previous frame.
type seiFrames struct {
	rec    *Recorder
	count  func([]byte) int
	mu     sync.Mutex
	seen   int // events of rec already looked at
	frames []seiFrame
}

type seiFrame struct {
	n    int
	data []byte
	sei  []string
}

func (s *seiFrames) OnRenderVideoFrame(_ string, _ rtc.StreamType, f *rtc.VideoFrame) {
	evs := s.rec.All()
	s.mu.Lock()
	defer s.mu.Unlock()
	var sei []string
	for _, e := range evs[s.seen:] {
		if e.Name == "OnRecvSEIMsg" {
			sei = append(sei, e.Args[1].(string))
		}
	}
	s.seen = len(evs)
	s.frames = append(s.frames, seiFrame{n: s.count(f.Data), data: f.Data, sei: sei})
}

func (s *seiFrames) byCounter() map[int]seiFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]seiFrame{}
	for _, f := range s.frames {
		out[f.n] = f
	}
	return out
}

// vp8Counter reads the counter of a vp8Frame.
func vp8Counter(f []byte) int {
	off := 3
	if f[0]&1 == 0 {
		off = 10
	}
	if len(f) < off+5 {
		return -1
	}
	return int(binary.BigEndian.Uint32(f[off+1:]))
}

// h264Counter reads the counter of an h264AU.
func h264Counter(f []byte) int {
	i := bytes.LastIndex(f, []byte{0, 0, 0, 1})
	if i < 0 || len(f) < i+13 {
		return -1
	}
	n, err := strconv.Atoi(string(f[i+5 : i+13]))
	if err != nil {
		return -1
	}
	return n
}

func TestSEIRidesItsFrame(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format rtc.VideoFormat
		frame  func(n int, key bool) []byte
		count  func([]byte) int
	}{
		{"VP8", rtc.VideoFormatVP8, func(n int, key bool) []byte { return vp8Frame(1, uint32(n), key, 300+n*41%1500) }, vp8Counter},
		{"H264", rtc.VideoFormatH264, func(n int, key bool) []byte { return h264AU(uint32(n), key, 300+n*41%1500) }, h264Counter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEnv(t)
			room := uint32(8100)
			if tc.format == rtc.VideoFormatH264 {
				room++
			}
			alice := e.Join("alice", room, rtc.SceneVideoCall, 0)
			bob := e.Join("bob", room, rtc.SceneVideoCall, 0)
			r := &seiFrames{rec: bob.rec, count: tc.count}
			bob.SetRemoteVideoRenderCallback("alice", tc.format, r)

			// No video, no SEI.
			if alice.SendSEIMsg([]byte("too early"), 1) {
				t.Fatal("SEI accepted without video")
			}
			alice.EnableCustomVideoCapture(rtc.StreamBig, true)
			bob.Wait("OnUserVideoAvailable", "alice", true)
			send := func(n int, key bool) []byte {
				f := tc.frame(n, key)
				if err := alice.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: tc.format, Data: f, Keyframe: key}); err != nil {
					t.Fatal(err)
				}
				return f
			}
			deadline := time.Now().Add(8 * time.Second)
			for n := 0; !bob.seen("OnFirstVideoFrame"); n++ {
				if time.Now().After(deadline) {
					t.Fatal("no video within 8s")
				}
				send(n, true)
				time.Sleep(20 * time.Millisecond)
			}

			// Frames 1000..1059: every third carries a message naming it;
			// frame 1030 starts a message repeated on three frames.
			want := map[int][]string{}
			sent := map[int][]byte{}
			for n := 1000; n < 1060; n++ {
				if n%3 == 0 {
					msg := fmt.Sprintf("frame %d", n)
					if !alice.SendSEIMsg([]byte(msg), 1) {
						t.Fatalf("SendSEIMsg for %d refused", n)
					}
					want[n] = append(want[n], msg)
				}
				if n == 1030 {
					big := string(bytes.Repeat([]byte{0, 0, 1}, 300)) // start codes inside: escaped
					if !alice.SendSEIMsg([]byte(big), 3) {
						t.Fatal("repeated SendSEIMsg refused")
					}
					for k := range 3 {
						want[n+k] = append(want[n+k], big)
					}
				}
				sent[n] = send(n, n%20 == 0)
				time.Sleep(5 * time.Millisecond)
			}
			waitFor(t, waitTimeout, "every frame", func() bool {
				got := r.byCounter()
				for n := range sent {
					if _, ok := got[n]; !ok {
						return false
					}
				}
				return true
			})
			got := r.byCounter()
			for n := 1000; n < 1060; n++ {
				f := got[n]
				if !bytes.Equal(f.data, sent[n]) {
					t.Fatalf("frame %d reached the renderer changed (%d bytes, sent %d)", n, len(f.data), len(sent[n]))
				}
				if fmt.Sprintf("%q", f.sei) != fmt.Sprintf("%q", want[n]) {
					t.Fatalf("frame %d came after SEI %.80q, want %.80q", n, f.sei, want[n])
				}
			}
			if st := bob.MessageStats(); st.SEIReceived < 23 {
				t.Fatalf("bob's stats %+v", st)
			}
		})
	}
}

func TestSEILimits(t *testing.T) {
	e := NewEnv(t)
	alice := e.Join("alice", 8110, rtc.SceneLive, rtc.RoleAnchor)
	viewer := e.Join("viewer", 8110, rtc.SceneLive, rtc.RoleAudience)
	viewer.EnableCustomVideoCapture(rtc.StreamBig, true)
	if viewer.SendSEIMsg([]byte("x"), 1) {
		t.Fatal("audience SEI accepted")
	}
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	for _, bad := range []struct {
		data   []byte
		repeat int
	}{{nil, 1}, {make([]byte, rtc.MaxCustomMsgBytes+1), 1}, {[]byte("x"), 0}} {
		if alice.SendSEIMsg(bad.data, bad.repeat) {
			t.Fatalf("SendSEIMsg(%d bytes, %d) accepted", len(bad.data), bad.repeat)
		}
	}
	// SEI and custom messages share 30 messages a second: 20 repeats and
	// 10 messages fill it.
	if !alice.SendSEIMsg([]byte("twenty"), 20) {
		t.Fatal("SEI refused")
	}
	ok := 0
	for range 11 {
		if alice.SendCustomCmdMsg(1, []byte("m"), true, true) {
			ok++
		}
	}
	if ok != 10 {
		t.Fatalf("%d custom messages fit beside the SEI, want 10", ok)
	}
	st := alice.MessageStats()
	if st.SEISent != 1 || st.Refused[rtc.ErrCodeInvalidParameter] != 3 || st.Refused[rtc.ErrCodeRefused] != 1 {
		t.Fatalf("alice's stats %+v", st)
	}
	if viewer.MessageStats().Refused[rtc.WarnCodeAudienceCannotSend] != 1 {
		t.Fatal("audience refusal not counted")
	}
}

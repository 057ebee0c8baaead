package egress

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// fakeSource stands in for an sfu.PublishedTrack: the test pushes RTP
// packets through the tap the recorder installs.
type fakeSource struct {
	id    sfu.TrackID
	mime  string
	mu    sync.Mutex
	tap   sfu.Tap
	keyRq int
	seq   uint16
	ssrc  uint32 // 1234 when zero
	base  uint32 // added to audio timestamps
}

func (f *fakeSource) ID() sfu.TrackID  { return f.id }
func (f *fakeSource) Codec() sfu.Codec { return sfu.Codec{MimeType: f.mime} }
func (f *fakeSource) RequestKeyframe() {
	f.mu.Lock()
	f.keyRq++
	f.mu.Unlock()
}
func (f *fakeSource) AddTap(t sfu.Tap) func() {
	f.mu.Lock()
	f.tap = t
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		tap := f.tap
		f.tap = nil
		f.mu.Unlock()
		if tap != nil {
			tap.TapEnded()
		}
	}
}

// push sends one RTP packet to the tap, if one is installed.
func (f *fakeSource) push(t *testing.T, ts uint32, marker bool, payload []byte) {
	t.Helper()
	f.mu.Lock()
	tap := f.tap
	f.seq++
	ssrc := f.ssrc
	if ssrc == 0 {
		ssrc = 1234
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: f.seq, Timestamp: ts, SSRC: ssrc, Marker: marker}, Payload: payload}
	f.mu.Unlock()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if tap != nil {
		tap.TapPacket(b)
	}
}

// pushAudio sends n 20 ms Opus packets of size bytes starting at packet
// index from, paced so that the recorder's queue never overflows.
func (f *fakeSource) pushAudio(t *testing.T, from, n, size int) {
	for i := from; i < from+n; i++ {
		pkt := make([]byte, size)
		pkt[0] = 0xf8
		f.push(t, f.base+uint32(1000+i*960), false, pkt)
		if i%50 == 49 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// nopMedia is a Media whose rooms the test drives through Task.trackChanged.
type nopMedia struct{}

func (nopMedia) Watch(trtc.RoomKey, conference.Watcher) func() { return func() {} }

// events collects recording events.
type events struct {
	mu  sync.Mutex
	all []Event
	ch  chan struct{}
}

func newEvents() *events { return &events{ch: make(chan struct{}, 1)} }

func (e *events) RecordingEvent(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
	default:
	}
}

func (e *events) types() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []int
	for _, ev := range e.all {
		out = append(out, ev.Type)
	}
	return out
}

func (e *events) find(typ int) (Event, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.all {
		if ev.Type == typ {
			return ev, true
		}
	}
	return Event{}, false
}

// waitEvent waits for an event of type typ.
func (e *events) waitEvent(t *testing.T, typ int) Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if ev, ok := e.find(typ); ok {
			return ev
		}
		select {
		case <-e.ch:
		case <-deadline:
			t.Fatalf("no event %d within 20 s; got %v", typ, e.types())
		}
	}
}

func testKey(t *testing.T) trtc.RoomKey {
	k, err := trtc.NewRoomKey(1400000001, 42, "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newTestService returns a service writing under a temporary directory.
func newTestService(t *testing.T, cfg Config) (*Service, *events) {
	ev := newEvents()
	cfg.Dir = t.TempDir()
	cfg.Media = nopMedia{}
	cfg.Events = ev
	s := New(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s, ev
}

// start creates a task and returns it.
func start(t *testing.T, s *Service, p TaskParams) *Task {
	t.Helper()
	if p.MaxIdleTime == 0 {
		p.MaxIdleTime = time.Minute
	}
	if p.Retention == 0 {
		p.Retention = time.Hour
	}
	p.Room = testKey(t)
	if p.UserID == "" {
		p.UserID = "robot"
	}
	id, err := s.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tasks[id]
}

func audioSource(user string) (*fakeSource, trackInfo) {
	src := &fakeSource{id: sfu.TrackID(user + "/audio"), mime: "audio/opus"}
	return src, trackInfo{user: trtc.UserID(user), stream: room.StreamAudio, track: src, available: true}
}

// finish deletes the task and waits until it exited.
func finish(t *testing.T, s *Service, task *Task) TaskInfo {
	t.Helper()
	if err := s.Delete(task.p.Room.App, task.id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := task.wait(ctx); err != nil {
		t.Fatal(err)
	}
	return task.info()
}

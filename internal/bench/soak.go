package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// The soak: Users users in Rooms rooms join, publish audio and video,
// receive everybody else in their room, and leave, over and over, for
// Duration. The server's memory (after a forced GC) and goroutines are
// sampled all along; a leak shows as a slope, and as what is left once
// everybody has gone compared with before anybody came.

// SoakConfig describes a soak run.
type SoakConfig struct {
	Server   string // base URL, http://host:port
	SDKAppID uint32
	Sig      func(user string) (string, error)
	Users    int           // at once (50)
	Rooms    int           // rooms they share (10)
	Duration time.Duration // of the churn (30m)
	Stay     time.Duration // mean time in a room; each stay is 0.5–1.5 of it (30s)
	Sample   time.Duration // memory sampling interval (15s)
	Progress io.Writer
}

// SoakSample is one reading of the server.
type SoakSample struct {
	Seconds    float64 `json:"s"`
	InRoom     int     `json:"inRoom"`
	HeapMiB    float64 `json:"heapMiB"`
	Goroutines int     `json:"goroutines"`
	RSSMiB     float64 `json:"rssMiB"`
}

// SoakResult is what bench soak reports.
type SoakResult struct {
	Users    int     `json:"users"`
	Rooms    int     `json:"rooms"`
	Seconds  float64 `json:"seconds"`
	Enters   int64   `json:"enters"`
	Exits    int64   `json:"exits"`
	Failures int64   `json:"failures"` // failed enters, OnError, unexpected OnExitRoom, a remote video available 5 s without a frame
	Frames   int64   `json:"videoFramesReceived"`
	// Errors lists the first failures (at most 20).
	Errors []string `json:"errors,omitempty"`

	Before  Memory       `json:"before"` // no user yet
	After   Memory       `json:"after"`  // everybody gone
	Samples []SoakSample `json:"samples"`
	// Slopes over the samples of the second half of the run, per hour: a
	// leak grows, churn alone does not.
	HeapSlopeMiBPerHour   float64 `json:"heapSlopeMiBPerHour"`
	GoroutineSlopePerHour float64 `json:"goroutineSlopePerHour"`
}

// HeapLeftMiB is what the server holds once everybody left, beyond what it
// held before anybody came.
func (r SoakResult) HeapLeftMiB() float64 {
	return float64(int64(r.After.Used())-int64(r.Before.Used())) / (1 << 20)
}

// Growth compares the last quarter of the samples with the second: the
// server's memory per user in a room, mean over each quarter (the number
// in rooms varies with the churn). 0.05 is 5 % more at the end.
func (r SoakResult) Growth() float64 {
	q := len(r.Samples) / 4
	if q == 0 {
		return 0
	}
	mean := func(s []SoakSample) float64 {
		sum := 0.0
		for _, x := range s {
			sum += x.HeapMiB / float64(max(x.InRoom, 1))
		}
		return sum / float64(len(s))
	}
	return mean(r.Samples[len(r.Samples)-q:])/mean(r.Samples[q:2*q]) - 1
}

// Flat reports whether the run shows no leak: once everybody left the
// server is back to its goroutines (±5) and holds less than 8 MiB (or 5 %
// of its peak, whichever is more) beyond its start — maps sized for the
// peak and runtime caches stay, a leak per session grows with the run —
// and its memory per user grew less than 10 % from the second quarter of
// the run to the last.
func (r SoakResult) Flat() bool {
	peak := 0.0
	for _, s := range r.Samples {
		peak = math.Max(peak, s.HeapMiB)
	}
	goLeft := r.After.Goroutines - r.Before.Goroutines
	return goLeft <= 5 && r.HeapLeftMiB() < math.Max(8, 0.05*peak) && r.Growth() < 0.10
}

// soakUser is one user's churn.
type soakUser struct {
	cfg  *SoakConfig
	id   string
	room uint32
	res  *soakCounters
}

// soakStay is the listener of one stay's Cloud (a closed Cloud may still
// deliver a queued callback while the next stay begins).
type soakStay struct {
	rtc.BaseListener
	u     *soakUser
	entry chan int64
	exit  chan int

	// Whose video this stay sees: since when each remote user's video has
	// been available, and whether a frame of it has arrived since.
	mu    sync.Mutex
	since map[string]time.Time
	seen  map[string]bool
}

// soakSilence is how long a remote user's video may be available without
// a single frame arriving before the stay counts a failure (frames come
// every 100 ms, a keyframe every second).
const soakSilence = 5 * time.Second

type soakCounters struct {
	enters, exits, failures, frames atomic.Int64
	inRoom                          atomic.Int64
	mu                              sync.Mutex
	errors                          []string
}

func (c *soakCounters) fail(format string, args ...any) {
	c.failures.Add(1)
	c.mu.Lock()
	if len(c.errors) < 20 {
		c.errors = append(c.errors, fmt.Sprintf(format, args...))
	}
	c.mu.Unlock()
}

// since returns the failure messages recorded after the first *n and
// advances *n past them.
func (c *soakCounters) since(n *int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *n >= len(c.errors) {
		return nil
	}
	out := append([]string(nil), c.errors[*n:]...)
	*n = len(c.errors)
	return out
}

func (st *soakStay) OnEnterRoom(r int64) {
	select {
	case st.entry <- r:
	default:
	}
}

func (st *soakStay) OnExitRoom(reason int) {
	select {
	case st.exit <- reason:
	default:
	}
}

func (st *soakStay) OnError(code int, msg string) {
	st.u.res.fail("%s: OnError(%d, %s)", st.u.id, code, msg)
}

func (st *soakStay) OnRenderVideoFrame(user string, _ rtc.StreamType, _ *rtc.VideoFrame) {
	st.u.res.frames.Add(1)
	st.mu.Lock()
	st.seen[user] = true
	st.mu.Unlock()
}

func (st *soakStay) OnUserVideoAvailable(user string, available bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if available {
		st.since[user] = time.Now()
		st.seen[user] = false
	} else {
		delete(st.since, user)
	}
}

// checkVideo counts a failure for every remote user whose video has been
// available for soakSilence or longer without one frame arriving.
func (st *soakStay) checkVideo() {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Now()
	for user, since := range st.since {
		if !st.seen[user] && now.Sub(since) >= soakSilence {
			st.u.res.fail("%s: no video from %s in the %v since it became available", st.u.id, user, now.Sub(since).Round(time.Second))
		}
	}
}

// run churns until ctx ends: enter, publish for a stay, exit, pause.
func (u *soakUser) run(ctx context.Context, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 11))
	for ctx.Err() == nil {
		stay := time.Duration((0.5 + r.Float64()) * float64(u.cfg.Stay))
		u.stay(ctx, stay, r)
		pause := time.Duration(r.Int64N(int64(2 * time.Second)))
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

func (u *soakUser) stay(ctx context.Context, d time.Duration, r *rand.Rand) {
	sig, err := u.cfg.Sig(u.id)
	if err != nil {
		u.res.fail("%s: UserSig: %v", u.id, err)
		return
	}
	st := &soakStay{u: u, entry: make(chan int64, 1), exit: make(chan int, 1), since: map[string]time.Time{}, seen: map[string]bool{}}
	c := rtc.NewCloud(rtc.WithServer("ws"+u.cfg.Server[len("http"):]), rtc.WithSocketBuffer(256<<10))
	defer c.Close()
	c.SetListener(st)
	c.EnableCustomVideoCapture(rtc.StreamBig, true)
	c.EnableCustomAudioCapture(true)
	c.EnterRoom(rtc.Params{SDKAppID: u.cfg.SDKAppID, UserID: u.id, UserSig: sig, RoomID: u.room, Role: rtc.RoleAnchor}, rtc.SceneVideoCall)
	select {
	case res := <-st.entry:
		if res < 0 {
			u.res.fail("%s: OnEnterRoom(%d)", u.id, res)
			return
		}
	case <-time.After(20 * time.Second):
		u.res.fail("%s: no OnEnterRoom in 20 s", u.id)
		return
	}
	u.res.enters.Add(1)
	u.res.inRoom.Add(1)
	defer u.res.inRoom.Add(-1)
	// Render everybody's video (counted); audio is received as Opus and
	// dropped by the SDK without an observer.
	for i := range u.cfg.Users {
		if peer := i % u.cfg.Rooms; uint32(peer+1) == u.room {
			c.SetRemoteVideoRenderCallback(fmt.Sprintf("soak_%d", i), rtc.VideoFormatVP8, st)
		}
	}
	// 10 fps of 600-byte VP8 frames (a keyframe a second) and 20 ms Opus
	// packets: about 60 kbit/s per user, so that 50 users and their
	// receivers fit one small machine.
	end := time.Now().Add(d)
	video := time.NewTicker(100 * time.Millisecond)
	audio := time.NewTicker(20 * time.Millisecond)
	defer video.Stop()
	defer audio.Stop()
	var n uint32
	body := make([]byte, 600)
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			end = time.Now()
		case <-video.C:
			key := n%10 == 0
			f := append([]byte(nil), body...)
			if key {
				copy(f, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00}) // 320x180
			} else {
				copy(f, []byte{0x11, 0x02, 0x00})
			}
			_ = c.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: f, Keyframe: key})
			n++
		case <-audio.C:
			_ = c.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: []byte{0xf8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40}})
		}
	}
	st.checkVideo()
	c.ExitRoom()
	select {
	case reason := <-st.exit:
		if reason != 0 {
			u.res.fail("%s: OnExitRoom(%d)", u.id, reason)
		}
	case <-time.After(10 * time.Second):
		u.res.fail("%s: no OnExitRoom in 10 s", u.id)
	}
	u.res.exits.Add(1)
}

// RunSoak runs the churn and samples the server.
func RunSoak(cfg SoakConfig) (SoakResult, error) {
	cfg.Users, cfg.Rooms = max(cfg.Users, 1), max(cfg.Rooms, 1)
	if cfg.Stay <= 0 {
		cfg.Stay = 30 * time.Second
	}
	if cfg.Sample <= 0 {
		cfg.Sample = 15 * time.Second
	}
	res := SoakResult{Users: cfg.Users, Rooms: cfg.Rooms}
	before, err := ReadMemory(cfg.Server)
	if err != nil {
		return res, fmt.Errorf("read server memory: %w", err)
	}
	res.Before = before
	var counters soakCounters
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Duration)
	defer cancel()
	began := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.Users {
		u := &soakUser{cfg: &cfg, id: fmt.Sprintf("soak_%d", i), room: uint32(i%cfg.Rooms + 1), res: &counters}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the first enters over a few seconds.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i) * 100 * time.Millisecond):
			}
			u.run(ctx, uint64(i))
		}()
	}
	tick := time.NewTicker(cfg.Sample)
	defer tick.Stop()
	shown := 0 // failure messages printed so far
sampling:
	for {
		select {
		case <-ctx.Done():
			break sampling
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break // users are leaving: not a steady-state sample
		}
		inRoom := int(counters.inRoom.Load())
		m, err := ReadMemory(cfg.Server)
		if err != nil {
			counters.fail("read server memory: %v", err)
			continue
		}
		if ctx.Err() != nil || inRoom == 0 {
			break // the run ended while the server was read
		}
		s := SoakSample{Seconds: round3(time.Since(began).Seconds()), InRoom: inRoom,
			HeapMiB: round3(float64(m.Used()) / (1 << 20)), Goroutines: m.Goroutines, RSSMiB: round3(float64(m.RSS) / (1 << 20))}
		res.Samples = append(res.Samples, s)
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "soak %6.0fs: %2d in rooms, %d enters, %d failures, server heap %.1f MiB, %d goroutines\n",
				s.Seconds, s.InRoom, counters.enters.Load(), counters.failures.Load(), s.HeapMiB, s.Goroutines)
			for _, e := range counters.since(&shown) { // a long run shows why it failed as it happens
				fmt.Fprintf(cfg.Progress, "soak         failure: %s\n", e)
			}
		}
	}
	wg.Wait()
	res.Seconds = round3(time.Since(began).Seconds())
	// Everybody is gone: let the server drop what their sessions held.
	// Five readings a second apart, each after a GC (sync.Pool caches
	// survive one); the last counts.
	for range 5 {
		time.Sleep(time.Second)
		if m, err := ReadMemory(cfg.Server); err == nil {
			res.After = m
		}
	}
	res.Enters, res.Exits, res.Failures, res.Frames = counters.enters.Load(), counters.exits.Load(), counters.failures.Load(), counters.frames.Load()
	res.Errors = counters.errors
	half := res.Samples[len(res.Samples)/2:]
	res.HeapSlopeMiBPerHour = round3(slope(half, func(s SoakSample) float64 { return s.HeapMiB }) * 3600)
	res.GoroutineSlopePerHour = round3(slope(half, func(s SoakSample) float64 { return float64(s.Goroutines) }) * 3600)
	return res, nil
}

// slope is the least-squares slope of y over the samples' seconds.
func slope(s []SoakSample, y func(SoakSample) float64) float64 {
	if len(s) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, p := range s {
		x, v := p.Seconds, y(p)
		sx, sy, sxx, sxy = sx+x, sy+v, sxx+x*x, sxy+x*v
	}
	n := float64(len(s))
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// WriteSoakTable prints a soak result for people.
func WriteSoakTable(w io.Writer, r SoakResult) {
	fmt.Fprintf(w, "soak: %d users in %d rooms for %.0f s: %d enters, %d exits, %d failures, %d video frames received\n",
		r.Users, r.Rooms, r.Seconds, r.Enters, r.Exits, r.Failures, r.Frames)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	fmt.Fprintf(w, "server before: heap+stacks %.1f MiB, %d goroutines; after everybody left: %.1f MiB, %d goroutines\n",
		float64(r.Before.Used())/(1<<20), r.Before.Goroutines, float64(r.After.Used())/(1<<20), r.After.Goroutines)
	fmt.Fprintf(w, "left after everybody went: %+.1f MiB, %+d goroutines; memory per user, last quarter vs second: %+.1f%%; second half: heap %+.1f MiB/h, goroutines %+.0f/h; flat: %v\n",
		r.HeapLeftMiB(), r.After.Goroutines-r.Before.Goroutines, 100*r.Growth(), r.HeapSlopeMiBPerHour, r.GoroutineSlopePerHour, r.Flat())
	fmt.Fprintf(w, "%8s %7s %9s %10s %8s\n", "s", "in room", "heap MiB", "goroutines", "RSS MiB")
	for _, s := range r.Samples {
		fmt.Fprintf(w, "%8.0f %7d %9.1f %10d %8.1f\n", s.Seconds, s.InRoom, s.HeapMiB, s.Goroutines, s.RSSMiB)
	}
}

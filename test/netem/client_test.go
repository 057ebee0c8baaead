package netem

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// waitTimeout bounds every wait for a callback; waits end when the event
// arrives, the bound only matters when it never does.
const waitTimeout = 30 * time.Second

// Event is one recorded callback.
type Event struct {
	Name string
	Args []any
	At   time.Time
}

func (e Event) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = fmt.Sprint(a)
	}
	return e.Name + "(" + strings.Join(parts, ",") + ")"
}

// is reports whether e is named name and its first arguments print as args.
func (e Event) is(name string, args ...any) bool {
	if e.Name != name || len(args) > len(e.Args) {
		return false
	}
	for i, a := range args {
		if fmt.Sprint(a) != fmt.Sprint(e.Args[i]) {
			return false
		}
	}
	return true
}

// Recorder is an rtc.Listener that keeps every callback in order.
type Recorder struct {
	rtc.BaseListener
	mu     sync.Mutex
	cond   *sync.Cond
	events []Event
}

func newRecorder() *Recorder {
	r := &Recorder{}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *Recorder) add(name string, args ...any) {
	r.mu.Lock()
	r.events = append(r.events, Event{Name: name, Args: args, At: time.Now()})
	r.cond.Broadcast()
	r.mu.Unlock()
}

// waitFrom returns the first event at index ≥ from matching ok, and its
// index, waiting up to d.
func (r *Recorder) waitFrom(from int, d time.Duration, ok func(Event) bool) (Event, int, bool) {
	deadline := time.Now().Add(d)
	wake := time.AfterFunc(d, func() { r.mu.Lock(); r.cond.Broadcast(); r.mu.Unlock() })
	defer wake.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for i := from; i < len(r.events); i++ {
			if ok(r.events[i]) {
				return r.events[i], i, true
			}
		}
		if !time.Now().Before(deadline) {
			return Event{}, 0, false
		}
		r.cond.Wait()
	}
}

func (r *Recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func (r *Recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *Recorder) OnError(code int, msg string)   { r.add("OnError", code, msg) }
func (r *Recorder) OnWarning(code int, msg string) { r.add("OnWarning", code, msg) }
func (r *Recorder) OnEnterRoom(result int64)       { r.add("OnEnterRoom", result) }
func (r *Recorder) OnExitRoom(reason int)          { r.add("OnExitRoom", reason) }
func (r *Recorder) OnRemoteUserEnterRoom(u string) { r.add("OnRemoteUserEnterRoom", u) }
func (r *Recorder) OnRemoteUserLeaveRoom(u string, reason int) {
	r.add("OnRemoteUserLeaveRoom", u, reason)
}
func (r *Recorder) OnUserVideoAvailable(u string, on bool) { r.add("OnUserVideoAvailable", u, on) }
func (r *Recorder) OnFirstVideoFrame(u string, st rtc.StreamType, w, h int) {
	r.add("OnFirstVideoFrame", u, int(st), w, h)
}
func (r *Recorder) OnFirstAudioFrame(u string) { r.add("OnFirstAudioFrame", u) }
func (r *Recorder) OnConnectionLost()          { r.add("OnConnectionLost") }
func (r *Recorder) OnTryToReconnect()          { r.add("OnTryToReconnect") }
func (r *Recorder) OnConnectionRecovery()      { r.add("OnConnectionRecovery") }
func (r *Recorder) OnStatistics(s rtc.Statistics) {
	r.add("OnStatistics", s)
}
func (r *Recorder) OnNetworkQuality(local rtc.QualityInfo, remote []rtc.QualityInfo) {
	r.add("OnNetworkQuality", local, remote)
}
func (r *Recorder) OnSpeedTestResult(res rtc.SpeedTestResult) { r.add("OnSpeedTestResult", res) }

// logBuffer keeps the last 64 KiB of a client's SDK log.
type logBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 64<<10 {
		l.b = append([]byte(nil), l.b[len(l.b)-48<<10:]...)
	}
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// Client is an SDK instance in the test's namespace whose callbacks are
// recorded.
type Client struct {
	*rtc.Cloud
	t    testing.TB
	ID   string
	rec  *Recorder
	next int // Wait consumes events in order
}

// NewClient makes a Cloud for user that signals to url.
func NewClient(t testing.TB, url, user string, opts ...rtc.Option) *Client {
	rec := newRecorder()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := rtc.NewCloud(append([]rtc.Option{rtc.WithServer(url), rtc.WithConnectTimeout(10 * time.Second), rtc.WithLogger(log)}, opts...)...)
	c.SetListener(rec)
	t.Cleanup(func() {
		c.Close()
		switch {
		case t.Failed():
			keepLog(t, user+"-sdk", logs.String())
		case os.Getenv("NETEM_SDKLOG") != "":
			t.Logf("%s's SDK log:\n%s", user, logs.String())
		}
	})
	return &Client{Cloud: c, t: t, ID: user, rec: rec}
}

// Enter enters a call-scene room as an anchor and waits for success.
func (c *Client) Enter(room uint32) {
	c.t.Helper()
	c.EnterRoom(rtc.Params{SDKAppID: appID, UserID: c.ID, UserSig: sig(c.t, c.ID), RoomID: room, Role: rtc.RoleAnchor}, rtc.SceneVideoCall)
	if r := c.Wait("OnEnterRoom").Args[0].(int64); r <= 0 {
		c.t.Fatalf("%s: OnEnterRoom(%d): %v", c.ID, r, c.rec.all())
	}
}

// Wait waits for the next callback named name (with args), skipping the
// ones before it.
func (c *Client) Wait(name string, args ...any) Event {
	c.t.Helper()
	return c.WaitWithin(waitTimeout, name, args...)
}

// WaitWithin is Wait with its own bound.
func (c *Client) WaitWithin(d time.Duration, name string, args ...any) Event {
	c.t.Helper()
	ev, i, ok := c.rec.waitFrom(c.next, d, func(e Event) bool { return e.is(name, args...) })
	if !ok {
		c.t.Fatalf("%s: no %s%v within %v; saw %v", c.ID, name, args, d, c.rec.all())
	}
	c.next = i + 1
	return ev
}

// Seen waits for a callback that may have come at any time.
func (c *Client) Seen(name string, args ...any) Event {
	c.t.Helper()
	ev, _, ok := c.rec.waitFrom(0, waitTimeout, func(e Event) bool { return e.is(name, args...) })
	if !ok {
		c.t.Fatalf("%s: never saw %s%v; saw %v", c.ID, name, args, c.rec.all())
	}
	return ev
}

// Count returns how many callbacks named name (with args) arrived.
func (c *Client) Count(name string, args ...any) int {
	n := 0
	for _, e := range c.rec.all() {
		if e.is(name, args...) {
			n++
		}
	}
	return n
}

// NextReport waits for the next OnStatistics after now and the
// OnNetworkQuality of the same interval, which follows it at once.
func (c *Client) NextReport() (rtc.Statistics, rtc.QualityInfo, []rtc.QualityInfo) {
	c.t.Helper()
	since := time.Now()
	ev, i, ok := c.rec.waitFrom(0, waitTimeout, func(e Event) bool { return e.is("OnStatistics") && e.At.After(since) })
	if !ok {
		c.t.Fatalf("%s: no OnStatistics", c.ID)
	}
	q, _, ok := c.rec.waitFrom(i, waitTimeout, func(e Event) bool { return e.is("OnNetworkQuality") })
	if !ok {
		c.t.Fatalf("%s: no OnNetworkQuality", c.ID)
	}
	return ev.Args[0].(rtc.Statistics), q.Args[0].(rtc.QualityInfo), q.Args[1].([]rtc.QualityInfo)
}

func qualityOf(list []rtc.QualityInfo, user string) rtc.Quality {
	for _, q := range list {
		if q.UserID == user {
			return q.Quality
		}
	}
	return rtc.QualityUnknown
}

// waitUntil polls cond (every 10 ms, up to d) for states that have no
// callback of their own, such as a count of received frames.
func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

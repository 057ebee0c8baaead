// Package test holds rtcengine's integration tests: real servers on loopback,
// real SDK clients, real REST calls. Each test builds its own isolated
// environment with NewEnv and waits on events, never on sleeps.
package test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/server"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

const (
	appID     = 1400000001
	appSecret = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	secretID  = "AKIDrtcengineTestSecretId0000000001"
	secretKey = "rtcengineTestSecretKey0000000001"
)

// Env is one server and its clients.
type Env struct {
	t   *testing.T
	Cfg config.Config
	Srv *server.Server
}

// NewEnv starts a server on a free loopback port with short timers; opts
// adjust the configuration first.
func NewEnv(t *testing.T, opts ...func(*config.Config)) *Env {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.UDPPort = 0
	cfg.DataDir = t.TempDir()
	cfg.Apps = []config.App{{SDKAppID: appID, SDKSecret: appSecret, APISecretID: secretID, APISecretKey: secretKey}}
	cfg.Limits.HeartbeatInterval = 200 * time.Millisecond
	cfg.Limits.HeartbeatTimeout = time.Second
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.New(cfg, nil, nil)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &Env{t: t, Cfg: cfg, Srv: srv}
}

// With returns a view of the environment bound to a subtest's t.
func (e *Env) With(t *testing.T) *Env {
	c := *e
	c.t = t
	return &c
}

// Sig returns a valid UserSig for user.
func (e *Env) Sig(user string) string {
	e.t.Helper()
	sig, err := usersig.GenUserSig(appID, appSecret, user, 3600)
	if err != nil {
		e.t.Fatal(err)
	}
	return sig
}

// Params returns enter parameters for user in numeric room.
func (e *Env) Params(user string, room uint32, role rtc.Role) rtc.Params {
	return rtc.Params{SDKAppID: appID, UserID: user, UserSig: e.Sig(user), RoomID: room, Role: role}
}

// Client is an SDK instance whose callbacks are recorded.
type Client struct {
	*rtc.Cloud
	rec *Recorder
	t   *testing.T
	ID  string
}

// NewClient makes a Cloud connected to url (the server's, or a proxy's).
func (e *Env) NewClient(user, url string) *Client {
	rec := NewRecorder()
	c := rtc.NewCloud(rtc.WithServer(url), rtc.WithConnectTimeout(5*time.Second))
	c.SetListener(rec)
	e.t.Cleanup(c.Close)
	return &Client{Cloud: c, rec: rec, t: e.t, ID: user}
}

// Join makes a client for user and enters room, waiting for success.
func (e *Env) Join(user string, room uint32, scene rtc.AppScene, role rtc.Role) *Client {
	e.t.Helper()
	c := e.NewClient(user, e.Srv.SignalURL())
	c.EnterRoom(e.Params(user, room, role), scene)
	if r := c.WaitEnter(); r <= 0 {
		e.t.Fatalf("%s: OnEnterRoom(%d)", user, r)
	}
	return c
}

// WaitEnter waits for OnEnterRoom and returns its result.
func (c *Client) WaitEnter() int64 {
	c.t.Helper()
	return c.Wait("OnEnterRoom").Args[0].(int64)
}

// waitTimeout bounds every wait for an event. Waits end as soon as the event
// arrives; the bound only matters on a failure or a very busy machine (the
// suite runs with the race detector next to real-time media).
const waitTimeout = 15 * time.Second

// Wait waits (waitTimeout) for the next callback named name, skipping others that
// came before it, and returns it.
func (c *Client) Wait(name string, args ...any) Event {
	c.t.Helper()
	ev, ok := c.rec.WaitFor(waitTimeout, func(e Event) bool { return e.Is(name, args...) })
	if !ok {
		c.t.Fatalf("%s: no %s%v within %v; saw %v", c.ID, name, args, waitTimeout, c.rec.All())
	}
	return ev
}

// Saw checks that a callback named name (with args) has already arrived.
func (c *Client) Saw(name string, args ...any) {
	c.t.Helper()
	if _, ok := c.rec.FindAll(0, func(e Event) bool { return e.Is(name, args...) }); !ok {
		c.t.Fatalf("%s: no %s%v; saw %v", c.ID, name, args, c.rec.All())
	}
}

// Never checks that no callback named name (with args) arrived, including
// within the next d.
func (c *Client) Never(d time.Duration, name string, args ...any) {
	c.t.Helper()
	if ev, ok := c.rec.FindAll(d, func(e Event) bool { return e.Is(name, args...) }); ok {
		c.t.Fatalf("%s: unexpected %v; all: %v", c.ID, ev, c.rec.All())
	}
}

// Event is one recorded callback.
type Event struct {
	Name string
	Args []any
	At   time.Time
}

// Is reports whether the event has the name and starts with args.
func (e Event) Is(name string, args ...any) bool {
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

func (e Event) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = fmt.Sprint(a)
	}
	return e.Name + "(" + strings.Join(parts, ",") + ")"
}

// Recorder is an rtc.Listener that keeps every callback.
type Recorder struct {
	rtc.BaseListener
	mu     sync.Mutex
	cond   *sync.Cond
	events []Event
	next   int // WaitFor consumes in order
}

func NewRecorder() *Recorder {
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

// WaitFor returns the first not-yet-consumed event matching ok, consuming
// everything up to it.
func (r *Recorder) WaitFor(d time.Duration, ok func(Event) bool) (Event, bool) {
	deadline := time.Now().Add(d)
	timer := time.AfterFunc(d, func() { r.mu.Lock(); r.cond.Broadcast(); r.mu.Unlock() })
	defer timer.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for i := r.next; i < len(r.events); i++ {
			if ok(r.events[i]) {
				r.next = i + 1
				return r.events[i], true
			}
		}
		if time.Now().After(deadline) {
			return Event{}, false
		}
		r.cond.Wait()
	}
}

// FindAll waits d, then searches every event ever recorded.
func (r *Recorder) FindAll(d time.Duration, ok func(Event) bool) (Event, bool) {
	time.Sleep(d)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if ok(e) {
			return e, true
		}
	}
	return Event{}, false
}

// All returns a copy of every event.
func (r *Recorder) All() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func (r *Recorder) OnError(code int, msg string)      { r.add("OnError", code, msg) }
func (r *Recorder) OnWarning(code int, msg string)    { r.add("OnWarning", code, msg) }
func (r *Recorder) OnEnterRoom(result int64)          { r.add("OnEnterRoom", result) }
func (r *Recorder) OnExitRoom(reason int)             { r.add("OnExitRoom", reason) }
func (r *Recorder) OnSwitchRole(code int, msg string) { r.add("OnSwitchRole", code, msg) }
func (r *Recorder) OnRemoteUserEnterRoom(u string)    { r.add("OnRemoteUserEnterRoom", u) }
func (r *Recorder) OnRemoteUserLeaveRoom(u string, reason int) {
	r.add("OnRemoteUserLeaveRoom", u, reason)
}
func (r *Recorder) OnConnectionLost()     { r.add("OnConnectionLost") }
func (r *Recorder) OnTryToReconnect()     { r.add("OnTryToReconnect") }
func (r *Recorder) OnConnectionRecovery() { r.add("OnConnectionRecovery") }

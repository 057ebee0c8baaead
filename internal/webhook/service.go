// Package webhook sends TRTC's room and media event callbacks
// (trtc-reference §8) to each app's webhook URL, at least once, in order per
// app, surviving restarts.
//
// Append writes an event to a durable outbox (an append-only segment log in
// a directory of its own, fsynced with group commit) and returns only once
// it is on disk, so that whatever acknowledges the action that caused the
// event (an enter response, a REST answer) comes after the event is safe.
// One goroutine per app then POSTs the app's events in order, retrying on
// TRTC's schedule (at once, then every RetryInterval, until RetryWindow has
// passed since the first failed attempt), and records each one delivered or
// given up. After a crash or a restart, Open finds the events that were
// neither and sends them again: a receiver may see an event twice and
// de-duplicates with its EventId.
//
// OpenPostgres keeps the events in PostgreSQL instead (postgres.go), shared
// by the nodes of a cluster: any node appends, any live node delivers, in
// order per app across nodes. Both outboxes are backends of the same
// Service and the same delivery code (deliver.go).
//
// The package knows nothing of rooms: the server turns room observer calls
// into Events.
package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// App is one app's webhook endpoint.
type App struct {
	ID  trtc.SDKAppID
	URL string
	// Key signs bodies (Sign header); empty sends no Sign header.
	Key string
}

// Defaults of Config (trtc-reference §8.1 for the first three).
const (
	DefaultTimeout       = 5 * time.Second
	DefaultRetryInterval = 10 * time.Second
	DefaultRetryWindow   = time.Minute
	DefaultMaxPending    = 100000
	DefaultPoll          = time.Second
)

// Config configures a Service. Zero values mean the defaults.
type Config struct {
	// Dir is the outbox directory, used by this service alone.
	Dir  string
	Apps []App
	// Timeout bounds one attempt: connect, send, and the answer's status.
	Timeout time.Duration
	// RetryInterval separates retries after the immediate first one.
	RetryInterval time.Duration
	// RetryWindow: no attempt of an event starts later than this after the
	// first failed attempt of the current failure streak, and every event
	// gets at least two attempts. While the receiver stays down past the
	// window, each further event gets those two attempts only.
	RetryWindow time.Duration
	// MaxPending caps an app's undelivered events held in memory (and in
	// the outbox): beyond it the oldest one not being sent is given up.
	MaxPending int
	// SegmentBytes is the size of an outbox segment file.
	SegmentBytes int64

	// PostgreSQL outbox (OpenPostgres) only.

	// Node names this node in leases and logs.
	Node string
	// Lease is how long a node's claim on an app's head event lasts: after
	// a node dies mid-attempt, another attempts the event once the lease
	// has run out. It must exceed Timeout; a shorter one (or none) is
	// 2 × Timeout + 1 s.
	Lease time.Duration
	// Poll is how often an idle node looks for events it was not told
	// about (events of a node that died, notifications lost) (1 s).
	Poll time.Duration

	Clock  Clock
	Logger *slog.Logger
	// Transport carries the POSTs; nil uses a clone of http.DefaultTransport.
	Transport http.RoundTripper
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = DefaultRetryInterval
	}
	if c.RetryWindow <= 0 {
		c.RetryWindow = DefaultRetryWindow
	}
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = DefaultSegmentBytes
	}
	if c.Lease <= c.Timeout {
		c.Lease = 2*c.Timeout + time.Second
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// closePoll is how often Close looks at what is pending.
const closePoll = 50 * time.Millisecond

// Stats are counters since Open (Pending is a gauge).
type Stats struct {
	Appended  uint64 // events accepted by Append
	Unsaved   uint64 // of which the outbox could not write (delivered from memory)
	Delivered uint64 // answered 2xx
	GivenUp   uint64 // out of retries, or pushed out by MaxPending
	Attempts  uint64 // POSTs started
	Failures  uint64 // POSTs that failed
	Syncs     uint64 // fsyncs of the outbox
	Pending   int    // events not yet delivered or given up
	Recovered int    // events found pending in the outbox at Open
}

// Service delivers the events of every app.
type Service struct {
	cfg       Config
	be        backend
	apps      map[trtc.SDKAppID]App
	client    *http.Client
	transport *http.Transport // closed at Close; nil when Config.Transport was given

	ctx      context.Context
	stop     context.CancelFunc
	wg       sync.WaitGroup
	closed   atomic.Bool
	progress chan struct{} // an event was delivered, given up or retried

	appended, unsaved, delivered, givenUp, attempts, failures atomic.Uint64
}

// newService prepares a service over cfg (with defaults) before its
// backend opens.
func newService(cfg Config) *Service {
	s := &Service{cfg: cfg, apps: map[trtc.SDKAppID]App{}, progress: make(chan struct{}, 1)}
	rt := cfg.Transport
	if rt == nil {
		s.transport = http.DefaultTransport.(*http.Transport).Clone()
		rt = s.transport
	}
	s.client = &http.Client{
		Transport: rt,
		// A redirect is not an answer: the receiver must be configured
		// with its final URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, a := range cfg.Apps {
		s.apps[a.ID] = a
	}
	return s
}

// start runs one delivery goroutine per app over the backend.
func (s *Service) start(be backend) {
	s.be = be
	s.ctx, s.stop = context.WithCancel(context.Background())
	for _, a := range s.cfg.Apps {
		s.wg.Add(1)
		go s.runLane(s.ctx, a, be.lane(a.ID))
	}
}

// Open recovers the outbox in cfg.Dir and starts delivering: first what a
// previous run left pending, then what Append adds. Pending events of apps
// that no longer have a webhook are dropped (and logged).
func Open(cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	if cfg.Dir == "" {
		return nil, fmt.Errorf("webhook: no outbox directory")
	}
	box, pending, err := openOutbox(cfg.Dir, cfg.SegmentBytes, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s := newService(cfg)
	fb := &fileBackend{svc: s, box: box, queues: map[trtc.SDKAppID]*queue{}, started: time.Now()}
	for _, a := range cfg.Apps {
		fb.queues[a.ID] = &queue{svc: s, box: box, app: a, wake: make(chan struct{}, 1)}
	}
	dropped := 0
	for _, st := range pending {
		if q := fb.queues[st.app]; q != nil {
			q.items = append(q.items, st)
			fb.found++
			continue
		}
		box.ack(st)
		dropped++
	}
	if dropped > 0 {
		cfg.Logger.Warn("webhook: pending events of apps without a webhook dropped", "events", dropped)
	}
	if fb.found > 0 {
		cfg.Logger.Info("webhook: resuming delivery of events left by the previous run", "events", fb.found)
	}
	s.start(fb)
	return s, nil
}

// Append stores e durably and queues it for delivery. It returns once e is
// on disk (committed, with PostgreSQL). An app without a webhook makes it a
// no-op. When the file outbox cannot write, the event is still delivered
// from memory and the error is returned for the caller to log: it would not
// survive a crash.
func (s *Service) Append(e Event) error { return s.append(e, true) }

// AppendDeferred is Append without waiting for the disk: e becomes durable
// with the next Append (of any app) or Close, and until then a crash may
// lose it. It is for an event that is always followed by an Append before
// anything acknowledges it, such as a room's creation by an enter: the
// enter's own event then makes both durable with one fdatasync. With
// PostgreSQL it is Append.
func (s *Service) AppendDeferred(e Event) error { return s.append(e, false) }

func (s *Service) append(e Event, sync bool) error {
	if !e.Type.Valid() {
		return fmt.Errorf("%w: %d", ErrInvalidEvent, e.Type)
	}
	if _, ok := s.apps[e.Room.App]; !ok {
		return nil
	}
	if s.closed.Load() {
		return ErrClosed
	}
	info := appendInfo(make([]byte, 0, 192), &e)
	queued, err := s.be.append(e.Room.App, e.Type, info, sync)
	if queued {
		s.appended.Add(1)
	}
	return err
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	// Pending first: an event is counted before it leaves the outbox, so
	// what no longer counts as pending is already in the counters.
	pending := s.be.pending()
	return Stats{
		Appended:  s.appended.Load(),
		Unsaved:   s.unsaved.Load(),
		Delivered: s.delivered.Load(),
		GivenUp:   s.givenUp.Load(),
		Attempts:  s.attempts.Load(),
		Failures:  s.failures.Load(),
		Syncs:     s.be.syncs(),
		Pending:   pending,
		Recovered: s.be.recovered(),
	}
}

func (s *Service) pending() int { return s.be.pending() }

func (s *Service) notify() {
	select {
	case s.progress <- struct{}{}:
	default:
	}
}

// Close stops taking events, keeps delivering until nothing is pending or
// ctx is done, then stops and closes the outbox. Events still pending stay in
// the outbox for the next Open; Close then returns an error wrapping
// ErrNotFlushed.
func (s *Service) Close(ctx context.Context) error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	// Another node may deliver too (PostgreSQL): look again now and then
	// besides on this node's progress.
	tick := time.NewTicker(closePoll)
	defer tick.Stop()
wait:
	for s.pending() > 0 {
		select {
		case <-s.progress:
		case <-tick.C:
		case <-ctx.Done():
			break wait
		}
	}
	left := s.pending()
	s.stop()
	s.wg.Wait()
	if s.transport != nil {
		s.transport.CloseIdleConnections()
	}
	err := s.be.close()
	if left > 0 {
		return fmt.Errorf("%w: %d events kept for the next start", ErrNotFlushed, left)
	}
	return err
}

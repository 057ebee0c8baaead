package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// maxAnswerBytes is how much of a receiver's answer is read (and ignored):
// TRTC asks receivers to stay under 2,000 bytes (trtc-reference §8.1).
const maxAnswerBytes = 4096

// backend is where a Service keeps events until they are delivered or
// given up: the file outbox (queue.go, outbox.go) or PostgreSQL
// (postgres.go). The delivery itself — attempts, the retry schedule,
// counters — is the Service's, the same for both.
type backend interface {
	// append stores an event of a configured app; with sync it returns
	// once the event survives a crash. queued tells whether the event will
	// be delivered (with an error: delivered, but not durable).
	append(app trtc.SDKAppID, typ EventType, info []byte, sync bool) (queued bool, err error)
	// lane returns the lane of a configured app.
	lane(app trtc.SDKAppID) lane
	// pending counts the events of the configured apps not yet delivered
	// or given up.
	pending() int
	// recovered counts the events found pending at open.
	recovered() int
	// syncs counts fsyncs (file outbox only).
	syncs() uint64
	// close releases the backend once the lanes have stopped.
	close() error
}

// lane is one app's events, oldest first. One goroutine per app and node
// claims the head, makes one attempt, and settles it; no other event of the
// app is attempted meanwhile, by this node or another, which is what keeps
// the app's events in order.
type lane interface {
	// claim waits until the app's oldest undelivered event is due and is
	// this node's to attempt, and returns it; nil once ctx ends.
	claim(ctx context.Context) *claim
	// settle records the outcome of the attempt of c, and counts it with
	// Service.count no later than the event stops being pending: whoever
	// sees it gone sees it counted.
	settle(c *claim, out outcome)
}

// claim is the head of a lane, taken for one attempt.
type claim struct {
	ev *stored
	// attempts made of this event before this one.
	attempts int
	// failingSince starts the app's current failure streak (zero while the
	// receiver answers).
	failingSince time.Time
	// token fences the claim (PostgreSQL's lease).
	token int64
}

// verdict is what became of an attempt.
type verdict uint8

const (
	verdictUnknown   verdict = iota
	verdictDelivered         // answered 2xx: the event is done
	verdictRetry             // failed: attempt again at outcome.next
	verdictGivenUp           // failed and out of retries: the event is done
	verdictAbandoned         // the service is closing: the event stays pending
)

// outcome is the verdict on an attempt with the schedule state that follows.
type outcome struct {
	verdict      verdict
	attempts     int       // attempts made of the event, this one included
	failingSince time.Time // the app's failure streak after the attempt
	next         time.Time // verdictRetry: not before
}

// runLane is the delivery goroutine of one app.
func (s *Service) runLane(ctx context.Context, app App, l lane) {
	defer s.wg.Done()
	for {
		c := l.claim(ctx)
		if c == nil {
			return
		}
		start := s.cfg.Clock.Now()
		err := s.post(ctx, app, c.ev)
		l.settle(c, s.judge(ctx, app, c, start, err))
		s.notify()
		if ctx.Err() != nil {
			return
		}
	}
}

// count adds an outcome to the counters.
func (s *Service) count(out outcome) {
	switch out.verdict {
	case verdictDelivered:
		s.delivered.Add(1)
	case verdictGivenUp:
		s.givenUp.Add(1)
	}
}

// judge applies the schedule of trtc-reference §8.1 to an attempt that
// started at start and ended with err: a retry at once after the first
// failure, then one every RetryInterval, and no attempt starting later than
// RetryWindow after the streak's first failed attempt; every event gets at
// least two attempts.
func (s *Service) judge(ctx context.Context, app App, c *claim, start time.Time, err error) outcome {
	cfg := &s.cfg
	out := outcome{attempts: c.attempts + 1, failingSince: c.failingSince}
	if err == nil {
		out.verdict, out.failingSince = verdictDelivered, time.Time{}
		return out
	}
	if ctx.Err() != nil {
		out.verdict, out.attempts = verdictAbandoned, c.attempts
		return out
	}
	s.failures.Add(1)
	if out.failingSince.IsZero() {
		out.failingSince = start
	}
	wait := time.Duration(0)
	if out.attempts > 1 {
		wait = cfg.RetryInterval
	}
	now := cfg.Clock.Now()
	if out.attempts >= 2 && now.Add(wait).After(out.failingSince.Add(cfg.RetryWindow)) {
		cfg.Logger.Warn("webhook: event given up", "app", uint32(app.ID), "event", c.ev.id, "type", int(c.ev.typ), "attempts", out.attempts, "err", err)
		out.verdict = verdictGivenUp
		return out
	}
	cfg.Logger.Debug("webhook: attempt failed", "app", uint32(app.ID), "event", c.ev.id, "attempt", out.attempts, "retry_in", wait, "err", err)
	out.verdict, out.next = verdictRetry, now.Add(wait)
	return out
}

// post makes one attempt. Success is any 2xx answer within Timeout.
func (s *Service) post(ctx context.Context, app App, st *stored) error {
	cfg := &s.cfg
	s.attempts.Add(1)
	// A body of its own per attempt: the transport may still be writing it
	// after the answer has come back.
	body := appendBody(make([]byte, 0, len(st.info)+128), st.typ, st.info, cfg.Clock.Now(), st.id)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, app.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	// Set directly, not with Header.Set, to keep TRTC's spelling on the
	// wire (Set would send "Sdkappid").
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["SdkAppId"] = []string{strconv.FormatUint(uint64(app.ID), 10)}
	req.Header["X-Rtcengine-Event-Id"] = []string{st.id}
	if app.Key != "" {
		req.Header["Sign"] = []string{Sign(app.Key, body)}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: %s", errStatus, resp.Status)
	}
	return nil
}

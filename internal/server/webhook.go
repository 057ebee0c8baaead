package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/webhook"
)

// webhooks turns room life cycle into TRTC's webhook events
// (trtc-reference §8.2) and appends them to the durable outbox. The room
// service calls it with the room's lock held, before the action that caused
// the event is acknowledged (enter response, REST answer), so an
// acknowledged action's event is on disk. A nil *webhooks (no app has a
// webhook URL) does nothing.
type webhooks struct {
	svc *webhook.Service
	log *slog.Logger
}

// outboxDir is where the outbox lives under --data-dir.
const outboxDir = "webhook"

// openWebhooks opens the outbox — under the data directory, or in
// PostgreSQL with --postgres — when at least one app has a webhook URL;
// delivery of events a previous run (or, with PostgreSQL, another node)
// left pending starts at once.
func openWebhooks(cfg config.Config, log *slog.Logger) (*webhooks, error) {
	var apps []webhook.App
	for _, a := range cfg.Apps {
		if a.WebhookURL != "" {
			apps = append(apps, webhook.App{ID: trtc.SDKAppID(a.SDKAppID), URL: a.WebhookURL, Key: a.WebhookKey})
		}
	}
	if len(apps) == 0 {
		return nil, nil
	}
	wc := webhook.Config{
		Dir:           filepath.Join(cfg.DataDir, outboxDir),
		Apps:          apps,
		Timeout:       cfg.Webhook.Timeout,
		RetryInterval: cfg.Webhook.RetryInterval,
		RetryWindow:   cfg.Webhook.RetryWindow,
		MaxPending:    cfg.Webhook.MaxPending,
		Node:          nodeName(cfg),
		Logger:        log,
	}
	var svc *webhook.Service
	var err error
	if cfg.Postgres != "" {
		// The outbox of the whole cluster: any node delivers.
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		svc, err = webhook.OpenPostgres(ctx, cfg.Postgres, wc)
	} else {
		svc, err = webhook.Open(wc)
	}
	if err != nil {
		return nil, err
	}
	return &webhooks{svc: svc, log: log}, nil
}

// observer is what the room service calls.
func (w *webhooks) observer() room.Observer {
	if w == nil {
		return room.NopObserver{}
	}
	return w
}

// close delivers what it can before ctx ends; the rest waits in the outbox
// for the next start.
func (w *webhooks) close(ctx context.Context) {
	if w == nil {
		return
	}
	if err := w.svc.Close(ctx); err != nil {
		w.log.Warn("webhooks not all delivered at shutdown", "err", err)
	}
}

// register exposes the delivery counters on /metrics.
func (w *webhooks) register(reg *prometheus.Registry) {
	if w == nil {
		return
	}
	counter := func(name, help string, f func(webhook.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f(w.svc.Stats())) })
	}
	reg.MustRegister(
		counter("rtcengine_webhook_events_total", "Webhook events appended to the outbox.", func(s webhook.Stats) uint64 { return s.Appended }),
		counter("rtcengine_webhook_delivered_total", "Webhook events answered 2xx.", func(s webhook.Stats) uint64 { return s.Delivered }),
		counter("rtcengine_webhook_given_up_total", "Webhook events given up (out of retries or past max_pending).", func(s webhook.Stats) uint64 { return s.GivenUp }),
		counter("rtcengine_webhook_attempts_total", "Webhook POSTs started.", func(s webhook.Stats) uint64 { return s.Attempts }),
		counter("rtcengine_webhook_failures_total", "Webhook POSTs that failed.", func(s webhook.Stats) uint64 { return s.Failures }),
		counter("rtcengine_webhook_unsaved_total", "Webhook events the outbox could not write (not durable).", func(s webhook.Stats) uint64 { return s.Unsaved }),
		counter("rtcengine_webhook_outbox_fsyncs_total", "fsyncs of the webhook outbox.", func(s webhook.Stats) uint64 { return s.Syncs }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rtcengine_webhook_pending", Help: "Webhook events not yet delivered or given up."},
			func() float64 { return float64(w.svc.Stats().Pending) }),
	)
}

func (w *webhooks) add(e webhook.Event) { w.report(e, w.svc.Append(e)) }

func (w *webhooks) report(e webhook.Event, err error) {
	if err != nil {
		w.log.Error("webhook event not stored", "room", e.Room.String(), "user", string(e.UserID), "type", int(e.Type), "err", err)
	}
}

// RoomCreated defers the fdatasync: the room service calls it only from an
// enter, followed under the same lock by UserEntered, whose durable append
// covers both before the enter is answered. A room's first enter then costs
// one fdatasync, not two.
func (w *webhooks) RoomCreated(r room.RoomInfo, at time.Time) {
	e := webhook.Event{Type: webhook.EventCreateRoom, Room: r.Key, At: at, UserID: r.Creator}
	w.report(e, w.svc.AppendDeferred(e))
}

func (w *webhooks) RoomDestroyed(r room.RoomInfo, at time.Time) {
	w.add(webhook.Event{Type: webhook.EventDismissRoom, Room: r.Key, At: at})
}

func (w *webhooks) UserEntered(r room.RoomInfo, m room.MemberInfo, at time.Time) {
	reason := webhook.EnterNormal
	switch {
	case m.Replaced:
		reason = webhook.EnterNetworkSwitch
	case m.Client.Retry:
		reason = webhook.EnterTimeoutRetry
	}
	w.add(webhook.Event{Type: webhook.EventEnterRoom, Room: r.Key, At: at, UserID: m.UserID, Role: m.Role,
		TerminalType: m.Client.TerminalType, UserType: m.Client.UserType, Reason: reason})
}

// exitReasons maps why a member left to the Reason of event 104. A session
// replaced by a new enter of the same userId sends no 104: the user is still
// in the room, and the new session's 103 says so with reason 2.
var exitReasons = map[room.Cause]int{
	room.CauseNormal:    webhook.ExitNormal,
	room.CauseTimeout:   webhook.ExitTimeout,
	room.CauseRemoved:   webhook.ExitRemoved,
	room.CauseDismissed: webhook.ExitRemoved,
	room.CauseShutdown:  webhook.ExitRemoved,
}

func (w *webhooks) UserLeft(r room.RoomInfo, m room.MemberInfo, c room.Cause, at time.Time) {
	if c == room.CauseReplaced {
		return
	}
	reason, ok := exitReasons[c]
	if !ok {
		reason = webhook.ExitNormal
	}
	w.add(webhook.Event{Type: webhook.EventExitRoom, Room: r.Key, At: at, UserID: m.UserID, Role: m.Role, Reason: reason})
}

func (w *webhooks) RoleChanged(r room.RoomInfo, m room.MemberInfo, at time.Time) {
	w.add(webhook.Event{Type: webhook.EventChangeRole, Room: r.Key, At: at, UserID: m.UserID, Role: m.Role})
}

// streamEvents are the event types of a stream becoming available (on) or
// not.
var streamEvents = map[room.Stream][2]webhook.EventType{
	room.StreamVideo: {webhook.EventStopVideo, webhook.EventStartVideo},
	room.StreamAudio: {webhook.EventStopAudio, webhook.EventStartAudio},
	room.StreamSub:   {webhook.EventStopAssist, webhook.EventStartAssist},
}

func (w *webhooks) StreamChanged(r room.RoomInfo, m room.MemberInfo, s room.Stream, on bool, at time.Time) {
	types, ok := streamEvents[s]
	if !ok {
		return
	}
	t := types[0]
	if on {
		t = types[1]
	}
	w.add(webhook.Event{Type: t, Room: r.Key, At: at, UserID: m.UserID})
}

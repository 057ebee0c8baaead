package server

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/store"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// history records the node's rooms, user sessions and the SDKs' quality
// reports in the history store — the embedded one under the data directory,
// or PostgreSQL with --postgres — and the Describe actions read it. As a
// room.Observer it is called with room locks held: each call only queues a
// record (neither store ever blocks).
type history struct {
	room.NopObserver
	st  historyStore
	log *slog.Logger
	// durable: rooms and sessions are committed before the room service
	// goes on (and so before their webhooks are appended, which follow
	// in the observer chain). A process killed after a webhook then
	// always finds its room or session in the history at the next
	// start, which reports what it left open (appendLeftovers) exactly
	// once. Only with webhooks; otherwise the writer runs behind.
	durable bool
}

// durableWait bounds the wait for one commit; past it the room service
// goes on (logged) and the record is committed behind.
const durableWait = 2 * time.Second

// commit waits until what was queued is committed, when durable.
func (h *history) commit() {
	if !h.durable {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), durableWait)
	defer cancel()
	if err := h.st.Flush(ctx); err != nil {
		h.log.Warn("history: a room or session record is not committed yet", "err", err)
	}
}

// historyStore is what the server uses of a store: store.SQLite or
// store.Postgres.
type historyStore interface {
	api.History
	RoomCreated(store.Room)
	RoomDestroyed(store.Room)
	SessionStarted(store.Session)
	SessionEnded(id string, at time.Time)
	SessionRole(id string, role trtc.Role)
	AddSample(store.Sample)
	Stats() store.WriterStats
	Flush(context.Context) error
	Close() error
}

// openTimeout bounds connecting to PostgreSQL and migrating its tables.
const openTimeout = 30 * time.Second

func openHistory(cfg config.Config, log *slog.Logger, hooks *webhooks) (*history, error) {
	// What a previous process of this node left open (it was killed or
	// crashed) is closed at open; its webhooks go out now.
	leftovers := func(l store.Leftovers) error {
		if len(l.Gone)+len(l.Ended) > 0 {
			log.Warn("history: closed what the previous run left open (it did not stop cleanly)", "users", len(l.Gone), "rooms", len(l.Ended))
		}
		return hooks.appendLeftovers(l)
	}
	if cfg.Postgres != "" {
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		st, err := store.OpenPostgres(ctx, cfg.Postgres, store.Options{Logger: log, Node: nodeName(cfg), Leftovers: leftovers})
		if err != nil {
			return nil, err
		}
		log.Info("history store in PostgreSQL", "node", st.Node())
		return &history{st: st, log: log, durable: hooks != nil}, nil
	}
	if cfg.Redis != "" {
		log.Warn("cluster mode without --postgres: each node keeps its own history and webhook outbox; Describe* answers only about this node's rooms, and a dead node's webhooks wait for it to restart")
	}
	st, err := store.Open(cfg.DataDir, store.Options{Logger: log, Leftovers: leftovers})
	if err != nil {
		return nil, err
	}
	log.Debug("history store open", "path", st.Path())
	return &history{st: st, log: log, durable: hooks != nil}, nil
}

// nodeName names this node in the shared PostgreSQL tables: its cluster
// node id when one is configured, else host name and listening address,
// which stay the same across restarts (a restarted node closes the rooms
// and sessions it left open under that name).
func nodeName(cfg config.Config) string {
	if cfg.Cluster.NodeID != "" {
		return cfg.Cluster.NodeID
	}
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	return host + "/" + cfg.Listen
}

// close commits what is queued and closes the store. Call it after the
// room service has shut down, so that the last leaves are recorded.
func (h *history) close() {
	if err := h.st.Close(); err != nil {
		h.log.Warn("history: close", "err", err)
	}
}

// register exports the writer's counters.
func (h *history) register(reg *prometheus.Registry) {
	counter := func(name, help string, v func(store.WriterStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(h.st.Stats())) })
	}
	reg.MustRegister(
		counter("rtcengine_history_records_written_total", "History records (rooms, sessions, quality samples) committed.",
			func(s store.WriterStats) uint64 { return s.Written }),
		counter("rtcengine_history_records_dropped_total", "History records dropped because the writer queue was full.",
			func(s store.WriterStats) uint64 { return s.Dropped }),
		counter("rtcengine_history_records_failed_total", "History records lost with a failed transaction.",
			func(s store.WriterStats) uint64 { return s.Failed }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rtcengine_history_queue", Help: "History records waiting for the writer."},
			func() float64 { return float64(h.st.Stats().Queued) }),
	)
}

func storeRoom(r room.RoomInfo) store.Room {
	return store.Room{App: r.Key.App, RoomID: r.Key.ID(), StrRoom: r.Key.IsStr(), Created: r.Created, Creator: r.Creator}
}

func (h *history) RoomCreated(r room.RoomInfo, _ time.Time) {
	h.st.RoomCreated(storeRoom(r))
	h.commit()
}

func (h *history) RoomDestroyed(r room.RoomInfo, at time.Time) {
	sr := storeRoom(r)
	sr.Destroyed = at
	h.st.RoomDestroyed(sr)
	h.commit()
}

func (h *history) UserEntered(r room.RoomInfo, m room.MemberInfo, _ time.Time) {
	h.st.SessionStarted(store.Session{
		ID: string(m.Session), App: r.Key.App, CommID: storeRoom(r).CommID(), RoomID: r.Key.ID(), UserID: m.UserID,
		Joined: m.Joined, DeviceType: deviceType(m.Client), SDKVersion: m.Client.SDKVersion, ClientIP: m.Client.ClientIP,
		Role: m.Role,
	})
	h.commit()
}

func (h *history) RoleChanged(_ room.RoomInfo, m room.MemberInfo, _ time.Time) {
	h.st.SessionRole(string(m.Session), m.Role)
	h.commit()
}

func (h *history) UserLeft(_ room.RoomInfo, m room.MemberInfo, _ room.Cause, at time.Time) {
	h.st.SessionEnded(string(m.Session), at)
	h.commit()
}

// deviceType is DescribeUserInfo's DeviceType: what the client says it
// runs on, else its terminal type (trtc-reference §8.2).
func deviceType(c room.ClientInfo) string {
	if c.Device != "" {
		return c.Device
	}
	if c.UserType == 1 {
		return "Web"
	}
	switch c.TerminalType {
	case 1:
		return "Windows"
	case 2:
		return "Android"
	case 3:
		return "iOS"
	case 4:
		return "Linux"
	}
	return "Other"
}

// QualityReport implements signaling.ReportSink: one sample for the
// uplink, one per remote user, at the server's receiving time.
func (h *history) QualityReport(r room.RoomInfo, session room.SessionID, user trtc.UserID, rep *proto.Report, at time.Time) {
	for _, s := range reportSamples(r, session, user, rep, at) {
		h.st.AddSample(s)
	}
}

// reportSamples turns a report into samples (DataType names: store.Metric).
func reportSamples(r room.RoomInfo, session room.SessionID, user trtc.UserID, rep *proto.Report, at time.Time) []store.Sample {
	base := store.Sample{App: r.Key.App, CommID: storeRoom(r).CommID(), Session: string(session), UserID: user, At: at}
	var out []store.Sample
	up := map[store.Metric]float64{}
	if rep.AppCPU != nil {
		up[store.MetricAppCPU] = *rep.AppCPU
	}
	if rep.SysCPU != nil {
		up[store.MetricSysCPU] = *rep.SysCPU
	}
	if rep.Up != nil {
		pathValues(up, rep.Up, true)
	}
	if len(up) > 0 {
		s := base
		s.Values = up
		out = append(out, s)
	}
	for i := range rep.Down {
		v := map[store.Metric]float64{}
		pathValues(v, &rep.Down[i], false)
		if len(v) == 0 {
			continue
		}
		s := base
		s.PeerID, s.Values = trtc.UserID(rep.Down[i].UserID), v
		out = append(out, s)
	}
	return out
}

func pathValues(v map[store.Metric]float64, p *proto.ReportPath, uplink bool) {
	if a := p.Audio; a != nil {
		v[store.MetricABit] = float64(a.Bitrate)
		v[store.MetricALoss] = float64(a.Loss)
		if a.Block != nil {
			v[store.MetricABlock] = float64(*a.Block)
		}
	}
	if x := p.Video; x != nil {
		v[store.MetricBigvBit] = float64(x.Bitrate)
		v[store.MetricBigvLoss] = float64(x.Loss)
		if uplink {
			v[store.MetricBigvEncFps] = float64(x.Fps)
			v[store.MetricBigvCapFps] = float64(x.Fps)
			if x.CapFps != nil {
				v[store.MetricBigvCapFps] = float64(*x.CapFps)
			}
		} else {
			v[store.MetricBigvDecFps] = float64(x.Fps)
		}
		if x.Width > 0 && x.Height > 0 {
			v[store.MetricBigvWidth], v[store.MetricBigvHeight] = float64(x.Width), float64(x.Height)
		}
		if x.Block != nil {
			v[store.MetricBigvBlock] = float64(*x.Block)
		}
	}
}

// roomBlocker serves SetUserBlocked from the room service; the conference
// hub hears the availability changes and stops or resumes forwarding.
type roomBlocker struct{ rooms *room.Manager }

func (b roomBlocker) SetUserBlocked(_ context.Context, key trtc.RoomKey, user trtc.UserID, blk room.Block) error {
	return b.rooms.SetBlocked(key, user, blk)
}

package bench

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// JoinConfig describes a join benchmark.
type JoinConfig struct {
	Server      string // base URL, http://host:port
	Users       int
	Rooms       int
	Concurrency int // enters in flight at once
	Scene       rtc.AppScene
	SDKAppID    uint32
	Sig         func(user string) (string, error)
	Progress    io.Writer
}

// JoinResult is what bench join reports.
type JoinResult struct {
	Users          int       `json:"users"`
	Rooms          int       `json:"rooms"`
	Concurrency    int       `json:"concurrency"`
	Failed         int       `json:"failed"`
	EnterLatency   Latencies `json:"enter_latency"` // EnterRoom call → OnEnterRoom, measured by the client
	ReportedMs     Latencies `json:"reported_ms"`   // the positive OnEnterRoom(result) values
	Seconds        float64   `json:"seconds"`       // wall time to enter everyone
	MemoryPerUser  float64   `json:"memory_per_user_kib"`
	MemoryExact    bool      `json:"memory_exact"`
	GoroutinesUser float64   `json:"goroutines_per_user"`
	ServerBefore   Memory    `json:"server_before"`
	ServerAfter    Memory    `json:"server_after"`
}

type joinListener struct {
	rtc.BaseListener
	start  time.Time
	done   chan struct{}
	result int64
	took   time.Duration
	once   sync.Once
}

func (l *joinListener) OnEnterRoom(result int64) {
	l.once.Do(func() {
		l.took = time.Since(l.start)
		l.result = result
		close(l.done)
	})
}

// RunJoin enters Users users into Rooms rooms and measures the enters and the
// server's memory per connected idle user.
func RunJoin(cfg JoinConfig) (JoinResult, error) {
	res := JoinResult{Users: cfg.Users, Rooms: cfg.Rooms, Concurrency: cfg.Concurrency}
	before, err := ReadMemory(cfg.Server)
	if err != nil {
		return res, fmt.Errorf("read server memory: %w", err)
	}
	res.ServerBefore = before

	clouds := make([]*rtc.Cloud, cfg.Users)
	listeners := make([]*joinListener, cfg.Users)
	sem := make(chan struct{}, max(cfg.Concurrency, 1))
	var wg sync.WaitGroup
	var entered atomic.Int64
	prog := NewProgress(cfg.Progress, "entering", cfg.Users)
	began := time.Now()
	url := "ws" + cfg.Server[len("http"):]
	// Tickets are made before the clock starts: an app server issues them
	// ahead of time, and their cost is not the server's.
	sigs := make([]string, cfg.Users)
	for i := range sigs {
		if sigs[i], err = cfg.Sig(fmt.Sprintf("bench_%d", i)); err != nil {
			return res, err
		}
	}
	began = time.Now()
	for i := range cfg.Users {
		user, sig := fmt.Sprintf("bench_%d", i), sigs[i]
		sem <- struct{}{}
		l := &joinListener{done: make(chan struct{})}
		c := rtc.NewCloud(rtc.WithServer(url))
		c.SetListener(l)
		clouds[i], listeners[i] = c, l
		wg.Add(1)
		l.start = time.Now()
		c.EnterRoom(rtc.Params{SDKAppID: cfg.SDKAppID, UserID: user, UserSig: sig, RoomID: uint32(100000 + i%cfg.Rooms), Role: rtc.RoleAnchor}, cfg.Scene)
		go func() {
			defer wg.Done()
			select {
			case <-l.done:
			case <-time.After(30 * time.Second):
			}
			<-sem
			prog.Set(int(entered.Add(1)))
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(began).Seconds()

	var took, reported []time.Duration
	for _, l := range listeners {
		select {
		case <-l.done:
		default:
			res.Failed++
			continue
		}
		if l.result <= 0 {
			res.Failed++
			continue
		}
		took = append(took, l.took)
		reported = append(reported, time.Duration(l.result)*time.Millisecond)
	}
	res.EnterLatency = Summarize(took)
	res.ReportedMs = Summarize(reported)

	// Let the server settle with everyone idle (heartbeats only), then weigh it.
	time.Sleep(2 * time.Second)
	after, err := ReadMemory(cfg.Server)
	if err == nil {
		res.ServerAfter = after
		n := float64(cfg.Users - res.Failed)
		if n > 0 {
			res.MemoryPerUser = (float64(after.Used()) - float64(before.Used())) / n / 1024
			res.GoroutinesUser = float64(after.Goroutines-before.Goroutines) / n
			res.MemoryExact = after.Exact
		}
	}
	var cwg sync.WaitGroup
	for _, c := range clouds {
		if c == nil {
			continue
		}
		cwg.Add(1)
		sem <- struct{}{}
		go func() {
			defer cwg.Done()
			c.Close()
			<-sem
		}()
	}
	cwg.Wait()
	return res, nil
}

// WriteJoinTable prints a readable report.
func WriteJoinTable(w io.Writer, r JoinResult) {
	fmt.Fprintf(w, "\nbench join: %d users in %d rooms, %d enters in flight, %.2f s\n", r.Users, r.Rooms, r.Concurrency, r.Seconds)
	fmt.Fprintf(w, "  %-34s %8s %8s %8s %8s\n", "", "p50", "p95", "p99", "max")
	fmt.Fprintf(w, "  %-34s %8.2f %8.2f %8.2f %8.2f\n", "EnterRoom → OnEnterRoom (ms)", r.EnterLatency.P50, r.EnterLatency.P95, r.EnterLatency.P99, r.EnterLatency.Max)
	fmt.Fprintf(w, "  %-34s %8.0f %8.0f %8.0f %8.0f\n", "OnEnterRoom(result) reported (ms)", r.ReportedMs.P50, r.ReportedMs.P95, r.ReportedMs.P99, r.ReportedMs.Max)
	exact := "after GC"
	if !r.MemoryExact {
		exact = "from /metrics, no GC"
	}
	fmt.Fprintf(w, "  server memory per idle user: %.1f KiB (%s), goroutines per user: %.1f\n", r.MemoryPerUser, exact, r.GoroutinesUser)
	fmt.Fprintf(w, "  failed enters: %d\n", r.Failed)
}

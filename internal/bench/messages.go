package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// MessagesConfig describes a custom-message benchmark: Users enter one
// video-call room; Senders of them send custom messages at Rate each; every
// message goes to everyone else.
type MessagesConfig struct {
	Server    string // base URL, http://host:port
	SDKAppID  uint32
	Sig       func(user string) (string, error)
	ServerCPU CPUReader // nil: not reported
	Users     int
	Senders   int           // 0: every user
	Rate      int           // messages per second per sender; 0: TRTC's 30
	Size      int           // bytes per message, at least msgStampLen; 0: 64
	Duration  time.Duration // the measurement window
	Room      uint32
	Progress  io.Writer
	// Profile receives the server's CPU profile over the window
	// (development mode); SelfProfile the load generator's.
	Profile, SelfProfile io.Writer
}

// MessagesResult is what bench messages reports.
type MessagesResult struct {
	Users    int     `json:"users"`
	Senders  int     `json:"senders"`
	Rate     int     `json:"rate"` // per sender, messages/s
	Size     int     `json:"size_bytes"`
	Seconds  float64 `json:"seconds"` // measurement window
	Failed   int     `json:"failed"`  // users that did not enter
	Sent     uint64  `json:"sent"`    // accepted by SendCustomCmdMsg, stamped within the window
	Refused  uint64  `json:"refused"` // SendCustomCmdMsg returned false
	Expected uint64  `json:"expected"`
	Received uint64  `json:"received"`
	Missed   uint64  `json:"missed"` // reported by OnMissCustomCmdMsg
	// Latency is SendCustomCmdMsg → OnRecvCustomCmdMsg, on one clock (the
	// load generator runs every client).
	Latency             LatencySummary `json:"latency"`
	DeliveriesPerSecond float64        `json:"deliveries_per_second"`
	ServerCPU           float64        `json:"server_cpu_percent"` // of one core
	LoadCPU             float64        `json:"loadgen_cpu_percent"`
}

// msgStampLen is the stamp at the start of every message: the send time
// (ns since the window's epoch) and the sender's index.
const msgStampLen = 8 + 2

// msgReceiver counts one user's messages.
type msgReceiver struct {
	rtc.BaseListener
	w        *window
	hist     *Histogram
	received atomic.Uint64
	missed   atomic.Uint64
	entered  chan struct{}
	once     sync.Once
	result   atomic.Int64
	peers    atomic.Int64
}

func (r *msgReceiver) OnEnterRoom(result int64) {
	r.once.Do(func() { r.result.Store(result); close(r.entered) })
}

func (r *msgReceiver) OnRemoteUserEnterRoom(string) { r.peers.Add(1) }

func (r *msgReceiver) OnRecvCustomCmdMsg(_ string, _ int, _ uint32, msg []byte) {
	at := r.w.now()
	if len(msg) < msgStampLen {
		return
	}
	sent := time.Duration(binary.BigEndian.Uint64(msg))
	if r.w.holds(sent) {
		r.received.Add(1)
		r.hist.Record(at - sent)
	}
}

func (r *msgReceiver) OnMissCustomCmdMsg(_ string, _ int, _ int, missed int) {
	r.missed.Add(uint64(missed))
}

// RunMessages runs one custom-message load and measures one window.
func RunMessages(cfg MessagesConfig) (MessagesResult, error) {
	if cfg.Senders <= 0 || cfg.Senders > cfg.Users {
		cfg.Senders = cfg.Users
	}
	if cfg.Rate <= 0 {
		cfg.Rate = rtc.MaxCustomMsgsPerSecond
	}
	if cfg.Size <= 0 {
		cfg.Size = 64
	}
	cfg.Size = min(max(cfg.Size, msgStampLen), rtc.MaxCustomMsgBytes)
	res := MessagesResult{Users: cfg.Users, Senders: cfg.Senders, Rate: cfg.Rate, Size: cfg.Size}
	w := newWindow()
	var hist Histogram
	url := "ws" + cfg.Server[len("http"):]

	clouds := make([]*rtc.Cloud, cfg.Users)
	rcvs := make([]*msgReceiver, cfg.Users)
	defer func() { closeAll(clouds) }()
	prog := NewProgress(cfg.Progress, "entering", cfg.Users)
	for i := range cfg.Users {
		user := fmt.Sprintf("m%d_user%d", cfg.Room, i)
		sig, err := cfg.Sig(user)
		if err != nil {
			return res, err
		}
		r := &msgReceiver{w: w, hist: &hist, entered: make(chan struct{})}
		c := rtc.NewCloud(rtc.WithServer(url))
		c.SetListener(r)
		clouds[i], rcvs[i] = c, r
		c.EnterRoom(rtc.Params{SDKAppID: cfg.SDKAppID, UserID: user, UserSig: sig, RoomID: cfg.Room}, rtc.SceneVideoCall)
		select {
		case <-r.entered:
		case <-time.After(30 * time.Second):
		}
		if r.result.Load() <= 0 {
			res.Failed++
		}
		if cfg.Progress != nil {
			prog.Set(i + 1)
		}
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("%d users did not enter", res.Failed)
	}
	// Everyone sees everyone before the first message.
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range rcvs {
		for r.peers.Load() < int64(cfg.Users-1) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var sent, refused atomic.Uint64
	interval := time.Second / time.Duration(cfg.Rate)
	for i := range cfg.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clouds[i]
			msg := make([]byte, cfg.Size)
			for k := msgStampLen; k < len(msg); k++ {
				msg[k] = byte('a' + k%26)
			}
			binary.BigEndian.PutUint16(msg[8:], uint16(i))
			// Senders are spread evenly over the interval, as independent
			// clients would be.
			start := time.Now().Add(interval * time.Duration(i) / time.Duration(cfg.Senders))
			for n := int64(0); ; n++ {
				next := start.Add(time.Duration(n) * interval)
				if d := time.Until(next); d > 0 {
					t := time.NewTimer(d)
					select {
					case <-ctx.Done():
						t.Stop()
						return
					case <-t.C:
					}
				} else if ctx.Err() != nil {
					return
				}
				at := w.now()
				binary.BigEndian.PutUint64(msg, uint64(at))
				ok := c.SendCustomCmdMsg(1+int(n%rtc.MaxCustomCmdID), msg, true, true)
				if w.holds(at) {
					if ok {
						sent.Add(1)
					} else {
						refused.Add(1)
					}
				}
			}
		}()
	}

	// Warm up, then measure.
	time.Sleep(2 * time.Second)
	var cpu0, cpu1 time.Duration
	if cfg.ServerCPU != nil {
		cpu0, _ = cfg.ServerCPU()
	}
	var profDone chan struct{}
	if cfg.Profile != nil {
		profDone = make(chan struct{})
		go func() {
			defer close(profDone)
			fetchProfile(cfg.Server, cfg.Duration, cfg.Profile, cfg.Progress)
		}()
	}
	if cfg.SelfProfile != nil {
		if err := pprof.StartCPUProfile(cfg.SelfProfile); err == nil {
			defer pprof.StopCPUProfile()
		}
	}
	self0, _ := SelfCPU()
	w.from.Store(int64(w.now()))
	began := time.Now()
	time.Sleep(cfg.Duration)
	w.to.Store(int64(w.now()))
	secs := time.Since(began).Seconds()
	if cfg.SelfProfile != nil {
		pprof.StopCPUProfile()
	}
	if cfg.ServerCPU != nil {
		cpu1, _ = cfg.ServerCPU()
	}
	self1, _ := SelfCPU()
	// Keep sending a moment, so that the window's last messages meet the
	// same load as the others, then let the stragglers arrive.
	time.Sleep(time.Second)
	stop()
	wg.Wait()
	res.Seconds = round3(secs)
	res.Sent, res.Refused = sent.Load(), refused.Load()
	res.Expected = res.Sent * uint64(cfg.Users-1)
	received := func() uint64 {
		var n uint64
		for _, r := range rcvs {
			n += r.received.Load()
		}
		return n
	}
	for end := time.Now().Add(10 * time.Second); received() < res.Expected && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
	w.closed.Store(true)
	if profDone != nil {
		<-profDone
	}
	res.Received = received()
	for _, r := range rcvs {
		res.Missed += r.missed.Load()
	}
	res.Latency = hist.Summary()
	res.DeliveriesPerSecond = round3(float64(res.Received) / secs)
	if cfg.ServerCPU != nil {
		res.ServerCPU = round3(100 * (cpu1 - cpu0).Seconds() / secs)
	}
	res.LoadCPU = round3(100 * (self1 - self0).Seconds() / secs)
	return res, nil
}

// WriteMessagesTable prints message results as a readable table.
func WriteMessagesTable(w io.Writer, title string, rows []MessagesResult) {
	fmt.Fprintf(w, "\n%s\n", title)
	fmt.Fprintf(w, "  %5s %7s %6s %6s %9s %9s %9s %7s %8s %8s %8s %8s %8s\n",
		"users", "senders", "msg/s", "bytes", "sent", "expected", "received", "missed", "p50 ms", "p99 ms", "max ms", "srv CPU", "loadgen")
	for _, r := range rows {
		fmt.Fprintf(w, "  %5d %7d %6d %6d %9d %9d %9d %7d %8.2f %8.2f %8.1f %7.1f%% %7.0f%%\n",
			r.Users, r.Senders, r.Rate, r.Size, r.Sent, r.Expected, r.Received, r.Missed,
			r.Latency.P50, r.Latency.P99, r.Latency.Max, r.ServerCPU, r.LoadCPU)
	}
	fmt.Fprintln(w, "  latency: SendCustomCmdMsg → OnRecvCustomCmdMsg at every other user (same clock); msg/s per sender; CPU in % of one core")
}

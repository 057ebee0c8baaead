package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// MediaConfig is what the media benchmarks (fanout, conference) share.
type MediaConfig struct {
	Server    string // base URL, http://host:port
	SDKAppID  uint32
	Sig       func(user string) (string, error)
	ServerCPU CPUReader     // the server's CPU time; nil: not reported
	Duration  time.Duration // the measurement window
	Progress  io.Writer
	// Profile, when set, receives the server's CPU profile over the
	// measurement window (/debug/pprof/profile, development mode).
	Profile io.Writer
	// Edges, when set, are nodes that relay Server's rooms (edges.go):
	// receivers enter them in turn instead of Server.
	Edges []Edge
}

// MediaResult is what a media benchmark reports for one load.
type MediaResult struct {
	Publishers  int     `json:"publishers"`
	Subscribers int     `json:"subscribers"` // users receiving (in a conference, the anchors)
	Streams     int     `json:"streams"`     // publisher → receiver pairs
	Seconds     float64 `json:"seconds"`     // measurement window
	NotReady    int     `json:"not_ready"`   // receivers without media from every publisher when the window opened
	Failed      int     `json:"failed"`      // users that did not enter

	FramesExpected uint64  `json:"frames_expected"` // sent in the window × receivers
	FramesReceived uint64  `json:"frames_received"`
	LossPercent    float64 `json:"loss_percent"` // frames missing by counter, video and audio
	VideoLoss      float64 `json:"video_loss_percent"`
	AudioLoss      float64 `json:"audio_loss_percent"`

	PacketsForwarded uint64  `json:"packets_forwarded"` // RTP packets of the frames received
	PacketsPerSecond float64 `json:"packets_per_second"`
	ServerCPU        float64 `json:"server_cpu_percent"` // of one core, over the window
	CPUPerPacketUs   float64 `json:"cpu_per_packet_us"`
	LoadCPU          float64 `json:"loadgen_cpu_percent"`

	Latency      LatencySummary `json:"latency"` // send → receive, video frames and audio packets
	VideoLatency LatencySummary `json:"video_latency"`
	AudioLatency LatencySummary `json:"audio_latency"`

	// With edges: their CPU together (% of one core) and per packet they
	// forwarded to receivers; ServerCPU is then the origin's.
	EdgeCPU          float64 `json:"edge_cpu_percent,omitempty"`
	EdgeCPUPerPacket float64 `json:"edge_cpu_per_packet_us,omitempty"`

	// ServerTransit is the time the forwarded packets spent inside the
	// server (its /metrics histogram; nil when the server has none).
	ServerTransit *TransitSummary `json:"server_transit,omitempty"`

	MemoryPerSubKiB float64 `json:"memory_per_subscriber_kib"`
	MemoryExact     bool    `json:"memory_exact"`
	ServerBefore    Memory  `json:"server_before"`
	ServerAfter     Memory  `json:"server_after"`
}

// P99 is the worse of the video and audio 99th percentiles (ms).
func (r MediaResult) P99() float64 { return max(r.VideoLatency.P99, r.AudioLatency.P99) }

// mediaUser is one SDK instance of a media plan.
type mediaUser struct {
	server  string // base URL to enter through; "" is MediaConfig.Server
	id      string
	role    rtc.Role
	publish bool
	receive bool
}

// mediaPlan is one media benchmark's room.
type mediaPlan struct {
	room  uint32
	scene rtc.AppScene
	users []mediaUser
	// memFromPublishers: memory per receiver is what the receivers add
	// once the publishers are in and sending (fanout), rather than what
	// all users add to an empty server (conference).
	memFromPublishers bool
}

// window says which frames are measured: those sent within it.
type window struct {
	epoch  time.Time
	from   atomic.Int64 // ns since epoch; MaxInt64 until opened
	to     atomic.Int64
	closed atomic.Bool
}

func newWindow() *window {
	w := &window{epoch: time.Now()}
	w.from.Store(math.MaxInt64)
	w.to.Store(math.MaxInt64)
	return w
}

func (w *window) now() time.Duration { return time.Since(w.epoch) }

func (w *window) holds(sent time.Duration) bool {
	return !w.closed.Load() && int64(sent) >= w.from.Load() && int64(sent) < w.to.Load()
}

// recvStream counts one publisher's video or audio at one receiver. The
// SDK calls a renderer for one track from one goroutine; the lock is for
// the final read.
type recvStream struct {
	mu      sync.Mutex
	started bool
	last    uint32
	frames  uint64 // distinct frames sent in the window
	packets uint64
}

// receiver is one receiving user: a VideoRenderer and AudioFrameObserver.
type receiver struct {
	w       *window
	hist    *[2]Histogram   // video, audio
	streams [][2]recvStream // by publisher index, then kind
	ready   []atomic.Uint32 // by publisher index: a bit per kind seen
	expect  []bool          // by publisher index: not ourselves
}

func (rc *receiver) OnRenderVideoFrame(_ string, _ rtc.StreamType, f *rtc.VideoFrame) {
	rc.got(f.Data, kindVideo)
}

func (rc *receiver) OnRemoteUserAudioFrame(_ string, f *rtc.AudioFrame) { rc.got(f.Data, kindAudio) }

func (rc *receiver) got(b []byte, kind uint8) {
	at := rc.w.now()
	s, ok := ParseStamp(b, kind == kindVideo)
	if !ok || s.Kind != kind || int(s.Publisher) >= len(rc.streams) {
		return
	}
	rc.ready[s.Publisher].Or(1 << kind)
	st := &rc.streams[s.Publisher][kind]
	st.mu.Lock()
	fresh := !st.started || int32(s.Seq-st.last) > 0
	if fresh {
		st.started, st.last = true, s.Seq
	}
	counted := fresh && rc.w.holds(s.Sent)
	if counted {
		st.frames++
		if kind == kindVideo {
			st.packets += uint64(VP8Packets(len(b)))
		} else {
			st.packets++
		}
	}
	st.mu.Unlock()
	if counted {
		rc.hist[kind].Record(at - s.Sent)
	}
}

// isReady reports whether video and audio arrived from every publisher.
func (rc *receiver) isReady() bool {
	for i, e := range rc.expect {
		if e && rc.ready[i].Load() != 3 {
			return false
		}
	}
	return true
}

// publisher sends the synthetic anchor's media, evenly paced.
type publisher struct {
	idx    uint16
	cloud  *rtc.Cloud
	w      *window
	filler []byte
	// phase spreads publishers evenly: anchors' cameras and encoders are
	// not synchronised, so neither their frame times nor their keyframes
	// line up (aligned keyframes from 8 anchors would land 175 packets on
	// each receiver's socket at once).
	phase, of int
	// frames stamped within the window, by kind
	sent [2]atomic.Uint64
}

func (p *publisher) run(ctx context.Context) {
	r := rand.New(rand.NewPCG(uint64(p.idx), 7))
	frameIv := time.Second / videoFPS
	of := max(p.of, 1)
	start := time.Now().Add(time.Duration(p.phase) * frameIv / time.Duration(of))
	keyOffset := uint32(p.phase * keyframeEvery / of)
	var vSlot, aSlot int64 // schedule slots
	var vSeq, aSeq uint32
	aSize := audioSize()
	for {
		nextV := start.Add(time.Duration(vSlot) * frameIv)
		nextA := start.Add(time.Duration(aSlot) * audioInterval)
		next := nextV
		if nextA.Before(next) {
			next = nextA
		}
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
		now := time.Now()
		if !now.Before(nextV) {
			// Like a camera, a late publisher skips the slots it missed
			// rather than bursting to catch up.
			if late := now.Sub(nextV); late > frameIv {
				vSlot += int64(late / frameIv)
			}
			size, key := frameSize(vSeq+keyOffset, r)
			sent := p.w.now()
			f := VideoFrame(Stamp{Publisher: p.idx, Seq: vSeq, Sent: sent}, key, size, p.filler)
			vSeq++
			ts := uint64(vSlot)*1000/videoFPS + 1
			if p.cloud.SendCustomVideoData(rtc.StreamBig, &rtc.VideoFrame{Format: rtc.VideoFormatVP8, Data: f, Keyframe: key, Timestamp: ts}) == nil && p.w.holds(sent) {
				p.sent[kindVideo].Add(1)
			}
			vSlot++
		}
		if !now.Before(nextA) {
			if late := now.Sub(nextA); late > audioInterval {
				aSlot += int64(late / audioInterval)
			}
			sent := p.w.now()
			a := AudioPacket(Stamp{Publisher: p.idx, Seq: aSeq, Sent: sent}, aSize, p.filler)
			aSeq++
			if p.cloud.SendCustomAudioData(&rtc.AudioFrame{Format: rtc.AudioFormatOpus, Data: a, SampleRate: 48000, Channels: 1, Volume: 50}) == nil && p.w.holds(sent) {
				p.sent[kindAudio].Add(1)
			}
			aSlot++
		}
	}
}

// enterListener waits for OnEnterRoom.
type enterListener struct {
	rtc.BaseListener
	done   chan struct{}
	once   sync.Once
	result atomic.Int64
}

func (l *enterListener) OnEnterRoom(result int64) {
	l.once.Do(func() { l.result.Store(result); close(l.done) })
}

// runMedia enters a plan's users, lets the publishers send, measures one
// window and leaves.
func runMedia(cfg MediaConfig, plan mediaPlan) (MediaResult, error) {
	var res MediaResult
	w := newWindow()
	var hist [2]Histogram
	filler := fillerBytes()
	url := "ws" + cfg.Server[len("http"):]

	sigs := make([]string, len(plan.users))
	pubIndex := map[string]uint16{}
	for i, u := range plan.users {
		var err error
		if sigs[i], err = cfg.Sig(u.id); err != nil {
			return res, err
		}
		if u.publish {
			pubIndex[u.id] = uint16(len(pubIndex))
		}
	}
	nPub := len(pubIndex)
	res.Publishers = nPub

	before, err := ReadMemory(cfg.Server)
	if err != nil {
		return res, fmt.Errorf("read server memory: %w", err)
	}
	clouds := make([]*rtc.Cloud, len(plan.users))
	listeners := make([]*enterListener, len(plan.users))
	var pubs []*publisher
	var rcvs []*receiver
	defer func() { closeAll(clouds) }()

	enter := func(i int) {
		u := plan.users[i]
		l := &enterListener{done: make(chan struct{})}
		at := url
		if u.server != "" {
			at = "ws" + u.server[len("http"):]
		}
		c := rtc.NewCloud(rtc.WithServer(at))
		c.SetListener(l)
		clouds[i], listeners[i] = c, l
		if u.receive {
			rc := &receiver{w: w, hist: &hist, streams: make([][2]recvStream, nPub), ready: make([]atomic.Uint32, nPub), expect: make([]bool, nPub)}
			for id, pi := range pubIndex {
				if id != u.id {
					rc.expect[pi] = true
					res.Streams++
					c.SetRemoteVideoRenderCallback(id, rtc.VideoFormatVP8, rc)
				}
			}
			c.SetAudioFrameObserver(rtc.AudioFormatOpus, rc)
			rcvs = append(rcvs, rc)
		}
		if u.publish {
			c.EnableCustomVideoCapture(rtc.StreamBig, true)
			c.EnableCustomAudioCapture(true)
			pi := int(pubIndex[u.id])
			pubs = append(pubs, &publisher{idx: uint16(pi), cloud: c, w: w, filler: filler, phase: pi, of: nPub})
		}
		c.EnterRoom(rtc.Params{SDKAppID: cfg.SDKAppID, UserID: u.id, UserSig: sigs[i], RoomID: plan.room, Role: u.role}, plan.scene)
	}
	waitEntered := func(idx []int) {
		for _, i := range idx {
			select {
			case <-listeners[i].done:
			case <-time.After(30 * time.Second):
			}
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var pwg sync.WaitGroup
	// Publishers first, sending at once: receivers then join a live room.
	var pubIdx, rcvIdx []int
	for i, u := range plan.users {
		if u.publish {
			pubIdx = append(pubIdx, i)
		} else {
			rcvIdx = append(rcvIdx, i)
		}
	}
	prog := NewProgress(cfg.Progress, "joining  ", len(plan.users))
	joined := 0
	for _, i := range pubIdx {
		enter(i)
	}
	waitEntered(pubIdx)
	joined += len(pubIdx)
	prog.Set(joined)
	for _, p := range pubs {
		pwg.Add(1)
		go func() { defer pwg.Done(); p.run(ctx) }()
	}
	defer pwg.Wait()
	defer stop()
	if plan.memFromPublishers {
		time.Sleep(time.Second)
		if before, err = ReadMemory(cfg.Server); err != nil {
			return res, fmt.Errorf("read server memory: %w", err)
		}
	}
	res.ServerBefore = before
	// Receivers enter ten at a time, as bench join's default.
	const inFlight = 10
	for start := 0; start < len(rcvIdx); start += inFlight {
		batch := rcvIdx[start:min(start+inFlight, len(rcvIdx))]
		for _, i := range batch {
			enter(i)
		}
		waitEntered(batch)
		joined += len(batch)
		prog.Set(joined)
	}
	for _, l := range listeners {
		select {
		case <-l.done:
			if l.result.Load() <= 0 {
				res.Failed++
			}
		default:
			res.Failed++
		}
	}
	res.Subscribers = len(rcvs)

	// Warm up until every receiver has media from every publisher (a
	// receiver that joins between keyframes waits for the next one).
	deadline := time.Now().Add(10*time.Second + time.Duration(len(rcvs))*20*time.Millisecond)
	for {
		res.NotReady = 0
		for _, rc := range rcvs {
			if !rc.isReady() {
				res.NotReady++
			}
		}
		if res.NotReady == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A second of steady state before the window: joins' PLIs and NACKs
	// settle.
	time.Sleep(time.Second)

	var profDone chan struct{}
	if cfg.Profile != nil {
		profDone = make(chan struct{})
		go func() {
			defer close(profDone)
			fetchProfile(cfg.Server, cfg.Duration, cfg.Profile, cfg.Progress)
		}()
	}
	cpu0, cpuErr := readCPU(cfg.ServerCPU)
	transit0, transitErr := readTransit(cfg.Server)
	edge0, edgeErr := edgesCPU(cfg.Edges)
	self0, _ := SelfCPU()
	t0 := time.Now()
	w.from.Store(int64(w.now()))
	mprog := NewProgress(cfg.Progress, "measuring", int(cfg.Duration/time.Second))
	for el := time.Duration(0); el < cfg.Duration; el = time.Since(t0) {
		time.Sleep(min(time.Second-el%time.Second, cfg.Duration-el))
		mprog.Set(int(time.Since(t0) / time.Second))
	}
	w.to.Store(int64(w.now()))
	secs := time.Since(t0).Seconds()
	cpu1, cpuErr1 := readCPU(cfg.ServerCPU)
	transit1, transitErr1 := readTransit(cfg.Server)
	edge1, edgeErr1 := edgesCPU(cfg.Edges)
	self1, _ := SelfCPU()
	// Frames sent before the window closed have a second to arrive; later
	// ones count as lost.
	time.Sleep(time.Second)
	w.closed.Store(true)
	if profDone != nil {
		<-profDone
	}
	res.Seconds = secs
	if transitErr == nil && transitErr1 == nil {
		if s, ok := summarizeTransit(transit0, transit1); ok {
			res.ServerTransit = &s
		}
	}

	if after, err := ReadMemory(cfg.Server); err == nil {
		res.ServerAfter = after
		n := res.Subscribers
		if !plan.memFromPublishers {
			n = len(plan.users)
		}
		if n > 0 {
			res.MemoryPerSubKiB = (float64(after.Used()) - float64(res.ServerBefore.Used())) / float64(n) / 1024
			res.MemoryExact = after.Exact
		}
	}

	// Account.
	var sent [2]uint64
	for _, p := range pubs {
		sent[kindVideo] += p.sent[kindVideo].Load()
		sent[kindAudio] += p.sent[kindAudio].Load()
	}
	var got [2]uint64
	var exp [2]uint64
	for _, rc := range rcvs {
		for pi := range rc.streams {
			if !rc.expect[pi] {
				continue
			}
			for k := range 2 {
				st := &rc.streams[pi][k]
				st.mu.Lock()
				got[k] += st.frames
				res.PacketsForwarded += st.packets
				st.mu.Unlock()
				exp[k] += pubs[pubSlot(pubs, uint16(pi))].sent[k].Load()
			}
		}
	}
	loss := func(g, e uint64) float64 {
		if e == 0 {
			return 0
		}
		return 100 * (1 - float64(min(g, e))/float64(e))
	}
	res.FramesExpected, res.FramesReceived = exp[0]+exp[1], got[0]+got[1]
	res.VideoLoss, res.AudioLoss = round3(loss(got[0], exp[0])), round3(loss(got[1], exp[1]))
	res.LossPercent = round3(loss(res.FramesReceived, res.FramesExpected))
	res.PacketsPerSecond = math.Round(float64(res.PacketsForwarded) / secs)
	if cpuErr == nil && cpuErr1 == nil && secs > 0 {
		res.ServerCPU = round3(100 * (cpu1 - cpu0).Seconds() / secs)
		if res.PacketsForwarded > 0 {
			res.CPUPerPacketUs = round3(float64((cpu1 - cpu0).Microseconds()) / float64(res.PacketsForwarded))
		}
	}
	if len(cfg.Edges) > 0 && edgeErr == nil && edgeErr1 == nil && secs > 0 {
		res.EdgeCPU = round3(100 * (edge1 - edge0).Seconds() / secs)
		if res.PacketsForwarded > 0 {
			res.EdgeCPUPerPacket = round3(float64((edge1 - edge0).Microseconds()) / float64(res.PacketsForwarded))
		}
	}
	res.LoadCPU = round3(100 * (self1 - self0).Seconds() / secs)
	res.VideoLatency = hist[kindVideo].Summary()
	res.AudioLatency = hist[kindAudio].Summary()
	var all Histogram
	all.Merge(&hist[kindVideo])
	all.Merge(&hist[kindAudio])
	res.Latency = all.Summary()
	return res, nil
}

func pubSlot(pubs []*publisher, idx uint16) int {
	for i, p := range pubs {
		if p.idx == idx {
			return i
		}
	}
	return 0
}

func readCPU(r CPUReader) (time.Duration, error) {
	if r == nil {
		return 0, fmt.Errorf("no CPU reader")
	}
	return r()
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// closeAll closes SDK instances twenty at a time.
func closeAll(clouds []*rtc.Cloud) {
	sem := make(chan struct{}, 20)
	var wg sync.WaitGroup
	for _, c := range clouds {
		if c == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			c.Close()
			<-sem
		}()
	}
	wg.Wait()
}

// fetchProfile saves the server's CPU profile over d.
func fetchProfile(base string, d time.Duration, out, log io.Writer) {
	secs := max(int(d/time.Second), 1)
	c := &http.Client{Timeout: d + 30*time.Second}
	resp, err := c.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, secs))
	if err != nil {
		fmt.Fprintf(log, "server profile: %v\n", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(log, "server profile: %s (development mode only)\n", resp.Status)
		return
	}
	_, _ = io.Copy(out, resp.Body)
}

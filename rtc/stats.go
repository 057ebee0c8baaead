package rtc

import (
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/proto"
)

// statsInterval is the period of OnStatistics and OnNetworkQuality (TRTC:
// every 2 s, trtc-reference §4 and §9.1).
const statsInterval = 2 * time.Second

// flowMeter counts one stream at the point where the application hands
// frames in (local) or gets them out (remote): what OnStatistics calls
// frame rate and bitrate is what the application sent or received, not
// what the transport carried. One goroutine writes (the sender's caller or
// the track's reader); the sampler reads.
type flowMeter struct {
	frames atomic.Uint64
	bytes  atomic.Uint64
	size   atomic.Uint64 // width<<32 | height, from the latest frame that says
	lastAt atomic.Int64  // UnixNano of the latest packet or frame
	// delayUs/delayN: how long received video frames waited from their
	// first packet to being handed out (reordering and NACK repair).
	delayUs atomic.Uint64
	delayN  atomic.Uint64
	// loudest is 1 + the highest volume (0..100) since it was last taken;
	// 0 means no audio since.
	loudest atomic.Int32
}

func (f *flowMeter) count(n int, now time.Time) {
	f.frames.Add(1)
	f.bytes.Add(uint64(n))
	f.lastAt.Store(now.UnixNano())
}

func (f *flowMeter) touch(now time.Time) { f.lastAt.Store(now.UnixNano()) }

func (f *flowMeter) setSize(w, h int) {
	if w > 0 && h > 0 {
		f.size.Store(uint64(w)<<32 | uint64(uint32(h)))
	}
}

func (f *flowMeter) dims() (w, h int) {
	s := f.size.Load()
	return int(s >> 32), int(uint32(s))
}

func (f *flowMeter) addDelay(d time.Duration) {
	f.delayUs.Add(uint64(max(d, 0) / time.Microsecond))
	f.delayN.Add(1)
}

// noteVolume records an audio packet's volume (0..100).
func (f *flowMeter) noteVolume(v int) {
	for {
		old := f.loudest.Load()
		if int(old) >= v+1 || f.loudest.CompareAndSwap(old, int32(v+1)) {
			return
		}
	}
}

// takeVolume returns the highest volume since the last call, or -1 if no
// audio passed.
func (f *flowMeter) takeVolume() int { return int(f.loudest.Swap(0)) - 1 }

// remoteTrack is one track received on the subscriber connection.
type remoteTrack struct {
	user   string
	stream string // proto.StreamAudio, StreamVideo or StreamSub
	ssrc   uint32
	since  time.Time
	meter  flowMeter
}

// wireCounter counts signaling bytes in both directions, across links.
type wireCounter struct{ sent, recv atomic.Uint64 }

// sampler turns cumulative counters into per-interval figures. It is owned
// by the statistics goroutine.
type sampler struct {
	at    time.Time
	flows map[*flowMeter]flowCount
	rtp   map[rtpKey]rtpCount
	pairs map[*webrtc.PeerConnection]pairCount
	// sent/recv: media transport bytes of connections seen so far.
	sent, recv uint64
}

type flowCount struct{ frames, bytes, delayUs, delayN uint64 }

type rtpKey struct {
	ssrc     uint32
	outbound bool // our stream, as the server's receiver reports describe it
}

type rtpCount struct {
	received uint64
	lost     int64
}

type pairCount struct{ sent, recv uint64 }

func newSampler(now time.Time) *sampler {
	return &sampler{
		at: now, flows: map[*flowMeter]flowCount{}, rtp: map[rtpKey]rtpCount{},
		pairs: map[*webrtc.PeerConnection]pairCount{},
	}
}

// interval is the figures of one sampling interval.
type interval struct {
	secs float64
	next *sampler // the counters to keep for the next interval
	prev *sampler
}

func (iv *interval) flow(f *flowMeter) flowCount {
	cur := flowCount{f.frames.Load(), f.bytes.Load(), f.delayUs.Load(), f.delayN.Load()}
	iv.next.flows[f] = cur
	p := iv.prev.flows[f]
	return flowCount{cur.frames - p.frames, cur.bytes - p.bytes, cur.delayUs - p.delayUs, cur.delayN - p.delayN}
}

// packets returns the packets received and lost in the interval.
func (iv *interval) packets(k rtpKey, cur rtpCount) (received, lost int64) {
	iv.next.rtp[k] = cur
	p, ok := iv.prev.rtp[k]
	if !ok || cur.received < p.received {
		p = rtpCount{}
	}
	return int64(cur.received - p.received), max(cur.lost-p.lost, 0)
}

func (iv *interval) kbps(bytes uint64) int {
	return int(math.Round(float64(bytes) * 8 / 1000 / iv.secs))
}
func (iv *interval) rate(n uint64) int { return int(math.Round(float64(n) / iv.secs)) }

// lossPercent is lost/(received+lost) in %.
func lossPercent(received, lost int64) float64 {
	if lost <= 0 || received+lost <= 0 {
		return 0
	}
	return 100 * float64(lost) / float64(received+lost)
}

// mediaView is what the statistics goroutine needs of the worker-owned
// connection state.
type mediaView struct {
	pub, sub *webrtc.PeerConnection
	sends    []sendView
}

type sendView struct {
	lt   *localTrack
	ssrc uint32
}

// view copies the connection state on the worker. It reports false once
// the client is closed.
func (m *mediaClient) view() (mediaView, bool) {
	var v mediaView
	ok := m.work.Call(func() {
		v.pub, v.sub = m.pub.pc, m.sub.pc
		for lt, snd := range m.pub.senders {
			sv := sendView{lt: lt}
			if enc := snd.GetParameters().Encodings; len(enc) > 0 {
				sv.ssrc = uint32(enc[0].SSRC)
			}
			v.sends = append(v.sends, sv)
		}
	})
	return v, ok
}

// report is one sampling interval's result.
type report struct {
	stats   Statistics
	local   netSample
	remote  []QualityInfo
	publish bool
}

// netSample is what network quality is rated from.
type netSample struct {
	loss   float64 // %
	rtt    time.Duration
	jitter time.Duration
	known  bool // there was a connection to measure
}

// sample measures the interval since the previous call.
func (m *mediaClient) sample(sm *sampler, now time.Time) (report, *sampler, bool) {
	v, ok := m.view()
	if !ok {
		return report{}, sm, false
	}
	iv := &interval{secs: now.Sub(sm.at).Seconds(), prev: sm, next: newSampler(now)}
	if iv.secs <= 0 {
		iv.secs = statsInterval.Seconds()
	}
	iv.next.sent, iv.next.recv = sm.sent, sm.recv
	var r report
	rtt, connected := m.transport(iv, v)
	r.stats.RTT = int(rtt / time.Millisecond)
	r.stats.SentBytes = iv.next.sent + m.s.wire.sent.Load()
	r.stats.ReceivedBytes = iv.next.recv + m.s.wire.recv.Load()
	if r.stats.Path = mediaPath(v.pub); r.stats.Path == MediaPathNone {
		r.stats.Path = mediaPath(v.sub) // reach.go
	}

	upLoss, upJitter, publishing := m.sampleLocal(iv, v, &r.stats)
	downLoss, downJitter, remote := m.sampleRemote(iv, v, now, rtt, &r.stats)
	r.stats.UpLoss = int(math.Round(upLoss))
	r.stats.DownLoss = int(math.Round(downLoss))
	r.remote = remote
	r.publish = publishing
	r.local = netSample{loss: downLoss, rtt: rtt, jitter: downJitter, known: connected}
	if publishing {
		r.local.loss, r.local.jitter = upLoss, upJitter
	}
	return r, iv.next, true
}

// transport reads the selected ICE candidate pair of each connection: its
// round-trip time (from ICE consent checks, RFC 7675) and the bytes it
// carried.
func (m *mediaClient) transport(iv *interval, v mediaView) (rtt time.Duration, connected bool) {
	var sum time.Duration
	n := 0
	for _, pc := range []*webrtc.PeerConnection{v.pub, v.sub} {
		if pc == nil || pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
			continue
		}
		connected = true
		ice := pc.SCTP().Transport().ICETransport()
		ps, ok := ice.GetSelectedCandidatePairStats()
		if !ok {
			continue
		}
		cur := pairCount{sent: ps.BytesSent, recv: ps.BytesReceived}
		prev, seen := iv.prev.pairs[pc]
		if !seen || cur.sent < prev.sent || cur.recv < prev.recv {
			prev = pairCount{} // a new pair (ICE restart) counts from zero
		}
		iv.next.sent += cur.sent - prev.sent
		iv.next.recv += cur.recv - prev.recv
		iv.next.pairs[pc] = cur
		if ps.CurrentRoundTripTime > 0 {
			sum += time.Duration(ps.CurrentRoundTripTime * float64(time.Second))
			n++
		}
	}
	if n > 0 {
		rtt = sum / time.Duration(n)
	}
	return rtt, connected
}

// sampleLocal fills Statistics.Local and returns the uplink loss and
// jitter the server's receiver reports describe.
func (m *mediaClient) sampleLocal(iv *interval, v mediaView, st *Statistics) (loss float64, jitter time.Duration, publishing bool) {
	var g stats.Getter
	if v.pub != nil {
		g = m.c.mediaState.api.statsOf(v.pub)
		publishing = v.pub.ConnectionState() == webrtc.PeerConnectionStateConnected && len(v.sends) > 0
	}
	byType := map[StreamType]*LocalStatistics{}
	entry := func(t StreamType) *LocalStatistics {
		if e := byType[t]; e != nil {
			return e
		}
		e := &LocalStatistics{StreamType: t}
		byType[t] = e
		return e
	}
	var recv, lost int64
	for _, s := range v.sends {
		fc := iv.flow(&s.lt.meter)
		if s.lt.name == proto.StreamAudio {
			e := entry(StreamBig)
			e.AudioSampleRate = 48000
			e.AudioBitrate = iv.kbps(fc.bytes)
		} else {
			e := entry(streamTypeOfPub(s.lt.name))
			e.Width, e.Height = s.lt.meter.dims()
			e.FrameRate = iv.rate(fc.frames)
			e.VideoBitrate = iv.kbps(fc.bytes)
		}
		if g == nil || s.ssrc == 0 {
			continue
		}
		rs := g.Get(s.ssrc)
		if rs == nil {
			continue
		}
		ri := rs.RemoteInboundRTPStreamStats
		r, l := iv.packets(rtpKey{ssrc: s.ssrc, outbound: true}, rtpCount{received: ri.PacketsReceived, lost: ri.PacketsLost})
		recv, lost = recv+r, lost+l
		jitter = max(jitter, seconds(ri.Jitter))
	}
	for _, e := range byType {
		st.Local = append(st.Local, *e)
	}
	slices.SortFunc(st.Local, func(a, b LocalStatistics) int { return int(a.StreamType - b.StreamType) })
	return lossPercent(recv, lost), jitter, publishing
}

// downAfter is how long a remote user's media may be silent before its
// quality is Down.
const downAfter = 4 * time.Second

// sampleRemote fills Statistics.Remote and rates each remote user's
// end-to-end path. It returns the overall downlink loss and jitter.
func (m *mediaClient) sampleRemote(iv *interval, v mediaView, now time.Time, rtt time.Duration, st *Statistics) (float64, time.Duration, []QualityInfo) {
	var g stats.Getter
	if v.sub != nil {
		g = m.c.mediaState.api.statsOf(v.sub)
	}
	m.mu.Lock()
	tracks := make([]*remoteTrack, 0, len(m.remotes))
	for rt := range m.remotes {
		tracks = append(tracks, rt)
	}
	m.mu.Unlock()
	slices.SortFunc(tracks, func(a, b *remoteTrack) int {
		if a.user != b.user {
			if a.user < b.user {
				return -1
			}
			return 1
		}
		return cmpString(a.stream, b.stream)
	})

	type user struct {
		main, sub  *RemoteStatistics
		recv, lost int64
		jitter     time.Duration
		last       time.Time
		since      time.Time
	}
	users := map[string]*user{}
	var order []string
	var allRecv, allLost int64
	var worstJitter time.Duration
	for _, rt := range tracks {
		u := users[rt.user]
		if u == nil {
			u = &user{since: rt.since}
			users[rt.user] = u
			order = append(order, rt.user)
		}
		fc := iv.flow(&rt.meter)
		var recv, lost int64
		var jitter time.Duration
		if g != nil && rt.ssrc != 0 {
			if rs := g.Get(rt.ssrc); rs != nil {
				in := rs.InboundRTPStreamStats
				recv, lost = iv.packets(rtpKey{ssrc: rt.ssrc}, rtpCount{received: in.PacketsReceived, lost: in.PacketsLost})
				jitter = seconds(in.Jitter)
			}
		}
		u.recv, u.lost = u.recv+recv, u.lost+lost
		allRecv, allLost = allRecv+recv, allLost+lost
		u.jitter = max(u.jitter, jitter)
		worstJitter = max(worstJitter, jitter)
		if at := rt.meter.lastAt.Load(); at != 0 && time.Unix(0, at).After(u.last) {
			u.last = time.Unix(0, at)
		}
		u.since = minTime(u.since, rt.since)

		loss := int(math.Round(lossPercent(recv, lost)))
		switch rt.stream {
		case proto.StreamAudio:
			if u.main == nil {
				u.main = &RemoteStatistics{UserID: rt.user, StreamType: StreamBig}
			}
			u.main.AudioSampleRate = 48000
			u.main.AudioBitrate = iv.kbps(fc.bytes)
			u.main.AudioPacketLoss = loss
		default:
			e := &u.sub
			t := StreamSub
			if rt.stream == proto.StreamVideo {
				e, t = &u.main, m.remoteVideoType(rt.user, rt.stream)
			}
			if *e == nil {
				*e = &RemoteStatistics{UserID: rt.user}
			}
			(*e).StreamType = t
			(*e).Width, (*e).Height = rt.meter.dims()
			(*e).FrameRate = iv.rate(fc.frames)
			(*e).VideoBitrate = iv.kbps(fc.bytes)
			(*e).VideoPacketLoss = loss
			if fc.delayN > 0 {
				(*e).JitterBufferDelay = int(fc.delayUs / fc.delayN / 1000)
			}
		}
	}
	var quality []QualityInfo
	for _, id := range order {
		u := users[id]
		for _, e := range []*RemoteStatistics{u.main, u.sub} {
			if e != nil {
				st.Remote = append(st.Remote, *e)
			}
		}
		q := rateNetwork(lossPercent(u.recv, u.lost), rtt, u.jitter)
		if last := maxTime(u.last, u.since); now.Sub(last) >= downAfter {
			q = QualityDown
		}
		quality = append(quality, QualityInfo{UserID: id, Quality: q})
	}
	return lossPercent(allRecv, allLost), worstJitter, quality
}

func streamTypeOfPub(name string) StreamType {
	switch name {
	case "small":
		return StreamSmall
	case "sub":
		return StreamSub
	}
	return StreamBig
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// statsLoop reports statistics and network quality every statsInterval
// and voice volumes every EnableAudioVolumeEvaluation interval, until the
// client closes. It reports only while the session is in its room.
func (m *mediaClient) statsLoop() {
	defer m.wg.Done()
	sm := newSampler(time.Now())
	var cpu cpuMeter // quality reports to the server (report.go)
	tick := time.NewTicker(statsInterval)
	defer tick.Stop()
	var vol *time.Ticker
	var volC <-chan time.Time
	resetVolume := func() {
		if vol != nil {
			vol.Stop()
			vol, volC = nil, nil
		}
		if d := m.c.mediaState.volumeInterval(); d > 0 {
			vol = time.NewTicker(d)
			volC = vol.C
		}
	}
	resetVolume()
	defer func() {
		if vol != nil {
			vol.Stop()
		}
	}()
	for {
		select {
		case <-m.stop:
			return
		case <-m.volKick:
			resetVolume()
		case <-volC:
			if m.inRoom() {
				m.reportVolumes()
			}
		case now := <-tick.C:
			r, next, ok := m.sample(sm, now)
			if !ok {
				return
			}
			sm = next
			if !m.inRoom() {
				continue
			}
			local := QualityInfo{Quality: m.localQuality(r)}
			st, remote := r.stats, r.remote
			m.reportQuality(r, &cpu, now)
			m.c.emit(func(l Listener) { l.OnStatistics(st) })
			m.c.emit(func(l Listener) { l.OnNetworkQuality(local, remote) })
		}
	}
}

func (m *mediaClient) inRoom() bool {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	return m.s.state == sInRoom
}

package rtc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/probe"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// The speed test (TRTC's startSpeedTest; docs/protocol.md, "Speed test").
// Before entering a room, the SDK measures its path to the server with real
// traffic on the server's media port: a few pings for the round trip, then
// (scenes 2 and 3) the expected upload bandwidth sent for two seconds and
// measured by the server, then the expected download bandwidth sent by the
// server and measured here. Signaling authenticates the test (UserSig) and
// drives its phases; the probes are UDP datagrams of internal/probe.

// SpeedTestScene is TRTCSpeedTestScene.
type SpeedTestScene int

const (
	// SpeedTestSceneDelay measures the round trip and loss with pings only.
	SpeedTestSceneDelay SpeedTestScene = 1
	// SpeedTestSceneDelayAndBandwidth also measures both directions'
	// bandwidth, loss and jitter.
	SpeedTestSceneDelayAndBandwidth SpeedTestScene = 2
	// SpeedTestSceneOnlineChorus is scene 2 with bandwidths of 10..1000 kbps.
	SpeedTestSceneOnlineChorus SpeedTestScene = 3
)

// SpeedTestParams is TRTCSpeedTestParams.
type SpeedTestParams struct {
	SDKAppID uint32
	UserID   string
	UserSig  string
	// ExpectedUpBandwidth and ExpectedDownBandwidth are the rates to test,
	// in kbps: 10..5000 (10..1000 for online chorus); 0 skips the direction.
	ExpectedUpBandwidth   int
	ExpectedDownBandwidth int
	Scene                 SpeedTestScene
}

// SpeedTestResult is TRTCSpeedTestResult. Values that were not measured
// are −1 (bandwidths, jitters).
type SpeedTestResult struct {
	Success                bool
	ErrMsg                 string
	IP                     string // the server address tested
	Quality                Quality
	UpLostRate             float64 // 0..1
	DownLostRate           float64 // 0..1
	RTT                    int     // ms
	AvailableUpBandwidth   int     // kbps
	AvailableDownBandwidth int     // kbps
	UpJitter               int     // ms
	DownJitter             int     // ms
}

// Speed test timings.
const (
	speedTestPings    = 10
	speedTestPingGap  = 30 * time.Millisecond
	speedTestPongWait = 500 * time.Millisecond // after the last ping
	speedTestPace     = 5 * time.Millisecond
)

// speedTests is a Cloud's running test (guarded by Cloud.mu).
type speedTests struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// StartSpeedTest measures the network to the server before entering a
// room; the result arrives in OnSpeedTestResult (within about 6 s). It
// returns 0 when the test started, ErrCodeInvalidParameter for bad
// parameters, and ErrCodeRefused while in a room or while another test
// runs.
func (c *Cloud) StartSpeedTest(p SpeedTestParams) int {
	if code := checkSpeedTestParams(p); code != 0 {
		return code
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.sess != nil || c.speed.done != nil {
		return ErrCodeRefused
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.speed = speedTests{cancel: cancel, done: done}
	go func() {
		defer close(done)
		res := c.runSpeedTest(ctx, p)
		c.mu.Lock()
		if c.speed.done == done {
			c.speed = speedTests{}
		}
		c.mu.Unlock()
		if ctx.Err() == nil { // StopSpeedTest reports nothing
			c.emit(func(l Listener) { l.OnSpeedTestResult(res) })
		}
		cancel()
	}()
	return 0
}

// StopSpeedTest stops a running speed test; no result is reported.
func (c *Cloud) StopSpeedTest() {
	c.mu.Lock()
	st := c.speed
	c.speed = speedTests{}
	c.mu.Unlock()
	if st.cancel != nil {
		st.cancel()
		<-st.done
	}
}

func checkSpeedTestParams(p SpeedTestParams) int {
	limit := probe.MaxKbps
	if p.Scene == SpeedTestSceneOnlineChorus {
		limit = 1000
	}
	switch {
	case p.SDKAppID == 0, trtc.ValidateUserID(p.UserID) != nil, p.UserSig == "":
		return ErrCodeInvalidParameter
	case p.Scene < SpeedTestSceneDelay || p.Scene > SpeedTestSceneOnlineChorus:
		return ErrCodeInvalidParameter
	}
	for _, bw := range []int{p.ExpectedUpBandwidth, p.ExpectedDownBandwidth} {
		if bw != 0 && (bw < 10 || bw > limit) {
			return ErrCodeInvalidParameter
		}
	}
	return 0
}

// speedRun is one test's state.
type speedRun struct {
	c     *Cloud
	ctx   context.Context
	l     *link
	conn  *net.UDPConn
	token probe.Token
	phase time.Duration

	mu     sync.Mutex
	cookie uint64
	rtts   []time.Duration
	down   probe.Receiver
}

func failed(ip, format string, args ...any) SpeedTestResult {
	return SpeedTestResult{IP: ip, ErrMsg: fmt.Sprintf(format, args...), Quality: QualityUnknown,
		AvailableUpBandwidth: -1, AvailableDownBandwidth: -1, UpJitter: -1, DownJitter: -1}
}

func (c *Cloud) runSpeedTest(ctx context.Context, p SpeedTestParams) SpeedTestResult {
	var wire wireCounter
	l, err := dial(ctx, c.o.server, c.wsHTTPClient(), defaultHeartbeat, c.o.connectTimeout, &wire, func(proto.Message) {})
	if err != nil {
		return failed("", "cannot reach the server: %v", err)
	}
	defer func() {
		l.closeGracefully()
		l.wait()
	}()
	r := &speedRun{c: c, ctx: ctx, l: l}
	resp, err := r.call(proto.TypeSpeedTest, proto.SpeedTestRequest{
		SDKAppID: p.SDKAppID, UserID: p.UserID, UserSig: p.UserSig, Scene: int(p.Scene),
		ExpectedUpBandwidth: p.ExpectedUpBandwidth, ExpectedDownBandwidth: p.ExpectedDownBandwidth,
	})
	if err != nil {
		return failed("", "%v", err)
	}
	var st proto.SpeedTestResponse
	if err := proto.DecodeData(resp, &st); err != nil {
		return failed("", "bad speed_test response: %v", err)
	}
	if r.token, err = probe.ParseToken(st.Token); err != nil {
		return failed("", "bad speed_test token")
	}
	l.setHeartbeat(time.Duration(st.HeartbeatMs)*time.Millisecond, time.Duration(st.TimeoutMs)*time.Millisecond)
	r.phase = min(max(time.Duration(st.PhaseMs)*time.Millisecond, 500*time.Millisecond), probe.MaxPhase)
	ip := st.IP
	if ip == "" {
		if u, err := url.Parse(c.o.server); err == nil {
			ip = u.Hostname()
		}
	}
	addr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(ip, strconv.Itoa(st.Port)))
	if err != nil {
		return failed(ip, "bad media address: %v", err)
	}
	if r.conn, err = net.DialUDP("udp", nil, addr); err != nil {
		return failed(ip, "cannot open a UDP socket: %v", err)
	}
	_ = r.conn.SetReadBuffer(DefaultSocketBuffer)
	_ = r.conn.SetWriteBuffer(DefaultSocketBuffer)
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		r.read()
	}()
	defer func() {
		r.conn.Close() // ends read
		readers.Wait()
	}()

	res := SpeedTestResult{IP: ip, AvailableUpBandwidth: -1, AvailableDownBandwidth: -1, UpJitter: -1, DownJitter: -1}
	pingLoss, err := r.ping()
	if err != nil {
		return failed(ip, "%v", err)
	}
	res.RTT = int(r.rtt().Round(time.Millisecond) / time.Millisecond)
	if p.Scene == SpeedTestSceneDelay {
		res.UpLostRate, res.DownLostRate = pingLoss, pingLoss
	} else {
		if p.ExpectedUpBandwidth > 0 {
			up, err := r.upload(p.ExpectedUpBandwidth)
			if err != nil {
				return failed(ip, "upload phase: %v", err)
			}
			res.UpLostRate, res.UpJitter = up.Loss, up.JitterMs
			res.AvailableUpBandwidth = min(up.Kbps, p.ExpectedUpBandwidth)
		}
		if p.ExpectedDownBandwidth > 0 {
			down, err := r.download(p.ExpectedDownBandwidth)
			if err != nil {
				return failed(ip, "download phase: %v", err)
			}
			res.DownLostRate, res.DownJitter = down.Loss, down.JitterMs
			res.AvailableDownBandwidth = min(down.Kbps, p.ExpectedDownBandwidth)
		}
	}
	_, _ = r.call(proto.TypeSpeedTestEnd, nil)
	res.Success = true
	res.Quality = rateSpeedTest(res, p)
	return res
}

// rateSpeedTest rates a result like OnNetworkQuality rates a path
// (quality.go) from its worse direction's loss and jitter and the round
// trip; a direction that carried less than half the expected bandwidth
// lowers the rating one level.
func rateSpeedTest(r SpeedTestResult, p SpeedTestParams) Quality {
	loss := 100 * max(r.UpLostRate, r.DownLostRate)
	jitter := time.Duration(max(r.UpJitter, r.DownJitter, 0)) * time.Millisecond
	q := rateNetwork(loss, time.Duration(r.RTT)*time.Millisecond, jitter)
	short := func(got, want int) bool { return want > 0 && got >= 0 && got < want/2 }
	if (short(r.AvailableUpBandwidth, p.ExpectedUpBandwidth) || short(r.AvailableDownBandwidth, p.ExpectedDownBandwidth)) && q < QualityVbad {
		q++
	}
	return q
}

// call sends a request on the test's link and waits for its response.
func (r *speedRun) call(typ string, data any) (proto.Message, error) {
	ch := make(chan proto.Message, 1)
	r.l.request(typ, data, r.c.o.connectTimeout, ErrCodeConnectServerTimeout, func(m proto.Message) { ch <- m })
	select {
	case m := <-ch:
		if m.Code != 0 {
			return m, fmt.Errorf("%s refused: %d %s", typ, m.Code, m.Msg)
		}
		return m, nil
	case <-r.ctx.Done():
		return proto.Message{}, r.ctx.Err()
	}
}

// read takes the server's datagrams until the socket closes.
func (r *speedRun) read() {
	buf := make([]byte, probe.MaxSize+64)
	for {
		n, err := r.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP errors on a connected socket
		}
		now := time.Now()
		p, err := probe.Parse(buf[:n])
		if err != nil || p.Token != r.token {
			continue
		}
		r.mu.Lock()
		switch p.Type {
		case probe.TypePong:
			r.cookie = p.Cookie
			if sent := time.UnixMicro(int64(p.Echo)); !sent.After(now) {
				r.rtts = append(r.rtts, now.Sub(sent))
			}
		case probe.TypeDown:
			r.down.Add(p.Seq, p.Sent, p.Size, now)
		}
		r.mu.Unlock()
	}
}

func (r *speedRun) send(p probe.Packet, buf []byte) []byte {
	r.mu.Lock()
	p.Token, p.Cookie = r.token, r.cookie
	r.mu.Unlock()
	p.Sent = uint64(time.Now().UnixMicro())
	buf = p.Append(buf[:0])
	_, _ = r.conn.Write(buf)
	return buf
}

// ping measures the round trip and learns the server's cookie. It returns
// the share of pings not answered.
func (r *speedRun) ping() (float64, error) {
	var buf []byte
	t := time.NewTicker(speedTestPingGap)
	defer t.Stop()
	for i := range speedTestPings {
		buf = r.send(probe.Packet{Type: probe.TypePing, Seq: uint32(i)}, buf)
		select {
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		case <-t.C:
		}
	}
	if err := sleepCtx(r.ctx, speedTestPongWait); err != nil {
		return 0, err
	}
	r.mu.Lock()
	got := len(r.rtts)
	r.mu.Unlock()
	if got == 0 {
		return 0, errors.New("the server did not answer UDP probes on its media port (UDP blocked?)")
	}
	return 1 - float64(min(got, speedTestPings))/speedTestPings, nil
}

func (r *speedRun) rtt() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := slices.Clone(r.rtts)
	slices.Sort(s)
	return s[len(s)/2]
}

// upload sends kbps for the phase, paced, then asks the server what came.
func (r *speedRun) upload(kbps int) (proto.ProbeReport, error) {
	size := probe.PacketSize(kbps)
	perSec := float64(kbps) * 1000 / 8 / float64(size)
	start := time.Now()
	t := time.NewTicker(speedTestPace)
	defer t.Stop()
	var buf []byte
	sent := 0
	for {
		el := min(time.Since(start), r.phase)
		for due := int(perSec * el.Seconds()); sent <= due && el < r.phase; sent++ {
			buf = r.send(probe.Packet{Type: probe.TypeUp, Seq: uint32(sent), Size: size}, buf)
		}
		if el >= r.phase {
			break
		}
		select {
		case <-r.ctx.Done():
			return proto.ProbeReport{}, r.ctx.Err()
		case <-t.C:
		}
	}
	m, err := r.call(proto.TypeSpeedTestUp, proto.SpeedTestUp{Sent: sent})
	if err != nil {
		return proto.ProbeReport{}, err
	}
	var rep proto.ProbeReport
	err = proto.DecodeData(m, &rep)
	return rep, err
}

// download asks the server for kbps over the phase and measures it.
func (r *speedRun) download(kbps int) (probe.Report, error) {
	m, err := r.call(proto.TypeSpeedTestDown, proto.SpeedTestDown{
		Kbps: kbps, DurationMs: int(r.phase.Milliseconds()), Size: probe.PacketSize(kbps),
	})
	if err != nil {
		return probe.Report{}, err
	}
	var rep proto.ProbeReport
	if err := proto.DecodeData(m, &rep); err != nil {
		return probe.Report{}, err
	}
	// The response left after the last datagram; give the ones queued at
	// a bottleneck time to arrive.
	if err := sleepCtx(r.ctx, max(300*time.Millisecond, 2*r.rtt())); err != nil {
		return probe.Report{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.down.Report(rep.Sent), nil
}

// sleepCtx waits d unless ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

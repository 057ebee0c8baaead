package signaling

import (
	"context"
	"errors"
	"time"

	"github.com/rtcengine/rtcengine/internal/probe"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// The speed test's signaling half (docs/protocol.md, "Speed test"): a
// client that is not in a room proves its UserSig and gets a token; its
// probe datagrams then go to the media port, where the server wires them to
// the same Prober.

// Prober is the server side of speed tests (internal/probe.Service).
type Prober interface {
	Start() (probe.Token, error)
	End(tok probe.Token)
	Upload(tok probe.Token, sent int) (probe.Report, error)
	Download(ctx context.Context, tok probe.Token, kbps int, d time.Duration, size int) (int, error)
	// Attach and HandleMessage carry a test over a data channel
	// (speedtest_dc.go).
	Attach(tok probe.Token, send probe.ChannelSender) error
	HandleMessage(tok probe.Token, b []byte)
}

// SpeedTestConfig is what clients are told about probing this server.
type SpeedTestConfig struct {
	IP    string // the media address; empty: the client uses its signaling host
	Port  int    // the media UDP port
	Phase time.Duration
}

// Speed test timings.
const (
	// DefaultSpeedTestPhase is how long each direction is measured.
	DefaultSpeedTestPhase = 2 * time.Second
	// upGrace is how long the server waits after speed_test_up for
	// datagrams still on their way (a bottleneck's queue, a relay's delay).
	upGrace = 300 * time.Millisecond
)

// SetProber enables speed tests. Call it before serving.
func (s *Server) SetProber(p Prober, cfg SpeedTestConfig) {
	if cfg.Phase <= 0 {
		cfg.Phase = DefaultSpeedTestPhase
	}
	s.prober, s.speedCfg = p, cfg
}

// speedState is a session's speed test (reader goroutine only).
type speedState struct {
	on    bool
	token probe.Token
	kind  int // TRTC's scene: 1 delay, 2 delay and bandwidth, 3 chorus
	// channel carries the test of a browser (speedtest_dc.go); expiry
	// closes it when the token expires.
	channel ProbeChannel
	expiry  *time.Timer
}

func (s *Session) handleSpeedTest(msg proto.Message) {
	p := s.srv.prober
	switch {
	case p == nil:
		s.respond(msg.ID, trtc.ErrNotSupported, "speed tests are not enabled on this server", nil)
		return
	case s.cur.Load() != nil:
		s.respond(msg.ID, trtc.ErrRefused, "a speed test runs before entering a room", nil)
		return
	case s.speed.on:
		s.respond(msg.ID, trtc.ErrRefused, "a speed test is already running on this connection", nil)
		return
	}
	var req proto.SpeedTestRequest
	if err := proto.DecodeData(msg, &req); err != nil {
		s.strike(msg.ID, trtc.ErrJSONDecode, err.Error())
		return
	}
	code, text := checkSpeedTest(req)
	if code == 0 {
		code, text = checkSpeedTestTransport(req)
	}
	if code != 0 {
		s.respond(msg.ID, code, text, nil)
		return
	}
	app, ok := s.srv.apps.Lookup(trtc.SDKAppID(req.SDKAppID))
	if !ok {
		s.respond(msg.ID, trtc.ErrSDKAppIDServer, "sdkAppId is not configured on this server", nil)
		return
	}
	if err := usersig.VerifyUserSig(uint32(app.SDKAppID), app.Secret, req.UserID, req.UserSig, s.srv.cfg.Now()); err != nil {
		s.respond(msg.ID, trtc.ErrUserSigCheckFailed, "userSig check failed: "+err.Error(), nil)
		return
	}
	tok, err := p.Start()
	if err != nil {
		s.respond(msg.ID, trtc.ErrServerOverloaded, err.Error(), nil)
		return
	}
	s.speed = speedState{on: true, token: tok, kind: req.Scene}
	var answer string
	if req.Transport == proto.SpeedTestDataChannel {
		s.speed.channel, s.speed.expiry, answer, code, text = s.openSpeedChannel(p, tok, req.SDP)
		if code != 0 {
			s.endSpeedTest()
			s.respond(msg.ID, code, text, nil)
			return
		}
	}
	cfg := s.srv.speedCfg
	s.respond(msg.ID, 0, "", proto.SpeedTestResponse{
		Token: tok.String(), IP: cfg.IP, Port: cfg.Port, SDP: answer,
		PhaseMs: int(cfg.Phase.Milliseconds()), MaxKbps: probe.MaxKbps,
		HeartbeatMs: s.srv.cfg.HeartbeatInterval.Milliseconds(), TimeoutMs: s.srv.cfg.HeartbeatTimeout.Milliseconds(),
	})
	s.srv.log.Debug("speed test", "user", req.UserID, "scene", req.Scene, "transport", req.Transport)
}

// checkSpeedTest validates TRTCSpeedTestParams (trtc-reference §3.8).
func checkSpeedTest(r proto.SpeedTestRequest) (int, string) {
	switch {
	case r.SDKAppID == 0:
		return trtc.ErrInvalidSDKAppID, "sdkAppId is empty"
	case trtc.ValidateUserID(r.UserID) != nil:
		return trtc.ErrInvalidUserID, "userId is empty or invalid"
	case r.UserSig == "":
		return trtc.ErrInvalidUserSig, "userSig is empty"
	case r.Scene < 1 || r.Scene > 3:
		return trtc.ErrInvalidParameter, "scene must be 1 (delay), 2 (delay and bandwidth) or 3 (online chorus)"
	}
	limit := probe.MaxKbps
	if r.Scene == 3 {
		limit = 1000
	}
	for _, bw := range []int{r.ExpectedUpBandwidth, r.ExpectedDownBandwidth} {
		if bw != 0 && (bw < 10 || bw > limit) {
			return trtc.ErrInvalidParameter, "expected bandwidths are 0 (not tested) or 10..5000 kbps (10..1000 for online chorus)"
		}
	}
	return 0, ""
}

// speedTest returns the running test, or answers the request with an error.
func (s *Session) speedTest(id uint32) (Prober, probe.Token, bool) {
	if s.srv.prober == nil || !s.speed.on {
		s.respond(id, trtc.ErrInvalidCommand, "no speed test is running: send speed_test first", nil)
		return nil, probe.Token{}, false
	}
	return s.srv.prober, s.speed.token, true
}

func (s *Session) handleSpeedTestUp(msg proto.Message) {
	p, tok, ok := s.speedTest(msg.ID)
	if !ok {
		return
	}
	var req proto.SpeedTestUp
	if err := proto.DecodeData(msg, &req); err != nil || req.Sent < 0 || req.Sent > probe.MaxPackets {
		s.respond(msg.ID, trtc.ErrInvalidParameter, "speed_test_up needs {sent} in 0..65536", nil)
		return
	}
	// Answer once the datagrams still on their way had time to arrive;
	// the reader goes on meanwhile.
	go func() {
		select {
		case <-time.After(upGrace):
		case <-s.closed:
			return
		}
		rep, err := p.Upload(tok, req.Sent)
		if err != nil {
			s.respond(msg.ID, probeErrorCode(err), err.Error(), nil)
			return
		}
		s.respond(msg.ID, 0, "", reportOf(rep))
	}()
}

func (s *Session) handleSpeedTestDown(msg proto.Message) {
	p, tok, ok := s.speedTest(msg.ID)
	if !ok {
		return
	}
	var req proto.SpeedTestDown
	if err := proto.DecodeData(msg, &req); err != nil {
		s.respond(msg.ID, trtc.ErrInvalidParameter, "speed_test_down needs {kbps, durationMs, size}", nil)
		return
	}
	d := time.Duration(req.DurationMs) * time.Millisecond
	ch := s.speed.channel
	go func() {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.closed:
				cancel()
			case <-ctx.Done():
			}
		}()
		sent, err := p.Download(ctx, tok, req.Kbps, d, req.Size)
		if err != nil {
			s.respond(msg.ID, probeErrorCode(err), err.Error(), nil)
			return
		}
		if ch != nil {
			drain, stop := context.WithTimeout(ctx, probeDrainTimeout)
			ch.Drain(drain)
			stop()
		}
		s.respond(msg.ID, 0, "", proto.ProbeReport{Sent: sent, Kbps: req.Kbps, JitterMs: -1})
	}()
}

func (s *Session) handleSpeedTestEnd(msg proto.Message) {
	s.endSpeedTest()
	s.respond(msg.ID, 0, "", nil)
}

// endSpeedTest forgets the session's test, if any (reader goroutine, or
// run once the reader has ended).
func (s *Session) endSpeedTest() {
	if s.speed.on {
		s.srv.prober.End(s.speed.token)
		if s.speed.channel != nil {
			s.speed.expiry.Stop()
			s.speed.channel.Close()
		}
		s.speed = speedState{}
	}
}

func reportOf(r probe.Report) proto.ProbeReport {
	return proto.ProbeReport{Sent: r.Sent, Received: r.Received, Loss: r.Loss, Kbps: r.Kbps, JitterMs: r.JitterMs}
}

// probeErrorCode maps probe errors to TRTC codes.
func probeErrorCode(err error) int {
	switch {
	case errors.Is(err, probe.ErrBusy):
		return trtc.ErrServerOverloaded
	case errors.Is(err, probe.ErrBadRequest):
		return trtc.ErrInvalidParameter
	case errors.Is(err, probe.ErrUnknownTest), errors.Is(err, probe.ErrExpired), errors.Is(err, probe.ErrUnverified):
		return trtc.ErrInvalidCommand
	case errors.Is(err, context.Canceled):
		return trtc.ErrDisconnected
	}
	return trtc.ErrServerProcess
}

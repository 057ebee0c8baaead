package signaling

import (
	"context"
	"time"

	"github.com/rtcengine/rtcengine/internal/probe"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// A browser's speed test (docs/protocol.md, "Speed test over a data
// channel"): speed_test with "transport":"datachannel" carries an SDP offer
// of one unordered, unreliable data channel; the server answers it in the
// response, and the probe datagrams of the UDP test travel as that
// channel's messages. The phases, limits and measurements are the UDP
// test's; the connection lives as long as the test's token.

// ProbeChannel is the server side of one speed test's data channel
// (sfu.ProbeChannel).
type ProbeChannel interface {
	Send(b []byte) bool
	// Drain waits until what was sent has left the channel's buffer.
	Drain(ctx context.Context)
	Close()
}

// OpenProbeChannel answers a client's probe offer: onMessage gets the
// channel's binary messages (it does not block). It returns the channel and
// the SDP answer.
type OpenProbeChannel func(ctx context.Context, offer string, onMessage func([]byte)) (ProbeChannel, string, error)

// maxProbeOfferSize bounds a datachannel speed test's SDP offer; a
// browser's is about 1 KB (one application section and its candidates).
const maxProbeOfferSize = 16 << 10

// probeOfferTimeout bounds answering one probe offer.
const probeOfferTimeout = 5 * time.Second

// probeDrainTimeout bounds the wait for a download's last datagrams to
// leave the channel's buffer before the response tells the client to count.
const probeDrainTimeout = time.Second

// SetProbeChannels enables the datachannel transport of speed tests. Call
// it before serving, after SetProber.
func (s *Server) SetProbeChannels(open OpenProbeChannel) { s.probeDC = open }

// checkSpeedTestTransport validates the transport fields of a request.
func checkSpeedTestTransport(r proto.SpeedTestRequest) (int, string) {
	switch r.Transport {
	case "", proto.SpeedTestUDP:
		if r.SDP != "" {
			return trtc.ErrInvalidParameter, "sdp is only for the datachannel transport"
		}
	case proto.SpeedTestDataChannel:
		if r.SDP == "" || len(r.SDP) > maxProbeOfferSize {
			return trtc.ErrInvalidParameter, "the datachannel transport needs an SDP offer of at most 16 KB"
		}
	default:
		return trtc.ErrInvalidParameter, `transport must be "udp" or "datachannel"`
	}
	return 0, ""
}

// openSpeedChannel opens the data channel of test tok and binds the test to
// it; the channel closes with the test, or when the token expires.
func (s *Session) openSpeedChannel(p Prober, tok probe.Token, offer string) (ProbeChannel, *time.Timer, string, int, string) {
	if s.srv.probeDC == nil {
		return nil, nil, "", trtc.ErrNotSupported, "the datachannel speed test is not enabled on this server"
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeOfferTimeout)
	defer cancel()
	ch, answer, err := s.srv.probeDC(ctx, offer, func(b []byte) { p.HandleMessage(tok, b) })
	if err != nil {
		return nil, nil, "", mediaErrorCode(err), err.Error()
	}
	if err := p.Attach(tok, ch.Send); err != nil {
		ch.Close()
		return nil, nil, "", probeErrorCode(err), err.Error()
	}
	return ch, time.AfterFunc(probe.Lifetime, ch.Close), answer, 0, ""
}

package server

import (
	"context"

	"github.com/rtcengine/rtcengine/internal/probe"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/signaling"
)

// The speed test (docs/protocol.md, "Speed test"): signaling authenticates
// the client and drives the phases; its probe datagrams share the media UDP
// port with ICE, DTLS and SRTP, told apart by their first byte.

// withProbes creates the speed-test service and routes the media port's
// probe datagrams to it.
func (s *Server) withProbes(mc sfu.Config) sfu.Config {
	s.probes = probe.NewService(probe.Config{})
	mc.Datagrams = s.probes.HandleDatagram
	return mc
}

// wireSpeedTest lets the service send from the media port and signaling
// start tests. Clients probe --node-ip when it is set, else the host of
// the URL they signal to.
func (s *Server) wireSpeedTest() {
	s.probes.SetSender(s.engine.SendDatagram)
	s.signal.SetProber(s.probes, signaling.SpeedTestConfig{IP: s.cfg.NodeIP, Port: s.engine.UDPAddr().Port})
	s.signal.SetProbeChannels(s.openProbeChannel)
}

// openProbeChannel answers a browser's speed-test offer with a data channel
// on the media port (sfu.ProbeChannel).
func (s *Server) openProbeChannel(ctx context.Context, offer string, onMessage func([]byte)) (signaling.ProbeChannel, string, error) {
	ch, answer, err := s.engine.NewProbeChannel(ctx, offer, onMessage, nil)
	if err != nil {
		return nil, "", err
	}
	return ch, answer, nil
}

package probe

// A browser cannot send UDP datagrams of its own, so its speed test carries
// the same probe datagrams as messages of a WebRTC data channel that is
// unordered and never retransmits (docs/protocol.md, "Speed test over a
// data channel"). Such a channel loses and reorders like UDP; the test's
// phases, limits and measurements are the ones of the UDP test. The
// transport (a PeerConnection) belongs to the caller: this package only
// sees the messages.

// ChannelMaxSize is the largest datagram of a test over a data channel
// (Download makes larger ones this size): a message must fit one SCTP DATA
// chunk, whose payload is at most 1160 bytes at Pion's SCTP MTU of 1191
// (the server's side). A message split in two is lost when either part is, which
// would count a path's loss about twice.
const ChannelMaxSize = 1100

// ChannelOverhead is what a message costs on the wire beyond what a UDP
// probe's datagram of the same size costs: an SCTP common header (12
// bytes), a DATA chunk header (16) and a DTLS 1.2 AES-GCM record's header,
// explicit nonce and tag (13+8+16). The rates of a channel test count it
// with every message, so that they mean what the UDP test's do: the UDP
// payload the path carried.
const ChannelOverhead = 65

// ChannelSender sends one message on a test's data channel. It must not
// block, and it may keep b only until it returns. It reports false when
// the message was dropped (the channel's send buffer is full, or it is
// closed), as a full socket drops a datagram.
type ChannelSender func(b []byte) bool

// Attach makes the test tok run over a data channel: pongs and download
// datagrams go out through send, and the test takes datagrams only from
// HandleMessage, never from the media port. The channel, being a
// DTLS-authenticated connection to the client, replaces the UDP test's
// source address binding; the client still has to echo the cookie before
// Download sends to it. A test can be attached once, before any datagram.
func (s *Service) Attach(tok Token, send ChannelSender) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.live(tok)
	switch {
	case err != nil:
		return err
	case send == nil, t.channel != nil, t.addr.IsValid():
		return ErrAttached
	}
	t.channel = send
	return nil
}

// HandleMessage takes a message that arrived on the data channel of test
// tok. Messages that are not probes of that test are dropped and counted
// with Unknown. It never blocks beyond one send (a Pong).
func (s *Service) HandleMessage(tok Token, b []byte) {
	p, err := Parse(b)
	if err != nil || p.Token != tok || (p.Type != TypePing && p.Type != TypeUp) {
		s.unknown.Add(1)
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	t, err := s.live(tok)
	if err != nil || t.channel == nil {
		s.mu.Unlock()
		s.unknown.Add(1)
		return
	}
	p.Size += ChannelOverhead
	pong, send := s.take(t, p, now), t.channel
	s.mu.Unlock()
	if pong != nil {
		send(pong)
	}
}

package probe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the server side. Each is enforced; docs/protocol.md names them.
const (
	// MaxKbps is the highest rate a test may ask the server to send, and
	// the highest expected bandwidth a client may announce (TRTC's 5000).
	MaxKbps = 5000
	// MaxPhase is the longest a download phase may last.
	MaxPhase = 5 * time.Second
	// Lifetime is how long a test's token is honoured after it was issued.
	Lifetime = 30 * time.Second
	// DefaultMaxTests caps the tests running at once on a server.
	DefaultMaxTests = 32
)

// Config tunes a Service. Zero values pick the defaults.
type Config struct {
	MaxTests int              // tests at once (DefaultMaxTests)
	Now      func() time.Time // the clock (time.Now)
}

// Sender sends a datagram from the media socket.
type Sender func(b []byte, to netip.AddrPort)

// Service is the server side of speed tests. It is safe for concurrent use.
type Service struct {
	cfg  Config
	send atomic.Pointer[Sender]

	mu    sync.Mutex
	tests map[Token]*test

	unknown atomic.Uint64 // datagrams with no live token
}

// test is one client's speed test.
type test struct {
	token   Token
	expires time.Time
	cookie  uint64

	// guarded by Service.mu
	addr     netip.AddrPort // where the client's datagrams come from (bound by the first)
	verified bool           // the client echoed the cookie from addr: it really is there
	channel  ChannelSender  // set when the test runs over a data channel (channel.go)
	up       Receiver
	sending  bool
}

// NewService returns a Service; SetSender must follow before datagrams flow.
func NewService(cfg Config) *Service {
	if cfg.MaxTests <= 0 {
		cfg.MaxTests = DefaultMaxTests
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, tests: map[Token]*test{}}
}

// SetSender installs the function that sends from the media socket.
func (s *Service) SetSender(f Sender) { s.send.Store(&f) }

func (s *Service) transmit(b []byte, to netip.AddrPort) {
	if f := s.send.Load(); f != nil {
		(*f)(b, to)
	}
}

// Start issues a token for a new test. The caller has authenticated the
// client.
func (s *Service) Start() (Token, error) {
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, t := range s.tests {
		if now.After(t.expires) {
			delete(s.tests, tok)
		}
	}
	if len(s.tests) >= s.cfg.MaxTests {
		return Token{}, ErrBusy
	}
	t := &test{expires: now.Add(Lifetime)}
	var buf [24]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return Token{}, err
	}
	copy(t.token[:], buf[:16])
	t.cookie = binary.BigEndian.Uint64(buf[16:]) | 1 // never 0, which means "none"
	s.tests[t.token] = t
	return t.token, nil
}

// End forgets a test (the client is done or gone). Unknown tokens are
// ignored.
func (s *Service) End(tok Token) {
	s.mu.Lock()
	delete(s.tests, tok)
	s.mu.Unlock()
}

// Running returns the number of tests not yet ended or expired.
func (s *Service) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tests)
}

// Unknown returns how many probe datagrams carried no live token.
func (s *Service) Unknown() uint64 { return s.unknown.Load() }

func (s *Service) live(tok Token) (*test, error) {
	t := s.tests[tok]
	if t == nil {
		return nil, ErrUnknownTest
	}
	if s.cfg.Now().After(t.expires) {
		delete(s.tests, tok)
		return nil, ErrExpired
	}
	return t, nil
}

// HandleDatagram takes a datagram that arrived on the media port. It
// reports whether it was a probe (and so consumed); the media socket
// passes everything else on. It never blocks on the network beyond one
// send (a Pong).
func (s *Service) HandleDatagram(b []byte, from netip.AddrPort) bool {
	if !IsProbe(b) {
		return false
	}
	p, err := Parse(b)
	if err != nil || (p.Type != TypePing && p.Type != TypeUp) {
		s.unknown.Add(1)
		return true
	}
	now := s.cfg.Now()
	s.mu.Lock()
	t, err := s.live(p.Token)
	if err != nil {
		s.mu.Unlock()
		s.unknown.Add(1)
		return true
	}
	switch {
	case t.channel != nil:
		// The test runs over its data channel: UDP with its token is
		// somebody else's.
		s.mu.Unlock()
		s.unknown.Add(1)
		return true
	case !t.addr.IsValid():
		t.addr = from
	case t.addr != from:
		// Another address with the same token: not the client that
		// started the test (or a spoofed source). Ignore it.
		s.mu.Unlock()
		s.unknown.Add(1)
		return true
	}
	pong := s.take(t, p, now)
	s.mu.Unlock()
	if pong != nil {
		s.transmit(pong, from)
	}
	return true
}

// take measures a datagram of test t from its client and returns the pong
// to answer it with, if any (Service.mu held).
func (s *Service) take(t *test, p Packet, now time.Time) []byte {
	if p.Cookie == t.cookie {
		t.verified = true
	}
	switch p.Type {
	case TypePing:
		return Packet{Type: TypePong, Token: t.token, Seq: p.Seq, Sent: uint64(now.UnixMicro()), Echo: p.Sent, Cookie: t.cookie, Size: MinSize}.Append(nil)
	case TypeUp:
		t.up.Add(p.Seq, p.Sent, p.Size, now)
	}
	return nil
}

// Upload reports what arrived of the sent packets the client sent up.
func (s *Service) Upload(tok Token, sent int) (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.live(tok)
	if err != nil {
		return Report{}, err
	}
	return t.up.Report(sent), nil
}

// Download sends kbps of Down packets of size bytes to the test's client
// for d, paced every 5 ms, and returns how many it sent. The client must
// have proved its address first (a Ping that echoed the cookie), so that a
// token cannot aim traffic at somebody else. ctx ends it early.
func (s *Service) Download(ctx context.Context, tok Token, kbps int, d time.Duration, size int) (int, error) {
	if kbps <= 0 || kbps > MaxKbps || d <= 0 || d > MaxPhase {
		return 0, ErrBadRequest
	}
	size = min(max(size, MinSize), MaxSize)
	s.mu.Lock()
	t, err := s.live(tok)
	switch {
	case err != nil:
	case !t.verified:
		err = ErrUnverified
	case t.sending:
		err = ErrBusy
	}
	if err != nil {
		s.mu.Unlock()
		return 0, err
	}
	t.sending = true
	to, token, ch := t.addr, t.token, t.channel
	s.mu.Unlock()
	if ch != nil {
		size = min(size, ChannelMaxSize)
	}
	defer func() {
		s.mu.Lock()
		t.sending = false
		s.mu.Unlock()
	}()

	const tick = 5 * time.Millisecond
	bytesPerSec := float64(kbps) * 1000 / 8
	start := time.Now()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	buf := make([]byte, 0, MaxSize)
	sent := 0
	for {
		el := time.Since(start)
		if el > d {
			el = d
		}
		// Send what the rate allows up to now (catching up on late ticks).
		for due := int(bytesPerSec * el.Seconds() / float64(size)); sent <= due && el < d; sent++ {
			buf = Packet{Type: TypeDown, Token: token, Seq: uint32(sent), Sent: uint64(time.Now().UnixMicro()), Size: size}.Append(buf[:0])
			if ch != nil {
				ch(buf) // a full channel drops it, as a full socket would
			} else {
				s.transmit(buf, to)
			}
		}
		if el >= d {
			return sent, nil
		}
		select {
		case <-ctx.Done():
			return sent, ctx.Err()
		case <-ticker.C:
		}
	}
}

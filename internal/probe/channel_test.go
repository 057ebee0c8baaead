package probe

import (
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// channelCapture records what a test's data channel was given to send; it
// refuses (drops) once full is set, like a channel whose buffer is full.
type channelCapture struct {
	mu   sync.Mutex
	pkts []Packet
	full bool
	drop int
}

func (c *channelCapture) send(b []byte) bool {
	p, err := Parse(b)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full {
		c.drop++
		return false
	}
	c.pkts = append(c.pkts, p)
	return true
}

func (c *channelCapture) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pkts)
}

func TestServiceOverChannel(t *testing.T) {
	s := NewService(Config{})
	var udp capture
	s.SetSender(udp.send)
	tok, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	var ch channelCapture
	if err := s.Attach(tok, ch.send); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(tok, ch.send); !errors.Is(err, ErrAttached) {
		t.Fatalf("second Attach: %v", err)
	}
	if err := s.Attach(Token{9}, ch.send); !errors.Is(err, ErrUnknownTest) {
		t.Fatalf("Attach of an unknown test: %v", err)
	}

	// The same token over UDP is somebody else's: consumed, unanswered.
	client := netip.MustParseAddrPort("10.0.0.1:5000")
	if !s.HandleDatagram(Packet{Type: TypePing, Token: tok}.Append(nil), client) || udp.count() != 0 || s.Unknown() != 1 {
		t.Fatalf("UDP ping of a channel test: %d answers, %d unknown", udp.count(), s.Unknown())
	}
	// A message with another token, or of the server's types, is dropped.
	s.HandleMessage(tok, Packet{Type: TypePing, Token: Token{1}}.Append(nil))
	s.HandleMessage(tok, Packet{Type: TypeDown, Token: tok}.Append(nil))
	s.HandleMessage(tok, []byte("hello"))
	if ch.count() != 0 || s.Unknown() != 4 {
		t.Fatalf("bad messages: %d answers, %d unknown", ch.count(), s.Unknown())
	}
	if _, err := s.Download(t.Context(), tok, 100, 100*time.Millisecond, 100); !errors.Is(err, ErrUnverified) {
		t.Fatalf("download before the cookie came back: %v", err)
	}

	s.HandleMessage(tok, Packet{Type: TypePing, Token: tok, Seq: 2, Sent: 55}.Append(nil))
	if ch.count() != 1 || ch.pkts[0].Type != TypePong || ch.pkts[0].Echo != 55 || ch.pkts[0].Seq != 2 {
		t.Fatalf("pong: %+v", ch.pkts)
	}
	cookie := ch.pkts[0].Cookie
	now := time.Now()
	for i := range 20 {
		if i%5 == 0 {
			continue
		}
		s.HandleMessage(tok, Packet{Type: TypeUp, Token: tok, Seq: uint32(i), Sent: uint64(now.UnixMicro()), Cookie: cookie, Size: 300}.Append(nil))
	}
	rep, err := s.Upload(tok, 20)
	if err != nil || rep.Received != 16 || rep.Loss < 0.19 || rep.Loss > 0.21 {
		t.Fatalf("upload over the channel: %+v %v", rep, err)
	}

	// 400 kbps for 100 ms of 500-byte packets: 10 packets, none over UDP.
	n, err := s.Download(t.Context(), tok, 400, 100*time.Millisecond, 500)
	if err != nil || n < 9 || n > 11 || ch.count() != 1+n || udp.count() != 0 {
		t.Fatalf("download: sent %d, channel got %d, UDP got %d: %v", n, ch.count()-1, udp.count(), err)
	}
	// Datagrams over a channel fit one SCTP chunk.
	if _, err := s.Download(t.Context(), tok, 400, 20*time.Millisecond, MaxSize); err != nil {
		t.Fatal(err)
	}
	if last := ch.pkts[len(ch.pkts)-1]; last.Size != ChannelMaxSize {
		t.Fatalf("a %d-byte datagram over a channel", last.Size)
	}
	// A full channel drops what it cannot take; the packets still count as
	// sent, so the client measures them as lost.
	ch.mu.Lock()
	ch.full = true
	ch.mu.Unlock()
	n, err = s.Download(t.Context(), tok, 400, 50*time.Millisecond, 500)
	if err != nil || n == 0 || ch.drop != n {
		t.Fatalf("download into a full channel: sent %d, dropped %d: %v", n, ch.drop, err)
	}

	s.End(tok)
	s.HandleMessage(tok, Packet{Type: TypePing, Token: tok, Cookie: cookie}.Append(nil))
	if ch.drop != n {
		t.Fatal("answered after End")
	}
}

// TestChannelRateCountsOverhead: a channel test's rate counts each
// message's SCTP and DTLS overhead, as a UDP test's counts its datagram.
func TestChannelRateCountsOverhead(t *testing.T) {
	now := time.Unix(1000, 0)
	s := NewService(Config{Now: func() time.Time { return now }})
	tok, _ := s.Start()
	if err := s.Attach(tok, func([]byte) bool { return true }); err != nil {
		t.Fatal(err)
	}
	// 11 messages of 300 bytes, 10 ms apart: 10 × 365 bytes in 100 ms.
	for i := range 11 {
		s.HandleMessage(tok, Packet{Type: TypeUp, Token: tok, Seq: uint32(i), Sent: uint64(now.UnixMicro()), Size: 300}.Append(nil))
		now = now.Add(10 * time.Millisecond)
	}
	rep, err := s.Upload(tok, 11)
	if want := 10 * (300 + ChannelOverhead) * 8 / 100; err != nil || rep.Kbps != want || rep.Loss != 0 || rep.JitterMs != 0 {
		t.Fatalf("report %+v (%v), want %d kbps", rep, err, want)
	}
}

func TestAttachAfterUDP(t *testing.T) {
	s := NewService(Config{})
	s.SetSender(func([]byte, netip.AddrPort) {})
	tok, _ := s.Start()
	s.HandleDatagram(Packet{Type: TypePing, Token: tok}.Append(nil), netip.MustParseAddrPort("10.0.0.1:5000"))
	if err := s.Attach(tok, func([]byte) bool { return true }); !errors.Is(err, ErrAttached) {
		t.Fatalf("Attach after UDP traffic: %v", err)
	}
	if err := s.Attach(tok, nil); !errors.Is(err, ErrAttached) {
		t.Fatalf("Attach(nil): %v", err)
	}
}

// FuzzHandleMessage: the server side takes any message on a test's channel.
func FuzzHandleMessage(f *testing.F) {
	s := NewService(Config{})
	tok, _ := s.Start()
	if err := s.Attach(tok, func([]byte) bool { return true }); err != nil {
		f.Fatal(err)
	}
	f.Add(Packet{Type: TypePing, Token: tok}.Append(nil))
	f.Add(Packet{Type: TypeUp, Token: tok, Seq: 1 << 20}.Append(nil))
	f.Add([]byte{Magic, Version, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		s.HandleMessage(tok, b)
	})
}

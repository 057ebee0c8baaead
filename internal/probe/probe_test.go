package probe

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestPacketRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Packet
		size int
	}{
		{"ping", Packet{Type: TypePing, Seq: 7, Sent: 123456, Cookie: 9}, MinSize},
		{"pong", Packet{Type: TypePong, Seq: 1, Sent: 5, Echo: 4, Cookie: 1 << 60}, MinSize},
		{"up padded", Packet{Type: TypeUp, Seq: 1 << 31, Sent: 1, Size: 1000}, 1000},
		{"down clamped", Packet{Type: TypeDown, Size: 9000}, MaxSize},
		{"small clamped", Packet{Type: TypeUp, Size: 3}, MinSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Token = Token{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
			b := tc.p.Append(nil)
			if len(b) != tc.size {
				t.Fatalf("size %d, want %d", len(b), tc.size)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.p
			want.Size = tc.size
			if got != want {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	good := Packet{Type: TypePing}.Append(nil)
	for _, tc := range []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrNotProbe},
		{"short", good[:HeaderSize-1], ErrNotProbe},
		{"stun", append([]byte{0x00}, good[1:]...), ErrNotProbe},
		{"version", append([]byte{Magic, 2}, good[2:]...), ErrBadVersion},
		{"type 0", append([]byte{Magic, Version, 0}, good[3:]...), ErrBadType},
		{"type 9", append([]byte{Magic, Version, 9}, good[3:]...), ErrBadType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.b); !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
		})
	}
}

func TestToken(t *testing.T) {
	tok := Token{0xab, 1}
	got, err := ParseToken(tok.String())
	if err != nil || got != tok {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "00", tok.String() + "00", "zz" + tok.String()[2:]} {
		if _, err := ParseToken(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPacketSize(t *testing.T) {
	for kbps, want := range map[int]int{10: MinSize, 100: 250, 400: 1000, 5000: MaxSize} {
		if got := PacketSize(kbps); got != want {
			t.Errorf("PacketSize(%d) = %d, want %d", kbps, got, want)
		}
	}
}

// TestReceiver feeds a known pattern: 100 packets of 1000 B, one every
// 10 ms (800 kbps), every 5th lost, every other one 4 ms late.
func TestReceiver(t *testing.T) {
	var r Receiver
	t0 := time.Unix(1000, 0)
	for i := range 100 {
		if i%5 == 4 {
			continue
		}
		sent := t0.Add(time.Duration(i) * 10 * time.Millisecond)
		at := sent.Add(20 * time.Millisecond)
		if i%2 == 1 {
			at = at.Add(4 * time.Millisecond)
		}
		r.Add(uint32(i), uint64(sent.UnixMicro()), 1000, at)
	}
	r.Add(3, 0, 1000, t0) // a duplicate changes nothing
	rep := r.Report(100)
	if rep.Received != 80 || rep.Loss < 0.199 || rep.Loss > 0.201 {
		t.Errorf("received %d, loss %v", rep.Received, rep.Loss)
	}
	// What arrived: 79 packets' bytes (all but the first) over the 980 ms
	// from the first arrival to the last: 645 kbps of the 800 sent.
	if rep.Kbps < 640 || rep.Kbps > 650 {
		t.Errorf("kbps %d, want 645", rep.Kbps)
	}
	if rep.JitterMs < 3 || rep.JitterMs > 5 {
		t.Errorf("jitter %d ms, want about 4", rep.JitterMs)
	}
	var empty Receiver
	if rep := empty.Report(10); rep.Loss != 1 || rep.Kbps != -1 || rep.JitterMs != -1 {
		t.Errorf("nothing received: %+v", rep)
	}
	empty.Add(MaxPackets, 0, 100, t0)
	if empty.Received() != 0 {
		t.Error("a sequence number past MaxPackets was remembered")
	}
}

type capture struct {
	mu   sync.Mutex
	pkts []Packet
	to   []netip.AddrPort
}

func (c *capture) send(b []byte, to netip.AddrPort) {
	p, err := Parse(b)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.pkts = append(c.pkts, p)
	c.to = append(c.to, to)
	c.mu.Unlock()
}

func (c *capture) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pkts)
}

func TestServicePingUpDown(t *testing.T) {
	s := NewService(Config{})
	var out capture
	s.SetSender(out.send)
	tok, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort("10.0.0.1:5000")
	other := netip.MustParseAddrPort("10.0.0.9:5000")

	// Not a probe: passed on.
	if s.HandleDatagram([]byte{0x80, 1, 2}, client) {
		t.Fatal("RTP consumed")
	}
	// Unknown token: consumed, counted, unanswered.
	if !s.HandleDatagram(Packet{Type: TypePing}.Append(nil), client) || s.Unknown() != 1 || out.count() != 0 {
		t.Fatal("unknown token")
	}
	// Download before the address is proven: refused.
	if _, err := s.Download(t.Context(), tok, 100, 100*time.Millisecond, 100); !errors.Is(err, ErrUnverified) {
		t.Fatalf("download before verification: %v", err)
	}
	// A ping binds the address and is answered with the cookie.
	s.HandleDatagram(Packet{Type: TypePing, Token: tok, Seq: 4, Sent: 77}.Append(nil), client)
	if out.count() != 1 || out.to[0] != client || out.pkts[0].Type != TypePong || out.pkts[0].Echo != 77 || out.pkts[0].Seq != 4 || out.pkts[0].Cookie == 0 {
		t.Fatalf("pong: %+v to %v", out.pkts, out.to)
	}
	cookie := out.pkts[0].Cookie
	// Another address with the token is ignored.
	s.HandleDatagram(Packet{Type: TypePing, Token: tok, Cookie: cookie}.Append(nil), other)
	if out.count() != 1 {
		t.Fatal("answered another address")
	}
	// Up traffic with the cookie proves the address.
	now := time.Now()
	for i := range 10 {
		if i == 3 {
			continue
		}
		s.HandleDatagram(Packet{Type: TypeUp, Token: tok, Seq: uint32(i), Sent: uint64(now.UnixMicro()), Cookie: cookie, Size: 500}.Append(nil), client)
	}
	rep, err := s.Upload(tok, 10)
	if err != nil || rep.Received != 9 || rep.Loss < 0.09 || rep.Loss > 0.11 {
		t.Fatalf("upload %+v %v", rep, err)
	}
	// 200 kbps for 200 ms of 250-byte packets: 20 packets.
	n, err := s.Download(t.Context(), tok, 200, 200*time.Millisecond, 250)
	if err != nil || n < 19 || n > 21 || out.count() != 1+n {
		t.Fatalf("download sent %d (%d captured): %v", n, out.count()-1, err)
	}
	for _, to := range out.to {
		if to != client {
			t.Fatalf("sent to %v", to)
		}
	}
	for _, bad := range []struct {
		kbps int
		d    time.Duration
	}{{0, time.Second}, {MaxKbps + 1, time.Second}, {100, 0}, {100, MaxPhase + time.Second}} {
		if _, err := s.Download(t.Context(), tok, bad.kbps, bad.d, 100); !errors.Is(err, ErrBadRequest) {
			t.Errorf("download %d kbps for %v: %v", bad.kbps, bad.d, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Download(ctx, tok, 100, time.Second, 100); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled download: %v", err)
	}
	s.End(tok)
	if _, err := s.Upload(tok, 10); !errors.Is(err, ErrUnknownTest) {
		t.Fatalf("after End: %v", err)
	}
}

func TestServiceLimits(t *testing.T) {
	now := time.Unix(0, 0)
	s := NewService(Config{MaxTests: 2, Now: func() time.Time { return now }})
	a, _ := s.Start()
	if _, err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(); !errors.Is(err, ErrBusy) {
		t.Fatalf("third test: %v", err)
	}
	now = now.Add(Lifetime + time.Second)
	if _, err := s.Upload(a, 1); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := s.Start(); err != nil {
		t.Fatalf("expired tests still count: %v", err)
	}
	if s.Running() != 1 {
		t.Fatalf("running %d", s.Running())
	}
}

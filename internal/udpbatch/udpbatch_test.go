package udpbatch

import (
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

// receiver is a real loopback socket collecting datagrams.
type receiver struct {
	c    *net.UDPConn
	addr netip.AddrPort
	mu   sync.Mutex
	got  [][]byte
	done chan struct{}
}

func newReceiver(t *testing.T, network string, ip net.IP) *receiver {
	t.Helper()
	c, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20)
	r := &receiver{c: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort(), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.got = append(r.got, append([]byte(nil), buf[:n]...))
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-r.done })
	return r
}

// wait returns the first n datagrams, failing after 5 s.
func (r *receiver) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		k := len(r.got)
		r.mu.Unlock()
		if k >= n {
			r.mu.Lock()
			defer r.mu.Unlock()
			return r.got
		}
		time.Sleep(time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("receiver %v got %d of %d datagrams", r.addr, len(r.got), n)
	return nil
}

func newConn(t *testing.T, network string, ip net.IP) *Conn {
	t.Helper()
	u, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// packet is seq (4 bytes) + dst index (2 bytes), padded to size.
func packet(seq uint32, dst uint16, size int) []byte {
	p := make([]byte, size)
	binary.BigEndian.PutUint32(p, seq)
	binary.BigEndian.PutUint16(p[4:], dst)
	for i := 6; i < size; i++ {
		p[i] = byte(int(seq) + i)
	}
	return p
}

// checkStream verifies the datagrams a receiver got: every packet, in
// order, byte-identical.
func checkStream(t *testing.T, got [][]byte, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d datagrams, want %d", len(got), len(want))
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("datagram %d: got %d bytes seq %d, want %d bytes seq %d", i,
				len(got[i]), binary.BigEndian.Uint32(got[i]), len(want[i]), binary.BigEndian.Uint32(want[i]))
		}
	}
}

func TestBurstsKeepOrderAndBytes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		network string
		ip      net.IP
	}{
		{"ipv4", "udp4", net.IPv4(127, 0, 0, 1)},
		{"dualstack-to-ipv4", "udp", nil}, // an AF_INET6 socket sending to v4-mapped peers
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConn(t, tc.network, tc.ip)
			const dsts = 5
			rs := make([]*receiver, dsts)
			want := make([][][]byte, dsts)
			for i := range rs {
				rs[i] = newReceiver(t, "udp4", net.IPv4(127, 0, 0, 1))
			}
			seq := uint32(0)
			// Bursts like an SFU's: per destination a video frame (equal
			// packets, a short last one) interleaved with audio and a few
			// odd sizes that must not overtake each other.
			sizes := []int{1200, 1200, 1200, 700, 125, 1200, 1300, 1200, 90}
			for round := 0; round < 30; round++ {
				c.Hold()
				for _, sz := range sizes {
					for d := range rs {
						p := packet(seq, uint16(d), sz)
						seq++
						want[d] = append(want[d], p)
						if _, err := c.WriteToAddrPort(p, rs[d].addr); err != nil {
							t.Fatal(err)
						}
					}
				}
				c.Release()
			}
			for d, r := range rs {
				checkStream(t, r.wait(t, len(want[d])), want[d])
			}
			st := c.Stats()
			if st.Errors != 0 {
				t.Fatalf("errors: %+v", st)
			}
			if st.GSOMessages == 0 || st.Syscalls >= st.Packets/4 {
				t.Fatalf("bursts were not batched: %+v", st)
			}
			t.Logf("%+v", st)
		})
	}
}

func TestUnheldWritesGoAtOnce(t *testing.T) {
	c := newConn(t, "udp4", net.IPv4(127, 0, 0, 1))
	r := newReceiver(t, "udp4", net.IPv4(127, 0, 0, 1))
	var want [][]byte
	for i := range 10 {
		p := packet(uint32(i), 0, 100+i)
		want = append(want, p)
		c.WriteToAddrPort(p, r.addr)
		// Each arrives before the next is written: nothing waits for a flush.
		checkStream(t, r.wait(t, i+1), want)
	}
	if st := c.Stats(); st.Direct != 10 || st.Syscalls != 0 {
		t.Fatalf("stats %+v, want 10 direct sends", st)
	}
	// WriteTo with a net.UDPAddr takes the same path.
	p := packet(10, 0, 50)
	want = append(want, p)
	if _, err := c.WriteTo(p, net.UDPAddrFromAddrPort(r.addr)); err != nil {
		t.Fatal(err)
	}
	checkStream(t, r.wait(t, 11), want)
}

func TestFullBatchLeavesWhileHeld(t *testing.T) {
	c := newConn(t, "udp4", net.IPv4(127, 0, 0, 1))
	r := newReceiver(t, "udp4", net.IPv4(127, 0, 0, 1))
	c.Hold()
	var want [][]byte
	for i := range MaxBatch {
		p := packet(uint32(i), 0, 1000)
		want = append(want, p)
		c.WriteToAddrPort(p, r.addr)
	}
	// Still held, but the batch was full: it has left.
	checkStream(t, r.wait(t, MaxBatch), want)
	big := packet(999, 0, 4000) // larger than MaxPacket: sent on its own
	c.WriteToAddrPort(big, r.addr)
	c.Release()
	checkStream(t, r.wait(t, MaxBatch+1), append(want, big))
}

func TestConcurrentWritersKeepPerWriterOrder(t *testing.T) {
	c := newConn(t, "udp4", net.IPv4(127, 0, 0, 1))
	const writers = 8
	const per = 400
	rs := make([]*receiver, writers)
	for i := range rs {
		rs[i] = newReceiver(t, "udp4", net.IPv4(127, 0, 0, 1))
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i += 4 {
				c.Hold()
				for k := range 4 {
					c.WriteToAddrPort(packet(uint32(i+k), uint16(w), 1100), rs[w].addr)
				}
				c.Release()
				if i%40 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	for w, r := range rs {
		got := r.wait(t, per)
		for i, p := range got {
			if s := binary.BigEndian.Uint32(p); s != uint32(i) {
				t.Fatalf("writer %d: datagram %d has seq %d", w, i, s)
			}
		}
	}
}

func TestPlanKeepsPerDestinationOrder(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:1000")
	b := netip.MustParseAddrPort("127.0.0.1:2000")
	var bt batch
	for _, e := range []struct {
		addr netip.AddrPort
		n    int
	}{{a, 1200}, {b, 1200}, {a, 1200}, {a, 1300}, {b, 1200}, {a, 1200}, {a, 100}, {a, 1200}} {
		bt.add(make([]byte, e.n), e.addr)
	}
	var p plan
	p.make(&bt, true)
	var got [][]int
	off := 0
	for m := 0; m < p.msgs; m++ {
		got = append(got, append([]int(nil), p.order[off:off+p.segs[m]]...))
		off += p.segs[m]
	}
	// a: [0 2] (the larger 1300 cannot join), b: [1 4], a: [3 5] (a
	// shorter segment ends a run), then [6] and [7] (1200 > 100).
	want := [][]int{{0, 2}, {1, 4}, {3, 5}, {6}, {7}}
	if len(got) != len(want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("plan %v, want %v", got, want)
		}
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("plan %v, want %v", got, want)
			}
		}
	}
	p.make(&bt, false)
	if p.msgs != bt.n {
		t.Fatalf("without GSO: %d messages for %d packets", p.msgs, bt.n)
	}
}

func TestBatchedPathDoesNotAllocate(t *testing.T) {
	c := newConn(t, "udp4", net.IPv4(127, 0, 0, 1))
	// Sinks that nobody reads: a reading goroutine's allocations would count
	// too (AllocsPerRun counts the whole process). The kernel drops what
	// does not fit in their buffers.
	sink := func() netip.AddrPort {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { u.Close() })
		return u.LocalAddr().(*net.UDPAddr).AddrPort()
	}
	a1, a2 := sink(), sink()
	p := packet(1, 0, 1200)
	allocs := testing.AllocsPerRun(200, func() {
		c.Hold()
		for range 5 {
			c.WriteToAddrPort(p, a1)
			c.WriteToAddrPort(p, a2)
		}
		c.WriteToAddrPort(p[:300], a1)
		c.Release()
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per burst, want 0", allocs)
	}
}

// BenchmarkBurst compares a burst of 5 packets to each of 50 destinations
// sent one sendto at a time with the batched path.
func BenchmarkBurst(b *testing.B) {
	for _, batched := range []bool{false, true} {
		name := "sendto"
		if batched {
			name = "batched"
		}
		b.Run(name, func(b *testing.B) {
			u, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			c, _ := New(u)
			defer c.Close()
			var addrs []netip.AddrPort
			for range 50 {
				r, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				_ = r.SetReadBuffer(4 << 20)
				defer r.Close()
				go func() {
					buf := make([]byte, 65536)
					for {
						if _, err := r.Read(buf); err != nil {
							return
						}
					}
				}()
				addrs = append(addrs, r.LocalAddr().(*net.UDPAddr).AddrPort())
			}
			p := make([]byte, 1200)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for _, a := range addrs {
					if batched {
						c.Hold()
					}
					for range 5 {
						if batched {
							c.WriteToAddrPort(p, a)
						} else {
							u.WriteToUDPAddrPort(p, a)
						}
					}
					if batched {
						c.Release()
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*250), "ns/packet")
		})
	}
}

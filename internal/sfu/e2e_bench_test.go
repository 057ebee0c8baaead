package sfu

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// BenchmarkForwardSRTP measures the whole server path with real Pion
// connections on loopback: one publisher packet (1,100-byte VP8 payload)
// goes into the layer, through the subscribers' send queues and send loops,
// SRTP and the UDP socket to N in-process Pion clients. The clients' receive
// and decryption run on the same two cores, so the figure is an upper
// bound on the server's cost per forwarded packet.
func BenchmarkForwardSRTP(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprint("subscribers=", n), func(b *testing.B) { benchmarkForwardSRTP(b, n) })
	}
}

func benchmarkForwardSRTP(b *testing.B, n int) {
	env := newTestEnv(b, Config{SendQueueSize: 4096})
	alice := env.newClient("alice", nil)
	vt := newVideoTrack(b, "camera")
	alice.publish(vt)

	seq := uint16(0)
	sendKeyframe := func() {
		_ = vt.WriteRTP(&rtp.Packet{
			Header:  rtp.Header{Version: 2, Marker: true, SequenceNumber: seq, Timestamp: uint32(seq) * 3000},
			Payload: makeFrame(0, uint32(seq), true),
		})
		seq++
	}
	var pt *PublishedTrack
	for pt == nil {
		sendKeyframe()
		select {
		case pt = <-alice.published:
		case <-time.After(10 * time.Millisecond):
		}
	}

	var received atomic.Int64
	var downs []*DownTrack
	for i := range n {
		c := env.newClient(fmt.Sprint("sub", i), nil)
		d, err := c.peer.Subscribe(pt, SubscribeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		downs = append(downs, d)
		env.wg.Add(1)
		go func() {
			defer env.wg.Done()
			r := c.waitTrack()
			buf := make([]byte, 1500)
			for {
				if _, _, err := r.Read(buf); err != nil {
					return
				}
				received.Add(1)
			}
		}()
	}
	// Keyframes until every subscriber forwards.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ready := 0
		for _, d := range downs {
			if d.Stats().Packets > 0 {
				ready++
			}
		}
		if ready == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d subscribers forwarding", ready, n)
		}
		sendKeyframe()
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)

	l := pt.layers[0].Load()
	var rs recvState
	pkt := marshalRTP(b, rtp.Header{Version: 2, PayloadType: 96, SSRC: l.ssrc, Marker: true}, append([]byte{0x10, 0x01}, make([]byte, 1098)...))
	base := make([]uint64, n)
	for i, d := range downs {
		base[i] = d.stats.packets.Load() + d.stats.queueDrops.Load()
	}
	caughtUp := func(sent uint64) {
		for i := 0; i < n; {
			d := downs[i]
			if d.stats.packets.Load()+d.stats.queueDrops.Load()+d.stats.wrErrs.Load()-base[i] >= sent {
				i++
				continue
			}
			runtime.Gosched()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	sent := uint64(0)
	for b.Loop() {
		binary.BigEndian.PutUint16(pkt[2:4], seq)
		binary.BigEndian.PutUint32(pkt[4:8], uint32(seq)*3000)
		seq++
		l.handle(pkt, &rs)
		sent++
		if sent%32 == 0 {
			caughtUp(sent)
		}
	}
	caughtUp(sent)
	b.StopTimer()
	var drops uint64
	for _, d := range downs {
		drops += d.stats.queueDrops.Load() + d.stats.wrErrs.Load()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/forwarded-pkt")
	b.ReportMetric(float64(drops)/float64(b.N*n), "drops/pkt")
}

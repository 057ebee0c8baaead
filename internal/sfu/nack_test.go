package sfu

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// upstreamLoss is a client-side interceptor, nearest the wire: it drops the
// first transmission of chosen packets of the publisher's streams (RTX
// repairs, on their own SSRC, pass) and counts the sequence numbers the
// server NACKs.
type upstreamLoss struct {
	interceptor.NoOp
	drop    func(seq uint16) bool
	lastSeq uint16
	reached chan struct{} // closed when packet lastSeq is written

	mu      sync.Mutex
	dropped int
	repairs int
	nacked  map[uint16]int
	done    bool
}

func (u *upstreamLoss) NewInterceptor(string) (interceptor.Interceptor, error) { return u, nil }

func (u *upstreamLoss) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		u.mu.Lock()
		if h.SSRC != info.SSRC {
			u.repairs++
		} else if u.drop(h.SequenceNumber) {
			u.dropped++
			u.mu.Unlock()
			return len(payload), nil
		} else if h.SequenceNumber == u.lastSeq && !u.done {
			u.done = true
			close(u.reached)
		}
		u.mu.Unlock()
		return w.Write(h, payload, a)
	})
}

func (u *upstreamLoss) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := r.Read(b, a)
		if err != nil {
			return n, a, err
		}
		pkts, _ := rtcp.Unmarshal(b[:n])
		u.mu.Lock()
		for _, p := range pkts {
			if nack, ok := p.(*rtcp.TransportLayerNack); ok {
				for _, pair := range nack.Nacks {
					for _, s := range pair.PacketList() {
						u.nacked[s]++
					}
				}
			}
		}
		u.mu.Unlock()
		return n, a, err
	})
}

// The server stops NACKing a publisher's lost packet once its RTX repair
// arrives (internal/rtpnack): with Pion's generator each one was asked for
// every 100 ms for as long as it stayed in the window.
func TestPublisherRepairsStopNACKs(t *testing.T) {
	env := newTestEnv(t, Config{})
	const last = 200
	loss := &upstreamLoss{
		drop:    func(seq uint16) bool { return seq >= 20 && seq < 80 && seq%10 == 5 },
		lastSeq: last, reached: make(chan struct{}), nacked: map[uint16]int{},
	}
	env.api = clientAPI(t, webrtc.NetworkTypeUDP4, loss) // first: nearest the wire, below the NACK responder

	alice := env.newClient("alice", nil)
	vt := newVideoTrack(t, "camera")
	senders := alice.publish(vt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// 5 ms apart: the drops end 0.4 s in, packet 200 is sent 0.6 s later,
	// time for six more NACK rounds of each dropped packet had the repair
	// not stopped them.
	pub := &publisher{interval: 5 * time.Millisecond, layers: []*pubLayer{{track: vt, sender: senders[0]}}}
	pub.run(ctx, &env.wg)
	select {
	case <-loss.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the publisher did not get to packet 200")
	}
	cancel()

	loss.mu.Lock()
	defer loss.mu.Unlock()
	t.Logf("dropped %d, repaired %d, NACKs per sequence number %v", loss.dropped, loss.repairs, loss.nacked)
	if loss.dropped != 6 {
		t.Fatalf("dropped %d packets, want 6", loss.dropped)
	}
	for s := uint16(25); s < 80; s += 10 {
		if n := loss.nacked[s]; n < 1 || n > 2 {
			t.Errorf("packet %d NACKed %d times, want 1 (2 if a round raced the repair)", s, n)
		}
	}
	if loss.repairs < loss.dropped {
		t.Errorf("%d repairs sent for %d drops", loss.repairs, loss.dropped)
	}
}

package rtpnack

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// Generator is the NACK generator of one PeerConnection. It records the
// sequence numbers of every received stream that negotiated "nack" and,
// every interval, requests the missing ones. Its timer runs only while
// something is missing: it starts at a gap and stops at the first tick with
// nothing to ask for, so a clean stream, or a connection that receives
// nothing, costs no wake-ups.
type Generator struct {
	interceptor.NoOp

	f          *Factory
	id         string
	interval   time.Duration
	maxNacks   uint8
	senderSSRC uint32

	mu      sync.RWMutex
	streams map[uint32]*window
	rtx     map[uint32]*rtxStream // RFC 4588 repair streams, by their SSRC
	writer  interceptor.RTCPWriter
	running bool // the loop runs
	gap     bool // a stream saw a gap since the loop's last look
	closed  bool

	closing chan struct{}
	loops   sync.WaitGroup

	// seqs is the loop's scratch buffer for one stream's missing packets.
	seqs []uint16
}

func newGenerator(f *Factory, id string) *Generator {
	return &Generator{
		f: f, id: id, interval: f.interval, maxNacks: uint8(f.maxNacks),
		senderSSRC: rand.Uint32(),
		streams:    make(map[uint32]*window),
		rtx:        make(map[uint32]*rtxStream),
		closing:    make(chan struct{}),
		seqs:       make([]uint16, 0, Window),
	}
}

// supportsNack reports whether the stream negotiated generic NACK: RFC 4588
// §6.3 repairs only original streams, and Pion binds an RTX stream with no
// feedback at all.
func supportsNack(info *interceptor.StreamInfo) bool {
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			return true
		}
	}
	return false
}

// BindRTCPWriter keeps the writer the requests go to (the first one: Pion
// binds once per PeerConnection).
func (g *Generator) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.writer == nil {
		g.writer = w
	}
	g.startLocked()
	return w
}

// startLocked starts the loop if a gap is waiting for it and the requests
// have somewhere to go. g.mu is held.
func (g *Generator) startLocked() {
	if g.running || g.closed || g.writer == nil || !g.gap {
		return
	}
	g.running = true
	g.loops.Add(1)
	go g.loop(g.writer)
}

// rtxStream is a repair stream. Pion reads it on its own goroutine as soon
// as a packet arrives, but hands the unwrapped packet to the track's reader
// only between two original packets; its StreamInfo does not name the
// original stream either. The first repair the track's reader reports
// links the two (Repaired), and from then on the repair stream's reader
// records repairs the moment they arrive, before the next request is due.
type rtxStream struct {
	primary atomic.Pointer[window]
}

// BindRemoteStream records the sequence number of every packet read from a
// stream that negotiated NACK, and of every repair read from an RTX stream
// once Repaired linked it to its original stream.
func (g *Generator) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if !supportsNack(info) {
		if !strings.EqualFold(info.MimeType, "video/rtx") {
			return r
		}
		rs := &rtxStream{}
		g.mu.Lock()
		g.rtx[info.SSRC] = rs
		g.mu.Unlock()
		return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
			n, a, err := r.Read(b, a)
			if w := rs.primary.Load(); err == nil && w != nil {
				if osn, ok := rtxOSN(b[:n]); ok && w.add(osn) {
					g.sawGap()
				}
			}
			return n, a, err
		})
	}
	w := &window{}
	g.mu.Lock()
	g.streams[info.SSRC] = w
	g.mu.Unlock()
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := r.Read(b, a)
		if err == nil && n >= 12 && b[0]>>6 == 2 && w.add(uint16(b[2])<<8|uint16(b[3])) {
			g.sawGap()
		}
		return n, a, err
	})
}

// sawGap starts the loop, or keeps it from stopping at its next tick.
func (g *Generator) sawGap() {
	g.mu.Lock()
	g.gap = true
	g.startLocked()
	g.mu.Unlock()
}

// UnbindRemoteStream forgets the stream.
func (g *Generator) UnbindRemoteStream(info *interceptor.StreamInfo) {
	g.mu.Lock()
	delete(g.streams, info.SSRC)
	delete(g.rtx, info.SSRC)
	g.mu.Unlock()
}

// Repaired records that packet seq of the stream ssrc arrived as a
// retransmission on the RTX stream rtxSSRC (RepairOf), so that it is
// requested no more, and links the two streams. Unknown streams are
// ignored; so is a nil Generator.
func (g *Generator) Repaired(ssrc uint32, seq uint16, rtxSSRC uint32) {
	if g == nil {
		return
	}
	g.mu.RLock()
	w, rs := g.streams[ssrc], g.rtx[rtxSSRC]
	g.mu.RUnlock()
	if w == nil {
		return
	}
	if w.add(seq) {
		g.sawGap()
	}
	if rs != nil && rs.primary.Load() != w {
		rs.primary.Store(w)
	}
}

// rtxOSN returns the original sequence number an RTX packet carries in the
// first two bytes of its payload (RFC 4588 §4), if it has one (padding-only
// probes do not).
func rtxOSN(b []byte) (uint16, bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return 0, false
	}
	h := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 { // header extension (RFC 3550 §5.3.1)
		if len(b) < h+4 {
			return 0, false
		}
		h += 4 + 4*int(binary.BigEndian.Uint16(b[h+2:h+4]))
	}
	end := len(b)
	if b[0]&0x20 != 0 { // padding: its count is the last byte
		end -= int(b[len(b)-1])
	}
	if end-h < 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(b[h : h+2]), true
}

// Close stops the loop and waits for it.
func (g *Generator) Close() error {
	g.f.forget(g.id, g)
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.closing)
	}
	g.mu.Unlock()
	g.loops.Wait()
	return nil
}

// loop writes the requests every interval until Close, or until a tick
// finds nothing to ask for and no gap seen since the one before (the next
// gap starts it again).
func (g *Generator) loop(w interceptor.RTCPWriter) {
	defer g.loops.Done()
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for {
		select {
		case <-g.closing:
			return
		case <-t.C:
			if pkts := g.requests(); len(pkts) > 0 {
				_, _ = w.Write(pkts, nil)
			} else if g.stopIfIdle() {
				return
			}
		}
	}
}

// stopIfIdle marks the loop stopped and reports true unless a gap was seen
// since it last looked (that gap's packets are asked for at the next tick;
// a request found empty just before the gap was recorded must not stop it).
func (g *Generator) stopIfIdle() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gap {
		g.gap = false
		return false
	}
	g.running = false
	return true
}

// requests returns one NACK per stream with packets to ask for. Only the
// loop calls it (it uses g.seqs).
func (g *Generator) requests() []rtcp.Packet {
	var pkts []rtcp.Packet
	g.mu.RLock()
	defer g.mu.RUnlock()
	for ssrc, w := range g.streams {
		g.seqs = w.missing(g.seqs[:0], g.maxNacks)
		if len(g.seqs) == 0 {
			continue
		}
		pkts = append(pkts, &rtcp.TransportLayerNack{
			SenderSSRC: g.senderSSRC,
			MediaSSRC:  ssrc,
			Nacks:      rtcp.NackPairsFromSequenceNumbers(g.seqs),
		})
	}
	return pkts
}

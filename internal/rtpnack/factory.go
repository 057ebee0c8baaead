// Package rtpnack generates RTCP NACKs (RFC 4585 §6.2.1) for received RTP
// streams and stops asking for a packet as soon as it arrives, as an
// original or as an RFC 4588 retransmission.
//
// Pion's generator (pion/interceptor pkg/nack) learns what arrived only from
// the original stream's interceptor reader. Pion delivers RTX repairs, which
// arrive on their own SSRC, to TrackRemote.Read with the original SSRC and
// sequence number restored, but nothing tells its generator, so every lost
// packet is requested the full maximum number of times. Here the reader of
// a track reports repairs with Generator.Repaired (RepairOf recognises
// them), and the Generator of a PeerConnection is found by its id with
// Factory.Generator. The first report links the RTX stream to its original;
// later repairs are then recorded by the RTX stream's interceptor reader as
// soon as they arrive.
//
// One goroutine per PeerConnection sends the requests; it starts when Pion
// binds the RTCP writer and stops on Close. Each stream costs a fixed
// 592-byte log (Window); recording a packet allocates nothing.
package rtpnack

import (
	"fmt"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// Limits of the options.
const (
	MinInterval   = time.Millisecond
	MaxInterval   = time.Second
	MaxNacksLimit = 255 // the per-packet counter is a byte

	DefaultInterval = 100 * time.Millisecond // Pion's
	DefaultMaxNacks = 10                     // Pion: unlimited while in the window
)

// Option configures a Factory.
type Option func(*Factory)

// Interval sets how often a missing packet is requested again.
func Interval(d time.Duration) Option { return func(f *Factory) { f.interval = d } }

// MaxNacks sets how often one missing packet is requested at most.
func MaxNacks(n int) Option { return func(f *Factory) { f.maxNacks = n } }

// Factory makes one Generator per PeerConnection (interceptor.Factory) and
// finds it again by the PeerConnection's id. It is safe for concurrent use.
type Factory struct {
	interval time.Duration
	maxNacks int

	mu   sync.Mutex
	gens map[string]*Generator
}

// NewFactory validates the options and returns a Factory.
func NewFactory(opts ...Option) (*Factory, error) {
	f := &Factory{interval: DefaultInterval, maxNacks: DefaultMaxNacks, gens: make(map[string]*Generator)}
	for _, o := range opts {
		o(f)
	}
	if f.interval < MinInterval || f.interval > MaxInterval {
		return nil, fmt.Errorf("%w: %v", ErrInvalidInterval, f.interval)
	}
	if f.maxNacks < 1 || f.maxNacks > MaxNacksLimit {
		return nil, fmt.Errorf("%w: %d", ErrInvalidMaxNacks, f.maxNacks)
	}
	return f, nil
}

// NewInterceptor returns the Generator of the PeerConnection id.
func (f *Factory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	g := newGenerator(f, id)
	f.mu.Lock()
	f.gens[id] = g
	f.mu.Unlock()
	return g, nil
}

// Generator returns the Generator of the PeerConnection with this id
// (webrtc.PeerConnection.ID), or nil once it is closed or if there is none.
// A nil *Generator ignores Repaired. Pion's ids are creation times in
// nanoseconds; should two connections ever share one, the later one's
// Generator is returned and the earlier one's repairs are not reported (its
// NACKs then stop at the count, as Pion's would).
func (f *Factory) Generator(id string) *Generator {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gens[id]
}

func (f *Factory) forget(id string, g *Generator) {
	f.mu.Lock()
	if f.gens[id] == g {
		delete(f.gens, id)
	}
	f.mu.Unlock()
}

// RepairOf reports whether the attributes TrackRemote.Read returned with a
// packet mark it as an RTX repair that Pion unwrapped, and from which RTX
// stream.
func RepairOf(a interceptor.Attributes) (rtxSSRC uint32, ok bool) {
	if a == nil {
		return 0, false
	}
	rtxSSRC, ok = a.Get(webrtc.AttributeRtxSsrc).(uint32)
	return rtxSSRC, ok
}

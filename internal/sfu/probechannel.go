package sfu

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// A ProbeChannel carries a browser's speed test (docs/protocol.md, "Speed
// test over a data channel"): a short-lived PeerConnection, offered by the
// client with one data channel and nothing else, on the engine's media
// port. The channel must be unordered and never retransmit
// (RTCDataChannelInit {ordered: false, maxRetransmits: 0}), so that it loses
// and reorders like the UDP probes it stands in for. The engine knows
// nothing of probes: it hands the channel's messages to the caller and
// sends what the caller gives it.

// ProbeChannelLabel is the label the client gives the probe data channel.
const ProbeChannelLabel = "probe"

// probeChannelBuffer bounds what may wait in the channel's send buffer
// (about 100 ms at the speed test's 5000 kbps): beyond it Send drops the
// message, as a full socket drops a datagram, instead of letting SCTP
// queue it and deliver it late.
const probeChannelBuffer = 64 << 10

// ProbeChannel is the server side of one probe data channel. Its methods
// are safe for concurrent use.
type ProbeChannel struct {
	pc      *webrtc.PeerConnection
	dc      atomic.Pointer[webrtc.DataChannel]
	onClose func()
	once    sync.Once
	done    chan struct{}
}

// NewProbeChannel answers the client's offer, which must carry a data
// channel section and no media. onMessage receives each binary message of
// the probe channel (on Pion's goroutine: it must not block); a channel
// with another label, or ordered or reliable, is closed unread. onClose
// runs once when the connection fails or the client closes the channel or
// the connection, but not after Close. The answer carries the server's
// candidates (no trickle).
func (e *Engine) NewProbeChannel(ctx context.Context, offerSDP string, onMessage func([]byte), onClose func()) (*ProbeChannel, string, error) {
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}
	parsed, err := offer.Unmarshal()
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	if len(parsed.MediaDescriptions) != 1 || parsed.MediaDescriptions[0].MediaName.Media != "application" {
		return nil, "", fmt.Errorf("%w: a probe offer has one data channel section and no media", ErrInvalidSDP)
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, "", ErrClosed
	}
	pc, err := e.subAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", fmt.Errorf("sfu: probe connection: %w", err)
	}
	c := &ProbeChannel{pc: pc, onClose: onClose, done: make(chan struct{})}
	// Pion's callbacks must not wait for the connection to close.
	end := func() {
		if c.shut() {
			go c.finish(true)
		}
	}
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			end()
		}
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		mr := dc.MaxRetransmits()
		if dc.Label() != ProbeChannelLabel || dc.Ordered() || mr == nil || *mr != 0 || !c.dc.CompareAndSwap(nil, dc) {
			_ = dc.Close()
			return
		}
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			if !m.IsString {
				onMessage(m.Data)
			}
		})
		dc.OnClose(end)
	})
	answer, err := c.answer(ctx, offer)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, answer, nil
}

func (c *ProbeChannel) answer(ctx context.Context, offer webrtc.SessionDescription) (string, error) {
	if err := c.pc.SetRemoteDescription(offer); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return c.pc.LocalDescription().SDP, nil
}

// Send sends one binary message on the probe channel. It reports false
// when the message was dropped: the channel is not open yet, closed, or
// holds more than probeChannelBuffer bytes not yet sent.
func (c *ProbeChannel) Send(b []byte) bool {
	dc := c.dc.Load()
	if dc == nil || dc.ReadyState() != webrtc.DataChannelStateOpen || dc.BufferedAmount() > probeChannelBuffer {
		return false
	}
	return dc.Send(b) == nil
}

// Drain waits until what was sent has left the channel's send buffer
// (SCTP queues what its congestion window does not let through yet), ctx
// ends, or the channel closes.
func (c *ProbeChannel) Drain(ctx context.Context) {
	dc := c.dc.Load()
	if dc == nil {
		return
	}
	low := make(chan struct{}, 1)
	dc.SetBufferedAmountLowThreshold(0)
	dc.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	if dc.BufferedAmount() == 0 {
		return
	}
	select {
	case <-low:
	case <-ctx.Done():
	case <-c.done:
	}
}

// Done is closed when the connection ends (Close, failure, or the client
// closing it).
func (c *ProbeChannel) Done() <-chan struct{} { return c.done }

// Close ends the connection. It is idempotent.
func (c *ProbeChannel) Close() {
	if c.shut() {
		c.finish(false)
	}
}

// shut marks the channel ended; it reports whether this call did.
func (c *ProbeChannel) shut() bool {
	first := false
	c.once.Do(func() {
		close(c.done)
		first = true
	})
	return first
}

func (c *ProbeChannel) finish(report bool) {
	_ = c.pc.Close()
	if report && c.onClose != nil {
		c.onClose()
	}
}

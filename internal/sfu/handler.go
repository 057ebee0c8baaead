package sfu

import (
	"sync"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Handler receives a Peer's events. Calls for one Peer are made in order on
// one goroutine, never while the SFU holds a lock, so a Handler may call back
// into the SFU (Subscribe, SetLayer, Close, …). It must not block for long:
// later events of the same Peer wait for it.
type Handler interface {
	// OnSubscriberOffer carries an offer for the subscriber connection,
	// which the client must answer (Peer.HandleSubscriberAnswer). At most
	// one offer is outstanding; changes made meanwhile are folded into the
	// next offer, sent once the answer arrives.
	OnSubscriberOffer(sdp string)

	// OnConnectionStateChange reports a state change of one connection.
	OnConnectionStateChange(target Target, state ConnectionState)

	// OnTrackPublished reports that layer of t started arriving: StreamBig
	// or StreamSmall for the main video, StreamSub for screen share, and
	// StreamBig for audio. The first call for t announces the track.
	OnTrackPublished(t *PublishedTrack, layer trtc.StreamType)

	// OnTrackUnpublished reports that layer of t stopped. When t has no
	// layer left it has ended; its DownTracks are closed by the SFU.
	OnTrackUnpublished(t *PublishedTrack, layer trtc.StreamType)

	// OnBandwidthEstimate reports a new estimate, in bits per second, of
	// what the subscriber connection can carry. The room layer moves
	// subscribers that have not pinned a stream type between big and small
	// with it (see doc.go for the policy we suggest).
	OnBandwidthEstimate(bps int)
}

// NopHandler ignores every event. Embed it to implement only some methods.
type NopHandler struct{}

func (NopHandler) OnSubscriberOffer(string)                            {}
func (NopHandler) OnConnectionStateChange(Target, ConnectionState)     {}
func (NopHandler) OnTrackPublished(*PublishedTrack, trtc.StreamType)   {}
func (NopHandler) OnTrackUnpublished(*PublishedTrack, trtc.StreamType) {}
func (NopHandler) OnBandwidthEstimate(int)                             {}

// eventLoop runs a Peer's Handler calls in order on one goroutine. Its queue
// is unbounded because events are rare (negotiation, track and state
// changes, one estimate a second) and dropping one would desynchronize the
// room layer.
type eventLoop struct {
	mu     sync.Mutex
	queue  []func()
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

func newEventLoop() *eventLoop {
	l := &eventLoop{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *eventLoop) post(f func()) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.queue = append(l.queue, f)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *eventLoop) run() {
	for {
		select {
		case <-l.wake:
		case <-l.done:
			return
		}
		for {
			l.mu.Lock()
			q := l.queue
			l.queue = nil
			closed := l.closed
			l.mu.Unlock()
			if closed || len(q) == 0 {
				break
			}
			for _, f := range q {
				if l.isClosed() {
					return
				}
				f()
			}
		}
	}
}

func (l *eventLoop) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// close drops pending events and stops the loop without waiting for it, so
// that a Handler may close its own Peer.
func (l *eventLoop) close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		l.queue = nil
		close(l.done)
	}
	l.mu.Unlock()
}

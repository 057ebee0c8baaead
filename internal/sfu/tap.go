package sfu

import (
	"slices"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Tap receives a PublishedTrack's packets inside the server, without a
// PeerConnection, SRTP or ICE: recorders and other in-process consumers use
// it. Packets are the publisher's, unmodified (its SSRC, sequence numbers and
// timestamps), of the big layer only — or of the small layer when that is
// the only one published.
//
// A Tap is called on the publisher's reader goroutine with a buffer that is
// reused as soon as it returns: it must copy what it keeps and must never
// block (queue and drop, as a DownTrack's send queue does), or the
// publisher's other subscribers would wait.
type Tap interface {
	// TapPacket is called for each packet received in order of arrival.
	TapPacket(pkt []byte)
	// TapEnded is called once when the track ends (every layer stopped) or
	// the tap is removed. No TapPacket follows it, and none follows the
	// return of AddTap's remove function, which must therefore not be
	// called from TapPacket.
	TapEnded()
}

// tapEntry is one installed tap.
type tapEntry struct{ t Tap }

// AddTap installs t and returns the function that removes it. Removing
// calls TapEnded unless the track already ended. A track that has ended
// calls TapEnded at once and returns a no-op.
func (t *PublishedTrack) AddTap(tap Tap) (remove func()) {
	e := &tapEntry{t: tap}
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		tap.TapEnded()
		return func() {}
	}
	old := t.taps.Load()
	var next []*tapEntry
	if old != nil {
		next = slices.Clone(*old)
	}
	next = append(next, e)
	t.taps.Store(&next)
	t.mu.Unlock()
	return func() {
		if t.removeTap(e) {
			tap.TapEnded()
		}
	}
}

// removeTap uninstalls e and reports whether it was installed; it returns
// once no reader is still handing e a packet.
func (t *PublishedTrack) removeTap(e *tapEntry) bool {
	t.mu.Lock()
	old := t.taps.Load()
	i := -1
	if old != nil {
		i = slices.Index(*old, e)
	}
	if i < 0 {
		t.mu.Unlock()
		return false
	}
	next := slices.Delete(slices.Clone(*old), i, i+1)
	t.taps.Store(&next)
	t.mu.Unlock()
	t.waitTapping()
	return true
}

// waitTapping returns once no reader is still handing a packet to the taps
// it found before the latest change.
func (t *PublishedTrack) waitTapping() {
	t.tapping.Lock()
	t.tapping.Unlock() // empty: the lock is a barrier here
}

// endTaps removes every tap and tells it the track ended.
func (t *PublishedTrack) endTaps() {
	t.mu.Lock()
	old := t.taps.Swap(nil)
	t.mu.Unlock()
	if old == nil {
		return
	}
	t.waitTapping()
	for _, e := range *old {
		e.t.TapEnded()
	}
}

// tapPacket hands a packet of layer l to the taps: the big layer's, or the
// small layer's while no big layer arrives.
func (t *PublishedTrack) tapPacket(l *layer, pkt []byte) {
	if taps := t.taps.Load(); taps == nil || len(*taps) == 0 {
		return
	}
	if l.streamType == trtc.StreamSmall && t.layers[layerBig].Load() != nil {
		return
	}
	// Loaded again under tapping: a removal that stored its list before
	// this read waits for nothing, one after it waits for this delivery.
	t.tapping.RLock()
	if taps := t.taps.Load(); taps != nil {
		for _, e := range *taps {
			e.t.TapPacket(pkt)
		}
	}
	t.tapping.RUnlock()
}

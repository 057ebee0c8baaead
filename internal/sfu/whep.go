package sfu

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// HandleSubscriberOffer makes the subscriber connection answer an offer made
// by the client, for players that cannot take a server offer: a WHEP client
// (draft-ietf-wish-whep) offers receive-only audio and video once and never
// renegotiates. The first section of each kind the client can receive on
// (recvonly or sendrecv, with a codec the engine forwards) becomes a fixed
// slot. Subscribe then attaches a track to the slot of its kind instead of
// adding a sender: a new track evicts the one the slot carried, and the
// subscriber keeps seeing one RTP stream (same SSRC, sequence numbers +1,
// timestamps advanced by wall time), starting at a keyframe. Nothing is ever
// renegotiated and RestartICE does nothing; the client restarts ICE by
// offering again with new credentials, which this method answers too.
//
// The first call decides the mode: it fails with ErrUnexpectedOffer on a
// Peer whose subscriber connection already carries server offers.
func (p *Peer) HandleSubscriberOffer(ctx context.Context, offerSDP string) (string, error) {
	if p.isClosed() {
		return "", ErrClosed
	}
	offer := webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}
	parsed, err := offer.Unmarshal()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	p.negMu.Lock()
	defer p.negMu.Unlock()
	p.mu.Lock()
	first := !p.answering
	if first && (p.outstanding || len(p.downs) > 0) {
		p.mu.Unlock()
		return "", ErrUnexpectedOffer
	}
	p.answering = true // from now on the server never offers
	p.mu.Unlock()

	var kinds []webrtc.RTPCodecType
	if first {
		if kinds = receivableKinds(parsed); len(kinds) == 0 {
			return "", ErrNoSupportedCodec
		}
	}
	if err := p.sub.SetRemoteDescription(offer); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	p.flushCandidates(TargetSubscriber, p.sub)
	for _, k := range kinds {
		if err := p.addSlot(k); err != nil {
			return "", err
		}
	}
	answer, err := p.sub.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	gathered := webrtc.GatheringCompletePromise(p.sub)
	if err := p.sub.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	for _, s := range p.slots {
		if s != nil {
			s.negotiated()
		}
	}
	return p.sub.LocalDescription().SDP, nil
}

// receivableKinds returns the kinds for which the offer's first section the
// client can receive on carries a codec the engine forwards. Pion's AddTrack
// takes that same section for a track of its kind.
func receivableKinds(d *sdp.SessionDescription) []webrtc.RTPCodecType {
	var out []webrtc.RTPCodecType
	seen := map[string]bool{}
	for _, m := range d.MediaDescriptions {
		kind := m.MediaName.Media
		if (kind != "audio" && kind != "video") || seen[kind] || m.MediaName.Port.Value == 0 {
			continue
		}
		if _, sendOnly := m.Attribute("sendonly"); sendOnly {
			continue
		}
		if _, inactive := m.Attribute("inactive"); inactive {
			continue
		}
		seen[kind] = true
		for _, a := range m.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			_, enc, _ := strings.Cut(a.Value, " ")
			name, _, _ := strings.Cut(enc, "/")
			if supportedCodec(kind, name) {
				out = append(out, webrtc.NewRTPCodecType(kind))
				break
			}
		}
	}
	return out
}

// addSlot gives the subscriber connection a fixed sender of kind k on the
// offered section Pion picks for it.
func (p *Peer) addSlot(k webrtc.RTPCodecType) error {
	s := &slot{peer: p, kind: k}
	s.m.clockRate = 90000
	if k == webrtc.RTPCodecTypeAudio {
		s.m.clockRate = 48000 // Opus, the one audio codec forwarded
	}
	snd, err := p.sub.AddTrack(s)
	if err != nil {
		return fmt.Errorf("sfu: add %s slot: %w", k, err)
	}
	s.sender = snd
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.slots[kindOf(k)] = s
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		s.rtcpLoop()
	}()
	return nil
}

func (p *Peer) isAnswering() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.answering
}

// subscribeSlot is Subscribe on an answering Peer.
func (p *Peer) subscribeSlot(t *PublishedTrack, opts SubscribeOptions) (*DownTrack, error) {
	opts.Label = "" // a slot carries one track at a time
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if _, dup := p.downs[t.id]; dup {
		p.mu.Unlock()
		return nil, ErrAlreadySubscribed
	}
	s := p.slots[t.kind]
	if s == nil {
		p.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", ErrNoSlot, t.kind)
	}
	d := newDownTrack(p, t, opts)
	d.slot, d.m = s, &s.m
	close(d.rtcpDone) // the slot reads the sender's RTCP
	p.downs[t.id] = d
	p.mu.Unlock()
	evicted, err := s.attach(d)
	if evicted != nil {
		_ = evicted.Close()
	}
	if err != nil {
		p.mu.Lock()
		if p.downs[t.id] == d {
			delete(p.downs, t.id)
		}
		p.mu.Unlock()
		return nil, err
	}
	if err := t.addSubscriber(d); err != nil {
		_ = d.Close()
		return nil, err
	}
	d.requestKeyframe()
	return d, nil
}

// slot is a fixed sender of an answering subscriber connection. It is the
// webrtc.TrackLocal Pion binds once; the DownTracks that feed it in turn
// bind to its context. Their shared munger (owned by the subscriber's send
// loop, like every munger) keeps the stream continuous across them.
type slot struct {
	peer   *Peer
	kind   webrtc.RTPCodecType
	sender *webrtc.RTPSender
	m      munger

	mu     sync.Mutex
	codecs []webrtc.RTPCodecParameters // negotiated for the slot's section
	ctx    webrtc.TrackLocalContext    // nil until Pion binds the sender
	down   *DownTrack                  // the track being fed, if any
}

// slotContext hands a DownTrack the slot's binding with the codecs that were
// negotiated: Pion narrows its own context to the one codec Bind returned.
type slotContext struct {
	webrtc.TrackLocalContext
	codecs []webrtc.RTPCodecParameters
}

func (c *slotContext) CodecParameters() []webrtc.RTPCodecParameters { return c.codecs }

// ID is the MediaStreamTrack id the player sees: "audio" or "video".
func (s *slot) ID() string { return s.kind.String() }

// RID is empty: a slot sends one stream.
func (s *slot) RID() string { return "" }

// StreamID groups the two slots into one MediaStream.
func (s *slot) StreamID() string { return "rtcengine" }

// Kind returns the slot's media kind.
func (s *slot) Kind() webrtc.RTPCodecType { return s.kind }

// negotiated records the codecs the answer settled for the slot's section,
// so that a track can be checked before Pion binds the sender.
func (s *slot) negotiated() {
	codecs := s.sender.GetParameters().Codecs
	s.mu.Lock()
	if s.ctx == nil {
		s.codecs = codecs
	}
	s.mu.Unlock()
}

// Bind is called by Pion when the slot's sender starts.
func (s *slot) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codecs = slices.Clone(ctx.CodecParameters())
	s.ctx = &slotContext{TrackLocalContext: ctx, codecs: s.codecs}
	if d := s.down; d != nil {
		if c, err := d.Bind(s.ctx); err == nil {
			return c, nil
		}
	}
	for _, c := range s.codecs {
		if !strings.EqualFold(c.MimeType, webrtc.MimeTypeRTX) {
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, fmt.Errorf("%w: no %s codec negotiated", ErrCodecMismatch, s.kind)
}

// Unbind is called by Pion when the sender stops.
func (s *slot) Unbind(webrtc.TrackLocalContext) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = nil
	if s.down != nil {
		s.down.binding.Store(nil)
	}
	return nil
}

// attach makes d the slot's track and returns the one it evicts, which the
// caller closes. The evicted track stops writing at once.
func (s *slot) attach(d *DownTrack) (*DownTrack, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.codecs) > 0 {
		if _, ok := matchCodec(d.codec, s.codecs); !ok {
			return nil, fmt.Errorf("%w: %s", ErrCodecMismatch, d.codec.MimeType)
		}
	}
	old := s.down
	if old != nil {
		old.binding.Store(nil)
	}
	s.down = d
	if s.ctx != nil {
		if _, err := d.Bind(s.ctx); err != nil {
			s.down = nil
			return old, err
		}
	}
	return old, nil
}

// detach frees the slot if d still holds it.
func (s *slot) detach(d *DownTrack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down == d {
		s.down = nil
		d.binding.Store(nil)
	}
}

// current returns the track being fed.
func (s *slot) current() *DownTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// rtcpLoop reads the player's RTCP for the slot until the sender stops and
// hands it to the track being fed.
func (s *slot) rtcpLoop() {
	buf := make([]byte, 1500)
	for {
		n, _, err := s.sender.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		if d := s.current(); d != nil {
			d.handleRTCP(pkts)
		}
	}
}

// CheckOffer tells, without touching any connection, whether an offer is
// one the engine can answer: it parses (ErrInvalidSDP) and, for a client
// that publishes, has a section with a codec the engine forwards, or, for
// a client that plays (receive), a section it can receive one on
// (ErrNoSupportedCodec). Edges call it before they create anything.
func CheckOffer(offerSDP string, receive bool) error {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offerSDP); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSDP, err)
	}
	if receive && len(receivableKinds(&d)) == 0 || !receive && !offersSupportedCodec(&d) {
		return ErrNoSupportedCodec
	}
	return nil
}

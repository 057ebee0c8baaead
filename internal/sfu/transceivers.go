package sfu

import (
	"slices"

	"github.com/pion/webrtc/v4"
)

// Reusing subscriber transceivers. Each subscription used to add an m-line
// to the subscriber connection and each unsubscription to leave it
// inactive, so a client's SDP grew with every publish and unpublish it saw
// — hundreds of m-lines after an evening in a voice chat room whose seats
// change hands, each one renegotiated, parsed and kept by both ends. Now a
// removed track's transceiver carries the next track of its kind.
//
// Only once the client has answered an offer made after the removal: by
// then its receiver for the old track is gone (Pion replaces a receiver
// whose SSRC left the description; a browser's track went muted), so the
// next track on that m-line, with a new SSRC and msid, is a new remote
// track there (Go SDK: OnTrack; Web SDK: the section's msid names the new
// user and stream).
//
// Subscriber transceivers are sendrecv, not sendonly, for one reason: the
// Pion client stops a transceiver — and closes the receiver it made to
// replace the old one — every time an offer marks its m-line inactive,
// and a closed receiver never delivers again. A sendrecv transceiver whose
// track is removed turns recvonly, which the client answers inactive
// without stopping anything, however many offers pass before it is
// reused; reused it turns sendrecv again. The clients answer recvonly
// (they send nothing on the subscriber connection), so nothing ever flows
// toward the server on these m-lines. TestAnchorsTakeTurns (test/ and
// test/browser) checks both SDKs.

// released is a transceiver whose track was removed before offer number
// after+1 was made.
type released struct {
	tr    *webrtc.RTPTransceiver
	after uint64
}

// release records that tr's track was removed (RemoveTrack succeeded).
func (p *Peer) release(tr *webrtc.RTPTransceiver) {
	p.negMu.Lock()
	after := p.offers // offers up to this one may predate the removal
	p.negMu.Unlock()
	p.mu.Lock()
	p.releasing = append(p.releasing, released{tr: tr, after: after})
	p.mu.Unlock()
}

// answered makes reusable the transceivers whose removal the answer to
// offer number n covers. p.negMu is held.
func (p *Peer) answered(n uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.releasing = slices.DeleteFunc(p.releasing, func(r released) bool {
		if r.after < n {
			p.idle = append(p.idle, r.tr)
			return true
		}
		return false
	})
}

// attachLocked gives d a transceiver: an idle one of its kind, or a new
// one. p.negMu and p.mu are held, so no offer or answer sees the
// transceiver half changed.
func (p *Peer) attachLocked(d *DownTrack) (*webrtc.RTPTransceiver, error) {
	for i, tr := range p.idle {
		if tr.Kind() != d.Kind() {
			continue
		}
		p.idle = slices.Delete(p.idle, i, i+1)
		if tr.Sender() != nil || tr.Direction() != webrtc.RTPTransceiverDirectionRecvonly {
			break // not as it was left (never expected): use a new one
		}
		snd, err := p.e.subAPI.NewRTPSender(d, p.sub.SCTP().Transport())
		if err != nil {
			return nil, err
		}
		// recvonly → sendrecv, with the new sender's SSRC and msid in the
		// next offer.
		if err := tr.SetSender(snd, d); err != nil {
			_ = snd.Stop()
			return nil, err
		}
		return tr, nil
	}
	return p.sub.AddTransceiverFromTrack(d, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
}

// SubscriberTransceivers counts the m-lines of every subscriber connection
// (for /metrics: with reuse it follows the largest number of tracks each
// client received at once, not how many ever came and went).
func (e *Engine) SubscriberTransceivers() int {
	peers := e.peersList()
	n := 0
	for _, p := range peers {
		n += len(p.sub.GetTransceivers())
	}
	return n
}

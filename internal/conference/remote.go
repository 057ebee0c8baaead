package conference

import "github.com/rtcengine/rtcengine/internal/sfu"

// Peer returns the participant's SFU peer, creating it on first use. A
// server-to-server relay (internal/relay) joins a remote node's publisher
// as a participant and feeds its media into this peer with
// sfu.Peer.PublishRemote; the hub then forwards it like a local client's.
func (p *Participant) Peer() (*sfu.Peer, error) {
	if !p.member.Active() {
		return nil, ErrGone
	}
	return p.ensurePeer()
}

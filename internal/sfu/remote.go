package sfu

import (
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Server-to-server links. A node that relays a room's media from another
// node (internal/relay) receives it on a PeerConnection of its own, made
// with NewRelayConnection, and hands each incoming stream to the Peer that
// stands for the remote publisher with PublishRemote. From there the stream
// is an ordinary publisher layer: cached once, fanned out to local
// DownTracks, NACKs answered from the local cache, keyframe requests
// rate-limited and sent back over the link.

// external describes a publisher stream that did not arrive on the Peer's
// own publisher connection.
type external struct {
	streamType trtc.StreamType
	writeRTCP  func([]rtcp.Packet) error
}

// NewRelayConnection returns a PeerConnection for a server-to-server media
// link. It shares the engine's media sockets (one UDP port, ICE-TCP) and
// its receive side: NACK generation, receiver reports and transport-wide CC
// feedback, the codecs and header extensions clients publish with. The
// caller owns it and closes it.
func (e *Engine) NewRelayConnection() (*webrtc.PeerConnection, error) {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return e.pubAPI.NewPeerConnection(webrtc.Configuration{
		BundlePolicy:  webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire,
	})
}

// PublishRemote makes remote, an RTP stream received on a relay connection
// (NewRelayConnection), a layer of one of this Peer's published tracks, as
// if the Peer's client had sent it: st says which (StreamBig or StreamSmall
// of the main video, or StreamSub; ignored for audio). Keyframe requests for
// the layer are written with writeRTCP, normally the relay connection's
// WriteRTCP. The stream is read on a goroutine of the Peer until it ends or
// the Peer closes; the Handler hears OnTrackPublished and
// OnTrackUnpublished as for the client's own tracks.
func (p *Peer) PublishRemote(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver, st trtc.StreamType, writeRTCP func([]rtcp.Packet) error) error {
	if kindOf(remote.Kind()) == KindAudio || !st.Valid() {
		st = trtc.StreamBig
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		p.runTrack(remote, recv, &external{streamType: st, writeRTCP: writeRTCP})
	}()
	return nil
}

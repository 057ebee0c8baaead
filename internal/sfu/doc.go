// Package sfu is rtcengine's selective forwarding unit: it terminates
// clients' WebRTC connections (Pion) and forwards their RTP to each other.
// It is a leaf: it knows Pion and TRTC's stream types, never rooms,
// signaling, HTTP or REST. The room layer decides who receives what; the
// signaling edge carries SDP and candidates; this package moves packets.
//
// # API
//
//	e, err := sfu.NewEngine(sfu.Config{UDPPort: 7882, NodeIPs: []string{ip}})
//	p, err := e.NewPeer("room/alice", handler)      // one per client session
//	answer, err := p.HandlePublisherOffer(ctx, offer) // client → server media
//	err = p.HandleSubscriberAnswer(answer)          // server → client media
//	err = p.AddICECandidate(sfu.TargetPublisher, cand)
//	dt, err := bob.Subscribe(track, sfu.SubscribeOptions{Layer: trtc.StreamSmall})
//	dt.SetLayer(trtc.StreamBig); dt.Mute(true); dt.Close()
//	p.RestartICE()                                  // subscriber connection
//	p.Close(); e.Close()
//
// Events reach the caller through a Handler (embed NopHandler): subscriber
// offers, connection states, tracks published and unpublished, bandwidth
// estimates. They are delivered in order on one goroutine per Peer, without
// SFU locks held, so a Handler may call back into the SFU.
//
// # Two connections per client
//
// Each Peer has a publisher PeerConnection, on which the client always
// offers, and a subscriber PeerConnection, on which the server always
// offers. Offers therefore never collide (no glare) without a "polite peer"
// rule, a client's publishing never waits for other users' tracks to be
// negotiated, and either side can renegotiate at any time. The cost is a
// second ICE/DTLS handshake, a few milliseconds on one UDP port. Subscriber
// offers are serialized: at most one is outstanding, changes made meanwhile
// (subscribes, unsubscribes, ICE restarts) are folded into one new offer
// sent when the answer arrives.
//
// The server's own ICE candidates are always in its SDP (answer and offer):
// all media shares one UDP port (and one ICE-TCP port), gathering is local
// and takes well under a millisecond, so server-side trickle would only add
// messages and an ordering race between the SDP and the candidates. Clients
// trickle theirs with AddICECandidate; candidates that arrive before the
// matching description are held.
//
// # Answering subscribers
//
// A player that cannot take server offers (WHEP) offers once:
// HandleSubscriberOffer answers it on the subscriber connection and makes
// the first receivable audio and video sections fixed slots. Subscribe then
// attaches a track to the slot of its kind (evicting the one it carried)
// and never renegotiates; the tracks that feed a slot in turn share one
// sequence and timestamp space, so the player sees one continuous stream.
//
// # Tracks and stream types
//
// A Peer's incoming RTP streams are grouped into PublishedTracks by source:
// "audio", "video" (TRTC's main stream: a big layer and optionally a small
// one) and "sub" (screen share). The stream type of an incoming stream is,
// in order: a hint given with Peer.SetStreamType for its track id; its
// simulcast RID ("q", "l", "low", "s", "small" are small, anything else
// big); its track id containing "small" (small), "sub" or "screen" (sub);
// otherwise big. So the small stream may be a simulcast encoding of the
// camera track or a second track.
//
// # Forwarding
//
// Every publisher layer has one reader goroutine. For each packet it copies
// the packet into the layer's packet cache (a ring indexed by sequence
// number) and offers the sequence number to each DownTrack of the track,
// read from a copy-on-write slice. A DownTrack that wants the layer puts a
// small item into its subscriber's send queue. Each subscriber connection
// has one send goroutine that takes items in batches, copies the packet out
// of the cache, rewrites it and writes it (SRTP) — so encryption for
// different subscribers runs in parallel, rewriting state needs no locks,
// and nothing on the path allocates. Send queues are bounded: when a
// subscriber falls behind, its oldest items are dropped and counted
// (DownTrackStats.QueueDrops); the publisher's reader never waits.
//
// A DownTrack rewrites SSRC, payload type, sequence numbers, timestamps and
// header extensions so that the subscriber sees one continuous track. It
// moves between big and small only at a keyframe of the new layer (VP8, VP9,
// H.264 and AV1 keyframes are recognized in the payload), asking the new
// layer's publisher for one (PLI), and it never forwards both layers:
// packets of the old layer flow until the switch, none after.
//
// # Loss and congestion
//
// Subscriber NACKs are answered from the packet cache, as RTX (RFC 4588)
// when the subscriber negotiated it, otherwise as plain retransmissions.
// Upstream loss is NACKed to the publisher by Pion's NACK generator, and its
// RTX repairs flow into the cache like any packet. Subscribers' PLI and FIR
// become PLIs to the publisher of the layer they receive, at most one per
// Config.KeyframeInterval per layer. Publishers receive transport-wide CC
// feedback and receiver reports so their encoders adapt.
//
// Each subscriber connection has a bandwidth estimate (loss-based GCC
// controller from receiver reports, capped by REMB) reported through
// Handler.OnBandwidthEstimate. The policy of using it belongs to the room
// layer, which knows whether the app pinned a stream type; we suggest moving
// a subscriber to small when the estimate drops below 1.2 × the big layer's
// measured bitrate (TrackStats deltas) and back when it exceeds 1.5 × it for
// a few seconds.
//
// # Statistics
//
// PublishedTrack.Stats (per layer: packets, bytes, loss, frames, keyframes,
// jitter, keyframe requests) and DownTrack.Stats (packets, bytes, frames,
// NACKs, retransmissions, PLIs, layer switches, drops, and loss, jitter and
// RTT from the subscriber's receiver reports) return plain structs with
// cumulative counters; rates come from the difference of two snapshots.
// PublishedTrack.AudioLevel gives the loudest RFC 6464 audio level since the
// previous call, for OnUserVoiceVolume.
package sfu

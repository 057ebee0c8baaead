// Package relay carries a LIVE room's media between nodes: a room lives on
// its origin node, and edge nodes serve more of its audience (and anchors)
// by mirroring it. An edge pulls each anchor's streams from the origin once,
// over one authenticated server-to-server link per (edge, room), and fans
// them out to its own clients; anchors whose clients reached the edge are
// sent up to the origin over the same link, and from there to the other
// edges. docs/cluster.md ("LIVE rooms across nodes") describes the topology
// and its limits.
//
// # API
//
// The cluster layer decides which node is a room's origin (Redis placement)
// and calls:
//
//	o, _ := relay.NewOrigin(relay.OriginConfig{Secret: secret, Local: local})
//	mux.Handle("GET "+relay.Path, o)           // on every node
//	e, _ := relay.NewEdge(relay.EdgeConfig{Node: "node-2", Secret: secret, Local: local})
//	m, err := e.Pull(ctx, "http://10.0.0.1:8080", roomKey) // on an edge, per room
//	<-m.Done(); m.Err()                        // the link broke: pull again or redirect
//	m.Close(ctx)                               // the room ended or moved
//
// Local is the node's room manager, conference hub and SFU engine.
// internal/server wires it (Server.EnableRelay, Server.PullRoom).
//
// # The link
//
// The edge opens a WebSocket (GET /internal/relay?room=<RoomKey>,
// subprotocol rtcengine-relay.1) authenticated by HMAC-SHA256 over the node
// id, room, timestamp and nonce with the cluster secret (auth.go); the
// origin refuses forged, stale (more than 30 s off) and replayed requests
// with HTTP 401 and TRTC code -70009, and logs them. Its upgrade answer
// tells when the origin's room was created (HeaderRoomCreated, created.go;
// Mirror.OriginCreated), so that the edge reports its users under the
// origin's room. The WebSocket is the
// control channel, the same in both directions (wire.go): anchors' presence
// and availability ("member", "left"), stream announcements ("track") and
// SDP offers and answers.
//
// Media rides WebRTC, not bare RTP: each end has an sfu.Peer whose
// subscriber connection sends its node's streams (DownTracks, so SRTP,
// NACK/RTX repair from the sender's packet cache, keyframe requests
// forwarded and rate-limited, sender reports) and a relay connection
// (sfu.Engine.NewRelayConnection) that receives the other end's, with NACK
// generation and receiver reports. Reusing the SFU's own forwarding path
// gives the hop loss repair and congestion feedback for free, on the media
// port every node already opens, with encryption keyed per link by DTLS;
// bare RTP would need all of that rebuilt and a second port. So a link is
// two PeerConnections, one per direction; the reverse one only carries
// media while the edge has anchors of its own.
//
// Every layer crosses once: a video track's big and small layers are two
// streams (SubscribeOptions.Label), so the edge can switch its subscribers
// between them at keyframes as for local publishers. SEI rides inside the
// video payload. On the receiving end each remote anchor becomes a member
// of the local room (role anchor, client device "relay:<node>", marked
// room.JoinRequest.Mirrored so that only its own node reports it) with an SFU
// peer whose tracks are the received streams (sfu.Peer.PublishRemote):
// local audience see it enter, publish, mute and leave through the ordinary
// room events, subscribe to it like to a local anchor, and have their NACKs
// answered from the edge's own packet cache; their keyframe requests go
// back over the link to the origin publisher, at most one per 500 ms per
// layer at each hop.
package relay

package rtc

import "github.com/rtcengine/rtcengine/internal/proto"

// mediaClient owns a session's publisher and subscriber PeerConnections.
// They outlive signaling links: a resumed session keeps its media.
type mediaClient struct {
	s *roomSession
}

func newMediaClient(s *roomSession) *mediaClient { return &mediaClient{s: s} }

// onConnected runs on the link's reader goroutine after an enter or a
// resume (resumed=true: the server kept our media session; false: a fresh
// enter, media must be negotiated again).
func (m *mediaClient) onConnected(l *link, resumed bool) {}

// onSignal handles sub_offer and candidate events (reader goroutine).
func (m *mediaClient) onSignal(l *link, msg proto.Message) {}

// close releases both PeerConnections.
func (m *mediaClient) close() {}

package rtc

import (
	"net/url"

	"github.com/rtcengine/rtcengine/internal/proto"
)

// In a cluster the node a client reaches may not own its room: it answers
// the enter with proto.CodeRedirect and the owner's signaling URL, and the
// SDK enters again there (docs/cluster.md). The owner's URL is kept for
// resumes; when it cannot be reached, the SDK falls back to the configured
// server, which redirects it again to wherever the room lives then.

// serverURL is where the session's next connection goes (c.mu held or not:
// it takes it).
func (s *roomSession) serverURL() string {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.target != "" {
		return s.target
	}
	return s.c.o.server
}

// redirectTarget decodes a redirect answer; ok is false for a malformed one.
func redirectTarget(m proto.Message) (string, bool) {
	var r proto.Redirect
	if err := proto.DecodeData(m, &r); err != nil {
		return "", false
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return "", false
	}
	return r.URL, true
}

// setTarget records the owner's URL; pending tells run to enter there.
func (s *roomSession) setTarget(u string, pending bool) {
	s.c.mu.Lock()
	s.target = u
	s.redirected = s.redirected || pending
	s.c.mu.Unlock()
}

// takeRedirect reports (once) that the enter was redirected.
func (s *roomSession) takeRedirect() bool {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	r := s.redirected
	s.redirected = false
	return r
}

// dropTarget forgets an owner that could not be reached.
func (s *roomSession) dropTarget() {
	s.c.mu.Lock()
	s.target = ""
	s.c.mu.Unlock()
}

// onRedirect handles a redirect answer to the first enter (reader
// goroutine): the link is closed and run enters at the owner.
func (s *roomSession) onRedirect(l *link, m proto.Message) {
	u, ok := redirectTarget(m)
	s.hops++
	if !ok || s.hops > proto.MaxRedirects {
		if s.end(-1) {
			s.c.fail(ErrCodeEnterRoomFailed, "the server redirected the enter too often or to a bad URL")
		}
		l.closeGracefully()
		return
	}
	s.setTarget(u, true)
	l.closeGracefully()
}

package signaling

import (
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Admission throttles entering: the server backs it with per-IP and per-app
// rate limits (docs/deployment.md). A non-nil error refuses the request with
// ErrServerOverloaded (−100021) and the error's text.
type Admission interface {
	// AdmitEnterFrom is asked for every enter and resume, before the ticket
	// is checked, so that a flood costs no signature checks.
	AdmitEnterFrom(ip string) error
	// AdmitEnterApp is asked for an enter whose ticket is valid, so that
	// nobody can spend an app's budget with made-up tickets.
	AdmitEnterApp(app trtc.SDKAppID) error
}

// ICEProvider hands out the ICE servers (TURN URLs and credentials) of an
// entering user; host is the host name the client used to reach the
// server, "" when unknown.
type ICEProvider interface {
	ICEServers(app trtc.SDKAppID, user trtc.UserID, host string) []proto.ICEServer
}

// hostConn is a Conn that knows the host name its client dialled (the
// WebSocket adapter does, from the Host header).
type hostConn interface {
	Host() string
}

// SetAdmission installs the enter throttles. Call it before serving.
func (s *Server) SetAdmission(a Admission) { s.admission = a }

// SetICE installs the ICE server provider. Call it before serving.
func (s *Server) SetICE(p ICEProvider) { s.ice = p }

func (s *Server) admitEnterFrom(ip string) error {
	if s.admission == nil {
		return nil
	}
	return s.admission.AdmitEnterFrom(ip)
}

func (s *Server) admitEnterApp(app trtc.SDKAppID) error {
	if s.admission == nil {
		return nil
	}
	return s.admission.AdmitEnterApp(app)
}

func (s *Server) iceServers(app trtc.SDKAppID, user trtc.UserID, conn Conn) []proto.ICEServer {
	if s.ice == nil {
		return nil
	}
	host := ""
	if hc, ok := conn.(hostConn); ok {
		host = hc.Host()
	}
	return s.ice.ICEServers(app, user, host)
}

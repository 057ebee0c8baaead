package rtc

import (
	"crypto/tls"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/serial"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Version is the SDK version reported to the server.
const Version = "0.1.0"

// DefaultServer is where a Cloud connects without WithServer: the
// development server of `go run ./cmd/rtcengine`.
const DefaultServer = "ws://127.0.0.1:7880"

type options struct {
	server          string
	connectTimeout  time.Duration
	log             *slog.Logger
	socketBuffer    int           // WithSocketBuffer (socket.go)
	reconnectBudget time.Duration // WithReconnectBudget (reconnect.go)
	icePolicy       ICEPolicy     // WithICEPolicy (reach.go)
	tlsConfig       *tls.Config   // WithTLSConfig (reach.go)
}

// Option configures a Cloud.
type Option func(*options)

// WithServer sets the server's signaling URL: ws://host:port or
// wss://host:port (the /signal path is added when absent).
func WithServer(url string) Option { return func(o *options) { o.server = url } }

// WithConnectTimeout bounds connecting and entering (default 10 s); beyond it
// OnEnterRoom reports ErrCodeConnectServerTimeout.
func WithConnectTimeout(d time.Duration) Option { return func(o *options) { o.connectTimeout = d } }

// WithLogger sets the SDK's logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Cloud is one user's presence in one room (TRTCCloud).
type Cloud struct {
	o    options
	disp *serial.Queue

	mu       sync.Mutex
	listener Listener
	closed   bool
	sess     *roomSession

	// SetDefaultStreamRecvMode, read when entering (guarded by mu).
	recvAudio, recvVideo bool

	mediaState cloudMedia // custom capture and rendering (capture.go)
	msgs       messenger  // custom and SEI messages (message.go, sei.go)
	speed      speedTests // StartSpeedTest (speedtest.go; guarded by mu)
	reach      reachState // TURN servers and their dialer (reach.go)
}

// NewCloud creates an SDK instance.
func NewCloud(opts ...Option) *Cloud {
	o := options{server: DefaultServer, connectTimeout: 10 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	o.server = signalURL(o.server)
	return &Cloud{o: o, disp: serial.New(), listener: BaseListener{}, recvAudio: true, recvVideo: true}
}

func signalURL(s string) string {
	switch {
	case strings.HasPrefix(s, "http://"):
		s = "ws://" + strings.TrimPrefix(s, "http://")
	case strings.HasPrefix(s, "https://"):
		s = "wss://" + strings.TrimPrefix(s, "https://")
	case !strings.Contains(s, "://"):
		s = "ws://" + s
	}
	rest := s[strings.Index(s, "://")+3:]
	if !strings.Contains(rest, "/") {
		s += "/signal"
	}
	return s
}

// SetDefaultStreamRecvMode chooses whether remote audio and video are
// received automatically (the default) or only after MuteRemoteAudio(uid,
// false) / StartRemoteView. Call it before EnterRoom.
func (c *Cloud) SetDefaultStreamRecvMode(autoRecvAudio, autoRecvVideo bool) {
	c.mu.Lock()
	c.recvAudio, c.recvVideo = autoRecvAudio, autoRecvVideo
	c.mu.Unlock()
}

// SetListener sets the callback receiver; nil restores no-op callbacks.
func (c *Cloud) SetListener(l Listener) {
	if l == nil {
		l = BaseListener{}
	}
	c.mu.Lock()
	c.listener = l
	c.mu.Unlock()
}

// emit queues a callback for the dispatcher goroutine.
func (c *Cloud) emit(f func(Listener)) {
	c.disp.Post(func() {
		c.mu.Lock()
		l := c.listener
		c.mu.Unlock()
		f(l)
	})
}

func (c *Cloud) fail(code int, msg string) {
	c.emit(func(l Listener) { l.OnError(code, msg) })
	c.emit(func(l Listener) { l.OnEnterRoom(int64(code)) })
}

// EnterRoom enters a room; the result arrives in OnEnterRoom. Parameters are
// checked before any network (−3316…−3320); a second EnterRoom before
// ExitRoom gets −3340.
func (c *Cloud) EnterRoom(p Params, scene AppScene) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.sess != nil {
		c.fail(ErrCodeEnterRoomRefused, "enterRoom called twice: call ExitRoom and wait for OnExitRoom first")
		return
	}
	if code, msg := validateParams(p, scene); code != 0 {
		c.fail(code, msg)
		return
	}
	s := newRoomSession(c, p, scene)
	c.sess = s
	go s.run()
}

func validateParams(p Params, scene AppScene) (int, string) {
	if p == (Params{}) {
		return ErrCodeRoomParamNull, "enterRoom params are empty"
	}
	if p.SDKAppID == 0 {
		return ErrCodeInvalidSDKAppID, "sdkAppId is 0"
	}
	if _, err := trtc.NewRoomKey(trtc.SDKAppID(p.SDKAppID), uint64(p.RoomID), p.StrRoomID); err != nil {
		return ErrCodeInvalidRoomID, err.Error()
	}
	if err := trtc.ValidateUserID(p.UserID); err != nil {
		return ErrCodeInvalidUserID, err.Error()
	}
	if p.UserSig == "" {
		return ErrCodeInvalidUserSig, "userSig is empty"
	}
	if !trtc.Scene(scene).Valid() {
		return trtc.ErrInvalidParameter, "scene is not one of 0..3"
	}
	if p.Role != 0 && !trtc.Role(p.Role).Valid() {
		return trtc.ErrInvalidParameter, "role is neither RoleAnchor nor RoleAudience"
	}
	return 0, ""
}

// ExitRoom leaves the room; OnExitRoom(0) follows once the server confirmed
// (or could not be reached within 3 s).
func (c *Cloud) ExitRoom() {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		s.exit()
	}
}

// SwitchRole changes role in a live scene; the result arrives in OnSwitchRole.
func (c *Cloud) SwitchRole(role Role) { c.SwitchRoleWithPrivateMapKey(role, "") }

// SwitchRoleWithPrivateMapKey is switchRole(role, privateMapKey): the new key
// is checked when the app enforces privileges.
func (c *Cloud) SwitchRoleWithPrivateMapKey(role Role, privateMapKey string) {
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil {
		c.emit(func(l Listener) { l.OnSwitchRole(trtc.ErrInvalidCommand, "not in a room") })
		return
	}
	s.switchRole(role, privateMapKey)
}

// Close exits any room and releases the instance. Callbacks already queued
// are still delivered; nothing is delivered after them.
func (c *Cloud) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		s.exit()
		select {
		case <-s.done:
		case <-time.After(4 * time.Second):
			s.end(-1)
			<-s.done
		}
	}
	c.StopSpeedTest()
	c.mediaState.raw.close()
	c.disp.Close(true)
}

func terminal() proto.Terminal {
	t := map[string]int{"windows": 1, "android": 2, "ios": 3, "linux": 4}[runtime.GOOS]
	if t == 0 {
		t = 100
	}
	return proto.Terminal{TerminalType: t, UserType: 3, SDKVersion: "rtcengine-go/" + Version, Device: runtime.GOOS + "/" + runtime.GOARCH}
}

// elapsedMs rounds up so that a successful enter never reports 0.
func elapsedMs(since time.Time) int64 {
	d := time.Since(since)
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	if ms < 1 {
		ms = 1
	}
	return ms
}

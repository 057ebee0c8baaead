// Package examplecmd is the logic of the example programs in examples/:
// publish sends media files into a room, record writes what a room sends
// to files. Each command is a function of a context, its arguments and
// where to print, so that the programs are two-line mains and the
// integration tests can run them in-process.
//
// It is example code, public only because test/ cannot import an internal
// package under examples/.
package examplecmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// connFlags are the flags that say where to connect and as whom.
type connFlags struct {
	server   string
	room     string
	user     string
	sdkAppID uint
	key      string
}

func (c *connFlags) register(fs *flag.FlagSet, defaultUser string) {
	fs.StringVar(&c.server, "server", rtc.DefaultServer, "rtcengine server (ws://host:port)")
	fs.StringVar(&c.room, "room", "1234", "room: a number is a RoomID, anything else a StrRoomID")
	fs.StringVar(&c.user, "user", defaultUser, "user ID to enter as")
	fs.UintVar(&c.sdkAppID, "sdkappid", 0, "SDKAppID (with --key; default: ask the dev server's /dev/usersig)")
	fs.StringVar(&c.key, "key", "", "SDKSecretKey to sign the UserSig with (default: ask the dev server's /dev/usersig)")
}

// params builds the enter parameters, signing locally with --key or asking
// a development server for a UserSig.
func (c *connFlags) params(ctx context.Context) (rtc.Params, error) {
	p := rtc.Params{UserID: c.user, Role: rtc.RoleAnchor}
	if id, err := strconv.ParseUint(c.room, 10, 32); err == nil {
		p.RoomID = uint32(id)
	} else {
		p.StrRoomID = c.room
	}
	if c.key != "" {
		if c.sdkAppID == 0 || c.sdkAppID > 1<<32-1 {
			return p, errors.New("--key needs --sdkappid")
		}
		sig, err := usersig.GenUserSig(uint32(c.sdkAppID), c.key, c.user, 86400)
		if err != nil {
			return p, fmt.Errorf("signing a UserSig: %w", err)
		}
		p.SDKAppID, p.UserSig = uint32(c.sdkAppID), sig
		return p, nil
	}
	appID, sig, err := devUserSig(ctx, c.server, c.sdkAppID, c.user)
	if err != nil {
		return p, err
	}
	p.SDKAppID, p.UserSig = appID, sig
	return p, nil
}

// devUserSig asks a server started with --dev for a UserSig.
func devUserSig(ctx context.Context, server string, appID uint, user string) (uint32, string, error) {
	base, err := httpBase(server)
	if err != nil {
		return 0, "", err
	}
	q := url.Values{"userId": {user}}
	if appID != 0 {
		q.Set("sdkAppId", strconv.FormatUint(uint64(appID), 10))
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/dev/usersig?"+q.Encode(), nil)
	if err != nil {
		return 0, "", err
	}
	hint := fmt.Errorf("no UserSig from %s/dev/usersig: start the server with --dev, or give --sdkappid and --key", base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("%w (%v)", hint, err)
	}
	defer resp.Body.Close()
	var out struct {
		SDKAppID uint32 `json:"sdkAppId"`
		UserSig  string `json:"userSig"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil || out.UserSig == "" || out.SDKAppID == 0 {
		return 0, "", fmt.Errorf("%w (HTTP %d)", hint, resp.StatusCode)
	}
	return out.SDKAppID, out.UserSig, nil
}

// httpBase turns the signaling URL into the server's HTTP base URL.
func httpBase(server string) (string, error) {
	s := server
	if !strings.Contains(s, "://") {
		s = "ws://" + s // host:port, as rtc.WithServer accepts
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("bad --server %q", server)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "http"
	case "wss", "https":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("bad --server %q: want ws:// or wss://", server)
	}
	return u.Scheme + "://" + u.Host, nil
}

// printer writes whole lines from any goroutine.
type printer struct {
	mu  sync.Mutex
	w   io.Writer
	tag string
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, p.tag+": "+format+"\n", args...)
}

// session is the listener both commands share: it reports entering,
// leaving and errors, and prints what a user of the example wants to see.
type session struct {
	rtc.BaseListener
	out     *printer
	entered chan int64 // OnEnterRoom's result
	exited  chan int   // OnExitRoom's reason, also when removed by the server
}

func newSession(out *printer) *session {
	return &session{out: out, entered: make(chan int64, 1), exited: make(chan int, 1)}
}

func (s *session) OnEnterRoom(result int64) {
	select {
	case s.entered <- result:
	default:
	}
}

func (s *session) OnExitRoom(reason int) {
	select {
	case s.exited <- reason:
	default:
	}
}

func (s *session) OnError(code int, msg string)   { s.out.printf("error %d: %s", code, msg) }
func (s *session) OnWarning(code int, msg string) { s.out.printf("warning %d: %s", code, msg) }
func (s *session) OnConnectionLost()              { s.out.printf("connection lost") }
func (s *session) OnTryToReconnect()              { s.out.printf("reconnecting") }
func (s *session) OnConnectionRecovery()          { s.out.printf("connection recovered") }

// enter enters the room and waits for the result.
func enter(ctx context.Context, cloud *rtc.Cloud, s *session, p rtc.Params) error {
	cloud.EnterRoom(p, rtc.SceneVideoCall)
	select {
	case r := <-s.entered:
		if r < 0 {
			return fmt.Errorf("entering room %s: error %d", roomName(p), r)
		}
		s.out.printf("in room %s as %s (entered in %d ms)", roomName(p), p.UserID, r)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leave exits the room, waiting (3 s at most) for the server to confirm.
func leave(cloud *rtc.Cloud, s *session) {
	cloud.ExitRoom()
	select {
	case <-s.exited:
	case <-time.After(3 * time.Second):
	}
	cloud.Close()
}

func roomName(p rtc.Params) string {
	if p.RoomID != 0 {
		return strconv.FormatUint(uint64(p.RoomID), 10)
	}
	return p.StrRoomID
}

// parseFlags parses args, printing usage and errors to out.
func parseFlags(fs *flag.FlagSet, args []string, out io.Writer) error {
	fs.SetOutput(out)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return nil
}

package test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/rtc"
)

// Custom messages between Go clients through a real server: round trips,
// every limit, exactly-once in-order delivery across broken connections,
// and missed messages reported when a receiver is cut off too long.

func (r *Recorder) OnRecvCustomCmdMsg(u string, cmd int, seq uint32, msg []byte) {
	r.add("OnRecvCustomCmdMsg", u, cmd, seq, string(msg))
}
func (r *Recorder) OnMissCustomCmdMsg(u string, cmd, code, missed int) {
	r.add("OnMissCustomCmdMsg", u, cmd, code, missed)
}
func (r *Recorder) OnRecvSEIMsg(u string, msg []byte) { r.add("OnRecvSEIMsg", u, string(msg)) }

// received lists what c got from user on cmd as "seq:data".
func (c *Client) received(user string, cmd int) []string {
	var out []string
	for _, e := range c.rec.All() {
		if e.Is("OnRecvCustomCmdMsg", user, cmd) {
			out = append(out, fmt.Sprintf("%v:%v", e.Args[2], e.Args[3]))
		}
	}
	return out
}

// recvCalls counts the OnRecvCustomCmdMsg callbacks c's listener has seen.
// Tests wait on it rather than on MessageStats: the SDK counts a message
// before its callback, which runs on the listener goroutine, has happened.
func (c *Client) recvCalls() uint64 {
	n := uint64(0)
	for _, e := range c.rec.All() {
		if e.Name == "OnRecvCustomCmdMsg" {
			n++
		}
	}
	return n
}

// missed sums what c was told it missed from user on cmd.
func (c *Client) missed(user string, cmd int) int {
	n := 0
	for _, e := range c.rec.All() {
		if e.Is("OnMissCustomCmdMsg", user, cmd) {
			n += e.Args[3].(int)
		}
	}
	return n
}

func numbered(from, to int, data func(int) string) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%d:%s", i, data(i)))
	}
	return out
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%s:\n got %d %.300v\nwant %d %.300v", what, len(got), got, len(want), want)
	}
}

func TestCustomMessageRoundTrip(t *testing.T) {
	e := NewEnv(t)
	alice := e.Join("alice", 8001, rtc.SceneVideoCall, 0)
	bob := e.Join("bob", 8001, rtc.SceneVideoCall, 0)
	carol := e.Join("carol", 8001, rtc.SceneVideoCall, 0)
	alice.Wait("OnRemoteUserEnterRoom", "carol")

	binary := string([]byte{0, 1, 2, 0, 0, 0xff})
	for _, m := range []struct {
		cmd  int
		data string
	}{{1, "hello"}, {1, "world"}, {2, binary}} {
		if !alice.SendCustomCmdMsg(m.cmd, []byte(m.data), true, true) {
			t.Fatalf("SendCustomCmdMsg(%d, %q) refused", m.cmd, m.data)
		}
	}
	for _, c := range []*Client{bob, carol} {
		c.Wait("OnRecvCustomCmdMsg", "alice", 1, 1, "hello")
		c.Wait("OnRecvCustomCmdMsg", "alice", 1, 2, "world")
		c.Wait("OnRecvCustomCmdMsg", "alice", 2, 1, binary)
	}
	if !bob.SendCustomCmdMsg(10, []byte("reply"), false, false) {
		t.Fatal("unreliable message refused")
	}
	alice.Wait("OnRecvCustomCmdMsg", "bob", 10, 1, "reply")
	carol.Wait("OnRecvCustomCmdMsg", "bob", 10, 1, "reply")
	alice.Never(0, "OnRecvCustomCmdMsg", "alice")
	bob.Never(0, "OnRecvCustomCmdMsg", "bob")
	waitFor(t, waitTimeout, "acknowledgements", func() bool { return alice.MessageStats().Sent == 3 })
	if st := carol.MessageStats(); st.Received != 4 || st.Missed != 0 || st.Duplicates != 0 {
		t.Fatalf("carol's stats %+v", st)
	}
}

func TestCustomMessageRoles(t *testing.T) {
	e := NewEnv(t)
	anchor := e.Join("anchor", 8002, rtc.SceneLive, rtc.RoleAnchor)
	viewer := e.Join("viewer", 8002, rtc.SceneLive, rtc.RoleAudience)
	// The audience receives...
	anchor.SendCustomCmdMsg(1, []byte("to all"), true, true)
	viewer.Wait("OnRecvCustomCmdMsg", "anchor", 1, 1, "to all")
	// ...but does not send: refused by the SDK, and by the server too.
	if viewer.SendCustomCmdMsg(1, []byte("me too"), true, true) {
		t.Fatal("audience message accepted")
	}
	if n := viewer.MessageStats().Refused[rtc.WarnCodeAudienceCannotSend]; n != 1 {
		t.Fatalf("refusals counted: %d", n)
	}
	raw := e.rawEnterAs("lurker", 8002, rtc.SceneLive, rtc.RoleAudience)
	if m := raw.request(proto.TypeCustomMsg, proto.CustomMsgRequest{CmdID: 1, Data: []byte("x"), Reliable: true, Ordered: true}); m.Code != 6001 {
		t.Fatalf("server answered an audience message with %d %q", m.Code, m.Msg)
	}
	// Once an anchor, it sends.
	viewer.SwitchRole(rtc.RoleAnchor)
	viewer.Wait("OnSwitchRole", 0)
	if !viewer.SendCustomCmdMsg(1, []byte("now I can"), true, true) {
		t.Fatal("refused after switching to anchor")
	}
	anchor.Wait("OnRecvCustomCmdMsg", "viewer", 1, 1, "now I can")
	anchor.Never(0, "OnRecvCustomCmdMsg", "viewer", 1, 1, "me too")
}

// rawEnterAs enters a room by hand, with a scene and role.
func (e *Env) rawEnterAs(user string, room uint32, scene rtc.AppScene, role rtc.Role) *rawClient {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.Srv.SignalURL(), &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ws.CloseNow() })
	c := &rawClient{t: e.t, ws: ws}
	if m := c.request(proto.TypeEnter, proto.EnterRequest{SDKAppID: appID, UserID: user, UserSig: e.Sig(user), RoomID: uint64(room), Scene: int(scene), Role: int(role)}); m.Code != 0 {
		e.t.Fatalf("raw enter: %d %s", m.Code, m.Msg)
	}
	return c
}

func TestCustomMessageLimits(t *testing.T) {
	e := NewEnv(t)
	outside := e.NewClient("outside", e.Srv.SignalURL())
	if outside.SendCustomCmdMsg(1, []byte("x"), true, true) {
		t.Fatal("accepted outside a room")
	}
	if n := outside.MessageStats().Refused[rtc.ErrCodeNotInRoom]; n != 1 {
		t.Fatalf("not-in-room refusals %d", n)
	}

	alice := e.Join("alice", 8003, rtc.SceneVideoCall, 0)
	bob := e.Join("bob", 8003, rtc.SceneVideoCall, 0)
	kilo := bytes.Repeat([]byte{'k'}, rtc.MaxCustomMsgBytes)
	for _, bad := range []struct {
		name     string
		cmd      int
		data     []byte
		rel, ord bool
	}{
		{"cmdID 0", 0, []byte("x"), true, true},
		{"cmdID 11", 11, []byte("x"), true, true},
		{"empty", 1, nil, true, true},
		{"1001 bytes", 1, append(kilo, 'k'), true, true},
		{"reliable but unordered", 1, []byte("x"), true, false},
	} {
		if alice.SendCustomCmdMsg(bad.cmd, bad.data, bad.rel, bad.ord) {
			t.Fatalf("%s: accepted", bad.name)
		}
	}
	if n := alice.MessageStats().Refused[rtc.ErrCodeInvalidParameter]; n != 5 {
		t.Fatalf("invalid-parameter refusals %d", n)
	}

	// 30 messages a second: a burst of 31 loses its last.
	ok := 0
	for i := range 31 {
		if alice.SendCustomCmdMsg(1+i%10, []byte{byte(i)}, true, true) {
			ok++
		}
	}
	if ok != rtc.MaxCustomMsgsPerSecond {
		t.Fatalf("%d of 31 accepted", ok)
	}
	// 8000 bytes a second: eight 1000-byte messages fit, a ninth does not.
	carol := e.Join("carol", 8003, rtc.SceneVideoCall, 0)
	ok = 0
	for range 9 {
		if carol.SendCustomCmdMsg(3, kilo, true, true) {
			ok++
		}
	}
	if ok != 8 {
		t.Fatalf("%d of 9 kilobytes accepted", ok)
	}
	if a, c := alice.MessageStats().Refused[rtc.ErrCodeRefused], carol.MessageStats().Refused[rtc.ErrCodeRefused]; a != 1 || c != 1 {
		t.Fatalf("over-budget refusals: alice %d, carol %d", a, c)
	}
	// Exactly what was accepted arrives.
	waitFor(t, waitTimeout, "every accepted message", func() bool { return bob.recvCalls() == 38 })
	bob.Never(200*time.Millisecond, "OnMissCustomCmdMsg")
	if got := bob.MessageStats().Received; got != 38 {
		t.Fatalf("bob received %d", got)
	}
}

// lossyPath is a TCP relay between clients and the server that loses a
// share of the chunks the server sends toward the client. A TCP stream
// cannot lose bytes and carry on, so each loss also cuts the connection, as
// TCP ends a connection whose path keeps losing: the client notices,
// reconnects and resumes its session. At 20 % a connection rarely carries
// more than a handful of frames before it breaks.
type lossyPath struct {
	ln     net.Listener
	target string
	cuts   atomic.Int64

	mu    sync.Mutex
	rng   *rand.Rand
	loss  float64
	conns []net.Conn
	wg    sync.WaitGroup
}

func newLossyPath(t *testing.T, target string, seed uint64) *lossyPath {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &lossyPath{ln: ln, target: target, rng: rand.New(rand.NewPCG(seed, seed))}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *lossyPath) URL() string { return "ws://" + p.ln.Addr().String() + "/signal" }

func (p *lossyPath) setLoss(loss float64) {
	p.mu.Lock()
	p.loss = loss
	p.mu.Unlock()
}

func (p *lossyPath) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { // client → server: lossless
			defer p.wg.Done()
			_, _ = io.Copy(s, c)
			s.Close()
			c.Close()
		}()
		go func() { // server → client: lossy
			defer p.wg.Done()
			defer c.Close()
			defer s.Close()
			buf := make([]byte, 16<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					p.mu.Lock()
					lost := p.rng.Float64() < p.loss
					p.mu.Unlock()
					if lost {
						p.cuts.Add(1)
						return
					}
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

func (p *lossyPath) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// sendPaced sends n messages from c at the full budget, alternating
// commands 1 and 2, message i carrying "m<i>". It returns how many went on
// each command.
func sendPaced(t *testing.T, c *Client, n int) [3]int {
	t.Helper()
	var per [3]int
	tick := time.NewTicker(time.Second / rtc.MaxCustomMsgsPerSecond)
	defer tick.Stop()
	for i := 0; i < n; {
		cmd := 1 + i%2
		if c.SendCustomCmdMsg(cmd, []byte(fmt.Sprintf("m%d", per[cmd]+1)), true, true) {
			per[cmd]++
			i++
			continue
		}
		<-tick.C // over the budget: wait for it to refill
	}
	return per
}

// TestCustomMessageExactlyOnceUnderLoss: bob's path from the server loses
// 20 % of what it carries, which breaks his connection every few frames;
// he still gets every message of alice's, once, in order.
func TestCustomMessageExactlyOnceUnderLoss(t *testing.T) {
	e := NewEnv(t)
	path := newLossyPath(t, e.Srv.Addr(), 20)
	alice := e.Join("alice", 8004, rtc.SceneVideoCall, 0)
	bob := e.NewClient("bob", path.URL())
	bob.EnterRoom(e.Params("bob", 8004, 0), rtc.SceneVideoCall)
	if r := bob.WaitEnter(); r <= 0 {
		t.Fatalf("bob: OnEnterRoom(%d)", r)
	}
	alice.Wait("OnRemoteUserEnterRoom", "bob")

	path.setLoss(0.2)
	const n = 150
	per := sendPaced(t, alice, n)
	waitFor(t, 30*time.Second, "bob receiving every message", func() bool { return bob.recvCalls() >= n })
	path.setLoss(0)

	for cmd := 1; cmd <= 2; cmd++ {
		sameList(t, fmt.Sprintf("bob's messages on cmd %d", cmd), bob.received("alice", cmd),
			numbered(1, per[cmd], func(i int) string { return fmt.Sprintf("m%d", i) }))
	}
	bob.Never(0, "OnMissCustomCmdMsg")
	cuts := path.cuts.Load()
	if cuts < 5 {
		t.Fatalf("only %d losses: the path did not lose enough", cuts)
	}
	t.Logf("%d connections broken, %d resumes, %d duplicates dropped", cuts,
		len(filter(bob.rec.All(), "OnConnectionRecovery")), bob.MessageStats().Duplicates)
}

// TestCustomMessageSenderResume: the sender's connection breaks while
// messages are in flight; they go out again on the resumed connection and
// arrive once each, in order.
func TestCustomMessageSenderResume(t *testing.T) {
	e := NewEnv(t, shortDrop(10*time.Second))
	proxy := NewProxy(t, e.Srv.Addr())
	bob := e.Join("bob", 8005, rtc.SceneVideoCall, 0)
	alice := e.JoinVia(proxy, "alice", 8005)
	bob.Wait("OnRemoteUserEnterRoom", "alice")

	sent := 0
	send := func(k int) {
		for range k {
			sent++
			if !alice.SendCustomCmdMsg(4, []byte(fmt.Sprintf("m%d", sent)), true, true) {
				t.Fatalf("message %d refused", sent)
			}
		}
	}
	send(20)
	proxy.Cut() // some of the 20 are in flight
	alice.Wait("OnConnectionLost")
	send(5) // queued while reconnecting
	alice.Wait("OnConnectionRecovery")
	waitFor(t, waitTimeout, "acknowledgements", func() bool { return alice.MessageStats().Sent == 25 })
	// A frozen path: the messages wait, unacknowledged, until heartbeats
	// declare it dead and the session resumes on a new connection.
	proxy.Freeze()
	send(5)
	alice.Wait("OnConnectionLost")
	proxy.Thaw()
	alice.Wait("OnConnectionRecovery")
	waitFor(t, waitTimeout, "every message", func() bool { return bob.recvCalls() >= 30 })
	waitFor(t, waitTimeout, "acknowledgements", func() bool { return alice.MessageStats().Sent == 30 })
	sameList(t, "bob's messages", bob.received("alice", 4), numbered(1, 30, func(i int) string { return fmt.Sprintf("m%d", i) }))
	bob.Never(200*time.Millisecond, "OnMissCustomCmdMsg")
	if st := alice.MessageStats(); len(st.Refused) != 0 {
		t.Fatalf("alice's refusals %v", st.Refused)
	}
}

// TestCustomMessageMissWhenCutOff: bob is cut off while alice sends more
// than the room keeps (message_log 10); back within the drop timeout he is
// told what he missed, then gets the rest.
func TestCustomMessageMissWhenCutOff(t *testing.T) {
	e := NewEnv(t, shortDrop(20*time.Second), func(c *config.Config) { c.Limits.MessageLog = 10 })
	proxy := NewProxy(t, e.Srv.Addr())
	alice := e.Join("alice", 8006, rtc.SceneVideoCall, 0)
	carol := e.Join("carol", 8006, rtc.SceneVideoCall, 0)
	bob := e.JoinVia(proxy, "bob", 8006)
	alice.Wait("OnRemoteUserEnterRoom", "bob")

	proxy.Block(true)
	proxy.Cut()
	bob.Wait("OnConnectionLost")
	// The server has let go of bob's connection once it counts two.
	waitFor(t, waitTimeout, "the server noticing", func() bool {
		return strings.Contains(get(t, e.Srv.URL()+"/healthz"), `"connections":2`)
	})
	for i := 1; i <= 25; i++ {
		alice.SendCustomCmdMsg(1, []byte(fmt.Sprintf("m%d", i)), true, true)
	}
	waitFor(t, waitTimeout, "carol receiving them", func() bool { return carol.recvCalls() == 25 })
	proxy.Block(false)
	bob.Wait("OnConnectionRecovery")
	bob.Wait("OnMissCustomCmdMsg", "alice", 1, -1, 15)
	waitFor(t, waitTimeout, "the last ten", func() bool { return bob.recvCalls() == 10 })
	sameList(t, "bob's messages", bob.received("alice", 1), numbered(16, 25, func(i int) string { return fmt.Sprintf("m%d", i) }))
	if m := bob.missed("alice", 1); m != 15 {
		t.Fatalf("bob was told of %d missed", m)
	}
}

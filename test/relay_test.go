package test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/rtc"
)

// A lossy path for one client's subscriber connection, without touching
// the SDK or the server: the client signals through a SignalRewriter that
// points the server's subscriber-side ICE candidates at a LossyRelay and
// withholds the client's own, so the only working path for that
// connection is through the relay (the server learns the relay's address
// as a peer-reflexive candidate). The publisher connection is untouched.

// LossyRelay forwards UDP between clients and the server's media port,
// dropping a settable share of the datagrams in each direction at random.
type LossyRelay struct {
	t      *testing.T
	conn   *net.UDPConn // where clients send
	server *net.UDPAddr
	drop   atomic.Uint32 // per mille, client → server
	dropDn atomic.Uint32 // per mille, server → client

	mu      sync.Mutex
	peers   map[string]*net.UDPConn // client address → socket toward the server
	closed  bool
	wg      sync.WaitGroup
	dropped atomic.Uint64
	passed  atomic.Uint64
}

func NewLossyRelay(t *testing.T, server *net.UDPAddr) *LossyRelay {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20)
	r := &LossyRelay{t: t, conn: c, server: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: server.Port}, peers: map[string]*net.UDPConn{}}
	r.wg.Add(1)
	go r.fromClients()
	t.Cleanup(r.Close)
	return r
}

// Addr is the address clients are sent to.
func (r *LossyRelay) Addr() *net.UDPAddr { return r.conn.LocalAddr().(*net.UDPAddr) }

// SetLoss sets the share of datagrams dropped in each direction (0..1).
func (r *LossyRelay) SetLoss(f float64) {
	r.drop.Store(uint32(f * 1000))
	r.dropDn.Store(uint32(f * 1000))
}

// SetDownLoss sets the share dropped from the server to clients only, so
// that the clients' RTCP feedback still arrives whole.
func (r *LossyRelay) SetDownLoss(f float64) { r.drop.Store(0); r.dropDn.Store(uint32(f * 1000)) }

// Stats returns the datagrams dropped and passed so far.
func (r *LossyRelay) Stats() (dropped, passed uint64) { return r.dropped.Load(), r.passed.Load() }

func (r *LossyRelay) lose() bool { return r.loseAt(&r.drop) }

func (r *LossyRelay) loseAt(perMille *atomic.Uint32) bool {
	if rand.Uint32N(1000) < perMille.Load() {
		r.dropped.Add(1)
		return true
	}
	r.passed.Add(1)
	return false
}

func (r *LossyRelay) fromClients() {
	defer r.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		up := r.peer(from)
		if up == nil || r.lose() {
			continue
		}
		_, _ = up.Write(buf[:n])
	}
}

// peer returns the socket that carries a client's datagrams to the server,
// creating it (and its return path) for a new client address.
func (r *LossyRelay) peer(client *net.UDPAddr) *net.UDPConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if up := r.peers[client.String()]; up != nil {
		return up
	}
	up, err := net.DialUDP("udp4", nil, r.server)
	if err != nil {
		return nil
	}
	_ = up.SetReadBuffer(4 << 20)
	r.peers[client.String()] = up
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 1500)
		for {
			n, err := up.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue // ICMP port unreachable after the client left
			}
			if !r.loseAt(&r.dropDn) {
				_, _ = r.conn.WriteToUDP(buf[:n], client)
			}
		}
	}()
	return up
}

func (r *LossyRelay) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.conn.Close()
	for _, up := range r.peers {
		up.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// SignalRewriter is a WebSocket proxy for the signaling protocol that
// routes the client's subscriber connection through relay.
type SignalRewriter struct {
	srv    *httptest.Server
	target string
	relay  *net.UDPAddr
}

func NewSignalRewriter(t *testing.T, target string, relay *net.UDPAddr) *SignalRewriter {
	p := &SignalRewriter{target: target, relay: relay}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's signaling URL.
func (p *SignalRewriter) URL() string { return "ws://" + p.srv.Listener.Addr().String() + "/signal" }

func (p *SignalRewriter) serve(w http.ResponseWriter, r *http.Request) {
	client, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		return
	}
	defer client.CloseNow()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	server, _, err := websocket.Dial(ctx, p.target, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		return
	}
	defer server.CloseNow()
	client.SetReadLimit(1 << 20)
	server.SetReadLimit(1 << 20)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); defer cancel(); p.pump(ctx, server, client, true) }()
	go func() { defer wg.Done(); defer cancel(); p.pump(ctx, client, server, false) }()
	wg.Wait()
}

func (p *SignalRewriter) pump(ctx context.Context, dst, src *websocket.Conn, fromClient bool) {
	for {
		typ, data, err := src.Read(ctx)
		if err != nil {
			return
		}
		if typ == websocket.MessageText {
			if data = p.rewrite(data, fromClient); data == nil {
				continue
			}
		}
		if err := dst.Write(ctx, typ, data); err != nil {
			return
		}
	}
}

// rewrite changes one frame; nil drops it.
func (p *SignalRewriter) rewrite(frame []byte, fromClient bool) []byte {
	msg, err := proto.Decode(frame)
	if err != nil {
		return frame
	}
	switch {
	case msg.Type == proto.TypeCandidate:
		var c proto.Candidate
		if json.Unmarshal(msg.Data, &c) != nil || c.Target != proto.TargetSub {
			return frame
		}
		if fromClient {
			return nil // the server must not reach the client directly
		}
		c.Candidate = p.relayCandidate(c.Candidate)
		return proto.MustEncode(msg.Type, msg.ID, msg.Code, msg.Msg, c)
	case msg.Type == proto.TypeSubOffer && !fromClient, msg.Type == proto.TypeSubAnswer && fromClient:
		var s proto.SDP
		if json.Unmarshal(msg.Data, &s) != nil {
			return frame
		}
		var out []string
		for _, line := range strings.Split(s.SDP, "\r\n") {
			if strings.HasPrefix(line, "a=candidate:") {
				if fromClient {
					continue
				}
				line = "a=" + p.relayCandidate(strings.TrimPrefix(line, "a="))
			}
			out = append(out, line)
		}
		s.SDP = strings.Join(out, "\r\n")
		return proto.MustEncode(msg.Type, msg.ID, msg.Code, msg.Msg, s)
	}
	return frame
}

// relayCandidate points a UDP candidate ("candidate:f 1 udp prio ip port
// typ host …") at the relay; others are unusable by our UDP-only clients
// anyway.
func (p *SignalRewriter) relayCandidate(c string) string {
	f := strings.Fields(c)
	if len(f) < 6 || !strings.EqualFold(f[2], "udp") {
		return c
	}
	f[4], f[5] = p.relay.IP.String(), strconv.Itoa(p.relay.Port)
	return strings.Join(f, " ")
}

// relayedPair enters alice directly and bob through a SignalRewriter, so
// that bob's subscriber media runs through the returned relay; bob renders
// alice's VP8 into the returned sink.
func (e *Env) relayedPair(room uint32) (alice, bob *Client, relay *LossyRelay, s *sink) {
	e.t.Helper()
	relay = NewLossyRelay(e.t, e.Srv.MediaAddr())
	sig := NewSignalRewriter(e.t, e.Srv.SignalURL(), relay.Addr())
	alice = e.Join("alice", room, rtc.SceneVideoCall, rtc.RoleAnchor)
	bob = e.NewClient("bob", sig.URL())
	bob.EnterRoom(e.Params("bob", room, rtc.RoleAnchor), rtc.SceneVideoCall)
	if r := bob.WaitEnter(); r <= 0 {
		e.t.Fatalf("bob: OnEnterRoom(%d)", r)
	}
	s = newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	return alice, bob, relay, s
}

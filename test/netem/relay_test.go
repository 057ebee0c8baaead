package netem

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
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/proto"
)

// The kernel has no netem, so delay, jitter and reordering come from a
// userspace relay: a client signals through a Rewriter that points every
// UDP candidate of the server at a DelayRelay and withholds the client's
// own (and the server's TCP ones), so the client's only media path runs
// through the relay, which forwards to the server's media port across the
// link. The server learns the relay's addresses as peer-reflexive
// candidates.

// Impairment is what the relay does to each datagram in one direction.
type Impairment struct {
	Delay     time.Duration // base one-way delay
	Jitter    time.Duration // each datagram's delay varies uniformly by ±Jitter
	Reorder   float64       // share of datagrams held back by ReorderBy more
	ReorderBy time.Duration
}

// DelayRelay forwards UDP between clients and the server's media port,
// delaying each datagram as its Impairment says.
type DelayRelay struct {
	conn   *net.UDPConn // where clients send
	server *net.UDPAddr

	mu     sync.Mutex
	up     Impairment // client → server
	down   Impairment // server → client
	peers  map[string]*net.UDPConn
	closed bool
	wg     sync.WaitGroup
	timers sync.WaitGroup // datagrams in flight
	stats  struct{ forwarded, reordered int }
}

// NewDelayRelay listens on the test's side of the link.
func NewDelayRelay(t testing.TB, bind net.IP, server *net.UDPAddr) *DelayRelay {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: bind})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20)
	_ = c.SetWriteBuffer(4 << 20)
	r := &DelayRelay{conn: c, server: server, peers: map[string]*net.UDPConn{}}
	r.wg.Add(1)
	go r.fromClients()
	t.Cleanup(r.Close)
	return r
}

// Addr is the address clients are sent to.
func (r *DelayRelay) Addr() *net.UDPAddr { return r.conn.LocalAddr().(*net.UDPAddr) }

// Set changes the impairment of both directions.
func (r *DelayRelay) Set(i Impairment) {
	r.mu.Lock()
	r.up, r.down = i, i
	r.mu.Unlock()
}

// Forwarded returns how many datagrams went through, and how many of them
// were held back to be reordered.
func (r *DelayRelay) Forwarded() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats.forwarded, r.stats.reordered
}

// forward sends b with dir's delay.
func (r *DelayRelay) forward(b []byte, up bool, send func([]byte)) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	imp := r.down
	if up {
		imp = r.up
	}
	d := imp.Delay
	if imp.Jitter > 0 {
		d += time.Duration(rand.Int64N(int64(2*imp.Jitter+1))) - imp.Jitter
	}
	if imp.Reorder > 0 && rand.Float64() < imp.Reorder {
		d += imp.ReorderBy
		r.stats.reordered++
	}
	r.stats.forwarded++
	if d <= 0 {
		r.mu.Unlock()
		send(b)
		return
	}
	r.timers.Add(1)
	r.mu.Unlock()
	p := append([]byte(nil), b...)
	time.AfterFunc(d, func() {
		defer r.timers.Done()
		send(p)
	})
}

func (r *DelayRelay) fromClients() {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		up := r.peer(from)
		if up == nil {
			continue
		}
		r.forward(buf[:n], true, func(b []byte) { _, _ = up.Write(b) })
	}
}

// peer returns the socket that carries a client address's datagrams to
// the server, creating it and its return path on first use.
func (r *DelayRelay) peer(client *net.UDPAddr) *net.UDPConn {
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
		buf := make([]byte, 2048)
		for {
			n, err := up.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue // ICMP errors
			}
			r.forward(buf[:n], false, func(b []byte) { _, _ = r.conn.WriteToUDP(b, client) })
		}
	}()
	return up
}

// Close stops the relay; datagrams still delayed are dropped.
func (r *DelayRelay) Close() {
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
	r.timers.Wait()
}

// Rewriter is a signaling proxy that routes a client's media through a
// relay.
type Rewriter struct {
	srv    *httptest.Server
	target string
	relay  *net.UDPAddr
}

// NewRewriter proxies to the server's signaling URL target.
func NewRewriter(t testing.TB, target string, relay *net.UDPAddr) *Rewriter {
	p := &Rewriter{target: target, relay: relay}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the proxy's signaling URL.
func (p *Rewriter) URL() string { return "ws://" + p.srv.Listener.Addr().String() + "/signal" }

func (p *Rewriter) serve(w http.ResponseWriter, r *http.Request) {
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

func (p *Rewriter) pump(ctx context.Context, dst, src *websocket.Conn, fromClient bool) {
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
func (p *Rewriter) rewrite(frame []byte, fromClient bool) []byte {
	msg, err := proto.Decode(frame)
	if err != nil {
		return frame
	}
	if msg.Type == proto.TypeCandidate {
		if fromClient {
			return nil // the server must not reach the client directly
		}
		var c proto.Candidate
		if json.Unmarshal(msg.Data, &c) != nil {
			return frame
		}
		if c.Candidate = p.candidate(c.Candidate); c.Candidate == "" {
			return nil
		}
		return proto.MustEncode(msg.Type, msg.ID, msg.Code, msg.Msg, c)
	}
	// Any frame carrying an SDP: offers, answers and the responses that
	// carry answers.
	var s struct {
		SDP string `json:"sdp"`
	}
	if len(msg.Data) == 0 || json.Unmarshal(msg.Data, &s) != nil || s.SDP == "" {
		return frame
	}
	var lines []string
	for _, line := range strings.Split(s.SDP, "\r\n") {
		if c, ok := strings.CutPrefix(line, "a="); ok && strings.HasPrefix(c, "candidate:") {
			if fromClient {
				continue
			}
			if c = p.candidate(c); c == "" {
				continue
			}
			line = "a=" + c
		}
		lines = append(lines, line)
	}
	var data map[string]any
	_ = json.Unmarshal(msg.Data, &data)
	data["sdp"] = strings.Join(lines, "\r\n")
	return proto.MustEncode(msg.Type, msg.ID, msg.Code, msg.Msg, data)
}

// candidate points a server UDP candidate ("candidate:f 1 udp prio ip port
// typ host …") at the relay; other candidates are dropped ("").
func (p *Rewriter) candidate(c string) string {
	f := strings.Fields(c)
	if len(f) < 6 || !strings.EqualFold(f[2], "udp") || strings.Contains(f[4], ":") {
		return ""
	}
	f[4], f[5] = p.relay.IP.String(), strconv.Itoa(p.relay.Port)
	return strings.Join(f, " ")
}

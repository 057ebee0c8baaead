package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// EdgeConfig configures an Edge.
type EdgeConfig struct {
	// Node is this node's id, sent to origins (1..MaxNodeIDLen of
	// [A-Za-z0-9._-]).
	Node string
	// Secret is the cluster secret (at least MinSecretLen bytes).
	Secret []byte
	// Local is this node's rooms, hub and SFU.
	Local Local
	// HTTPClient dials origins; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock for request timestamps; nil means time.Now.
	Now func() time.Time
}

// Edge pulls rooms from their origins.
type Edge struct {
	cfg EdgeConfig
}

// NewEdge checks cfg and returns an Edge.
func NewEdge(cfg EdgeConfig) (*Edge, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, ErrNoSecret
	}
	if err := ValidateNodeID(cfg.Node); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Secret = append([]byte(nil), cfg.Secret...)
	return &Edge{cfg: cfg}, nil
}

// RefusedError is an origin's refusal of a relay request.
type RefusedError struct {
	Status  int    // HTTP status
	Code    int    // TRTC code
	Message string // the origin's message
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("relay: origin refused (HTTP %d, code %d): %s", e.Status, e.Code, e.Message)
}

// Pull opens a link to the origin at originURL (its base HTTP URL, such as
// "http://10.0.0.1:8080") for room key and starts mirroring: the origin's
// publishers become members of the local room, their streams published on
// this node; this node's own publishers in the room are sent to the origin.
// ctx bounds the dial only; the Mirror runs until Close or until the link
// breaks (Done).
func (e *Edge) Pull(ctx context.Context, originURL string, key trtc.RoomKey) (*Mirror, error) {
	u, err := url.Parse(originURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("relay: origin URL %q is not http(s)://host", originURL)
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = Path
	u.RawQuery = url.Values{"room": {key.String()}}.Encode()
	ws, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient:   e.cfg.HTTPClient,
		HTTPHeader:   signHeaders(e.cfg.Secret, e.cfg.Node, key, e.cfg.Now()),
		Subprotocols: []string{Subprotocol},
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, refusal(resp)
		}
		return nil, fmt.Errorf("relay: dial %s: %w", u.Host, err)
	}
	if ws.Subprotocol() != Subprotocol {
		ws.Close(websocket.StatusPolicyViolation, "use subprotocol "+Subprotocol)
		return nil, fmt.Errorf("relay: origin %s does not speak %s", u.Host, Subprotocol)
	}
	m := &Mirror{done: make(chan struct{})}
	if resp != nil {
		m.created, _ = parseRoomCreated(resp.Header.Get(HeaderRoomCreated)) // created.go
	}
	m.l = newLink(context.Background(), e.cfg.Local, key, u.Host, ws)
	go func() {
		err := m.l.run()
		m.mu.Lock()
		m.err = err
		m.mu.Unlock()
		close(m.done)
	}()
	return m, nil
}

// refusal reads an origin's error answer.
func refusal(resp *http.Response) error {
	e := &RefusedError{Status: resp.StatusCode}
	if resp.Body != nil {
		var body struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if json.Unmarshal(b, &body) == nil {
			e.Code, e.Message = body.Code, body.Message
		}
	}
	return e
}

// Mirror is an edge's copy of one room of an origin.
type Mirror struct {
	l       *link
	done    chan struct{}
	created time.Time // the origin's room, zero if unknown (OriginCreated)
	mu      sync.Mutex
	err     error
}

// Done is closed when the link has ended and everything it mirrored is gone.
func (m *Mirror) Done() <-chan struct{} { return m.done }

// Err reports why the link ended (nil for a normal close); valid after Done.
func (m *Mirror) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Stats reports the link's counters.
func (m *Mirror) Stats() LinkStats { return m.l.stats() }

// Close ends the link, removes the mirrored publishers from the local room
// and waits for that (bounded by ctx).
func (m *Mirror) Close(ctx context.Context) error {
	m.l.close()
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("relay: closing mirror: %w", ctx.Err())
	}
}

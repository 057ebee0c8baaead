package server

import (
	"context"
	"net"
	"net/http"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/signaling"
)

// wsConn adapts a WebSocket to signaling.Conn.
type wsConn struct {
	ws   *websocket.Conn
	ip   string
	host string    // the Host the client dialled: TURN URLs name it (reach.go)
	held *heldConn // batches writes (wsbatch.go); nil: write each frame
}

func (c *wsConn) Read(ctx context.Context) ([]byte, bool, error) {
	typ, data, err := c.ws.Read(ctx)
	return data, typ == websocket.MessageText, err
}

func (c *wsConn) Write(ctx context.Context, data []byte) error {
	return c.ws.Write(ctx, websocket.MessageText, data)
}

func (c *wsConn) Close(code int, reason string) error {
	return c.ws.Close(websocket.StatusCode(code), reason)
}

func (c *wsConn) RemoteIP() string { return c.ip }

var _ signaling.Conn = (*wsConn)(nil)

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

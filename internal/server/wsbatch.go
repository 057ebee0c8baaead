package server

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// The WebSocket library flushes every message with its own system call. A
// signaling session often has many frames queued at once (a room relaying
// custom messages at TRTC's full rate sends a receiver one frame per
// message), so its writer holds the connection's writes while it writes a
// batch and sends them with one call (signaling.BatchConn).

// heldConn is a net.Conn whose writes can be held and sent together.
// Writes from other goroutines while held (the library's control frames)
// are held too; whole frames are never split, since the library writes
// each frame under its own lock.
type heldConn struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  []byte
}

func (c *heldConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *heldConn) hold() {
	c.mu.Lock()
	c.held = true
	c.mu.Unlock()
}

// flush sends what was held, giving up at deadline, and stops holding.
func (c *heldConn) flush(deadline time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = false
	if len(c.buf) == 0 {
		return nil
	}
	_ = c.Conn.SetWriteDeadline(deadline)
	_, err := c.Conn.Write(c.buf)
	_ = c.Conn.SetWriteDeadline(time.Time{})
	if cap(c.buf) > 256<<10 {
		c.buf = nil // a rare huge batch: do not keep its memory
	} else {
		c.buf = c.buf[:0]
	}
	return err
}

// holdingWriter hands the WebSocket library a heldConn when it hijacks the
// connection.
type holdingWriter struct {
	http.ResponseWriter
	conn *heldConn
}

func (w *holdingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &heldConn{Conn: c}
	return w.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.conn, 4096)), nil
}

// Hold and Flush implement signaling.BatchConn.
func (c *wsConn) Hold() {
	if c.held != nil {
		c.held.hold()
	}
}

func (c *wsConn) Flush(deadline time.Time) error {
	if c.held == nil {
		return nil
	}
	return c.held.flush(deadline)
}

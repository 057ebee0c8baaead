package signaling

import "time"

// BatchConn is a Conn that can hold its writes and send them together. A
// session's writer holds the connection while it writes the frames it took
// from its queue at once, then flushes: a burst of frames (room events,
// relayed custom messages) costs one system call instead of one each.
type BatchConn interface {
	Conn
	// Hold makes writes wait until Flush.
	Hold()
	// Flush sends the held writes, giving up at deadline, and stops
	// holding.
	Flush(deadline time.Time) error
}

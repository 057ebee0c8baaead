package webhook

import "errors"

// Errors of the webhook service. The server logs them; none reaches a client.
var (
	// ErrClosed: Append after Close.
	ErrClosed = errors.New("webhook: service closed")
	// ErrInvalidEvent: an event whose type is not one of 101–105, 201–206.
	ErrInvalidEvent = errors.New("webhook: invalid event type")
	// ErrEventTooLarge: an event whose stored form exceeds maxRecordBytes.
	ErrEventTooLarge = errors.New("webhook: event too large")
	// ErrNotFlushed: Close ran out of time with events still pending; they
	// stay in the outbox and are sent after the next start.
	ErrNotFlushed = errors.New("webhook: events still pending at close")
	// ErrLocked: another process holds the outbox directory.
	ErrLocked = errors.New("webhook: outbox directory is in use by another process")
	// errStatus: the receiver answered, but not with a 2xx status.
	errStatus = errors.New("webhook: receiver did not answer 2xx")
)

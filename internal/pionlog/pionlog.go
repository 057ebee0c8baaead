// Package pionlog routes Pion's leveled loggers (github.com/pion/logging)
// into log/slog, for the SFU, the TURN server and the Go SDK alike.
//
// Some of what Pion logs as an error is the normal course of a session
// ending: a packet that reaches a connection as it closes, or a packet for a
// track removed a moment before. Those messages are logged at debug level
// (Benign), so that an operator's error log shows errors.
package pionlog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/pion/logging"
)

// Benign lists the prefixes of Pion messages that describe normal events,
// whatever level Pion gives them, and why they are normal.
var Benign = []string{
	// ice's UDP mux: a datagram arrived for a muxed connection being closed
	// (a client leaving while its packets are in flight).
	"Failed to write packet: io: read/write on closed pipe",
	// webrtc: RTP for an SSRC that the last offer removed (packets the
	// server sent before the client applied the offer without the track).
	"Incoming unhandled RTP ssrc(",
	// interceptors (TWCC feedback, reports): a report due as the connection
	// closed.
	"io: read/write on closed pipe",
}

// Factory is a logging.LoggerFactory that writes to Log.
type Factory struct {
	Log *slog.Logger
	// Attrs returns the attributes naming a logger's scope; nil means
	// ("pion", scope).
	Attrs func(scope string) []any
	// Quiet logs Pion's info and warnings at debug level and its errors as
	// warnings: for components whose reports are mostly a remote party's
	// doing (a TURN client's bad packet) and must not flood the log.
	Quiet bool
}

// NewLogger implements logging.LoggerFactory.
func (f Factory) NewLogger(scope string) logging.LeveledLogger {
	attrs := []any{"pion", scope}
	if f.Attrs != nil {
		attrs = f.Attrs(scope)
	}
	return logger{log: f.Log.With(attrs...), quiet: f.Quiet}
}

type logger struct {
	log   *slog.Logger
	quiet bool
}

// at logs msg (formatted only when the level is enabled: Pion formats on
// hot paths).
func (l logger) at(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	msg := format
	if args != nil {
		msg = fmt.Sprintf(format, args...)
	}
	if level > slog.LevelDebug && benign(msg) {
		level = slog.LevelDebug
		if !l.log.Enabled(ctx, level) {
			return
		}
	}
	l.log.Log(ctx, level, msg)
}

func benign(msg string) bool {
	for _, p := range Benign {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func (l logger) info() slog.Level {
	if l.quiet {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

func (l logger) warn() slog.Level {
	if l.quiet {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

func (l logger) error() slog.Level {
	if l.quiet {
		return slog.LevelWarn
	}
	return slog.LevelError
}

const levelTrace = slog.LevelDebug - 4

func (l logger) Trace(msg string)                  { l.at(levelTrace, msg, nil) }
func (l logger) Tracef(format string, args ...any) { l.at(levelTrace, format, args) }
func (l logger) Debug(msg string)                  { l.at(slog.LevelDebug, msg, nil) }
func (l logger) Debugf(format string, args ...any) { l.at(slog.LevelDebug, format, args) }
func (l logger) Info(msg string)                   { l.at(l.info(), msg, nil) }
func (l logger) Infof(format string, args ...any)  { l.at(l.info(), format, args) }
func (l logger) Warn(msg string)                   { l.at(l.warn(), msg, nil) }
func (l logger) Warnf(format string, args ...any)  { l.at(l.warn(), format, args) }
func (l logger) Error(msg string)                  { l.at(l.error(), msg, nil) }
func (l logger) Errorf(format string, args ...any) { l.at(l.error(), format, args) }

package pionlog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/rtcengine/rtcengine/internal/importcheck"
)

func capture(level slog.Level) (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	return slog.New(h), &buf
}

func TestLevelsScopesAndBenignMessages(t *testing.T) {
	log, buf := capture(slog.LevelDebug)
	l := Factory{Log: log}.NewLogger("udpmux")
	l.Errorf("Failed to write packet: %v", "io: read/write on closed pipe")
	l.Error("Incoming unhandled RTP ssrc(1234), OnTrack will not be fired. media section has an explicit SSRC")
	l.Errorf("Failed to write packet: %v", "permission denied")
	l.Warn("something odd")
	l.Infof("%d candidates", 3)
	l.Trace("not at debug")
	want := []string{
		`level=DEBUG msg="Failed to write packet: io: read/write on closed pipe" pion=udpmux`,
		`level=DEBUG msg="Incoming unhandled RTP ssrc(1234), OnTrack will not be fired. media section has an explicit SSRC" pion=udpmux`,
		`level=ERROR msg="Failed to write packet: permission denied" pion=udpmux`,
		`level=WARN msg="something odd" pion=udpmux`,
		`level=INFO msg="3 candidates" pion=udpmux`,
	}
	if got := strings.Split(strings.TrimSpace(buf.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("logged\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// At warn level a benign error is not written at all.
	log, buf = capture(slog.LevelWarn)
	Factory{Log: log}.NewLogger("udpmux").Errorf("Failed to write packet: %v", "io: read/write on closed pipe")
	if buf.Len() != 0 {
		t.Fatalf("benign error written at warn level: %s", buf)
	}
}

func TestQuietAndAttrs(t *testing.T) {
	log, buf := capture(slog.LevelDebug)
	l := Factory{Log: log, Quiet: true, Attrs: func(s string) []any { return []any{"component", "turn", "scope", s} }}.NewLogger("server")
	l.Error("bad packet")
	l.Warn("odd")
	l.Info("hello")
	want := `level=WARN msg="bad packet" component=turn scope=server
level=DEBUG msg=odd component=turn scope=server
level=DEBUG msg=hello component=turn scope=server`
	if got := strings.TrimSpace(buf.String()); got != want {
		t.Fatalf("logged\n%s\nwant\n%s", got, want)
	}
}

// The SFU, the TURN server and the SDK import this package: it imports
// none of ours.
func TestImportsStayLeaf(t *testing.T) {
	importcheck.Only(t)
}

package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPGText: whatever a client sends, the text written to PostgreSQL is
// valid UTF-8 without NUL bytes (PostgreSQL refuses anything else, and one
// refusal fails a whole batch), and valid text is left alone.
func FuzzPGText(f *testing.F) {
	for _, s := range []string{"", "alice", "a\x00b", "\xff\xfe", "é", "\xc3", "日本\x00\xe6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := pgText([]any{s, int64(1), nil})
		out, ok := got[0].(string)
		if !ok || got[1] != int64(1) || got[2] != nil {
			t.Fatalf("pgText changed the other arguments: %v", got)
		}
		if !utf8.ValidString(out) || strings.IndexByte(out, 0) >= 0 {
			t.Fatalf("pgText(%q) = %q", s, out)
		}
		if validText(s) && out != s {
			t.Fatalf("pgText changed valid text %q to %q", s, out)
		}
	})
}

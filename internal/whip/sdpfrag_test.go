package whip

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// A fragment as Chromium's WHIP clients PATCH it (RFC 8840 §9 example
// shape), with LF and CRLF line ends mixed.
const chromeFragment = "a=ice-options:trickle ice2\r\n" +
	"a=group:BUNDLE 0 1\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
	"a=mid:0\r\n" +
	"a=ice-ufrag:EsAw\r\n" +
	"a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n" +
	"a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\n" +
	"a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw network-id 2\r\n" +
	"a=candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 ufrag EsAw network-id 1\r\n" +
	"a=end-of-candidates\r\n"

func TestParseFragment(t *testing.T) {
	f, err := ParseFragment([]byte(chromeFragment))
	if err != nil {
		t.Fatal(err)
	}
	want := &Fragment{
		ICEUfrag: "EsAw", ICEPwd: "P2uYro0UCOQ4zxjKXaWCBui1", ICEOptions: "trickle ice2",
		Media: []FragmentMedia{{
			Kind: "audio", Line: "audio 9 UDP/TLS/RTP/SAVPF 111", Mid: "0", EndOfCandidates: true,
			Candidates: []string{
				"candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1",
				"candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host generation 0 ufrag EsAw network-id 2",
				"candidate:473322822 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active generation 0 ufrag EsAw network-id 1",
			},
		}},
	}
	if !reflect.DeepEqual(f, want) {
		t.Fatalf("got %+v\nwant %+v", f, want)
	}
	again, err := ParseFragment([]byte(f.Marshal()))
	if err != nil || !reflect.DeepEqual(again, f) {
		t.Fatalf("round trip: %v\n%+v", err, again)
	}

	// Session-level end-of-candidates ends every section; an empty body is
	// a fragment with nothing in it.
	f, err = ParseFragment([]byte("m=audio 9 RTP/AVP 0\na=mid:a\nm=video 9 RTP/AVP 96\na=mid:v\n"))
	if err != nil || len(f.Media) != 2 || f.Media[1].Mid != "v" {
		t.Fatalf("two sections: %+v %v", f, err)
	}
	if f, err := ParseFragment(nil); err != nil || f.CandidateCount() != 0 {
		t.Fatalf("empty: %+v %v", f, err)
	}
}

func TestParseFragmentRefusals(t *testing.T) {
	cand := "a=candidate:1 1 udp 2122260223 192.0.2.1 61764 typ host\r\n"
	m := "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"not type=value", "hello\r\n", "not <type>=<value>"},
		{"upper-case type", "A=ice-ufrag:abcd\r\n", "not <type>=<value>"},
		{"short m line", "m=audio 9\r\n", "m= needs"},
		{"short ufrag", "a=ice-ufrag:abc\r\n", "ice-ufrag"},
		{"ufrag with a space", "a=ice-ufrag:ab cd\r\n", "ice-ufrag"},
		{"short pwd", "a=ice-ufrag:abcd\r\na=ice-pwd:short\r\n", "ice-pwd"},
		{"two ufrags", "a=ice-ufrag:abcd\r\n" + m + "a=ice-ufrag:efgh\r\n", "two different"},
		{"pwd without ufrag", "a=ice-pwd:0123456789012345678901\r\n", "without ice-ufrag"},
		{"candidate outside a section", cand, "outside an m= section"},
		{"mid outside a section", "a=mid:0\r\n", "outside an m= section"},
		{"long mid", "m=audio 9 X 0\r\na=mid:" + strings.Repeat("m", 33) + "\r\n", "1..32"},
		{"few fields", m + "a=candidate:1 1 udp 1 192.0.2.1 5 typ\r\n", "needs at least 8"},
		{"bad component", m + "a=candidate:1 x udp 1 192.0.2.1 5 typ host\r\n", "component"},
		{"bad transport", m + "a=candidate:1 1 sctp 1 192.0.2.1 5 typ host\r\n", "transport"},
		{"bad priority", m + "a=candidate:1 1 udp -1 192.0.2.1 5 typ host\r\n", "priority"},
		{"bad port", m + "a=candidate:1 1 udp 1 192.0.2.1 70000 typ host\r\n", "port"},
		{"no typ", m + "a=candidate:1 1 udp 1 192.0.2.1 5 type host\r\n", "typ"},
		{"bad type", m + "a=candidate:1 1 udp 1 192.0.2.1 5 typ lan\r\n", "type"},
		{"bad foundation", m + "a=candidate:f@o 1 udp 1 192.0.2.1 5 typ host\r\n", "foundation"},
		{"long line", "a=x:" + strings.Repeat("x", maxFragmentLine) + "\r\n", "longer than"},
		{"too many candidates", m + strings.Repeat(cand, MaxFragmentCandidates+1), "more than 64 candidates"},
		{"too many sections", strings.Repeat(m, maxFragmentSections+1), "m= sections"},
		{"too large", strings.Repeat("a=x\r\n", MaxFragmentBytes/5+1), "bytes, more than"},
	} {
		_, err := ParseFragment([]byte(tc.body))
		if !errors.Is(err, ErrBadFragment) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrBadFragment with %q", tc.name, err, tc.want)
		}
	}
}

// FuzzParseFragment: any body either fails with ErrBadFragment or parses
// into a fragment within the limits that survives Marshal and ParseFragment
// unchanged.
func FuzzParseFragment(f *testing.F) {
	f.Add([]byte(chromeFragment))
	f.Add([]byte("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=candidate:1 1 tcp 1 ::1 9 typ host tcptype passive\r\n"))
	f.Add([]byte("a=end-of-candidates\n"))
	f.Add([]byte("m=audio 9 X 0\r\na=candidate:1 1 udp 1 x.local 5 typ host\r\na=end-of-candidates"))
	f.Fuzz(func(t *testing.T, body []byte) {
		frag, err := ParseFragment(body)
		if err != nil {
			if !errors.Is(err, ErrBadFragment) {
				t.Fatalf("error %v does not wrap ErrBadFragment", err)
			}
			return
		}
		if frag.CandidateCount() > MaxFragmentCandidates || len(frag.Media) > maxFragmentSections {
			t.Fatalf("limits exceeded: %d candidates, %d sections", frag.CandidateCount(), len(frag.Media))
		}
		again, err := ParseFragment([]byte(frag.Marshal()))
		if err != nil {
			t.Fatalf("a parsed fragment does not reparse: %v\n%q", err, frag.Marshal())
		}
		if !reflect.DeepEqual(again, frag) {
			t.Fatalf("round trip changed the fragment:\n%+v\n%+v", frag, again)
		}
	})
}

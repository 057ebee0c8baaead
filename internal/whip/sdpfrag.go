package whip

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits of a trickle-ice-sdpfrag body.
const (
	// MaxFragmentBytes caps a PATCH body.
	MaxFragmentBytes = 16 << 10
	// MaxFragmentCandidates caps the candidates of one PATCH.
	MaxFragmentCandidates = 64
	// maxFragmentSections caps its m= sections.
	maxFragmentSections = 16
	// maxFragmentLine caps one line.
	maxFragmentLine = 2048
)

// Fragment is an SDP fragment of media type application/trickle-ice-sdpfrag
// (RFC 8840 §9), the body WHIP and WHEP clients PATCH to trickle candidates
// or restart ICE (RFC 9725 §4.3): optional session-level ICE attributes,
// then m= sections identified by a=mid, each with its a=candidate lines and
// possibly a=end-of-candidates.
type Fragment struct {
	// ICEUfrag and ICEPwd are the credentials the fragment states, at
	// session level or in a section; a fragment states at most one pair.
	ICEUfrag, ICEPwd string
	// ICEOptions is a=ice-options, if present.
	ICEOptions string
	Media      []FragmentMedia
}

// FragmentMedia is one m= section of a Fragment.
type FragmentMedia struct {
	Kind            string   // the m= line's media: "audio", "video", …
	Line            string   // the whole m= line value, kept for echoing
	Mid             string   // a=mid
	Candidates      []string // a=candidate values, with the "candidate:" prefix
	EndOfCandidates bool     // a=end-of-candidates
}

// CandidateCount counts the fragment's candidates.
func (f *Fragment) CandidateCount() int {
	n := 0
	for _, m := range f.Media {
		n += len(m.Candidates)
	}
	return n
}

// ParseFragment parses a trickle-ice-sdpfrag body. Lines end in CRLF or
// LF; lines of types other than a= and m= are ignored, as are attributes
// other than the ICE ones. Candidates are checked for the shape of RFC 8839
// §5.1 (foundation, component, transport, priority, address, port, "typ",
// type); the ICE agent checks the rest. Errors wrap ErrBadFragment.
func ParseFragment(body []byte) (*Fragment, error) {
	if len(body) > MaxFragmentBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrBadFragment, len(body), MaxFragmentBytes)
	}
	f := &Fragment{}
	var cur *FragmentMedia
	setCred := func(dst *string, name, v string, minLen int) error {
		if !iceChars(v, minLen) {
			return fmt.Errorf("%w: %s %.40q is not %d..256 ICE characters", ErrBadFragment, name, v, minLen)
		}
		if *dst != "" && *dst != v {
			return fmt.Errorf("%w: two different %s values", ErrBadFragment, name)
		}
		*dst = v
		return nil
	}
	for n, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if len(line) > maxFragmentLine {
			return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrBadFragment, n+1, maxFragmentLine)
		}
		if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
			return nil, fmt.Errorf("%w: line %d is not <type>=<value>", ErrBadFragment, n+1)
		}
		typ, value := line[0], line[2:]
		switch typ {
		case 'm':
			fields := strings.Fields(value)
			if len(fields) < 3 {
				return nil, fmt.Errorf("%w: line %d: m= needs media, port and protocol", ErrBadFragment, n+1)
			}
			if len(f.Media) == maxFragmentSections {
				return nil, fmt.Errorf("%w: more than %d m= sections", ErrBadFragment, maxFragmentSections)
			}
			f.Media = append(f.Media, FragmentMedia{Kind: fields[0], Line: value})
			cur = &f.Media[len(f.Media)-1]
			continue
		case 'a':
		default:
			continue
		}
		name, val, _ := strings.Cut(value, ":")
		var err error
		switch name {
		case "ice-ufrag":
			err = setCred(&f.ICEUfrag, name, val, 4)
		case "ice-pwd":
			err = setCred(&f.ICEPwd, name, val, 22)
		case "ice-options":
			f.ICEOptions = val
		case "mid":
			if cur == nil {
				return nil, fmt.Errorf("%w: line %d: a=mid outside an m= section", ErrBadFragment, n+1)
			}
			if val == "" || len(val) > 32 {
				return nil, fmt.Errorf("%w: line %d: a=mid must be 1..32 bytes", ErrBadFragment, n+1)
			}
			cur.Mid = val
		case "candidate":
			if cur == nil {
				return nil, fmt.Errorf("%w: line %d: a=candidate outside an m= section", ErrBadFragment, n+1)
			}
			if err := checkCandidate(val); err != nil {
				return nil, fmt.Errorf("%w: line %d: %w", ErrBadFragment, n+1, err)
			}
			if f.CandidateCount() == MaxFragmentCandidates {
				return nil, fmt.Errorf("%w: more than %d candidates", ErrBadFragment, MaxFragmentCandidates)
			}
			cur.Candidates = append(cur.Candidates, "candidate:"+val)
		case "end-of-candidates":
			if cur == nil {
				// RFC 8840 allows it at session level: it then ends every section.
				for i := range f.Media {
					f.Media[i].EndOfCandidates = true
				}
				continue
			}
			cur.EndOfCandidates = true
		}
		if err != nil {
			return nil, err
		}
	}
	if f.ICEPwd != "" && f.ICEUfrag == "" {
		return nil, fmt.Errorf("%w: ice-pwd without ice-ufrag", ErrBadFragment)
	}
	return f, nil
}

// iceChars reports whether s is minLen..256 ice-chars (RFC 8839 §5.4:
// ALPHA / DIGIT / "+" / "/").
func iceChars(s string, minLen int) bool {
	if len(s) < minLen || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// checkCandidate checks the fixed fields of a candidate attribute value
// (RFC 8839 §5.1).
func checkCandidate(v string) error {
	f := strings.Fields(v)
	if len(f) < 8 {
		return fmt.Errorf("candidate has %d fields, needs at least 8", len(f))
	}
	if len(f[0]) > 32 || !iceChars(f[0], 1) {
		return fmt.Errorf("candidate foundation %.40q", f[0])
	}
	if c, err := strconv.ParseUint(f[1], 10, 8); err != nil || c < 1 {
		return fmt.Errorf("candidate component %.10q", f[1])
	}
	if t := strings.ToLower(f[2]); t != "udp" && t != "tcp" {
		return fmt.Errorf("candidate transport %.10q is neither UDP nor TCP", f[2])
	}
	if _, err := strconv.ParseUint(f[3], 10, 32); err != nil {
		return fmt.Errorf("candidate priority %.20q", f[3])
	}
	if f[4] == "" || len(f[4]) > 255 {
		return fmt.Errorf("candidate address %.40q", f[4])
	}
	if _, err := strconv.ParseUint(f[5], 10, 16); err != nil {
		return fmt.Errorf("candidate port %.10q", f[5])
	}
	if f[6] != "typ" {
		return fmt.Errorf("candidate lacks \"typ\"")
	}
	switch f[7] {
	case "host", "srflx", "prflx", "relay":
	default:
		return fmt.Errorf("candidate type %.10q", f[7])
	}
	return nil
}

// Marshal writes the fragment in its wire form, CRLF line ends.
func (f *Fragment) Marshal() string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteString("\r\n") }
	if f.ICEOptions != "" {
		line("a=ice-options:" + f.ICEOptions)
	}
	if f.ICEUfrag != "" {
		line("a=ice-ufrag:" + f.ICEUfrag)
	}
	if f.ICEPwd != "" {
		line("a=ice-pwd:" + f.ICEPwd)
	}
	for _, m := range f.Media {
		line("m=" + m.Line)
		if m.Mid != "" {
			line("a=mid:" + m.Mid)
		}
		for _, c := range m.Candidates {
			line("a=" + c)
		}
		if m.EndOfCandidates {
			line("a=end-of-candidates")
		}
	}
	return b.String()
}

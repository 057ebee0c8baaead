package egress

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// MaxPatterns is how many entries one subscription list may hold
// (trtc-reference §7.6: ≤32 each).
const MaxPatterns = 32

// MaxPatternLen bounds one entry.
const MaxPatternLen = 64

// Subscription is RecordParams.SubscribeStreamUserIds: allow and deny lists
// of user ids per media kind. An empty allow list allows everyone; a deny
// entry wins over an allow entry.
type Subscription struct {
	Audio, UnAudio, Video, UnVideo []string
}

// Filter is a compiled Subscription.
type Filter struct {
	audio, unAudio, video, unVideo []matcher
}

// matcher is one entry: a plain user id matches itself; an entry with a
// regular-expression metacharacter (TRTC's examples use "1.*$") is an RE2
// expression anchored at the start, so "1.*$" matches every id beginning
// with 1 and "anchor_" alone matches only that id.
type matcher struct {
	exact string
	re    *regexp.Regexp
}

func (m matcher) match(u trtc.UserID) bool {
	if m.re != nil {
		return m.re.MatchString(string(u))
	}
	return string(u) == m.exact
}

// CompileSubscription validates and compiles s.
func CompileSubscription(s Subscription) (Filter, error) {
	var f Filter
	var err error
	for _, l := range []struct {
		name string
		in   []string
		out  *[]matcher
	}{
		{"SubscribeAudioUserIds", s.Audio, &f.audio},
		{"UnSubscribeAudioUserIds", s.UnAudio, &f.unAudio},
		{"SubscribeVideoUserIds", s.Video, &f.video},
		{"UnSubscribeVideoUserIds", s.UnVideo, &f.unVideo},
	} {
		if *l.out, err = compileList(l.name, l.in); err != nil {
			return Filter{}, err
		}
	}
	return f, nil
}

func compileList(name string, in []string) ([]matcher, error) {
	if len(in) > MaxPatterns {
		return nil, fmt.Errorf("%w: %s has %d entries, at most %d", ErrTooManyPatterns, name, len(in), MaxPatterns)
	}
	out := make([]matcher, 0, len(in))
	for _, p := range in {
		if p == "" || len(p) > MaxPatternLen {
			return nil, fmt.Errorf("%w: %s entries must be 1 to %d characters", ErrBadPattern, name, MaxPatternLen)
		}
		if trtc.ValidateUserID(p) == nil && !strings.ContainsAny(p, `.*+?()[]{}|^$\`) {
			out = append(out, matcher{exact: p})
			continue
		}
		re, err := regexp.Compile(`^(?:` + p + `)`)
		if err != nil {
			return nil, fmt.Errorf("%w: %s entry %q: %v", ErrBadPattern, name, p, err)
		}
		out = append(out, matcher{re: re})
	}
	return out, nil
}

func anyMatch(ms []matcher, u trtc.UserID) bool {
	for _, m := range ms {
		if m.match(u) {
			return true
		}
	}
	return false
}

// Audio reports whether u's audio is recorded.
func (f Filter) Audio(u trtc.UserID) bool {
	return (len(f.audio) == 0 || anyMatch(f.audio, u)) && !anyMatch(f.unAudio, u)
}

// Video reports whether u's video (camera and screen share) is recorded.
func (f Filter) Video(u trtc.UserID) bool {
	return (len(f.video) == 0 || anyMatch(f.video, u)) && !anyMatch(f.unVideo, u)
}

package store

import (
	"sort"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Leftovers is what a node left open in the history store when it died
// and nobody continued elsewhere (docs/cluster.md, "When a node dies";
// docs/webhooks.md for a single node that crashed).
type Leftovers struct {
	// Gone are the sessions of users who did not enter the same room again
	// on another node after their session on the dead node began (in the
	// embedded store, one node's own: every open session), oldest end
	// first.
	Gone []LeftSession
	// Ended are the rooms that were not created again on another node
	// after the dead node created them (embedded store: every open room).
	Ended []LeftRoom
}

// LeftSession is a user's stay that ended with its node.
type LeftSession struct {
	App     trtc.SDKAppID
	RoomID  string
	StrRoom bool
	UserID  trtc.UserID
	Role    trtc.Role // the last one recorded
	Left    time.Time // the session's last sample, else its join
}

// LeftRoom is a room that ended with its node.
type LeftRoom struct {
	App       trtc.SDKAppID
	RoomID    string
	StrRoom   bool
	Destroyed time.Time // its last session's end, else its creation
}

// maxLeftovers bounds the rows one takeover reads (a node holds at most a
// few thousand users); the rest are closed without being reported.
const maxLeftovers = 100_000

// sort orders the sessions by their end and the rooms by their
// destruction, the order their webhooks go out in.
func (l *Leftovers) sort() {
	sort.SliceStable(l.Gone, func(i, j int) bool { return l.Gone[i].Left.Before(l.Gone[j].Left) })
	sort.SliceStable(l.Ended, func(i, j int) bool { return l.Ended[i].Destroyed.Before(l.Ended[j].Destroyed) })
}

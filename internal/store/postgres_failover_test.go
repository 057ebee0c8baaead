package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// TestTakeOverNode: node "dead" left two rooms open. Room 1 was created
// again on node "live" afterwards, where alice entered again; bob never came
// back. Room 2 nobody continued. The takeover reports bob (not alice) and
// room 2 (not room 1), closes all of the dead node's rows, and a failed
// report closes nothing; a second takeover reports nothing.
func TestTakeOverNode(t *testing.T) {
	b := backends[1]
	where := b.fresh(t)
	dead := open(t, b, where, Options{Node: "dead"}).(*Postgres)
	live := open(t, b, where, Options{Node: "live"}).(*Postgres)
	r1 := Room{App: app, RoomID: "1", Created: at(0), Creator: "alice"}
	r2 := Room{App: app, RoomID: "two", StrRoom: true, Created: at(0), Creator: "carol"}
	dead.RoomCreated(r1)
	dead.RoomCreated(r2)
	for i, u := range []string{"alice", "bob"} {
		dead.SessionStarted(Session{ID: "d" + u, App: app, CommID: r1.CommID(), RoomID: "1", UserID: trtc.UserID(u), Joined: at(float64(1 + i))})
	}
	dead.SessionStarted(Session{ID: "dcarol", App: app, CommID: r2.CommID(), RoomID: "two", UserID: "carol", Joined: at(1)})
	dead.AddSample(Sample{App: app, CommID: r1.CommID(), Session: "dbob", UserID: "bob", At: at(7), Values: map[Metric]float64{MetricABit: 1}})
	flush(t, dead)
	// Node "dead" dies; alice enters room 1 again on node "live".
	r1b := Room{App: app, RoomID: "1", Created: at(20), Creator: "alice"}
	live.RoomCreated(r1b)
	live.SessionStarted(Session{ID: "lalice", App: app, CommID: r1b.CommID(), RoomID: "1", UserID: "alice", Joined: at(20)})
	flush(t, live)

	ctx := context.Background()
	failed := errors.New("outbox unreachable")
	if err := live.TakeOverNode(ctx, "dead", func(Leftovers) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("a failed report: %v", err)
	}
	var got Leftovers
	if err := live.TakeOverNode(ctx, "dead", func(l Leftovers) error { got = l; return nil }); err != nil {
		t.Fatal(err)
	}
	gone := fmt.Sprint(got.Gone)
	if len(got.Gone) != 2 || got.Gone[0].UserID != "carol" || !got.Gone[0].StrRoom || !got.Gone[0].Left.Equal(at(1)) ||
		got.Gone[1].UserID != "bob" || got.Gone[1].RoomID != "1" || got.Gone[1].StrRoom || !got.Gone[1].Left.Equal(at(7)) {
		t.Fatalf("gone %s, want carol (left at 1 s) and bob (left at 7 s)", gone)
	}
	if len(got.Ended) != 1 || got.Ended[0].RoomID != "two" || !got.Ended[0].StrRoom || !got.Ended[0].Destroyed.Equal(at(1)) {
		t.Fatalf("ended rooms %v, want room two at 1 s", got.Ended)
	}
	var open int
	if err := live.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM history_sessions WHERE node = 'dead' AND left_ms IS NULL) +
		(SELECT count(*) FROM history_rooms WHERE node = 'dead' AND destroyed_ms IS NULL)`).Scan(&open); err != nil || open != 0 {
		t.Fatalf("%d rows of the dead node still open (%v)", open, err)
	}
	if err := live.TakeOverNode(ctx, "dead", func(l Leftovers) error { got = l; return nil }); err != nil || len(got.Gone)+len(got.Ended) != 0 {
		t.Fatalf("second takeover reported %v, %v", got, err)
	}
}

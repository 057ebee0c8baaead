package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rtcengine/rtcengine/internal/pgschema"
	"github.com/rtcengine/rtcengine/internal/pgtest"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

const app trtc.SDKAppID = 1400000001

// t0 is a whole second, so CommIds are easy to write down.
var t0 = time.Unix(1_760_000_000, 0)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func TestMain(m *testing.M) { os.Exit(pgtest.WrapM(m).Run()) }

// store is what the tests use of a store: the methods both SQLite and
// Postgres offer their consumers.
type store interface {
	RoomCreated(Room)
	RoomDestroyed(Room)
	SessionStarted(Session)
	SessionEnded(string, time.Time)
	SessionRole(string, trtc.Role)
	AddSample(Sample)
	Flush(context.Context) error
	Stats() WriterStats
	Close() error
	Rooms(context.Context, RoomQuery) ([]Room, int, error)
	Sessions(context.Context, SessionQuery) ([]Session, int, error)
	Series(context.Context, SeriesQuery) ([]Series, error)
}

// backend opens stores of one kind: every test that is about the store's
// contract runs against each.
type backend struct {
	name string
	// fresh returns a new, empty location: a directory or a database.
	fresh func(t *testing.T) string
	open  func(where string, opt Options) (store, error)
	// exec runs a statement on the location behind a store's back.
	exec func(t *testing.T, where, query string)
	// table is the name of a table ("rooms", "sessions", "samples").
	table func(string) string
	// count returns the rows of a table of an open store.
	count func(t *testing.T, s store, table string) int
	// stall holds a lock that makes the writer's next sample wait, until
	// release is called.
	stall func(t *testing.T, where string) (release func())
}

var backends = []backend{
	{
		name:  "sqlite",
		fresh: func(t *testing.T) string { return t.TempDir() },
		open:  func(where string, opt Options) (store, error) { return Open(where, opt) },
		exec: func(t *testing.T, where, query string) {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(where, FileName)+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(query); err != nil {
				t.Fatal(err)
			}
		},
		table: func(name string) string { return name },
		count: func(t *testing.T, s store, table string) int {
			var n int
			if err := s.(*SQLite).db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		stall: func(t *testing.T, where string) func() {
			db, err := sql.Open("sqlite", "file:"+filepath.Join(where, FileName)+"?_pragma=busy_timeout(5000)")
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
				t.Fatal(err)
			}
			return func() {
				if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
					t.Fatal(err)
				}
				conn.Close()
				db.Close()
			}
		},
	},
	{
		name:  "postgres",
		fresh: func(t *testing.T) string { return pgtest.Shared(t).NewDatabase(t) },
		open: func(where string, opt Options) (store, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return OpenPostgres(ctx, where, opt)
		},
		exec: func(t *testing.T, where, query string) {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, where)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, query); err != nil {
				t.Fatal(err)
			}
		},
		table: func(name string) string { return "history_" + name },
		count: func(t *testing.T, s store, table string) int {
			var n int
			if err := s.(*Postgres).pool.QueryRow(context.Background(), `SELECT COUNT(*) FROM history_`+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		},
		stall: func(t *testing.T, where string) func() {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, where)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, `BEGIN; LOCK TABLE history_samples IN EXCLUSIVE MODE`); err != nil {
				t.Fatal(err)
			}
			return func() {
				if _, err := conn.Exec(ctx, `COMMIT`); err != nil {
					t.Fatal(err)
				}
				conn.Close(ctx)
			}
		},
	},
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// open opens a store that the test closes at its end; the clock is an
// hour after t0 unless opt has one.
func open(t *testing.T, b backend, where string, opt Options) store {
	t.Helper()
	if opt.Now == nil {
		opt.Now = func() time.Time { return at(3600) }
	}
	s, err := b.open(where, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func flush(t *testing.T, s store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func commIDs(rooms []Room) []string {
	out := make([]string, len(rooms))
	for i, r := range rooms {
		out[i] = r.CommID()
	}
	return out
}

func TestCommID(t *testing.T) {
	if got := CommID(1400000001, "218695", time.Unix(1590065777, 999_000_000)); got != "1400000001_218695_1590065777" {
		t.Fatalf("CommID = %q", got)
	}
	if got := (Room{App: 5, RoomID: "a_b", Created: time.Unix(7, 0)}).CommID(); got != "5_a_b_7" {
		t.Fatalf("CommID of a string room = %q", got)
	}
}

func TestMetricNames(t *testing.T) {
	for _, m := range AllMetrics() {
		if ParseMetric(m.String()) != m {
			t.Errorf("ParseMetric(%q) = %v", m.String(), ParseMetric(m.String()))
		}
	}
	for _, bad := range []string{"", "all", "ABIT", "abit", "unknown"} {
		if m := ParseMetric(bad); m != MetricUnknown {
			t.Errorf("ParseMetric(%q) = %v, want unknown", bad, m)
		}
	}
	if len(AllMetrics()) != 13 {
		t.Fatalf("%d metrics, TRTC defines 13", len(AllMetrics()))
	}
}

// scriptRooms records five rooms of app (and one of another app):
//
//	A  numeric 100  [0, 600]
//	B  string "100" [100, still open]
//	C  numeric 200  [700, 800]
//	D  numeric 100  [900, 1000]      (room 100 again: another call)
//	E  numeric 300  [2000, open]
//	X  other app, numeric 100 [0, open]
func scriptRooms(s store) {
	rooms := []Room{
		{App: app, RoomID: "100", Created: at(0), Destroyed: at(600), Creator: "alice"},
		{App: app, RoomID: "100", StrRoom: true, Created: at(100), Creator: "bob"},
		{App: app, RoomID: "200", Created: at(700), Destroyed: at(800), Creator: "carol"},
		{App: app, RoomID: "100", Created: at(900), Destroyed: at(1000), Creator: "dave"},
		{App: app, RoomID: "300", Created: at(2000), Creator: "erin"},
		{App: app + 1, RoomID: "100", Created: at(0), Creator: "xavier"},
	}
	for _, r := range rooms {
		created := r
		created.Destroyed = time.Time{}
		s.RoomCreated(created)
		if !r.Destroyed.IsZero() {
			s.RoomDestroyed(r)
		}
	}
}

func TestRoomsWindowsAndPaging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, b.fresh(t), Options{})
		scriptRooms(s)
		flush(t, s)
		A, B, C, D, E := "1400000001_100_1760000000", "1400000001_100_1760000100", "1400000001_200_1760000700",
			"1400000001_100_1760000900", "1400000001_300_1760002000"
		tests := []struct {
			name      string
			q         RoomQuery
			want      []string
			wantTotal int
		}{
			{"everything", RoomQuery{From: at(0), To: at(3000), Limit: 10}, []string{A, B, C, D, E}, 5},
			{"overlap, not only created inside", RoomQuery{From: at(650), To: at(850), Limit: 10}, []string{B, C}, 2},
			{"window edges are inclusive", RoomQuery{From: at(600), To: at(700), Limit: 10}, []string{A, B, C}, 3},
			{"before everything", RoomQuery{From: at(-100), To: at(-1), Limit: 10}, []string{}, 0},
			{"open room reaches now", RoomQuery{From: at(5000), To: at(6000), Limit: 10}, []string{B, E}, 2},
			{"room id matches numeric and string rooms", RoomQuery{RoomID: "100", From: at(0), To: at(3000), Limit: 10}, []string{A, B, D}, 3},
			{"room id and window", RoomQuery{RoomID: "100", From: at(850), To: at(950), Limit: 10}, []string{B, D}, 2},
			{"no such room", RoomQuery{RoomID: "999", From: at(0), To: at(3000), Limit: 10}, []string{}, 0},
			{"page 0 of 2", RoomQuery{From: at(0), To: at(3000), Limit: 2}, []string{A, B}, 5},
			{"page 1 of 2", RoomQuery{From: at(0), To: at(3000), Offset: 2, Limit: 2}, []string{C, D}, 5},
			{"last page", RoomQuery{From: at(0), To: at(3000), Offset: 4, Limit: 2}, []string{E}, 5},
			{"past the end", RoomQuery{From: at(0), To: at(3000), Offset: 6, Limit: 2}, []string{}, 5},
			{"zero limit counts only", RoomQuery{From: at(0), To: at(3000)}, []string{}, 5},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := tt.q
				q.App = app
				rooms, total, err := s.Rooms(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if got := commIDs(rooms); !slices.Equal(got, tt.want) || total != tt.wantTotal {
					t.Fatalf("got %v (total %d), want %v (total %d)", got, total, tt.want, tt.wantTotal)
				}
			})
		}

		rooms, _, err := s.Rooms(context.Background(), RoomQuery{App: app, RoomID: "100", From: at(0), To: at(3000), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := []Room{
			{App: app, RoomID: "100", Created: at(0), Destroyed: at(600), Creator: "alice"},
			{App: app, RoomID: "100", StrRoom: true, Created: at(100), Creator: "bob"},
			{App: app, RoomID: "100", Created: at(900), Destroyed: at(1000), Creator: "dave"},
		}
		for i := range want {
			if g, w := rooms[i], want[i]; g.RoomID != w.RoomID || g.StrRoom != w.StrRoom || !g.Created.Equal(w.Created) ||
				!g.Destroyed.Equal(w.Destroyed) || g.Creator != w.Creator || g.App != w.App {
				t.Errorf("room %d = %+v, want %+v", i, g, w)
			}
		}

		for _, bad := range []RoomQuery{
			{App: app, From: at(10), To: at(0), Limit: 1},
			{App: app, From: at(0), To: at(10), Offset: -1, Limit: 1},
			{App: app, From: at(0), To: at(10), Limit: -1},
		} {
			if _, _, err := s.Rooms(context.Background(), bad); err != ErrQuery {
				t.Errorf("Rooms(%+v) = %v, want ErrQuery", bad, err)
			}
		}
	})
}

func TestRoomDestroyedWithoutCreation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, b.fresh(t), Options{})
		// The creation record was lost (dropped): the destruction still records the room.
		s.RoomDestroyed(Room{App: app, RoomID: "7", Created: at(0), Destroyed: at(60), Creator: "alice"})
		// A second destruction of the same room changes nothing.
		s.RoomDestroyed(Room{App: app, RoomID: "7", Created: at(0), Destroyed: at(90), Creator: "alice"})
		flush(t, s)
		rooms, total, err := s.Rooms(context.Background(), RoomQuery{App: app, From: at(0), To: at(100), Limit: 10})
		if err != nil || total != 1 || !rooms[0].Destroyed.Equal(at(60)) {
			t.Fatalf("rooms %+v total %d err %v", rooms, total, err)
		}
	})
}

func scriptSessions(s store) (call string) {
	r := Room{App: app, RoomID: "100", Created: at(0), Creator: "alice"}
	s.RoomCreated(r)
	call = r.CommID()
	sess := func(id, user string, joined, left float64) {
		x := Session{ID: id, App: app, CommID: call, RoomID: "100", UserID: trtc.UserID(user), Joined: at(joined),
			DeviceType: "linux/amd64", SDKVersion: "rtcengine-go/0.1.0", ClientIP: "127.0.0.1"}
		s.SessionStarted(x)
		if left >= 0 {
			s.SessionEnded(id, at(left))
		}
	}
	sess("s1", "alice", 0, 500)
	sess("s2", "bob", 10, -1)
	sess("s3", "carol", 20, 30)
	sess("s4", "alice", 600, -1) // alice again: a second session
	sess("s5", "dave", 40, 45)
	// Another call must never show.
	s.SessionStarted(Session{ID: "other", App: app, CommID: "1400000001_100_1", UserID: "alice", Joined: at(0)})
	return call
}

func TestSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, b.fresh(t), Options{})
		call := scriptSessions(s)
		flush(t, s)
		ids := func(xs []Session) []string {
			out := []string{}
			for _, x := range xs {
				out = append(out, x.ID)
			}
			return out
		}
		tests := []struct {
			name  string
			q     SessionQuery
			want  []string
			total int
		}{
			{"all", SessionQuery{From: at(0), To: at(1000), Limit: 10}, []string{"s1", "s2", "s3", "s5", "s4"}, 5},
			{"overlap", SessionQuery{From: at(25), To: at(35), Limit: 10}, []string{"s1", "s2", "s3"}, 3},
			{"open sessions reach now", SessionQuery{From: at(900), To: at(1000), Limit: 10}, []string{"s2", "s4"}, 2},
			{"users", SessionQuery{Users: []trtc.UserID{"alice", "dave"}, From: at(0), To: at(1000), Limit: 10}, []string{"s1", "s5", "s4"}, 3},
			{"no such user", SessionQuery{Users: []trtc.UserID{"zed"}, From: at(0), To: at(1000), Limit: 10}, []string{}, 0},
			{"page", SessionQuery{From: at(0), To: at(1000), Offset: 1, Limit: 2}, []string{"s2", "s3"}, 5},
			{"other call", SessionQuery{From: at(0), To: at(1000), Limit: 10, CommID: "1400000001_100_2"}, []string{}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := tt.q
				q.App = app
				if q.CommID == "" {
					q.CommID = call
				}
				got, total, err := s.Sessions(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), tt.want) || total != tt.total {
					t.Fatalf("got %v (total %d), want %v (total %d)", ids(got), total, tt.want, tt.total)
				}
			})
		}
		got, _, _ := s.Sessions(context.Background(), SessionQuery{App: app, CommID: call, Users: []trtc.UserID{"carol"}, From: at(0), To: at(100), Limit: 1})
		want := Session{ID: "s3", App: app, CommID: call, RoomID: "100", UserID: "carol", Joined: at(20), Left: at(30),
			DeviceType: "linux/amd64", SDKVersion: "rtcengine-go/0.1.0", ClientIP: "127.0.0.1"}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("session = %+v, want %+v", got, want)
		}
	})
}

func TestClientTextIsClipped(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, b.fresh(t), Options{})
		long := strings.Repeat("é", 100) // 200 bytes: cut at 64, a character boundary
		s.SessionStarted(Session{ID: "x", App: app, CommID: "c", UserID: "u", Joined: at(0), DeviceType: long, SDKVersion: long, ClientIP: long})
		// Text no database should choke on: NUL bytes and invalid UTF-8.
		s.SessionStarted(Session{ID: "y", App: app, CommID: "c", UserID: "u\x00v", Joined: at(1), DeviceType: "a\x00b\xffc", SDKVersion: "\xc3", ClientIP: "::1"})
		s.AddSample(Sample{App: app, CommID: "c", Session: "y", UserID: "u", PeerID: "p\x00\xfe", At: at(1), Values: map[Metric]float64{MetricABit: 1}})
		flush(t, s)
		if st := s.Stats(); st.Failed != 0 {
			t.Fatalf("stats %+v: odd text failed a batch", st)
		}
		got, _, err := s.Sessions(context.Background(), SessionQuery{App: app, CommID: "c", From: at(0), To: at(1), Limit: 2})
		if err != nil || len(got) != 2 {
			t.Fatal(got, err)
		}
		if want := strings.Repeat("é", 32); got[0].DeviceType != want || got[0].SDKVersion != want || got[0].ClientIP != want {
			t.Fatalf("not clipped to %d bytes: %q %q %q", maxClientText, got[0].DeviceType, got[0].SDKVersion, got[0].ClientIP)
		}
		series, err := s.Series(context.Background(), SeriesQuery{App: app, CommID: "c", Users: []trtc.UserID{"u"}, Metrics: []Metric{MetricABit}, From: at(0), To: at(2)})
		if err != nil || len(series) != 1 {
			t.Fatal(series, err)
		}
	})
}

func TestSeries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, b.fresh(t), Options{})
		const call = "1400000001_100_1760000000"
		// alice reports every 2 s for 20 s: her uplink and what she receives
		// from bob; bob reports his uplink only (audio, no video).
		for i := range 10 {
			ts := at(float64(2 * i))
			s.AddSample(Sample{App: app, CommID: call, Session: "sa", UserID: "alice", At: ts, Values: map[Metric]float64{
				MetricAppCPU: 10, MetricABit: 32000, MetricBigvBit: float64(1000 * (i + 1)), MetricBigvWidth: 640, MetricBigvHeight: 360,
			}})
			s.AddSample(Sample{App: app, CommID: call, Session: "sa", UserID: "alice", PeerID: "bob", At: ts, Values: map[Metric]float64{
				MetricABit: 24000, MetricALoss: float64(i),
			}})
			s.AddSample(Sample{App: app, CommID: call, Session: "sb", UserID: "bob", At: ts, Values: map[Metric]float64{MetricABit: 24000}})
			// Another call's samples never show.
			s.AddSample(Sample{App: app, CommID: "other", Session: "x", UserID: "alice", At: ts, Values: map[Metric]float64{MetricABit: 1}})
		}
		flush(t, s)
		ctx := context.Background()

		t.Run("full resolution", func(t *testing.T) {
			got, err := s.Series(ctx, SeriesQuery{App: app, CommID: call, Users: []trtc.UserID{"bob", "alice"},
				Metrics: []Metric{MetricBigvBit, MetricABit, MetricALoss, MetricABlock}, From: at(0), To: at(100), Step: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, x := range got {
				names = append(names, fmt.Sprintf("%s>%s %s %d", x.UserID, x.PeerID, x.Metric, len(x.Points)))
			}
			want := []string{"bob> aBit 10", "alice> bigvBit 10", "alice> aBit 10", "alice>bob aBit 10", "alice>bob aLoss 10"}
			if !slices.Equal(names, want) {
				t.Fatalf("series %v, want %v", names, want)
			}
			p := got[1].Points
			if !p[0].At.Equal(at(0)) || p[0].Value != 1000 || !p[9].At.Equal(at(18)) || p[9].Value != 10000 {
				t.Fatalf("alice bigvBit points %v", p)
			}
		})
		t.Run("averaged over 10 s", func(t *testing.T) {
			got, err := s.Series(ctx, SeriesQuery{App: app, CommID: call, Users: []trtc.UserID{"alice"},
				Metrics: []Metric{MetricBigvBit}, From: at(0), To: at(100), Step: 10 * time.Second})
			if err != nil || len(got) != 1 {
				t.Fatal(got, err)
			}
			// Buckets [0,10): 1000..5000 → 3000; [10,20): 6000..10000 → 8000.
			want := []Point{{at(0), 3000}, {at(10), 8000}}
			if !slices.Equal(got[0].Points, want) {
				t.Fatalf("points %v, want %v", got[0].Points, want)
			}
		})
		t.Run("window", func(t *testing.T) {
			got, err := s.Series(ctx, SeriesQuery{App: app, CommID: call, Users: []trtc.UserID{"alice"},
				Metrics: []Metric{MetricBigvBit}, From: at(4), To: at(8), Step: time.Second})
			if err != nil || len(got) != 1 || len(got[0].Points) != 3 || got[0].Points[0].Value != 3000 {
				t.Fatalf("series %+v err %v", got, err)
			}
		})
		t.Run("nothing asked", func(t *testing.T) {
			got, err := s.Series(ctx, SeriesQuery{App: app, CommID: call, From: at(0), To: at(100), Metrics: []Metric{MetricABit}})
			if err != nil || len(got) != 0 {
				t.Fatal(got, err)
			}
		})
		t.Run("bad query", func(t *testing.T) {
			for _, q := range []SeriesQuery{
				{App: app, CommID: call, Users: []trtc.UserID{"alice"}, Metrics: []Metric{MetricUnknown}, From: at(0), To: at(1)},
				{App: app, CommID: call, Users: []trtc.UserID{"alice"}, Metrics: []Metric{metricEnd}, From: at(0), To: at(1)},
				{App: app, CommID: call, Users: []trtc.UserID{"alice"}, Metrics: []Metric{MetricABit}, From: at(1), To: at(0)},
			} {
				if _, err := s.Series(ctx, q); err != ErrQuery {
					t.Errorf("Series(%+v) = %v, want ErrQuery", q, err)
				}
			}
		})
	})
}

// TestWriterDropsWhenFull holds the database's write lock from another
// connection so that the writer stalls, fills the queue, and checks that
// the overflow is dropped and counted, that nothing blocks, and that the
// rest is written once the lock is released.
func TestWriterDropsWhenFull(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		dir := b.fresh(t)
		const queue = 64
		s := open(t, b, dir, Options{QueueLength: queue, MaxBatch: 16})
		release := b.stall(t, dir)
		sample := func(i int) Sample {
			return Sample{App: app, CommID: "c", Session: "s", UserID: "u", At: at(float64(i)), Values: map[Metric]float64{MetricABit: float64(i)}}
		}
		// The writer takes the first record and waits for the lock.
		s.AddSample(sample(0))
		deadline := time.Now().Add(5 * time.Second)
		for s.Stats().Queued != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the writer never took the first record")
			}
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		const n = 500
		for i := 1; i <= n; i++ {
			s.AddSample(sample(i))
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%d writes against a stalled writer took %v: they must not block", n, d)
		}
		// The stalled writer holds its first batch (up to MaxBatch records it
		// collected before stalling); the queue holds queue more; the rest is dropped.
		st := s.Stats()
		if st.Queued != queue || st.Dropped < n+1-queue-16 || st.Dropped > n-queue {
			t.Fatalf("stats %+v: want %d queued and %d..%d dropped", st, queue, n+1-queue-16, n-queue)
		}
		dropped := st.Dropped
		release()
		flush(t, s)
		st = s.Stats()
		if want := n + 1 - dropped; st.Written != want || st.Failed != 0 || st.Dropped != dropped {
			t.Fatalf("after release: %+v, want %d written", st, want)
		}
		want := n + 1 - int(dropped)
		if rows := b.count(t, s, "samples"); rows != want {
			t.Fatalf("%d rows, want %d", rows, want)
		}
	})
}

func TestCloseDrainsAndReopen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		dir := b.fresh(t)
		s, err := b.open(dir, Options{Now: func() time.Time { return at(3600) }})
		if err != nil {
			t.Fatal(err)
		}
		const n = 3000
		for i := range n {
			s.AddSample(Sample{App: app, CommID: "c", Session: "s", UserID: "u", At: at(float64(i)), Values: map[Metric]float64{MetricABit: 1}})
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if st := s.Stats(); st.Written != n || st.Dropped != 0 {
			t.Fatalf("stats after Close %+v: Close must drain", st)
		}
		// After Close: writes are dropped and counted, reads fail.
		s.AddSample(Sample{App: app, CommID: "c"})
		if st := s.Stats(); st.Dropped != 1 {
			t.Fatalf("write after Close: %+v", st)
		}
		if _, _, err := s.Rooms(context.Background(), RoomQuery{App: app, From: at(0), To: at(1)}); err != ErrClosed {
			t.Fatalf("read after Close: %v", err)
		}
		if err := s.Flush(context.Background()); err != ErrClosed {
			t.Fatalf("Flush after Close: %v", err)
		}

		s2 := open(t, b, dir, Options{})
		got, err := s2.Series(context.Background(), SeriesQuery{App: app, CommID: "c", Users: []trtc.UserID{"u"},
			Metrics: []Metric{MetricABit}, From: at(0), To: at(n), Step: time.Second})
		if err != nil || len(got) != 1 || len(got[0].Points) != n {
			t.Fatalf("after reopen: %d series, err %v", len(got), err)
		}
	})
}

// TestReopenClosesLeftovers: a process that dies leaves rooms and sessions
// open; the next Open closes them at their last recorded activity and
// reports them (for the webhooks), or, when the report fails, leaves them
// open for the start after.
func TestReopenClosesLeftovers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		dir := b.fresh(t)
		s, err := b.open(dir, Options{Now: func() time.Time { return at(3600) }})
		if err != nil {
			t.Fatal(err)
		}
		r := Room{App: app, RoomID: "1", Created: at(0), Creator: "alice"}
		s.RoomCreated(r)
		s.SessionStarted(Session{ID: "a", App: app, CommID: r.CommID(), RoomID: "1", UserID: "alice", Joined: at(0), Role: trtc.RoleAudience})
		s.SessionRole("a", trtc.RoleAnchor) // switched
		s.SessionStarted(Session{ID: "b", App: app, CommID: r.CommID(), RoomID: "1", UserID: "bob", Joined: at(5), Role: trtc.RoleAudience})
		for i := range 5 {
			s.AddSample(Sample{App: app, CommID: r.CommID(), Session: "a", UserID: "alice", At: at(float64(10 + 2*i)), Values: map[Metric]float64{MetricABit: 1}})
		}
		// An empty room with no sessions at all.
		s.RoomCreated(Room{App: app, RoomID: "2", Created: at(30), Creator: "carol"})
		flush(t, s)
		_ = s.Close() // like a crash: nothing was ended

		// A report that fails leaves everything open and fails the Open.
		refused := errors.New("outbox full")
		if s, err := b.open(dir, Options{Leftovers: func(Leftovers) error { return refused }}); !errors.Is(err, refused) {
			if s != nil {
				s.Close()
			}
			t.Fatalf("Open with a failing report: %v, want %v", err, refused)
		}
		var got []Leftovers
		s2 := open(t, b, dir, Options{Leftovers: func(l Leftovers) error { got = append(got, l); return nil }})
		wantGone := []LeftSession{
			{App: app, RoomID: "1", UserID: "bob", Role: trtc.RoleAudience, Left: at(5)},
			{App: app, RoomID: "1", UserID: "alice", Role: trtc.RoleAnchor, Left: at(18)},
		}
		wantEnded := []LeftRoom{{App: app, RoomID: "1", Destroyed: at(18)}, {App: app, RoomID: "2", Destroyed: at(30)}}
		if len(got) != 1 || !reflect.DeepEqual(got[0].Gone, wantGone) || !reflect.DeepEqual(got[0].Ended, wantEnded) {
			t.Fatalf("reported %+v\nwant gone %+v, ended %+v", got, wantGone, wantEnded)
		}
		sessions, _, err := s2.Sessions(context.Background(), SessionQuery{App: app, CommID: r.CommID(), From: at(0), To: at(3600), Limit: 10})
		if err != nil || len(sessions) != 2 {
			t.Fatal(sessions, err)
		}
		if !sessions[0].Left.Equal(at(18)) || !sessions[1].Left.Equal(at(5)) {
			t.Fatalf("sessions closed at %v and %v, want the last sample (18 s) and the join (5 s)", sessions[0].Left, sessions[1].Left)
		}
		rooms, _, err := s2.Rooms(context.Background(), RoomQuery{App: app, From: at(0), To: at(3600), Limit: 10})
		if err != nil || len(rooms) != 2 {
			t.Fatal(rooms, err)
		}
		if !rooms[0].Destroyed.Equal(at(18)) || !rooms[1].Destroyed.Equal(at(30)) {
			t.Fatalf("rooms closed at %v and %v, want 18 s and 30 s", rooms[0].Destroyed, rooms[1].Destroyed)
		}
		s2.Close()
		// Closed once: the next start has nothing to report.
		got = nil
		open(t, b, dir, Options{Leftovers: func(l Leftovers) error { got = append(got, l); return nil }})
		if len(got) != 1 || len(got[0].Gone)+len(got[0].Ended) != 0 {
			t.Fatalf("second restart reported %+v, want nothing", got)
		}
	})
}

// TestUpgradeFromVersion1: an embedded database of schema version 1 (no
// role column) is upgraded at Open, keeps its rows, and records roles.
func TestUpgradeFromVersion1(t *testing.T) {
	b := backends[0]
	dir := b.fresh(t)
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := Room{App: app, RoomID: "1", Created: at(0), Creator: "alice"}
	s.RoomCreated(r)
	s.SessionStarted(Session{ID: "a", App: app, CommID: r.CommID(), RoomID: "1", UserID: "alice", Joined: at(0)})
	flush(t, s)
	_ = s.Close()
	b.exec(t, dir, `ALTER TABLE sessions DROP COLUMN role`)
	b.exec(t, dir, `PRAGMA user_version = 1`)

	var got []Leftovers
	s2 := open(t, b, dir, Options{Leftovers: func(l Leftovers) error { got = append(got, l); return nil }})
	if len(got) != 1 || len(got[0].Gone) != 1 || got[0].Gone[0].UserID != "alice" || got[0].Gone[0].Role != trtc.RoleAnchor {
		t.Fatalf("after the upgrade: %+v, want alice's open session as anchor (the column's default)", got)
	}
	s2.SessionStarted(Session{ID: "b", App: app, CommID: r.CommID(), RoomID: "1", UserID: "bob", Joined: at(10), Role: trtc.RoleAudience})
	flush(t, s2)
	var role int
	if err := s2.(*SQLite).db.QueryRow(`SELECT role FROM sessions WHERE session = 'b'`).Scan(&role); err != nil || role != int(trtc.RoleAudience) {
		t.Fatalf("bob's role after the upgrade: %d, %v", role, err)
	}
}

func TestRetention(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		dir := b.fresh(t)
		now := at(0)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s, err := b.open(dir, Options{Now: clock, Retention: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		old := Room{App: app, RoomID: "1", Created: at(0), Destroyed: at(60), Creator: "a"}
		live := Room{App: app, RoomID: "2", Created: at(0), Creator: "a"} // open rooms are never purged
		recent := Room{App: app, RoomID: "3", Created: at(3000), Destroyed: at(3100), Creator: "a"}
		for _, r := range []Room{old, live, recent} {
			s.RoomCreated(r)
			if !r.Destroyed.IsZero() {
				s.RoomDestroyed(r)
			}
		}
		s.SessionStarted(Session{ID: "old", App: app, CommID: old.CommID(), UserID: "a", Joined: at(0)})
		s.SessionEnded("old", at(60))
		s.AddSample(Sample{App: app, CommID: old.CommID(), Session: "old", UserID: "a", At: at(30), Values: map[Metric]float64{MetricABit: 1}})
		s.AddSample(Sample{App: app, CommID: recent.CommID(), Session: "new", UserID: "a", At: at(3050), Values: map[Metric]float64{MetricABit: 1}})
		_ = s.Close()

		mu.Lock()
		now = at(3600 + 120) // an hour after the old room ended, not after the recent one
		mu.Unlock()
		s2 := open(t, b, dir, Options{Now: clock, Retention: time.Hour})
		rooms, sessions, samples := b.count(t, s2, "rooms"), b.count(t, s2, "sessions"), b.count(t, s2, "samples")
		// The live room was closed at Open (leftover) at its creation, so it
		// is past retention too.
		if rooms != 1 || sessions != 0 || samples != 1 {
			t.Fatalf("after purge: %d rooms, %d sessions, %d samples; want 1, 0, 1", rooms, sessions, samples)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("", Options{}); err == nil {
		t.Fatal("Open with no directory succeeded")
	}
	ctx := context.Background()
	for _, dsn := range []string{"postgres://", "host=127.0.0.1 port=notanumber", "postgres://%zz"} {
		if s, err := OpenPostgres(ctx, dsn, Options{}); err == nil {
			s.Close()
			t.Fatalf("OpenPostgres(%q) succeeded", dsn)
		}
	}
	if _, err := OpenPostgres(ctx, pgtest.Shared(t).NewDatabase(t), Options{Node: string(make([]byte, MaxNodeName+1))}); err == nil {
		t.Fatal("OpenPostgres with an overlong node name succeeded")
	}
	newer := map[string]string{
		"sqlite":   `PRAGMA user_version = 99`,
		"postgres": `UPDATE rtcengine_schema SET version = 99 WHERE component = 'history'`,
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		where := b.fresh(t)
		s := open(t, b, where, Options{})
		_ = s.Close()
		b.exec(t, where, newer[b.name])
		s, err := b.open(where, Options{})
		if err == nil {
			s.Close()
			t.Fatal("Open of a newer schema succeeded")
		}
		if b.name == "postgres" && !errors.Is(err, pgschema.ErrTooNew) {
			t.Fatalf("Open of a newer schema: %v, want ErrTooNew", err)
		}
	})
}

// TestCloseNode: a node closes what another node of the cluster left open,
// and only that; each node's records carry its name.
func TestCloseNode(t *testing.T) {
	b := backends[1]
	where := b.fresh(t)
	one := open(t, b, where, Options{Node: "one"}).(*Postgres)
	two := open(t, b, where, Options{Node: "two"}).(*Postgres)
	for i, s := range []*Postgres{one, two} {
		r := Room{App: app, RoomID: fmt.Sprint(i), Created: at(0), Creator: "alice"}
		s.RoomCreated(r)
		s.SessionStarted(Session{ID: fmt.Sprint("s", i), App: app, CommID: r.CommID(), RoomID: r.RoomID, UserID: "alice", Joined: at(1)})
		s.AddSample(Sample{App: app, CommID: r.CommID(), Session: fmt.Sprint("s", i), UserID: "alice", At: at(9), Values: map[Metric]float64{MetricABit: 1}})
		flush(t, s)
	}
	if err := two.CloseNode(context.Background(), "one"); err != nil {
		t.Fatal(err)
	}
	rooms, _, err := two.Rooms(context.Background(), RoomQuery{App: app, From: at(0), To: at(100), Limit: 10})
	if err != nil || len(rooms) != 2 {
		t.Fatal(rooms, err)
	}
	if !rooms[0].Destroyed.Equal(at(9)) || !rooms[1].Destroyed.IsZero() {
		t.Fatalf("room of node one ends at %v (want 9 s), room of node two at %v (want open)", rooms[0].Destroyed, rooms[1].Destroyed)
	}
	var nodes []string
	rows, err := one.pool.Query(context.Background(), `SELECT node FROM history_sessions ORDER BY session`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		nodes = append(nodes, n)
	}
	if !slices.Equal(nodes, []string{"one", "two"}) {
		t.Fatalf("sessions recorded by %v", nodes)
	}
}

// TestConcurrentReadsAndWrites runs readers against the writer (race
// detector): WAL readers see consistent pages while records stream in.
func TestConcurrentReadsAndWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := open(t, b, b.fresh(t), Options{})
		r := Room{App: app, RoomID: "1", Created: at(0), Creator: "a"}
		s.RoomCreated(r)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, _, err := s.Sessions(context.Background(), SessionQuery{App: app, CommID: r.CommID(), From: at(0), To: at(1e6), Limit: 100}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		for i := range 2000 {
			id := fmt.Sprint("s", i)
			s.SessionStarted(Session{ID: id, App: app, CommID: r.CommID(), UserID: "u", Joined: at(float64(i))})
			s.SessionEnded(id, at(float64(i+1)))
		}
		flush(t, s)
		close(stop)
		wg.Wait()
		_, total, err := s.Sessions(context.Background(), SessionQuery{App: app, CommID: r.CommID(), From: at(0), To: at(1e6)})
		if err != nil || total != 2000 {
			t.Fatalf("total %d err %v", total, err)
		}
		if st := s.Stats(); st.Dropped != 0 {
			t.Fatalf("dropped %d", st.Dropped)
		}
	})
}

// BenchmarkAddSample measures the writer's sustained rate: samples queued
// and committed per second.
func BenchmarkAddSample(bb *testing.B) {
	for _, b := range backends {
		bb.Run(b.name, func(bb *testing.B) {
			var where string
			if b.name == "postgres" {
				where = pgtest.Shared(bb).NewDatabase(bb)
			} else {
				where = bb.TempDir()
			}
			s, err := b.open(where, Options{QueueLength: 1 << 16})
			if err != nil {
				bb.Fatal(err)
			}
			defer s.Close()
			vals := map[Metric]float64{MetricABit: 32000, MetricBigvBit: 1.2e6, MetricBigvEncFps: 30, MetricBigvWidth: 640, MetricBigvHeight: 360, MetricALoss: 0, MetricBigvLoss: 0}
			bb.ResetTimer()
			for i := range bb.N {
				s.AddSample(Sample{App: app, CommID: "c", Session: "s", UserID: "u", PeerID: "p", At: at(float64(i)), Values: vals})
				if s.Stats().Queued > 1<<15 {
					_ = s.Flush(context.Background())
				}
			}
			if err := s.Flush(context.Background()); err != nil {
				bb.Fatal(err)
			}
			bb.StopTimer()
			if st := s.Stats(); st.Dropped != 0 {
				bb.Fatalf("dropped %d", st.Dropped)
			}
			bb.ReportMetric(float64(bb.N)/bb.Elapsed().Seconds(), "samples/s")
		})
	}
}

// TestBackgroundPurge: the writer deletes what passes the retention while
// it runs, slice by slice (12,000 old samples take three slices), and keeps
// taking records meanwhile.
func TestBackgroundPurge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		var mu sync.Mutex
		now := at(0)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s := open(t, b, b.fresh(t), Options{Now: clock, Retention: time.Hour, PurgeEvery: 10 * time.Millisecond, QueueLength: 1 << 15})
		for i := range 12000 {
			s.AddSample(Sample{App: app, CommID: "c", Session: "s", UserID: "u", At: at(float64(i) / 10), Values: map[Metric]float64{MetricABit: 1}})
		}
		flush(t, s)
		count := func() int {
			return b.count(t, s, "samples")
		}
		if n := count(); n != 12000 {
			t.Fatalf("%d samples before the clock moves", n)
		}
		mu.Lock()
		now = at(7200) // everything is now two hours old
		mu.Unlock()
		s.AddSample(Sample{App: app, CommID: "c", Session: "s", UserID: "u", At: at(7100), Values: map[Metric]float64{MetricABit: 2}})
		deadline := time.Now().Add(10 * time.Second)
		for count() != 1 {
			if time.Now().After(deadline) {
				t.Fatalf("%d samples left; want only the recent one", count())
			}
			time.Sleep(10 * time.Millisecond)
		}
		if st := s.Stats(); st.Dropped != 0 || st.Failed != 0 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// Quality samples arriving one at a time share transactions (they wait up
// to SampleLinger for company); a room or session record, and Flush, are
// committed at once, with whatever samples wait.
func TestSamplesLingerRecordsDoNot(t *testing.T) {
	t.Run("linger", func(t *testing.T) { forEachBackend(t, testSamplesLinger) })
	t.Run("no linger", func(t *testing.T) { forEachBackend(t, testSamplesAtOnce) })
}

func testSamplesLinger(t *testing.T, b backend) {
	s := open(t, b, b.fresh(t), Options{SampleLinger: time.Hour})
	sample := func(i int) Sample {
		return Sample{App: app, CommID: "c", Session: "s", UserID: "u", At: at(float64(i)), Values: map[Metric]float64{MetricABit: 1}}
	}
	for i := range 5 {
		s.AddSample(sample(i))
		time.Sleep(20 * time.Millisecond) // each would have committed alone
	}
	if st := s.Stats(); st.Written != 0 || st.Queued != 0 {
		t.Fatalf("stats %+v: the samples should be lingering, taken but not written", st)
	}
	// A room record does not wait, and takes the samples with it.
	s.RoomCreated(Room{App: app, RoomID: "1", Created: at(1), Creator: "u"})
	waitWritten(t, s, 6)
	if st := s.Stats(); st.Batches != 1 {
		t.Fatalf("stats %+v: want the 5 samples and the room in 1 transaction", st)
	}
	// Flush does not wait for the linger either.
	s.AddSample(sample(10))
	flush(t, s)
	if st := s.Stats(); st.Written != 7 || st.Batches != 2 {
		t.Fatalf("after Flush: %+v", st)
	}
}

// With the linger off, each sample at rest commits alone.
func testSamplesAtOnce(t *testing.T, b backend) {
	s := open(t, b, b.fresh(t), Options{SampleLinger: -1})
	for i := range 3 {
		s.AddSample(Sample{App: app, CommID: "c", Session: "s", UserID: "u", At: at(float64(i)), Values: map[Metric]float64{MetricABit: 1}})
		waitWritten(t, s, uint64(i+1))
	}
	if st := s.Stats(); st.Batches != 3 {
		t.Fatalf("no linger: %+v, want 3 transactions", st)
	}
}

// waitWritten waits up to 10 s for the writer to have committed want records.
func waitWritten(t *testing.T, s store, want uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Written < want {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: want %d written within 10 s", s.Stats(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

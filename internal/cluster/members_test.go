package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// The member table of a LIVE room (members.go) against a real Redis: the
// audience cap across nodes, the newer session winning, role switches,
// failed enters given back, and the table vanishing with its last member.
func TestMemberTable(t *testing.T) {
	rdb := startRedis(t)
	ctx := context.Background()
	tab := &members{rdb: rdb, ttl: 10 * time.Second}
	key := trtc.RoomKey{App: 1400000001, Num: 5}
	aud := func() int {
		t.Helper()
		n, err := tab.audience(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	admit := func(user string, node NodeID, role trtc.Role, cap int) (bool, string) {
		t.Helper()
		ok, old, err := tab.admit(ctx, key, trtc.UserID(user), memberValue(node, "", role), role == trtc.RoleAudience, cap)
		if err != nil {
			t.Fatal(err)
		}
		return ok, old
	}
	settle := func(user string, node NodeID, session string, role trtc.Role) {
		t.Helper()
		if wrote, _, err := tab.settle(ctx, key, trtc.UserID(user), memberValue(node, "", role), memberValue(node, session, role)); err != nil || !wrote {
			t.Fatalf("settle %s: %v %v", user, wrote, err)
		}
	}

	steps := []struct {
		name  string
		do    func(t *testing.T)
		wantA int
	}{
		{"two viewers on two nodes", func(t *testing.T) {
			for i, n := range []NodeID{"a", "b"} {
				if ok, _ := admit(fmt.Sprint("u", i), n, trtc.RoleAudience, 3); !ok {
					t.Fatal("refused below the cap")
				}
				settle(fmt.Sprint("u", i), n, fmt.Sprint("s", i), trtc.RoleAudience)
			}
		}, 2},
		{"an anchor does not count", func(t *testing.T) {
			if ok, _ := admit("host", "a", trtc.RoleAnchor, 3); !ok {
				t.Fatal("anchor refused")
			}
			settle("host", "a", "h1", trtc.RoleAnchor)
		}, 2},
		{"the third viewer fills the room, the fourth is refused", func(t *testing.T) {
			if ok, _ := admit("u2", "c", trtc.RoleAudience, 3); !ok {
				t.Fatal("refused below the cap")
			}
			settle("u2", "c", "s2", trtc.RoleAudience)
			if ok, _ := admit("u3", "c", trtc.RoleAudience, 3); ok {
				t.Fatal("admitted beyond the cap")
			}
		}, 3},
		{"a viewer entering again elsewhere reuses its place and names the old one", func(t *testing.T) {
			ok, old := admit("u0", "c", trtc.RoleAudience, 3)
			if e, parsed := parseEntry(old); !ok || !parsed || e.Node != "a" || e.Session != "s0" {
				t.Fatalf("admit = %v, old %q", ok, old)
			}
			settle("u0", "c", "s9", trtc.RoleAudience)
			// The old session's leave, coming later, leaves the new entry alone.
			if err := tab.leave(ctx, key, "u0", "a", "s0"); err != nil {
				t.Fatal(err)
			}
		}, 3},
		{"a failed enter is given back", func(t *testing.T) {
			ok, old := admit("host", "b", trtc.RoleAudience, 4)
			if !ok {
				t.Fatal("refused")
			}
			if err := tab.unreserve(ctx, key, "host", memberValue("b", "", trtc.RoleAudience), old); err != nil {
				t.Fatal(err)
			}
			if v, _ := rdb.HGet(ctx, membersKey(key), "host").Result(); v != memberValue("a", "h1", trtc.RoleAnchor) {
				t.Fatalf("host's entry after the failed enter: %q", v)
			}
		}, 3},
		{"a viewer switching to anchor frees a place", func(t *testing.T) {
			if err := tab.role(ctx, key, "u1", "b", "s1", trtc.RoleAnchor); err != nil {
				t.Fatal(err)
			}
		}, 2},
		{"a stale settle writes nothing", func(t *testing.T) {
			wrote, _, err := tab.settle(ctx, key, "u1", memberValue("c", "", trtc.RoleAudience), memberValue("c", "zz", trtc.RoleAudience))
			if err != nil || wrote {
				t.Fatalf("settle over another entry: %v %v", wrote, err)
			}
		}, 2},
		{"a node that left is swept", func(t *testing.T) {
			if err := tab.sweep(ctx, key, []NodeID{"a", "b"}); err != nil { // c is gone: u0 and u2
				t.Fatal(err)
			}
		}, 0},
		{"everyone leaves: the table is gone", func(t *testing.T) {
			for _, u := range []struct{ user, node, s string }{{"host", "a", "h1"}, {"u1", "b", "s1"}} {
				if err := tab.leave(ctx, key, trtc.UserID(u.user), NodeID(u.node), u.s); err != nil {
					t.Fatal(err)
				}
			}
			if n, _ := rdb.Exists(ctx, membersKey(key)).Result(); n != 0 {
				t.Fatalf("member table left behind: %v", rdb.HGetAll(ctx, membersKey(key)).Val())
			}
		}, 0},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do(t)
			if got := aud(); got != s.wantA {
				t.Fatalf("audience %d, want %d (table %v)", got, s.wantA, rdb.HGetAll(ctx, membersKey(key)).Val())
			}
		})
	}
}

// No overshoot: 200 concurrent audience enters on four nodes of a room
// capped at 50 admit exactly 50.
func TestMemberTableConcurrentCap(t *testing.T) {
	rdb := startRedis(t)
	ctx := context.Background()
	tab := &members{rdb: rdb, ttl: 10 * time.Second}
	key := trtc.RoomKey{App: 1400000001, Str: "cap"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	in := 0
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := NodeID(fmt.Sprint("n", i%4))
			ok, _, err := tab.admit(ctx, key, trtc.UserID(fmt.Sprint("u", i)), memberValue(node, "", trtc.RoleAudience), true, 50)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				in++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n, _ := tab.audience(ctx, key); in != 50 || n != 50 {
		t.Fatalf("%d admitted, %d counted; want 50", in, n)
	}
}

// A replacement call is refused unless signed with the cluster secret, and
// its body is checked.
func TestReplaceCallAuthenticated(t *testing.T) {
	rdb := startRedis(t)
	n := newTestNode(t, rdb, "a")
	host := &fakeEdgeHost{}
	if err := n.EnableEdges(EdgeConfig{Host: host, MaxAudience: 10}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.ReplaceHandler())
	t.Cleanup(srv.Close)
	post := func(body string, signed bool, secret []byte) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+ReplacePath, bytes.NewReader([]byte(body)))
		if signed {
			sign(req, secret, "b", []byte(body), time.Now())
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := `{"app":1400000001,"num":7,"user":"dan","session":"00ff"}`
	for _, tt := range []struct {
		name   string
		body   string
		signed bool
		secret []byte
		want   int
	}{
		{"unsigned", good, false, nil, http.StatusUnauthorized},
		{"another secret", good, true, []byte("another-secret-of-the-cluster"), http.StatusUnauthorized},
		{"bad room", `{"app":1400000001,"user":"dan"}`, true, testSecret, http.StatusBadRequest},
		{"bad user", `{"app":1400000001,"num":7,"user":"d n"}`, true, testSecret, http.StatusBadRequest},
		{"bad session", `{"app":1400000001,"num":7,"user":"dan","session":"XYZ"}`, true, testSecret, http.StatusBadRequest},
		{"good", good, true, testSecret, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(tt.body, tt.signed, tt.secret); got != tt.want {
				t.Fatalf("HTTP %d, want %d", got, tt.want)
			}
		})
	}
	if len(host.replaced) != 1 || host.replaced[0] != "1400000001/7 dan 00ff" {
		t.Fatalf("replaced %v, want the one good call", host.replaced)
	}
}

type fakeEdgeHost struct {
	mu       sync.Mutex
	replaced []string
}

func (h *fakeEdgeHost) Pull(context.Context, string, trtc.RoomKey) (Mirror, error) {
	return nil, fmt.Errorf("no relay in this test")
}

func (h *fakeEdgeHost) Replace(key trtc.RoomKey, user trtc.UserID, session string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.replaced = append(h.replaced, fmt.Sprintf("%s %s %s", key, user, session))
	return nil
}

func (h *fakeEdgeHost) Users() int { return 0 }

// FuzzReplaceCall: no body panics the replacement call's parser, and one
// it accepts names a room, a valid userId and a hex session.
func FuzzReplaceCall(f *testing.F) {
	f.Add([]byte(`{"app":1400000001,"num":7,"user":"dan","session":"00ff"}`))
	f.Add([]byte(`{"app":1,"str":"a b","user":"x"}`))
	f.Add([]byte(`{"app":0,"user":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		key, user, session, err := decodeReplace(body)
		if err != nil {
			return
		}
		if key.App == 0 || (key.Num == 0 && key.Str == "") || trtc.ValidateUserID(string(user)) != nil || len(session) > maxSessionLen {
			t.Fatalf("accepted %q", body)
		}
	})
}

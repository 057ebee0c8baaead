package test

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/pgtest"
)

// Two nodes on one PostgreSQL (--postgres): the history store and the
// webhook outbox are shared, so any node answers Describe* and delivers the
// events of a node that died.

// TestPostgresNodeKilled: node A (the real binary) hosts a call while the
// webhook receiver refuses everything; node B (in process, same database)
// answers DescribeRoomInfo, DescribeUserInfo and DescribeCallDetailInfo
// about it. A is killed with
// SIGKILL right after DismissRoom; once the receiver accepts again, B
// delivers all of A's events, in order, each once. B also answers
// DescribeCallDetailInfo with the quality reports A's clients sent.
func TestPostgresNodeKilled(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	rcv := newHookReceiver(t, func(int) int { return 500 })
	bin := buildServer(t)
	dir := t.TempDir()
	cfgFile := childConfig(t, dir, rcv.URL(), fmt.Sprintf(`postgres: %q
webhook:
  timeout: 1s
  retry_interval: 20ms
  retry_window: 1h
`, dsn))
	start := uint64(time.Now().Unix())
	a := startChild(t, bin, cfgFile)
	b := NewEnv(t, withWebhook(rcv.URL(), func(w *config.Webhook) {
		w.Timeout, w.RetryInterval, w.RetryWindow = time.Second, 20*time.Millisecond, time.Hour
	}), func(c *config.Config) { c.Postgres = dsn })

	alice := joinAt(t, a.addr, "alice", 8900)
	bob := joinAt(t, a.addr, "bob", 8900)

	// B knows the room and its users, though they are on A.
	var rooms roomList
	poll(t, "room 8900 in B's DescribeRoomInfo", func() bool {
		code := b.describe("DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": start - 60, "EndTime": start + 60}, &rooms)
		return code == "" && rooms.Total == 1
	})
	r := rooms.RoomList[0]
	if r.RoomString != "8900" || r.UserId != "alice" || r.IsFinished {
		t.Fatalf("room %+v", r)
	}
	var users userList
	poll(t, "alice and bob in B's DescribeUserInfo", func() bool {
		code := b.describe("DescribeUserInfo", map[string]any{"CommId": r.CommId, "SdkAppId": appID, "StartTime": start - 60, "EndTime": start + 3600}, &users)
		return code == "" && users.Total == 2
	})
	if users.UserList[0].UserId != "alice" || users.UserList[1].UserId != "bob" || users.UserList[0].Finished {
		t.Fatalf("users %+v", users.UserList)
	}

	// And their quality reports (every 2 s, with the process's CPU).
	var quality userList
	poll(t, "alice's appCpu in B's DescribeCallDetailInfo", func() bool {
		code := b.describe("DescribeCallDetailInfo", map[string]any{"CommId": r.CommId, "SdkAppId": appID,
			"StartTime": start - 60, "EndTime": uint64(time.Now().Unix()) + 60, "DataType": []string{"appCpu"}}, &quality)
		return code == "" && len(quality.series("alice", "", "appCpu")) >= 1
	})
	if v := quality.series("alice", "", "appCpu")[0]; v < 0 || v > 100 {
		t.Fatalf("alice's appCpu %v", v)
	}

	if code := callAt(t, a.addr, "DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 8900}); code != "" {
		t.Fatalf("DismissRoom: %s", code)
	}
	poll(t, "room 8900 finished in B's DescribeRoomInfo", func() bool {
		code := b.describe("DescribeRoomInfo", map[string]any{"SdkAppId": appID, "StartTime": start - 60, "EndTime": start + 60}, &rooms)
		return code == "" && rooms.Total == 1 && rooms.RoomList[0].IsFinished
	})
	if err := a.stop(syscall.SIGKILL); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("node A: %v, want killed", err)
	}
	alice.Close()
	bob.Close()
	if n := len(rcv.got()); n != 0 {
		t.Fatalf("the receiver accepted %d events while refusing", n)
	}

	rcv.setAnswer(nil)
	got := rcv.waitFor("102 of room 8900", func(hs []hook) bool { return has(hs, "102 8900") })
	enters := []string{
		"101 8900 UserId=alice",
		fmt.Sprintf("103 8900 UserId=alice Role=20 TerminalType=%d UserType=3 Reason=1", terminalOf()),
		fmt.Sprintf("103 8900 UserId=bob Role=20 TerminalType=%d UserType=3 Reason=1", terminalOf()),
	}
	exits := []string{"104 8900 UserId=alice Role=20 Reason=3", "104 8900 UserId=bob Role=20 Reason=3"}
	s := strs(got)
	if len(s) != 6 || !slices.Equal(s[:3], enters) || s[5] != "102 8900" || !slices.Contains(s[3:5], exits[0]) || !slices.Contains(s[3:5], exits[1]) {
		t.Fatalf("delivered by node B\n got %q\nwant %q, the two of %q, then 102", s, enters, exits)
	}
	poll(t, "the sessions finished in B's DescribeUserInfo", func() bool {
		code := b.describe("DescribeUserInfo", map[string]any{"CommId": r.CommId, "SdkAppId": appID, "StartTime": start - 60, "EndTime": start + 3600}, &users)
		return code == "" && users.Total == 2 && users.UserList[0].Finished && users.UserList[1].Finished
	})
}

package test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/pgtest"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/rtc"
)

// TestClusterLiveReportsOneRoom: a LIVE room whose anchor is on its owner
// and whose audience is served by two edges is one room to the app
// (docs/cluster.md, "Webhooks and history"): the shared outbox delivers one
// 101 and one 102, one 103 and one 104 per real user and the anchor's media
// events once, never an event for the edges' copies of the anchor; the
// shared history store holds one room whose CommId lists all three users
// and the edge viewers' quality reports.
func TestClusterLiveReportsOneRoom(t *testing.T) {
	dsn := pgtest.Shared(t).NewDatabase(t)
	rcv := newHookReceiver(t, nil) // before the nodes: their shutdown flushes webhooks to it
	nodes := clNodes(t, 3, withWebhook(rcv.URL(), func(w *config.Webhook) {
		w.Timeout, w.RetryInterval, w.RetryWindow = time.Second, 20*time.Millisecond, time.Hour
	}), func(c *config.Config) { c.Postgres = dsn })
	const roomID = 8205
	key := trtc.RoomKey{App: appID, Num: roomID}
	start := uint64(time.Now().Unix())

	alice := nodes[0].Join("alice", roomID, rtc.SceneLive, rtc.RoleAnchor) // the owner: node 1
	// The edges' copies are created in a later second than the owner's
	// room, so that only the owner's creation time gives their users the
	// owner's CommId (SdkAppId_RoomId_CreateTime, in seconds).
	r, ok := nodes[0].Srv.Rooms().Room(key)
	if !ok {
		t.Fatal("no room on node 1")
	}
	created := r.Info().Created
	waitFor(t, 2*time.Second, "the next second", func() bool { return time.Now().Unix() > created.Unix() })
	v1 := nodes[1].Join("v1", roomID, rtc.SceneLive, rtc.RoleAudience)
	v2 := nodes[2].Join("v2", roomID, rtc.SceneLive, rtc.RoleAudience)
	if clOwner(t, nodes[:1], key) != 0 || !memberOn(nodes[1], key, "v1") || !memberOn(nodes[2], key, "v2") {
		t.Fatal("want node 1 owning the room and v1, v2 served by nodes 2 and 3")
	}
	for i, e := range nodes[1:] {
		if e.Srv.Cluster().Mirrors() != 1 {
			t.Fatalf("node %d mirrors %d rooms, want 1", i+2, e.Srv.Cluster().Mirrors())
		}
		if m := get(t, e.Srv.URL()+"/metrics"); !strings.Contains(m, "\nrtcengine_cluster_edge_rooms 1\n") {
			t.Fatalf("node %d's /metrics lacks rtcengine_cluster_edge_rooms 1", i+2)
		}
	}
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	v1.Wait("OnUserVideoAvailable", "alice", true) // the edges' copies of alice publish too
	v2.Wait("OnUserVideoAvailable", "alice", true)

	// The history: one room (created by alice on node 1), with all three
	// users under its CommId, whichever node serves them.
	var rooms roomList
	poll(t, "room 8205 in DescribeRoomInfo", func() bool {
		code := nodes[2].describe("DescribeRoomInfo", map[string]any{"SdkAppId": appID, "RoomId": "8205", "StartTime": start - 60, "EndTime": start + 60}, &rooms)
		return code == "" && rooms.Total >= 1
	})
	if rooms.Total != 1 || rooms.RoomList[0].UserId != "alice" {
		t.Fatalf("DescribeRoomInfo: %+v, want one room created by alice", rooms)
	}
	var users userList
	poll(t, "alice, v1 and v2 in DescribeUserInfo", func() bool {
		code := nodes[1].describe("DescribeUserInfo", map[string]any{"CommId": rooms.RoomList[0].CommId, "SdkAppId": appID,
			"StartTime": start - 60, "EndTime": start + 3600}, &users)
		return code == "" && users.Total >= 3
	})
	var names []string
	for _, u := range users.UserList {
		names = append(names, u.UserId)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"alice", "v1", "v2"}) {
		t.Fatalf("DescribeUserInfo of %s: %q, want alice, v1 and v2 once each", rooms.RoomList[0].CommId, names)
	}

	// So do the quality reports of a viewer on an edge (every 2 s).
	var quality userList
	poll(t, "v1's appCpu in DescribeCallDetailInfo", func() bool {
		code := nodes[0].describe("DescribeCallDetailInfo", map[string]any{"CommId": rooms.RoomList[0].CommId, "SdkAppId": appID,
			"StartTime": start - 60, "EndTime": uint64(time.Now().Unix()) + 60, "DataType": []string{"appCpu"}}, &quality)
		return code == "" && len(quality.series("v1", "", "appCpu")) >= 1
	})

	// Everybody leaves: the room ends on its owner and on both edges.
	for _, c := range []*Client{v1, v2, alice} {
		c.ExitRoom()
		c.Wait("OnExitRoom", 0)
	}
	waitFor(t, waitTimeout, "the room gone from every node", func() bool {
		for _, e := range nodes {
			if _, ok := e.Srv.Rooms().Room(key); ok {
				return false
			}
		}
		return true
	})
	// Every event of every node is in the shared outbox by now; once none
	// is pending, the receiver has them all.
	waitFor(t, waitTimeout, "every webhook delivered", func() bool {
		return strings.Contains(get(t, nodes[0].Srv.URL()+"/metrics"), "\nrtcengine_webhook_pending 0\n")
	})
	var got []string
	for _, h := range rcv.got() {
		if fmt.Sprint(h.Info["RoomId"]) == fmt.Sprint(roomID) {
			got = append(got, h.String())
		}
	}
	enter := func(user string, role int) string {
		return fmt.Sprintf("103 %d UserId=%s Role=%d TerminalType=%d UserType=3 Reason=1", roomID, user, role, terminalOf())
	}
	exit := func(user string, role int) string {
		return fmt.Sprintf("104 %d UserId=%s Role=%d Reason=1", roomID, user, role)
	}
	want := []string{
		fmt.Sprintf("101 %d UserId=alice", roomID),
		enter("alice", 20), enter("v1", 21), enter("v2", 21),
		fmt.Sprintf("201 %d UserId=alice", roomID),
		exit("v1", 21), exit("v2", 21), exit("alice", 20),
		fmt.Sprintf("102 %d", roomID),
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("webhook events of room %d (sorted)\n got %q\nwant %q", roomID, got, want)
	}
}

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/store"
	"github.com/rtcengine/rtcengine/internal/tc3"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// historyEnv is a handler with the Describe actions over a real SQLite
// history in a temporary directory, filled with a scripted history.
type historyEnv struct {
	*testEnv
	store *store.SQLite
	now   time.Time // whole second; the scripted history is relative to it
	call  string    // the CommId of the scripted call
}

func newHistoryEnv(t *testing.T) *historyEnv {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := &historyEnv{testEnv: &testEnv{t: t}, store: st, now: time.Now().Truncate(time.Second)}
	e.handler = NewHandler(Config{Credentials: testCreds, History: st})
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	e.script()
	return e
}

// ago is a time relative to the scripted now.
func (e *historyEnv) ago(d time.Duration) time.Time { return e.now.Add(-d) }

// script records, for appOwned:
//
//	room 1234   created 3 h ago by alice, destroyed 2 h ago
//	room "1234" (string) created 90 min ago by bob, still open
//	room 5678   created 30 min ago by carol, still open: the call with users
//	           alice  joined 30 min ago, left 20 min ago
//	           bob    joined 29 min ago, still in
//	           carol  joined 28 min ago, still in
//	           alice  joined again 10 min ago, still in
//	           u0..u6 joined 25 min ago, left 24 min ago
//	           and quality samples every 2 s for the last 10 minutes
//	room 42     created 15 days ago, destroyed 15 days ago
//
// and for appOther room 1234 created 1 h ago.
func (e *historyEnv) script() {
	s := e.store
	room := func(id string, str bool, created, destroyed time.Duration, creator string, app trtc.SDKAppID) store.Room {
		r := store.Room{App: app, RoomID: id, StrRoom: str, Created: e.ago(created), Creator: trtc.UserID(creator)}
		s.RoomCreated(r)
		if destroyed > 0 {
			r.Destroyed = e.ago(destroyed)
			s.RoomDestroyed(r)
		}
		return r
	}
	room("1234", false, 3*time.Hour, 2*time.Hour, "alice", appOwned)
	room("1234", true, 90*time.Minute, 0, "bob", appOwned)
	call := room("5678", false, 30*time.Minute, 0, "carol", appOwned)
	room("42", false, 15*24*time.Hour, 15*24*time.Hour-time.Minute, "dave", appOwned)
	room("1234", false, time.Hour, 0, "xavier", appOther)
	e.call = call.CommID()

	n := 0
	session := func(user string, joined, left time.Duration) string {
		n++
		id := fmt.Sprintf("s%02d", n)
		s.SessionStarted(store.Session{ID: id, App: appOwned, CommID: e.call, RoomID: "5678", UserID: trtc.UserID(user),
			Joined: e.ago(joined), DeviceType: "linux/amd64", SDKVersion: "rtcengine-go/0.1.0", ClientIP: "127.0.0.1"})
		if left > 0 {
			s.SessionEnded(id, e.ago(left))
		}
		return id
	}
	session("alice", 30*time.Minute, 20*time.Minute)
	bob := session("bob", 29*time.Minute, 0)
	session("carol", 28*time.Minute, 0)
	for i := range 7 {
		session(fmt.Sprintf("u%d", i), 25*time.Minute, 24*time.Minute)
	}
	alice := session("alice", 10*time.Minute, 0)

	// Samples: alice sends 1 Mbps of video and receives bob's audio; bob
	// sends audio only. Bitrates rise by 1000 bps per sample so that
	// averaging shows.
	for i := range 300 {
		at := e.ago(10*time.Minute - time.Duration(2*i)*time.Second)
		s.AddSample(store.Sample{App: appOwned, CommID: e.call, Session: alice, UserID: "alice", At: at, Values: map[store.Metric]float64{
			store.MetricAppCPU: 5, store.MetricBigvBit: float64(1_000_000 + 1000*i), store.MetricBigvEncFps: 25,
			store.MetricBigvCapFps: 25, store.MetricBigvWidth: 640, store.MetricBigvHeight: 360, store.MetricBigvLoss: 0,
		}})
		s.AddSample(store.Sample{App: appOwned, CommID: e.call, Session: alice, UserID: "alice", PeerID: "bob", At: at, Values: map[store.Metric]float64{
			store.MetricABit: 24000, store.MetricALoss: 1,
		}})
		s.AddSample(store.Sample{App: appOwned, CommID: e.call, Session: bob, UserID: "bob", At: at, Values: map[store.Metric]float64{
			store.MetricABit: 24000, store.MetricALoss: 0,
		}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *historyEnv) secs(d time.Duration) uint64 { return uint64(e.ago(d).Unix()) }

// describe calls action through tencentcloud-sdk-go and decodes the
// Response into out (when the call succeeds).
func (e *historyEnv) describe(action string, params map[string]any, out any) string {
	e.t.Helper()
	code, resp := e.sdk(sdkCall{action: action, params: params})
	if code == "" && out != nil {
		b, _ := json.Marshal(resp)
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("decode %s: %v", b, err)
		}
	}
	return code
}

type roomInfoResp struct {
	Total    int64
	RoomList []struct {
		CommId, RoomString, UserId string
		CreateTime, DestroyTime    uint64
		IsFinished                 bool
	}
}

func TestDescribeRoomInfo(t *testing.T) {
	e := newHistoryEnv(t)
	type m = map[string]any
	base := func(extra m) m {
		p := m{"SdkAppId": appOwned, "StartTime": e.secs(4 * time.Hour), "EndTime": e.secs(0)}
		for k, v := range extra {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return p
	}
	var r roomInfoResp
	if code := e.describe("DescribeRoomInfo", base(nil), &r); code != "" {
		t.Fatal(code)
	}
	if r.Total != 3 || len(r.RoomList) != 3 {
		t.Fatalf("%+v: want the three rooms of the last 4 hours", r)
	}
	first := r.RoomList[0]
	want := fmt.Sprintf("%d_1234_%d", appOwned, e.secs(3*time.Hour))
	if first.CommId != want || first.RoomString != "1234" || first.UserId != "alice" || !first.IsFinished ||
		first.CreateTime != e.secs(3*time.Hour) || first.DestroyTime != e.secs(2*time.Hour) {
		t.Fatalf("first room %+v, want CommId %s", first, want)
	}
	if open := r.RoomList[1]; open.IsFinished || open.DestroyTime != 0 || open.UserId != "bob" {
		t.Fatalf("open room %+v", open)
	}

	tests := []struct {
		name   string
		params m
		code   string
		rooms  []string // RoomString and creator of the page
		total  int64
	}{
		{name: "room id matches numeric and string rooms", params: base(m{"RoomId": "1234"}), rooms: []string{"1234/alice", "1234/bob"}, total: 2},
		{name: "window overlap", params: base(m{"StartTime": e.secs(100 * time.Minute), "EndTime": e.secs(80 * time.Minute)}), rooms: []string{"1234/bob"}, total: 1},
		{name: "page 1 of size 2", params: base(m{"PageNumber": 1, "PageSize": 2}), rooms: []string{"5678/carol"}, total: 3},
		{name: "page past the end", params: base(m{"PageNumber": 7, "PageSize": 2}), rooms: []string{}, total: 3},
		{name: "page size 100", params: base(m{"PageSize": 100}), rooms: []string{"1234/alice", "1234/bob", "5678/carol"}, total: 3},
		{name: "window of exactly 24 h", params: base(m{"StartTime": e.secs(24 * time.Hour)}), rooms: []string{"1234/alice", "1234/bob", "5678/carol"}, total: 3},
		{name: "empty RoomId means all", params: base(m{"RoomId": ""}), rooms: []string{"1234/alice", "1234/bob", "5678/carol"}, total: 3},
		{name: "the other key sees its own app", params: base(m{"SdkAppId": appOther}), code: "UnauthorizedOperation.SdkAppId"},

		{name: "missing SdkAppId", params: base(m{"SdkAppId": nil}), code: "MissingParameter.SdkAppId"},
		{name: "missing StartTime", params: base(m{"StartTime": nil}), code: "MissingParameter.StartTs"},
		{name: "missing EndTime", params: base(m{"EndTime": nil}), code: "MissingParameter.EndTs"},
		{name: "end before start", params: base(m{"StartTime": e.secs(time.Hour), "EndTime": e.secs(2 * time.Hour)}), code: "InvalidParameter.EndTs"},
		{name: "window over 24 h", params: base(m{"StartTime": e.secs(24*time.Hour + time.Second)}), code: "InvalidParameter.QueryScaleOversize"},
		{name: "start over 14 days ago", params: base(m{"StartTime": e.secs(15 * 24 * time.Hour), "EndTime": e.secs(15*24*time.Hour - time.Hour)}), code: "InvalidParameter.StartTsOversize"},
		{name: "start zero", params: base(m{"StartTime": 0}), code: "InvalidParameter.StartTsOversize"},
		{name: "start beyond year 9999", params: base(m{"StartTime": uint64(1) << 40, "EndTime": uint64(1) << 41}), code: "InvalidParameter.StartTs"},
		{name: "end beyond year 9999", params: base(m{"EndTime": uint64(1) << 40}), code: "InvalidParameter.EndTs"},
		{name: "page size 0", params: base(m{"PageSize": 0}), code: "InvalidParameter.PageSize"},
		{name: "page size 101", params: base(m{"PageSize": 101}), code: "InvalidParameter.PageSizeOversize"},
		{name: "page number too large", params: base(m{"PageNumber": MaxPageNumber + 1}), code: "InvalidParameter.PageNumber"},
		{name: "bad RoomId", params: base(m{"RoomId": "a/b"}), code: "InvalidParameter.RoomId"},
		{name: "SdkAppId zero", params: base(m{"SdkAppId": 0}), code: "InvalidParameter.SdkAppId"},
		{name: "StartTime as string", params: base(m{"StartTime": "1700000000"}), code: "InvalidParameter.BodyParamsError"},
		{name: "negative PageSize", params: base(m{"PageSize": -1}), code: "InvalidParameter.BodyParamsError"},
		{name: "numeric RoomId", params: base(m{"RoomId": 1234}), code: "InvalidParameter.BodyParamsError"},
		{name: "unknown field", params: base(m{"RoomIds": []int{1}}), code: "UnknownParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r roomInfoResp
			code := e.describe("DescribeRoomInfo", tt.params, &r)
			if code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
			if code != "" {
				return
			}
			got := []string{}
			for _, x := range r.RoomList {
				got = append(got, x.RoomString+"/"+x.UserId)
			}
			if !slices.Equal(got, tt.rooms) || r.Total != tt.total {
				t.Fatalf("rooms %v (total %d), want %v (total %d)", got, r.Total, tt.rooms, tt.total)
			}
		})
	}
}

type userInfoResp struct {
	Total    uint64
	UserList []struct {
		RoomStr, UserId, DeviceType, SdkVersion, ClientIp string
		JoinTs, LeaveTs                                   uint64
		Finished                                          bool
	}
	Data []struct {
		UserId, PeerId, DataType string
		Content                  []struct {
			Time  uint64
			Value float64
		}
	}
}

func (r userInfoResp) users() []string {
	out := []string{}
	for _, u := range r.UserList {
		out = append(out, u.UserId)
	}
	return out
}

func (r userInfoResp) series() []string {
	out := []string{}
	for _, d := range r.Data {
		out = append(out, fmt.Sprintf("%s>%s:%s", d.UserId, d.PeerId, d.DataType))
	}
	return out
}

func TestDescribeUserInfo(t *testing.T) {
	e := newHistoryEnv(t)
	type m = map[string]any
	base := func(extra m) m {
		p := m{"CommId": e.call, "SdkAppId": appOwned, "StartTime": e.secs(40 * time.Minute), "EndTime": e.secs(0)}
		for k, v := range extra {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return p
	}
	var r userInfoResp
	if code := e.describe("DescribeUserInfo", base(m{"UserIds": []string{"alice", "bob"}}), &r); code != "" {
		t.Fatal(code)
	}
	if r.Total != 3 || !slices.Equal(r.users(), []string{"alice", "bob", "alice"}) {
		t.Fatalf("users %v total %d: alice twice (two sessions) and bob", r.users(), r.Total)
	}
	a, b := r.UserList[0], r.UserList[1]
	if a.RoomStr != "5678" || a.JoinTs != e.secs(30*time.Minute) || a.LeaveTs != e.secs(20*time.Minute) || !a.Finished ||
		a.DeviceType != "linux/amd64" || a.SdkVersion != "rtcengine-go/0.1.0" || a.ClientIp != "127.0.0.1" {
		t.Fatalf("alice's first session %+v", a)
	}
	// A user still in the room: LeaveTs is now.
	if b.Finished || b.LeaveTs < uint64(e.now.Unix()) {
		t.Fatalf("bob, still in the room: %+v (now %d)", b, e.now.Unix())
	}

	tests := []struct {
		name   string
		params m
		code   string
		users  []string
		total  uint64
	}{
		{name: "default page of 6", params: base(nil), users: []string{"alice", "bob", "carol", "u0", "u1", "u2"}, total: 11},
		{name: "page 1", params: base(m{"PageNumber": 1}), users: []string{"u3", "u4", "u5", "u6", "alice"}, total: 11},
		{name: "window", params: base(m{"StartTime": e.secs(15 * time.Minute)}), users: []string{"bob", "carol", "alice"}, total: 3},
		{name: "100 users", params: base(m{"UserIds": ids(100)}), users: []string{}, total: 0},
		{name: "repeated users", params: base(m{"UserIds": []string{"carol", "carol"}}), users: []string{"carol"}, total: 1},
		{name: "unknown call", params: base(m{"CommId": "1400000000_1_1"}), users: []string{}, total: 0},
		{name: "window of 4 h", params: base(m{"StartTime": e.secs(4 * time.Hour)}), users: []string{"alice", "bob", "carol", "u0", "u1", "u2"}, total: 11},

		{name: "missing CommId", params: base(m{"CommId": nil}), code: "MissingParameter.CommId"},
		{name: "empty CommId", params: base(m{"CommId": ""}), code: "MissingParameter.CommId"},
		{name: "CommId too long", params: base(m{"CommId": strings.Repeat("1", 97)}), code: "InvalidParameter"},
		{name: "missing StartTime", params: base(m{"StartTime": nil}), code: "MissingParameter.StartTs"},
		{name: "missing EndTime", params: base(m{"EndTime": nil}), code: "MissingParameter.EndTs"},
		{name: "missing SdkAppId", params: base(m{"SdkAppId": nil}), code: "MissingParameter.SdkAppId"},
		{name: "window over 4 h", params: base(m{"StartTime": e.secs(4*time.Hour + time.Second)}), code: "InvalidParameter.QueryScaleOversize"},
		{name: "101 users", params: base(m{"UserIds": ids(101)}), code: "InvalidParameter.UserIds"},
		{name: "bad user", params: base(m{"UserIds": []string{"a b"}}), code: "InvalidParameter.UserId"},
		{name: "page size 101", params: base(m{"PageSize": 101}), code: "InvalidParameter.PageSizeOversize"},
		{name: "page size 0", params: base(m{"PageSize": 0}), code: "InvalidParameter.PageSize"},
		{name: "not owned", params: base(m{"SdkAppId": appOther}), code: "UnauthorizedOperation.SdkAppId"},
		{name: "DataType is not a field here", params: base(m{"DataType": []string{"aBit"}}), code: "UnknownParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r userInfoResp
			code := e.describe("DescribeUserInfo", tt.params, &r)
			if code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
			if code == "" && (!slices.Equal(r.users(), tt.users) || r.Total != tt.total) {
				t.Fatalf("users %v (total %d), want %v (total %d)", r.users(), r.Total, tt.users, tt.total)
			}
		})
	}
}

func TestDescribeCallDetailInfo(t *testing.T) {
	e := newHistoryEnv(t)
	type m = map[string]any
	base := func(extra m) m {
		p := m{"CommId": e.call, "SdkAppId": appOwned, "StartTime": e.secs(12 * time.Minute), "EndTime": e.secs(0),
			"UserIds": []string{"alice", "bob"}}
		for k, v := range extra {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return p
	}

	t.Run("series", func(t *testing.T) {
		var r userInfoResp
		code := e.describe("DescribeCallDetailInfo", base(m{"DataType": []string{"bigvBit", "aBit", "aLoss", "aBlock", "bigvDecFps"}}), &r)
		if code != "" {
			t.Fatal(code)
		}
		if !slices.Equal(r.users(), []string{"bob", "alice"}) {
			t.Fatalf("users %v", r.users())
		}
		// Users in page order; each user's uplink first, then peers; only
		// what was measured (no aBlock, no bigvDecFps: nobody rendered video).
		want := []string{"bob>:aBit", "bob>:aLoss", "alice>:bigvBit", "alice>bob:aBit", "alice>bob:aLoss"}
		if !slices.Equal(r.series(), want) {
			t.Fatalf("series %v, want %v", r.series(), want)
		}
		v := r.Data[2].Content
		// A 12-minute window averages over 3 s steps (≤ 360 points); the
		// samples every 2 s over 10 minutes make 200 to 201 points.
		if len(v) < 199 || len(v) > 201 {
			t.Fatalf("%d points", len(v))
		}
		if v[0].Time < e.secs(10*time.Minute)-3 || v[len(v)-1].Time > e.secs(0) || v[0].Value < 1_000_000 || v[len(v)-1].Value > 1_300_000 {
			t.Fatalf("points from %+v to %+v", v[0], v[len(v)-1])
		}
		for i := 1; i < len(v); i++ {
			if v[i].Time-v[i-1].Time != 3 || v[i].Value <= v[i-1].Value {
				t.Fatalf("points %d and %d: %+v %+v", i-1, i, v[i-1], v[i])
			}
		}
	})
	t.Run("all over the hour", func(t *testing.T) {
		var r userInfoResp
		if code := e.describe("DescribeCallDetailInfo", base(m{"DataType": []string{"all"}, "StartTime": e.secs(time.Hour)}), &r); code != "" {
			t.Fatal(code)
		}
		// alice's first session (30 to 20 minutes ago) is in this window:
		// she comes first.
		want := []string{"alice>:appCpu", "alice>:bigvBit", "alice>:bigvCapFps", "alice>:bigvEncFps", "alice>:bigvLoss", "alice>:bigvWidth", "alice>:bigvHeight",
			"alice>bob:aBit", "alice>bob:aLoss", "bob>:aBit", "bob>:aLoss"}
		if !slices.Equal(r.series(), want) {
			t.Fatalf("series %v, want %v", r.series(), want)
		}
		for _, d := range r.Data {
			if len(d.Content) > MaxSeriesPoints {
				t.Fatalf("%s>%s %s: %d points, over %d", d.UserId, d.PeerId, d.DataType, len(d.Content), MaxSeriesPoints)
			}
		}
		// 11 s steps over 10 minutes.
		if n := len(r.Data[0].Content); n < 54 || n > 56 {
			t.Fatalf("%d points for 10 minutes of samples", n)
		}
		if w := r.Data[5].Content; w[0].Value != 640 {
			t.Fatalf("bigvWidth %+v", w[0])
		}
	})
	t.Run("without DataType: users only", func(t *testing.T) {
		var r userInfoResp
		if code := e.describe("DescribeCallDetailInfo", base(m{"UserIds": nil, "PageSize": 100, "StartTime": e.secs(4 * time.Hour)}), &r); code != "" {
			t.Fatal(code)
		}
		if r.Total != 11 || len(r.UserList) != 11 || len(r.Data) != 0 {
			t.Fatalf("total %d, %d users, %d series", r.Total, len(r.UserList), len(r.Data))
		}
	})
	t.Run("users without samples", func(t *testing.T) {
		var r userInfoResp
		if code := e.describe("DescribeCallDetailInfo", base(m{"UserIds": []string{"carol"}, "DataType": []string{"aBit"}}), &r); code != "" {
			t.Fatal(code)
		}
		if len(r.UserList) != 1 || len(r.Data) != 0 {
			t.Fatalf("%+v", r)
		}
	})

	tests := []struct {
		name   string
		params m
		code   string
	}{
		{"DataType: window over 1 h", base(m{"DataType": []string{"aBit"}, "StartTime": e.secs(time.Hour + time.Second)}), "InvalidParameter.QueryScaleOversize"},
		{"no DataType: window over 4 h", base(m{"StartTime": e.secs(4*time.Hour + time.Second)}), "InvalidParameter.QueryScaleOversize"},
		{"no DataType: 4 h is fine", base(m{"StartTime": e.secs(4 * time.Hour)}), ""},
		{"empty DataType counts as none", base(m{"DataType": []string{}, "StartTime": e.secs(2 * time.Hour)}), ""},
		{"DataType: 7 users", base(m{"DataType": []string{"aBit"}, "UserIds": ids(7)}), "InvalidParameter.UserIdsMorethanSix"},
		{"DataType: 6 users", base(m{"DataType": []string{"aBit"}, "UserIds": ids(6)}), ""},
		{"DataType: page size 7", base(m{"DataType": []string{"aBit"}, "PageSize": 7}), "InvalidParameter.UserIdsMorethanSix"},
		{"DataType: page size 101", base(m{"DataType": []string{"aBit"}, "PageSize": 101}), "InvalidParameter.PageSizeOversize"},
		{"no DataType: page size 100", base(m{"PageSize": 100}), ""},
		{"no DataType: 101 users", base(m{"UserIds": ids(101)}), "InvalidParameter.UserIds"},
		{"unknown DataType", base(m{"DataType": []string{"aBit", "fps"}}), "InvalidParameterValue"},
		{"DataType is case-sensitive", base(m{"DataType": []string{"ABIT"}}), "InvalidParameterValue"},
		{"too many DataType names", base(m{"DataType": slices.Repeat([]string{"aBit"}, 33)}), "InvalidParameterValue"},
		{"DataType of numbers", base(m{"DataType": []int{1}}), "InvalidParameter.BodyParamsError"},
		{"missing CommId", base(m{"CommId": nil}), "MissingParameter.CommId"},
		{"start over 14 days ago", base(m{"StartTime": e.secs(15 * 24 * time.Hour), "EndTime": e.secs(15*24*time.Hour - time.Minute)}), "InvalidParameter.StartTsOversize"},
		{"not owned", base(m{"SdkAppId": appOther}), "UnauthorizedOperation.SdkAppId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := e.describe("DescribeCallDetailInfo", tt.params, nil); code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
		})
	}
}

func TestDescribeStoreFailure(t *testing.T) {
	e := newHistoryEnv(t)
	_ = e.store.Close()
	code := e.describe("DescribeRoomInfo", map[string]any{"SdkAppId": appOwned, "StartTime": e.secs(time.Hour), "EndTime": e.secs(0)}, nil)
	if code != "InternalError.DBError" {
		t.Fatalf("code %q, want InternalError.DBError", code)
	}
}

func TestSeriesStep(t *testing.T) {
	for _, tt := range []struct{ window, want time.Duration }{
		{0, time.Second}, {time.Minute, time.Second}, {359 * time.Second, time.Second}, {360 * time.Second, 2 * time.Second},
		{12 * time.Minute, 3 * time.Second}, {time.Hour + time.Second, 11 * time.Second}, {4 * time.Hour, 41 * time.Second},
	} {
		step := seriesStep(tt.window)
		if step != tt.want {
			t.Errorf("seriesStep(%v) = %v, want %v", tt.window, step, tt.want)
		}
		// Steps are aligned to the epoch: a window touches at most
		// window/step + 2 steps.
		if n := int(tt.window/step) + 2; tt.window >= time.Minute && n > MaxSeriesPoints+1 {
			t.Errorf("window %v: up to %d points", tt.window, n)
		}
	}
}

// FuzzDescribe sends arbitrary, correctly signed bodies to the Describe and
// SetUserBlocked actions: the answer is always a 200 envelope and never an
// InternalError (the store and the room service work).
func FuzzDescribe(f *testing.F) {
	now := time.Now().Truncate(time.Second)
	start := now.Add(-time.Hour).Unix()
	for _, s := range []struct{ action, body string }{
		{"DescribeRoomInfo", fmt.Sprintf(`{"SdkAppId":1400000000,"StartTime":%d,"EndTime":%d,"RoomId":"1","PageSize":5}`, start, now.Unix())},
		{"DescribeUserInfo", fmt.Sprintf(`{"CommId":"1400000000_1_1","SdkAppId":1400000000,"StartTime":%d,"EndTime":%d,"UserIds":["a"]}`, start, now.Unix())},
		{"DescribeCallDetailInfo", fmt.Sprintf(`{"CommId":"x","SdkAppId":1400000000,"StartTime":%d,"EndTime":%d,"DataType":["all"],"PageNumber":3}`, start, now.Unix())},
		{"SetUserBlocked", `{"SdkAppId":1400000000,"RoomId":1234,"UserId":"alice","IsMute":1}`},
		{"SetUserBlockedByStrRoomId", `{"SdkAppId":1400000000,"RoomId":"meeting-1","UserId":"bob","IsMute":9}`},
	} {
		f.Add(s.action, []byte(s.body))
	}
	st, err := store.Open(f.TempDir(), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	h := NewHandler(Config{
		Credentials: testCreds,
		History:     st,
		Blocker:     newBlockRooms(f),
		Now:         func() time.Time { return now },
	})
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "http://trtc.example/", bytes.NewReader(body))
		req.Header.Set("X-TC-Action", action)
		req.Header.Set("X-TC-Version", Version)
		tc3.Sign(req, body, ownerCred, tc3.Service, now)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		var env struct {
			Response struct {
				Error     *struct{ Code, Message string }
				RequestId string
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Response.RequestId == "" {
			t.Fatalf("bad envelope %s: %v", rec.Body.Bytes(), err)
		}
		if e := env.Response.Error; e != nil && (e.Code == "" || strings.HasPrefix(e.Code, CodeInternalError)) {
			t.Fatalf("error %+v for %s %q", e, action, body)
		}
	})
}

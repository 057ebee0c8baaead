package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// TestWebhookObserver maps every room observer call to its webhook event:
// exit reasons per cause (a replaced session sends none), the enter reason
// of a re-enter, the stream events.
func TestWebhookObserver(t *testing.T) {
	var mu sync.Mutex
	var got []string
	done := make(chan struct{}, 64)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			EventType int
			EventInfo map[string]any
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &msg); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		b, _ := json.Marshal(msg.EventInfo)
		mu.Lock()
		got = append(got, strconv.Itoa(msg.EventType)+" "+string(b))
		mu.Unlock()
		done <- struct{}{}
	}))
	defer rcv.Close()

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Apps = []config.App{
		{SDKAppID: 1400000001, SDKSecret: "s", WebhookURL: rcv.URL},
		{SDKAppID: 1400000002, SDKSecret: "s"}, // no webhook: nothing sent
	}
	w, err := openWebhooks(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if nobody, err := openWebhooks(config.Config{Apps: cfg.Apps[1:]}, slog.New(slog.DiscardHandler)); nobody != nil || err != nil {
		t.Fatalf("no webhook URL: %v, %v", nobody, err)
	}
	obs := w.observer()
	at := time.UnixMilli(1700000000123)
	r := room.RoomInfo{Key: trtc.RoomKey{App: 1400000001, Str: "s1"}, Creator: "u"}
	m := room.MemberInfo{UserID: "u", Role: trtc.RoleAnchor, Client: room.ClientInfo{TerminalType: 3, UserType: 1}}
	other := room.RoomInfo{Key: trtc.RoomKey{App: 1400000002, Num: 9}}

	obs.RoomCreated(r, at)
	obs.RoomCreated(other, at)
	obs.UserEntered(r, m, at)
	obs.UserLeft(r, m, room.CauseReplaced, at)
	re := m
	re.Replaced = true
	obs.UserEntered(r, re, at)
	for _, c := range []room.Cause{room.CauseNormal, room.CauseTimeout, room.CauseRemoved, room.CauseDismissed, room.CauseShutdown, room.CauseUnknown} {
		obs.UserLeft(r, m, c, at)
	}
	aud := m
	aud.Role = trtc.RoleAudience
	obs.RoleChanged(r, aud, at)
	for _, s := range []room.Stream{room.StreamVideo, room.StreamAudio, room.StreamSub, room.StreamUnknown} {
		obs.StreamChanged(r, m, s, true, at)
		obs.StreamChanged(r, m, s, false, at)
	}
	obs.RoomDestroyed(r, at)

	// ev is an expected event: its type and EventInfo as the receiver
	// re-encodes it (keys sorted).
	ev := func(typ int, fields string) string {
		info := map[string]any{"RoomId": "s1", "EventTs": 1700000000, "EventMsTs": 1700000000123}
		if err := json.Unmarshal([]byte("{"+fields+"}"), &info); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(info)
		return strconv.Itoa(typ) + " " + string(b)
	}
	want := []string{
		ev(101, `"UserId":"u"`),
		ev(103, `"UserId":"u","Role":20,"TerminalType":3,"UserType":1,"Reason":1`),
		ev(103, `"UserId":"u","Role":20,"TerminalType":3,"UserType":1,"Reason":2`),
		ev(104, `"UserId":"u","Role":20,"Reason":1`),
		ev(104, `"UserId":"u","Role":20,"Reason":2`),
		ev(104, `"UserId":"u","Role":20,"Reason":3`),
		ev(104, `"UserId":"u","Role":20,"Reason":3`),
		ev(104, `"UserId":"u","Role":20,"Reason":3`),
		ev(104, `"UserId":"u","Role":20,"Reason":1`),
		ev(105, `"UserId":"u","Role":21`),
		ev(201, `"UserId":"u"`),
		ev(202, `"UserId":"u","Reason":0`),
		ev(203, `"UserId":"u"`),
		ev(204, `"UserId":"u","Reason":0`),
		ev(205, `"UserId":"u"`),
		ev(206, `"UserId":"u","Reason":0`),
		ev(102, ``),
	}
	for range want {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d events arrived", len(got), len(want))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w.close(ctx)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("events\n got %q\nwant %q", got, want)
	}
}

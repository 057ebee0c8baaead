package test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/rtc"
)

// badFrames are malformed, hostile or out-of-order signaling frames.
func badFrames(r *rand.Rand) (websocket.MessageType, []byte) {
	junk := make([]byte, 1+r.IntN(200))
	for i := range junk {
		junk[i] = byte(r.Uint32())
	}
	frames := []string{
		``, `{`, `null`, `[]`, `"enter"`, `{"type":""}`, `{"type":"nope","id":1}`,
		`{"type":"enter","id":1}`, `{"type":"enter","id":2,"data":"x"}`,
		`{"type":"enter","id":3,"data":{"sdkAppId":1400000001,"userId":"alice","userSig":"forged","roomId":1000}}`,
		`{"type":"enter","id":4,"data":{"sdkAppId":-1,"roomId":1e99}}`,
		`{"type":"exit","id":5}`, `{"type":"switch_role","id":6,"data":{"role":20}}`,
		`{"type":"resume","id":7,"data":{"sessionId":"x","resumeToken":"y"}}`,
		`{"type":"enter","id":-1}`, `{"type":"ping","data":` + strings.Repeat("[", 5000) + `}`,
		string(junk),
	}
	if r.IntN(10) == 0 {
		return websocket.MessageBinary, junk
	}
	return websocket.MessageText, []byte(frames[r.IntN(len(frames))])
}

// TestFloodOfMalformedFrames throws 10,000 bad frames at a server with a live
// room and checks that the room's users saw nothing and the server still
// serves.
func TestFloodOfMalformedFrames(t *testing.T) {
	e := NewEnv(t)
	alice := e.Join("alice", 1000, rtc.SceneVideoCall, 0)
	bob := e.Join("bob", 1000, rtc.SceneVideoCall, 0)
	alice.Wait("OnRemoteUserEnterRoom", "bob")

	r := rand.New(rand.NewPCG(1, 2))
	sent, conns, errorsSeen := 0, 0, 0
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for sent < 10000 {
		ws, _, err := websocket.Dial(ctx, e.Srv.SignalURL(), &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
		if err != nil {
			t.Fatalf("dial after %d frames: %v", sent, err)
		}
		conns++
		// Read what the server answers so we can see its error codes.
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				_, data, err := ws.Read(ctx)
				if err != nil {
					return
				}
				if m, err := proto.Decode(data); err == nil && m.Code != 0 {
					errorsSeen++
				}
			}
		}()
		for i := 0; i < 500 && sent < 10000; i++ {
			typ, frame := badFrames(r)
			if err := ws.Write(ctx, typ, frame); err != nil {
				break // the server closed us for misbehaving: dial again
			}
			sent++
		}
		ws.CloseNow()
		<-done
	}
	if errorsSeen == 0 {
		t.Fatal("the server never answered a bad frame with an error code")
	}
	t.Logf("%d frames over %d connections, %d error replies", sent, conns, errorsSeen)

	// Oversized frame: closed with 1009 and nothing else happens.
	ws, _, err := websocket.Dial(ctx, e.Srv.SignalURL(), &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping","x":"`+strings.Repeat("a", 1<<20)+`"}`))
	_, _, err = ws.Read(ctx)
	for err == nil {
		_, _, err = ws.Read(ctx)
	}
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: %v", err)
	}

	// Wrong protocol version: refused in the handshake.
	if ws, _, err := websocket.Dial(ctx, e.Srv.SignalURL(), &websocket.DialOptions{Subprotocols: []string{"rtcengine.v0"}}); err == nil {
		_, _, err = ws.Read(ctx)
		if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Fatalf("old protocol version: %v", err)
		}
	}

	// The room is untouched: no enter, leave, error or exit reached its users,
	// and they still talk to each other.
	for _, c := range []*Client{alice, bob} {
		for _, ev := range c.rec.All() {
			switch ev.Name {
			case "OnEnterRoom":
			case "OnRemoteUserEnterRoom":
				if ev.Args[0] != "alice" && ev.Args[0] != "bob" {
					t.Fatalf("%s saw %v", c.ID, ev)
				}
			default:
				t.Fatalf("%s saw %v during the flood", c.ID, ev)
			}
		}
	}
	bob.ExitRoom()
	alice.Wait("OnRemoteUserLeaveRoom", "bob", 0)
}

package test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/rtc"
)

// rawClient speaks the signaling protocol by hand, to send what no SDK would.
type rawClient struct {
	t  *testing.T
	ws *websocket.Conn
	id uint32
}

func (e *Env) rawEnter(user string, room uint32) *rawClient {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.Srv.SignalURL(), &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		e.t.Fatal(err)
	}
	c := &rawClient{t: e.t, ws: ws}
	e.t.Cleanup(func() { ws.CloseNow() })
	if m := c.request(proto.TypeEnter, proto.EnterRequest{SDKAppID: appID, UserID: user, UserSig: e.Sig(user), RoomID: uint64(room)}); m.Code != 0 {
		e.t.Fatalf("raw enter: %d %s", m.Code, m.Msg)
	}
	return c
}

// request sends a request and returns its response, skipping events.
func (c *rawClient) request(typ string, data any) proto.Message {
	c.t.Helper()
	c.id++
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, proto.MustEncode(typ, c.id, 0, "", data)); err != nil {
		c.t.Fatal(err)
	}
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			c.t.Fatalf("%s: %v", typ, err)
		}
		m, err := proto.Decode(b)
		if err == nil && m.Type == proto.TypeResponse && m.ID == c.id {
			return m
		}
	}
}

const pcmuOnlyOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendonly\r\na=rtcp-mux\r\n" +
	"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
	"a=setup:actpass\r\na=rtpmap:0 PCMU/8000\r\n"

func TestMediaBadInput(t *testing.T) {
	e := NewEnv(t)
	alice := e.Join("alice", 7300, rtc.SceneVideoCall, 0)
	raw := e.rawEnter("mallory", 7300)
	alice.Wait("OnRemoteUserEnterRoom", "mallory")

	tests := []struct {
		name string
		typ  string
		data any
		want int
	}{
		{"garbage sdp", proto.TypePubOffer, proto.PubOffer{SDP: "this is not sdp"}, -2},
		{"no supported codec", proto.TypePubOffer, proto.PubOffer{SDP: pcmuOnlyOffer}, -4},
		{"bad track stream", proto.TypePubOffer, proto.PubOffer{SDP: pcmuOnlyOffer, Tracks: []proto.PubTrack{{ID: "x", Stream: "hologram"}}}, -2},
		{"empty offer", proto.TypePubOffer, json.RawMessage(`{}`), -102053},
		{"garbage answer", proto.TypeSubAnswer, proto.SDP{SDP: "v=0"}, -2},
		{"answer without offer", proto.TypeSubAnswer, proto.SDP{SDP: pcmuOnlyOffer}, -100005},
		{"subscribe to nobody", proto.TypeSubscribe, proto.Subscribe{UserID: "ghost", Stream: "video", On: true}, -102007},
		{"subscribe to self", proto.TypeSubscribe, proto.Subscribe{UserID: "mallory", Stream: "video", On: true}, -102007},
		{"subscribe to a bad stream", proto.TypeSubscribe, proto.Subscribe{UserID: "alice", Stream: "smell", On: true}, -2},
		{"subscribe with a bad layer", proto.TypeSubscribe, proto.Subscribe{UserID: "alice", Stream: "video", On: true, Layer: "huge"}, -2},
		{"candidate for an unknown connection", proto.TypeCandidate, proto.Candidate{Target: "both", Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host"}, -2},
		{"stream state for a bad stream", proto.TypeStreamState, proto.StreamState{Stream: "smell", Available: true}, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw.t = t
			if m := raw.request(tt.typ, tt.data); m.Code != tt.want {
				t.Fatalf("code %d (%s), want %d", m.Code, m.Msg, tt.want)
			}
		})
	}
	// Nobody else noticed anything.
	for _, ev := range alice.rec.All() {
		switch ev.Name {
		case "OnEnterRoom", "OnRemoteUserEnterRoom":
		default:
			t.Fatalf("alice saw %v", ev)
		}
	}
}

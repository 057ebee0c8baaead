package test

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestGarbageOnMediaPort sends random datagrams — junk, RTP-, RTCP-, STUN-
// and DTLS-looking — to the shared media port from an unknown address while
// a call is live, and checks that media keeps flowing and nobody notices.
func TestGarbageOnMediaPort(t *testing.T) {
	e := NewEnv(t)
	bob := e.Join("bob", 7200, rtc.SceneVideoCall, 0)
	s := newSink()
	bob.SetRemoteVideoRenderCallback("alice", rtc.VideoFormatVP8, s)
	alice := e.Join("alice", 7200, rtc.SceneVideoCall, 0)
	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	alice.EnableCustomAudioCapture(true)
	stop := make(chan struct{})
	wg := pump(alice, stop, false)
	defer wg.Wait()
	defer close(stop)
	bob.waitSeen("OnFirstVideoFrame", "alice")

	conn, err := net.DialUDP("udp", nil, e.Srv.MediaAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := rand.New(rand.NewPCG(3, 4))
	v0, _ := s.counts("alice")
	for i := range 10000 {
		b := make([]byte, 12+r.IntN(1200))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		switch i % 5 {
		case 0: // RTP version 2, a random SSRC
			b[0], b[1] = 0x80, 96
		case 1: // RTCP sender report shape
			b[0], b[1] = 0x80, 200
		case 2: // STUN binding request with a bogus username
			b[0], b[1] = 0x00, 0x01
			binary.BigEndian.PutUint32(b[4:], 0x2112A442)
		case 3: // DTLS handshake record
			b[0], b[1], b[2] = 22, 0xfe, 0xfd
		}
		_, _ = conn.Write(b)
		if i%500 == 0 {
			time.Sleep(time.Millisecond) // paced, so this tests the parser, not the socket buffer
		}
	}
	waitFor(t, 5*time.Second, "frames after the garbage", func() bool {
		v, _ := s.counts("alice")
		return v >= v0+25
	})
	for _, c := range []*Client{alice, bob} {
		for _, ev := range c.rec.All() {
			switch ev.Name {
			case "OnError", "OnConnectionLost", "OnExitRoom", "OnRemoteUserLeaveRoom":
				t.Fatalf("%s saw %v", c.ID, ev)
			}
		}
	}
}

package test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/rtcengine/rtcengine/usersig"
)

// WHIP and WHEP clients made with Pion, as OBS, GStreamer or a WHIP/WHEP
// page would be: one PeerConnection, one POST, PATCH and DELETE.

// whipToken is a PrivateMapKey with every privilege for user in room.
func whipToken(t testing.TB, user string, room uint32) string {
	t.Helper()
	tok, err := usersig.GenPrivateMapKey(appID, appSecret, user, 3600, room, usersig.PrivAll)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// whipAPI is a Pion API with default codecs and interceptors, loopback only.
func whipAPI(t testing.TB) *webrtc.API {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
}

// reply is an HTTP response read whole.
type reply struct {
	status int
	header http.Header
	body   string
}

// httpDo sends one request; header pairs follow the body.
func httpDo(t testing.TB, method, url, token, ctype, body string, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// whipClient is one WHIP publisher or WHEP player.
type whipClient struct {
	t        testing.TB
	name     string
	base     string // the server's URL
	token    string
	pc       *webrtc.PeerConnection
	resource string // absolute resource URL, after the POST
	etag     string
	answer   string
	links    []string // the POST answer's Link headers

	video, audio *webrtc.TrackLocalStaticSample // publishers
	frames       *playedFrames                  // players
	connected    chan struct{}
	wg           sync.WaitGroup
}

func (e *Env) newWHIPClient(name, token string) *whipClient {
	e.t.Helper()
	c := &whipClient{t: e.t, name: name, base: e.Srv.URL(), token: token, connected: make(chan struct{})}
	pc, err := whipAPI(e.t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		e.t.Fatal(err)
	}
	c.pc = pc
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(c.connected) })
		}
	})
	e.t.Cleanup(c.wg.Wait)
	e.t.Cleanup(func() { _ = pc.Close() })
	return c
}

// newWHIPPublisher makes a VP8 + Opus publisher (not yet posted).
func (e *Env) newWHIPPublisher(name, token string) *whipClient {
	c := e.newWHIPClient(name, token)
	var err error
	if c.video, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", name); err != nil {
		e.t.Fatal(err)
	}
	if c.audio, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", name); err != nil {
		e.t.Fatal(err)
	}
	for _, tr := range []webrtc.TrackLocal{c.audio, c.video} {
		x, err := c.pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			e.t.Fatal(err)
		}
		snd := x.Sender()
		c.wg.Add(1)
		go func() { // RTCP must be read for the interceptors (PLI, NACK)
			defer c.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := snd.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	return c
}

// newWHEPPlayer makes a player offering recvonly audio and video; it
// collects the frames it receives.
func (e *Env) newWHEPPlayer(name, token string) *whipClient {
	c := e.newWHIPClient(name, token)
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := c.pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			e.t.Fatal(err)
		}
	}
	c.frames = newPlayedFrames()
	c.pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.frames.read(tr)
		}()
	})
	return c
}

// offer creates and applies the client's offer; without trickle it waits
// for its candidates, as non-trickle WHIP clients do.
func (c *whipClient) offer(trickle bool) string {
	c.t.Helper()
	o, err := c.pc.CreateOffer(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(o); err != nil {
		c.t.Fatal(err)
	}
	if trickle {
		return o.SDP // candidates follow in PATCHes
	}
	<-gathered
	return c.pc.LocalDescription().SDP
}

// post sends the offer to endpoint ("/whip?…" or "/whep?…") and applies
// the answer; it fails the test unless the server creates the resource.
func (c *whipClient) post(endpoint, offer string) {
	c.t.Helper()
	r := httpDo(c.t, http.MethodPost, c.base+endpoint, c.token, "application/sdp", offer)
	if r.status != http.StatusCreated {
		c.t.Fatalf("%s: POST %s = %d %s", c.name, endpoint, r.status, r.body)
	}
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/whip/") && !strings.HasPrefix(loc, "/whep/") || r.header.Get("ETag") == "" ||
		r.header.Get("Content-Type") != "application/sdp" || !strings.Contains(r.body, "a=candidate:") {
		c.t.Fatalf("%s: 201 without Location, ETag, an SDP answer or its candidates: %v\n%s", c.name, r.header, r.body)
	}
	c.resource, c.etag, c.answer, c.links = c.base+loc, r.header.Get("ETag"), r.body, r.header.Values("Link")
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: r.body}); err != nil {
		c.t.Fatalf("%s: applying the answer: %v", c.name, err)
	}
}

func (c *whipClient) waitConnected() {
	c.t.Helper()
	select {
	case <-c.connected:
	case <-time.After(waitTimeout):
		c.t.Fatalf("%s: not connected within %v", c.name, waitTimeout)
	}
}

// sendFrame sends one VP8 frame and one Opus packet of media_test's kind.
func (c *whipClient) sendFrame(phase byte, n uint32, key bool) (video, audio []byte) {
	c.t.Helper()
	video = vp8Frame(phase, n, key, 400+int(n*113%2500))
	audio = opusPacket(phase, n)
	if err := c.video.WriteSample(media.Sample{Data: video, Duration: 33 * time.Millisecond}); err != nil {
		c.t.Fatal(err)
	}
	if err := c.audio.WriteSample(media.Sample{Data: audio, Duration: 20 * time.Millisecond}); err != nil {
		c.t.Fatal(err)
	}
	return video, audio
}

// playedFrames are the frames a player reassembled from RTP.
type playedFrames struct {
	mu     sync.Mutex
	video  [][]byte
	audio  [][]byte
	vSSRCs map[uint32]bool
}

func newPlayedFrames() *playedFrames { return &playedFrames{vSSRCs: map[uint32]bool{}} }

func (p *playedFrames) read(tr *webrtc.TrackRemote) {
	video := tr.Kind() == webrtc.RTPCodecTypeVideo
	sb := samplebuilder.New(256, &codecs.VP8Packet{}, 90000)
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		p.mu.Lock()
		if !video {
			p.audio = append(p.audio, append([]byte(nil), pkt.Payload...))
			p.mu.Unlock()
			continue
		}
		p.vSSRCs[pkt.SSRC] = true
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			p.video = append(p.video, s.Data)
		}
		p.mu.Unlock()
	}
}

// counted returns the frames of one phase.
func (p *playedFrames) counted(phase byte) (video, audio [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.video {
		if phaseOf(f, true) == phase {
			video = append(video, f)
		}
	}
	for _, f := range p.audio {
		if phaseOf(f, false) == phase {
			audio = append(audio, f)
		}
	}
	return video, audio
}

func (p *playedFrames) counts() (video, audio, ssrcs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.video), len(p.audio), len(p.vSSRCs)
}

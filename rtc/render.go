package rtc

import (
	"strings"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/proto"
	"github.com/rtcengine/rtcengine/internal/rtpnack"
)

// SetRemoteVideoRenderCallback sets who receives a remote user's video
// frames (all its video streams; the renderer is told which). format
// VideoFormatVP8 or VideoFormatH264 asks for the encoded frames as received
// (Frame.Format says which codec the sender used). VideoFormatI420 asks for
// decoded pictures: VP8 is decoded with libvpx, which needs a cgo build
// with -tags rtccodecs (without it the call is reported with
// OnError(ErrCodeNotSupported)); H.264 tracks are not decoded. A nil
// renderer removes the callback. It may be called before the user enters.
func (c *Cloud) SetRemoteVideoRenderCallback(userID string, format VideoFormat, r VideoRenderer) {
	cm := &c.mediaState
	raw := format == VideoFormatI420 && rawCodecs != nil
	if r != nil && format != VideoFormatVP8 && format != VideoFormatH264 && !raw {
		c.emit(func(l Listener) {
			l.OnError(ErrCodeNotSupported, "SetRemoteVideoRenderCallback: "+format.String()+" output needs a cgo build; use VideoFormatVP8 or VideoFormatH264")
		})
		r = nil
	}
	cm.mu.Lock()
	defer cm.mu.Unlock()
	if r == nil {
		delete(cm.renderers, userID)
		return
	}
	if cm.renderers == nil {
		cm.renderers = map[string]videoRender{}
	}
	cm.renderers[userID] = videoRender{format: format, r: r}
}

// SetAudioFrameObserver sets who receives every remote user's audio.
// AudioFormatOpus gives the Opus packets as received; AudioFormatPCM gives
// them decoded to 48 kHz PCM with libopus, which needs a cgo build with
// -tags rtccodecs (without it the call is reported with
// OnError(ErrCodeNotSupported)). A nil observer removes it.
func (c *Cloud) SetAudioFrameObserver(format AudioFormat, o AudioFrameObserver) {
	raw := format == AudioFormatPCM && rawCodecs != nil
	if o != nil && format != AudioFormatOpus && !raw {
		c.emit(func(l Listener) {
			l.OnError(ErrCodeNotSupported, "SetAudioFrameObserver: "+format.String()+" output needs a cgo build; use AudioFormatOpus")
		})
		o = nil
	}
	cm := &c.mediaState
	cm.mu.Lock()
	cm.audioObs, cm.audioFmt = o, format
	cm.mu.Unlock()
}

func (cm *cloudMedia) renderer(user string) VideoRenderer {
	return cm.render(user).r
}

func (cm *cloudMedia) render(user string) videoRender {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	return cm.renderers[user]
}

func (cm *cloudMedia) audioObserver() AudioFrameObserver {
	o, _ := cm.audioOutput()
	return o
}

func (cm *cloudMedia) audioOutput() (AudioFrameObserver, AudioFormat) {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	return cm.audioObs, cm.audioFmt
}

// remotePrefs are the explicit subscribe choices for one remote user; nil
// means the receive mode of SetDefaultStreamRecvMode.
type remotePrefs struct {
	audio, video, sub *bool
	layer             string // proto.LayerBig, LayerSmall, or "" (auto)
}

// StartRemoteView starts receiving a remote user's video stream: StreamBig
// (the camera, at the layer SetRemoteVideoStreamType chose, else as
// bandwidth allows), StreamSmall (the camera's small stream) or StreamSub.
// There is no view in Go: frames go to the SetRemoteVideoRenderCallback
// renderer, and OnFirstVideoFrame reports the first.
func (c *Cloud) StartRemoteView(userID string, streamType StreamType) {
	c.remoteVideo(userID, streamType, true, streamType == StreamSmall)
}

// StopRemoteView stops receiving a remote user's video stream.
func (c *Cloud) StopRemoteView(userID string, streamType StreamType) {
	c.remoteVideo(userID, streamType, false, false)
}

// MuteRemoteVideoStream stops (mute) or resumes receiving a remote user's
// video stream.
func (c *Cloud) MuteRemoteVideoStream(userID string, streamType StreamType, mute bool) {
	c.remoteVideo(userID, streamType, !mute, false)
}

// MuteRemoteAudio stops (mute) or resumes receiving a remote user's audio.
func (c *Cloud) MuteRemoteAudio(userID string, mute bool) {
	if m := c.roomMedia(); m != nil {
		m.setPref(userID, proto.StreamAudio, func(p *remotePrefs) { on := !mute; p.audio = &on })
	}
}

// SetRemoteVideoStreamType pins the layer of a remote user's camera stream
// that is received: StreamBig or StreamSmall. Without it the server picks
// by bandwidth. The switch happens at the next keyframe.
func (c *Cloud) SetRemoteVideoStreamType(userID string, streamType StreamType) {
	if streamType != StreamBig && streamType != StreamSmall {
		return
	}
	if m := c.roomMedia(); m != nil {
		m.setPref(userID, proto.StreamVideo, func(p *remotePrefs) {
			p.layer = proto.LayerBig
			if streamType == StreamSmall {
				p.layer = proto.LayerSmall
			}
		})
	}
}

func (c *Cloud) remoteVideo(userID string, st StreamType, on, small bool) {
	m := c.roomMedia()
	if m == nil || st < StreamBig || st > StreamSub {
		return
	}
	stream := proto.StreamVideo
	if st == StreamSub {
		stream = proto.StreamSub
	}
	m.setPref(userID, stream, func(p *remotePrefs) {
		v := on
		if st == StreamSub {
			p.sub = &v
			return
		}
		p.video = &v
		if small {
			p.layer = proto.LayerSmall
		}
	})
}

// roomMedia returns the media of the session in a room, or nil.
func (c *Cloud) roomMedia() *mediaClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil || c.sess.state != sInRoom {
		return nil
	}
	return c.sess.media
}

// setPref records a subscribe choice and sends it.
func (m *mediaClient) setPref(user, stream string, f func(*remotePrefs)) {
	m.mu.Lock()
	p := m.prefs[user]
	if p == nil {
		p = &remotePrefs{}
		m.prefs[user] = p
	}
	f(p)
	req := m.subscribeReqLocked(user, stream)
	if req.On {
		delete(m.first, user+"/"+stream) // report the first frame again
	}
	m.mu.Unlock()
	if l := m.currentLink(); l != nil {
		m.sendSubscribe(l, req)
	}
}

// subscribeReqLocked builds the subscribe request for one stream from the
// recorded choices and the default receive mode. Called with m.mu held.
func (m *mediaClient) subscribeReqLocked(user, stream string) proto.Subscribe {
	p := m.prefs[user]
	req := proto.Subscribe{UserID: user, Stream: stream, Layer: proto.LayerAuto}
	pick := func(b *bool, def bool) bool {
		if b != nil {
			return *b
		}
		return def
	}
	switch stream {
	case proto.StreamAudio:
		req.On = pick(p.audio, m.s.recvAudio)
		req.Layer = ""
	case proto.StreamVideo:
		req.On = pick(p.video, m.s.recvVideo)
		if p.layer != "" {
			req.Layer = p.layer
		}
	case proto.StreamSub:
		req.On = pick(p.sub, m.s.recvVideo)
		req.Layer = ""
	}
	return req
}

func (m *mediaClient) sendSubscribe(l *link, req proto.Subscribe) {
	l.request(proto.TypeSubscribe, req, m.c.o.connectTimeout, ErrCodeDisconnected, func(msg proto.Message) {
		if msg.Code == 0 || msg.Code == ErrCodeDisconnected {
			return // lost links resend everything when back
		}
		code, text := msg.Code, msg.Msg
		m.c.emit(func(ls Listener) {
			if code > 0 {
				ls.OnWarning(code, text)
			} else {
				ls.OnError(code, text)
			}
		})
	})
}

// resendPrefs repeats every explicit subscribe choice on a new link: the
// server forgot them on a fresh enter, and some may not have been sent.
func (m *mediaClient) resendPrefs(l *link) {
	m.mu.Lock()
	var reqs []proto.Subscribe
	for user, p := range m.prefs {
		if p.audio != nil {
			reqs = append(reqs, m.subscribeReqLocked(user, proto.StreamAudio))
		}
		if p.video != nil || p.layer != "" {
			reqs = append(reqs, m.subscribeReqLocked(user, proto.StreamVideo))
		}
		if p.sub != nil {
			reqs = append(reqs, m.subscribeReqLocked(user, proto.StreamSub))
		}
	}
	m.mu.Unlock()
	for _, r := range reqs {
		m.sendSubscribe(l, r)
	}
}

// remoteVideoType is the stream type reported for a remote user's track.
func (m *mediaClient) remoteVideoType(user, stream string) StreamType {
	if stream == proto.StreamSub {
		return StreamSub
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.prefs[user]; p != nil && p.layer == proto.LayerSmall {
		return StreamSmall
	}
	return StreamBig
}

// firstFrame reports whether this is the first frame of key to report.
func (m *mediaClient) firstFrame(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first[key] {
		return false
	}
	m.first[key] = true
	return true
}

// splitTrackID reads "<userId>/<stream>"; the MediaStream id is the userId.
func splitTrackID(id, streamID string) (user, stream string) {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[:i], id[i+1:]
	}
	return streamID, id
}

// onTrack reads one remote track until it ends (its own Pion goroutine).
func (m *mediaClient) onTrack(pc *webrtc.PeerConnection, tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
	if !m.track() {
		return
	}
	defer m.wg.Done()
	user, stream := splitTrackID(tr.ID(), tr.StreamID())
	key := user + "/" + stream
	rt := &remoteTrack{user: user, stream: stream, ssrc: uint32(tr.SSRC()), since: time.Now()}
	m.mu.Lock()
	m.remotes[rt] = struct{}{}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.first, key)
		delete(m.remotes, rt)
		m.mu.Unlock()
	}()
	if tr.Kind() == webrtc.RTPCodecTypeAudio {
		rt.stream = proto.StreamAudio
		levelID := headerExtensionID(rcv.GetParameters().HeaderExtensions, audioLevelURI)
		m.readAudio(user, key, tr, rt, levelID)
		return
	}
	m.readVideo(pc, user, stream, key, tr, rt)
}

func (m *mediaClient) readAudio(user, key string, tr *webrtc.TrackRemote, rt *remoteTrack, levelID uint8) {
	clock := int64(tr.Codec().ClockRate)
	if clock == 0 {
		clock = 48000
	}
	ts := tsUnwrapper{clock: clock}
	var order audioReorder // packets a jittery path swapped, back in order (reorder.go)
	var pcm pcmOutput
	defer pcm.close()
	for {
		in, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		now := time.Now()
		rt.meter.touch(now)
		for _, pkt := range order.push(in, now) {
			m.deliverAudio(user, key, pkt, now, rt, levelID, &ts, &pcm)
		}
	}
}

// deliverAudio hands one in-order audio packet to the observer (the
// track's reader goroutine).
func (m *mediaClient) deliverAudio(user, key string, pkt *rtp.Packet, now time.Time, rt *remoteTrack, levelID uint8, ts *tsUnwrapper, pcm *pcmOutput) {
	if len(pkt.Payload) == 0 {
		return
	}
	volume := 0
	if levelID != 0 {
		if b := pkt.Header.GetExtension(levelID); len(b) == 1 {
			volume = levelToVolume(b[0])
		}
	}
	rt.meter.count(len(pkt.Payload), now)
	rt.meter.noteVolume(volume)
	ms := ts.ms(pkt.Timestamp)
	if m.firstFrame(key) {
		m.c.emit(func(l Listener) { l.OnFirstAudioFrame(user) })
	}
	if o, format := m.c.mediaState.audioOutput(); o != nil {
		data := append([]byte(nil), pkt.Payload...)
		f := &AudioFrame{
			Format: AudioFormatOpus, Data: data, SampleRate: 48000,
			Channels: opusChannels(data), Timestamp: ms, Volume: volume,
		}
		if format == AudioFormatPCM {
			var ok bool
			if f, ok = pcm.frame(m, f); !ok {
				return
			}
		}
		o.OnRemoteUserAudioFrame(user, f)
	}
}

// pliInterval limits our keyframe requests for one track.
const pliInterval = 300 * time.Millisecond

func (m *mediaClient) readVideo(pc *webrtc.PeerConnection, user, stream, key string, tr *webrtc.TrackRemote, rt *remoteTrack) {
	var dp videoDepacketizer
	switch strings.ToLower(tr.Codec().MimeType) {
	case strings.ToLower(webrtc.MimeTypeVP8):
		dp = vp8Depacketizer{}
	case strings.ToLower(webrtc.MimeTypeH264):
		dp = h264Depacketizer{}
	default:
		m.log.Warn("no depacketizer for remote track", "track", tr.ID(), "codec", tr.Codec().MimeType)
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
		}
	}
	asm := newFrameAssembler(dp)
	ts := tsUnwrapper{clock: 90000}
	needKey := true // a decoder starts at a keyframe
	var w, h int
	var lastPLI time.Time
	requestKeyframe := func(now time.Time) {
		if now.Sub(lastPLI) < pliInterval {
			return
		}
		lastPLI = now
		_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
	}
	arrivals := frameArrivals{}
	var i420 i420Output
	defer i420.close()
	nacks := m.c.mediaState.api.nackOf(pc)
	for {
		pkt, attrs, err := tr.ReadRTP()
		if err != nil {
			return
		}
		if rtx, ok := rtpnack.RepairOf(attrs); ok { // an RTX repair: stop asking for it
			nacks.Repaired(pkt.SSRC, pkt.SequenceNumber, rtx)
		}
		now := time.Now()
		rt.meter.touch(now)
		arrivals.note(pkt.Timestamp, now)
		frames, lost := asm.push(pkt, now)
		if lost {
			needKey = true
		}
		for _, f := range frames {
			var sei [][]byte
			f.data, sei = stripSEI(dp.format(), f.data)
			seiDone := m.deliverSEI(user, sei)
			ms := ts.ms(f.timestamp)
			isKey, fw, fh, ok := dp.keyframe(f.data)
			if ok {
				w, h = fw, fh
			}
			waited, known := arrivals.take(f.timestamp, now)
			if needKey && !isKey {
				requestKeyframe(now)
				continue
			}
			needKey = false
			rt.meter.count(len(f.data), now)
			rt.meter.setSize(w, h)
			if known {
				rt.meter.addDelay(waited)
			}
			st := m.remoteVideoType(user, stream)
			if m.firstFrame(key) {
				fw, fh := w, h
				m.c.emit(func(l Listener) { l.OnFirstVideoFrame(user, st, fw, fh) })
			}
			if vr := m.c.mediaState.render(user); vr.r != nil {
				vf := &VideoFrame{
					Format: dp.format(), Data: f.data, Width: w, Height: h, Timestamp: ms, Keyframe: isKey,
				}
				if vr.format == VideoFormatI420 {
					var ok bool
					if vf, ok = i420.frame(m, vf); !ok {
						if dp.format() == VideoFormatVP8 {
							needKey = true // the decoder lost its reference
							requestKeyframe(now)
						}
						continue
					}
				}
				m.awaitSEI(seiDone) // OnRecvSEIMsg comes right before its frame
				vr.r.OnRenderVideoFrame(user, st, vf)
			}
		}
		if needKey && lost {
			requestKeyframe(now)
		}
	}
}

// frameArrivals remembers when the first packet of each recent frame (by
// RTP timestamp) arrived, so that the time a frame waited for its missing
// packets is known when it is complete (JitterBufferDelay).
type frameArrivals map[uint32]time.Time

func (a frameArrivals) note(ts uint32, now time.Time) {
	if _, ok := a[ts]; ok {
		return
	}
	if len(a) >= 256 { // frames given up on: forget the old ones
		for k, t := range a {
			if now.Sub(t) > asmMaxWait {
				delete(a, k)
			}
		}
	}
	a[ts] = now
}

func (a frameArrivals) take(ts uint32, now time.Time) (time.Duration, bool) {
	t, ok := a[ts]
	if ok {
		delete(a, ts)
	}
	return now.Sub(t), ok
}

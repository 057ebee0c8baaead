package egress

import (
	"bytes"
	"strconv"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Pass-through without re-encoding (docs/cdn.md, "Pass-through"). A relay
// of one user's stream (WithTranscoding 0) whose video is H.264 copies it:
// the access units the track recorder rebuilds from RTP (depack.go) go to
// the encoder in IVF, timed by their RTP timestamps, and the encoder only
// remuxes them (-c:v copy) beside the AAC it encodes from the user's Opus
// (FLV cannot carry Opus). VP8 cannot be carried in FLV: a VP8 stream is
// decoded and re-encoded by the usual mixing pipeline.
//
//	track (H.264) ─▶ access units ─IVF─▶ encoder (-c:v copy, Opus→AAC) ─MPEG-TS─▶ pushers
//	track (Opus)  ─▶ decoder ─▶ audio mixer ─PCM─┘
//
// The copy starts at a keyframe (requested from the publisher) and carries
// its SPS and PPS: a keyframe that comes without them gets the newest ones
// seen, so that a pusher joining the MPEG-TS at any keyframe can decode.

// copyQueueMax bounds the access units waiting for the mixer's clock (a
// few seconds of video); beyond it the queue is dropped and the copy
// resumes at the next keyframe.
const copyQueueMax = 256

// copyFrame is an access unit waiting for the encoder.
type copyFrame struct {
	data []byte
	ext  int64 // extended RTP timestamp (90 kHz)
	key  bool
}

// copyState is the mixer's pass-through copy, guarded by mixer.mu.
type copyState struct {
	pass     bool      // the task relays one user (WithTranscoding 0)
	rec      *trackRec // the recorder being copied, nil when none
	q        []copyFrame
	needKey  bool // drop until a keyframe
	sps, pps []byte
	// Owned by the mixer's clock goroutine.
	active bool  // the running encoder copies video
	base   int64 // the extended timestamp shown at pts 0
	frames int64 // access units written
}

// copyInputLocked returns the input to copy: with pass-through, the one
// H.264 video the layout shows; nil when the video is mixed.
func (m *mixer) copyInputLocked() *mixInput {
	if !m.cp.pass || !m.out.video() || len(m.cells) != 1 {
		return nil
	}
	if in := m.cells[0].in; in.h264 {
		return in
	}
	return nil
}

// copyVideo takes a frame of recorder r when the task copies it; false
// lets the frame go to r's decoder as for any mixed input. Called on r's
// goroutine.
func (m *mixer) copyVideo(r *trackRec, frame []byte, ext int64) bool {
	m.mu.Lock()
	in := m.copyInputLocked()
	copying := in != nil && m.byRec[r] == in
	was := m.cp.rec == r
	if !copying {
		if was { // back to decoding: its decoder starts at a keyframe
			m.cp.rec = nil
			m.cp.q = nil
			m.mu.Unlock()
			r.frames.needKey = true
			r.track.RequestKeyframe()
			return true
		}
		m.mu.Unlock()
		return false
	}
	if !was {
		m.cp.rec, m.cp.q, m.cp.needKey = r, nil, true
	}
	key := r.frames.isKey(frame)
	au := bytes.Clone(frame)
	m.cp.learnParamSets(au)
	wantKey := false
	switch {
	case m.cp.needKey && !key:
		wantKey = true
	case len(m.cp.q) >= copyQueueMax:
		m.cp.q, m.cp.needKey, wantKey = nil, true, true
	default:
		if key {
			au = m.cp.withParamSets(au)
			m.cp.needKey = false
		}
		m.cp.q = append(m.cp.q, copyFrame{data: au, ext: ext, key: key})
	}
	m.mu.Unlock()
	if r.w != nil { // a decoder made before the copy began is of no use
		r.w.kill()
		<-r.w.done
		r.w = nil
		r.buf = r.buf[:0]
	}
	if wantKey {
		r.track.RequestKeyframe()
	}
	return true
}

// nalUnits splits an Annex-B access unit into its NAL units (without
// start codes).
func nalUnits(au []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(au); i++ {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 1 {
			if start >= 0 {
				out = append(out, bytes.TrimRight(au[start:i], "\x00"))
			}
			start = i + 3
			i += 2
		}
	}
	if start >= 0 && start < len(au) {
		out = append(out, au[start:])
	}
	return out
}

// learnParamSets keeps the newest SPS (NAL type 7) and PPS (8) of au.
func (c *copyState) learnParamSets(au []byte) {
	for _, n := range nalUnits(au) {
		if len(n) == 0 {
			continue
		}
		switch n[0] & 0x1f {
		case 7:
			c.sps = bytes.Clone(n)
		case 8:
			c.pps = bytes.Clone(n)
		}
	}
}

// withParamSets puts the newest SPS and PPS in front of a keyframe that
// lacks them (RFC 6184 lets a sender give them out of band, or once).
func (c *copyState) withParamSets(au []byte) []byte {
	if c.sps == nil || c.pps == nil {
		return au
	}
	has := [2]bool{}
	for _, n := range nalUnits(au) {
		if len(n) > 0 && n[0]&0x1f == 7 {
			has[0] = true
		}
		if len(n) > 0 && n[0]&0x1f == 8 {
			has[1] = true
		}
	}
	if has[0] && has[1] {
		return au
	}
	out := make([]byte, 0, len(au)+len(c.sps)+len(c.pps)+8)
	out = append(out, 0, 0, 0, 1)
	out = append(out, c.sps...)
	out = append(out, 0, 0, 0, 1)
	out = append(out, c.pps...)
	return append(out, au...)
}

// copyStep runs output frame k's share of a copying task: it (re)starts
// the encoder in copy mode at a queued keyframe and writes the queued
// access units; the caller writes the audio. It returns whether the
// encoder runs, and false ok when the task failed.
func (m *mixer) copyStep() (running, ok bool) {
	m.mu.Lock()
	q := m.cp.q
	m.cp.q = nil
	m.mu.Unlock()
	if m.enc == nil {
		for len(q) > 0 && !q[0].key {
			q = q[1:]
		}
		if len(q) == 0 {
			return false, true // the audio waits for the first keyframe
		}
		m.cp.active = true
		if !m.startPushEncoder() {
			return false, false
		}
		if m.enc == nil {
			return false, true
		}
		m.cp.base, m.cp.frames = q[0].ext, 0
		if err := m.enc.write(ivfHeader("H264", 0, 0), m.t.svc.cfg.StallTimeout); err != nil {
			m.restartCopy()
			return false, m.failed("encoder", &m.enc, err)
		}
	}
	var b []byte
	for _, f := range q {
		pts := f.ext - m.cp.base
		if pts < 0 {
			continue // older than the copy's first keyframe (reordered)
		}
		b = appendIVFFrame(b, f.data, uint64(pts))
		m.cp.frames++
	}
	if len(b) > 0 {
		if err := m.enc.write(b, m.t.svc.cfg.StallTimeout); err != nil {
			m.restartCopy()
			return false, m.failed("encoder", &m.enc, err)
		}
	}
	return true, true
}

// restartCopy makes the next copy encoder start at a keyframe.
func (m *mixer) restartCopy() {
	m.mu.Lock()
	m.cp.q, m.cp.needKey = nil, true
	rec := m.cp.rec
	m.mu.Unlock()
	if rec != nil {
		rec.track.RequestKeyframe()
	}
}

// copyMode reports whether the output copies video now, ending an
// encoder of the other mode (the pushers reconnect to the next one).
func (m *mixer) copyMode() bool {
	m.mu.Lock()
	want := m.copyInputLocked() != nil
	if !want && m.cp.active {
		m.vChanged = true // the compositor comes back
	}
	m.mu.Unlock()
	if m.enc != nil && want != m.cp.active {
		m.t.svc.log.Info("CDN relay switches video mode", "task", m.t.id, "copy", want)
		m.enc.end()
		m.enc = nil
		if want {
			m.restartCopy()
		}
	}
	if !want {
		m.cp.active = false
	}
	if want && m.comp != nil { // nothing to composite while copying
		m.comp.end()
		m.comp, m.compCells = nil, nil
	}
	return want
}

// setPassThrough switches between relaying one user (copying H.264) and
// mixing (UpdatePublishCdnStream's WithTranscoding).
func (m *mixer) setPassThrough(pass bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cp.pass = pass
}

// pushCopyArgs remux the IVF H.264 on stdin and encode the PCM on fd 3
// into AAC, in MPEG-TS on stdout.
func pushCopyArgs(p MixParams) []string {
	args := append([]string{}, ffBase...)
	args = append(args, "-probesize", "32", "-analyzeduration", "0", "-f", "ivf", "-i", "pipe:0")
	args = append(args, rawAudioIn(fdOf(1))...)
	args = append(args, "-map", "0:v", "-map", "1:a", "-c:v", "copy",
		"-c:a", "aac", "-b:a", strconv.Itoa(p.AudioBitRate),
		"-ar", strconv.Itoa(p.SampleRate), "-ac", strconv.Itoa(p.Channels))
	args = append(args, rawOut...)
	return append(args, "-muxdelay", "0", "-f", "mpegts", "pipe:1")
}

// SetPassThrough switches a running relay task between relaying one user
// (pass) and mixing.
func (s *Service) SetPassThrough(app trtc.SDKAppID, id string, pass bool) error {
	t, err := s.relay(app, id)
	if err != nil {
		return err
	}
	if t.mix != nil {
		t.mix.setPassThrough(pass)
	}
	return nil
}

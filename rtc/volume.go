package rtc

import (
	"math"
	"slices"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/proto"
)

// minVolumeInterval is TRTC's shortest volume evaluation interval.
const minVolumeInterval = 100 * time.Millisecond

// EnableAudioVolumeEvaluation starts (interval > 0) or stops (interval ≤ 0)
// OnUserVoiceVolume, which then fires every interval while in a room, even
// when nobody speaks (TRTC enableAudioVolumeEvaluation). Intervals below
// 100 ms count as 100 ms; TRTC recommends 300 ms. It may be called before
// EnterRoom.
//
// Volumes come from RFC 6464 audio levels: a remote user's from the level
// its packets carry, the local user's from AudioFrame.Volume of the frames
// given to SendCustomAudioData (the SDK sends encoded Opus as it is and
// cannot measure it). A user is listed when its loudest packet of the
// interval has a volume above 0.
func (c *Cloud) EnableAudioVolumeEvaluation(interval time.Duration) {
	if interval > 0 && interval < minVolumeInterval {
		interval = minVolumeInterval
	}
	if interval < 0 {
		interval = 0
	}
	cm := &c.mediaState
	cm.mu.Lock()
	cm.volInterval = interval
	cm.mu.Unlock()
	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s != nil {
		select {
		case s.media.volKick <- struct{}{}:
		default:
		}
	}
}

func (cm *cloudMedia) volumeInterval() time.Duration {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	return cm.volInterval
}

// RFC 6464 carries a level in −dBov, 0 (loudest) to 127 (silence), and a
// voice-activity flag. Volumes (0..100, TRTCVolumeInfo) map onto levels
// linearly in dB: volume = 100 × (127 − level) / 127, so 0 is silence and
// 100 is full scale.
func volumeToLevel(v int) uint8 {
	v = min(max(v, 0), 100)
	return uint8(math.Round(127 * float64(100-v) / 100))
}

func levelToVolume(level uint8) int {
	level &= 0x7f
	return int(math.Round(100 * float64(127-int(level)) / 127))
}

// audioLevelByte is the one-byte RFC 6464 element: V flag, then level.
func audioLevelByte(volume int) byte {
	b := volumeToLevel(volume)
	if volume > 0 {
		b |= 0x80
	}
	return b
}

// headerExtensionID finds a negotiated header extension's id (0 if absent).
func headerExtensionID(exts []webrtc.RTPHeaderExtensionParameter, uri string) uint8 {
	for _, h := range exts {
		if h.URI == uri {
			return uint8(h.ID)
		}
	}
	return 0
}

// reportVolumes emits OnUserVoiceVolume for the interval just ended.
func (m *mediaClient) reportVolumes() {
	var out []VolumeInfo
	m.mu.Lock()
	if lt := m.locals[proto.StreamAudio]; lt != nil {
		if v := lt.meter.takeVolume(); v > 0 && m.c.mediaState.enabled(proto.StreamAudio) {
			out = append(out, VolumeInfo{UserID: "", Volume: v, VAD: 1})
		}
	}
	var remote []VolumeInfo
	for rt := range m.remotes {
		if rt.stream != proto.StreamAudio {
			continue
		}
		if v := rt.meter.takeVolume(); v > 0 {
			remote = append(remote, VolumeInfo{UserID: rt.user, Volume: v, VAD: 1})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(remote, func(a, b VolumeInfo) int { return cmpString(a.UserID, b.UserID) })
	total := 0
	for _, v := range remote {
		total = max(total, v.Volume)
	}
	out = append(out, remote...)
	m.c.emit(func(l Listener) { l.OnUserVoiceVolume(out, total) })
}

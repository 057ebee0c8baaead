package test

import "github.com/rtcengine/rtcengine/rtc"

// Media callbacks of the Recorder (env_test.go keeps the room ones).

func (r *Recorder) OnUserVideoAvailable(u string, on bool) { r.add("OnUserVideoAvailable", u, on) }
func (r *Recorder) OnUserSubStreamAvailable(u string, on bool) {
	r.add("OnUserSubStreamAvailable", u, on)
}
func (r *Recorder) OnUserAudioAvailable(u string, on bool) { r.add("OnUserAudioAvailable", u, on) }
func (r *Recorder) OnFirstVideoFrame(u string, st rtc.StreamType, w, h int) {
	r.add("OnFirstVideoFrame", u, int(st), w, h)
}
func (r *Recorder) OnFirstAudioFrame(u string) { r.add("OnFirstAudioFrame", u) }
func (r *Recorder) OnSendFirstLocalVideoFrame(st rtc.StreamType) {
	r.add("OnSendFirstLocalVideoFrame", int(st))
}
func (r *Recorder) OnSendFirstLocalAudioFrame() { r.add("OnSendFirstLocalAudioFrame") }

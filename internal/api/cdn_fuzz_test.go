package api

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzCdnRequest feeds arbitrary bodies to the parsers of
// StartPublishCdnStream and UpdatePublishCdnStream: every body is accepted
// or refused with a TRTC code (never a panic or an internal error), and
// what is accepted keeps the documented limits.
func FuzzCdnRequest(f *testing.F) {
	for _, s := range []string{
		`{"SdkAppId":1400000000,"RoomId":"1234","AgentParams":{"UserId":"robot","UserSig":"x"},"WithTranscoding":1,` +
			`"AudioParams":{"AudioEncode":{"SampleRate":48000,"Channel":2,"BitRate":64}},` +
			`"VideoParams":{"VideoEncode":{"Width":640,"Height":360,"Fps":15,"BitRate":800,"Gop":2},"BackGroundColor":"0x102030",` +
			`"LayoutParams":{"MixLayoutMode":4,"MixLayoutList":[{"UserMediaStream":{"UserInfo":{"UserId":"a"},"StreamType":1},` +
			`"ImageWidth":320,"ImageHeight":180,"LocationX":10,"LocationY":20,"ZOrder":3,"RenderMode":1}]}},` +
			`"PublishCdnParams":[{"PublishCdnUrl":"rtmp://127.0.0.1:1935/live/a?key=b","IsTencentCdn":0}]}`,
		`{"SdkAppId":1400000000,"RoomId":"room-x","RoomIdType":1,"AgentParams":{"UserId":"r","UserSig":"s","MaxIdleTime":5},` +
			`"WithTranscoding":0,"SingleSubscribeParams":{"UserMediaStream":{"UserInfo":{"UserId":"u"}}},` +
			`"AudioParams":{"AudioEncode":{"SampleRate":8000,"Channel":1,"BitRate":8},"SubscribeAudioList":[{"UserInfo":{"UserId":"u"},"SoundLevel":50}]},` +
			`"PublishCdnParams":[{"PublishCdnUrl":"rtmp://h/a/b"}]}`,
		`{"SdkAppId":1400000000,"RoomId":"1","AgentParams":{"UserId":"r","UserSig":"s"},"WithTranscoding":1,` +
			`"AudioParams":{"AudioEncode":{"SampleRate":48000,"Channel":2,"BitRate":64}},"VideoParams":{"VideoEncode":{"Width":64,"Height":64},` +
			`"BackgroundImageUrl":"http://a/bg.png","BackgroundRenderMode":1,"WaterMarkList":[{"WaterMarkImage":{"WaterMarkUrl":"https://a/w","Width":8,"Height":8}}]},` +
			`"PublishCdnParams":[{"PublishCdnUrl":"rtmp://h/a/b"}]}`,
		`{"SdkAppId":1400000000,"TaskId":"t","SequenceNumber":3,"WithTranscoding":1,"PublishCdnParams":[]}`,
		`{"SdkAppId":1,"RoomId":"1","PublishCdnParams":[{"PublishCdnUrl":"rtmp://[::1]:0/a/b"}]}`,
		`[]`, `{"AudioParams":null}`,
	} {
		f.Add(false, []byte(s))
		f.Add(true, []byte(s))
	}
	startFields := jsonFields(reflect.TypeFor[startCdnParams]())
	updateFields := jsonFields(reflect.TypeFor[updateCdnParams]())
	f.Fuzz(func(t *testing.T, update bool, body []byte) {
		var err error
		var start *startCdnParams
		if update {
			p := new(updateCdnParams)
			if err = decodeStrict(body, p, updateFields); err == nil {
				err = p.Validate()
			}
		} else {
			start = new(startCdnParams)
			if err = decodeStrict(body, start, startFields); err == nil {
				err = start.Validate()
			}
		}
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Code == "" || strings.HasPrefix(ae.Code, CodeInternalError) {
				t.Fatalf("error %v for %q", err, body)
			}
			return
		}
		if start == nil {
			return
		}
		r := start.req
		if len(r.URLs) == 0 || len(r.URLs) > MaxCdnURLs {
			t.Fatalf("%d URLs accepted", len(r.URLs))
		}
		for _, u := range r.URLs {
			if checkRTMPURL(u) != nil {
				t.Fatalf("URL %q accepted", u)
			}
		}
		e := r.Encode
		if e.Video && (e.Width%2 != 0 || e.Height%2 != 0 || e.Width*e.Height > MaxCdnArea || e.Width < MinMixSide || e.Fps < 1 || e.Fps > MaxCdnFps) {
			t.Fatalf("video encoding %+v accepted", e)
		}
		if e.SampleRate == 0 || e.Channels < 1 || e.Channels > 2 || e.AudioKbps < MinCdnAudioKbps || e.AudioKbps > MaxCdnAudioKbps {
			t.Fatalf("audio encoding %+v accepted", e)
		}
		if len(r.Layout.Windows) > MaxCdnInputs || r.Transcode == (r.Single != nil) {
			t.Fatalf("request %+v accepted", r)
		}
	})
}

package test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
)

// TestCdnMixImages: a relay mix with a background image (a green PNG made
// by ffmpeg, served over HTTP) shows it in the sink around the publisher's
// blue window; a watermark whose URL answers 404 is left out and reported
// by DescribePublishCdnStream's ImageErrors (not by event 309, which is a
// recording event).
func TestCdnMixImages(t *testing.T) {
	body := solidPNG(t, "0x00FF00")
	images := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bg.png" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(body)
	}))
	defer images.Close()

	e := NewEnv(t)
	const room = 7832
	blue := &mixPublisher{c: e.Join("blue", room, rtc.SceneVideoCall, rtc.RoleAnchor), key: solidVP8(t, "blue"), tone: sineOpus(t, 440)}
	blue.c.EnableCustomVideoCapture(rtc.StreamBig, true)
	blue.c.EnableCustomAudioCapture(true)
	sink := startRTMPSink(t, "images")
	missing := images.URL + "/missing.png"
	task, code := cdnStart(e, map[string]any{
		"SdkAppId": appID, "RoomId": strconv.Itoa(room), "RoomIdType": 0,
		"AgentParams":     map[string]any{"UserId": "cdn_img", "UserSig": e.Sig("cdn_img")},
		"WithTranscoding": 1, "AudioParams": audioEncode(),
		"VideoParams": map[string]any{"VideoEncode": videoEncode(320, 240),
			"BackgroundImageUrl": images.URL + "/bg.png", "BackgroundRenderMode": 3,
			"WaterMarkList": []map[string]any{{"WaterMarkType": 0, "WaterMarkImage": map[string]any{
				"WaterMarkUrl": missing, "Left": 200, "Top": 10, "Width": 32, "Height": 32}}},
			"LayoutParams": map[string]any{"MixLayoutMode": 4, "MixLayoutList": []map[string]any{{
				"UserMediaStream": map[string]any{"UserInfo": map[string]any{"UserId": "blue"}},
				"ImageWidth":      160, "ImageHeight": 240}}}},
		"PublishCdnParams": []map[string]any{{"PublishCdnUrl": sink.url}},
	})
	if code != "" {
		t.Fatalf("StartPublishCdnStream: %s", code)
	}
	var d map[string]any
	feedWhile(t, "the failed watermark reported", []*mixPublisher{blue}, func() bool {
		d, code = e.callResp("DescribePublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task})
		errs, _ := d["ImageErrors"].([]any)
		return code == "" && len(errs) > 0
	})
	if errs := d["ImageErrors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["Url"] != missing {
		t.Fatalf("ImageErrors: %v", d["ImageErrors"])
	}
	feedWhile(t, "the push", []*mixPublisher{blue}, func() bool { return cdnTargets(e, task)[sink.url]["State"] == 2.0 })
	feedFor(t, []*mixPublisher{blue}, 2*time.Second)
	if _, code := e.callResp("StopPublishCdnStream", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("StopPublishCdnStream: %s", code)
	}
	sink.wait(t)
	at := fileDuration(t, sink.path) - 0.3
	c := colorsAt(t, sink.path, at, 320, 240, [2]int{80, 120}, [2]int{240, 120}, [2]int{216, 26})
	if !near(c[0], [3]int{0, 0, 255}) || !near(c[1], [3]int{0, 255, 0}) || !near(c[2], [3]int{0, 255, 0}) {
		t.Fatalf("the sink at %.1f s shows %v: want blue, the green background, no watermark", at, c)
	}
}

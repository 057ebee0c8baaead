package test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRecordingImageDownloadError: a mixed recording whose watermark URL
// answers 404 sends DOWNLOAD_IMAGE_ERROR (309) with that Url, signed like
// every event, once, while the background image served beside it is
// fetched (the image composited in the output is checked by
// internal/egress TestMixImages).
func TestRecordingImageDownloadError(t *testing.T) {
	body := solidPNG(t, "green")
	fetched := make(chan struct{}, 1)
	images := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bg.png" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(body)
		select {
		case fetched <- struct{}{}:
		default:
		}
	}))
	defer images.Close()

	hooks := newHookReceiver(t, nil)
	e := NewEnv(t, withWebhook(hooks.URL(), nil))
	missing := images.URL + "/missing.png"
	resp, code := e.callResp("CreateCloudRecording", map[string]any{
		"SdkAppId": appID, "RoomId": "7712", "UserId": "mixer_img", "UserSig": e.Sig("mixer_img"),
		"RecordParams":       map[string]any{"RecordMode": 2, "MaxIdleTime": 30},
		"MixTranscodeParams": map[string]any{"VideoParams": map[string]any{"Width": 320, "Height": 240}},
		"MixLayoutParams": map[string]any{
			"BackgroundImageUrl": images.URL + "/bg.png", "BackgroundImageRenderMode": 3,
			"WaterMarkList": []map[string]any{{"WaterMarkType": 0, "WaterMarkImage": map[string]any{
				"WaterMarkUrl": missing, "Left": 10, "Top": 10, "Width": 32, "Height": 32}}},
		},
	})
	if code != "" {
		t.Fatalf("CreateCloudRecording: %s", code)
	}
	task, _ := resp["TaskId"].(string)
	hs := hooks.waitFor("DOWNLOAD_IMAGE_ERROR", func(hs []hook) bool {
		for _, h := range hs {
			if h.Type == 309 && h.Info["TaskId"] == task {
				return true
			}
		}
		return false
	})
	<-fetched
	if _, code := e.callResp("DeleteCloudRecording", map[string]any{"SdkAppId": appID, "TaskId": task}); code != "" {
		t.Fatalf("DeleteCloudRecording: %s", code)
	}
	n := 0
	for _, h := range hs {
		if h.Type != 309 || h.Info["TaskId"] != task {
			continue
		}
		n++
		pl, _ := h.Info["Payload"].(map[string]any)
		if pl["Url"] != missing || len(pl) != 1 || h.Info["UserId"] != "mixer_img" {
			t.Fatalf("DOWNLOAD_IMAGE_ERROR %v", h.Info)
		}
	}
	if n != 1 {
		t.Fatalf("%d DOWNLOAD_IMAGE_ERROR events, want 1", n)
	}
}

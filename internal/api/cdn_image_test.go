package api

import (
	"errors"
	"strings"
	"testing"
)

// TestCdnLayoutImages: the relay actions take VideoParams' images with the
// parser and limits of the recordings' MixLayoutParams (recording_image.go),
// under their own field names.
func TestCdnLayoutImages(t *testing.T) {
	body := func(video string) []byte {
		return []byte(`{"SdkAppId":1400000000,"RoomId":"1234","AgentParams":{"UserId":"robot","UserSig":"x"},"WithTranscoding":1,` +
			`"AudioParams":{"AudioEncode":{"SampleRate":48000,"Channel":2,"BitRate":64}},` +
			`"VideoParams":{"VideoEncode":{"Width":640,"Height":360}` + video + `},` +
			`"PublishCdnParams":[{"PublishCdnUrl":"rtmp://127.0.0.1/live/a"}]}`)
	}
	wm := func(img string) string {
		return `,"WaterMarkList":[{"WaterMarkType":0,"WaterMarkImage":{` + img + `}}]`
	}
	for _, tc := range []struct {
		name, video, code, inMsg string
	}{
		{"all images", `,"BackgroundImageUrl":"https://cdn.example/bg.png","BackgroundRenderMode":3` +
			wm(`"WaterMarkUrl":"http://127.0.0.1:8080/w.png","Top":10,"Left":20,"Width":64,"Height":32`) +
			`,"LayoutParams":{"MixLayoutMode":4,"MixLayoutList":[{"UserMediaStream":{"UserInfo":{"UserId":"a"}},"ImageWidth":320,"ImageHeight":180,"BackgroundImageUrl":"http://a/p.png"}]}`, "", ""},
		{"empty watermark list", `,"WaterMarkList":[]`, "", ""},
		{"background not http", `,"BackgroundImageUrl":"file:///etc/passwd"`, CodeInvalidParameter, "VideoParams.BackgroundImageUrl"},
		{"background URL too long", `,"BackgroundImageUrl":"http://a/` + strings.Repeat("x", 510) + `"`, CodeInvalidParameter, "at most 512"},
		{"render mode 5", `,"BackgroundRenderMode":5`, CodeOutOfRange, "VideoParams.BackgroundRenderMode"},
		{"text watermark", `,"WaterMarkList":[{"WaterMarkType":1}]`, CodeUnsupportedOperation, "VideoParams.WaterMarkList[0].WaterMarkType"},
		{"watermark without URL", wm(`"Width":2,"Height":2`), CodeMissingParameter, "WaterMarkUrl"},
		{"watermark width 1", wm(`"WaterMarkUrl":"http://a/b","Width":1,"Height":2`), CodeOutOfRange, "Width"},
		{"watermark unknown field", wm(`"WaterMarkUrl":"http://a/b","Width":2,"Height":2,"ZOrder":1`), CodeUnknownParameter, ""},
		{"26 watermarks", `,"WaterMarkList":[` + strings.Repeat(`{"WaterMarkImage":{"WaterMarkUrl":"http://a/b","Width":2,"Height":2}},`, 25) +
			`{"WaterMarkImage":{"WaterMarkUrl":"http://a/b","Width":2,"Height":2}}]`, CodeOutOfRange, "at most 25"},
		{"window image ftp", `,"LayoutParams":{"MixLayoutMode":4,"MixLayoutList":[{"ImageWidth":32,"ImageHeight":32,"BackgroundImageUrl":"ftp://a/b"}]}`,
			CodeInvalidParameter, "MixLayoutList[0].BackgroundImageUrl"},
		{"transparent URL", `,"LayoutParams":{"MixLayoutMode":4,"MixLayoutList":[{"ImageWidth":32,"ImageHeight":32,"TransparentUrl":"http://a/b"}]}`,
			CodeUnsupportedOperation, "TransparentUrl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseCdnStart(body(tc.video))
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.name == "all images" {
					l := r.Layout
					if l.BackgroundImageURL != "https://cdn.example/bg.png" || l.BackgroundImageRenderMode != 3 ||
						len(l.Watermarks) != 1 || l.Watermarks[0] != (WatermarkRequest{URL: "http://127.0.0.1:8080/w.png", Top: 10, Left: 20, Width: 64, Height: 32}) ||
						l.Windows[0].Placeholder != "http://a/p.png" {
						t.Fatalf("layout %+v", l)
					}
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Code != tc.code || !strings.Contains(ae.Message, tc.inMsg) {
				t.Fatalf("got %v, want %s containing %q", err, tc.code, tc.inMsg)
			}
		})
	}
}

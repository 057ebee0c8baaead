package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseMixDefaults(t *testing.T) {
	m, err := parseMix(nil, nil, &recordParams{})
	if err != nil {
		t.Fatal(err)
	}
	want := MixRequest{Width: 360, Height: 640, Fps: 15, VideoBitRate: 550000, Gop: 10,
		SampleRate: 48000, Channels: 2, AudioBitRate: 64000, Layout: MixLayoutRequest{Mode: 3}}
	if m.Width != want.Width || m.Height != want.Height || m.Fps != want.Fps || m.VideoBitRate != want.VideoBitRate ||
		m.Gop != want.Gop || m.SampleRate != want.SampleRate || m.Channels != want.Channels ||
		m.AudioBitRate != want.AudioBitRate || m.Layout.Mode != 3 || len(m.Layout.Windows) != 0 {
		t.Fatalf("defaults %+v", m)
	}
}

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		name, transcode, layout, want string
	}{
		{"full", `{"VideoParams":{"Width":1280,"Height":720,"Fps":30,"BitRate":2000000,"Gop":2},"AudioParams":{"SampleRate":2,"Channel":1,"BitRate":96000}}`,
			`{"MixLayoutMode":4,"MixLayoutList":[{"UserId":"a","Top":0,"Left":0,"Width":640,"Height":360,"RenderMode":2,"MediaId":1,"ImageLayer":3,"Alpha":255}],"BackGroundColor":"#102030","MaxResolutionUserId":"a","MediaId":1,"RenderMode":1,"PureAudioDisableLayout":true,"WaterMarkList":[]}`, ""},
		{"zero size takes the default", `{"VideoParams":{"Width":0}}`, ``, ""},
		{"0x colour", ``, `{"BackGroundColor":"0xFF00ff"}`, ""},
		{"ZOrder alias", ``, `{"MixLayoutMode":4,"MixLayoutList":[{"Width":2,"Height":2,"ZOrder":2,"ImageLayer":2}]}`, ""},
		{"ZOrder differs", ``, `{"MixLayoutMode":4,"MixLayoutList":[{"Width":2,"Height":2,"ZOrder":2,"ImageLayer":1}]}`, CodeInvalidParameter},
		{"width 15", `{"VideoParams":{"Width":14}}`, ``, CodeOutOfRange},
		{"odd width", `{"VideoParams":{"Width":361}}`, ``, CodeOutOfRange},
		{"too many pixels", `{"VideoParams":{"Width":1920,"Height":1082}}`, ``, CodeOutOfRange},
		{"fps 0", `{"VideoParams":{"Fps":0}}`, ``, CodeOutOfRange},
		{"bitrate 63999", `{"VideoParams":{"BitRate":63999}}`, ``, CodeOutOfRange},
		{"gop 0", `{"VideoParams":{"Gop":0}}`, ``, CodeOutOfRange},
		{"sample rate 48000", `{"AudioParams":{"SampleRate":48000}}`, ``, CodeOutOfRange},
		{"audio bitrate 31999", `{"AudioParams":{"BitRate":31999}}`, ``, CodeOutOfRange},
		{"negative width", `{"VideoParams":{"Width":-2}}`, ``, CodeBodyParamsError},
		{"video params a list", `{"VideoParams":[]}`, ``, CodeBodyParamsError},
		{"unknown transcode field", `{"Video":{}}`, ``, CodeUnknownParameter},
		{"unknown window field", ``, `{"MixLayoutMode":4,"MixLayoutList":[{"Width":2,"Height":2,"X":1}]}`, CodeUnknownParameter},
		{"mode 0", ``, `{"MixLayoutMode":0}`, CodeOutOfRange},
		{"layout render mode 3", ``, `{"RenderMode":3}`, CodeOutOfRange},
		{"bad colour", ``, `{"BackGroundColor":"#12345"}`, CodeInvalidParameter},
		{"bad max user", ``, `{"MaxResolutionUserId":"a/b"}`, CodeInvalidParameter},
		{"images", ``, `{"BackgroundImageUrl":"https://cdn.example/bg.png","BackgroundImageRenderMode":3,"WaterMarkList":[{"WaterMarkType":0,"WaterMarkImage":{"WaterMarkUrl":"http://127.0.0.1:8080/w.png","Top":10,"Left":20,"Width":64,"Height":32}}]}`, ""},
		{"background image not http", ``, `{"BackgroundImageUrl":"file:///etc/passwd"}`, CodeInvalidParameter},
		{"background image no host", ``, `{"BackgroundImageUrl":"http:///x.png"}`, CodeInvalidParameter},
		{"background image URL too long", ``, `{"BackgroundImageUrl":"http://a/` + strings.Repeat("x", 510) + `"}`, CodeInvalidParameter},
		{"background render mode 5", ``, `{"BackgroundImageRenderMode":5}`, CodeOutOfRange},
		{"watermark without image", ``, `{"WaterMarkList":[{"WaterMarkType":0}]}`, CodeMissingParameter},
		{"watermark without URL", ``, `{"WaterMarkList":[{"WaterMarkImage":{"Width":2,"Height":2}}]}`, CodeMissingParameter},
		{"watermark without width", ``, `{"WaterMarkList":[{"WaterMarkImage":{"WaterMarkUrl":"http://a/b","Height":2}}]}`, CodeMissingParameter},
		{"watermark width 1", ``, `{"WaterMarkList":[{"WaterMarkImage":{"WaterMarkUrl":"http://a/b","Width":1,"Height":2}}]}`, CodeOutOfRange},
		{"watermark ftp", ``, `{"WaterMarkList":[{"WaterMarkImage":{"WaterMarkUrl":"ftp://a/b","Width":2,"Height":2}}]}`, CodeInvalidParameter},
		{"text watermark", ``, `{"WaterMarkList":[{"WaterMarkType":1}]}`, CodeUnsupportedOperation},
		{"watermark type 3", ``, `{"WaterMarkList":[{"WaterMarkType":3}]}`, CodeOutOfRange},
		{"unknown watermark field", ``, `{"WaterMarkList":[{"WaterMarkImage":{"WaterMarkUrl":"http://a/b","Width":2,"Height":2,"X":1}}]}`, CodeUnknownParameter},
		{"watermark list an object", ``, `{"WaterMarkList":{}}`, CodeBodyParamsError},
		{"26 watermarks", ``, `{"WaterMarkList":[` + strings.TrimSuffix(strings.Repeat(`{"WaterMarkImage":{"WaterMarkUrl":"http://a/b","Width":2,"Height":2}},`, 26), ",") + `]}`, CodeOutOfRange},
		{"default sub background image", ``, `{"DefaultSubBackgroundImage":"http://a/b.png"}`, ""},
		{"default sub background image javascript", ``, `{"DefaultSubBackgroundImage":"javascript:alert(1)"}`, CodeInvalidParameter},
		{"sub background image", ``, `{"MixLayoutMode":4,"MixLayoutList":[{"Width":2,"Height":2,"SubBackgroundImage":"http://a/p.jpg"}]}`, ""},
		{"sub background image not a URL", ``, `{"MixLayoutMode":4,"MixLayoutList":[{"Width":2,"Height":2,"SubBackgroundImage":"x"}]}`, CodeInvalidParameter},
		{"window height missing", ``, `{"MixLayoutMode":4,"MixLayoutList":[{"Width":2}]}`, CodeMissingParameter},
		{"window alpha 256", ``, `{"MixLayoutMode":4,"MixLayoutList":[{"Width":2,"Height":2,"Alpha":256}]}`, CodeOutOfRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseMix(json.RawMessage(tc.transcode), json.RawMessage(tc.layout), &recordParams{})
			code := ""
			var ae *Error
			if errors.As(err, &ae) {
				code = ae.Code
			} else if err != nil {
				t.Fatalf("not an *Error: %v", err)
			}
			if code != tc.want {
				t.Fatalf("%q (%v), want %q", code, err, tc.want)
			}
		})
	}
}

// FuzzParseMix: any MixTranscodeParams and MixLayoutParams get a mix or a
// TRTC error, never a panic, and a mix within the documented limits.
func FuzzParseMix(f *testing.F) {
	f.Add([]byte(`{"VideoParams":{"Width":320,"Height":240}}`), []byte(`{"MixLayoutMode":4,"MixLayoutList":[{"Width":2,"Height":2}]}`))
	f.Add([]byte(`{"AudioParams":{"SampleRate":3}}`), []byte(`{"BackGroundColor":"#ffffff","MaxResolutionUserId":"x"}`))
	f.Add([]byte(`{}`), []byte(`{"BackgroundImageUrl":"https://a/b.png","WaterMarkList":[{"WaterMarkImage":{"WaterMarkUrl":"http://h/w.png","Width":8,"Height":8}}]}`))
	f.Fuzz(func(t *testing.T, transcode, layout []byte) {
		m, err := parseMix(transcode, layout, &recordParams{})
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("not an *Error: %v", err)
			}
			return
		}
		if m.Width < MinMixSide || m.Width > MaxMixSide || m.Width%2 != 0 || m.Height%2 != 0 || m.Width*m.Height > MaxMixArea ||
			m.Fps < 1 || m.Fps > MaxMixFps || m.Layout.Mode < 1 || m.Layout.Mode > 4 || len(m.Layout.Windows) > MaxMixLayoutWindows {
			t.Fatalf("out of limits: %+v", m)
		}
		// Every image URL accepted is one the recorder accepts too.
		urls := []string{m.Layout.BackgroundImageURL, m.Layout.Placeholder}
		for _, w := range m.Layout.Windows {
			urls = append(urls, w.Placeholder)
		}
		for _, w := range m.Layout.Watermarks {
			urls = append(urls, w.URL)
			if w.Width < 2 || w.Height < 2 || w.Left < 0 || w.Top < 0 {
				t.Fatalf("watermark out of limits: %+v", w)
			}
		}
		for _, u := range urls {
			if u != "" && checkImageURL("u", u) != nil {
				t.Fatalf("accepted URL %q fails the check", u)
			}
		}
		if len(m.Layout.Watermarks) > MaxMixWatermarks || m.Layout.BackgroundImageRenderMode > 4 {
			t.Fatalf("images out of limits: %+v", m.Layout)
		}
	})
}

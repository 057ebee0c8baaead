package api

import (
	"encoding/json"
	"errors"
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
		{"watermark", ``, `{"WaterMarkList":[{"WaterMarkType":0}]}`, CodeUnsupportedOperation},
		{"sub background image", ``, `{"MixLayoutMode":4,"MixLayoutList":[{"Width":2,"Height":2,"SubBackgroundImage":"x"}]}`, CodeUnsupportedOperation},
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
	})
}

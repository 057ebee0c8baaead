package api

import (
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// Validation of the parts of the relay actions' requests (cdn.go).

// parseCdnEncode validates AudioEncode and VideoEncode. At start audio is
// required; pass-through without VideoEncode uses a 1280x720 canvas.
func parseCdnEncode(ap *cdnAudioParams, vp *cdnVideoParams, start, pass bool) (CdnEncode, error) {
	var e CdnEncode
	if ap != nil && ap.AudioEncode != nil {
		ae := ap.AudioEncode
		e.audioGiven = true
		switch {
		case ae.SampleRate == nil:
			return e, missingCdn("AudioParams.AudioEncode.SampleRate")
		case ae.Channel == nil:
			return e, missingCdn("AudioParams.AudioEncode.Channel")
		case ae.BitRate == nil:
			return e, missingCdn("AudioParams.AudioEncode.BitRate")
		}
		ok := false
		for _, r := range cdnSampleRates {
			ok = ok || *ae.SampleRate == r
		}
		if !ok {
			return e, Errorf(CodeOutOfRange, "AudioParams.AudioEncode.SampleRate must be one of 48000, 44100, 32000, 24000, 16000 and 8000, not %d.", *ae.SampleRate)
		}
		e.SampleRate = int(*ae.SampleRate)
		var err error
		if e.Channels, err = pick("AudioParams.AudioEncode.Channel", ae.Channel, 2, 1, 2); err != nil {
			return e, err
		}
		if e.AudioKbps, err = pick("AudioParams.AudioEncode.BitRate", ae.BitRate, 0, MinCdnAudioKbps, MaxCdnAudioKbps); err != nil {
			return e, err
		}
		codec, err := pick("AudioParams.AudioEncode.Codec", ae.Codec, 0, 0, 2)
		if err != nil {
			return e, err
		}
		if codec != 0 {
			return e, Errorf(CodeUnsupportedOperation, "AudioParams.AudioEncode.Codec %d (HE-AAC) is not supported: use 0 (LC-AAC).", codec)
		}
	} else if start {
		return e, missingCdn("AudioParams.AudioEncode")
	}
	if vp == nil {
		if pass {
			e.Video, e.Width, e.Height, e.Fps, e.Gop = true, DefaultPassWidth, DefaultPassHeight, DefaultCdnFps, DefaultCdnGop
		}
		return e, nil
	}
	e.Video = true
	if vp.VideoEncode == nil {
		if !start {
			return e, nil
		}
		return e, missingCdn("VideoParams.VideoEncode")
	}
	ve := vp.VideoEncode
	e.videoGiven = true
	switch {
	case ve.Width == nil:
		return e, missingCdn("VideoParams.VideoEncode.Width")
	case ve.Height == nil:
		return e, missingCdn("VideoParams.VideoEncode.Height")
	}
	var err error
	for _, f := range []struct {
		name        string
		v           *uint64
		def, lo, hi uint64
		dst         *int
	}{
		{"VideoParams.VideoEncode.Width", ve.Width, 0, MinMixSide, MaxCdnSide, &e.Width},
		{"VideoParams.VideoEncode.Height", ve.Height, 0, MinMixSide, MaxCdnSide, &e.Height},
		{"VideoParams.VideoEncode.Fps", ve.Fps, DefaultCdnFps, 1, MaxCdnFps, &e.Fps},
		{"VideoParams.VideoEncode.BitRate", ve.BitRate, 0, 0, MaxCdnVideoKbps, &e.VideoKbps},
		{"VideoParams.VideoEncode.Gop", ve.Gop, DefaultCdnGop, MinCdnGop, MaxCdnGop, &e.Gop},
	} {
		v := f.v
		if f.name == "VideoParams.VideoEncode.Fps" && v != nil && *v == 0 {
			v = nil // 0: the default
		}
		if *f.dst, err = pick(f.name, v, f.def, f.lo, f.hi); err != nil {
			return e, err
		}
	}
	if e.Width%2 != 0 || e.Height%2 != 0 {
		return e, Errorf(CodeOutOfRange, "VideoParams.VideoEncode: Width and Height must be even (4:2:0 video), not %d x %d.", e.Width, e.Height)
	}
	if e.Width*e.Height > MaxCdnArea {
		return e, Errorf(CodeOutOfRange, "VideoParams.VideoEncode: Width x Height must be at most 1920 x 1080 pixels, not %d x %d.", e.Width, e.Height)
	}
	if e.VideoKbps != 0 && e.VideoKbps < MinCdnVideoKbps {
		return e, Errorf(CodeOutOfRange, "VideoParams.VideoEncode.BitRate must be 0 (automatic) or between %d and %d kbps, not %d.", MinCdnVideoKbps, MaxCdnVideoKbps, e.VideoKbps)
	}
	return e, nil
}

// AutoVideoKbps is the bitrate chosen for VideoEncode.BitRate 0: about
// 0.1 bit per pixel, within the allowed range.
func AutoVideoKbps(w, h, fps int) int {
	return min(max(w*h*fps/10/1000, MinCdnVideoKbps), MaxCdnVideoKbps)
}

// parseAudioLists validates the audio allow and deny lists.
func parseAudioLists(ap *cdnAudioParams, mainRoom string) (in, out []string, err error) {
	if ap == nil {
		return nil, nil, nil
	}
	for _, l := range []struct {
		name  string
		users []cdnAudioUser
		dst   *[]string
	}{
		{"AudioParams.SubscribeAudioList", ap.SubscribeAudioList, &in},
		{"AudioParams.UnSubscribeAudioList", ap.UnSubscribeAudioList, &out},
	} {
		if len(l.users) > MaxCdnInputs {
			return nil, nil, Errorf(CodeOutOfRange, "%s holds %d users, at most %d.", l.name, len(l.users), MaxCdnInputs)
		}
		for i, u := range l.users {
			name := l.name + "[" + strconv.Itoa(i) + "]"
			if u.UserInfo == nil {
				return nil, nil, missingCdn(name + ".UserInfo")
			}
			if err := checkCdnUser(u.UserInfo, name+".UserInfo", mainRoom); err != nil {
				return nil, nil, err
			}
			if _, err := pick(name+".SoundLevel", u.SoundLevel, 100, 0, 100); err != nil {
				return nil, nil, err
			}
			*l.dst = append(*l.dst, *u.UserInfo.UserId)
		}
	}
	return in, out, nil
}

// parseCdnLayout validates VideoParams' layout and background.
func parseCdnLayout(vp *cdnVideoParams, mainRoom string) (CdnLayout, error) {
	l := CdnLayout{Mode: 1}
	// The images are parsed as a mixed recording's (recording_image.go).
	var img MixLayoutRequest
	if err := parseImages(imageFields{
		prefix: "VideoParams", bgMode: "BackgroundRenderMode",
		bgURL: vp.BackgroundImageUrl, bgRender: vp.BackgroundRenderMode, waterMarks: vp.WaterMarkList,
	}, &img); err != nil {
		return l, err
	}
	l.BackgroundImageURL, l.BackgroundImageRenderMode, l.Watermarks = img.BackgroundImageURL, img.BackgroundImageRenderMode, img.Watermarks
	if c := vp.BackGroundColor; c != nil && *c != "" {
		hexs, ok := strings.CutPrefix(strings.ToLower(*c), "0x")
		if !ok {
			hexs, ok = strings.CutPrefix(*c, "#")
		}
		b, err := hex.DecodeString(hexs)
		if !ok || err != nil || len(b) != 3 {
			return l, Errorf(CodeInvalidParameter, "VideoParams.BackGroundColor %q is not a colour \"0xRRGGBB\".", clip(*c))
		}
		l.Background = [3]byte{b[0], b[1], b[2]}
	}
	lp := vp.LayoutParams
	if lp == nil {
		return l, nil
	}
	var err error
	if l.Mode, err = pick("VideoParams.LayoutParams.MixLayoutMode", lp.MixLayoutMode, 1, 1, 4); err != nil {
		return l, err
	}
	if l.Fit, err = pick("VideoParams.LayoutParams.RenderMode", lp.RenderMode, 0, 0, 2); err != nil {
		return l, err
	}
	if _, err := pick("VideoParams.LayoutParams.PureAudioHoldPlaceMode", lp.PureAudioHoldPlaceMode, 0, 0, 1); err != nil {
		return l, err
	}
	if lp.MaxVideoUser != nil {
		s, err := parseCdnStream(lp.MaxVideoUser, "VideoParams.LayoutParams.MaxVideoUser", mainRoom, false)
		if err != nil {
			return l, err
		}
		if s.UserID != "" {
			l.MaxVideoUser = &s
		}
	}
	if len(lp.MixLayoutList) > MaxCdnInputs {
		return l, Errorf(CodeOutOfRange, "VideoParams.LayoutParams.MixLayoutList holds %d layouts, at most %d.", len(lp.MixLayoutList), MaxCdnInputs)
	}
	if l.Mode == 4 && len(lp.MixLayoutList) == 0 {
		return l, Errorf(CodeInvalidParameter, "VideoParams.LayoutParams.MixLayoutMode 4 (custom) needs a MixLayoutList.")
	}
	for i, w := range lp.MixLayoutList {
		name := "VideoParams.LayoutParams.MixLayoutList[" + strconv.Itoa(i) + "]"
		var win CdnWindow
		switch {
		case w.ImageWidth == nil:
			return l, missingCdn(name + ".ImageWidth")
		case w.ImageHeight == nil:
			return l, missingCdn(name + ".ImageHeight")
		}
		for _, f := range []struct {
			field  string
			v      *uint64
			def    uint64
			lo, hi uint64
			dst    *int
		}{
			{"ImageWidth", w.ImageWidth, 0, 2, MaxCdnSide, &win.Width},
			{"ImageHeight", w.ImageHeight, 0, 2, MaxCdnSide, &win.Height},
			{"LocationX", w.LocationX, 0, 0, MaxCdnSide, &win.Left},
			{"LocationY", w.LocationY, 0, 0, MaxCdnSide, &win.Top},
			{"ZOrder", w.ZOrder, 0, 0, MaxCdnZOrder, &win.ZOrder},
			{"RenderMode", w.RenderMode, 0, 0, 2, &win.Fit},
		} {
			if *f.dst, err = pick(name+"."+f.field, f.v, f.def, f.lo, f.hi); err != nil {
				return l, err
			}
		}
		if _, err := pick(name+".BackgroundRenderMode", w.BackgroundRenderMode, 0, 0, 4); err != nil {
			return l, err
		}
		if u := w.BackgroundImageUrl; u != nil && *u != "" { // the window's placeholder
			if err := checkImageURL(name+".BackgroundImageUrl", *u); err != nil {
				return l, err
			}
			win.Placeholder = *u
		}
		if w.TransparentUrl != nil && *w.TransparentUrl != "" {
			return l, Errorf(CodeUnsupportedOperation, "%s.TransparentUrl is not supported.", name)
		}
		if present(w.CustomCrop) {
			return l, Errorf(CodeUnsupportedOperation, "%s.CustomCrop is not supported.", name)
		}
		if w.UserMediaStream != nil {
			if win.Stream, err = parseCdnStream(w.UserMediaStream, name+".UserMediaStream", mainRoom, false); err != nil {
				return l, err
			}
		}
		l.Windows = append(l.Windows, win)
	}
	return l, nil
}

// parseCdnURLs validates PublishCdnParams: rtmp:// URLs with a host and a
// stream path, no blanks or control characters, no duplicates.
func parseCdnURLs(ps []cdnPublishParam) ([]string, error) {
	if len(ps) > MaxCdnURLs {
		return nil, Errorf(CodeOutOfRange, "PublishCdnParams holds %d URLs, at most %d.", len(ps), MaxCdnURLs)
	}
	var out []string
	for i, p := range ps {
		name := "PublishCdnParams[" + strconv.Itoa(i) + "]"
		if p.PublishCdnUrl == nil || *p.PublishCdnUrl == "" {
			return nil, missingCdn(name + ".PublishCdnUrl")
		}
		if _, err := pick(name+".IsTencentCdn", p.IsTencentCdn, 0, 0, 1); err != nil {
			return nil, err
		}
		u := *p.PublishCdnUrl
		if err := checkRTMPURL(u); err != nil {
			return nil, Errorf(CodeInvalidStreamURL, "%s.PublishCdnUrl %q: %s", name, clip(u), err.Error())
		}
		for _, o := range out {
			if o == u {
				return nil, Errorf(CodeInvalidStreamURL, "%s.PublishCdnUrl %q is listed twice.", name, clip(u))
			}
		}
		out = append(out, u)
	}
	return out, nil
}

type urlError string

func (e urlError) Error() string { return string(e) }

// checkRTMPURL accepts rtmp://host[:port]/app/stream[?query].
func checkRTMPURL(s string) error {
	if len(s) > MaxCdnURLLen {
		return urlError("longer than " + strconv.Itoa(MaxCdnURLLen) + " bytes")
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f {
			return urlError("contains a blank or control character")
		}
	}
	if !strings.HasPrefix(s, "rtmp://") {
		return urlError("not an rtmp:// URL")
	}
	u, err := url.Parse(s)
	if err != nil {
		return urlError("not a valid URL")
	}
	if u.Hostname() == "" || u.User != nil || u.Fragment != "" {
		return urlError("needs a host, and no user info or fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return urlError("port out of range")
		}
	}
	app, stream, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if app == "" || stream == "" {
		return urlError("needs an application and a stream name (rtmp://host/app/stream)")
	}
	return nil
}

// unsupportedExtras rejects the optional parts this server does not do.
func unsupportedExtras(sei, record json.RawMessage, feedBack []cdnFeedBack) error {
	if present(sei) && string(sei) != "{}" {
		return Errorf(CodeUnsupportedOperation, "SeiParams is not supported.")
	}
	if present(record) && string(record) != "{}" {
		return Errorf(CodeUnsupportedOperation, "RecordParams (relay recording) is not supported: use CreateCloudRecording.")
	}
	if len(feedBack) > MaxCdnFeedBackRooms {
		return Errorf(CodeOutOfRange, "FeedBackRoomParams holds %d rooms, at most %d.", len(feedBack), MaxCdnFeedBackRooms)
	}
	return nil
}

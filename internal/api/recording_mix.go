package api

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Mixed recording (RecordMode 2): MixTranscodeParams and MixLayoutParams of
// CreateCloudRecording and ModifyCloudRecording (trtc-reference §7.6).

// Limits and defaults of MixTranscodeParams (§7.6; docs/recording.md).
const (
	DefaultMixWidth        = 360
	DefaultMixHeight       = 640
	MinMixSide             = 16
	MaxMixSide             = 1920
	MaxMixArea             = 1920 * 1080
	DefaultMixFps          = 15
	MaxMixFps              = 60
	DefaultMixVideoBitRate = 550000
	MinMixVideoBitRate     = 64000
	MaxMixVideoBitRate     = 8192000
	DefaultMixGop          = 10
	MaxMixGop              = 10
	DefaultMixAudioBitRate = 64000
	MinMixAudioBitRate     = 32000
	MaxMixAudioBitRate     = 128000
	MaxMixLayoutWindows    = 25
	MaxMixWatermarks       = 25
)

// MixWindowRequest is one MixLayoutList entry.
type MixWindowRequest struct {
	Top, Left, Width, Height int
	UserID                   string
	MediaID                  int    // 0 camera, 1 screen share
	Layer                    int    // ImageLayer
	RenderMode               int    // 0 stretch, 1 crop (default), 2 fit on black
	Placeholder              string // SubBackgroundImage (recording_image.go)
}

// MixLayoutRequest is a validated MixLayoutParams.
type MixLayoutRequest struct {
	Mode                 int // 1 floating, 2 screen share, 3 nine-grid (default), 4 custom
	Windows              []MixWindowRequest
	Background           [3]byte
	MaxResolutionUserID  string
	MaxResolutionMediaID int
	RenderMode           int // templates: 0 crop (default), 1 fit on the background colour, 2 fit on black
	// Images (recording_image.go): BackgroundImageRenderMode 0 crop, 1
	// fit on the background colour, 2 fit on black, 3 and 4 stretch.
	BackgroundImageURL        string
	BackgroundImageRenderMode int
	Watermarks                []WatermarkRequest
	// Placeholder is DefaultSubBackgroundImage.
	Placeholder string
}

// MixRequest is a validated mixed recording: the canvas and encoding of
// MixTranscodeParams, the layout, and the RecordParams that shape the mix.
type MixRequest struct {
	Width, Height, Fps, VideoBitRate, Gop int
	SampleRate, Channels, AudioBitRate    int
	Layout                                MixLayoutRequest
	MediaID                               int // RecordParams.MediaId: 0 camera+screen, 1 camera, 2 screen
	FillType                              int // RecordParams.FillType: 0 last frame, 1 black
}

// LayoutModifier is implemented by a Recorder that changes a mixed
// recording's layout (ModifyCloudRecording's MixLayoutParams).
type LayoutModifier interface {
	ModifyRecordingLayout(ctx context.Context, app trtc.SDKAppID, taskID string, l MixLayoutRequest) error
}

type mixVideoParams struct {
	Width   *uint64 `json:"Width"`
	Height  *uint64 `json:"Height"`
	Fps     *uint64 `json:"Fps"`
	BitRate *uint64 `json:"BitRate"`
	Gop     *uint64 `json:"Gop"`
}

type mixAudioParams struct {
	SampleRate *uint64 `json:"SampleRate"`
	Channel    *uint64 `json:"Channel"`
	BitRate    *uint64 `json:"BitRate"`
}

type mixTranscodeParams struct {
	VideoParams *mixVideoParams `json:"VideoParams"`
	AudioParams *mixAudioParams `json:"AudioParams"`
}

type mixLayout struct {
	Top                *uint64 `json:"Top"`
	Left               *uint64 `json:"Left"`
	Width              *uint64 `json:"Width"`
	Height             *uint64 `json:"Height"`
	UserId             *string `json:"UserId"`
	Alpha              *uint64 `json:"Alpha"`
	RenderMode         *uint64 `json:"RenderMode"`
	MediaId            *uint64 `json:"MediaId"`
	ImageLayer         *uint64 `json:"ImageLayer"`
	ZOrder             *uint64 `json:"ZOrder"` // the legacy name of ImageLayer
	SubBackgroundImage *string `json:"SubBackgroundImage"`
}

type mixLayoutParams struct {
	MixLayoutMode             *uint64         `json:"MixLayoutMode"`
	MixLayoutList             []mixLayout     `json:"MixLayoutList"`
	BackGroundColor           *string         `json:"BackGroundColor"`
	MaxResolutionUserId       *string         `json:"MaxResolutionUserId"`
	MediaId                   *uint64         `json:"MediaId"`
	BackgroundImageUrl        *string         `json:"BackgroundImageUrl"`
	PlaceHolderMode           *uint64         `json:"PlaceHolderMode"`
	BackgroundImageRenderMode *uint64         `json:"BackgroundImageRenderMode"`
	DefaultSubBackgroundImage *string         `json:"DefaultSubBackgroundImage"`
	WaterMarkList             json.RawMessage `json:"WaterMarkList"`
	RenderMode                *uint64         `json:"RenderMode"`
	MaxResolutionUserAlign    *uint64         `json:"MaxResolutionUserAlign"`
	PureAudioDisableLayout    *bool           `json:"PureAudioDisableLayout"`
}

type (
	plainMixVideo     mixVideoParams
	plainMixAudio     mixAudioParams
	plainMixTranscode mixTranscodeParams
	plainMixLayout    mixLayout
	plainMixLayouts   mixLayoutParams
)

var (
	mixVideoFields     = jsonFields(reflect.TypeFor[plainMixVideo]())
	mixAudioFields     = jsonFields(reflect.TypeFor[plainMixAudio]())
	mixTranscodeFields = jsonFields(reflect.TypeFor[plainMixTranscode]())
	mixLayoutFields    = jsonFields(reflect.TypeFor[plainMixLayout]())
	mixLayoutsFields   = jsonFields(reflect.TypeFor[plainMixLayouts]())
)

func (p *mixVideoParams) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainMixVideo)(p), mixVideoFields)
}

func (p *mixAudioParams) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainMixAudio)(p), mixAudioFields)
}

func (p *mixTranscodeParams) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainMixTranscode)(p), mixTranscodeFields)
}

func (p *mixLayout) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainMixLayout)(p), mixLayoutFields)
}

func (p *mixLayoutParams) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainMixLayouts)(p), mixLayoutsFields)
}

// present reports whether a raw JSON field was given (and is not null).
func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// decodeNested decodes a nested object strictly, mapping a type error to
// BodyParamsError under its own name.
func decodeNested(raw json.RawMessage, name string, dst any) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			return ae
		}
		return Errorf(CodeBodyParamsError, "The parameter %s is not a valid object: %v", name, clip(err.Error()))
	}
	return nil
}

// pick returns *v, or def when v is nil, after a range check.
func pick(field string, v *uint64, def, lo, hi uint64) (int, error) {
	if v == nil {
		return int(def), nil
	}
	if err := outOfRange(field, *v, lo, hi); err != nil {
		return 0, err
	}
	return int(*v), nil
}

// parseMix validates MixTranscodeParams, MixLayoutParams and the mixing
// fields of RecordParams.
func parseMix(transcode, layout json.RawMessage, rp *recordParams) (*MixRequest, error) {
	var tp mixTranscodeParams
	if present(transcode) {
		if err := decodeNested(transcode, "MixTranscodeParams", &tp); err != nil {
			return nil, err
		}
	}
	vp, ap := tp.VideoParams, tp.AudioParams
	if vp == nil {
		vp = &mixVideoParams{}
	}
	if ap == nil {
		ap = &mixAudioParams{}
	}
	m := &MixRequest{}
	var err error
	side := func(field string, v *uint64, def uint64) (int, error) {
		if v != nil && *v == 0 {
			v = nil // 0: the default, as Tencent documents it
		}
		n, err := pick(field, v, def, MinMixSide, MaxMixSide)
		if err == nil && n%2 != 0 {
			return 0, Errorf(CodeOutOfRange, "%s must be even (4:2:0 video), not %d.", field, n)
		}
		return n, err
	}
	if m.Width, err = side("MixTranscodeParams.VideoParams.Width", vp.Width, DefaultMixWidth); err != nil {
		return nil, err
	}
	if m.Height, err = side("MixTranscodeParams.VideoParams.Height", vp.Height, DefaultMixHeight); err != nil {
		return nil, err
	}
	if m.Width*m.Height > MaxMixArea {
		return nil, Errorf(CodeOutOfRange, "MixTranscodeParams.VideoParams: Width x Height must be at most 1920 x 1080 pixels, not %d x %d.", m.Width, m.Height)
	}
	for _, f := range []struct {
		name        string
		v           *uint64
		def, lo, hi uint64
		dst         *int
	}{
		{"MixTranscodeParams.VideoParams.Fps", vp.Fps, DefaultMixFps, 1, MaxMixFps, &m.Fps},
		{"MixTranscodeParams.VideoParams.BitRate", vp.BitRate, DefaultMixVideoBitRate, MinMixVideoBitRate, MaxMixVideoBitRate, &m.VideoBitRate},
		{"MixTranscodeParams.VideoParams.Gop", vp.Gop, DefaultMixGop, 1, MaxMixGop, &m.Gop},
		{"MixTranscodeParams.AudioParams.Channel", ap.Channel, 2, 1, 2, &m.Channels},
		{"MixTranscodeParams.AudioParams.BitRate", ap.BitRate, DefaultMixAudioBitRate, MinMixAudioBitRate, MaxMixAudioBitRate, &m.AudioBitRate},
		{"RecordParams.MediaId", rp.MediaId, 0, 0, 2, &m.MediaID},
		{"RecordParams.FillType", rp.FillType, 0, 0, 1, &m.FillType},
	} {
		if *f.dst, err = pick(f.name, f.v, f.def, f.lo, f.hi); err != nil {
			return nil, err
		}
	}
	rate, err := pick("MixTranscodeParams.AudioParams.SampleRate", ap.SampleRate, 1, 1, 3)
	if err != nil {
		return nil, err
	}
	m.SampleRate = []int{48000, 44100, 16000}[rate-1]
	if m.Layout, err = parseMixLayout(layout); err != nil {
		return nil, err
	}
	return m, nil
}

// parseMixLayout validates MixLayoutParams (absent: nine-grid on black).
// Window geometry against the canvas is checked by the recorder, which
// knows the canvas of a running task.
func parseMixLayout(raw json.RawMessage) (MixLayoutRequest, error) {
	l := MixLayoutRequest{Mode: 3}
	if !present(raw) {
		return l, nil
	}
	var p mixLayoutParams
	if err := decodeNested(raw, "MixLayoutParams", &p); err != nil {
		return l, err
	}
	var err error
	if l.Mode, err = pick("MixLayoutParams.MixLayoutMode", p.MixLayoutMode, 3, 1, 4); err != nil {
		return l, err
	}
	if l.RenderMode, err = pick("MixLayoutParams.RenderMode", p.RenderMode, 0, 0, 2); err != nil {
		return l, err
	}
	if l.MaxResolutionMediaID, err = pick("MixLayoutParams.MediaId", p.MediaId, 0, 0, 1); err != nil {
		return l, err
	}
	for _, f := range []struct {
		name string
		v    *uint64
		hi   uint64
	}{
		{"MixLayoutParams.PlaceHolderMode", p.PlaceHolderMode, 1},
		{"MixLayoutParams.MaxResolutionUserAlign", p.MaxResolutionUserAlign, 1},
	} {
		if _, err := pick(f.name, f.v, 0, 0, f.hi); err != nil {
			return l, err
		}
	}
	if err := parseLayoutImages(&p, &l); err != nil { // recording_image.go
		return l, err
	}
	if c := p.BackGroundColor; c != nil && *c != "" {
		hexs, ok := strings.CutPrefix(*c, "#")
		if !ok {
			hexs, ok = strings.CutPrefix(strings.ToLower(*c), "0x")
		}
		b, err := hex.DecodeString(hexs)
		if !ok || err != nil || len(b) != 3 {
			return l, Errorf(CodeInvalidParameter, "MixLayoutParams.BackGroundColor %q is not a colour \"#RRGGBB\".", clip(*c))
		}
		l.Background = [3]byte{b[0], b[1], b[2]}
	}
	if u := p.MaxResolutionUserId; u != nil && *u != "" {
		if trtc.ValidateUserID(*u) != nil {
			return l, Errorf(CodeInvalidParameter, "MixLayoutParams.MaxResolutionUserId %q is not a valid user id.", clip(*u))
		}
		l.MaxResolutionUserID = *u
	}
	if len(p.MixLayoutList) > MaxMixLayoutWindows {
		return l, Errorf(CodeOutOfRange, "MixLayoutParams.MixLayoutList holds %d windows, at most %d.", len(p.MixLayoutList), MaxMixLayoutWindows)
	}
	if l.Mode == 4 && len(p.MixLayoutList) == 0 {
		return l, Errorf(CodeInvalidParameter, "MixLayoutParams.MixLayoutMode 4 (custom) needs a MixLayoutList.")
	}
	for i, w := range p.MixLayoutList {
		win, err := parseMixWindow(i, w)
		if err != nil {
			return l, err
		}
		l.Windows = append(l.Windows, win)
	}
	return l, nil
}

func parseMixWindow(i int, w mixLayout) (MixWindowRequest, error) {
	var win MixWindowRequest
	name := func(f string) string { return "MixLayoutParams.MixLayoutList[" + strconv.Itoa(i) + "]." + f }
	var err error
	for _, f := range []struct {
		field  string
		v      *uint64
		def    uint64
		lo, hi uint64
		dst    *int
	}{
		{"Top", w.Top, 0, 0, MaxMixSide, &win.Top},
		{"Left", w.Left, 0, 0, MaxMixSide, &win.Left},
		{"Width", w.Width, 0, 2, MaxMixSide, &win.Width},
		{"Height", w.Height, 0, 2, MaxMixSide, &win.Height},
		{"RenderMode", w.RenderMode, 1, 0, 2, &win.RenderMode},
		{"MediaId", w.MediaId, 0, 0, 1, &win.MediaID},
		{"ImageLayer", w.ImageLayer, 0, 0, MaxMixLayoutWindows, &win.Layer},
	} {
		if f.v == nil && (f.field == "Width" || f.field == "Height") {
			return win, Errorf(CodeMissingParameter, "The required parameter %s is missing.", name(f.field))
		}
		if *f.dst, err = pick(name(f.field), f.v, f.def, f.lo, f.hi); err != nil {
			return win, err
		}
	}
	if w.ZOrder != nil {
		z, err := pick(name("ZOrder"), w.ZOrder, 0, 0, MaxMixLayoutWindows)
		if err != nil {
			return win, err
		}
		if w.ImageLayer != nil && z != win.Layer {
			return win, Errorf(CodeInvalidParameter, "%s and ImageLayer differ; give one.", name("ZOrder"))
		}
		win.Layer = z
	}
	if _, err := pick(name("Alpha"), w.Alpha, 0, 0, 255); err != nil {
		return win, err
	}
	if w.SubBackgroundImage != nil && *w.SubBackgroundImage != "" {
		if err := checkImageURL(name("SubBackgroundImage"), *w.SubBackgroundImage); err != nil {
			return win, err
		}
		win.Placeholder = *w.SubBackgroundImage
	}
	if w.UserId != nil && *w.UserId != "" {
		if trtc.ValidateUserID(*w.UserId) != nil {
			return win, Errorf(CodeInvalidParameter, "%s %q is not a valid user id.", name("UserId"), clip(*w.UserId))
		}
		win.UserID = *w.UserId
	}
	return win, nil
}

// validateLayout parses ModifyCloudRecording's MixLayoutParams.
func (p *modifyRecordingParams) validateLayout() error {
	if !present(p.MixLayoutParams) {
		return nil
	}
	l, err := parseMixLayout(p.MixLayoutParams)
	if err != nil {
		return err
	}
	p.layout = &l
	return nil
}

// modifyLayout applies ModifyCloudRecording's MixLayoutParams, if any.
func modifyLayout(ctx context.Context, rec Recorder, p *modifyRecordingParams) error {
	if p.layout == nil {
		return nil
	}
	lm, ok := rec.(LayoutModifier)
	if !ok {
		return Errorf(CodeUnsupportedOperation, "This server does not change layouts.")
	}
	return lm.ModifyRecordingLayout(ctx, p.app, *p.TaskID, *p.layout)
}

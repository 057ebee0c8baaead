package api

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
)

// Images of MixLayoutParams (trtc-reference §7.6, §3.8): the background
// image and image watermarks. The recorder fetches them (docs/recording.md,
// "Images").

// MaxImageURLLen bounds an image URL (TRTC's 512 bytes).
const MaxImageURLLen = 512

// Watermark types of WaterMarkList[].WaterMarkType.
const (
	WatermarkImage     = 0
	WatermarkText      = 1
	WatermarkTimestamp = 2
)

// WatermarkRequest is an image watermark in canvas pixels.
type WatermarkRequest struct {
	URL                      string
	Top, Left, Width, Height int
}

type waterMark struct {
	WaterMarkType      *uint64         `json:"WaterMarkType"`
	WaterMarkImage     *waterMarkImage `json:"WaterMarkImage"`
	WaterMarkChar      json.RawMessage `json:"WaterMarkChar"`
	WaterMarkTimestamp json.RawMessage `json:"WaterMarkTimestamp"`
}

type waterMarkImage struct {
	WaterMarkUrl *string `json:"WaterMarkUrl"`
	Top          *uint64 `json:"Top"`
	Left         *uint64 `json:"Left"`
	Width        *uint64 `json:"Width"`
	Height       *uint64 `json:"Height"`
}

type (
	plainWaterMark      waterMark
	plainWaterMarkImage waterMarkImage
)

var (
	waterMarkFields      = jsonFields(reflect.TypeFor[plainWaterMark]())
	waterMarkImageFields = jsonFields(reflect.TypeFor[plainWaterMarkImage]())
)

func (p *waterMark) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainWaterMark)(p), waterMarkFields)
}

func (p *waterMarkImage) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainWaterMarkImage)(p), waterMarkImageFields)
}

// checkImageURL validates an image URL field: absolute http or https with
// a host, at most MaxImageURLLen bytes.
func checkImageURL(field, raw string) error {
	if len(raw) > MaxImageURLLen {
		return Errorf(CodeInvalidParameter, "%s has %d bytes, at most %d.", field, len(raw), MaxImageURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Errorf(CodeInvalidParameter, "%s %q is not an http or https URL.", field, clip(raw))
	}
	return nil
}

// parseLayoutImages validates BackgroundImageUrl,
// BackgroundImageRenderMode, DefaultSubBackgroundImage and WaterMarkList
// into l (a window's SubBackgroundImage is parsed with the window).
func parseLayoutImages(p *mixLayoutParams, l *MixLayoutRequest) error {
	return parseImages(imageFields{
		prefix: "MixLayoutParams", bgMode: "BackgroundImageRenderMode",
		bgURL: p.BackgroundImageUrl, bgRender: p.BackgroundImageRenderMode,
		placeholder: p.DefaultSubBackgroundImage, waterMarks: p.WaterMarkList,
	}, l)
}

// imageFields are the image fields of a layout: MixLayoutParams' for
// recordings, VideoParams' for relays (cdn_parse.go), which name the
// background's render mode differently and have no default placeholder.
type imageFields struct {
	prefix, bgMode string // the object's name; the render mode field's
	bgURL          *string
	bgRender       *uint64
	placeholder    *string
	waterMarks     json.RawMessage
}

// parseImages validates the image fields f into l's images.
func parseImages(f imageFields, l *MixLayoutRequest) error {
	var err error
	if l.BackgroundImageRenderMode, err = pick(f.prefix+"."+f.bgMode, f.bgRender, 0, 0, 4); err != nil {
		return err
	}
	if u := f.bgURL; u != nil && *u != "" {
		if err := checkImageURL(f.prefix+".BackgroundImageUrl", *u); err != nil {
			return err
		}
		l.BackgroundImageURL = *u
	}
	if u := f.placeholder; u != nil && *u != "" {
		if err := checkImageURL(f.prefix+".DefaultSubBackgroundImage", *u); err != nil {
			return err
		}
		l.Placeholder = *u
	}
	if !present(f.waterMarks) {
		return nil
	}
	var list []waterMark
	if err := decodeNested(f.waterMarks, f.prefix+".WaterMarkList", &list); err != nil {
		return err
	}
	if len(list) > MaxMixWatermarks {
		return Errorf(CodeOutOfRange, "%s.WaterMarkList holds %d entries, at most %d.", f.prefix, len(list), MaxMixWatermarks)
	}
	prefix := f.prefix
	for i, wm := range list {
		name := func(f string) string { return prefix + ".WaterMarkList[" + strconv.Itoa(i) + "]." + f }
		typ, err := pick(name("WaterMarkType"), wm.WaterMarkType, WatermarkImage, 0, WatermarkTimestamp)
		if err != nil {
			return err
		}
		if typ != WatermarkImage {
			return Errorf(CodeUnsupportedOperation, "%s %d: only image watermarks (0) are supported.", name("WaterMarkType"), typ)
		}
		img := wm.WaterMarkImage
		if img == nil {
			return Errorf(CodeMissingParameter, "The required parameter %s is missing.", name("WaterMarkImage"))
		}
		if img.WaterMarkUrl == nil || *img.WaterMarkUrl == "" {
			return Errorf(CodeMissingParameter, "The required parameter %s is missing.", name("WaterMarkImage.WaterMarkUrl"))
		}
		if err := checkImageURL(name("WaterMarkImage.WaterMarkUrl"), *img.WaterMarkUrl); err != nil {
			return err
		}
		out := WatermarkRequest{URL: *img.WaterMarkUrl}
		for _, f := range []struct {
			field  string
			v      *uint64
			lo, hi uint64
			dst    *int
		}{
			{"Top", img.Top, 0, MaxMixSide, &out.Top},
			{"Left", img.Left, 0, MaxMixSide, &out.Left},
			{"Width", img.Width, 2, MaxMixSide, &out.Width},
			{"Height", img.Height, 2, MaxMixSide, &out.Height},
		} {
			if f.v == nil && (f.field == "Width" || f.field == "Height") {
				return Errorf(CodeMissingParameter, "The required parameter %s is missing.", name("WaterMarkImage."+f.field))
			}
			if *f.dst, err = pick(name("WaterMarkImage."+f.field), f.v, 0, f.lo, f.hi); err != nil {
				return err
			}
		}
		l.Watermarks = append(l.Watermarks, out)
	}
	return nil
}

package server

import (
	"context"
	"errors"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/egress"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Mixed recording (RecordMode 2): the REST edge's requests mapped to the
// recorder's (docs/recording.md).

// mixParams maps a validated mix request; nil for single-stream tasks.
func mixParams(r *api.MixRequest) (*egress.MixParams, error) {
	if r == nil {
		return nil, nil
	}
	p := &egress.MixParams{
		Width: r.Width, Height: r.Height, Fps: r.Fps, VideoBitRate: r.VideoBitRate, Gop: r.Gop,
		SampleRate: r.SampleRate, Channels: r.Channels, AudioBitRate: r.AudioBitRate,
		Layout: mixLayout(r.Layout), Streams: r.MediaID, FillBlack: r.FillType == 1,
	}
	if err := egress.CheckLayout(p.Layout, p.Width, p.Height); err != nil {
		return nil, layoutError(err)
	}
	return p, nil
}

// mixLayout maps MixLayoutParams. Template cells use the layout's
// RenderMode (0 crop, 1 fit on the background colour, 2 fit on black);
// custom windows their own (0 stretch, 1 crop, 2 fit on black).
func mixLayout(l api.MixLayoutRequest) egress.MixLayout {
	out := egress.MixLayout{
		Mode: l.Mode, Background: l.Background,
		MaxResolutionUser: trtc.UserID(l.MaxResolutionUserID), MaxResolutionSub: l.MaxResolutionMediaID == 1,
		Fit: []egress.Fit{egress.FitCrop, egress.FitPad, egress.FitBlack}[l.RenderMode],
	}
	out.BackgroundImage, out.Placeholder = l.BackgroundImageURL, l.Placeholder
	out.BackgroundFit = []egress.Fit{egress.FitCrop, egress.FitPad, egress.FitBlack, egress.FitStretch, egress.FitStretch}[l.BackgroundImageRenderMode]
	for _, w := range l.Watermarks {
		out.Watermarks = append(out.Watermarks, egress.MixWatermark{URL: w.URL, Left: w.Left, Top: w.Top, Width: w.Width, Height: w.Height})
	}
	for _, w := range l.Windows {
		out.Windows = append(out.Windows, egress.MixWindow{
			Top: w.Top, Left: w.Left, Width: w.Width, Height: w.Height,
			UserID: w.UserID, Sub: w.MediaID == 1, Layer: w.Layer,
			Fit:         []egress.Fit{egress.FitStretch, egress.FitCrop, egress.FitBlack}[w.RenderMode],
			Placeholder: w.Placeholder,
		})
	}
	return out
}

// ModifyRecordingLayout implements api.LayoutModifier.
func (a recorderAdmin) ModifyRecordingLayout(_ context.Context, app trtc.SDKAppID, id string, l api.MixLayoutRequest) error {
	if err := a.recordingOnly(app, id); err != nil {
		return err
	}
	return layoutError(a.rec.SetLayout(app, id, mixLayout(l)))
}

// layoutError maps the mixer's errors, then the recorder's.
func layoutError(err error) error {
	switch {
	case errors.Is(err, egress.ErrBadLayout):
		return api.Errorf(api.CodeOutOfRange, "MixLayoutParams: %v", err)
	case errors.Is(err, egress.ErrNotMixed):
		return api.Errorf("FailedOperation.CRUnsupportMethod", "MixLayoutParams applies to mixed recordings (RecordMode 2) only.")
	}
	return recordingError(err)
}

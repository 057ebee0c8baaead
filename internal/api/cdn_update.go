package api

import (
	"encoding/json"
	"reflect"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// UpdatePublishCdnStream's request, and the parsers the SDKs' requests go
// through (cdn.go).

// updateCdnParams is UpdatePublishCdnStream's request.
type updateCdnParams struct {
	SDKAppID              *uint64             `json:"SdkAppId"`
	TaskID                *string             `json:"TaskId"`
	SequenceNumber        *uint64             `json:"SequenceNumber"`
	WithTranscoding       *uint64             `json:"WithTranscoding"`
	AudioParams           *cdnAudioParams     `json:"AudioParams"`
	VideoParams           *cdnVideoParams     `json:"VideoParams"`
	SingleSubscribeParams *cdnSingleSubscribe `json:"SingleSubscribeParams"`
	PublishCdnParams      *[]cdnPublishParam  `json:"PublishCdnParams"`
	SeiParams             json.RawMessage     `json:"SeiParams"`
	FeedBackRoomParams    []cdnFeedBack       `json:"FeedBackRoomParams"`

	upd CdnUpdate
}

func (p *updateCdnParams) Validate() error {
	app, err := validateTask(p.SDKAppID, p.TaskID)
	if err != nil {
		return err
	}
	switch {
	case p.SequenceNumber == nil:
		return missingCdn("SequenceNumber")
	case p.WithTranscoding == nil:
		return missingCdn("WithTranscoding")
	}
	u := &p.upd
	u.App, u.TaskID = app, *p.TaskID
	if u.Sequence, err = pickU("SequenceNumber", p.SequenceNumber, 0, 0, maxCdnSequenceNumber); err != nil {
		return err
	}
	switch *p.WithTranscoding {
	case 0:
	case 1:
		u.Transcode = true
	default:
		return Errorf(CodeOutOfRange, "WithTranscoding must be 0 (pass-through) or 1 (transcode), not %d.", *p.WithTranscoding)
	}
	// Users are checked against the task's room by the relay; here only
	// their form.
	const anyRoom = ""
	if p.SingleSubscribeParams != nil && p.SingleSubscribeParams.UserMediaStream != nil {
		s, err := parseCdnStream(p.SingleSubscribeParams.UserMediaStream, "SingleSubscribeParams.UserMediaStream", anyRoom, true)
		if err != nil {
			return err
		}
		u.Single = &s
	}
	if !u.Transcode && u.Single == nil && p.SingleSubscribeParams != nil {
		return missingCdn("SingleSubscribeParams.UserMediaStream")
	}
	if p.AudioParams != nil || p.VideoParams != nil {
		e, err := parseCdnEncode(p.AudioParams, p.VideoParams, false, false)
		if err != nil {
			return err
		}
		u.Encode = &e
	}
	if p.AudioParams != nil {
		in, out, err := parseAudioLists(p.AudioParams, anyRoom)
		if err != nil {
			return err
		}
		u.AudioIn, u.AudioOut = &in, &out
	}
	if p.VideoParams != nil && (p.VideoParams.LayoutParams != nil || p.VideoParams.BackGroundColor != nil) {
		l, err := parseCdnLayout(p.VideoParams, anyRoom)
		if err != nil {
			return err
		}
		u.Layout = &l
	}
	if p.PublishCdnParams != nil {
		urls, err := parseCdnURLs(*p.PublishCdnParams)
		if err != nil {
			return err
		}
		u.URLs = &urls
	}
	if len(p.FeedBackRoomParams) > 0 {
		return Errorf(CodeUnsupportedOperation, "FeedBackRoomParams cannot change while a task runs.")
	}
	return unsupportedExtras(p.SeiParams, nil, nil)
}

func (p *updateCdnParams) App() trtc.SDKAppID { return p.upd.App }

// SameEncode reports whether an update's encoding (the fields it gave)
// matches the task's: the output's format cannot change while it is
// pushed.
func (e CdnEncode) SameEncode(task CdnEncode) bool {
	if e.audioGiven && (e.SampleRate != task.SampleRate || e.Channels != task.Channels || e.AudioKbps != task.AudioKbps) {
		return false
	}
	if e.Video != task.Video && e.Video {
		return false // audio-only cannot become audio and video
	}
	if e.videoGiven && (e.Width != task.Width || e.Height != task.Height || e.Fps != task.Fps ||
		e.VideoKbps != task.VideoKbps || e.Gop != task.Gop) {
		return false
	}
	return true
}

// ParseCdnStart validates a StartPublishCdnStream body. The SDKs' requests
// are mapped to one, so that both paths keep the same rules.
func ParseCdnStart(body []byte) (CdnRequest, error) {
	p := new(startCdnParams)
	if err := decodeStrict(body, p, jsonFields(reflect.TypeFor[startCdnParams]())); err != nil {
		return CdnRequest{}, err
	}
	if err := p.Validate(); err != nil {
		return CdnRequest{}, err
	}
	return p.req, nil
}

// ParseCdnUpdate validates an UpdatePublishCdnStream body.
func ParseCdnUpdate(body []byte) (CdnUpdate, error) {
	p := new(updateCdnParams)
	if err := decodeStrict(body, p, jsonFields(reflect.TypeFor[updateCdnParams]())); err != nil {
		return CdnUpdate{}, err
	}
	if err := p.Validate(); err != nil {
		return CdnUpdate{}, err
	}
	return p.upd, nil
}

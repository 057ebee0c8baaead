package api

import (
	"encoding/json"
	"reflect"
	"sync"
)

// The JSON of the relay actions' requests (cdn.go).

// The request's JSON. Every nested object is decoded strictly (strictJSON).

type cdnUserInfo struct {
	UserId     *string `json:"UserId"`
	RoomId     *string `json:"RoomId"`
	RoomIdType *uint64 `json:"RoomIdType"`
}

type cdnUserMediaStream struct {
	UserInfo   *cdnUserInfo `json:"UserInfo"`
	StreamType *uint64      `json:"StreamType"`
}

type cdnAudioUser struct {
	UserInfo   *cdnUserInfo `json:"UserInfo"`
	SoundLevel *uint64      `json:"SoundLevel"`
}

type cdnAudioEncode struct {
	SampleRate *uint64 `json:"SampleRate"`
	Channel    *uint64 `json:"Channel"`
	BitRate    *uint64 `json:"BitRate"`
	Codec      *uint64 `json:"Codec"`
}

type cdnAudioParams struct {
	AudioEncode          *cdnAudioEncode `json:"AudioEncode"`
	SubscribeAudioList   []cdnAudioUser  `json:"SubscribeAudioList"`
	UnSubscribeAudioList []cdnAudioUser  `json:"UnSubscribeAudioList"`
}

type cdnVideoEncode struct {
	Width   *uint64 `json:"Width"`
	Height  *uint64 `json:"Height"`
	Fps     *uint64 `json:"Fps"`
	BitRate *uint64 `json:"BitRate"`
	Gop     *uint64 `json:"Gop"`
}

type cdnLayout struct {
	UserMediaStream      *cdnUserMediaStream `json:"UserMediaStream"`
	ImageWidth           *uint64             `json:"ImageWidth"`
	ImageHeight          *uint64             `json:"ImageHeight"`
	LocationX            *uint64             `json:"LocationX"`
	LocationY            *uint64             `json:"LocationY"`
	ZOrder               *uint64             `json:"ZOrder"`
	RenderMode           *uint64             `json:"RenderMode"`
	BackgroundImageUrl   *string             `json:"BackgroundImageUrl"`
	CustomCrop           json.RawMessage     `json:"CustomCrop"`
	BackgroundRenderMode *uint64             `json:"BackgroundRenderMode"`
	TransparentUrl       *string             `json:"TransparentUrl"`
}

type cdnLayoutParams struct {
	MixLayoutMode          *uint64             `json:"MixLayoutMode"`
	PureAudioHoldPlaceMode *uint64             `json:"PureAudioHoldPlaceMode"`
	MixLayoutList          []cdnLayout         `json:"MixLayoutList"`
	MaxVideoUser           *cdnUserMediaStream `json:"MaxVideoUser"`
	RenderMode             *uint64             `json:"RenderMode"`
}

type cdnVideoParams struct {
	VideoEncode          *cdnVideoEncode  `json:"VideoEncode"`
	LayoutParams         *cdnLayoutParams `json:"LayoutParams"`
	BackGroundColor      *string          `json:"BackGroundColor"`
	BackgroundImageUrl   *string          `json:"BackgroundImageUrl"`
	WaterMarkList        json.RawMessage  `json:"WaterMarkList"`
	BackgroundRenderMode *uint64          `json:"BackgroundRenderMode"`
}

type cdnSingleSubscribe struct {
	UserMediaStream *cdnUserMediaStream `json:"UserMediaStream"`
}

type cdnPublishParam struct {
	PublishCdnUrl *string `json:"PublishCdnUrl"`
	IsTencentCdn  *uint64 `json:"IsTencentCdn"`
}

type cdnFeedBack struct {
	RoomId     *string `json:"RoomId"`
	RoomIdType *uint64 `json:"RoomIdType"`
	UserId     *string `json:"UserId"`
	UserSig    *string `json:"UserSig"`
}

type cdnAgent struct {
	UserId      *string `json:"UserId"`
	UserSig     *string `json:"UserSig"`
	MaxIdleTime *uint64 `json:"MaxIdleTime"`
}

// strictJSON decodes b into dst (a pointer to a struct of a plain type,
// without UnmarshalJSON) rejecting unknown keys, as the top level does.
func strictJSON(b []byte, dst any) error {
	t := reflect.TypeOf(dst).Elem()
	f, ok := strictFields.Load(t)
	if !ok {
		f, _ = strictFields.LoadOrStore(t, jsonFields(t))
	}
	return decodeStrict(b, dst, f.(map[string]bool))
}

// strictFields caches the JSON names of the nested types.
var strictFields sync.Map

func (p *cdnUserInfo) UnmarshalJSON(b []byte) error {
	type plain cdnUserInfo
	return strictJSON(b, (*plain)(p))
}

func (p *cdnUserMediaStream) UnmarshalJSON(b []byte) error {
	type plain cdnUserMediaStream
	return strictJSON(b, (*plain)(p))
}

func (p *cdnAudioUser) UnmarshalJSON(b []byte) error {
	type plain cdnAudioUser
	return strictJSON(b, (*plain)(p))
}

func (p *cdnAudioEncode) UnmarshalJSON(b []byte) error {
	type plain cdnAudioEncode
	return strictJSON(b, (*plain)(p))
}

func (p *cdnAudioParams) UnmarshalJSON(b []byte) error {
	type plain cdnAudioParams
	return strictJSON(b, (*plain)(p))
}

func (p *cdnVideoEncode) UnmarshalJSON(b []byte) error {
	type plain cdnVideoEncode
	return strictJSON(b, (*plain)(p))
}

func (p *cdnLayout) UnmarshalJSON(b []byte) error {
	type plain cdnLayout
	return strictJSON(b, (*plain)(p))
}

func (p *cdnLayoutParams) UnmarshalJSON(b []byte) error {
	type plain cdnLayoutParams
	return strictJSON(b, (*plain)(p))
}

func (p *cdnVideoParams) UnmarshalJSON(b []byte) error {
	type plain cdnVideoParams
	return strictJSON(b, (*plain)(p))
}

func (p *cdnSingleSubscribe) UnmarshalJSON(b []byte) error {
	type plain cdnSingleSubscribe
	return strictJSON(b, (*plain)(p))
}

func (p *cdnPublishParam) UnmarshalJSON(b []byte) error {
	type plain cdnPublishParam
	return strictJSON(b, (*plain)(p))
}

func (p *cdnFeedBack) UnmarshalJSON(b []byte) error {
	type plain cdnFeedBack
	return strictJSON(b, (*plain)(p))
}

func (p *cdnAgent) UnmarshalJSON(b []byte) error {
	type plain cdnAgent
	return strictJSON(b, (*plain)(p))
}

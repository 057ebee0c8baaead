package api

import (
	"reflect"
	"regexp"
)

// StorageParams.CloudVod (trtc-reference §7.6): rtcengine keeps the files
// in its own VOD directory and serves them at /vod/<FileId>/<file>
// (docs/recording.md, "VOD").

// VodRequest is a validated CloudVod.TencentVod.
type VodRequest struct {
	// MediaType is the output: 0 mp4, 1 hls, 2 aac, 3 hls+mp4, 4 hls+aac.
	MediaType          int
	UserDefineRecordID string
}

// Limits of CloudVod.TencentVod.
const (
	maxVodContext  = 1000 // SessionContext, SourceContext, Procedure, StorageRegion
	maxVodRecordID = 64
)

// vodOutputFormat maps MediaType to RecordParams.OutputFormat.
var vodOutputFormat = [...]uint64{3, 0, 4, 1, 2}

var vodRecordIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

type cloudVod struct {
	TencentVod *tencentVod `json:"TencentVod"`
}

type tencentVod struct {
	Procedure          *string `json:"Procedure"`
	ExpireTime         *uint64 `json:"ExpireTime"`
	StorageRegion      *string `json:"StorageRegion"`
	ClassId            *uint64 `json:"ClassId"`
	SubAppId           *uint64 `json:"SubAppId"`
	SessionContext     *string `json:"SessionContext"`
	SourceContext      *string `json:"SourceContext"`
	MediaType          *uint64 `json:"MediaType"`
	UserDefineRecordId *string `json:"UserDefineRecordId"`
}

type (
	plainCloudVod   cloudVod
	plainTencentVod tencentVod
)

var (
	cloudVodFields   = jsonFields(reflect.TypeFor[plainCloudVod]())
	tencentVodFields = jsonFields(reflect.TypeFor[plainTencentVod]())
)

func (p *cloudVod) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainCloudVod)(p), cloudVodFields)
}

func (p *tencentVod) UnmarshalJSON(b []byte) error {
	return decodeStrict(b, (*plainTencentVod)(p), tencentVodFields)
}

// parseCloudVod validates StorageParams.CloudVod. The Tencent VOD fields
// that have no meaning here (Procedure, ExpireTime, StorageRegion,
// ClassId, SubAppId, the contexts) are checked for type and length and
// otherwise ignored.
func parseCloudVod(raw []byte) (*VodRequest, error) {
	var cv cloudVod
	if err := decodeNested(raw, "StorageParams.CloudVod", &cv); err != nil {
		return nil, err
	}
	tv := cv.TencentVod
	if tv == nil {
		return nil, Errorf(CodeMissingParameter, "The required parameter StorageParams.CloudVod.TencentVod is missing.")
	}
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"Procedure", tv.Procedure}, {"StorageRegion", tv.StorageRegion},
		{"SessionContext", tv.SessionContext}, {"SourceContext", tv.SourceContext},
	} {
		if f.v != nil && len(*f.v) > maxVodContext {
			return nil, Errorf(CodeInvalidParameter, "StorageParams.CloudVod.TencentVod.%s has %d bytes, at most %d.", f.name, len(*f.v), maxVodContext)
		}
	}
	mt, err := pick("StorageParams.CloudVod.TencentVod.MediaType", tv.MediaType, 0, 0, 4)
	if err != nil {
		return nil, err
	}
	out := &VodRequest{MediaType: mt}
	if id := tv.UserDefineRecordId; id != nil && *id != "" {
		if !vodRecordIDPattern.MatchString(*id) {
			return nil, Errorf(CodeInvalidParameter, "StorageParams.CloudVod.TencentVod.UserDefineRecordId must be 1..%d of [a-zA-Z0-9_-].", maxVodRecordID)
		}
		out.UserDefineRecordID = *id
	}
	return out, nil
}

package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func storageBody(cs string) []byte {
	return []byte(`{"SdkAppId":1400000000,"RoomId":"12","UserId":"rec","UserSig":"x","RecordParams":{"RecordMode":1},"StorageParams":` + cs + `}`)
}

const goodStorage = `{"CloudStorage":{"Vendor":1,"Region":"us-east-1","Bucket":"rec-1250000000","AccessKey":"AK","SecretKey":"SK","FileNamePrefix":["a","b_c"],"EndpointUrl":"http://127.0.0.1:9000/"}}`

func TestCloudStorageValid(t *testing.T) {
	now := time.Unix(1700000000, 0)
	h, rec := recordingHandler(now)
	if code, _ := callRecording(t, h, now, "CreateCloudRecording", storageBody(goodStorage)); code != "" {
		t.Fatalf("good CloudStorage: %s", code)
	}
	cs := rec.last.Storage
	if cs == nil || cs.Vendor != 1 || cs.Bucket != "rec-1250000000" || cs.EndpointURL != "http://127.0.0.1:9000" ||
		strings.Join(cs.FileNamePrefix, "/") != "a/b_c" || rec.last.OutputFormat != 3 {
		t.Fatalf("request %+v, storage %+v", rec.last, cs)
	}
}

func TestCloudStorageRejects(t *testing.T) {
	now := time.Unix(1700000000, 0)
	h, _ := recordingHandler(now)
	edit := func(field, value string) string {
		var m map[string]map[string]any
		if err := json.Unmarshal([]byte(goodStorage), &m); err != nil {
			t.Fatal(err)
		}
		if value == "" {
			delete(m["CloudStorage"], field)
		} else {
			var v any
			if err := json.Unmarshal([]byte(value), &v); err != nil {
				t.Fatal(err)
			}
			m["CloudStorage"][field] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	for _, tc := range []struct {
		name, storage, want string
	}{
		{"empty StorageParams", `{}`, "MissingParameter.CloudStorage"},
		{"no Vendor", edit("Vendor", ""), "MissingParameter.Vendor"},
		{"no Region", edit("Region", ""), "MissingParameter.Region"},
		{"no Bucket", edit("Bucket", ""), "MissingParameter.Bucket"},
		{"no AccessKey", edit("AccessKey", ""), "MissingParameter.AccessKey"},
		{"no SecretKey", edit("SecretKey", ""), "MissingParameter.SecretKey"},
		{"Vendor 2", edit("Vendor", "2"), "InvalidParameter.OutOfRange"},
		{"Region with a slash", edit("Region", `"us/east"`), "InvalidParameter"},
		{"empty Region", edit("Region", `""`), "InvalidParameter"},
		{"upper-case Bucket", edit("Bucket", `"Records"`), "InvalidParameter"},
		{"short Bucket", edit("Bucket", `"ab"`), "InvalidParameter"},
		{"Bucket ending in -", edit("Bucket", `"abc-"`), "InvalidParameter"},
		{"Bucket with ..", edit("Bucket", `"a..b"`), "InvalidParameter"},
		{"empty AccessKey", edit("AccessKey", `""`), "InvalidParameter"},
		{"SecretKey with a space", edit("SecretKey", `"a b"`), "InvalidParameter"},
		{"prefix with a slash", edit("FileNamePrefix", `["a/b"]`), "InvalidParameter"},
		{"11 prefixes", edit("FileNamePrefix", `["a","a","a","a","a","a","a","a","a","a","a"]`), "InvalidParameter"},
		{"ftp endpoint", edit("EndpointUrl", `"ftp://x"`), "InvalidParameter"},
		{"endpoint with a path", edit("EndpointUrl", `"http://x/bucket"`), "InvalidParameter"},
		{"endpoint with credentials", edit("EndpointUrl", `"http://u:p@x"`), "InvalidParameter"},
		{"endpoint without host", edit("EndpointUrl", `"http://"`), "InvalidParameter"},
		{"unknown field", edit("Acl", `"public"`), "UnknownParameter"},
		{"Vendor a string", edit("Vendor", `"1"`), "InvalidParameter.BodyParamsError"},
		{"CloudVod and CloudStorage", `{"CloudVod":{"TencentVod":{}},` + strings.TrimPrefix(goodStorage, "{"), "InvalidParameter"},
		{"CloudVod without TencentVod", `{"CloudVod":{}}`, "MissingParameter"},
		{"CloudVod MediaType 5", `{"CloudVod":{"TencentVod":{"MediaType":5}}}`, "InvalidParameter.OutOfRange"},
		{"CloudVod bad record id", `{"CloudVod":{"TencentVod":{"UserDefineRecordId":"a b"}}}`, "InvalidParameter"},
		{"CloudVod long context", `{"CloudVod":{"TencentVod":{"SessionContext":"` + strings.Repeat("x", 1001) + `"}}}`, "InvalidParameter"},
		{"CloudVod unknown field", `{"CloudVod":{"TencentVod":{"Bogus":1}}}`, "UnknownParameter"},
		{"CloudVod a list", `{"CloudVod":[]}`, "InvalidParameter.BodyParamsError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _ := callRecording(t, h, now, "CreateCloudRecording", storageBody(tc.storage)); code != tc.want {
				t.Fatalf("%s: %q, want %q", tc.storage, code, tc.want)
			}
		})
	}
}

// TestCloudVodValid: CloudVod's MediaType replaces OutputFormat.
func TestCloudVodValid(t *testing.T) {
	now := time.Unix(1700000000, 0)
	h, rec := recordingHandler(now)
	for mt, want := range []uint64{3, 0, 4, 1, 2} {
		body := storageBody(`{"CloudVod":{"TencentVod":{"Procedure":"p","ExpireTime":0,"StorageRegion":"ap","ClassId":1,"SubAppId":2,` +
			`"SessionContext":"s","SourceContext":"c","UserDefineRecordId":"rec_1","MediaType":` + string(rune('0'+mt)) + `}}}`)
		if code, _ := callRecording(t, h, now, "CreateCloudRecording", body); code != "" {
			t.Fatalf("MediaType %d: %s", mt, code)
		}
		if v := rec.last.Vod; v == nil || v.MediaType != mt || v.UserDefineRecordID != "rec_1" || rec.last.OutputFormat != want || rec.last.Storage != nil {
			t.Fatalf("MediaType %d: request %+v", mt, rec.last)
		}
	}
}

// FuzzCloudStorage: any CloudStorage object is accepted or refused with a
// parameter code, never an internal error.
func FuzzCloudStorage(f *testing.F) {
	f.Add(goodStorage)
	f.Add(`{"CloudStorage":{"Vendor":0,"Region":"ap-guangzhou","Bucket":"a.b-c","AccessKey":"x","SecretKey":"y"}}`)
	f.Add(`{"CloudStorage":{"EndpointUrl":"http://[::1]:9000"}}`)
	f.Add(`{"CloudVod":{"TencentVod":{"MediaType":1,"UserDefineRecordId":"x"}}}`)
	now := time.Unix(1700000000, 0)
	h, _ := recordingHandler(now)
	f.Fuzz(func(t *testing.T, storage string) {
		code, _ := callRecording(t, h, now, "CreateCloudRecording", storageBody(storage))
		if strings.HasPrefix(code, "InternalError") {
			t.Fatalf("%q: %s", storage, code)
		}
	})
}

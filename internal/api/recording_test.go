package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/tc3"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// fakeRecorder accepts every request and remembers the last one.
type fakeRecorder struct{ last RecordingRequest }

func (f *fakeRecorder) CreateRecording(_ context.Context, r RecordingRequest) (string, error) {
	f.last = r
	return "task-1", nil
}
func (f *fakeRecorder) DescribeRecording(context.Context, trtc.SDKAppID, string) (RecordingTask, error) {
	return RecordingTask{TaskID: "task-1", Status: "Idle"}, nil
}
func (f *fakeRecorder) ModifyRecording(context.Context, trtc.SDKAppID, string, RecordingSubscription) error {
	return nil
}
func (f *fakeRecorder) DeleteRecording(context.Context, trtc.SDKAppID, string) error { return nil }

func recordingHandler(now time.Time) (*Handler, *fakeRecorder) {
	h := NewHandler(Config{Credentials: testCreds, Now: func() time.Time { return now }})
	rec := &fakeRecorder{}
	RegisterRecordingActions(h, rec)
	return h, rec
}

func callRecording(t testing.TB, h *Handler, now time.Time, action string, body []byte) (code string, resp map[string]any) {
	req := httptest.NewRequest(http.MethodPost, "http://trtc.example/", bytes.NewReader(body))
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", Version)
	tc3.Sign(req, body, ownerCred, tc3.Service, now)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	var env struct {
		Response map[string]any
	}
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Response["RequestId"] == "" {
		t.Fatalf("bad envelope %s: %v", w.Body.Bytes(), err)
	}
	if e, ok := env.Response["Error"].(map[string]any); ok {
		code, _ = e["Code"].(string)
		if code == "" {
			t.Fatalf("error without a code: %s", w.Body.Bytes())
		}
	}
	return code, env.Response
}

// TestCreateRecordingDefaults checks the §7.6 conventions: RoomIdType 1 (a
// numeric room) by default, 0 for a string room, and the defaults of the
// optional fields.
func TestCreateRecordingDefaults(t *testing.T) {
	now := time.Unix(1700000000, 0)
	h, rec := recordingHandler(now)
	body := `{"SdkAppId":1400000000,"RoomId":"1234","UserId":"rec","UserSig":"x","RecordParams":{"RecordMode":1}}`
	if code, resp := callRecording(t, h, now, "CreateCloudRecording", []byte(body)); code != "" || resp["TaskId"] != "task-1" {
		t.Fatalf("code %q resp %v", code, resp)
	}
	r := rec.last
	if r.Room.IsStr() || r.Room.Num != 1234 || r.MaxIdleTime != DefaultRecordIdleTime || r.ResourceExpires != DefaultResourceExpHours || r.MaxFileMinutes != 0 {
		t.Fatalf("request %+v", r)
	}
	body = `{"SdkAppId":1400000000,"RoomId":"1234","RoomIdType":0,"UserId":"rec","UserSig":"x","RecordParams":{"RecordMode":1,"MaxIdleTime":5,"MaxMediaFileDuration":1440}}`
	if code, _ := callRecording(t, h, now, "CreateCloudRecording", []byte(body)); code != "" {
		t.Fatalf("string room: %q", code)
	}
	if r := rec.last; !r.Room.IsStr() || r.Room.Str != "1234" || r.MaxIdleTime != 5 || r.MaxFileMinutes != 1440 {
		t.Fatalf("request %+v", r)
	}
	if code, _ := callRecording(t, h, now, "DescribeCloudRecording", []byte(`{"SdkAppId":1400000000,"TaskId":"task-1"}`)); code != "" {
		t.Fatalf("describe: %q", code)
	}
	if code, _ := callRecording(t, h, now, "DescribeCloudRecording", []byte(`{"SdkAppId":1400000001,"TaskId":"task-1"}`)); code != CodeUnauthorizedSDKAppID {
		t.Fatalf("describe of another app: %q", code)
	}
}

// FuzzRecordingActions sends arbitrary, correctly signed bodies to the
// recording actions: every answer is an envelope, never an InternalError.
func FuzzRecordingActions(f *testing.F) {
	for _, s := range []struct{ action, body string }{
		{"CreateCloudRecording", `{"SdkAppId":1400000000,"RoomId":"1234","UserId":"rec","UserSig":"x","RecordParams":{"RecordMode":1,"SubscribeStreamUserIds":{"SubscribeAudioUserIds":["1.*$"]}}}`},
		{"CreateCloudRecording", `{"SdkAppId":1400000000,"RoomId":"r","RoomIdType":0,"UserId":"rec","UserSig":"x","RecordParams":{"RecordMode":2},"StorageParams":{"CloudStorage":null}}`},
		{"ModifyCloudRecording", `{"SdkAppId":1400000000,"TaskId":"t","SubscribeStreamUserIds":{"Bogus":1}}`},
		{"DescribeCloudRecording", `{"SdkAppId":1400000000,"TaskId":""}`},
		{"DeleteCloudRecording", `{"SdkAppId":1400000000}`},
	} {
		f.Add(s.action, []byte(s.body))
	}
	now := time.Unix(1700000000, 0)
	h, _ := recordingHandler(now)
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		if code, _ := callRecording(t, h, now, action, body); code == CodeInternalError {
			t.Fatalf("InternalError for %s %q", action, body)
		}
	})
}

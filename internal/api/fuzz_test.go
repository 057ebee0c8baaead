package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/tc3"
)

// FuzzHandler sends arbitrary, correctly signed bodies to every action: the
// answer is always a 200 envelope, and never an InternalError, since the
// fake room service does not fail.
func FuzzHandler(f *testing.F) {
	for _, s := range []struct{ action, body string }{
		{"RemoveUser", `{"SdkAppId":1400000000,"RoomId":1234,"UserIds":["alice"]}`},
		{"RemoveUserByStrRoomId", `{"SdkAppId":1400000000,"RoomId":"meeting-1","UserIds":["a","b"]}`},
		{"DismissRoom", `{"SdkAppId":1400000001,"RoomId":0}`},
		{"DismissRoomByStrRoomId", `{"SdkAppId":1e9,"RoomId":null,"roomid":"x"}`},
		{"Nope", `[`},
	} {
		f.Add(s.action, []byte(s.body))
	}
	now := time.Unix(1700000000, 0)
	h := NewHandler(Config{
		Rooms:       newFakeRooms(),
		Credentials: testCreds,
		Now:         func() time.Time { return now },
	})
	f.Fuzz(func(t *testing.T, action string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "http://trtc.example/", bytes.NewReader(body))
		req.Header.Set("X-TC-Action", action)
		req.Header.Set("X-TC-Version", Version)
		tc3.Sign(req, body, ownerCred, tc3.Service, now)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		var env struct {
			Response struct {
				Error     *struct{ Code, Message string }
				RequestId string
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Response.RequestId == "" {
			t.Fatalf("bad envelope %s: %v", rec.Body.Bytes(), err)
		}
		if e := env.Response.Error; e != nil && (e.Code == "" || e.Code == CodeInternalError) {
			t.Fatalf("error %+v for %s %q", e, action, body)
		}
	})
}

package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/tc3"
)

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%d", i)
	}
	return out
}

// TestActionsWithSDK drives every action through tencentcloud-sdk-go's
// common client, an independent signer, and checks the exact code.
func TestActionsWithSDK(t *testing.T) {
	type m = map[string]any
	tests := []struct {
		name      string
		call      sdkCall
		env       envOptions
		roomErr   error
		wantCode  string
		wantCalls []string
	}{
		// Success.
		{name: "RemoveUser", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": []string{"alice", "bob", "alice"}}},
			wantCalls: []string{"RemoveUsers 1400000000/1234 [alice bob]"}},
		{name: "RemoveUser params as JSON text", call: sdkCall{action: "RemoveUser", params: `{"SdkAppId":1400000000,"RoomId":1234,"UserIds":["alice"]}`},
			wantCalls: []string{"RemoveUsers 1400000000/1234 [alice]"}},
		{name: "RemoveUser ten users", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": ids(10)}},
			wantCalls: []string{"RemoveUsers 1400000000/1234 [user0 user1 user2 user3 user4 user5 user6 user7 user8 user9]"}},
		{name: "RemoveUserByStrRoomId", call: sdkCall{action: "RemoveUserByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": "meeting-1", "UserIds": []string{"alice"}}},
			wantCalls: []string{"RemoveUsers 1400000000/s:meeting-1 [alice]"}},
		{name: "DismissRoom", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}},
			wantCalls: []string{"DismissRoom 1400000000/1234"}},
		{name: "DismissRoomByStrRoomId", call: sdkCall{action: "DismissRoomByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": "meeting-1"}},
			wantCalls: []string{"DismissRoom 1400000000/s:meeting-1"}},
		{name: "other key on its own app", call: sdkCall{cred: otherCred, action: "DismissRoom", params: m{"SdkAppId": 1400000001, "RoomId": 1234}},
			wantCalls: []string{"DismissRoom 1400000001/1234"}},
		{name: "unsigned payload", call: sdkCall{unsigned: true, action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}},
			wantCalls: []string{"DismissRoom 1400000000/1234"}},
		{name: "clock skew within 5 min", env: envOptions{clockSkew: 4 * time.Minute}, call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}},
			wantCalls: []string{"DismissRoom 1400000000/1234"}},

		// Room errors.
		{name: "RemoveUser no room", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 999, "UserIds": []string{"alice"}}}, wantCode: "FailedOperation.RoomNotExist"},
		{name: "RemoveUserByStrRoomId no room", call: sdkCall{action: "RemoveUserByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": "1234", "UserIds": []string{"alice"}}}, wantCode: "FailedOperation.RoomNotExist"},
		{name: "DismissRoom no room", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 999}}, wantCode: "FailedOperation.RoomNotExist"},
		{name: "DismissRoomByStrRoomId no room", call: sdkCall{action: "DismissRoomByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": "nope"}}, wantCode: "FailedOperation.RoomNotExist"},
		{name: "server shutting down", roomErr: room.ErrClosed, call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "FailedOperation"},
		{name: "user not found", roomErr: room.ErrUserNotFound, call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": []string{"x"}}}, wantCode: "FailedOperation.UserNotExist"},
		{name: "unexpected room error", roomErr: errors.New("disk on fire"), call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "InternalError"},

		// Authentication.
		{name: "expired timestamp", env: envOptions{clockSkew: 6 * time.Minute}, call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "AuthFailure.SignatureExpire"},
		{name: "timestamp from the future", env: envOptions{clockSkew: -6 * time.Minute}, call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "AuthFailure.SignatureExpire"},
		{name: "forged signature", call: sdkCall{cred: tc3.Credential{SecretID: "AKIDOWNER", SecretKey: "guess"}, action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "AuthFailure.SignatureFailure"},
		{name: "unknown SecretId", call: sdkCall{cred: tc3.Credential{SecretID: "AKIDNOBODY", SecretKey: "SECRETOWNER"}, action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "AuthFailure.SecretIdNotFound"},
		{name: "unknown SecretId before unknown action", call: sdkCall{cred: tc3.Credential{SecretID: "AKIDNOBODY", SecretKey: "x"}, action: "Nope"}, wantCode: "AuthFailure.SecretIdNotFound"},
		{name: "expired before forged", env: envOptions{clockSkew: time.Hour}, call: sdkCall{cred: tc3.Credential{SecretID: "AKIDOWNER", SecretKey: "guess"}, action: "DismissRoom"}, wantCode: "AuthFailure.SignatureExpire"},

		// Version and action.
		{name: "unknown action", call: sdkCall{action: "DescribeNothing", params: m{}}, wantCode: "InvalidAction"},
		{name: "action name is case-sensitive", call: sdkCall{action: "dismissroom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "InvalidAction"},
		{name: "wrong version", call: sdkCall{version: "2020-01-01", action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "NoSuchVersion"},
		{name: "wrong version before unknown action", call: sdkCall{version: "2020-01-01", action: "Nope"}, wantCode: "NoSuchVersion"},
		{name: "forged signature before wrong version", call: sdkCall{cred: tc3.Credential{SecretID: "AKIDOWNER", SecretKey: "guess"}, version: "2020-01-01", action: "DismissRoom"}, wantCode: "AuthFailure.SignatureFailure"},

		// Decoding: wrong types and unknown fields.
		{name: "string RoomId to RemoveUser", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": "1234", "UserIds": []string{"alice"}}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "string RoomId to DismissRoom", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": "1234"}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "numeric RoomId to RemoveUserByStrRoomId", call: sdkCall{action: "RemoveUserByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": []string{"alice"}}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "numeric RoomId to DismissRoomByStrRoomId", call: sdkCall{action: "DismissRoomByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "string SdkAppId", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": "1400000000", "RoomId": 1234}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "negative RoomId", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": -1}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "fractional RoomId", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 12.5}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "UserIds as string", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": "alice"}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "UserIds of numbers", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": []int{1}}}, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "unknown field", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "Reason": "x"}}, wantCode: "UnknownParameter"},
		{name: "field names are case-sensitive", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "roomid": 1234}}, wantCode: "UnknownParameter"},

		// Missing fields, in order SdkAppId, RoomId, UserIds.
		{name: "missing SdkAppId", call: sdkCall{action: "RemoveUser", params: m{"RoomId": 1234, "UserIds": []string{"alice"}}}, wantCode: "MissingParameter.SdkAppId"},
		{name: "missing RoomId", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "UserIds": []string{"alice"}}}, wantCode: "MissingParameter.RoomId"},
		{name: "missing UserIds", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234}}, wantCode: "MissingParameter.UserIds"},
		{name: "null UserIds", call: sdkCall{action: "RemoveUserByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": "meeting-1", "UserIds": nil}}, wantCode: "MissingParameter.UserIds"},
		{name: "missing all", call: sdkCall{action: "RemoveUser", params: m{}}, wantCode: "MissingParameter.SdkAppId"},
		{name: "DismissRoom missing RoomId", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000}}, wantCode: "MissingParameter.RoomId"},
		{name: "DismissRoomByStrRoomId missing SdkAppId", call: sdkCall{action: "DismissRoomByStrRoomId", params: m{"RoomId": "meeting-1"}}, wantCode: "MissingParameter.SdkAppId"},
		{name: "missing before not owned", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000001, "RoomId": 1234}}, wantCode: "MissingParameter.UserIds"},

		// Values.
		{name: "SdkAppId zero", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 0, "RoomId": 1234}}, wantCode: "InvalidParameter.SdkAppId"},
		{name: "SdkAppId beyond uint32", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": uint64(1) << 32, "RoomId": 1234}}, wantCode: "InvalidParameter.SdkAppId"},
		{name: "RoomId zero", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 0}}, wantCode: "InvalidParameterValue.RoomId"},
		{name: "RoomId 4294967295", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": uint64(4294967295), "UserIds": []string{"a"}}}, wantCode: "InvalidParameterValue.RoomId"},
		{name: "RoomId 4294967294 is valid", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": uint64(4294967294)}}, wantCode: "FailedOperation.RoomNotExist"},
		{name: "string RoomId empty", call: sdkCall{action: "DismissRoomByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": ""}}, wantCode: "InvalidParameter.RoomId"},
		{name: "string RoomId too long", call: sdkCall{action: "DismissRoomByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": strings.Repeat("a", 65)}}, wantCode: "InvalidParameter.RoomId"},
		{name: "string RoomId bad character", call: sdkCall{action: "RemoveUserByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": "a/b", "UserIds": []string{"a"}}}, wantCode: "InvalidParameter.RoomId"},
		{name: "eleven UserIds", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": ids(11)}}, wantCode: "InvalidParameter.UserIds"},
		{name: "empty UserIds", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": []string{}}}, wantCode: "InvalidParameter.UserIds"},
		{name: "invalid user id", call: sdkCall{action: "RemoveUserByStrRoomId", params: m{"SdkAppId": 1400000000, "RoomId": "meeting-1", "UserIds": []string{"alice", "bad id"}}}, wantCode: "InvalidParameter.UserIds"},
		{name: "empty user id", call: sdkCall{action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "UserIds": []string{""}}}, wantCode: "InvalidParameter.UserIds"},
		{name: "bad value before not owned", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000001, "RoomId": 0}}, wantCode: "InvalidParameterValue.RoomId"},

		// Ownership.
		{name: "SdkAppId not owned", call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000001, "RoomId": 1234}}, wantCode: "UnauthorizedOperation.SdkAppId"},
		{name: "SdkAppId not owned, string room", call: sdkCall{action: "RemoveUserByStrRoomId", params: m{"SdkAppId": 1400000001, "RoomId": "meeting-1", "UserIds": []string{"a"}}}, wantCode: "UnauthorizedOperation.SdkAppId"},
		{name: "SdkAppId not owned before room lookup", call: sdkCall{cred: otherCred, action: "RemoveUser", params: m{"SdkAppId": 1400000000, "RoomId": 999, "UserIds": []string{"a"}}}, wantCode: "UnauthorizedOperation.SdkAppId"},

		// Transport.
		{name: "oversized body", env: envOptions{maxBody: 64 << 10}, call: sdkCall{action: "DismissRoom", params: m{"SdkAppId": 1400000000, "RoomId": 1234, "Pad": strings.Repeat("x", 100<<10)}}, wantCode: "RequestSizeLimitExceeded"},
		{name: "GET", call: sdkCall{method: "GET", action: "DismissRoom"}, wantCode: "UnsupportedProtocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, tt.env)
			e.rooms.err = tt.roomErr
			code, resp := e.sdk(tt.call)
			if code != tt.wantCode {
				t.Fatalf("code = %q, want %q", code, tt.wantCode)
			}
			if tt.wantCode == "" && len(resp) != 1 {
				t.Errorf("response has fields besides RequestId: %v", resp)
			}
			if got := e.rooms.Calls(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("room calls = %q, want %q", got, tt.wantCalls)
			}
			obs := e.observations()
			if len(obs) != 1 || obs[0].code != tt.wantCode {
				t.Errorf("observed %v, want one with code %q", obs, tt.wantCode)
			}
		})
	}
}

// TestRawRequests covers what the SDK cannot send: bodies that are not
// JSON, missing or garbage headers, other methods and paths.
func TestRawRequests(t *testing.T) {
	base := http.Header{"Content-Type": {"application/json"}, "X-Tc-Action": {"DismissRoom"}, "X-Tc-Version": {Version}}
	with := func(h http.Header, kv ...string) http.Header {
		out := h.Clone()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				out.Del(kv[i])
			} else {
				out.Set(kv[i], kv[i+1])
			}
		}
		return out
	}
	valid := `{"SdkAppId":1400000000,"RoomId":1234}`
	tests := []struct {
		name     string
		method   string
		path     string
		header   http.Header
		body     string
		sign     bool
		wantCode string
	}{
		{name: "valid", header: base, body: valid, sign: true},
		{name: "charset in content type", header: with(base, "Content-Type", "application/json; charset=utf-8"), body: valid, sign: true},
		{name: "malformed JSON", header: base, body: `{"SdkAppId":1400000000,`, sign: true, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "trailing garbage", header: base, body: valid + `x`, sign: true, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "empty body", header: base, body: ``, sign: true, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "null body", header: base, body: `null`, sign: true, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "array body", header: base, body: `[1,2]`, sign: true, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "null field is missing", header: base, body: `{"SdkAppId":1400000000,"RoomId":null}`, sign: true, wantCode: "MissingParameter.RoomId"},
		{name: "huge number", header: base, body: `{"SdkAppId":1400000000,"RoomId":123456789012345678901234567890}`, sign: true, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "exponent number", header: base, body: `{"SdkAppId":1400000000,"RoomId":1.234e3}`, sign: true, wantCode: "InvalidParameter.BodyParamsError"},
		{name: "no authorization", header: base, body: valid, wantCode: "AuthFailure.InvalidAuthorization"},
		{name: "garbage authorization", header: with(base, "Authorization", "Basic Zm9vOmJhcg=="), body: valid, wantCode: "AuthFailure.InvalidAuthorization"},
		{name: "authorization without host", header: with(base, "Authorization", "TC3-HMAC-SHA256 Credential=AKIDOWNER/2023-11-14/trtc/tc3_request, SignedHeaders=content-type, Signature="+strings.Repeat("0", 64), "X-TC-Timestamp", "1700000000"), body: valid, wantCode: "AuthFailure.InvalidAuthorization"},
		{name: "garbage authorization with unknown key", header: with(base, "Authorization", "TC3-HMAC-SHA256 Credential=AKIDNOBODY/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature="+strings.Repeat("0", 64), "X-TC-Timestamp", "1700000000"), body: valid, wantCode: "AuthFailure.SecretIdNotFound"},
		{name: "old timestamp", header: with(base, "Authorization", "TC3-HMAC-SHA256 Credential=AKIDOWNER/2023-11-14/trtc/tc3_request, SignedHeaders=content-type;host, Signature="+strings.Repeat("0", 64), "X-TC-Timestamp", "1700000000"), body: valid, wantCode: "AuthFailure.SignatureExpire"},
		{name: "no version", header: with(base, "X-TC-Version", ""), body: valid, sign: true, wantCode: "NoSuchVersion"},
		{name: "no action", header: with(base, "X-TC-Action", ""), body: valid, sign: true, wantCode: "InvalidAction"},
		{name: "PUT", method: http.MethodPut, header: base, body: valid, sign: true, wantCode: "UnsupportedProtocol"},
		{name: "DELETE garbage", method: http.MethodDelete, body: "\x00\xff", wantCode: "UnsupportedProtocol"},
		{name: "GET garbage", method: http.MethodGet, path: "/?Action=DismissRoom&x=%zz", wantCode: "UnsupportedProtocol"},
		{name: "other path", path: "/v2/", header: base, body: valid, sign: true, wantCode: "InvalidRequest"},
		{name: "form content type", header: with(base, "Content-Type", "application/x-www-form-urlencoded"), body: "SdkAppId=1", sign: true, wantCode: "InvalidRequest"},
		{name: "octet-stream", header: with(base, "Content-Type", "application/octet-stream"), body: valid, sign: true, wantCode: "InvalidRequest"},
		{name: "no content type", body: valid, wantCode: "InvalidRequest"},
		{name: "binary garbage", header: base, body: "\x00\x01\x02\xff", wantCode: "AuthFailure.InvalidAuthorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, envOptions{})
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			path := tt.path
			if path == "" {
				path = "/"
			}
			got := e.raw(method, path, tt.header, []byte(tt.body), tt.sign)
			if got.Code != tt.wantCode {
				t.Fatalf("code = %q (%s), want %q", got.Code, got.Message, tt.wantCode)
			}
		})
	}
}

// TestOversizedChunkedBody sends a body without Content-Length.
func TestOversizedChunkedBody(t *testing.T) {
	e := newTestEnv(t, envOptions{maxBody: 1024})
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(`{"Pad":"` + strings.Repeat("x", 4096) + `"}`))
		pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if got := decodeEnvelope(t, res); got.Code != "RequestSizeLimitExceeded" {
		t.Fatalf("code = %q", got.Code)
	}
}

// TestCustomActions checks the registry: responses merge with RequestId,
// Authorize is enforced, panics become InternalError.
func TestCustomActions(t *testing.T) {
	type describeParams struct {
		SDKAppID *uint64 `json:"SdkAppId"`
	}
	tests := []struct {
		name       string
		fn         ActionFunc
		wantCode   string
		wantFields []string
	}{
		{name: "response fields", fn: func(_ context.Context, c *Call) (any, error) {
			if err := c.Authorize(appOwned); err != nil {
				return nil, err
			}
			return struct {
				Total int
				Users []string
			}{2, []string{"a", "b"}}, nil
		}, wantFields: []string{"RequestId", "Total", "Users"}},
		{name: "typed", fn: Typed(func(_ context.Context, c *Call, p *describeParams) (any, error) {
			if err := c.Authorize(appOwned); err != nil {
				return nil, err
			}
			return map[string]uint64{"Echo": *p.SDKAppID}, nil
		}), wantFields: []string{"Echo", "RequestId"}},
		{name: "empty struct", fn: func(_ context.Context, c *Call) (any, error) {
			return struct{}{}, c.Authorize(appOwned)
		}, wantFields: []string{"RequestId"}},
		{name: "not an object", fn: func(_ context.Context, c *Call) (any, error) {
			return []int{1}, c.Authorize(appOwned)
		}, wantCode: "InternalError"},
		{name: "forgot to authorize", fn: func(context.Context, *Call) (any, error) {
			return nil, nil
		}, wantCode: "InternalError"},
		{name: "authorize for another app", fn: func(_ context.Context, c *Call) (any, error) {
			return nil, c.Authorize(appOther)
		}, wantCode: "UnauthorizedOperation.SdkAppId"},
		{name: "panics", fn: func(context.Context, *Call) (any, error) {
			var m map[string]int
			m["x"] = 1
			return nil, nil
		}, wantCode: "InternalError"},
		{name: "api error", fn: func(context.Context, *Call) (any, error) {
			return nil, fmt.Errorf("wrapped: %w", Errorf("FailedOperation.TaskExist", "busy"))
		}, wantCode: "FailedOperation.TaskExist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, envOptions{})
			e.handler.Register("Custom", tt.fn)
			got := e.raw(http.MethodPost, "/", http.Header{"Content-Type": {"application/json"}, "X-Tc-Action": {"Custom"}, "X-Tc-Version": {Version}}, []byte(`{"SdkAppId":1}`), true)
			if got.Code != tt.wantCode {
				t.Fatalf("code = %q (%s), want %q", got.Code, got.Message, tt.wantCode)
			}
			if tt.wantCode == "InternalError" && got.Message != msgInternalError {
				t.Errorf("internal message leaks detail: %q", got.Message)
			}
			if tt.wantFields != nil {
				var names []string
				for k := range got.Fields {
					names = append(names, k)
				}
				slices.Sort(names)
				if !slices.Equal(names, tt.wantFields) {
					t.Errorf("fields = %v, want %v", names, tt.wantFields)
				}
			}
		})
	}
}

func TestRoomPanicIsInternalError(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	e.rooms.panic = true
	if code, _ := e.sdk(sdkCall{action: "DismissRoom", params: map[string]any{"SdkAppId": 1400000000, "RoomId": 1234}}); code != "InternalError" {
		t.Fatalf("code = %q", code)
	}
}

func TestRegisterPanics(t *testing.T) {
	h := NewHandler(Config{Rooms: newFakeRooms()})
	for name, fn := range map[string]func(){
		"duplicate": func() { h.Register("DismissRoom", func(context.Context, *Call) (any, error) { return nil, nil }) },
		"empty":     func() { h.Register("", func(context.Context, *Call) (any, error) { return nil, nil }) },
		"nil":       func() { h.Register("X", nil) },
		"not struct": func() {
			Typed(func(context.Context, *Call, *int) (any, error) { return nil, nil })
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			fn()
		})
	}
}

// TestObserveLabels checks that unregistered actions do not become labels.
func TestObserveLabels(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	e.sdk(sdkCall{action: "DismissRoom", params: map[string]any{"SdkAppId": 1400000000, "RoomId": 1234}})
	e.sdk(sdkCall{action: "Random" + strings.Repeat("x", 100)})
	e.sdk(sdkCall{cred: tc3.Credential{SecretID: "AKIDNOBODY", SecretKey: "x"}, action: "RemoveUser"})
	want := []observation{{"DismissRoom", ""}, {"", "InvalidAction"}, {"RemoveUser", "AuthFailure.SecretIdNotFound"}}
	if got := e.observations(); !slices.Equal(got, want) {
		t.Fatalf("observed %v, want %v", got, want)
	}
}

func TestNilCredentialsRejectEveryone(t *testing.T) {
	h := NewHandler(Config{Rooms: newFakeRooms()})
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := []byte(`{"SdkAppId":1400000000,"RoomId":1234}`)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
	req.Header.Set("X-TC-Action", "DismissRoom")
	req.Header.Set("X-TC-Version", Version)
	tc3.Sign(req, body, ownerCred, tc3.Service, time.Now())
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if got := decodeEnvelope(t, res); got.Code != "AuthFailure.SecretIdNotFound" {
		t.Fatalf("code = %q", got.Code)
	}
}

func TestEnvelope(t *testing.T) {
	tests := []struct {
		name string
		resp any
		err  *Error
		want string
	}{
		{name: "nil", want: `{"Response":{"RequestId":"id"}}`},
		{name: "empty map", resp: map[string]int{}, want: `{"Response":{"RequestId":"id"}}`},
		{name: "fields keep order", resp: struct{ B, A int }{1, 2}, want: `{"Response":{"B":1,"A":2,"RequestId":"id"}}`},
		{name: "error", err: &Error{"InvalidAction", "no"}, want: `{"Response":{"Error":{"Code":"InvalidAction","Message":"no"},"RequestId":"id"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := envelope("id", tt.resp, tt.err)
			if err != nil || string(b) != tt.want {
				t.Fatalf("got %s, %v\nwant %s", b, err, tt.want)
			}
		})
	}
	if _, err := envelope("id", "text", nil); err == nil {
		t.Error("a string response was accepted")
	}
}

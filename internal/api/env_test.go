package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/tc3"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Test keys: owner manages appOwned, other manages appOther.
const (
	appOwned trtc.SDKAppID = 1400000000
	appOther trtc.SDKAppID = 1400000001
)

var (
	ownerCred = tc3.Credential{SecretID: "AKIDOWNER", SecretKey: "SECRETOWNER"}
	otherCred = tc3.Credential{SecretID: "AKIDOTHER", SecretKey: "SECRETOTHER"}
)

// fakeCreds is a static key table.
type fakeCreds map[string]struct {
	key  string
	apps []trtc.SDKAppID
}

func (c fakeCreds) Lookup(id string) (string, func(trtc.SDKAppID) bool, bool) {
	e, ok := c[id]
	if !ok {
		return "", nil, false
	}
	return e.key, func(a trtc.SDKAppID) bool {
		for _, x := range e.apps {
			if x == a {
				return true
			}
		}
		return false
	}, true
}

var testCreds = fakeCreds{
	ownerCred.SecretID: {ownerCred.SecretKey, []trtc.SDKAppID{appOwned}},
	otherCred.SecretID: {otherCred.SecretKey, []trtc.SDKAppID{appOther}},
}

// fakeRooms is a RoomAdmin over a fixed set of rooms that records calls.
type fakeRooms struct {
	mu    sync.Mutex
	rooms map[trtc.RoomKey]bool
	calls []string
	err   error // returned by every call when set
	panic bool
}

func newFakeRooms() *fakeRooms {
	return &fakeRooms{rooms: map[trtc.RoomKey]bool{
		{App: appOwned, Num: 1234}:        true,
		{App: appOwned, Str: "meeting-1"}: true,
		{App: appOther, Num: 1234}:        true,
	}}
}

func (f *fakeRooms) op(call string, key trtc.RoomKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panic {
		panic("fake room service exploded")
	}
	if f.err != nil {
		return f.err
	}
	if !f.rooms[key] {
		return room.ErrRoomNotFound
	}
	f.calls = append(f.calls, call)
	return nil
}

func (f *fakeRooms) RemoveUsers(_ context.Context, key trtc.RoomKey, users []trtc.UserID) error {
	return f.op(fmt.Sprintf("RemoveUsers %s %v", key, users), key)
}

func (f *fakeRooms) DismissRoom(_ context.Context, key trtc.RoomKey) error {
	return f.op("DismissRoom "+key.String(), key)
}

func (f *fakeRooms) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type observation struct {
	action, code string
}

// testEnv is a handler behind a real HTTP server on 127.0.0.1:0.
type testEnv struct {
	t       *testing.T
	rooms   *fakeRooms
	handler *Handler
	srv     *httptest.Server

	mu  sync.Mutex
	obs []observation
}

type envOptions struct {
	clockSkew time.Duration // the server's clock runs this far ahead
	maxBody   int64
}

func newTestEnv(t *testing.T, opt envOptions) *testEnv {
	t.Helper()
	e := &testEnv{t: t, rooms: newFakeRooms()}
	e.handler = NewHandler(Config{
		Rooms:        e.rooms,
		Credentials:  testCreds,
		Now:          func() time.Time { return time.Now().Add(opt.clockSkew) },
		MaxBodyBytes: opt.maxBody,
		Observe: func(action, code string, _ time.Duration) {
			e.mu.Lock()
			e.obs = append(e.obs, observation{action, code})
			e.mu.Unlock()
		},
	})
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *testEnv) observations() []observation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]observation(nil), e.obs...)
}

// sdkCall is one request sent with tencentcloud-sdk-go's common client.
type sdkCall struct {
	cred     tc3.Credential
	version  string // default Version
	action   string
	params   any // map or JSON string
	method   string
	unsigned bool
}

// sdk sends c and returns the error code ("" on success) and, on success,
// the Response object.
func (e *testEnv) sdk(c sdkCall) (code string, resp map[string]any) {
	e.t.Helper()
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = strings.TrimPrefix(e.srv.URL, "http://")
	prof.HttpProfile.Scheme = "http"
	prof.HttpProfile.ReqTimeout = 10
	prof.Language = "en-US"
	if c.method != "" {
		prof.HttpProfile.ReqMethod = c.method
	}
	prof.UnsignedPayload = c.unsigned
	if c.cred == (tc3.Credential{}) {
		c.cred = ownerCred
	}
	if c.version == "" {
		c.version = Version
	}
	client := common.NewCommonClient(common.NewCredential(c.cred.SecretID, c.cred.SecretKey), "ap-guangzhou", prof)
	req := tchttp.NewCommonRequest("trtc", c.version, c.action)
	if c.params != nil {
		if err := req.SetActionParameters(c.params); err != nil {
			e.t.Fatalf("SetActionParameters: %v", err)
		}
	}
	out := tchttp.NewCommonResponse()
	err := client.Send(req, out)
	var sdkErr *tcerr.TencentCloudSDKError
	switch {
	case err == nil:
	case errors.As(err, &sdkErr):
		if strings.HasPrefix(sdkErr.Code, "ClientError") {
			e.t.Fatalf("SDK client error: %v", err)
		}
		if !uuidRE.MatchString(sdkErr.RequestId) {
			e.t.Errorf("RequestId %q is not a UUID", sdkErr.RequestId)
		}
		return sdkErr.Code, nil
	default:
		e.t.Fatalf("SDK: %v", err)
	}
	var env struct {
		Response map[string]any
	}
	if err := json.Unmarshal(out.GetBody(), &env); err != nil {
		e.t.Fatalf("decode %s: %v", out.GetBody(), err)
	}
	return "", env.Response
}

// raw sends a request built by hand, signed with tc3.Sign unless sign is
// false, and returns the decoded envelope after checking its shape.
func (e *testEnv) raw(method, path string, header http.Header, body []byte, sign bool) envelopeResult {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if sign {
		tc3.Sign(req, body, ownerCred, tc3.Service, time.Now())
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	return decodeEnvelope(e.t, res)
}

type envelopeResult struct {
	Code, Message, RequestID string
	Fields                   map[string]json.RawMessage // the Response object
}

// decodeEnvelope checks the invariants of every answer: HTTP 200, JSON, a
// Response object with a UUID RequestId and, on error, exactly Code and
// Message in Error.
func decodeEnvelope(t *testing.T, res *http.Response) envelopeResult {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var env map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil || len(env) != 1 || env["Response"] == nil {
		t.Fatalf("not an envelope: %s", b)
	}
	r := envelopeResult{Fields: env["Response"]}
	if err := json.Unmarshal(r.Fields["RequestId"], &r.RequestID); err != nil || !uuidRE.MatchString(r.RequestID) {
		t.Errorf("RequestId %s is not a UUID", r.Fields["RequestId"])
	}
	if raw, ok := r.Fields["Error"]; ok {
		var e map[string]string
		if err := json.Unmarshal(raw, &e); err != nil || len(e) != 2 || e["Code"] == "" || e["Message"] == "" {
			t.Fatalf("Error is not {Code, Message}: %s", raw)
		}
		r.Code, r.Message = e["Code"], e["Message"]
		if len(r.Fields) != 2 {
			t.Errorf("error envelope has extra fields: %s", b)
		}
	}
	return r
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

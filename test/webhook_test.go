package test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// Webhooks end to end: a receiver checks the Sign header and the payload of
// every request against trtc-reference §8; the server refuses to lose an
// event to a refusing receiver or to SIGKILL.

const hookKey = "rtcengineHookKey01"

// infoFields lists the EventInfo fields of each event type (§8.2).
var infoFields = map[int][]string{
	101: {"RoomId", "EventTs", "EventMsTs", "UserId"},
	102: {"RoomId", "EventTs", "EventMsTs"},
	103: {"RoomId", "EventTs", "EventMsTs", "UserId", "Role", "TerminalType", "UserType", "Reason"},
	104: {"RoomId", "EventTs", "EventMsTs", "UserId", "Role", "Reason"},
	105: {"RoomId", "EventTs", "EventMsTs", "UserId", "Role"},
	201: {"RoomId", "EventTs", "EventMsTs", "UserId"},
	202: {"RoomId", "EventTs", "EventMsTs", "UserId", "Reason"},
	203: {"RoomId", "EventTs", "EventMsTs", "UserId"},
	204: {"RoomId", "EventTs", "EventMsTs", "UserId", "Reason"},
	205: {"RoomId", "EventTs", "EventMsTs", "UserId"},
	206: {"RoomId", "EventTs", "EventMsTs", "UserId", "Reason"},
}

// hook is one event a receiver accepted.
type hook struct {
	ID   string
	Type int
	Info map[string]any // numbers are json.Number
}

// String is the event as the tests compare it: type, room (a number bare, a
// string quoted), then the user, role, terminal, user type and reason that
// the type carries.
func (h hook) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", h.Type)
	switch r := h.Info["RoomId"].(type) {
	case json.Number:
		fmt.Fprintf(&b, " %s", r)
	case string:
		fmt.Fprintf(&b, " %q", r)
	}
	for _, k := range []string{"UserId", "Role", "TerminalType", "UserType", "Reason"} {
		if v, ok := h.Info[k]; ok {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
	}
	return b.String()
}

// hookReceiver is an app's webhook endpoint. It verifies every request with
// its own HMAC (not the server's code) and records the events it accepts,
// each id once; answer picks the reply to the n-th request (from 1): a
// status, or 0 to hang until the server gives up on the attempt.
type hookReceiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	answer   func(n int) int
	requests int
	events   []hook
	seen     map[string]bool
	changed  chan struct{}
}

// newHookReceiver starts a receiver; call it before the server so that the
// server's shutdown (which flushes webhooks) runs before the receiver stops.
func newHookReceiver(t *testing.T, answer func(n int) int) *hookReceiver {
	r := &hookReceiver{t: t, answer: answer, seen: map[string]bool{}, changed: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) URL() string { return r.srv.URL + "/trtc/callback" }

func (r *hookReceiver) setAnswer(f func(int) int) {
	r.mu.Lock()
	r.answer = f
	r.mu.Unlock()
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	h, err := checkHook(req, body)
	if err != nil {
		r.t.Errorf("webhook request: %v\n%s", err, body)
	}
	r.mu.Lock()
	r.requests++
	status := 200
	if r.answer != nil {
		status = r.answer(r.requests)
	}
	if status == 200 && err == nil && !r.seen[h.ID] {
		r.seen[h.ID] = true
		r.events = append(r.events, h)
	}
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
	if status == 0 {
		<-req.Context().Done()
		return
	}
	w.WriteHeader(status)
	io.WriteString(w, `{"code":0}`)
}

// checkHook verifies headers, signature and payload shape (§8.1, §8.2).
func checkHook(req *http.Request, body []byte) (hook, error) {
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		return hook{}, fmt.Errorf("%s with Content-Type %q", req.Method, req.Header.Get("Content-Type"))
	}
	if got := req.Header.Get("SdkAppId"); got != strconv.Itoa(appID) {
		return hook{}, fmt.Errorf("SdkAppId %q", got)
	}
	m := hmac.New(sha256.New, []byte(hookKey))
	m.Write(body)
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); req.Header.Get("Sign") != want {
		return hook{}, fmt.Errorf("Sign %q, want %q", req.Header.Get("Sign"), want)
	}
	var msg map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&msg); err != nil {
		return hook{}, err
	}
	if len(msg) != 5 {
		return hook{}, fmt.Errorf("%d top-level fields, want EventGroupId, EventType, CallbackTs, EventInfo, EventId", len(msg))
	}
	num := func(v any) int64 {
		n, _ := v.(json.Number)
		i, _ := n.Int64()
		return i
	}
	h := hook{Type: int(num(msg["EventType"]))}
	h.ID, _ = msg["EventId"].(string)
	h.Info, _ = msg["EventInfo"].(map[string]any)
	fields, ok := infoFields[h.Type]
	switch {
	case !ok:
		return h, fmt.Errorf("EventType %d", h.Type)
	case num(msg["EventGroupId"]) != int64(h.Type/100):
		return h, fmt.Errorf("EventGroupId %v for type %d", msg["EventGroupId"], h.Type)
	case h.ID == "" || req.Header.Get("X-Rtcengine-Event-Id") != h.ID:
		return h, fmt.Errorf("EventId %q, header %q", h.ID, req.Header.Get("X-Rtcengine-Event-Id"))
	case time.Since(time.UnixMilli(num(msg["CallbackTs"]))).Abs() > time.Minute:
		return h, fmt.Errorf("CallbackTs %v is not now", msg["CallbackTs"])
	case len(h.Info) != len(fields):
		return h, fmt.Errorf("EventInfo has %d fields, want %v", len(h.Info), fields)
	}
	for _, f := range fields {
		v, ok := h.Info[f]
		if !ok {
			return h, fmt.Errorf("EventInfo lacks %s", f)
		}
		_, isNum := v.(json.Number)
		_, isStr := v.(string)
		if f == "Payload" { // recording events (recording_test.go)
			if _, isObj := v.(map[string]any); !isObj {
				return h, fmt.Errorf("EventInfo.Payload is not an object: %T", v)
			}
			continue
		}
		isText := f == "UserId" || f == "TaskId"
		if (isText && !isStr) || (!isText && f != "RoomId" && !isNum) || (f == "RoomId" && !isNum && !isStr) {
			return h, fmt.Errorf("EventInfo.%s has the wrong type: %T", f, v)
		}
	}
	if ms := num(h.Info["EventMsTs"]); num(h.Info["EventTs"]) != ms/1000 || time.Since(time.UnixMilli(ms)).Abs() > time.Minute {
		return h, fmt.Errorf("EventTs %v and EventMsTs %v disagree or are not now", h.Info["EventTs"], h.Info["EventMsTs"])
	}
	return h, nil
}

// got returns the accepted events, first delivery of each id, in order.
func (r *hookReceiver) got() []hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *hookReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// waitFor waits until ok holds for the events accepted so far.
func (r *hookReceiver) waitFor(what string, ok func([]hook) bool) []hook {
	r.t.Helper()
	deadline := time.After(waitTimeout)
	for {
		if hs := r.got(); ok(hs) {
			return hs
		}
		select {
		case <-r.changed:
		case <-deadline:
			r.t.Fatalf("webhooks: no %s within %v; got %v", what, waitTimeout, r.got())
		}
	}
}

// waitRequests waits until the receiver has answered n requests.
func (r *hookReceiver) waitRequests(n int) {
	r.t.Helper()
	deadline := time.After(waitTimeout)
	for r.count() < n {
		select {
		case <-r.changed:
		case <-deadline:
			r.t.Fatalf("webhooks: %d requests within %v, want %d", r.count(), waitTimeout, n)
		}
	}
}

// has reports whether an event with this String arrived.
func has(hs []hook, s string) bool {
	return slices.ContainsFunc(hs, func(h hook) bool { return h.String() == s })
}

func strs(hs []hook) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func withWebhook(url string, tune func(*config.Webhook)) func(*config.Config) {
	return func(c *config.Config) {
		c.Apps[0].WebhookURL, c.Apps[0].WebhookKey = url, hookKey
		if tune != nil {
			tune(&c.Webhook)
		}
	}
}

// TestWebhookEveryEvent drives every event type through real clients and
// REST calls and checks each payload, in order.
func TestWebhookEveryEvent(t *testing.T) {
	rcv := newHookReceiver(t, nil)
	e := NewEnv(t, withWebhook(rcv.URL(), nil))
	alice := e.Join("alice", 5100, rtc.SceneVideoCall, 0)
	bob := e.Join("bob", 5100, rtc.SceneVideoCall, 0)

	alice.EnableCustomVideoCapture(rtc.StreamBig, true)
	bob.Wait("OnUserVideoAvailable", "alice", true)
	alice.EnableCustomVideoCapture(rtc.StreamBig, false)
	bob.Wait("OnUserVideoAvailable", "alice", false)
	alice.EnableCustomAudioCapture(true)
	bob.Wait("OnUserAudioAvailable", "alice", true)
	alice.EnableCustomAudioCapture(false)
	bob.Wait("OnUserAudioAvailable", "alice", false)
	alice.EnableCustomVideoCapture(rtc.StreamSub, true)
	bob.Wait("OnUserSubStreamAvailable", "alice", true)
	alice.EnableCustomVideoCapture(rtc.StreamSub, false)
	bob.Wait("OnUserSubStreamAvailable", "alice", false)

	// A live room with a string id: RoomId is a JSON string.
	carol := e.NewClient("carol", e.Srv.SignalURL())
	carol.EnterRoom(rtc.Params{SDKAppID: appID, UserID: "carol", UserSig: e.Sig("carol"), StrRoomID: "live 1", Role: rtc.RoleAudience}, rtc.SceneLive)
	if r := carol.WaitEnter(); r <= 0 {
		t.Fatalf("carol: OnEnterRoom(%d)", r)
	}
	carol.SwitchRole(rtc.RoleAnchor)
	carol.Wait("OnSwitchRole", 0)
	carol.ExitRoom()
	carol.Wait("OnExitRoom", 0)

	if code := e.call("RemoveUser", map[string]any{"SdkAppId": appID, "RoomId": 5100, "UserIds": []string{"bob"}}); code != "" {
		t.Fatalf("RemoveUser: %s", code)
	}
	if code := e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 5100}); code != "" {
		t.Fatalf("DismissRoom: %s", code)
	}
	got := rcv.waitFor("102 of room 5100", func(hs []hook) bool { return has(hs, "102 5100") })
	enter := func(room, user string, role int) string {
		return fmt.Sprintf("103 %s UserId=%s Role=%d TerminalType=%d UserType=3 Reason=1", room, user, role, terminalOf())
	}
	want := []string{
		"101 5100 UserId=alice",
		enter("5100", "alice", 20),
		enter("5100", "bob", 20),
		"201 5100 UserId=alice",
		"202 5100 UserId=alice Reason=0",
		"203 5100 UserId=alice",
		"204 5100 UserId=alice Reason=0",
		"205 5100 UserId=alice",
		"206 5100 UserId=alice Reason=0",
		`101 "live 1" UserId=carol`,
		enter(`"live 1"`, "carol", 21),
		`105 "live 1" UserId=carol Role=20`,
		`104 "live 1" UserId=carol Role=20 Reason=1`,
		`102 "live 1"`,
		"104 5100 UserId=bob Role=20 Reason=3",
		"104 5100 UserId=alice Role=20 Reason=3",
		"102 5100",
	}
	if !slices.Equal(strs(got), want) {
		t.Fatalf("webhook events\n got %q\nwant %q", strs(got), want)
	}
	if m := get(t, e.Srv.URL()+"/metrics"); !strings.Contains(m, "rtcengine_webhook_events_total 17") || !strings.Contains(m, "rtcengine_webhook_given_up_total 0") {
		t.Errorf("metrics lack the webhook counters:\n%s", m)
	}
}

// TestWebhookRefusingReceiver: a receiver that answers 500, then hangs past
// the timeout (a slow receiver), then accepts, gets every event in order.
func TestWebhookRefusingReceiver(t *testing.T) {
	refusals := []int{500, 503, 0, 500, 0}
	rcv := newHookReceiver(t, func(n int) int {
		if n <= len(refusals) {
			return refusals[n-1]
		}
		return 200
	})
	e := NewEnv(t, withWebhook(rcv.URL(), func(w *config.Webhook) {
		w.Timeout, w.RetryInterval = 300*time.Millisecond, 20*time.Millisecond
	}))
	var want []string
	for i, user := range []string{"u1", "u2", "u3"} {
		e.Join(user, 5200, rtc.SceneVideoCall, 0)
		if i == 0 {
			want = append(want, "101 5200 UserId=u1")
		}
		want = append(want, fmt.Sprintf("103 5200 UserId=%s Role=20 TerminalType=%d UserType=3 Reason=1", user, terminalOf()))
	}
	if code := e.call("DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 5200}); code != "" {
		t.Fatalf("DismissRoom: %s", code)
	}
	got := rcv.waitFor("102 of room 5200", func(hs []hook) bool { return has(hs, "102 5200") })
	if rcv.count() < len(refusals)+len(got) {
		t.Fatalf("%d requests for %d events and %d refusals", rcv.count(), len(got), len(refusals))
	}
	if !slices.Equal(strs(got[:len(want)]), want) || len(got) != len(want)+4 {
		t.Fatalf("webhook events\n got %q\nwant %q then three 104s and a 102", strs(got), want)
	}
}

// terminalOf is the TerminalType the Go SDK declares on this system.
func terminalOf() int {
	if t := map[string]int{"windows": 1, "android": 2, "ios": 3, "linux": 4}[runtime.GOOS]; t != 0 {
		return t
	}
	return 100
}

// buildSetting returns a setting of this test binary's build (-race, -tags,
// GOOS…).
func buildSetting(key string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// buildServer builds cmd/rtcengine with this test binary's -race and -tags,
// so that the build cache has nearly everything already. The binary is
// built once per test binary and shared (TestMain removes it).
func buildServer(t *testing.T) string {
	t.Helper()
	built.once.Do(func() { built.path, built.err = buildServerOnce() })
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// built is the binary buildServer made.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func buildServerOnce() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	if built.dir, err = os.MkdirTemp("", "rtcengine-test-bin"); err != nil {
		return "", err
	}
	bin := filepath.Join(built.dir, "rtcengine")
	args := []string{"build", "-o", bin}
	if buildSetting("-race") == "true" {
		args = append(args, "-race")
	}
	if tags := buildSetting("-tags"); tags != "" {
		args = append(args, "-tags", tags)
	}
	out, err := exec.Command(goBin, append(args, "github.com/rtcengine/rtcengine/cmd/rtcengine")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// child is a running `rtcengine serve`.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string // host:port of HTTP
	stderr *lineLog
	done   chan error
}

// childConfig writes dir/rtcengine.yaml for a server binary of the tests:
// loopback, any ports, data under dir/data, the test app with webhooks to
// hookURL when it is not empty, then the extra top-level YAML. It returns
// the file's path.
func childConfig(t *testing.T, dir, hookURL, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
udp_port: 0
data_dir: %s
apps:
  - sdkappid: %d
    sdk_secret: %s
    api_secret_id: %s
    api_secret_key: %s
`, filepath.Join(dir, "data"), appID, appSecret, secretID, secretKey)
	if hookURL != "" {
		cfg += fmt.Sprintf("    webhook_url: %s\n    webhook_key: %s\n", hookURL, hookKey)
	}
	cfgFile := filepath.Join(dir, "rtcengine.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgFile
}

// startChild runs the server binary on a config file and waits for its
// banner to learn the address.
func startChild(t *testing.T, bin, cfgFile string) *child {
	t.Helper()
	c := &child{t: t, cmd: exec.Command(bin, "serve", "--config", cfgFile), stderr: newLineLog(), done: make(chan error, 1)}
	c.cmd.Stderr = c.stderr
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "REST API:    POST http://"); ok {
				addr <- strings.Fields(rest)[0]
			}
		}
		c.done <- c.cmd.Wait()
	}()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
	select {
	case a := <-addr:
		c.addr = strings.TrimSuffix(a, "/")
	case err := <-c.done:
		t.Fatalf("server exited before serving: %v\n%s", err, c.stderr)
	case <-time.After(waitTimeout):
		t.Fatalf("no banner within %v\n%s", waitTimeout, c.stderr)
	}
	return c
}

// stop signals the child and waits for it to exit.
func (c *child) stop(sig syscall.Signal) error {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
	select {
	case err := <-c.done:
		return err
	case <-time.After(waitTimeout):
		c.t.Fatalf("no exit within %v of %v\n%s", waitTimeout, sig, c.stderr)
		return nil
	}
}

// joinAt enters user into a numeric room of the server at addr.
func joinAt(t *testing.T, addr, user string, room uint32) *Client {
	t.Helper()
	sig, err := usersig.GenUserSig(appID, appSecret, user, 3600)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder()
	cloud := rtc.NewCloud(rtc.WithServer("ws://"+addr+"/signal"), rtc.WithConnectTimeout(5*time.Second))
	cloud.SetListener(rec)
	t.Cleanup(cloud.Close)
	c := &Client{Cloud: cloud, rec: rec, t: t, ID: user}
	c.EnterRoom(rtc.Params{SDKAppID: appID, UserID: user, UserSig: sig, RoomID: room}, rtc.SceneVideoCall)
	if r := c.WaitEnter(); r <= 0 {
		t.Fatalf("%s: OnEnterRoom(%d)", user, r)
	}
	return c
}

// callAt sends a REST action to the server at addr; "" is success.
func callAt(t *testing.T, addr, action string, params map[string]any) string {
	t.Helper()
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = addr
	prof.HttpProfile.Scheme = "http"
	prof.HttpProfile.ReqTimeout = 10
	client := common.NewCommonClient(common.NewCredential(secretID, secretKey), "ap-guangzhou", prof)
	req := tchttp.NewCommonRequest("trtc", "2019-07-22", action)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	err := client.Send(req, tchttp.NewCommonResponse())
	var sdkErr *tcerr.TencentCloudSDKError
	if err == nil {
		return ""
	} else if errors.As(err, &sdkErr) && !strings.HasPrefix(sdkErr.Code, "ClientError") {
		return sdkErr.Code
	}
	t.Fatalf("%s: %v", action, err)
	return ""
}

// TestWebhookSurvivesSIGKILL runs the real binary. The receiver refuses
// everything while two users enter and DismissRoom removes them; the server
// is killed with SIGKILL as soon as DismissRoom answers. Started again on the
// same data directory, it delivers everything, the 104s and the 102
// included. Then SIGTERM: the server flushes the webhooks of the rooms it
// closes before it exits.
func TestWebhookSurvivesSIGKILL(t *testing.T) {
	rcv := newHookReceiver(t, func(int) int { return 500 })
	bin := buildServer(t)
	dir := t.TempDir()
	cfgFile := childConfig(t, dir, rcv.URL(), `webhook:
  timeout: 2s
  retry_interval: 20ms
  retry_window: 1h
`)

	first := startChild(t, bin, cfgFile)
	alice := joinAt(t, first.addr, "alice", 8800)
	bob := joinAt(t, first.addr, "bob", 8800)
	if code := callAt(t, first.addr, "DismissRoom", map[string]any{"SdkAppId": appID, "RoomId": 8800}); code != "" {
		t.Fatalf("DismissRoom: %s", code)
	}
	if err := first.stop(syscall.SIGKILL); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("first server: %v, want killed", err)
	}
	if n := len(rcv.got()); n != 0 {
		t.Fatalf("the receiver accepted %d events while refusing", n)
	}
	alice.Close()
	bob.Close()

	rcv.setAnswer(nil)
	second := startChild(t, bin, cfgFile)
	got := rcv.waitFor("102 of room 8800", func(hs []hook) bool { return has(hs, "102 8800") })
	exits := []string{"104 8800 UserId=alice Role=20 Reason=3", "104 8800 UserId=bob Role=20 Reason=3"}
	enters := []string{
		"101 8800 UserId=alice",
		fmt.Sprintf("103 8800 UserId=alice Role=20 TerminalType=%d UserType=3 Reason=1", terminalOf()),
		fmt.Sprintf("103 8800 UserId=bob Role=20 TerminalType=%d UserType=3 Reason=1", terminalOf()),
	}
	s := strs(got)
	if len(s) != 6 || !slices.Equal(s[:3], enters) || s[5] != "102 8800" || !slices.Contains(s[3:5], exits[0]) || !slices.Contains(s[3:5], exits[1]) {
		t.Fatalf("after the restart\n got %q\nwant %q, the two of %q, then 102", s, enters, exits)
	}

	carol := joinAt(t, second.addr, "carol", 8801)
	rcv.waitFor("carol's enter", func(hs []hook) bool { return len(hs) == 8 })
	if err := second.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, second.stderr)
	}
	carol.Close()
	s = strs(rcv.got())
	if want := []string{"104 8801 UserId=carol Role=20 Reason=3", "102 8801"}; len(s) != 10 || !slices.Equal(s[8:], want) {
		t.Fatalf("after SIGTERM\n got %q\nwant %q at the end", s, want)
	}
}

// TestWebhookAfterCrash: users are in a room when the server is killed
// (SIGKILL: it sends nothing), right after their enters' webhooks arrived
// (with webhooks on, the history commits a session before its webhook is
// appended, so it cannot miss one). Started again on the same data directory,
// it closes what the killed run left open in its history and sends what
// that run could not: a 104 (reason 2, timeout) for each user and the
// room's 102, after the events the killed run had stored — once: a
// clean stop and a third start send nothing more about that room.
func TestWebhookAfterCrash(t *testing.T) {
	rcv := newHookReceiver(t, nil)
	bin := buildServer(t)
	dir := t.TempDir()
	cfgFile := childConfig(t, dir, rcv.URL(), "")

	first := startChild(t, bin, cfgFile)
	alice := joinAt(t, first.addr, "alice", 8810)
	bob := joinAt(t, first.addr, "bob", 8810)
	rcv.waitFor("both enters", func(hs []hook) bool { return len(hs) == 3 })
	if err := first.stop(syscall.SIGKILL); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("first server: %v, want killed", err)
	}
	alice.Close()
	bob.Close()

	second := startChild(t, bin, cfgFile)
	got := strs(rcv.waitFor("102 of room 8810", func(hs []hook) bool { return has(hs, "102 8810") }))
	exits := []string{"104 8810 UserId=alice Role=20 Reason=2", "104 8810 UserId=bob Role=20 Reason=2"}
	if len(got) != 6 || got[0] != "101 8810 UserId=alice" || got[5] != "102 8810" ||
		!slices.Contains(got[3:5], exits[0]) || !slices.Contains(got[3:5], exits[1]) {
		t.Fatalf("after the restart\n got %q\nwant 101, two 103s, %q, then 102", got, exits)
	}
	if err := second.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, second.stderr)
	}
	third := startChild(t, bin, cfgFile)
	carol := joinAt(t, third.addr, "carol", 8811)
	enter := fmt.Sprintf("103 8811 UserId=carol Role=20 TerminalType=%d UserType=3 Reason=1", terminalOf())
	// Per-app order: anything the third start sent about room 8810 would
	// arrive before carol's enter.
	got = strs(rcv.waitFor("carol's enter", func(hs []hook) bool { return has(hs, enter) }))
	carol.Close()
	if len(got) != 8 || got[6] != "101 8811 UserId=carol" {
		t.Fatalf("after a clean stop and a restart\n got %q\nwant nothing more about room 8810, then carol's 101 and 103", got)
	}
}

// Package browser tests the Web SDK and the demo in real headless Chromium
// against a real server: pages enter rooms, publish the fake camera and
// microphone, decode each other's media, and get kicked through the REST
// API. One Chromium (Debian's /usr/bin/chromium, driven by npm
// playwright-core through web/e2e/driver.mjs) serves every test; each test
// opens its own pages and server.
package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/server"
	"github.com/rtcengine/rtcengine/usersig"
)

const (
	appID     = 1400000001
	appSecret = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	secretID  = "AKIDrtcengineBrowserTest00000000001"
	secretKey = "rtcengineBrowserTestSecretKey00001"
)

// waitMs bounds every wait in a page; waits end as soon as the condition holds.
const waitMs = 20000

// repoRoot is the repository's top folder (this file is test/browser/…).
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	drv     *driver
	drvErr  error
	drvOnce sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if drv != nil {
		drv.quit()
	}
	os.Exit(code)
}

// theBrowser starts Chromium on first use and fails the test if it cannot.
func theBrowser(t testing.TB) *driver {
	t.Helper()
	drvOnce.Do(func() { drv, drvErr = startDriver() })
	if drvErr != nil {
		t.Fatalf("browser: %v", drvErr)
	}
	return drv
}

// driver speaks line-delimited JSON with web/e2e/driver.mjs.
type driver struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	mu     sync.Mutex
	nextID atomic.Int64
	wait   map[int64]chan reply
	done   chan struct{}
	stderr *tailBuffer
}

type reply struct {
	ID    int64           `json:"id"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

func startDriver() (*driver, error) {
	root := repoRoot()
	webDir := filepath.Join(root, "web")
	if _, err := os.Stat(filepath.Join(webDir, "node_modules", "playwright-core")); err != nil {
		return nil, errors.New("web/node_modules/playwright-core is missing: run `make deps` (npm ci in web/)")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		return nil, fmt.Errorf("%s is missing: run `make deps` (Debian package chromium)", chromium)
	}
	cmd := exec.Command("node", filepath.Join(webDir, "e2e", "driver.mjs"))
	cmd.Dir = webDir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	d := &driver{cmd: cmd, wait: map[int64]chan reply{}, done: make(chan struct{}), stderr: &tailBuffer{max: 64 << 10}}
	cmd.Stderr = d.stderr
	if os.Getenv("BROWSER_LOG") != "" {
		cmd.Stderr = io.MultiWriter(d.stderr, os.Stderr)
	}
	var err error
	if d.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	ready := make(chan reply, 1)
	d.wait[0] = ready
	go d.read(stdout)
	select {
	case r := <-ready:
		if !r.OK {
			return nil, fmt.Errorf("driver: %s", r.Error)
		}
	case <-d.done:
		return nil, fmt.Errorf("driver exited: %s", d.stderr.String())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("driver did not start: %s", d.stderr.String())
	}
	return d, nil
}

func (d *driver) read(r io.Reader) {
	defer close(d.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var rep reply
		if json.Unmarshal(sc.Bytes(), &rep) != nil {
			continue
		}
		d.mu.Lock()
		ch := d.wait[rep.ID]
		delete(d.wait, rep.ID)
		d.mu.Unlock()
		if ch != nil {
			ch <- rep
		}
	}
}

// call sends one command and waits for its reply.
func (d *driver) call(cmd map[string]any) (json.RawMessage, error) {
	id := d.nextID.Add(1)
	cmd["id"] = id
	ch := make(chan reply, 1)
	d.mu.Lock()
	d.wait[id] = ch
	line, _ := json.Marshal(cmd)
	_, err := d.stdin.Write(append(line, '\n'))
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if !r.OK {
			return nil, errors.New(r.Error)
		}
		return r.Value, nil
	case <-d.done:
		return nil, fmt.Errorf("browser driver exited: %s", d.stderr.String())
	case <-time.After(90 * time.Second):
		return nil, fmt.Errorf("no reply to %v", cmd["op"])
	}
}

func (d *driver) quit() {
	_, _ = d.call(map[string]any{"op": "quit"})
	_ = d.stdin.Close()
	waited := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-waited
	}
}

// tailBuffer keeps the last max bytes written (the driver's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// Page is one browser tab.
type Page struct {
	t    testing.TB
	d    *driver
	name string
}

var pageSeq atomic.Int64

// openPage opens a tab at url; it is closed when the test ends.
func openPage(t testing.TB, name, url string) *Page {
	t.Helper()
	d := theBrowser(t)
	p := &Page{t: t, d: d, name: fmt.Sprintf("%s-%d", name, pageSeq.Add(1))}
	if _, err := d.call(map[string]any{"op": "open", "page": p.name, "url": url}); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { _, _ = d.call(map[string]any{"op": "close", "page": p.name}) })
	return p
}

// openSDKPage opens a page on the server's origin with the test helpers
// (web/e2e/page.js) and the SDK loaded, and creates the page's TRTC
// instance (connecting to signal when not empty).
func openSDKPage(t testing.TB, s *Server, name, signal string) *Page {
	t.Helper()
	p := openPage(t, name, s.URL+"/status")
	p.installHelpers()
	opts := map[string]any{}
	if signal != "" {
		opts["server"] = signal
	}
	p.Eval(`(o) => rt.init(Object.keys(o).length ? o : undefined)`, opts)
	return p
}

func (p *Page) installHelpers() {
	src, err := os.ReadFile(filepath.Join(repoRoot(), "web", "e2e", "page.js"))
	if err != nil {
		p.t.Fatal(err)
	}
	p.Eval(`(src) => { (0, eval)(src); return rt.load(); }`, string(src))
}

// Eval runs a function (JavaScript source) with arg in the page and
// decodes its result into out when given.
func (p *Page) Eval(fn string, arg any, out ...any) {
	p.t.Helper()
	v, err := p.d.call(map[string]any{"op": "eval", "page": p.name, "expr": fn, "arg": arg})
	if err != nil {
		p.t.Fatalf("%s: %v\n%s", p.name, err, p.recentLog())
	}
	if len(out) > 0 && out[0] != nil {
		if err := json.Unmarshal(v, out[0]); err != nil {
			p.t.Fatalf("%s: result %s: %v", p.name, v, err)
		}
	}
}

// TryEval is Eval that returns the error instead of failing.
func (p *Page) TryEval(fn string, arg any) (json.RawMessage, error) {
	return p.d.call(map[string]any{"op": "eval", "page": p.name, "expr": fn, "arg": arg})
}

// Until waits until a page condition (a function returning truthy) holds.
func (p *Page) Until(what, fn string, arg any) {
	p.t.Helper()
	_, err := p.d.call(map[string]any{"op": "wait", "page": p.name, "expr": fn, "arg": arg, "timeoutMs": waitMs})
	if err != nil {
		var events any
		_ = json.Unmarshal(p.EvalRaw(`() => rt && rt.events ? rt.events.map(x => x.name + ' ' + JSON.stringify(x.e)) : []`), &events)
		p.t.Fatalf("%s: waiting for %s: %v\nevents: %v\n%s", p.name, what, err, events, p.recentLog())
	}
}

// EvalRaw evaluates and returns the raw JSON result (nil on error).
func (p *Page) EvalRaw(fn string) json.RawMessage {
	v, _ := p.d.call(map[string]any{"op": "eval", "page": p.name, "expr": fn})
	return v
}

// Seen waits until the page's SDK has emitted event name with fields match.
func (p *Page) Seen(name string, match map[string]any) {
	p.t.Helper()
	p.Until(fmt.Sprintf("event %s %v", name, match), `({name, match}) => rt.seen(name, match)`, map[string]any{"name": name, "match": match})
}

// NotSeen checks the page has not emitted event name with fields match.
func (p *Page) NotSeen(name string, match map[string]any) {
	p.t.Helper()
	var seen bool
	p.Eval(`({name, match}) => rt.seen(name, match)`, map[string]any{"name": name, "match": match}, &seen)
	if seen {
		p.t.Fatalf("%s: unexpected event %s %v", p.name, name, match)
	}
}

// Enter enters a room with a valid UserSig and returns the enterRoom error
// (nil on success).
func (p *Page) Enter(user string, room int, scene, role string) *JSError {
	p.t.Helper()
	sig, err := usersig.GenUserSig(appID, appSecret, user, 3600)
	if err != nil {
		p.t.Fatal(err)
	}
	var e *JSError
	p.Eval(`(o) => rt.error(() => rt.t.enterRoom(o))`, map[string]any{
		"sdkAppId": appID, "userId": user, "userSig": sig, "roomId": room, "scene": scene, "role": role,
	}, &e)
	return e
}

// MustEnter enters and fails the test on error.
func (p *Page) MustEnter(user string, room int, scene, role string) {
	p.t.Helper()
	if e := p.Enter(user, room, scene, role); e != nil {
		p.t.Fatalf("%s: enterRoom: %+v\n%s", p.name, *e, p.recentLog())
	}
}

// Publish starts the fake camera and microphone.
func (p *Page) Publish() {
	p.t.Helper()
	var e *JSError
	p.Eval(`() => rt.error(async () => { await rt.t.startLocalVideo({ view: rt.view('local') }); await rt.t.startLocalAudio(); })`, nil, &e)
	if e != nil {
		p.t.Fatalf("%s: publish: %+v", p.name, *e)
	}
}

// Err runs an SDK call (a JavaScript expression using rt.t) and returns its error.
func (p *Page) Err(call string) *JSError {
	p.t.Helper()
	var e *JSError
	p.Eval(`(src) => rt.error(() => (0, eval)('(async () => ' + src + ')()'))`, call, &e)
	return e
}

// FramesGrow waits until the page has decoded n more frames of a remote stream.
func (p *Page) FramesGrow(user, stream string, n int) int {
	p.t.Helper()
	var frames int
	raw, err := p.TryEval(`({u, s, n, ms}) => rt.framesGrow(u, s, n, ms)`, map[string]any{"u": user, "s": stream, "n": n, "ms": waitMs})
	if err != nil {
		p.t.Fatalf("%s: frames of %s/%s: %v\n%s", p.name, user, stream, err, p.recentLog())
	}
	_ = json.Unmarshal(raw, &frames)
	return frames
}

// AudioGrows waits until the page receives more audio from user.
func (p *Page) AudioGrows(user string) {
	p.t.Helper()
	if _, err := p.TryEval(`({u, ms}) => rt.audioGrows(u, ms)`, map[string]any{"u": user, "ms": waitMs}); err != nil {
		p.t.Fatalf("%s: audio of %s: %v", p.name, user, err)
	}
}

func (p *Page) Screenshot(path string, w, h int) {
	p.t.Helper()
	if _, err := p.d.call(map[string]any{"op": "screenshot", "page": p.name, "path": path, "width": w, "height": h}); err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
}

func (p *Page) Click(x, y int) {
	p.t.Helper()
	if _, err := p.d.call(map[string]any{"op": "click", "page": p.name, "x": x, "y": y}); err != nil {
		p.t.Fatalf("click: %v", err)
	}
}

func (p *Page) recentLog() string {
	s := p.d.stderr.String()
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "["+p.name+"]") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// JSError is an RtcError's fields as the page reports them.
type JSError struct {
	Code      int    `json:"code"`
	ExtraCode *int   `json:"extraCode"`
	Message   string `json:"message"`
}

func (e *JSError) String() string {
	if e == nil {
		return "<nil>"
	}
	x := "-"
	if e.ExtraCode != nil {
		x = fmt.Sprint(*e.ExtraCode)
	}
	return fmt.Sprintf("%d/%s %s", e.Code, x, e.Message)
}

// Server is an rtcengine node on loopback with the test app.
type Server struct {
	*server.Server
	URL string
}

func newServer(t testing.TB) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.UDPPort = 0
	cfg.Dev = true
	cfg.DataDir = t.TempDir()
	cfg.Apps = []config.App{{SDKAppID: appID, SDKSecret: appSecret, APISecretID: secretID, APISecretKey: secretKey}}
	srv, err := server.New(cfg, nil, nil)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &Server{Server: srv, URL: srv.URL()}
}

// REST calls an API 3.0 action with TencentCloud's own client and returns
// the error code ("" on success).
func (s *Server) REST(t testing.TB, action string, params map[string]any) string {
	t.Helper()
	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = s.Addr()
	prof.HttpProfile.Scheme = "http"
	prof.HttpProfile.ReqTimeout = 10
	client := common.NewCommonClient(common.NewCredential(secretID, secretKey), "ap-guangzhou", prof)
	req := tchttp.NewCommonRequest("trtc", "2019-07-22", action)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	err := client.Send(req, tchttp.NewCommonResponse())
	var sdkErr *tcerr.TencentCloudSDKError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &sdkErr) && !strings.HasPrefix(sdkErr.Code, "ClientError"):
		return sdkErr.Code
	}
	t.Fatalf("%s: %v", action, err)
	return ""
}

// proxy is a TCP relay for signaling that a test can cut.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) URL() string { return "ws://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target := p.target
		p.mu.Unlock()
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// retarget sends the connections accepted from now on to another server.
func (p *proxy) retarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// cut closes every relayed connection (the page must reconnect).
func (p *proxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.conns) / 2
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	return n
}

func (p *proxy) close() {
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}

// mustSig returns a valid UserSig for user in the test app.
func mustSig(t testing.TB, user string) string {
	t.Helper()
	sig, err := usersig.GenUserSig(appID, appSecret, user, 3600)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

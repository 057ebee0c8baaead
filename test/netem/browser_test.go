package netem

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A real Chromium behind the impaired link. The page is served by the
// server in its namespace, so Chromium (in the test's namespace) reaches
// signaling and media across the veth like any client. It is driven by
// web/e2e/driver.mjs (npm playwright-core and Debian's /usr/bin/chromium,
// as test/browser does) through a small client of its line protocol, and
// uses only the Web SDK and web/e2e/page.js.

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// chromium is one driver process.
type chromium struct {
	t      testing.TB
	cmd    *exec.Cmd
	in     io.WriteCloser
	mu     sync.Mutex
	next   int
	wait   map[int]chan driverReply
	done   chan struct{}
	stderr strings.Builder
}

type driverReply struct {
	ID    int             `json:"id"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

// startChromium starts the driver. Pages served by origin (plain HTTP on
// the link) may use the fake camera: the browser is told to treat that
// origin as secure, through a wrapper around the Chromium binary that adds
// the flag (the driver's own flags stay as they are).
func startChromium(t testing.TB, origin string) *chromium {
	t.Helper()
	web := filepath.Join(repoRoot(), "web")
	if _, err := os.Stat(filepath.Join(web, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("web/node_modules is missing (make deps): %v", err)
	}
	browser := os.Getenv("CHROMIUM")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	wrapper := filepath.Join(t.TempDir(), "chromium")
	script := fmt.Sprintf("#!/bin/sh\nexec %q --unsafely-treat-insecure-origin-as-secure=%s \"$@\"\n", browser, origin)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := &chromium{t: t, wait: map[int]chan driverReply{}, done: make(chan struct{})}
	c.cmd = exec.Command("node", filepath.Join("e2e", "driver.mjs"))
	c.cmd.Dir = web
	c.cmd.Env = append(os.Environ(), "CHROMIUM="+wrapper)
	c.cmd.Stderr = &lockedWriter{mu: &c.mu, b: &c.stderr}
	var err error
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start the Chromium driver: %v", err)
	}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var r driverReply
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			c.mu.Lock()
			ch := c.wait[r.ID]
			delete(c.wait, r.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- r
			}
		}
	}()
	t.Cleanup(func() {
		_, _ = c.call(map[string]any{"op": "quit"})
		c.in.Close()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
		}
		_ = c.cmd.Wait()
		if t.Failed() {
			c.mu.Lock()
			log := c.stderr.String()
			c.mu.Unlock()
			keepLog(t, "chromium-driver", log)
		}
	})
	return c
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.b.Len() < 1<<20 {
		w.b.Write(p)
	}
	return len(p), nil
}

// call sends a command and waits for its reply.
func (c *chromium) call(cmd map[string]any) (json.RawMessage, error) {
	ch := make(chan driverReply, 1)
	c.mu.Lock()
	c.next++
	id := c.next
	c.wait[id] = ch
	c.mu.Unlock()
	cmd["id"] = id
	b, _ := json.Marshal(cmd)
	if _, err := c.in.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if !r.OK {
			return nil, fmt.Errorf("%s", r.Error)
		}
		return r.Value, nil
	case <-c.done:
		return nil, fmt.Errorf("the Chromium driver exited")
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("no reply from the Chromium driver")
	}
}

var pageSeq atomic.Int32

// webPage is one page with the Web SDK and web/e2e/page.js loaded.
type webPage struct {
	c    *chromium
	name string
}

// openWebPage opens the server's status page, loads the SDK and the test
// helpers, and creates the page's TRTC instance.
func (c *chromium) openWebPage(srv *Server, name string) *webPage {
	c.t.Helper()
	p := &webPage{c: c, name: fmt.Sprintf("%s-%d", name, pageSeq.Add(1))}
	if _, err := c.call(map[string]any{"op": "open", "page": p.name, "url": srv.URL() + "/status"}); err != nil {
		c.t.Fatalf("open: %v", err)
	}
	c.t.Cleanup(func() { _, _ = c.call(map[string]any{"op": "close", "page": p.name}) })
	src, err := os.ReadFile(filepath.Join(repoRoot(), "web", "e2e", "page.js"))
	if err != nil {
		c.t.Fatal(err)
	}
	p.eval(`(src) => { (0, eval)(src); return rt.load(); }`, string(src))
	p.eval(`() => { rt.init(); return true; }`, nil)
	return p
}

func (p *webPage) eval(fn string, arg any) json.RawMessage {
	p.c.t.Helper()
	v, err := p.c.call(map[string]any{"op": "eval", "page": p.name, "expr": fn, "arg": arg})
	if err != nil {
		p.c.t.Fatalf("%s: %v", p.name, err)
	}
	return v
}

// enterAndPublish enters a call room as an anchor and publishes the fake
// camera (with a small stream, for the server's layer switching) and
// microphone.
func (p *webPage) enterAndPublish(user string, room int) {
	p.c.t.Helper()
	v := p.eval(`(o) => rt.error(async () => {
		await rt.t.enterRoom(o);
		await rt.t.startLocalVideo({ view: rt.view('local'), option: { small: true } });
		await rt.t.startLocalAudio();
	})`, map[string]any{"sdkAppId": appID, "userId": user, "userSig": sig(p.c.t, user), "roomId": room, "scene": "rtc", "role": "anchor"})
	if string(v) != "null" {
		p.c.t.Fatalf("%s: enter and publish: %s", p.name, v)
	}
}

// framesGrow waits until the page decoded n more video frames of user and
// returns how long that took.
func (p *webPage) framesGrow(user string, n int) time.Duration {
	p.c.t.Helper()
	start := time.Now()
	if _, err := p.c.call(map[string]any{"op": "eval", "page": p.name, "expr": `({u, n}) => rt.framesGrow(u, 'video', n, 45000)`,
		"arg": map[string]any{"u": user, "n": n}}); err != nil {
		p.c.t.Fatalf("%s: %d more frames of %s: %v", p.name, n, user, err)
	}
	return time.Since(start)
}

// TestBrowserBehindImpairment: two Chromium pages in a call, both across
// the link, keep decoding each other's video under 10 % and 30 % loss each
// way and a cap of 500 kbit/s per page toward them (30 more frames each way
// at every step). Both publish a small stream, so that the server can move each
// receiver to it under the cap.
func TestBrowserBehindImpairment(t *testing.T) {
	const room = 8601
	n := NewNet(t)
	srv := n.StartServer(ServerOptions{})
	c := startChromium(t, srv.URL())
	alice := c.openWebPage(srv, "alice")
	bob := c.openWebPage(srv, "bob")
	alice.enterAndPublish("alice", room)
	bob.enterAndPublish("bob", room)
	t.Logf("clean: 30 frames of alice in %v", bob.framesGrow("alice", 30).Round(10*time.Millisecond))
	alice.framesGrow("bob", 30)

	for _, step := range []struct {
		name string
		set  func()
	}{
		{"loss 10%", func() { n.Loss(10, Both) }},
		{"loss 30%", func() { n.Loss(30, Both) }},
		// The cap follows a clean spell: straight after the 30 % phase,
		// Chromium sometimes stalls for tens of seconds under the cap
		// (docs/network.md, open issues).
		{"clean again", func() { n.Loss(0, Both) }},
		// Both pages receive through the one capped link: 500 kbit/s each.
		{"1000 kbit/s down for two", func() { n.Cap(1000, Down) }},
	} {
		step.set()
		d := bob.framesGrow("alice", 30)
		alice.framesGrow("bob", 30)
		t.Logf("%s: 30 more frames of alice in %v", step.name, d.Round(10*time.Millisecond))
	}
}

package netem

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/usersig"
)

const (
	appID     = 1400000001
	appSecret = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	httpPort  = 7880
	mediaPort = 7882
)

// serverBin is the rtcengine binary built once for the package (TestMain).
var serverBin string

func TestMain(m *testing.M) {
	if helperMain() { // a re-executed helper process (helper_test.go)
		return
	}
	dir, err := os.MkdirTemp("", "rtcnetem-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = filepath.Join(dir, "rtcengine")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(gobin, "build", "-o", serverBin, "github.com/rtcengine/rtcengine/cmd/rtcengine")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "netem: building the server:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// ServerOptions are the limits a test gives its server (zero: defaults).
type ServerOptions struct {
	DropTimeout       time.Duration
	HeartbeatInterval time.Duration
	HeartbeatTimeout  time.Duration
}

// Server is an rtcengine process running inside a Net's namespace.
type Server struct {
	t    testing.TB
	net  *Net
	cmd  *exec.Cmd
	done chan struct{}

	mu  sync.Mutex
	log strings.Builder
}

// StartServer runs `rtcengine serve` in the namespace on ServerIP, and
// waits until it answers /healthz from the test's namespace.
func (n *Net) StartServer(o ServerOptions) *Server {
	n.t.Helper()
	dir := n.t.TempDir()
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "apps:\n  - sdkappid: %d\n    sdk_secret: %q\n", appID, appSecret)
	cfg.WriteString("limits:\n")
	if o.DropTimeout > 0 {
		fmt.Fprintf(&cfg, "  drop_timeout: %s\n", o.DropTimeout)
	}
	if o.HeartbeatInterval > 0 {
		fmt.Fprintf(&cfg, "  heartbeat_interval: %s\n", o.HeartbeatInterval)
	}
	if o.HeartbeatTimeout > 0 {
		fmt.Fprintf(&cfg, "  heartbeat_timeout: %s\n", o.HeartbeatTimeout)
	}
	if o == (ServerOptions{}) {
		cfg.WriteString("  drop_timeout: 90s\n")
	}
	path := filepath.Join(dir, "rtcengine.yaml")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		n.t.Fatal(err)
	}
	s := &Server{t: n.t, net: n, done: make(chan struct{})}
	s.cmd = n.Command(serverBin, "serve", "--config", path,
		"--listen", fmt.Sprintf("%s:%d", n.ServerIP, httpPort),
		"--udp-port", fmt.Sprint(mediaPort), "--node-ip", n.ServerIP.String(),
		"--data-dir", filepath.Join(dir, "data"), "--log-level", "info")
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		n.t.Fatal(err)
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		s.collect(out)
		_ = s.cmd.Wait()
	}()
	// Registered after the namespace's cleanup, so it runs before it.
	n.t.Cleanup(s.stop)
	s.waitHealthy()
	return s
}

func (s *Server) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.mu.Lock()
		if s.log.Len() < 4<<20 {
			s.log.WriteString(sc.Text())
			s.log.WriteByte('\n')
		}
		s.mu.Unlock()
	}
}

// Log returns what the server printed so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func (s *Server) waitHealthy() {
	s.t.Helper()
	url := s.URL() + "/healthz"
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-s.done:
			s.t.Fatal("server exited (where its log is kept follows)")
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("server not healthy at %s: %v (where its log is kept follows)", url, err)
		}
		select { // the server is starting: poll its port
		case <-s.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the server with SIGTERM (SIGKILL after 10 s) and shows its
// log when the test failed.
func (s *Server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	if s.t.Failed() {
		keepLog(s.t, "server", s.Log())
	}
}

// URL is the server's HTTP base URL on the link.
func (s *Server) URL() string { return fmt.Sprintf("http://%s:%d", s.net.ServerIP, httpPort) }

// SignalURL is the signaling URL the clients use.
func (s *Server) SignalURL() string {
	return fmt.Sprintf("ws://%s:%d/signal", s.net.ServerIP, httpPort)
}

// sig returns a UserSig for user.
func sig(t testing.TB, user string) string {
	t.Helper()
	s, err := usersig.GenUserSig(appID, appSecret, user, 3600)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Metrics returns the values of the server's /metrics lines that start
// with one of prefixes.
func (s *Server) Metrics(prefixes ...string) []string {
	resp, err := http.Get(s.URL() + "/metrics")
	if err != nil {
		return []string{err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out []string
	for _, line := range strings.Split(string(body), "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				out = append(out, line)
			}
		}
	}
	return out
}

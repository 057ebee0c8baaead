package netem

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// A publisher that runs next to the server, inside its namespace, so that
// only the path of the clients in the test's namespace is impaired. It is
// this test binary run again with NETEM_HELPER=publish (helperMain), driven
// over its standard input and output:
//
//	stdout "ready"                  after it entered the room and publishes
//	stdin  "phase X" → "phase X"    later frames carry phase byte X
//	stdin  "count X" → "count X V A" video frames and audio packets sent in phase X
//	stdin  "got X"   → "got X V"    whole video frames of phase X received from NETEM_WATCH
//	stdout "event enter U" / "event leave U R"  OnRemoteUserEnterRoom / OnRemoteUserLeaveRoom
//	stdin  EOF                      exit the room and quit

// helperMain runs the helper when this process is one; it reports whether
// it was.
func helperMain() bool {
	if os.Getenv("NETEM_HELPER") != "publish" {
		return false
	}
	if err := publishHelper(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	return true
}

// PublishOptions describe the helper's load.
type PublishOptions struct {
	FPS       int    // video frames per second (30)
	FrameSize int    // bytes of a big-layer frame (1000)
	KeyEvery  int    // a keyframe every this many frames (10)
	Small     bool   // also publish a small layer (320x180, a fifth of the size)
	Watch     string // a user whose video the helper receives and counts
}

func atoiEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func publishHelper(in io.Reader, out io.Writer) error {
	url, user := os.Getenv("NETEM_URL"), os.Getenv("NETEM_USER")
	room := uint32(atoiEnv("NETEM_ROOM", 1))
	fps, size, keyEvery := atoiEnv("NETEM_FPS", 30), atoiEnv("NETEM_SIZE", 1000), atoiEnv("NETEM_KEY", 10)
	small := os.Getenv("NETEM_SMALL") == "1"
	s, err := usersig.GenUserSig(appID, appSecret, user, 3600)
	if err != nil {
		return err
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		fmt.Fprintf(out, format+"\n", args...)
		outMu.Unlock()
	}
	entered := make(chan int64, 1)
	c := rtc.NewCloud(rtc.WithServer(url))
	defer c.Close()
	c.SetListener(helperListener{entered: entered, say: say})
	watched := &Sink{}
	if w := os.Getenv("NETEM_WATCH"); w != "" {
		c.SetRemoteVideoRenderCallback(w, rtc.VideoFormatVP8, watched)
	}
	c.EnableCustomVideoCapture(rtc.StreamBig, true)
	c.EnableCustomAudioCapture(true)
	if small {
		c.EnableSmallVideoStream(true, rtc.VideoEncParam{})
	}
	c.EnterRoom(rtc.Params{SDKAppID: appID, UserID: user, UserSig: s, RoomID: room, Role: rtc.RoleAnchor}, rtc.SceneVideoCall)
	select {
	case r := <-entered:
		if r <= 0 {
			return fmt.Errorf("OnEnterRoom(%d)", r)
		}
	case <-time.After(20 * time.Second):
		return fmt.Errorf("no OnEnterRoom")
	}

	pc := startPacer(c, fps, size, keyEvery, small)
	say("ready")
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		if arg == "" {
			continue
		}
		ph := arg[0]
		switch cmd {
		case "phase":
			pc.Phase(ph)
			say("phase %c", ph)
		case "count":
			v, a := pc.Count(ph)
			say("count %c %d %d", ph, v, a)
		case "got":
			say("got %c %d", ph, len(watched.Video(ph)))
		}
	}
	pc.Stop()
	c.ExitRoom()
	return nil
}

type helperListener struct {
	rtc.BaseListener
	entered chan int64
	say     func(string, ...any)
}

func (l helperListener) OnEnterRoom(r int64) {
	select {
	case l.entered <- r:
	default: // a re-enter after a reconnection
	}
}
func (l helperListener) OnRemoteUserEnterRoom(u string) { l.say("event enter %s", u) }
func (l helperListener) OnRemoteUserLeaveRoom(u string, reason int) {
	l.say("event leave %s %d", u, reason)
}

// Publisher is a running helper process.
type Publisher struct {
	t      testing.TB
	stdin  io.WriteCloser
	lines  chan string // answers to commands
	done   chan struct{}
	events *Recorder // "enter"/"leave" events, with the user (and reason) as arguments
}

// StartPublisher runs a helper publishing as user into room, inside the
// server's namespace, and waits until it publishes. srv is a *Server, or
// any server that gives a signaling URL (firewall_test.go's TLS server).
func (n *Net) StartPublisher(srv interface{ SignalURL() string }, user string, room uint32, o PublishOptions) *Publisher {
	n.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		n.t.Fatal(err)
	}
	cmd := n.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "NETEM_HELPER=publish", "NETEM_URL="+srv.SignalURL(), "NETEM_USER="+user,
		fmt.Sprintf("NETEM_ROOM=%d", room), fmt.Sprintf("NETEM_FPS=%d", o.FPS), fmt.Sprintf("NETEM_SIZE=%d", o.FrameSize),
		fmt.Sprintf("NETEM_KEY=%d", o.KeyEvery))
	if o.Small {
		cmd.Env = append(cmd.Env, "NETEM_SMALL=1")
	}
	if o.Watch != "" {
		cmd.Env = append(cmd.Env, "NETEM_WATCH="+o.Watch)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		n.t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		n.t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	p := &Publisher{t: n.t, stdin: stdin, lines: make(chan string, 16), done: make(chan struct{}), events: newRecorder()}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event "); ok {
				f := strings.Fields(ev)
				args := make([]any, len(f)-1)
				for i, a := range f[1:] {
					args[i] = a
				}
				p.events.add(f[0], args...)
				continue
			}
			p.lines <- sc.Text()
		}
	}()
	go func() {
		defer close(p.done)
		_ = cmd.Wait()
	}()
	n.t.Cleanup(func() {
		stdin.Close()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-p.done
		}
		if n.t.Failed() && stderr.Len() > 0 {
			keepLog(n.t, "publisher-"+user, stderr.String())
		}
	})
	if l := p.read(); l != "ready" {
		n.t.Fatalf("publisher %s: %q; stderr: %s", user, l, stderr.String())
	}
	return p
}

func (p *Publisher) read() string {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatal("publisher exited")
		}
		return l
	case <-time.After(waitTimeout):
		p.t.Fatal("publisher does not answer")
	}
	return ""
}

// Phase makes later frames carry phase.
func (p *Publisher) Phase(phase byte) {
	p.t.Helper()
	fmt.Fprintf(p.stdin, "phase %c\n", phase)
	if l := p.read(); l != fmt.Sprintf("phase %c", phase) {
		p.t.Fatalf("publisher: %q", l)
	}
}

// Count returns the video frames and audio packets sent in phase.
func (p *Publisher) Count(phase byte) (video, audio int) {
	p.t.Helper()
	fmt.Fprintf(p.stdin, "count %c\n", phase)
	var ph byte
	if _, err := fmt.Sscanf(p.read(), "count %c %d %d", &ph, &video, &audio); err != nil || ph != phase {
		p.t.Fatalf("publisher count: %v", err)
	}
	return video, audio
}

// Got returns how many whole video frames of phase the helper received
// from the watched user.
func (p *Publisher) Got(phase byte) int {
	p.t.Helper()
	fmt.Fprintf(p.stdin, "got %c\n", phase)
	var ph byte
	var n int
	if _, err := fmt.Sscanf(p.read(), "got %c %d", &ph, &n); err != nil || ph != phase {
		p.t.Fatalf("publisher got: %v", err)
	}
	return n
}

// WaitEvent waits for the helper's event ("enter" or "leave") with args
// and returns its index.
func (p *Publisher) WaitEvent(name string, args ...any) int { return p.WaitEventFrom(0, name, args...) }

// WaitEventFrom is WaitEvent for events at index from or later.
func (p *Publisher) WaitEventFrom(from int, name string, args ...any) int {
	p.t.Helper()
	_, i, ok := p.events.waitFrom(from, waitTimeout, func(e Event) bool { return e.is(name, args...) })
	if !ok {
		p.t.Fatalf("publisher: no %s%v; saw %v", name, args, p.events.all())
	}
	return i
}

// Events returns the helper's events so far.
func (p *Publisher) Events() []Event { return p.events.all() }

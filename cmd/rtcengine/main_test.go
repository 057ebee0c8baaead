package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/server"
	"github.com/rtcengine/rtcengine/usersig"
)

// TestMain lets a test re-execute this binary as the real command.
func TestMain(m *testing.M) {
	if args := os.Getenv("RTCENGINE_TEST_MAIN"); args != "" {
		os.Exit(realMain(strings.Fields(args)))
	}
	os.Exit(m.Run())
}

func TestUsersigCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"usersig", "--sdkappid", "1400000001", "--key", "k3y", "--user", "alice", "--expire", "600"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if err := usersig.VerifyUserSig(1400000001, "k3y", "alice", strings.TrimSpace(out.String()), time.Now()); err != nil {
		t.Fatalf("printed sig does not verify: %v", err)
	}
	out.Reset()
	if code := run([]string{"usersig", "--sdkappid", "1400000001", "--key", "k3y", "--user", "alice", "--privilege", "255", "--room", "42"}, &out, &errb); code != 0 {
		t.Fatal("privatemapkey:", errb.String())
	}
	pm, err := usersig.ParsePrivateMapKey(1400000001, "k3y", "alice", strings.TrimSpace(out.String()), time.Now())
	if err != nil || pm.RoomID != 42 || pm.Privileges != 255 {
		t.Fatalf("privatemapkey: %+v %v", pm, err)
	}
	if code := run([]string{"usersig", "--user", "alice"}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("missing flags: exit %d", code)
	}
}

func TestAPICommand(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.Apps = []config.App{{SDKAppID: 1400000001, SDKSecret: "s", APISecretID: "AKIDcli", APISecretKey: "cli-key"}}
	srv, err := server.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	var out bytes.Buffer
	args := []string{"api", "DismissRoom", "--json", `{"SdkAppId":1400000001,"RoomId":1234}`, "--server", srv.URL(), "--secret-id", "AKIDcli", "--secret-key", "cli-key"}
	if code := run(args, &out, io.Discard); code != 1 || !strings.Contains(out.String(), "FailedOperation.RoomNotExist") {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	out.Reset()
	args[len(args)-1] = "wrong-key"
	if code := run(args, &out, io.Discard); code != 1 || !strings.Contains(out.String(), "AuthFailure.SignatureFailure") {
		t.Fatalf("forged: exit %d: %s", code, out.String())
	}
	if code := run([]string{"api", "DismissRoom", "--json", "{not json"}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("bad json: exit %d", code)
	}
}

// TestServeSIGTERM runs the real command, checks it serves, sends SIGTERM
// and expects a clean exit 0.
func TestServeSIGTERM(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "RTCENGINE_TEST_MAIN=serve --listen "+addr+" --udp-port 0 --data-dir "+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("server never answered: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The server re-executed itself (same process) with sysmon kept awake.
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(strings.Split(string(environ), "\x00"), func(kv string) bool {
		return strings.HasPrefix(kv, "GODEBUG=") && strings.Contains(kv, schedTrace)
	}) {
		t.Errorf("the server runs without %s in GODEBUG", schedTrace)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no exit within 15 s of SIGTERM")
	}
	for _, want := range []string{"SDKSecretKey:", "SecretId:", "SecretKey:", "demo page:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("development banner lacks %q:\n%s", want, stdout.String())
		}
	}
	fmt.Fprint(io.Discard, stdout.String())
}

func TestWithSchedTrace(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want []string // nil: left alone
	}{
		{[]string{"PATH=/bin"}, []string{"PATH=/bin", "GODEBUG=" + schedTrace}},
		{[]string{"GODEBUG="}, []string{"GODEBUG=" + schedTrace}},
		{[]string{"GODEBUG=madvdontneed=1", "HOME=/"}, []string{"GODEBUG=madvdontneed=1," + schedTrace, "HOME=/"}},
		{[]string{"GODEBUG=schedtrace=0"}, nil},
		{[]string{"GODEBUG=x=1, schedtrace=1000"}, nil},
	} {
		out, ok := withSchedTrace(c.in)
		if ok != (c.want != nil) || !slices.Equal(out, c.want) {
			t.Errorf("%q: got %q (%v), want %q", c.in, out, ok, c.want)
		}
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/rtcengine/rtcengine/internal/bench"
	"github.com/rtcengine/rtcengine/rtc"
	"github.com/rtcengine/rtcengine/usersig"
)

func benchCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: rtcengine bench join [flags]")
		return 2
	}
	switch args[0] {
	case "join":
		return benchJoin(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "rtcengine bench: unknown benchmark %q\n", args[0])
	return 2
}

// benchServer is the server under test: given with --server, or started as a
// child process of this binary so that its memory is measured on its own.
type benchServer struct {
	base     string
	sdkAppID uint32
	key      string
	cmd      *exec.Cmd
}

const benchAppID, benchKey = 1400000001, "bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123"

func startBenchServer(server string, appID uint, key string, stderr io.Writer) (*benchServer, error) {
	if server != "" {
		u, err := url.Parse(server)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("--server %q is not a URL", server)
		}
		if u.Scheme == "ws" {
			u.Scheme = "http"
		} else if u.Scheme == "wss" {
			u.Scheme = "https"
		}
		return &benchServer{base: u.Scheme + "://" + u.Host, sdkAppID: uint32(appID), key: key}, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "serve", "--listen", addr, "--udp-port", "0", "--dev",
		"--sdkappid", strconv.Itoa(benchAppID), "--sdk-secret", benchKey, "--log-level", "warn",
		"--data-dir", os.TempDir())
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{base: "http://" + addr, sdkAppID: benchAppID, key: benchKey, cmd: cmd}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("server did not come up: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *benchServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
}

// sig signs locally with the app key, or asks a development server.
func (s *benchServer) sig(user string) (string, error) {
	if s.key != "" {
		return usersig.GenUserSig(s.sdkAppID, s.key, user, 86400)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/dev/usersig?userId="+url.QueryEscape(user), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		SDKAppID uint32 `json:"sdkAppId"`
		UserSig  string `json:"userSig"`
	}
	if err := json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&out); err != nil || out.UserSig == "" {
		return "", fmt.Errorf("no UserSig from %s/dev/usersig (give --sdkappid and --key for a production server)", s.base)
	}
	s.sdkAppID = out.SDKAppID
	return out.UserSig, nil
}

func benchJoin(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench join", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int("users", 500, "users to enter")
	rooms := fs.Int("rooms", 50, "rooms to spread them over")
	conc := fs.Int("concurrency", 10, "enters in flight at once")
	server := fs.String("server", "", "server URL (default: start one as a child process)")
	appID := fs.Uint("sdkappid", 0, "SDKAppID on --server (default: ask its /dev/usersig)")
	key := fs.String("key", "", "SDKSecretKey on --server (default: ask its /dev/usersig)")
	asJSON := fs.Bool("json", false, "also print the result as one JSON object on the last line")
	cpuProfile := fs.String("cpuprofile", "", "write the load generator's CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "bench join: %v\n", err)
			return 1
		}
		_ = pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if *users < 1 || *rooms < 1 || *rooms > *users {
		fmt.Fprintln(stderr, "bench join: need --users ≥ 1 and 1 ≤ --rooms ≤ --users")
		return 2
	}
	// The load generator holds thousands of SDK instances; collecting less
	// often keeps its own GC out of the latencies it measures.
	debug.SetGCPercent(400)
	srv, err := startBenchServer(*server, *appID, *key, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench join: %v\n", err)
		return 1
	}
	defer srv.stop()
	if _, err := srv.sig("probe"); err != nil {
		fmt.Fprintf(stderr, "bench join: %v\n", err)
		return 1
	}
	res, err := bench.RunJoin(bench.JoinConfig{
		Server: srv.base, Users: *users, Rooms: *rooms, Concurrency: *conc,
		Scene: rtc.SceneVideoCall, SDKAppID: srv.sdkAppID, Sig: srv.sig, Progress: stderr,
	})
	if err != nil {
		fmt.Fprintf(stderr, "bench join: %v\n", err)
		return 1
	}
	bench.WriteJoinTable(stdout, res)
	if *asJSON {
		b, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(b))
	}
	if res.Failed > 0 {
		return 1
	}
	return 0
}

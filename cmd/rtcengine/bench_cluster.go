package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/rtcengine/rtcengine/internal/bench"
	"github.com/rtcengine/rtcengine/rtc"
)

// clusterResult is what bench cluster reports.
type clusterResult struct {
	Enters   int             `json:"enters"`
	Owner    bench.Latencies `json:"owner"`    // enters through the room's owner
	Redirect bench.Latencies `json:"redirect"` // enters through the other node, redirect included
	Failed   int             `json:"failed"`
}

// benchCluster measures the enter latency of a room through its owner and
// through a node that redirects to the owner, with two real nodes (child
// processes of this binary) on one Redis (--redis, or a redis-server it
// starts on a free loopback port).
func benchCluster(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	enters := fs.Int("enters", 200, "enters measured through each node (one at a time)")
	redisAddr := fs.String("redis", "", "Redis address (default: start redis-server on a free loopback port)")
	asJSON := fs.Bool("json", false, "also print the result as one JSON object on the last line")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *enters < 1 || *enters > 100_000 {
		fmt.Fprintln(stderr, "bench cluster: need 1 ≤ --enters ≤ 100000")
		return 2
	}
	addr := *redisAddr
	if addr == "" {
		stop, a, err := startRedis()
		if err != nil {
			fmt.Fprintf(stderr, "bench cluster: %v (give --redis ADDR)\n", err)
			return 1
		}
		defer stop()
		addr = a
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	secret := hex.EncodeToString(b[:])
	var nodes []*benchServer
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	for i := range 2 {
		n, err := startBenchServer("", 0, "", "error", stderr, "--redis", addr, "--cluster-secret", secret, "--node-id", fmt.Sprintf("bench-%d", i+1))
		if err != nil {
			fmt.Fprintf(stderr, "bench cluster: node %d: %v\n", i+1, err)
			return 1
		}
		nodes = append(nodes, n)
	}
	res, err := runCluster(nodes[0], nodes[1], *enters, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench cluster: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%-28s %6s %9s %9s %9s %9s\n", "enter through", "n", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, row := range []struct {
		name string
		l    bench.Latencies
	}{{"the owner", res.Owner}, {"another node (redirected)", res.Redirect}} {
		fmt.Fprintf(stdout, "%-28s %6d %9.2f %9.2f %9.2f %9.2f\n", row.name, row.l.N, row.l.P50, row.l.P95, row.l.P99, row.l.Max)
	}
	if *asJSON {
		j, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(j))
	}
	if res.Failed > 0 {
		return 1
	}
	return 0
}

// runCluster places one room on owner (a user stays in it), then enters
// and exits users one at a time, alternately through owner and other.
func runCluster(owner, other *benchServer, enters int, progress io.Writer) (clusterResult, error) {
	res := clusterResult{Enters: enters}
	holder, _, err := enterOnce(owner, "holder")
	if err != nil {
		return res, fmt.Errorf("placing the room: %w", err)
	}
	defer holder.Close()
	prog := bench.NewProgress(progress, "entering", 2*enters)
	var direct, redirected []time.Duration
	for i := range 2 * enters {
		via := owner
		if i%2 == 1 {
			via = other
		}
		c, took, err := enterOnce(via, fmt.Sprintf("bench_%d", i))
		if err != nil {
			res.Failed++
			continue
		}
		c.Close()
		if via == owner {
			direct = append(direct, took)
		} else {
			redirected = append(redirected, took)
		}
		prog.Set(i + 1)
	}
	res.Owner, res.Redirect = bench.Summarize(direct), bench.Summarize(redirected)
	return res, nil
}

// benchClusterRoom is the room bench cluster measures.
const benchClusterRoom = 990001

// enterOnce enters user into the bench room through s and returns the
// client and the time from EnterRoom to OnEnterRoom.
func enterOnce(s *benchServer, user string) (*rtc.Cloud, time.Duration, error) {
	sig, err := s.sig(user)
	if err != nil {
		return nil, 0, err
	}
	l := &joinWaiter{done: make(chan int64, 1)}
	c := rtc.NewCloud(rtc.WithServer("ws" + strings.TrimPrefix(s.base, "http") + "/signal"))
	c.SetListener(l)
	start := time.Now()
	c.EnterRoom(rtc.Params{SDKAppID: s.sdkAppID, UserID: user, UserSig: sig, RoomID: benchClusterRoom, Role: rtc.RoleAnchor}, rtc.SceneVideoCall)
	select {
	case r := <-l.done:
		took := time.Since(start)
		if r <= 0 {
			c.Close()
			return nil, 0, fmt.Errorf("OnEnterRoom(%d)", r)
		}
		return c, took, nil
	case <-time.After(10 * time.Second):
		c.Close()
		return nil, 0, errors.New("no OnEnterRoom within 10 s")
	}
}

type joinWaiter struct {
	rtc.BaseListener
	done chan int64
}

func (w *joinWaiter) OnEnterRoom(result int64) {
	select {
	case w.done <- result:
	default:
	}
}

// startRedis runs redis-server on a free loopback port, persisting nothing.
func startRedis() (stop func(), addr string, err error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr = ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir, err := os.MkdirTemp("", "rtcengine-bench-redis-")
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), "Ready to accept connections") {
				ok = true
				ready <- true
			}
		}
		if !ok {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			stop()
			return nil, "", errors.New("redis-server exited before it was ready")
		}
	case <-time.After(10 * time.Second):
		stop()
		return nil, "", errors.New("redis-server not ready within 10 s")
	}
	return stop, addr, nil
}

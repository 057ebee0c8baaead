// Package netem proves rtcengine on a simulated bad network built from real
// kernel tools: every test makes its own network namespace joined to the
// test's (root) namespace by a veth pair, runs the real server binary inside
// it, and drives SDK clients from the test process over the veth. Loss comes
// from nftables (`numgen random mod 100 < N drop`), bandwidth caps from a
// tbf qdisc, delay, jitter and reordering from a userspace UDP relay
// (relay_test.go): this kernel has no netem qdisc. The tests need root.
//
// Everything a test creates is removed in t.Cleanup, also when it fails.
// Names carry the test process's pid, and a run first removes what a
// crashed earlier run left behind (namespaces of processes that are gone).
package netem

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// nsPrefix starts the name of every namespace this package creates; the
// pid of the creating process follows it (sweepStale).
const nsPrefix = "rtcnetem-"

var netSeq atomic.Uint32

// Net is one server namespace and the veth pair that joins it to the test.
// The host side (root namespace) has HostIP, the namespace side ServerIP,
// both in one /29 so that the host side can move to another address of it.
type Net struct {
	t        testing.TB
	NS       string     // namespace name
	Host     string     // veth end in the root namespace
	Peer     string     // veth end inside NS
	HostIP   netip.Addr // the test's address on the link
	ServerIP netip.Addr // the server's address
	prefix   netip.Prefix

	mu     sync.Mutex
	nftOn  bool
	capped map[string]bool // devices with a tbf qdisc
}

// run executes a command and fails the test with its output on error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// try executes a command and returns its error (cleanup paths).
func try(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

var sweepOnce sync.Once

// sweepStale deletes namespaces (and with them their veth pairs) left by
// test processes that no longer run.
func sweepStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, nsPrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == nil {
			continue // that run is still going
		}
		_ = try("ip", "netns", "pids", name) // best effort; deleting kills nothing
		_ = try("ip", "netns", "del", name)
	}
}

// NewNet creates a namespace and a veth pair with addresses, removed when
// the test ends.
func NewNet(t testing.TB) *Net {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("netem tests create network namespaces and need root (run them as root, e.g. in CI)")
	}
	sweepOnce.Do(sweepStale)
	seq := netSeq.Add(1)
	pid := os.Getpid()
	n := &Net{
		t:      t,
		NS:     fmt.Sprintf("%s%d-%d", nsPrefix, pid, seq),
		Host:   fmt.Sprintf("rn%d%da", pid%100000, seq%100),
		Peer:   fmt.Sprintf("rn%d%db", pid%100000, seq%100),
		capped: map[string]bool{},
	}
	n.prefix = n.freePrefix()
	base := n.prefix.Addr().As4()
	n.HostIP = netip.AddrFrom4([4]byte{base[0], base[1], base[2], base[3] + 1})
	n.ServerIP = netip.AddrFrom4([4]byte{base[0], base[1], base[2], base[3] + 2})
	t.Cleanup(n.remove)

	run(t, "ip", "netns", "add", n.NS)
	run(t, "ip", "link", "add", n.Host, "type", "veth", "peer", "name", n.Peer)
	run(t, "ip", "link", "set", n.Peer, "netns", n.NS)
	run(t, "ip", "addr", "add", n.cidr(n.HostIP), "dev", n.Host)
	run(t, "ip", "link", "set", n.Host, "up")
	n.in("ip", "addr", "add", n.cidr(n.ServerIP), "dev", n.Peer)
	n.in("ip", "link", "set", n.Peer, "up")
	n.in("ip", "link", "set", "lo", "up")
	return n
}

func (n *Net) cidr(a netip.Addr) string { return fmt.Sprintf("%s/%d", a, n.prefix.Bits()) }

// freePrefix picks a /29 of 10.250.0.0/16 that no interface of the root
// namespace uses yet.
func (n *Net) freePrefix() netip.Prefix {
	used := run(n.t, "ip", "-4", "-o", "addr", "show")
	start := (os.Getpid()*7 + int(netSeq.Load())*13) % 8192
	for i := range 8192 {
		k := (start + i) % 8192
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 250, byte(k >> 5), byte(k&31) * 8}), 29)
		if !blockUsed(used, p) {
			return p
		}
	}
	n.t.Fatal("no free /29 in 10.250.0.0/16")
	return netip.Prefix{}
}

func blockUsed(ipOutput string, p netip.Prefix) bool {
	for _, f := range strings.Fields(ipOutput) {
		pre, err := netip.ParsePrefix(f)
		if err == nil && pre.Addr().Is4() && p.Contains(pre.Addr()) {
			return true
		}
	}
	return false
}

// in runs a command inside the namespace.
func (n *Net) in(name string, args ...string) string {
	n.t.Helper()
	return run(n.t, "ip", append([]string{"netns", "exec", n.NS, name}, args...)...)
}

// Command returns a command that runs inside the namespace.
func (n *Net) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.NS, name}, args...)...)
}

func (n *Net) remove() {
	// Deleting the namespace deletes its veth end and so the pair; the
	// qdiscs and nftables tables go with their devices and namespace.
	if err := try("ip", "netns", "del", n.NS); err != nil {
		n.t.Logf("cleanup: %v", err)
	}
	if try("ip", "link", "show", n.Host) == nil {
		_ = try("ip", "link", "del", n.Host)
	}
}

// Direction selects which way an impairment applies.
type Direction uint8

const (
	Up   Direction = 1 << iota // test → server (the clients' uplink)
	Down                       // server → test (the clients' downlink)
	Both = Up | Down
)

// Loss drops percent % of the UDP datagrams crossing the link in dir, at
// random, with nftables in the namespace; 0 removes the rule. Signaling
// (TCP) is left alone so that the tests measure what the media path does.
func (n *Net) Loss(percent int, dir Direction) {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.nftOn {
		n.in("nft", "add", "table", "inet", "netem")
		n.in("nft", "add", "chain", "inet", "netem", "up", "{ type filter hook input priority 0 ; }")
		n.in("nft", "add", "chain", "inet", "netem", "down", "{ type filter hook output priority 0 ; }")
		n.nftOn = true
	}
	for _, c := range []struct {
		chain string
		d     Direction
		iface string
	}{{"up", Up, "iifname"}, {"down", Down, "oifname"}} {
		if dir&c.d == 0 {
			continue
		}
		n.in("nft", "flush", "chain", "inet", "netem", c.chain)
		if percent > 0 {
			n.in("nft", "add", "rule", "inet", "netem", c.chain, c.iface, n.Peer,
				"meta", "l4proto", "udp", "numgen", "random", "mod", "100", "<", strconv.Itoa(percent), "counter", "drop")
		}
	}
}

// Cap limits the link's rate in dir to kbps kbit/s with a token bucket
// filter (tbf) on the sending side's veth end; 0 removes the cap. The
// bucket holds 5 ms of traffic at the rate (at least two packets), and
// packets wait at most latency in its queue before being dropped.
func (n *Net) Cap(kbps int, dir Direction) {
	n.t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range []struct {
		d      Direction
		dev    string
		inside bool
	}{{Up, n.Host, false}, {Down, n.Peer, true}} {
		if dir&c.d == 0 {
			continue
		}
		tc := func(args ...string) {
			if c.inside {
				n.in("tc", args...)
			} else {
				run(n.t, "tc", args...)
			}
		}
		if n.capped[c.dev] {
			tc("qdisc", "del", "dev", c.dev, "root")
			n.capped[c.dev] = false
		}
		if kbps <= 0 {
			continue
		}
		burst := max(kbps*1000/8/200, 3000)
		tc("qdisc", "add", "dev", c.dev, "root", "tbf", "rate", fmt.Sprintf("%dkbit", kbps),
			"burst", strconv.Itoa(burst), "latency", "100ms")
		n.capped[c.dev] = true
	}
}

// LinkDown takes the link down (the host end; the other end loses carrier).
func (n *Net) LinkDown() { run(n.t, "ip", "link", "set", n.Host, "down") }

// LinkUp brings the link back.
func (n *Net) LinkUp() { run(n.t, "ip", "link", "set", n.Host, "up") }

// Readdress moves the host end to another address of the link's block (a
// network change: the old address, and every socket bound to it, is gone).
func (n *Net) Readdress() netip.Addr {
	n.t.Helper()
	next := n.HostIP.Next()
	if next == n.ServerIP {
		next = next.Next()
	}
	b := n.prefix.Addr().As4()
	if last := netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3] + 6}); next.Compare(last) > 0 {
		n.t.Fatalf("no address left in %v", n.prefix)
	}
	run(n.t, "ip", "addr", "del", n.cidr(n.HostIP), "dev", n.Host)
	run(n.t, "ip", "addr", "add", n.cidr(next), "dev", n.Host)
	n.HostIP = next
	return next
}

// QdiscStats returns `tc -s qdisc` of the veth end that sends in dir.
func (n *Net) QdiscStats(dir Direction) string {
	if dir == Down {
		return n.in("tc", "-s", "qdisc", "show", "dev", n.Peer)
	}
	return run(n.t, "tc", "-s", "qdisc", "show", "dev", n.Host)
}

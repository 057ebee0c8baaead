package main

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/rtcengine/rtcengine/internal/cluster"
)

func TestClusterStatusBadInput(t *testing.T) {
	// A Redis address nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"cluster"}, 2, "usage: rtcengine cluster status"},
		{"unknown subcommand", []string{"cluster", "drain"}, 2, "usage: rtcengine cluster status"},
		{"no redis", []string{"cluster", "status"}, 2, "--redis"},
		{"bad redis URL", []string{"cluster", "status", "--redis", "redis://%zz"}, 2, "redis address"},
		{"unknown flag", []string{"cluster", "status", "--nope"}, 2, "flag provided but not defined"},
		{"redis unreachable", []string{"cluster", "status", "--redis", dead}, 1, "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RTCENGINE_REDIS", "")
			var out, errb bytes.Buffer
			if code := run(tt.args, &out, &errb); code != tt.code || !strings.Contains(errb.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errb.String(), tt.code, tt.want)
			}
		})
	}
}

func TestClusterStatusTable(t *testing.T) {
	st := cluster.Status{
		Verified: true,
		Nodes: []cluster.NodeStatus{{NodeInfo: cluster.NodeInfo{ID: "node-1", URL: "http://10.0.0.11:7880", Media: "10.0.0.11:7882",
			Load: cluster.Load{Rooms: 3, Users: 12, BitrateBps: 2_500_000, CPU: 0.25}, Started: 1000, Updated: 61000}, Leases: 3}},
		Leases: map[cluster.NodeID]int{"node-1": 3, "gone": 2},
		Forged: []cluster.NodeID{"evil"},
	}
	var b bytes.Buffer
	printStatus(&b, st)
	for _, want := range []string{"node-1", "http://10.0.0.11:7880", "2.50 Mbps", "1m0s", "2 room lease(s) of gone", `registration "evil" does not verify`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status table lacks %q:\n%s", want, b.String())
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rtcengine/rtcengine/internal/cluster"
)

// The status shows each node's user cap: a number, or "-" for none in the
// table, and always a maxUsers field in JSON.
func TestClusterStatusMaxUsers(t *testing.T) {
	st := cluster.Status{Verified: true, Nodes: []cluster.NodeStatus{
		{NodeInfo: cluster.NodeInfo{ID: "capped", URL: "http://10.0.0.11:7880", Media: "10.0.0.11:7882", Started: 1000, Updated: 2000}, MaxUsers: 40},
		{NodeInfo: cluster.NodeInfo{ID: "open", URL: "http://10.0.0.12:7880", Media: "10.0.0.12:7882", Started: 1000, Updated: 2000}},
	}}
	var b bytes.Buffer
	printStatus(&b, st)
	lines := strings.Split(b.String(), "\n")
	cols := func(i int) []string { return strings.Fields(lines[i]) }
	if len(lines) < 3 || cols(0)[5] != "MAXUSERS" || cols(1)[5] != "40" || cols(2)[5] != "-" {
		t.Fatalf("status table without the MAXUSERS column 40 and -:\n%s", b.String())
	}
	j, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Nodes []map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if back.Nodes[0]["maxUsers"] != float64(40) || back.Nodes[1]["maxUsers"] != float64(0) {
		t.Fatalf("JSON maxUsers %v and %v, want 40 and 0: %s", back.Nodes[0]["maxUsers"], back.Nodes[1]["maxUsers"], j)
	}
}

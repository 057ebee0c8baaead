package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rtcengine/rtcengine/internal/cluster"
)

// clusterCmd runs "rtcengine cluster status".
func clusterCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(stderr, "usage: rtcengine cluster status --redis ADDR [--redis-password P] [--redis-db N] [--redis-tls] [--cluster-secret S] [--json]")
		return 2
	}
	fs := flag.NewFlagSet("cluster status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("redis", os.Getenv("RTCENGINE_REDIS"), "Redis `address` of the cluster (env RTCENGINE_REDIS)")
	password := fs.String("redis-password", os.Getenv("RTCENGINE_REDIS_PASSWORD"), "Redis `password` (env RTCENGINE_REDIS_PASSWORD)")
	db := fs.Int("redis-db", 0, "Redis database `number`")
	useTLS := fs.Bool("redis-tls", false, "speak TLS to Redis")
	secret := fs.String("cluster-secret", os.Getenv("RTCENGINE_CLUSTER_SECRET"), "verify registrations with this `secret` (env RTCENGINE_CLUSTER_SECRET)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *addr == "" {
		fmt.Fprintln(stderr, "rtcengine cluster status: --redis (or RTCENGINE_REDIS) is required")
		return 2
	}
	opt, err := cluster.RedisOptions(*addr, *password, *db, *useTLS)
	if err != nil {
		fmt.Fprintf(stderr, "rtcengine cluster status: %v\n", err)
		return 2
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var key []byte
	if *secret != "" {
		key = []byte(*secret)
	}
	st, err := cluster.ReadStatus(ctx, rdb, key)
	if err != nil {
		fmt.Fprintf(stderr, "rtcengine cluster status: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
		return 0
	}
	printStatus(stdout, st)
	return 0
}

func printStatus(w io.Writer, st cluster.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tURL\tMEDIA\tROOMS\tUSERS\tMAXUSERS\tLEASES\tBITRATE\tCPU\tUPTIME")
	for _, n := range st.Nodes {
		up := time.Duration(n.Updated-n.Started) * time.Millisecond
		maxUsers := "-" // no cap
		if n.MaxUsers > 0 {
			maxUsers = strconv.Itoa(n.MaxUsers)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\t%s\t%.2f\t%s\n", n.ID, n.URL, n.Media, n.Load.Rooms, n.Load.Users, maxUsers, n.Leases,
			strconv.FormatFloat(float64(n.Load.BitrateBps)/1e6, 'f', 2, 64)+" Mbps", n.Load.CPU, up.Truncate(time.Second))
	}
	tw.Flush()
	registered := map[cluster.NodeID]bool{}
	for _, n := range st.Nodes {
		registered[n.ID] = true
	}
	for id, c := range st.Leases {
		if !registered[id] {
			fmt.Fprintf(w, "%d room lease(s) of %s, which is not registered (they expire unless it comes back)\n", c, id)
		}
	}
	for _, id := range st.Forged {
		fmt.Fprintf(w, "WARNING: registration %q does not verify with the cluster secret: ignored by the nodes\n", id)
	}
	if !st.Verified {
		fmt.Fprintln(w, "(registrations not verified: pass --cluster-secret to check them)")
	}
}

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/rtcengine/rtcengine/internal/bench"
)

// startEdges starts n edge servers as child processes, links them to the
// origin (cfg.Server, a child too) through the development endpoint
// POST /dev/relay with a fresh cluster secret, has each mirror room, and
// adds them to cfg.Edges. The returned function stops them.
func startEdges(cfg *bench.MediaConfig, n int, room uint32, stderr io.Writer) (stop func(), err error) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	secret := hex.EncodeToString(b[:])
	var started []*benchServer
	stop = func() {
		for _, s := range started {
			s.stop()
		}
	}
	if err := devRelay(cfg.Server, map[string]string{"node": "origin", "secret": secret}); err != nil {
		return stop, fmt.Errorf("origin: %w", err)
	}
	for i := range n {
		s, err := startBenchServer("", 0, "", "error", stderr)
		if err != nil {
			stop()
			return func() {}, err
		}
		started = append(started, s)
		err = devRelay(s.base, map[string]string{
			"node": fmt.Sprintf("edge-%d", i+1), "secret": secret,
			"origin": cfg.Server, "room": fmt.Sprintf("%d/%d", cfg.SDKAppID, room),
		})
		if err != nil {
			stop()
			return func() {}, fmt.Errorf("edge %d: %w", i+1, err)
		}
		cfg.Edges = append(cfg.Edges, bench.Edge{Server: s.base, CPU: s.cpu()})
	}
	return stop, nil
}

// devRelay posts a relay setting to a development-mode server.
func devRelay(base string, body map[string]string) error {
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/dev/relay", "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("POST /dev/relay: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

// Package bench holds rtcengine's load generators and their reports. The
// benchmarks drive a server through the public SDK, exactly as users do.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Percentile returns the p-th percentile (0..100) of sorted durations.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1)*p/100 + 0.5)
	return sorted[min(i, len(sorted)-1)]
}

// Latencies summarises a sample.
type Latencies struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// Summarize sorts d and computes its percentiles in milliseconds.
func Summarize(d []time.Duration) Latencies {
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	if len(d) == 0 {
		return Latencies{}
	}
	return Latencies{N: len(d), P50: ms(Percentile(d, 50)), P95: ms(Percentile(d, 95)), P99: ms(Percentile(d, 99)), Max: ms(d[len(d)-1])}
}

// Memory is a server's memory as its debug endpoint or metrics report it.
type Memory struct {
	HeapInuse  uint64 `json:"heapInuse"`
	StackInuse uint64 `json:"stackInuse"`
	Goroutines int    `json:"goroutines"`
	RSS        uint64 `json:"rss"`
	Exact      bool   `json:"exact"` // after a forced GC (development endpoint)
}

// Used is the memory the Go runtime holds for live objects and stacks.
func (m Memory) Used() uint64 { return m.HeapInuse + m.StackInuse }

// ReadMemory asks a server for its memory: the development endpoint
// /debug/memory (after a GC) when it exists, else /metrics.
func ReadMemory(base string) (Memory, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	if resp, err := c.Get(base + "/debug/memory"); err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			var m Memory
			if err := json.NewDecoder(resp.Body).Decode(&m); err == nil {
				m.Exact = true
				return m, nil
			}
		}
	}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return Memory{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m Memory
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "go_memstats_heap_inuse_bytes":
			m.HeapInuse = uint64(v)
		case "go_memstats_stack_inuse_bytes":
			m.StackInuse = uint64(v)
		case "go_goroutines":
			m.Goroutines = int(v)
		case "process_resident_memory_bytes":
			m.RSS = uint64(v)
		}
	}
	if m.HeapInuse == 0 {
		return m, fmt.Errorf("no memory metrics at %s", base)
	}
	return m, nil
}

// Progress draws a one-line progress bar on w (a terminal or a log).
type Progress struct {
	w     io.Writer
	label string
	total int
	last  time.Time
}

func NewProgress(w io.Writer, label string, total int) *Progress {
	return &Progress{w: w, label: label, total: total}
}

// Set redraws at most every 100 ms, and always at the end.
func (p *Progress) Set(n int) {
	if n < p.total && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	filled := width * n / max(p.total, 1)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), n, p.total)
	if n >= p.total {
		fmt.Fprintln(p.w)
	}
}

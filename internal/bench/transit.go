package bench

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The server's own share of the latency: the histogram
// rtcengine_media_transit_seconds on its /metrics (internal/sfu/transit.go:
// from the publisher's packet read to the subscriber's copy handed to the
// socket). Read before and after the window; the difference gives the
// window's packets.

// TransitSummary is the server transit time of the packets forwarded in
// the window, in milliseconds. P50 and P99 are interpolated within the
// histogram's buckets (as Prometheus' histogram_quantile does), so they
// are as fine as its bounds: 25 µs … 100 ms.
type TransitSummary struct {
	Packets uint64  `json:"packets"`
	Mean    float64 `json:"mean_ms"`
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
}

// transitSnapshot is the cumulative histogram as scraped.
type transitSnapshot struct {
	bounds []float64 // seconds, ascending; the last is +Inf
	cum    []float64
	sum    float64
	count  float64
}

// readTransit scrapes the transit histogram from base's /metrics.
func readTransit(base string) (transitSnapshot, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return transitSnapshot{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return transitSnapshot{}, err
	}
	return parseTransit(string(body))
}

// parseTransit reads the histogram's lines from a Prometheus text page.
func parseTransit(page string) (transitSnapshot, error) {
	const name = "rtcengine_media_transit_seconds"
	type bucket struct{ le, n float64 }
	var bs []bucket
	var s transitSnapshot
	found := false
	for _, line := range strings.Split(page, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(f[0], name+`_bucket{le="`):
			le, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(f[0], name+`_bucket{le="`), `"}`), 64)
			if err != nil {
				return s, fmt.Errorf("bench: transit bucket %q: %w", f[0], err)
			}
			bs = append(bs, bucket{le, v})
		case f[0] == name+"_sum":
			s.sum = v
		case f[0] == name+"_count":
			s.count, found = v, true
		}
	}
	if !found || len(bs) == 0 {
		return s, fmt.Errorf("bench: no %s on the server's /metrics", name)
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	for _, b := range bs {
		s.bounds = append(s.bounds, b.le)
		s.cum = append(s.cum, b.n)
	}
	return s, nil
}

// summarizeTransit is the window's summary: after − before.
func summarizeTransit(before, after transitSnapshot) (TransitSummary, bool) {
	if len(before.cum) != len(after.cum) {
		return TransitSummary{}, false
	}
	n := after.count - before.count
	if n <= 0 {
		return TransitSummary{}, false
	}
	cum := make([]float64, len(after.cum))
	for i := range cum {
		cum[i] = after.cum[i] - before.cum[i]
	}
	q := func(p float64) float64 {
		rank := p * n
		lo, prev := 0.0, 0.0
		for i, c := range cum {
			if c >= rank {
				hi := after.bounds[i]
				if math.IsInf(hi, 1) { // the last finite bound is all we know
					return lo * 1000
				}
				if c == prev {
					return hi * 1000
				}
				return (lo + (hi-lo)*(rank-prev)/(c-prev)) * 1000
			}
			lo, prev = after.bounds[i], c
		}
		return lo * 1000
	}
	return TransitSummary{
		Packets: uint64(n),
		Mean:    round3((after.sum - before.sum) / n * 1000),
		P50:     round3(q(0.50)),
		P99:     round3(q(0.99)),
	}, true
}

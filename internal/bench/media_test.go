package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
		slack   time.Duration // half a bucket
	}{
		{"empty", nil, 50, 0, 0},
		{"one sample is every percentile", []time.Duration{3 * time.Millisecond}, 99, 3 * time.Millisecond, 0},
		{"median of 1..100 ms", ramp(100, time.Millisecond), 50, 50 * time.Millisecond, 50 * time.Microsecond},
		{"p99 of 1..100 ms", ramp(100, time.Millisecond), 99, 99 * time.Millisecond, 50 * time.Microsecond},
		{"p100 is the maximum", ramp(100, time.Millisecond), 100, 100 * time.Millisecond, 0},
		{"fine buckets below 10 ms", ramp(1000, 7*time.Microsecond), 50, 3500 * time.Microsecond, 5 * time.Microsecond},
		{"seconds land in coarse buckets", ramp(10, time.Second/2), 50, 2500 * time.Millisecond, 500 * time.Microsecond},
		{"beyond 10 s clamps to the maximum", []time.Duration{20 * time.Second}, 50, 20 * time.Second, 0},
		{"negative counts as zero", []time.Duration{-time.Millisecond}, 50, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, d := range tt.samples {
				h.Record(d)
			}
			got := h.Quantile(tt.p)
			if diff := got - tt.want; diff > tt.slack || diff < -tt.slack {
				t.Fatalf("Quantile(%v) = %v, want %v ± %v", tt.p, got, tt.want, tt.slack)
			}
		})
	}
}

func ramp(n int, step time.Duration) []time.Duration {
	d := make([]time.Duration, n)
	for i := range d {
		d[i] = time.Duration(i+1) * step
	}
	rand.Shuffle(len(d), func(i, j int) { d[i], d[j] = d[j], d[i] })
	return d
}

func TestBucketsCoverEveryDuration(t *testing.T) {
	for i := range histBuckets - 1 {
		lo, w := bucketRange(i)
		if bucketOf(lo) != i || bucketOf(lo+w-1) != i || bucketOf(lo+w) != i+1 {
			t.Fatalf("bucket %d [%v, %v) does not map back", i, lo, lo+w)
		}
	}
}

func TestHistogramMergeAndSummary(t *testing.T) {
	var v, a, all Histogram
	for i := range 90 {
		v.Record(time.Duration(i+1) * 100 * time.Microsecond) // 0.1 .. 9 ms
	}
	for range 10 {
		a.Record(40 * time.Millisecond)
	}
	all.Merge(&v)
	all.Merge(&a)
	s := all.Summary()
	if s.N != 100 || s.Max != 40 || s.P99 < 39.9 || s.P99 > 40.1 {
		t.Fatalf("summary %+v: want n 100, p99 and max 40 ms", s)
	}
	if s.P50 < 4.9 || s.P50 > 5.1 {
		t.Fatalf("p50 %v, want 5 ms", s.P50)
	}
	if v.Summary().Max != 9 || (&Histogram{}).Summary() != (LatencySummary{}) {
		t.Fatal("merge changed its source, or an empty summary is not zero")
	}
	var m Histogram
	m.Record(2 * time.Millisecond)
	m.Merge(&a)
	if m.minimum() != 2*time.Millisecond {
		t.Fatalf("merged minimum %v, want 2ms", m.minimum())
	}
}

func TestStampRoundTrip(t *testing.T) {
	filler := fillerBytes()
	s := Stamp{Publisher: 7, Seq: 123456, Sent: 98765 * time.Microsecond}
	for _, key := range []bool{true, false} {
		f := VideoFrame(s, key, 6000, filler)
		if len(f) != 6000 {
			t.Fatalf("frame size %d", len(f))
		}
		if gotKey := f[0]&1 == 0; gotKey != key {
			t.Fatalf("keyframe bit %v, want %v", gotKey, key)
		}
		got, ok := ParseStamp(f, true)
		if !ok || got.Seq != s.Seq || got.Publisher != s.Publisher || got.Sent != s.Sent || got.Kind != kindVideo {
			t.Fatalf("video stamp %+v %v, want %+v", got, ok, s)
		}
	}
	a := AudioPacket(s, audioSize(), filler)
	if a[0] != opusTOC || len(a) != 125 {
		t.Fatalf("opus packet: toc %#x, %d bytes", a[0], len(a))
	}
	if got, ok := ParseStamp(a, false); !ok || got.Kind != kindAudio || got.Seq != s.Seq {
		t.Fatalf("audio stamp %+v %v", got, ok)
	}
	for _, bad := range [][]byte{nil, {0x11}, []byte("\x11\x02\x00XXXX0123456789012345")} {
		if _, ok := ParseStamp(bad, true); ok {
			t.Fatalf("ParseStamp(%q) accepted", bad)
		}
	}
}

func TestSyntheticRates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var bytes, keys int
	for n := range uint32(videoFPS * 60) {
		size, key := frameSize(n, r)
		bytes += size
		if key {
			keys++
		}
	}
	if kbps := bytes * 8 / 60 / 1000; kbps < 1400 || kbps > 1600 {
		t.Fatalf("video %d kbps, want about 1500", kbps)
	}
	if keys != 30 {
		t.Fatalf("%d keyframes in 60 s, want one every 2 s", keys)
	}
	if VP8Packets(1) != 1 || VP8Packets(vp8MaxFragment) != 1 || VP8Packets(vp8MaxFragment+1) != 2 {
		t.Fatal("VP8Packets does not split at the SDK's fragment size")
	}
}

func TestWindowAccounting(t *testing.T) {
	w := newWindow()
	var hist [2]Histogram
	rc := &receiver{w: w, hist: &hist, streams: make([][2]recvStream, 1), ready: make([]atomic.Uint32, 1), expect: []bool{true}}
	filler := fillerBytes()
	send := func(seq uint32, sent time.Duration) {
		rc.got(VideoFrame(Stamp{Seq: seq, Sent: sent}, seq == 0, 3000, filler), kindVideo)
	}
	send(0, 0) // before the window: readiness only
	if rc.ready[0].Load() != 1<<kindVideo {
		t.Fatal("video not marked ready")
	}
	w.from.Store(int64(10 * time.Millisecond))
	w.to.Store(int64(time.Second))
	send(1, 20*time.Millisecond)
	send(1, 20*time.Millisecond) // a duplicate
	send(3, 30*time.Millisecond) // 2 lost
	send(2, 25*time.Millisecond) // late, behind 3: the SDK would not deliver it
	send(4, 2*time.Second)       // after the window
	st := &rc.streams[0][kindVideo]
	if st.frames != 2 || st.packets != 2*uint64(VP8Packets(3000)) {
		t.Fatalf("counted %d frames, %d packets; want 2 and %d", st.frames, st.packets, 2*VP8Packets(3000))
	}
	if hist[kindVideo].Count() != 2 {
		t.Fatalf("%d latency samples, want 2", hist[kindVideo].Count())
	}
	w.closed.Store(true)
	send(5, 500*time.Millisecond)
	if st.frames != 2 {
		t.Fatal("counted a frame after the window closed")
	}
}

func TestParseProcStat(t *testing.T) {
	line := []byte("4242 (rtc engine) (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 12 0 100 0 0\n")
	got, err := parseProcStat(line)
	if err != nil || got != 3250*time.Millisecond {
		t.Fatalf("parseProcStat = %v, %v; want 3.25s", got, err)
	}
	if _, err := parseProcStat([]byte("garbage")); err == nil {
		t.Fatal("accepted garbage")
	}
}

func TestRampSVGIsValidXML(t *testing.T) {
	steps := []MediaResult{}
	for i, n := range []int{10, 25, 50, 100, 150} {
		steps = append(steps, MediaResult{
			Subscribers: n, CPUPerPacketUs: 20 - float64(i)*3,
			VideoLatency: LatencySummary{P50: 0.5 + float64(i), P99: 2 + float64(i*i*10)},
			AudioLatency: LatencySummary{P50: 0.4, P99: 1 + float64(i)},
		})
	}
	for _, rr := range []RampResult{{Steps: steps, Capacity: 100, FailedAt: 150}, {}} {
		svg := RampSVG(rr)
		dec := xml.NewDecoder(bytes.NewReader(svg))
		var root string
		polylines := 0
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("invalid XML: %v\n%s", err, svg)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if root == "" {
					root = se.Name.Local
				}
				if se.Name.Local == "polyline" {
					polylines++
				}
			}
		}
		if root != "svg" {
			t.Fatalf("root element %q", root)
		}
		if want := 4 * min(len(rr.Steps), 1); polylines != want {
			t.Fatalf("%d polylines, want %d", polylines, want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{{0.3, 0.5}, {1, 1}, {1.2, 2}, {3, 5}, {7, 10}, {42, 50}} {
		if got := niceStep(tt.in); got != tt.want {
			t.Errorf("niceStep(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := linTicks(0, 200); len(got) != 5 || got[4] != 200 {
		t.Errorf("linTicks(0, 200) = %v", got)
	}
}

func TestSummarizeTransit(t *testing.T) {
	page := func(b1, b2, inf, sum float64) string {
		return fmt.Sprintf(`# TYPE rtcengine_media_transit_seconds histogram
rtcengine_media_transit_seconds_bucket{le="0.001"} %g
rtcengine_media_transit_seconds_bucket{le="0.002"} %g
rtcengine_media_transit_seconds_bucket{le="+Inf"} %g
rtcengine_media_transit_seconds_sum %g
rtcengine_media_transit_seconds_count %g
`, b1, b2, inf, sum, inf)
	}
	before, err := parseTransit(page(10, 10, 10, 0.005))
	if err != nil {
		t.Fatal(err)
	}
	// The window: 100 packets, 50 up to 1 ms, 49 in (1, 2] ms, 1 beyond.
	after, err := parseTransit(page(60, 109, 110, 0.005+0.1))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := summarizeTransit(before, after)
	want := TransitSummary{Packets: 100, Mean: 1, P50: 1, P99: 2}
	if !ok || s != want {
		t.Fatalf("summary %+v, want %+v", s, want)
	}
	if _, err := parseTransit("process_cpu_seconds_total 3\n"); err == nil {
		t.Fatal("a page without the histogram parsed")
	}
}

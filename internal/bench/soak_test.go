package bench

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestSoakVerdict(t *testing.T) {
	steady := func(perUser float64) []SoakSample {
		var s []SoakSample
		for i := range 20 {
			in := 45 + i%6
			s = append(s, SoakSample{Seconds: float64(15 * (i + 1)), InRoom: in, HeapMiB: perUser * float64(in), Goroutines: 48 * in})
		}
		return s
	}
	leaking := steady(4)
	for i := range leaking {
		leaking[i].HeapMiB *= 1 + 0.02*float64(i) // +2 % per sample
	}
	mib := uint64(1 << 20)
	for _, tc := range []struct {
		name    string
		r       SoakResult
		flat    bool
		growthL float64
		growthH float64
	}{
		{"steady", SoakResult{Samples: steady(4), Before: Memory{HeapInuse: 6 * mib, Goroutines: 13}, After: Memory{HeapInuse: 10 * mib, Goroutines: 13}}, true, -0.01, 0.01},
		{"memory left behind", SoakResult{Samples: steady(4), Before: Memory{HeapInuse: 6 * mib, Goroutines: 13}, After: Memory{HeapInuse: 30 * mib, Goroutines: 13}}, false, -0.01, 0.01},
		{"goroutines left behind", SoakResult{Samples: steady(4), Before: Memory{HeapInuse: 6 * mib, Goroutines: 13}, After: Memory{HeapInuse: 7 * mib, Goroutines: 60}}, false, -0.01, 0.01},
		{"growing", SoakResult{Samples: leaking, Before: Memory{HeapInuse: 6 * mib, Goroutines: 13}, After: Memory{HeapInuse: 7 * mib, Goroutines: 13}}, false, 0.1, 0.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Flat(); got != tc.flat {
				t.Errorf("Flat() = %v, want %v (left %.1f MiB, growth %.3f)", got, tc.flat, tc.r.HeapLeftMiB(), tc.r.Growth())
			}
			if g := tc.r.Growth(); g < tc.growthL || g > tc.growthH {
				t.Errorf("Growth() = %.3f, want %.2f..%.2f", g, tc.growthL, tc.growthH)
			}
		})
	}
	line := []SoakSample{{Seconds: 0, HeapMiB: 1}, {Seconds: 10, HeapMiB: 2}, {Seconds: 20, HeapMiB: 3}}
	if s := slope(line, func(s SoakSample) float64 { return s.HeapMiB }); math.Abs(s-0.1) > 1e-9 {
		t.Errorf("slope %v, want 0.1", s)
	}
}

// A remote video that has been available for soakSilence without a frame
// is a failure; one that delivered, went away, or is younger is not.
func TestSoakVideoSilence(t *testing.T) {
	var res soakCounters
	st := &soakStay{u: &soakUser{id: "me", res: &res}, since: map[string]time.Time{}, seen: map[string]bool{}}
	for _, u := range []string{"silent", "talking", "gone", "new"} {
		st.OnUserVideoAvailable(u, true)
	}
	long := time.Now().Add(-soakSilence - time.Second)
	st.since["silent"], st.since["talking"], st.since["gone"] = long, long, long
	st.OnRenderVideoFrame("talking", 0, nil)
	st.OnUserVideoAvailable("gone", false)
	st.checkVideo()
	if got := res.failures.Load(); got != 1 || len(res.errors) != 1 || !strings.Contains(res.errors[0], "no video from silent") {
		t.Fatalf("%d failures: %v", got, res.errors)
	}
	if res.frames.Load() != 1 {
		t.Fatalf("frames %d, want 1", res.frames.Load())
	}
}

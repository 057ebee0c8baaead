package rtc

import (
	"testing"
	"time"
)

func TestRateNetwork(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name        string
		loss        float64
		rtt, jitter time.Duration
		want        Quality
	}{
		{"clean loopback", 0, 0, 0, QualityExcellent},
		{"just under excellent", 0.9, 99 * ms, 29 * ms, QualityExcellent},
		{"1% loss", 1, 10 * ms, 0, QualityGood},
		{"150 ms rtt", 0, 150 * ms, 0, QualityGood},
		{"5% loss", 5, 10 * ms, 0, QualityPoor},
		{"60 ms jitter", 0, 10 * ms, 60 * ms, QualityPoor},
		{"10% loss", 10, 10 * ms, 0, QualityBad},
		{"500 ms rtt", 0, 500 * ms, 0, QualityBad},
		{"30% loss", 30, 10 * ms, 0, QualityVbad},
		{"1 s rtt", 0, time.Second, 0, QualityVbad},
		{"worst metric wins", 0.5, 450 * ms, 10 * ms, QualityBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rateNetwork(tc.loss, tc.rtt, tc.jitter); got != tc.want {
				t.Errorf("rateNetwork(%v, %v, %v) = %v, want %v", tc.loss, tc.rtt, tc.jitter, got, tc.want)
			}
		})
	}
}

func TestVolumeLevelRoundTrip(t *testing.T) {
	if volumeToLevel(0) != 127 || volumeToLevel(100) != 0 || levelToVolume(127) != 0 || levelToVolume(0) != 100 {
		t.Fatalf("ends: %d %d %d %d", volumeToLevel(0), volumeToLevel(100), levelToVolume(127), levelToVolume(0))
	}
	for v := 0; v <= 100; v++ {
		b := audioLevelByte(v)
		if got := levelToVolume(b); got < v-1 || got > v+1 {
			t.Errorf("volume %d → level %d → volume %d", v, b&0x7f, got)
		}
		if (b&0x80 != 0) != (v > 0) {
			t.Errorf("volume %d: V flag %v", v, b&0x80 != 0)
		}
	}
}

func TestFlowMeterVolume(t *testing.T) {
	var f flowMeter
	if v := f.takeVolume(); v != -1 {
		t.Fatalf("empty meter volume %d", v)
	}
	f.noteVolume(30)
	f.noteVolume(70)
	f.noteVolume(0)
	if v := f.takeVolume(); v != 70 {
		t.Fatalf("loudest %d, want 70", v)
	}
	if v := f.takeVolume(); v != -1 {
		t.Fatalf("taken twice: %d", v)
	}
}

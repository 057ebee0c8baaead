package proto

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func validUser(s string) error {
	if s == "" || len(s) > 32 || strings.ContainsAny(s, " /") {
		return errors.New("bad user id")
	}
	return nil
}

func TestReportValidate(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		wantErr error
	}{
		{"empty", `{}`, nil},
		{"full", `{"appCpu":3.5,"sysCpu":40,"rtt":12,
			"up":{"audio":{"bps":32000,"loss":0},"video":{"bps":1200000,"fps":30,"capFps":30,"width":640,"height":360,"loss":1}},
			"down":[{"userId":"bob","audio":{"bps":24000,"loss":2,"block":0},"video":{"bps":800000,"fps":25,"width":640,"height":360,"loss":3,"block":120}}]}`, nil},
		{"cpu over 100", `{"appCpu":101}`, ErrReportInvalid},
		{"negative cpu", `{"sysCpu":-1}`, ErrReportInvalid},
		{"negative rtt", `{"rtt":-1}`, ErrReportInvalid},
		{"up names a user", `{"up":{"userId":"me"}}`, ErrReportInvalid},
		{"loss over 100", `{"up":{"audio":{"bps":1,"loss":101}}}`, ErrReportInvalid},
		{"negative bitrate", `{"up":{"video":{"bps":-5,"fps":1,"loss":0}}}`, ErrReportInvalid},
		{"fps absurd", `{"up":{"video":{"bps":5,"fps":5000,"loss":0}}}`, ErrReportInvalid},
		{"capFps absurd", `{"up":{"video":{"bps":5,"fps":5,"capFps":-1,"loss":0}}}`, ErrReportInvalid},
		{"width absurd", `{"down":[{"userId":"b","video":{"bps":5,"fps":5,"width":20000,"loss":0}}]}`, ErrReportInvalid},
		{"block absurd", `{"down":[{"userId":"b","audio":{"bps":5,"loss":0,"block":-3}}]}`, ErrReportInvalid},
		{"down without user", `{"down":[{"audio":{"bps":5,"loss":0}}]}`, ErrReportInvalid},
		{"down with a bad user", `{"down":[{"userId":"a b"}]}`, ErrReportInvalid},
		{"down repeats a user", `{"down":[{"userId":"b"},{"userId":"b"}]}`, ErrReportInvalid},
		{"too many peers", peers(MaxReportPeers + 1), ErrReportTooLarge},
		{"as many peers as allowed", peers(MaxReportPeers), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Report
			if err := json.Unmarshal([]byte(tt.data), &r); err != nil {
				t.Fatal(err)
			}
			err := r.Validate(validUser)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func peers(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"userId":"u%d","audio":{"bps":24000,"loss":0}}`, i)
	}
	return `{"down":[` + strings.Join(parts, ",") + `]}`
}

// TestReportSizeLimit: a report at its largest valid content (every peer
// with every field, longest user ids and values) fits in MaxReportBytes.
func TestReportSizeLimit(t *testing.T) {
	v, cpu := 1000, 100.0
	video := &ReportVideo{Bitrate: maxBitrate, Fps: maxFps, CapFps: &v, Width: maxDimension, Height: maxDimension, Loss: 100, Block: &v}
	audio := &ReportAudio{Bitrate: maxBitrate, Loss: 100, Block: &v}
	r := Report{AppCPU: &cpu, SysCPU: &cpu, RTT: maxRTTms, Up: &ReportPath{Audio: audio, Video: video}}
	for i := range MaxReportPeers {
		r.Down = append(r.Down, ReportPath{UserID: fmt.Sprintf("%032d", i), Audio: audio, Video: video})
	}
	b, _ := json.Marshal(r)
	if err := r.Validate(validUser); err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxReportBytes {
		t.Fatalf("a valid report of %d peers is %d bytes, over MaxReportBytes %d", MaxReportPeers, len(b), MaxReportBytes)
	}
	t.Logf("largest valid report: %d bytes", len(b))
}

// FuzzReport decodes and validates arbitrary report data: never a panic,
// and what validates re-encodes to a report that validates again.
func FuzzReport(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"appCpu":3.5,"rtt":12,"up":{"audio":{"bps":32000,"loss":0}}}`,
		`{"down":[{"userId":"bob","video":{"bps":1,"fps":2,"width":3,"height":4,"loss":5,"block":6}}]}`,
		`{"down":null,"up":null}`, `{"appCpu":1e400}`, `[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := Message{Type: TypeReport, Data: data}
		var r Report
		if err := DecodeData(m, &r); err != nil {
			return
		}
		if r.Validate(validUser) != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again Report
		if err := json.Unmarshal(b, &again); err != nil || again.Validate(validUser) != nil {
			t.Fatalf("valid report %s does not survive a round trip: %v", b, err)
		}
	})
}

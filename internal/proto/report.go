package proto

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// TypeReport is the quality report an SDK sends while in a room, after
// each statistics interval (docs/protocol.md, "Quality reports"). It is a
// notification: no response unless the frame carries an id. The server
// stores it as the samples DescribeCallDetailInfo returns.
const TypeReport = "report"

// Limits of a report.
const (
	// MaxReportBytes bounds a report's data; larger ones are refused.
	MaxReportBytes = 8192
	// MaxReportPeers bounds the remote users of one report.
	MaxReportPeers = 32
	// MinReportInterval is the least time between two reports of one
	// connection; one that comes sooner is ignored. SDKs report every 2 s.
	MinReportInterval = time.Second
)

// Report is one statistics interval of one client: its own uplink and, per
// remote user, what it received. A section is absent when there was
// nothing to measure (no audio published, no video received…).
type Report struct {
	// AppCPU and SysCPU are the application's and the whole system's CPU
	// use, in % of the machine (all cores), when the SDK can measure them.
	AppCPU *float64 `json:"appCpu,omitempty"`
	SysCPU *float64 `json:"sysCpu,omitempty"`
	// RTT is the round trip to the server, ms.
	RTT  int          `json:"rtt,omitempty"`
	Up   *ReportPath  `json:"up,omitempty"`
	Down []ReportPath `json:"down,omitempty"`
}

// ReportPath is the media of one direction: the sender's uplink (UserID
// empty) or what it received from UserID.
type ReportPath struct {
	UserID string       `json:"userId,omitempty"`
	Audio  *ReportAudio `json:"audio,omitempty"`
	Video  *ReportVideo `json:"video,omitempty"` // the camera stream (big, or small when that is what is received)
}

// ReportAudio is one audio stream over the interval.
type ReportAudio struct {
	Bitrate int  `json:"bps"`             // bits per second
	Loss    int  `json:"loss"`            // packet loss, %
	Block   *int `json:"block,omitempty"` // stutter, ms, when measured
}

// ReportVideo is one video stream over the interval.
type ReportVideo struct {
	Bitrate int  `json:"bps"`              // bits per second
	Fps     int  `json:"fps"`              // frames sent (uplink) or rendered (downlink) per second
	CapFps  *int `json:"capFps,omitempty"` // uplink: frames captured per second, when it differs from fps
	Width   int  `json:"width,omitempty"`
	Height  int  `json:"height,omitempty"`
	Loss    int  `json:"loss"`            // packet loss, %
	Block   *int `json:"block,omitempty"` // stutter, ms, when measured
}

// Errors of Report.Validate.
var (
	ErrReportTooLarge = errors.New("proto: report too large")
	ErrReportInvalid  = errors.New("proto: invalid report")
)

// Bounds of report values: beyond them a figure is nonsense, not a
// measurement.
const (
	maxBitrate   = 1_000_000_000 // 1 Gbps
	maxFps       = 1000
	maxDimension = 16384
	maxBlockMs   = 3_600_000
	maxRTTms     = 600_000
)

// Validate checks a decoded report against the limits and value ranges.
// userID validates the remote user ids.
func (r *Report) Validate(userID func(string) error) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrReportInvalid, fmt.Sprintf(format, args...))
	}
	for _, c := range []struct {
		name string
		v    *float64
	}{{"appCpu", r.AppCPU}, {"sysCpu", r.SysCPU}} {
		if c.v != nil && (math.IsNaN(*c.v) || *c.v < 0 || *c.v > 100) {
			return bad("%s must be 0..100", c.name)
		}
	}
	if r.RTT < 0 || r.RTT > maxRTTms {
		return bad("rtt must be 0..%d ms", maxRTTms)
	}
	if len(r.Down) > MaxReportPeers {
		return fmt.Errorf("%w: %d remote users, at most %d", ErrReportTooLarge, len(r.Down), MaxReportPeers)
	}
	if r.Up != nil {
		if r.Up.UserID != "" {
			return bad("up must not name a user")
		}
		if err := r.Up.validate(); err != nil {
			return bad("up: %v", err)
		}
	}
	seen := make(map[string]bool, len(r.Down))
	for i := range r.Down {
		d := &r.Down[i]
		if err := userID(d.UserID); err != nil {
			return bad("down[%d]: userId: %v", i, err)
		}
		if seen[d.UserID] {
			return bad("down[%d]: userId %q repeated", i, d.UserID)
		}
		seen[d.UserID] = true
		if err := d.validate(); err != nil {
			return bad("down[%d]: %v", i, err)
		}
	}
	return nil
}

func (p *ReportPath) validate() error {
	in := func(name string, v, hi int) error {
		if v < 0 || v > hi {
			return fmt.Errorf("%s must be 0..%d", name, hi)
		}
		return nil
	}
	inOpt := func(name string, v *int, hi int) error {
		if v == nil {
			return nil
		}
		return in(name, *v, hi)
	}
	var errs []error
	if a := p.Audio; a != nil {
		errs = append(errs, in("audio.bps", a.Bitrate, maxBitrate), in("audio.loss", a.Loss, 100), inOpt("audio.block", a.Block, maxBlockMs))
	}
	if v := p.Video; v != nil {
		errs = append(errs, in("video.bps", v.Bitrate, maxBitrate), in("video.fps", v.Fps, maxFps), inOpt("video.capFps", v.CapFps, maxFps),
			in("video.width", v.Width, maxDimension), in("video.height", v.Height, maxDimension),
			in("video.loss", v.Loss, 100), inOpt("video.block", v.Block, maxBlockMs))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

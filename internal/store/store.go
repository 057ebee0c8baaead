// Package store keeps rtcengine's history: the rooms a node ran, the user
// sessions in them (join, leave, device, SDK, client IP) and the quality
// samples the SDKs report every few seconds. The REST Describe* actions
// (trtc-reference §7.4) read it.
//
// SQLite is the embedded default: a single file under the data directory,
// in WAL mode, through the pure-Go modernc.org/sqlite driver, so a node
// needs no setup. Writes never wait: the room state machine hands records to
// an owned writer goroutine through a bounded queue; the writer commits them
// in batched transactions, drops and counts what overflows the queue, and
// Close drains what is queued. Reads run beside the writer (WAL readers do
// not block it).
//
// Postgres is the same store in a PostgreSQL database (postgres.go), shared
// by the nodes of a cluster: the same write path (writer.go), the same
// queries. The package declares no interface of its own: its consumers
// declare the few methods they use (the REST edge reads Rooms, Sessions and
// Series; the server's recorder writes), and either store stands behind
// them.
package store

import (
	"strconv"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Room is one room's life: from its first enter to its destruction.
type Room struct {
	App trtc.SDKAppID
	// RoomID is the room id as the client wrote it: the decimal number of a
	// numeric room, or the string of a string room.
	RoomID string
	// StrRoom tells a string room from a numeric one ("123" may be either).
	StrRoom   bool
	Created   time.Time
	Destroyed time.Time // zero while the room exists
	Creator   trtc.UserID
}

// CommID is TRTC's call id of the room: SdkAppId_RoomId_CreateTime, with
// the creation time in Unix seconds (trtc-reference §7.4).
func (r Room) CommID() string { return CommID(r.App, r.RoomID, r.Created) }

// CommID builds a call id from its parts.
func CommID(app trtc.SDKAppID, roomID string, created time.Time) string {
	return strconv.FormatUint(uint64(app), 10) + "_" + roomID + "_" + strconv.FormatInt(created.Unix(), 10)
}

// Session is one user's stay in one room: from entering to leaving. A
// reconnect that resumes the session continues it; entering again starts
// another.
type Session struct {
	ID         string // the room service's session id
	App        trtc.SDKAppID
	CommID     string
	RoomID     string
	UserID     trtc.UserID
	Joined     time.Time
	Left       time.Time // zero while the user is in the room
	DeviceType string
	SDKVersion string
	ClientIP   string
	// Role is the user's role, kept current by SessionRole (0 is taken
	// as anchor, TRTC's default).
	Role trtc.Role
}

// Longest text kept for the client-supplied fields of a Session; longer
// values are cut.
const maxClientText = 64

// Metric is one quality figure, named as DescribeCallDetailInfo's DataType.
type Metric uint8

const (
	MetricUnknown    Metric = iota
	MetricAppCPU            // appCpu: the application's CPU use, % of the machine
	MetricSysCPU            // sysCpu: the whole system's CPU use, %
	MetricABit              // aBit: audio bitrate, bps
	MetricABlock            // aBlock: audio stutter, ms
	MetricBigvBit           // bigvBit: camera video bitrate, bps
	MetricBigvCapFps        // bigvCapFps: frames captured per second
	MetricBigvEncFps        // bigvEncFps: frames sent per second
	MetricBigvDecFps        // bigvDecFps: frames rendered per second
	MetricBigvBlock         // bigvBlock: video stutter, ms
	MetricALoss             // aLoss: audio packet loss, %
	MetricBigvLoss          // bigvLoss: video packet loss, %
	MetricBigvWidth         // bigvWidth: video width, pixels
	MetricBigvHeight        // bigvHeight: video height, pixels
	metricEnd
)

var metricNames = [metricEnd]string{
	"", "appCpu", "sysCpu", "aBit", "aBlock", "bigvBit", "bigvCapFps", "bigvEncFps",
	"bigvDecFps", "bigvBlock", "aLoss", "bigvLoss", "bigvWidth", "bigvHeight",
}

// metricColumns are the samples table's columns, by Metric.
var metricColumns = [metricEnd]string{
	"", "app_cpu", "sys_cpu", "a_bit", "a_block", "v_bit", "v_cap_fps", "v_enc_fps",
	"v_dec_fps", "v_block", "a_loss", "v_loss", "v_width", "v_height",
}

func (m Metric) String() string {
	if m >= metricEnd {
		return "unknown"
	}
	if m == MetricUnknown {
		return "unknown"
	}
	return metricNames[m]
}

// ParseMetric returns the metric of a DataType name (case-sensitive, as
// TencentCloud's are), or MetricUnknown.
func ParseMetric(name string) Metric {
	for m := Metric(1); m < metricEnd; m++ {
		if metricNames[m] == name {
			return m
		}
	}
	return MetricUnknown
}

// AllMetrics lists every metric in DataType order.
func AllMetrics() []Metric {
	out := make([]Metric, 0, metricEnd-1)
	for m := Metric(1); m < metricEnd; m++ {
		out = append(out, m)
	}
	return out
}

// Sample is one report of one user: its own uplink (PeerID "") or what it
// received from one remote user (PeerID that user). Values holds only what
// was measured.
type Sample struct {
	App     trtc.SDKAppID
	CommID  string
	Session string
	UserID  trtc.UserID
	PeerID  trtc.UserID
	At      time.Time
	Values  map[Metric]float64
}

// RoomQuery selects rooms of one app that existed at some time in [From, To].
type RoomQuery struct {
	App      trtc.SDKAppID
	RoomID   string // "" for all rooms; otherwise numeric and string rooms of that id
	From, To time.Time
	Offset   int
	Limit    int
}

// SessionQuery selects the sessions of one call that overlap [From, To].
type SessionQuery struct {
	App      trtc.SDKAppID
	CommID   string
	Users    []trtc.UserID // nil for everyone
	From, To time.Time
	Offset   int
	Limit    int
}

// SeriesQuery selects quality samples of some users of one call in
// [From, To], averaged over Step (the samples' own resolution when Step is
// shorter).
type SeriesQuery struct {
	App      trtc.SDKAppID
	CommID   string
	Users    []trtc.UserID
	Metrics  []Metric
	From, To time.Time
	Step     time.Duration
}

// Point is one value of a series.
type Point struct {
	At    time.Time
	Value float64
}

// Series is one metric of one path: a user's uplink (PeerID "") or what
// the user received from PeerID.
type Series struct {
	UserID trtc.UserID
	PeerID trtc.UserID
	Metric Metric
	Points []Point
}

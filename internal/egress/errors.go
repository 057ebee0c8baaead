// Package egress records rooms inside the server (trtc-reference §7.6,
// §8.3). A recording task follows a room's published streams through the
// conference hub as an invisible robot that is not a room member, reads
// their RTP in-process through sfu.PublishedTrack taps (no PeerConnection,
// SRTP or ICE), rebuilds frames and hands them in a timestamped container
// (IVF for VP8, Ogg for Opus) to an ffmpeg subprocess that remuxes them
// without transcoding. ffmpeg is supervised: a worker that exits or stops
// reading is killed, restarted on a new file and reported.
//
// The package knows rooms only as keys and users; the REST edge
// (internal/api) validates requests and the server wires events to the
// webhook outbox.
package egress

import "errors"

// Errors of the recording service.
var (
	// ErrTaskNotFound: no task of that id (or of another app).
	ErrTaskNotFound = errors.New("egress: no such task")
	// ErrTooManyTasks: Config.MaxTasks tasks are running.
	ErrTooManyTasks = errors.New("egress: too many recording tasks")
	// ErrTaskExists: a running task of the room already uses that robot
	// UserId.
	ErrTaskExists = errors.New("egress: a task with this robot user id is running in the room")
	// ErrClosed: the service is shut down.
	ErrClosed = errors.New("egress: closed")
	// ErrBadPattern: a subscription list entry is not a valid pattern.
	ErrBadPattern = errors.New("egress: invalid user id pattern")
	// ErrTooManyPatterns: a subscription list has more than MaxPatterns
	// entries.
	ErrTooManyPatterns = errors.New("egress: too many user id patterns")
	// ErrUnsupportedCodec: the track's codec is not one this recorder remuxes.
	ErrUnsupportedCodec = errors.New("egress: unsupported codec")
	// ErrBadLayout: a mixed recording's layout does not fit its canvas.
	ErrBadLayout = errors.New("egress: invalid mix layout")
	// ErrNotMixed: a layout was given for a task that does not mix.
	ErrNotMixed = errors.New("egress: not a mixed recording")
	// ErrBadStorage: CloudStorage cannot make an S3 client.
	ErrBadStorage = errors.New("egress: invalid cloud storage")
	// ErrLiveLimit: Config.MaxLive live streams are being served.
	ErrLiveLimit = errors.New("egress: too many live streams")
	// ErrNoStream: the user publishes no video to play live.
	ErrNoStream = errors.New("egress: no such live stream")
	// ErrBadPush: a relay task's targets are not acceptable (cdn.go).
	ErrBadPush = errors.New("egress: invalid CDN targets")
)

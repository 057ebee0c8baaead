package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// CDN relay (StartPublishCdnStream, trtc-reference §7.5; docs/cdn.md). A
// relay task is a mixed task whose encoder writes one MPEG-TS stream to a
// pipe instead of files:
//
//	mixer ─▶ encoder (x264 + AAC) ─MPEG-TS─▶ fan-out ─▶ pusher (ffmpeg -c copy -f flv) ─▶ rtmp://a
//	                                                 └─▶ pusher ─▶ rtmp://b
//
// Every target has its own pusher ffmpeg, supervised alone: a target that
// refuses the connection, drops it or stops reading is reported (its
// PushState) and retried with backoff while the others go on. MPEG-TS
// between the encoder and the pushers lets a pusher join the stream at any
// point: it resynchronises on the next packet and starts at the next
// keyframe, which carries its SPS and PPS.

// PushParams makes a task a CDN relay.
type PushParams struct {
	// URLs are the rtmp:// targets (at most MaxPushTargets).
	URLs []string
	// Video: the output carries video (VideoParams given); otherwise it
	// is audio only.
	Video bool
	// Feeds take the stream themselves (FeedBackRoomParams: the server
	// publishes it into rooms); they are supervised as the URLs are.
	Feeds []Feed
	// OnState, if set, hears every state change of a target (its URL or
	// feed name), with the failure of a PushFailed; it must not block.
	OnState func(target string, st PushState, failure string)
	// Record is the caller's description of the task, kept with the
	// task's state on disk so that a restarted server can resume it
	// (cdnpersist.go); ResumeID, if set, is the id of the task resumed.
	Record   []byte
	ResumeID string
}

// Feed is a target that is not an RTMP URL: it consumes the relay's
// MPEG-TS itself.
type Feed interface {
	// Name identifies the target in PushTargets (as its URL).
	Name() string
	// Run consumes ts until ctx ends (nil) or it fails; it calls live
	// once the stream reaches its destination.
	Run(ctx context.Context, ts io.Reader, live func()) error
}

// Limits and timing of the relay (docs/cdn.md).
const (
	// MaxPushTargets is the most RTMP URLs of one task (§7.5).
	MaxPushTargets = 10
	// pushQueue bounds a target's queue of MPEG-TS chunks (a few seconds
	// of a 2 Mbit/s stream); a pusher further behind loses chunks.
	pushQueue = 256
	// pushChunk is the read size of the encoder's output: whole 188-byte
	// TS packets.
	pushChunk = 188 * 64
	// A failed target is retried after pushRetryMin, doubling up to
	// pushRetryMax; a push that lasted pushHealthy starts over at the
	// minimum.
	pushRetryMin = time.Second
	pushRetryMax = 30 * time.Second
	pushHealthy  = 10 * time.Second
	// pushConnectTimeout bounds the RTMP connection and every write to it
	// (ffmpeg's rw_timeout).
	pushConnectTimeout = 10 * time.Second
)

// PushState is a target's state: the status values of TRTC's
// onCdnStreamStateChanged (trtc-reference §4).
type PushState int

const (
	// PushIdle: not started, or ended.
	PushIdle PushState = 0
	// PushConnecting: the first connection is being made.
	PushConnecting PushState = 1
	// PushPushing: the stream flows to the target.
	PushPushing PushState = 2
	// PushRecovering: the push was interrupted and is being reconnected.
	PushRecovering PushState = 3
	// PushFailed: the last attempt failed; the next one is scheduled.
	PushFailed PushState = 4
	// PushDisconnecting: the target was removed or the task is ending.
	PushDisconnecting PushState = 5
)

func (s PushState) String() string {
	switch s {
	case PushIdle:
		return "Idle"
	case PushConnecting:
		return "Connecting"
	case PushPushing:
		return "Pushing"
	case PushRecovering:
		return "Recovering"
	case PushFailed:
		return "Failed"
	case PushDisconnecting:
		return "Disconnecting"
	}
	return "Unknown(" + strconv.Itoa(int(s)) + ")"
}

// PushTarget is a snapshot of one target.
type PushTarget struct {
	URL   string
	State PushState
	// Attempts counts the connections tried; Failures those that failed.
	Attempts, Failures int
	// LastError is the newest failure ("" before any).
	LastError string
	// DroppedChunks counts output the target's pusher was too slow for.
	DroppedChunks int
}

// pushSet is the fan-out of one relay task.
type pushSet struct {
	t       *Task
	video   bool
	onState func(target string, st PushState, failure string)

	mu      sync.Mutex
	targets []*pushTarget
	gone    []*pushTarget // removed targets, stopping
	encoded bool          // an encoder has started (later ones restart the pushers)
	started bool          // the task was created: pushers run
	ending  bool
	record  []byte // PushParams.Record, replaced by SetRelayRecord
	images  []ImageFailure
}

// pushTarget is one RTMP URL and its pusher goroutine.
type pushTarget struct {
	set  *pushSet
	url  string
	feed Feed // nil: an RTMP URL

	q       chan []byte
	restart chan struct{} // the encoder restarted: reconnect
	end     chan struct{} // closed: send what is queued, then stop
	drop    chan struct{} // closed: stop at once (target removed)
	done    chan struct{}

	// Guarded by set.mu.
	state     PushState
	attempts  int
	failures  int
	lastErr   string
	dropped   int
	hadPushed bool
}

func newPushSet(t *Task, p PushParams) *pushSet {
	s := &pushSet{t: t, video: p.Video, onState: p.OnState, record: p.Record}
	for _, u := range p.URLs {
		s.targets = append(s.targets, s.newTarget(u))
	}
	for _, f := range p.Feeds {
		pt := s.newTarget(f.Name())
		pt.feed = f
		s.targets = append(s.targets, pt)
	}
	return s
}

// begin starts the pushers once the task exists. nil-safe.
func (s *pushSet) begin() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.ending {
		return
	}
	s.started = true
	for _, pt := range s.targets {
		go pt.run()
	}
}

// newTarget makes a target, running when the set has begun; s.mu held or
// s not shared yet.
func (s *pushSet) newTarget(url string) *pushTarget {
	pt := &pushTarget{
		set: s, url: url,
		q: make(chan []byte, pushQueue), restart: make(chan struct{}, 1),
		end: make(chan struct{}), drop: make(chan struct{}), done: make(chan struct{}),
		state: PushIdle,
	}
	if s.started {
		go pt.run()
	}
	return pt
}

// copyFrom reads the encoder's output until EOF and hands every chunk to
// every target without waiting for any.
func (s *pushSet) copyFrom(r io.Reader) {
	for {
		b := make([]byte, pushChunk)
		n, err := io.ReadFull(r, b)
		if n > 0 {
			s.fanOut(b[:n])
		}
		if err != nil {
			return
		}
	}
}

func (s *pushSet) fanOut(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pt := range s.targets {
		select {
		case pt.q <- b:
		default:
			pt.dropped++
		}
	}
}

// encoderStarted hears a new encoder: its stream starts new timestamps,
// so pushers already connected reconnect to it.
func (s *pushSet) encoderStarted() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.encoded {
		s.encoded = true
		return
	}
	for _, pt := range s.targets {
		select {
		case pt.restart <- struct{}{}:
		default:
		}
	}
}

// setURLs replaces the targets: new URLs start, removed ones stop, kept
// ones go on undisturbed.
func (s *pushSet) setURLs(urls []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending {
		return
	}
	var keep, gone []*pushTarget
	for _, pt := range s.targets {
		if pt.feed != nil || slices.Contains(urls, pt.url) {
			keep = append(keep, pt)
		} else {
			gone = append(gone, pt)
		}
	}
	for _, u := range urls {
		if !slices.ContainsFunc(keep, func(pt *pushTarget) bool { return pt.url == u }) {
			keep = append(keep, s.newTarget(u))
		}
	}
	s.targets = keep
	for _, pt := range gone {
		close(pt.drop)
	}
	s.gone = append(s.gone, gone...)
}

// snapshot lists the targets.
func (s *pushSet) snapshot() []PushTarget {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PushTarget, 0, len(s.targets))
	for _, pt := range s.targets {
		out = append(out, PushTarget{URL: pt.url, State: pt.state, Attempts: pt.attempts, Failures: pt.failures,
			LastError: pt.lastErr, DroppedChunks: pt.dropped})
	}
	return out
}

// stop ends every target after it sent what the encoder wrote; called
// after the mixer (and so the encoder) stopped. nil-safe.
func (s *pushSet) stop() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.ending = true
	all := slices.Clone(s.targets)
	gone := s.gone
	started := s.started
	s.mu.Unlock()
	for _, pt := range all {
		close(pt.end)
		if !started {
			close(pt.done)
		}
	}
	for _, pt := range append(all, gone...) {
		<-pt.done
	}
}

func (pt *pushTarget) setState(st PushState, err error) {
	s := pt.set
	s.mu.Lock()
	changed := pt.state != st
	pt.state = st
	failure := ""
	if err != nil {
		pt.failures++
		pt.lastErr = err.Error()
		failure = pt.lastErr
	}
	s.mu.Unlock()
	if st == PushPushing {
		s.t.pushing()
	}
	if s.onState != nil && (changed || err != nil) {
		s.onState(pt.url, st, failure)
	}
}

// errPushEnded: the pusher ended because the target was removed or the
// task ended, not because it failed.
var errPushEnded = errors.New("egress: push ended")

// run connects, feeds and reconnects the target until it is dropped or the
// task ends.
func (pt *pushTarget) run() {
	defer close(pt.done)
	log := pt.set.t.svc.log.With("task", pt.set.t.id, "url", redactURL(pt.url))
	backoff := pushRetryMin
	for {
		pt.set.mu.Lock()
		pt.attempts++
		st := PushConnecting
		if pt.hadPushed {
			st = PushRecovering
		}
		pt.set.mu.Unlock()
		pt.setState(st, nil)
		began := time.Now()
		err := pt.push()
		if errors.Is(err, errPushEnded) {
			pt.setState(PushIdle, nil)
			return
		}
		if time.Since(began) >= pushHealthy {
			backoff = pushRetryMin
		}
		log.Warn("CDN push failed; retrying", "err", strings.ReplaceAll(err.Error(), pt.url, redactURL(pt.url)), "retryIn", backoff)
		pt.setState(PushFailed, err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-pt.drop:
			t.Stop()
			pt.setState(PushIdle, nil)
			return
		case <-pt.end:
			t.Stop()
			pt.setState(PushIdle, nil)
			return
		}
		backoff = min(2*backoff, pushRetryMax)
	}
}

// push runs one pusher ffmpeg until it fails or the push ends.
func (pt *pushTarget) push() error {
	svc := pt.set.t.svc
	// Chunks queued while no pusher ran are stale: start from fresh ones.
	for len(pt.q) > 0 {
		<-pt.q
	}
	select {
	case <-pt.restart:
	default:
	}
	if pt.feed != nil {
		return pt.pushFeed()
	}
	proc, err := launchMix(svc.cfg.FFmpeg, pusherArgs(pt.url), mixIO{onLine: func(line string) {
		// ffmpeg prints the output's description once the connection is
		// made and the header written.
		if strings.HasPrefix(line, "Output #0") {
			pt.set.mu.Lock()
			pt.hadPushed = true
			pt.set.mu.Unlock()
			pt.setState(PushPushing, nil)
		}
	}})
	if err != nil {
		return err
	}
	if hook := svc.workerStarted; hook != nil {
		hook(proc.cmd.Process.Pid)
	}
	fail := func(err error) error {
		proc.end()
		if tail := lastLine(proc.stderr.String()); tail != "" {
			err = fmt.Errorf("%w: %s", err, tail)
		}
		return err
	}
	for {
		select {
		case b := <-pt.q:
			if err := writePipe(proc.stdin, b, svc.cfg.StallTimeout); err != nil {
				if proc.exited() {
					return fail(errors.New("ffmpeg exited"))
				}
				return fail(err)
			}
		case <-proc.done:
			return fail(fmt.Errorf("ffmpeg exited: %v", proc.waitErr))
		case <-pt.restart:
			return fail(errors.New("the encoder restarted"))
		case <-pt.drop:
			proc.end()
			return errPushEnded
		case <-pt.end:
			for {
				select {
				case b := <-pt.q:
					if writePipe(proc.stdin, b, svc.cfg.StallTimeout) != nil {
						proc.end()
						return errPushEnded
					}
					continue
				default:
				}
				break
			}
			ctx, cancel := context.WithTimeout(context.Background(), svc.cfg.FinishTimeout)
			_ = proc.finish(ctx, svc.cfg.FinishTimeout)
			cancel()
			return errPushEnded
		}
	}
}

// pushFeed runs a Feed until it fails or the push ends.
func (pt *pushTarget) pushFeed() error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		err := pt.feed.Run(ctx, pr, func() {
			pt.set.mu.Lock()
			pt.hadPushed = true
			pt.set.mu.Unlock()
			pt.setState(PushPushing, nil)
		})
		_ = pr.CloseWithError(errPushEnded)
		errc <- err
	}()
	stop := func() error {
		_ = pw.Close()
		cancel()
		<-errc
		return errPushEnded
	}
	// A feed that stops reading must not hold the target (and the task's
	// stop) in a blocked write: ending the target ends the feed at once.
	watched := make(chan struct{})
	defer close(watched)
	go func() {
		select {
		case <-pt.end:
		case <-pt.drop:
		case <-watched:
			return
		}
		cancel()
		_ = pr.CloseWithError(errPushEnded)
	}()
	ending := func() bool {
		select {
		case <-pt.end:
			return true
		case <-pt.drop:
			return true
		default:
			return false
		}
	}
	for {
		select {
		case b := <-pt.q:
			if _, err := pw.Write(b); err != nil {
				ferr := <-errc
				switch {
				case ending():
					return errPushEnded
				case ferr != nil:
					return ferr
				}
				return errors.New("the feed ended")
			}
		case err := <-errc:
			if ending() {
				return errPushEnded
			}
			if err == nil {
				err = errors.New("the feed ended")
			}
			return err
		case <-pt.restart:
			_ = pw.Close()
			cancel()
			<-errc
			return errors.New("the encoder restarted")
		case <-pt.drop:
			return stop()
		case <-pt.end:
			return stop()
		}
	}
}

// lastLine is the last line of ffmpeg's log, its error as a rule.
func lastLine(log string) string {
	if i := strings.LastIndexByte(log, '\n'); i >= 0 {
		log = log[i+1:]
	}
	return log
}

// redactURL drops an RTMP URL's query (CDN stream keys and auth tokens
// travel there) for logs.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?"); i >= 0 {
		return u[:i] + "?…"
	}
	return u
}

// pusherArgs copy the encoder's MPEG-TS from stdin to an RTMP URL as FLV.
func pusherArgs(url string) []string {
	return []string{"-hide_banner", "-loglevel", "info", "-nostats",
		"-probesize", "500000", "-analyzeduration", "2000000", "-f", "mpegts", "-i", "pipe:0",
		"-map", "0", "-c", "copy", "-f", "flv", "-flvflags", "no_duration_filesize",
		"-rw_timeout", strconv.FormatInt(int64(pushConnectTimeout/time.Microsecond), 10), url}
}

// pushEncoderArgs encodes the canvas (raw frames on stdin, when the output
// has video) and the mixed PCM (fd 3, or stdin when audio only) into H.264
// and AAC in MPEG-TS on stdout. Without a global header x264 repeats SPS
// and PPS at every keyframe, where a pusher may join.
func pushEncoderArgs(p MixParams, video bool) []string {
	args := append([]string{}, ffBase...)
	audioFD := 0
	if video {
		args = append(args, rawVideoIn(p.Width, p.Height, p.Fps, 0)...)
		audioFD = fdOf(1)
	}
	args = append(args, rawAudioIn(audioFD)...)
	if video {
		args = append(args, "-map", "0:v", "-map", "1:a",
			"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
			"-b:v", strconv.Itoa(p.VideoBitRate), "-maxrate", strconv.Itoa(p.VideoBitRate),
			"-bufsize", strconv.Itoa(2*p.VideoBitRate),
			"-g", strconv.Itoa(p.Fps*p.Gop), "-keyint_min", strconv.Itoa(p.Fps*p.Gop), "-sc_threshold", "0")
	} else {
		args = append(args, "-map", "0:a")
	}
	args = append(args, "-c:a", "aac", "-b:a", strconv.Itoa(p.AudioBitRate),
		"-ar", strconv.Itoa(p.SampleRate), "-ac", strconv.Itoa(p.Channels))
	args = append(args, rawOut...)
	return append(args, "-muxdelay", "0", "-f", "mpegts", "pipe:1")
}

// startPushEncoder starts the encoder of a relay task; false when the
// task failed.
func (m *mixer) startPushEncoder() bool {
	extra := 0
	if m.out.video() {
		extra = 1
	}
	push := m.t.push
	args := pushEncoderArgs(m.p, m.out.video())
	if m.cp.active {
		args = pushCopyArgs(m.p) // cdncopy.go
	}
	proc, err := launchMix(m.t.svc.cfg.FFmpeg, args, mixIO{extra: extra, stdout: push.copyFrom})
	if err != nil {
		return m.failed("encoder", &m.enc, err)
	}
	m.enc = proc
	push.encoderStarted()
	if hook := m.t.svc.workerStarted; hook != nil {
		hook(proc.cmd.Process.Pid)
	}
	return true
}

// pushing marks a relay task in progress once a target receives its
// stream.
func (t *Task) pushing() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status == StatusIdle {
		t.status = StatusInProgress
	}
}

// relay returns a running relay task.
func (s *Service) relay(app trtc.SDKAppID, id string) (*Task, error) {
	t, err := s.task(app, id)
	if err != nil {
		return nil, err
	}
	if t.push == nil {
		return nil, ErrTaskNotFound
	}
	return t, nil
}

// PushTargets lists a relay task's targets and their states.
func (s *Service) PushTargets(app trtc.SDKAppID, id string) ([]PushTarget, error) {
	t, err := s.relay(app, id)
	if err != nil {
		return nil, err
	}
	return t.push.snapshot(), nil
}

// SetPushTargets replaces a running relay task's RTMP URLs.
func (s *Service) SetPushTargets(app trtc.SDKAppID, id string, urls []string) error {
	t, err := s.relay(app, id)
	if err != nil {
		return err
	}
	if t.isStopping() {
		return ErrTaskNotFound
	}
	if len(urls) > MaxPushTargets {
		return fmt.Errorf("%w: at most %d targets", ErrBadPush, MaxPushTargets)
	}
	t.push.setURLs(urls)
	return nil
}

// IsRelay reports whether task id is a relay task (not a recording).
func (s *Service) IsRelay(app trtc.SDKAppID, id string) bool {
	t, err := s.task(app, id)
	return err == nil && t.push != nil
}

package egress

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/conference"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Recording event types (trtc-reference §8.3, EventGroupId 3). Of them the
// local recorder sends 301, 302, 306, 307 and 310; the upload and VOD
// events belong to cloud storage.
const (
	EventRecorderStart = 301
	EventRecorderStop  = 302
	EventUploadStart   = 303
	EventFileInfo      = 304
	EventUploadStop    = 305
	EventFailover      = 306
	EventFileSlice     = 307
	EventUploadError   = 308
	EventDownloadImage = 309
	EventMP4Stop       = 310
	EventVODCommit     = 311
	EventVODStop       = 312
)

// Event is a recording event for the app's webhook.
type Event struct {
	Type    int
	TaskID  string
	Room    trtc.RoomKey
	UserID  trtc.UserID // the robot
	At      time.Time
	Payload map[string]any
}

// Events receives recording events; it must not block for long.
type Events interface{ RecordingEvent(Event) }

// Media is what the recorder needs of the conference hub.
type Media interface {
	Watch(key trtc.RoomKey, w conference.Watcher) (stop func())
}

// Config configures the Service. Zero fields take the defaults named.
type Config struct {
	// Dir holds the recordings: Dir/<SdkAppId>/<TaskId>/<files>.
	Dir string
	// FFmpeg is the ffmpeg binary (default "ffmpeg" on PATH).
	FFmpeg string
	// MaxTasks bounds concurrent tasks (default 200).
	MaxTasks int
	// StallTimeout: an ffmpeg that takes no input this long is replaced
	// (default 10 s).
	StallTimeout time.Duration
	// MaxRestarts: how many times one track's ffmpeg is replaced before
	// the task fails (default 3).
	MaxRestarts int
	// FinishTimeout: how long ffmpeg may take to complete its files after
	// its input ends before it is killed (default 10 s).
	FinishTimeout time.Duration
	// DefaultFileDuration splits files when the task sets no
	// MaxMediaFileDuration (default 24 h, the longest allowed).
	DefaultFileDuration time.Duration
	// NewStore makes the object store of a task's CloudStorage (default
	// NewS3Store).
	NewStore func(CloudStorage) (ObjectStore, error)
	// UploadRetryMin and UploadRetryMax bound the backoff between upload
	// attempts while the storage fails (defaults 1 s and 60 s).
	UploadRetryMin, UploadRetryMax time.Duration
	// LiveSegment is the target segment length of live HLS (default 1 s);
	// LiveIdle stops a live stream nobody fetched for this long (default
	// 30 s); MaxLive bounds live streams served at once (default 50).
	LiveSegment, LiveIdle time.Duration
	MaxLive               int
	// VodBaseURL returns the base of the VOD files' URLs (VOD_COMMIT's
	// VideoUrl), e.g. "http://host:port"; nil makes them relative.
	VodBaseURL func() string
	Media      Media
	Events     Events
	Logger     *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.FFmpeg == "" {
		c.FFmpeg = "ffmpeg"
	}
	if c.MaxTasks <= 0 {
		c.MaxTasks = 200
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = 10 * time.Second
	}
	if c.MaxRestarts <= 0 {
		c.MaxRestarts = 3
	}
	if c.FinishTimeout <= 0 {
		c.FinishTimeout = 10 * time.Second
	}
	if c.DefaultFileDuration <= 0 {
		c.DefaultFileDuration = 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c = c.withStorageDefaults()
	return c
}

// Service runs recording tasks.
type Service struct {
	cfg Config
	log *slog.Logger

	// workerStarted, if set, hears every ffmpeg started (tests).
	workerStarted func(pid int)

	// ctx ends when the service closes: uploads stop (their queues are
	// kept on disk) and live streams end.
	ctx    context.Context
	cancel context.CancelFunc
	live   liveStreams

	mu      sync.Mutex
	tasks   map[string]*Task
	running int
	closed  bool
}

// New returns a Service.
func New(cfg Config) *Service {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Logger, tasks: map[string]*Task{}, ctx: ctx, cancel: cancel}
}

func newTaskID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Create starts a task and returns its id.
func (s *Service) Create(p TaskParams) (string, error) {
	if p.MaxFileDuration <= 0 {
		p.MaxFileDuration = s.cfg.DefaultFileDuration
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", ErrClosed
	}
	if s.running >= s.cfg.MaxTasks {
		s.mu.Unlock()
		return "", fmt.Errorf("%w: at most %d", ErrTooManyTasks, s.cfg.MaxTasks)
	}
	for _, t := range s.tasks {
		if t.p.Room == p.Room && t.p.UserID == p.UserID && !t.isStopping() {
			s.mu.Unlock()
			return "", ErrTaskExists
		}
	}
	id := newTaskID()
	if p.Push != nil && p.Push.ResumeID != "" {
		if s.tasks[p.Push.ResumeID] != nil {
			s.mu.Unlock()
			return "", ErrTaskExists
		}
		id = p.Push.ResumeID
	}
	t := &Task{
		svc: s, id: id, p: p, status: StatusIdle,
		dir:   filepath.Join(s.cfg.Dir, fmt.Sprint(uint32(p.Room.App)), id),
		known: map[sfu.TrackID]trackInfo{}, recs: map[sfu.TrackID]*trackRec{}, warned: map[sfu.TrackID]bool{},
		exited: make(chan struct{}),
	}
	if p.live != nil {
		t.dir = p.live.dir
	}
	if p.Push != nil && p.Mix != nil { // a relay writes no files (cdn.go)
		t.dir = filepath.Join(s.cfg.Dir, "cdn", fmt.Sprint(uint32(p.Room.App)), id)
		t.push = newPushSet(t, *p.Push)
	}
	if p.Mix != nil {
		t.mix = newMixer(t, *p.Mix)
	}
	if p.Vod {
		t.vod = &vodState{done: map[string]bool{}}
	}
	s.tasks[id] = t
	s.running++
	s.mu.Unlock()
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		s.mu.Lock()
		delete(s.tasks, id)
		s.running--
		s.mu.Unlock()
		return "", fmt.Errorf("egress: recording directory: %w", err)
	}
	if err := t.startUploads(); err != nil {
		s.mu.Lock()
		delete(s.tasks, id)
		s.running--
		s.mu.Unlock()
		return "", err
	}
	if err := t.saveState(StatusInProgress, 0); err != nil {
		s.mu.Lock()
		delete(s.tasks, id)
		s.running--
		s.mu.Unlock()
		return "", fmt.Errorf("egress: recording state: %w", err)
	}
	s.emit(t, EventRecorderStart, map[string]any{"Status": 0})
	if t.p.Storage != nil {
		s.emit(t, EventUploadStart, map[string]any{"Status": 0})
	}
	t.mu.Lock()
	t.checkIdleLocked()
	t.mu.Unlock()
	unwatch := s.cfg.Media.Watch(p.Room, t)
	t.mu.Lock()
	t.unwatch = unwatch
	stopping := t.stopping
	t.mu.Unlock()
	if stopping { // stopped (idle) before the watch was installed
		unwatch()
	}
	t.push.begin()
	return id, nil
}

func (t *Task) isStopping() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopping
}

func (s *Service) task(app trtc.SDKAppID, id string) (*Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[id]
	if t == nil || t.p.Room.App != app {
		return nil, ErrTaskNotFound
	}
	return t, nil
}

// Describe returns a task, running or ended within its retention.
func (s *Service) Describe(app trtc.SDKAppID, id string) (TaskInfo, error) {
	t, err := s.task(app, id)
	if err != nil {
		return TaskInfo{}, err
	}
	return t.info(), nil
}

// Modify replaces a running task's subscription lists.
func (s *Service) Modify(app trtc.SDKAppID, id string, f Filter) error {
	t, err := s.task(app, id)
	if err != nil {
		return err
	}
	if t.isStopping() {
		return ErrTaskNotFound
	}
	t.modify(f)
	return nil
}

// Delete stops a task; its files are completed in the background (Describe
// shows Exited when they are).
func (s *Service) Delete(app trtc.SDKAppID, id string) error {
	t, err := s.task(app, id)
	if err != nil {
		return err
	}
	if t.isStopping() {
		return ErrTaskNotFound
	}
	go t.stop(LeaveNormal)
	return nil
}

// Wait blocks until task id has exited (tests, shutdown).
func (s *Service) Wait(ctx context.Context, app trtc.SDKAppID, id string) error {
	t, err := s.task(app, id)
	if err != nil {
		return err
	}
	return t.wait(ctx)
}

// ended is called once per task when it has exited: it stops counting
// against MaxTasks and is forgotten after its retention.
func (s *Service) ended(t *Task) {
	s.mu.Lock()
	s.running--
	s.mu.Unlock()
	time.AfterFunc(t.p.Retention, func() {
		s.mu.Lock()
		delete(s.tasks, t.id)
		s.mu.Unlock()
		if t.push != nil {
			_ = os.RemoveAll(t.dir) // a relay's directory holds only its state
		}
	})
}

// Running counts tasks not yet exited.
func (s *Service) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Close stops every task (RECORDER_STOP LeaveCode 3) and waits for their
// files, bounded by ctx.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	var all []*Task
	for _, t := range s.tasks {
		all = append(all, t)
	}
	s.mu.Unlock()
	for _, t := range all {
		go t.stop(LeaveServerKicked)
	}
	for _, t := range all {
		if err := t.wait(ctx); err != nil {
			s.cancel()
			return err
		}
	}
	s.cancel()
	s.waitUploads(ctx)
	return nil
}

func (s *Service) emit(t *Task, typ int, payload map[string]any) {
	if s.cfg.Events == nil || t.p.live != nil || t.push != nil {
		return
	}
	s.cfg.Events.RecordingEvent(Event{Type: typ, TaskID: t.id, Room: t.p.Room, UserID: t.p.UserID, At: time.Now(), Payload: payload})
}

package egress

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Mixed recording (RecordMode 2). The pipeline, all ffmpeg subprocesses
// fed and read by the mixer through pipes:
//
//	track ─IVF─▶ video decoder ─yuv420p cell─┐
//	track ─IVF─▶ video decoder ─yuv420p cell─┼─▶ compositor (overlay) ─canvas─┐
//	track ─Ogg─▶ audio decoder ─PCM──────────┐                                ├─▶ encoder (x264 + AAC, tee) ─▶ files
//	track ─Ogg─▶ audio decoder ─PCM──────────┴─▶ audio mixer (amix) ─PCM──────┘
//
// The mixer's wall clock drives everything after the decoders: every
// 1/Fps it writes each cell's newest frame (or its background) to the
// compositor, 1/Fps of each voice's PCM (or silence) to the audio mixer,
// and the newest canvas and mixed PCM to the encoder. Inputs that stall,
// pause or restart never stall the output, and the output timeline is the
// wall clock's. Layout and input changes restart only the compositor or the
// audio mixer (the encoder and its files go on, the canvas holds its last
// frame meanwhile); a decoder restarts only when its cell's size or fit
// changed, from the next keyframe.

// Timing of the mixer's buffers.
const (
	// mixFlushInterval batches a mixed input's frames into its decoder
	// (single-stream recording batches 250 ms; mixing wants less latency).
	mixFlushInterval = 40 * time.Millisecond
	// A voice's PCM starts playing once 120 ms are buffered; beyond 600 ms
	// the oldest is dropped.
	voicePrebuffer = 120 * time.Millisecond
	voiceMax       = 600 * time.Millisecond
	// The mixed PCM waits for 80 ms before the encoder takes it.
	mixedPrebuffer = 80 * time.Millisecond
	mixedMax       = 500 * time.Millisecond
	// mixStall: a compositor or audio mixer that takes no input this long
	// is replaced.
	mixStall = 2 * time.Second
	// mixHealthy: a process that ran this long before failing starts a
	// new count of failures.
	mixHealthy = 10 * time.Second
	// mixCatchUp: a clock that fell behind (a slow ffmpeg start, a
	// starved machine) writes the missed frames, up to this many seconds
	// of them; more are skipped.
	mixCatchUp = 5
	// mixHoldMax: a layout change holds the last canvas until every new
	// cell has a decoded frame, for at most this many seconds.
	mixHoldMax = 2
	// mixSettle: input and layout changes are applied to the compositor
	// and the audio mixer once they are this old, so that streams
	// arriving together cost one restart.
	mixSettle = 150 * time.Millisecond
)

// pcmBytes is the size of d of mixer PCM.
func pcmBytes(d time.Duration) int {
	return int(int64(d) * mixRate / int64(time.Second) * mixFrameLen)
}

// mixInput is one track of the mix.
type mixInput struct {
	video bool
	h264  bool // a pass-through copies it (cdncopy.go)
	user  trtc.UserID
	sub   bool

	// Video, guarded by mixer.mu.
	cell   mixCell
	shown  bool
	gen    uint64 // bumped when the cell's size or fit changes
	bg     [3]byte
	latest []byte // newest decoded frame of the cell; never written after being set
	paused bool   // the publisher muted it

	// decGen is the gen the running decoder was made for; owned by the
	// track's goroutine.
	decGen uint64

	pcm *pcmFIFO // audio
}

// placed is a cell of the running compositor.
type placed struct {
	in   *mixInput
	cell mixCell
}

// mixer runs the pipeline of one mixed recording.
type mixer struct {
	t   *Task
	p   MixParams
	out mixOutputs

	mu       sync.Mutex
	layout   MixLayout
	videos   []*mixInput // arrival order
	audios   []*mixInput
	byRec    map[*trackRec]*mixInput
	cells    []placed
	vChanged bool      // the compositor's cells changed
	aChanged bool      // the audio mixer's inputs changed
	changed  time.Time // of the newest change
	canvas   []byte
	compGen  int // which compositor's canvases are accepted
	// firstLive is the first frame written to the compositor compGen in
	// which every cell had a decoded frame (-1: none yet); its canvases
	// are taken from that frame on, so that a layout change holds the
	// last canvas instead of showing empty cells while decoders restart.
	firstLive int
	written   int  // frames written to the compositor compGen
	live      bool // the canvas shows the current cells, all decoded
	running   bool // run started (with the first input)
	stopped   bool

	mixed *pcmFIFO
	quit  chan struct{}
	done  chan struct{} // closed when run returned

	// Owned by run.
	comp, amix, enc *mixProc
	compCells       []placed
	amixIns         []*mixInput
	fails           map[string]int
	solid           map[[5]int][]byte
	skipped         int64

	// images fetches the layout's images (miximage.go) until imgStop.
	images  *mixImages
	imgCtx  context.Context
	imgStop context.CancelFunc
	// holders are placeholder frames by image and cell shape, nil while
	// one is being made (guarded by mu).
	holders map[holderKey][]byte

	// cp is the pass-through copy of H.264 (cdncopy.go).
	cp copyState
}

func newMixer(t *Task, p MixParams) *mixer {
	out := outputsOf(t.p.OutputFormat)
	if t.push != nil {
		out = mixOutputs{stream: true, streamVideo: t.push.video} // a CDN relay (cdn.go)
	}
	m := &mixer{
		t: t, p: p, out: out, layout: p.Layout,
		byRec: map[*trackRec]*mixInput{},
		mixed: newPCMFIFO(pcmBytes(mixedPrebuffer), pcmBytes(mixedMax)),
		quit:  make(chan struct{}), done: make(chan struct{}),
		fails: map[string]int{}, solid: map[[5]int][]byte{},
	}
	m.cp.pass = p.PassThrough
	m.startImages()
	return m
}

// wantsStream reports whether a video stream kind is mixed
// (RecordParams.MediaId; none for AAC-only outputs); a nil mixer wants
// everything.
func (m *mixer) wantsStream(s room.Stream) bool {
	if m == nil || s == room.StreamAudio {
		return true
	}
	if !m.out.video() {
		return false // AAC only: no video is decoded
	}
	switch m.p.Streams {
	case 1:
		return s != room.StreamSub
	case 2:
		return s == room.StreamSub
	}
	return true
}

// add makes a new recorder of the task an input of the mix.
func (m *mixer) add(r *trackRec) {
	if m == nil {
		return
	}
	in := &mixInput{video: r.video, h264: r.video && r.frames.h264, user: r.user, sub: r.stream == room.StreamSub}
	m.mu.Lock()
	m.byRec[r] = in
	if in.video {
		if m.out.video() {
			m.videos = append(m.videos, in)
			m.relayoutLocked()
		}
	} else {
		in.pcm = newPCMFIFO(pcmBytes(voicePrebuffer), pcmBytes(voiceMax))
		m.audios = append(m.audios, in)
		m.aChanged = true
		m.changed = time.Now()
	}
	if !m.running && !m.stopped { // the clock starts with the first stream
		m.running = true
		go m.run()
	}
	m.mu.Unlock()
}

// remove takes a retired recorder out of the mix.
func (m *mixer) remove(r *trackRec) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	in := m.byRec[r]
	if in == nil {
		return
	}
	delete(m.byRec, r)
	if in.video {
		m.videos = slices.DeleteFunc(m.videos, func(x *mixInput) bool { return x == in })
		m.relayoutLocked()
	} else {
		m.audios = slices.DeleteFunc(m.audios, func(x *mixInput) bool { return x == in })
		m.aChanged = true
		m.changed = time.Now()
	}
}

// setAvailable hears a mute or unmute of an input.
func (m *mixer) setAvailable(r *trackRec, avail bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if in := m.byRec[r]; in != nil {
		in.paused = !avail
	}
}

// setLayout replaces the layout (ModifyCloudRecording).
func (m *mixer) setLayout(l MixLayout) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.layout = l
	m.fetchImagesLocked()
	m.relayoutLocked()
	m.vChanged = true // the background may have changed
	m.live = false
	m.changed = time.Now()
}

// relayoutLocked places the video inputs; inputs whose cell changed size
// or fit get a new decoder.
func (m *mixer) relayoutLocked() {
	srcs := make([]mixSource, len(m.videos))
	for i, in := range m.videos {
		srcs[i] = mixSource{user: in.user, sub: in.sub}
	}
	cells := layoutCells(m.layout, m.p.Width, m.p.Height, srcs)
	shown := map[*mixInput]mixCell{}
	var next []placed
	for _, c := range cells {
		in := m.videos[c.src]
		shown[in] = c
		next = append(next, placed{in, c})
	}
	for _, in := range m.videos {
		c, ok := shown[in]
		same := ok == in.shown && (!ok || c.w == in.cell.w && c.h == in.cell.h && c.fit == in.cell.fit && m.layout.Background == in.bg)
		if !same {
			in.gen++
			in.latest = nil
		}
		in.cell, in.shown, in.bg = c, ok, m.layout.Background
	}
	if !slices.EqualFunc(next, m.cells, func(a, b placed) bool { return a.in == b.in && a.cell == b.cell }) {
		m.vChanged = true
		m.live = false
		m.changed = time.Now()
	}
	m.cells = next
}

// videoCell returns the cell of a video input and its generation; ok is
// false when the layout does not show it.
func (m *mixer) videoCell(r *trackRec) (c mixCell, bg [3]byte, gen uint64, in *mixInput, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in = m.byRec[r]
	if in == nil {
		return mixCell{}, bg, 0, nil, false
	}
	return in.cell, in.bg, in.gen, in, in.shown
}

// putFrame stores a decoded frame made for generation gen of in's cell.
func (m *mixer) putFrame(in *mixInput, gen uint64, f []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if in.gen == gen && in.shown && len(f) == frameSize(in.cell.w, in.cell.h) {
		in.latest = f
	}
}

// stop ends the pipeline: the encoder completes its files.
func (m *mixer) stop() {
	if m == nil {
		return
	}
	m.mu.Lock()
	running := m.running
	if !m.stopped {
		m.stopped = true
		close(m.quit)
	}
	m.mu.Unlock()
	if running {
		<-m.done
	}
	m.stopImages()
}

// MixCell is a stream a mixed recording shows (Service.MixInputs).
type MixCell struct {
	UserID        trtc.UserID
	Sub           bool // the screen share
	Left, Top     int
	Width, Height int
	Live          bool // the output shows the current layout, every cell decoded
}

// inputs lists the video inputs shown, in drawing order.
func (m *mixer) inputs() []MixCell {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []MixCell
	for _, pc := range m.cells {
		out = append(out, MixCell{UserID: pc.in.user, Sub: pc.in.sub, Left: pc.cell.x, Top: pc.cell.y,
			Width: pc.cell.w, Height: pc.cell.h, Live: m.live})
	}
	return out
}

// run is the mixer's clock, started with the first input: it writes one
// output frame every 1/Fps of wall-clock time until stopped.
func (m *mixer) run() {
	defer close(m.done)
	fps := int64(m.p.Fps)
	start := time.Now()
	var frames int64
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	for {
		select {
		case <-m.quit:
			m.shutdown()
			return
		case now := <-tick.C:
			due := int64(now.Sub(start)) * fps / int64(time.Second)
			if due-frames > mixCatchUp*fps {
				// Far behind (the machine or ffmpeg stalled): skip, the
				// output timeline loses that time.
				m.skipped += due - frames - 1
				frames = due - 1
			}
			for frames < due {
				if !m.step(frames) {
					m.shutdown()
					return
				}
				frames++
			}
		}
	}
}

// step writes output frame k and its audio; false when the task failed.
func (m *mixer) step(k int64) bool {
	fps := int64(m.p.Fps)
	samples := int((k+1)*mixRate/fps - k*mixRate/fps)
	m.reconfigure()
	copying := m.t.push != nil && m.copyMode() // cdncopy.go
	if m.out.video() && m.comp != nil && !copying {
		all := true
		for i, pc := range m.compCells {
			f, ok := m.cellFrame(pc)
			all = all && ok
			if err := writePipe(m.comp.input(i), f, mixStall); err != nil {
				if !m.failed("compositor", &m.comp, err) {
					return false
				}
				break
			}
		}
		m.mu.Lock()
		if m.firstLive < 0 && (all || m.written >= mixHoldMax*m.p.Fps) {
			m.firstLive = m.written
		}
		m.written++
		m.mu.Unlock()
	}
	if m.amix != nil {
		for i, in := range m.amixIns {
			b := make([]byte, samples*mixFrameLen)
			in.pcm.pull(b)
			if err := writePipe(m.amix.input(i), b, mixStall); err != nil {
				if !m.failed("audio mixer", &m.amix, err) {
					return false
				}
				break
			}
		}
	}
	if copying {
		running, ok := m.copyStep()
		b := make([]byte, samples*mixFrameLen)
		m.mixed.pull(b)
		if !ok || !running {
			return ok
		}
		if err := writePipe(m.enc.input(1), b, m.t.svc.cfg.StallTimeout); err != nil {
			m.restartCopy()
			return m.failed("encoder", &m.enc, err)
		}
		return true
	}
	if m.enc == nil {
		if !m.startEncoder() {
			return false
		}
		if m.enc == nil {
			return true // replaced at the next frame
		}
	}
	audioIn := 0
	if m.out.video() {
		audioIn = 1
		if err := m.enc.write(m.canvasFrame(), m.t.svc.cfg.StallTimeout); err != nil {
			return m.failed("encoder", &m.enc, err)
		}
	}
	b := make([]byte, samples*mixFrameLen)
	m.mixed.pull(b)
	if err := writePipe(m.enc.input(audioIn), b, m.t.svc.cfg.StallTimeout); err != nil {
		return m.failed("encoder", &m.enc, err)
	}
	return true
}

// solidFor returns a cached w×h frame of colour c.
func (m *mixer) solidFor(w, h int, c [3]byte) []byte {
	k := [5]int{w, h, int(c[0]), int(c[1]), int(c[2])}
	f := m.solid[k]
	if f == nil {
		f = solidFrame(w, h, c)
		m.solid[k] = f
	}
	return f
}

// cellFrame is what a cell shows now: its newest frame, or its background
// until its decoder delivers (black for a muted input with FillType 1);
// ok reports a decoded frame (or a deliberate black one).
func (m *mixer) cellFrame(pc placed) (f []byte, ok bool) {
	m.mu.Lock()
	f, paused, bg := pc.in.latest, pc.in.paused, m.layout.Background
	m.mu.Unlock()
	ph := m.placeholderFor(pc) // miximagemix.go; nil without one
	if paused && ph != nil {
		return ph, true
	}
	if paused && m.p.FillBlack {
		return m.solidFor(pc.cell.w, pc.cell.h, [3]byte{}), true
	}
	if len(f) != frameSize(pc.cell.w, pc.cell.h) {
		if ph != nil {
			return ph, false
		}
		return m.solidFor(pc.cell.w, pc.cell.h, bg), false
	}
	return f, true
}

// canvasFrame is the newest composited canvas, or the background.
func (m *mixer) canvasFrame() []byte {
	m.mu.Lock()
	f, bg := m.canvas, m.layout.Background
	m.mu.Unlock()
	if f == nil {
		return m.solidFor(m.p.Width, m.p.Height, bg)
	}
	return f
}

// reconfigure restarts the compositor or the audio mixer when their
// inputs changed (or they failed).
func (m *mixer) reconfigure() {
	m.mu.Lock()
	if time.Since(m.changed) < mixSettle {
		m.mu.Unlock()
		return
	}
	vc, ac := m.vChanged || (m.comp == nil && len(m.cells) > 0), m.aChanged || (m.amix == nil && len(m.audios) > 0)
	if m.t.push != nil && m.copyInputLocked() != nil {
		vc = false // a pass-through copy composites nothing (cdncopy.go)
	}
	m.vChanged, m.aChanged = false, false
	cells := slices.Clone(m.cells)
	audios := slices.Clone(m.audios)
	if vc {
		m.compGen++
		m.firstLive, m.written = -1, 0
		if len(cells) == 0 {
			m.canvas = nil
			m.live = true
		}
	}
	gen := m.compGen
	m.mu.Unlock()
	if vc && m.out.video() && len(cells) == 0 {
		m.stillImages(gen) // miximagemix.go
	}
	if vc && m.out.video() {
		if m.comp != nil {
			m.comp.end()
			m.comp = nil
		}
		m.compCells = nil
		if len(cells) > 0 {
			m.startCompositor(cells, gen)
		}
	}
	if ac {
		if m.amix != nil {
			m.amix.end()
			m.amix = nil
		}
		m.amixIns = nil
		if len(audios) > 0 {
			m.startAudioMixer(audios)
		}
	}
}

func (m *mixer) startCompositor(cells []placed, gen int) {
	cs := make([]mixCell, len(cells))
	for i, pc := range cells {
		cs[i] = pc.cell
	}
	p := m.p
	m.mu.Lock()
	p.Layout = m.layout
	m.mu.Unlock()
	size := frameSize(p.Width, p.Height)
	img := layoutImages(p, m.images.paths(p.Layout), len(cs))
	proc, err := launchMix(m.t.svc.cfg.FFmpeg, compositorImageArgs(p, cs, img), mixIO{extra: len(cells) - 1, stdout: func(r io.Reader) {
		for n := 0; ; n++ {
			f := make([]byte, size)
			if _, err := io.ReadFull(r, f); err != nil {
				return
			}
			m.mu.Lock()
			// Output frame n is made of input frame n (both run at Fps
			// from 0).
			if m.compGen == gen && m.firstLive >= 0 && n >= m.firstLive {
				m.canvas = f
				m.live = m.live || !m.vChanged
			}
			m.mu.Unlock()
		}
	}})
	if err != nil {
		m.failed("compositor", &m.comp, err)
		return
	}
	m.comp, m.compCells = proc, cells
}

func (m *mixer) startAudioMixer(ins []*mixInput) {
	proc, err := launchMix(m.t.svc.cfg.FFmpeg, audioMixerArgs(len(ins)), mixIO{extra: len(ins) - 1, stdout: func(r io.Reader) {
		b := make([]byte, 16<<10)
		for {
			n, err := r.Read(b)
			m.mixed.push(b[:n])
			if err != nil {
				return
			}
		}
	}})
	if err != nil {
		m.failed("audio mixer", &m.amix, err)
		return
	}
	m.amix, m.amixIns = proc, ins
}

// startEncoder starts the encoder on a new set of files named
// mix_<beginMs>…; false when the task failed.
func (m *mixer) startEncoder() bool {
	if m.out.stream {
		return m.startPushEncoder()
	}
	begin := time.Now()
	base := fmt.Sprintf("mix_%d", begin.UnixMilli())
	c := &completion{done: m.t.fileDone}
	first := true
	extra := 0
	if m.out.video() {
		extra = 1
	}
	proc, err := launchMix(m.t.svc.cfg.FFmpeg, encoderArgs(m.p, m.out, base, m.t.p.MaxFileDuration), mixIO{
		dir: m.t.dir, extra: extra,
		onLine: logFiles(func(path string) {
			abs := filepath.Join(m.t.dir, path)
			if listed := m.t.listedFile(abs); listed != "" {
				at := time.Now()
				if first {
					at, first = begin, false
				}
				track := "audio_video"
				if strings.HasSuffix(listed, ".aac") {
					track = "audio"
				}
				m.t.fileOpened(StorageFile{FileName: filepath.Base(listed), TrackType: track, MediaID: "mix", BeginTimeStamp: at.UnixMilli()})
			}
			c.opened(abs)
		}),
		onExit: c.exited,
	})
	if err != nil {
		return m.failed("encoder", &m.enc, err)
	}
	m.enc = proc
	if hook := m.t.svc.workerStarted; hook != nil {
		hook(proc.cmd.Process.Pid)
	}
	return true
}

// logFiles turns the muxers' "Opening '<path>' for writing" log lines into
// onFile calls.
func logFiles(onFile func(path string)) func(string) {
	return func(line string) {
		if i := strings.Index(line, "Opening '"); i >= 0 && strings.HasSuffix(line, "' for writing") {
			onFile(line[i+len("Opening '") : len(line)-len("' for writing")])
		}
	}
}

// failed handles a process of the pipeline that exited, stalled or did not
// start: it is killed and replaced (FAILOVER), unless it failed more than
// MaxRestarts times in a row; then the task fails. It returns false when
// the task failed.
func (m *mixer) failed(what string, pp **mixProc, err error) bool {
	log := ""
	if p := *pp; p != nil {
		log = p.stderr.String()
		if time.Since(p.started) >= mixHealthy {
			m.fails[what] = 0
		}
		p.end()
		*pp = nil
	}
	m.t.svc.log.Warn("mixed recording process failed", "task", m.t.id, "process", what, "err", err, "log", log)
	m.mu.Lock()
	switch what {
	case "compositor":
		m.vChanged = true
	case "audio mixer":
		m.aChanged = true
	}
	m.mu.Unlock()
	m.fails[what]++
	if m.fails[what] > m.t.svc.cfg.MaxRestarts {
		m.t.mixFailed(fmt.Errorf("%s: %w", what, err))
		return false
	}
	m.t.mu.Lock()
	m.t.restarts++
	m.t.mu.Unlock()
	m.t.svc.emit(m.t, EventFailover, map[string]any{"Status": 0, "UserId": "", "TrackType": "audio_video", "Reason": what + ": " + err.Error()})
	return true
}

// shutdown ends the compositor and the audio mixer and lets the encoder
// complete its files.
func (m *mixer) shutdown() {
	m.mixed.mu.Lock()
	underruns, dropped := m.mixed.underruns, m.mixed.dropped
	m.mixed.mu.Unlock()
	m.t.svc.log.Info("mixed recording ends", "task", m.t.id, "skippedFrames", m.skipped,
		"audioUnderruns", underruns, "audioDroppedBytes", dropped)
	for _, p := range []*mixProc{m.comp, m.amix} {
		if p != nil {
			p.end()
		}
	}
	m.comp, m.amix = nil, nil
	if m.enc == nil {
		return
	}
	m.enc.closeExtra()
	grace := m.t.svc.cfg.FinishTimeout
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := m.enc.finish(ctx, grace); err != nil {
		m.t.svc.log.Warn("mixed recording encoder ended with an error", "task", m.t.id, "err", err, "log", m.enc.stderr.String())
	}
	m.enc = nil
}

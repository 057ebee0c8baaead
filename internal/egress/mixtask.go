package egress

import (
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// What a mixed recording adds to the task, its track recorders and the
// service (mixer.go runs the pipeline).

// mixFailed ends the task: its mix could not be kept running.
func (t *Task) mixFailed(err error) {
	t.svc.log.Error("mixed recording failed", "task", t.id, "err", err)
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
	go t.stop(LeaveFailed)
}

// flushEvery is how often the track's pending bytes go to its worker.
func (r *trackRec) flushEvery() time.Duration {
	if r.task.mix != nil {
		return mixFlushInterval
	}
	return flushInterval
}

// startMixDecoder starts the decoder of a mixed input; false when the
// input is not shown (its frames are dropped) or the task failed.
func (r *trackRec) startMixDecoder() bool {
	m := r.task.mix
	var args []string
	var read func(io.Reader)
	if r.video {
		c, bg, gen, in, ok := m.videoCell(r)
		if !ok {
			r.frames.needKey = true
			return false
		}
		in.decGen = gen
		args = videoDecoderArgs(c, bg)
		size := frameSize(c.w, c.h)
		read = func(out io.Reader) {
			for {
				f := make([]byte, size)
				if _, err := io.ReadFull(out, f); err != nil {
					return
				}
				m.putFrame(in, gen, f)
			}
		}
	} else {
		m.mu.Lock()
		in := m.byRec[r]
		m.mu.Unlock()
		if in == nil {
			return false
		}
		args = audioDecoderArgs()
		read = func(out io.Reader) {
			b := make([]byte, 16<<10)
			for {
				n, err := out.Read(b)
				in.pcm.push(b[:n])
				if err != nil {
					return
				}
			}
		}
	}
	p, err := launchMix(r.task.svc.cfg.FFmpeg, args, mixIO{stdout: read})
	if err != nil {
		r.failed = true
		r.task.trackFailed(r, err)
		return false
	}
	r.w = p.worker
	if hook := r.task.svc.workerStarted; hook != nil {
		hook(p.cmd.Process.Pid)
	}
	return true
}

// mixFresh reports whether a mixed video input's decoder still fits its
// cell. When the layout changed the cell's size or fit, the decoder is
// ended and the next one starts from a keyframe (requested here).
func (r *trackRec) mixFresh() bool {
	_, _, gen, in, shown := r.task.mix.videoCell(r)
	if in == nil {
		return false
	}
	if gen != in.decGen {
		in.decGen = gen
		if r.w != nil {
			r.w.kill()
			<-r.w.done
			r.w = nil
			r.buf = r.buf[:0]
		}
		r.frames.needKey = true
		if shown {
			r.track.RequestKeyframe()
		}
		return false
	}
	return shown
}

// SetLayout replaces the layout of a running mixed recording
// (ModifyCloudRecording's MixLayoutParams).
func (s *Service) SetLayout(app trtc.SDKAppID, id string, l MixLayout) error {
	t, err := s.task(app, id)
	if err != nil {
		return err
	}
	if t.isStopping() {
		return ErrTaskNotFound
	}
	if t.mix == nil {
		return ErrNotMixed
	}
	if err := CheckLayout(l, t.mix.p.Width, t.mix.p.Height); err != nil {
		return err
	}
	t.mix.setLayout(l)
	return nil
}

// MixInputs lists the streams a mixed recording shows, in drawing order
// (tests, diagnostics).
func (s *Service) MixInputs(app trtc.SDKAppID, id string) ([]MixCell, error) {
	t, err := s.task(app, id)
	if err != nil {
		return nil, err
	}
	if t.mix == nil {
		return nil, ErrNotMixed
	}
	return t.mix.inputs(), nil
}

// mixFileOf recognises a listed file of a mixed recording by its name
// (parts: the name without extension split at "_"): mix_<beginMs>_NNN.mp4,
// mix_<beginMs>_NNN.aac or mix_<beginMs>_hls.m3u8 (persist.go).
func mixFileOf(name string, parts []string) (StorageFile, bool) {
	if len(parts) != 3 || parts[0] != "mix" {
		return StorageFile{}, false
	}
	ms, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return StorageFile{}, false
	}
	track := "audio_video"
	switch ext := filepath.Ext(name); {
	case ext == ".aac":
		track = "audio"
	case ext == ".mp4", ext == ".m3u8" && parts[2] == "hls":
	default:
		return StorageFile{}, false
	}
	return StorageFile{FileName: name, TrackType: track, MediaID: "mix", BeginTimeStamp: ms}, true
}

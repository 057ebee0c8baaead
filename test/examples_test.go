package test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/examples/examplecmd"
	"github.com/rtcengine/rtcengine/examples/mediafile"
)

// The examples, end to end: ffmpeg makes a VP8 test pattern and an Opus
// sine, examples/publish sends them into a room, examples/record writes
// what it receives, and ffprobe reads the recordings.

// mediaTool finds an ffmpeg tool; a missing one fails the test, since
// `make deps` installs it.
func mediaTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `make deps`, which installs ffmpeg (it provides %s)", name, name)
	}
	return p
}

func runTool(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// probe is what ffprobe -show_streams -show_format says about a file.
type probe struct {
	Streams []struct {
		CodecName     string `json:"codec_name"`
		CodecType     string `json:"codec_type"`
		Width         int    `json:"width"`
		Height        int    `json:"height"`
		Channels      int    `json:"channels"`
		NbReadPackets string `json:"nb_read_packets"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

func ffprobe(t *testing.T, bin, path string) probe {
	t.Helper()
	out := runTool(t, bin, "-v", "error", "-count_packets", "-show_streams", "-show_format", "-of", "json", path)
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	if len(p.Streams) != 1 {
		t.Fatalf("ffprobe %s: %d streams, want 1\n%s", path, len(p.Streams), out)
	}
	return p
}

// lineLog is a command's stdout that a test can wait on.
type lineLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{}, 1)} }

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf.Write(p)
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// wait waits until the output holds s.
func (l *lineLog) wait(t *testing.T, d time.Duration, s string) {
	t.Helper()
	timeout := time.After(d)
	for !strings.Contains(l.String(), s) {
		select {
		case <-l.changed:
		case <-timeout:
			t.Fatalf("no %q within %v; output:\n%s", s, d, l.String())
		}
	}
}

// ivfFrames returns the frames of an IVF file.
func ivfFrames(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := mediafile.NewIVFReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		fr, err := r.Next()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		frames = append(frames, fr.Data)
	}
}

// inOrder reports whether every recorded frame is a published one, in the
// published order (frames may be missing, never changed or reordered).
func inOrder(recorded, published [][]byte) bool {
	i := 0
	for _, r := range recorded {
		for i < len(published) && !bytes.Equal(published[i], r) {
			i++
		}
		if i == len(published) {
			return false
		}
		i++
	}
	return true
}

func TestExamplesPublishRecord(t *testing.T) {
	ffmpegBin, ffprobeBin := mediaTool(t, "ffmpeg"), mediaTool(t, "ffprobe")
	dir := t.TempDir()
	clipIVF, clipOgg, outDir := filepath.Join(dir, "clip.ivf"), filepath.Join(dir, "clip.ogg"), filepath.Join(dir, "rec")
	// The commands of examples/README.md, at 320x240 for 3 s.
	runTool(t, ffmpegBin, "-hide_banner", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "3",
		"-c:v", "libvpx", "-b:v", "500k", "-g", "30", "-deadline", "realtime", clipIVF)
	runTool(t, ffmpegBin, "-hide_banner", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "libopus", "-b:a", "48k", clipOgg)
	sent := ivfFrames(t, clipIVF)
	published := len(sent)

	e := NewEnv(t)
	conn := []string{"--server", e.Srv.SignalURL(), "--room", "1234",
		"--sdkappid", strconv.Itoa(appID), "--key", appSecret}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	recLog := newLineLog()
	recDone := make(chan error, 1)
	go func() {
		recDone <- examplecmd.Record(ctx, append([]string{"--user", "rec", "--out", outDir}, conn...), recLog)
	}()
	recLog.wait(t, 10*time.Second, "in room 1234 as rec")

	pubLog := newLineLog()
	start := time.Now()
	err := examplecmd.Publish(ctx, append([]string{"--user", "pub", "--video", clipIVF, "--audio", clipOgg}, conn...), pubLog)
	t.Logf("publish (%v):\n%s", time.Since(start).Round(time.Millisecond), pubLog)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	recLog.wait(t, 5*time.Second, "pub left")
	cancel()
	select {
	case err := <-recDone:
		t.Logf("record:\n%s", recLog)
		if err != nil {
			t.Fatalf("record: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("record did not stop; output:\n%s", recLog)
	}

	v := ffprobe(t, ffprobeBin, filepath.Join(outDir, "pub.ivf"))
	vs := v.Streams[0]
	got, _ := strconv.Atoi(vs.NbReadPackets)
	t.Logf("pub.ivf: %s %s %dx%d, %d of %d frames, %ss", v.Format.FormatName, vs.CodecName, vs.Width, vs.Height, got, published, v.Format.Duration)
	if vs.CodecName != "vp8" || vs.Width != 320 || vs.Height != 240 {
		t.Errorf("pub.ivf: %s %dx%d, want vp8 320x240", vs.CodecName, vs.Width, vs.Height)
	}
	if got*5 < published*4 {
		t.Errorf("pub.ivf: %d frames of %d published, want at least 80%%", got, published)
	}

	if !inOrder(ivfFrames(t, filepath.Join(outDir, "pub.ivf")), sent) {
		t.Errorf("pub.ivf: frames differ from the published ones or are out of order")
	}

	a := ffprobe(t, ffprobeBin, filepath.Join(outDir, "pub.ogg"))
	as := a.Streams[0]
	dur, _ := strconv.ParseFloat(a.Format.Duration, 64)
	t.Logf("pub.ogg: %s %s, %d channel(s), %s packets, %.3fs", a.Format.FormatName, as.CodecName, as.Channels, as.NbReadPackets, dur)
	if as.CodecName != "opus" {
		t.Errorf("pub.ogg: codec %s, want opus", as.CodecName)
	}
	if dur < 2.4 || dur > 3.6 {
		t.Errorf("pub.ogg: %.3fs of audio, want 3s ± 20%%", dur)
	}
	// Both recordings decode without a single error.
	for _, f := range []string{"pub.ivf", "pub.ogg"} {
		runTool(t, ffmpegBin, "-v", "error", "-xerror", "-i", filepath.Join(outDir, f), "-f", "null", "-")
	}
}

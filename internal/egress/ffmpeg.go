package egress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// worker is one ffmpeg process remuxing a container read from its stdin
// into files. Its stdin is a pipe the recorder writes with a deadline, so an
// ffmpeg that stops reading is noticed (stall) as surely as one that exits.
type worker struct {
	cmd     *exec.Cmd
	stdin   *os.File
	done    chan struct{} // closed when the process has exited
	waitErr error
	stderr  *tailBuffer
}

// workerSpec says what one worker reads and writes.
type workerSpec struct {
	ffmpeg    string
	inFormat  string // "ivf" or "ogg"
	pattern   string // output path with %03d for the segment number
	outFormat string // "webm" or "ogg"
	segment   time.Duration
	onFile    func(path string) // a new output file was opened
	onDone    func(path string) // an output file is complete (formats.go)
	// args, if set, replaces the output arguments after "-i pipe:0"
	// (formats.go).
	args []string
}

// startWorker starts ffmpeg for spec.
func startWorker(spec workerSpec) (*worker, error) {
	args := []string{
		"-hide_banner", "-loglevel", "info", "-nostats",
		"-f", spec.inFormat, "-i", "pipe:0",
	}
	if spec.args != nil {
		args = append(args, spec.args...)
	} else {
		args = append(args, segmentArgs(spec.outFormat, spec.segment, spec.pattern)...)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("egress: pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("egress: pipe: %w", err)
	}
	cmd := exec.Command(spec.ffmpeg, args...)
	cmd.Stdin, cmd.Stderr, cmd.Stdout = pr, errW, nil
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		errR.Close()
		errW.Close()
		return nil, fmt.Errorf("egress: start %s: %w", spec.ffmpeg, err)
	}
	pr.Close()
	errW.Close()
	w := &worker{cmd: cmd, stdin: pw, done: make(chan struct{}), stderr: &tailBuffer{max: 4096}}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		w.readLog(errR, spec.onFile, &completion{done: spec.onDone})
	}()
	go func() {
		<-logDone
		w.waitErr = cmd.Wait()
		close(w.done)
	}()
	return w, nil
}

// readLog follows ffmpeg's log: the segment muxer logs "Opening '<path>'
// for writing" for every file it starts.
func (w *worker) readLog(r io.ReadCloser, onFile func(string), c *completion) {
	defer r.Close()
	defer c.exited()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		line := sc.Text()
		w.stderr.add(line)
		if i := strings.Index(line, "Opening '"); i >= 0 && strings.HasSuffix(line, "' for writing") {
			path := line[i+len("Opening '") : len(line)-len("' for writing")]
			if onFile != nil {
				onFile(path)
			}
			c.opened(path)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// errStalled: ffmpeg did not take input for the stall timeout.
var errStalled = errors.New("egress: ffmpeg stopped reading its input")

// write gives ffmpeg b, failing when ffmpeg exited or does not read within
// stall.
func (w *worker) write(b []byte, stall time.Duration) error {
	if err := w.stdin.SetWriteDeadline(time.Now().Add(stall)); err != nil {
		return err
	}
	_, err := w.stdin.Write(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errStalled
	}
	return err
}

// finish closes ffmpeg's input so it completes its files, and waits for it
// to exit; after grace it is killed.
func (w *worker) finish(ctx context.Context, grace time.Duration) error {
	_ = w.stdin.Close()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-w.done:
	case <-t.C:
		w.kill()
		<-w.done
	case <-ctx.Done():
		w.kill()
		<-w.done
	}
	return w.waitErr
}

// kill ends the process at once.
func (w *worker) kill() {
	_ = w.stdin.Close()
	if w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
	}
}

// exited reports whether the process has ended.
func (w *worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// tailBuffer keeps the last lines of ffmpeg's log for error reports.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
	size  int
}

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	t.size += len(line)
	for t.size > t.max && len(t.lines) > 1 {
		t.size -= len(t.lines[0])
		t.lines = t.lines[1:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

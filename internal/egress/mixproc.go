package egress

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// mixProc is one ffmpeg of a mixed recording: a decoder, the compositor,
// the audio mixer or the encoder. Beyond the worker's stdin it may have
// more input pipes (fds 3, 4, …) and a stdout the mixer reads.
type mixProc struct {
	*worker
	extra   []*os.File // write ends of fds 3, 4, …
	started time.Time
}

// mixIO says how a mixing ffmpeg is connected.
type mixIO struct {
	dir    string            // working directory ("" = the server's)
	extra  int               // input pipes beyond stdin, on fds 3, 4, …
	stdout func(io.Reader)   // reads stdout until EOF; nil discards it
	onLine func(line string) // hears every log line
	onExit func()            // after the log ended
}

// launchMix starts ffmpeg with its input pipes, stdout and log connected.
func launchMix(bin string, args []string, mio mixIO) (*mixProc, error) {
	var parent, child []*os.File
	closeAll := func() {
		for _, f := range append(parent, child...) {
			_ = f.Close()
		}
	}
	// Pipes in this order: stdin, stderr, stdout, extra inputs; the parent
	// writes the inputs and reads the others.
	for i := range 3 + mio.extra {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("egress: pipe: %w", err)
		}
		if i == 1 || i == 2 {
			parent, child = append(parent, r), append(child, w)
		} else {
			parent, child = append(parent, w), append(child, r)
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = mio.dir
	cmd.Stdin, cmd.Stderr, cmd.Stdout = child[0], child[1], child[2]
	cmd.ExtraFiles = child[3:]
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("egress: start %s: %w", bin, err)
	}
	for _, f := range child {
		_ = f.Close()
	}
	p := &mixProc{
		worker:  &worker{cmd: cmd, stdin: parent[0], done: make(chan struct{}), stderr: &tailBuffer{max: 4096}},
		extra:   parent[3:],
		started: time.Now(),
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		p.readLog(parent[1], mio.onLine)
		if mio.onExit != nil {
			mio.onExit()
		}
	}()
	go func() {
		defer readers.Done()
		out := parent[2]
		if mio.stdout != nil {
			mio.stdout(out)
		}
		_, _ = io.Copy(io.Discard, out)
		_ = out.Close()
	}()
	go func() {
		readers.Wait()
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// readLog keeps the log's tail for error reports and hands each line on.
func (p *mixProc) readLog(r io.ReadCloser, onLine func(string)) {
	defer r.Close()
	buf := make([]byte, 4096)
	var line []byte
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			if c != '\n' && c != '\r' {
				if len(line) < 64<<10 {
					line = append(line, c)
				}
				continue
			}
			if len(line) > 0 {
				p.stderr.add(string(line))
				if onLine != nil {
					onLine(string(line))
				}
				line = line[:0]
			}
		}
		if err != nil {
			return
		}
	}
}

// input returns the write end of input i: 0 is stdin, then fds 3, 4, ….
func (p *mixProc) input(i int) *os.File {
	if i == 0 {
		return p.stdin
	}
	return p.extra[i-1]
}

// closeExtra closes the extra input pipes (the worker closes stdin).
func (p *mixProc) closeExtra() {
	for _, f := range p.extra {
		_ = f.Close()
	}
}

// end kills the process and waits for it.
func (p *mixProc) end() {
	p.closeExtra()
	p.kill()
	<-p.done
}

// writePipe writes b to one of ffmpeg's input pipes, failing when ffmpeg
// exited or does not read within stall.
func writePipe(f *os.File, b []byte, stall time.Duration) error {
	if err := f.SetWriteDeadline(time.Now().Add(stall)); err != nil {
		return err
	}
	_, err := f.Write(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errStalled
	}
	return err
}

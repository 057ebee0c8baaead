package netem

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// failLogDir is where a failed test leaves the logs of its server and
// clients. They used to go to the test's own output, tens of kilobytes of
// Pion's connection chatter after the test's errors, so that a CI report
// that shows the end of the output showed the chatter and not the error.
func failLogDir() string {
	if d := os.Getenv("NETEM_LOGDIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "rtcengine-netem-logs")
}

// tailLines is how much of a log the test output keeps.
const tailLines = 4

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// keepLog writes log, what a failed test's part printed, to a file in
// failLogDir and puts only its path and its last lines in the test's
// output.
func keepLog(t testing.TB, what, log string) {
	t.Helper()
	if log == "" {
		return
	}
	dir := failLogDir()
	name := unsafeName.ReplaceAllString(fmt.Sprintf("%s-%s-%s.log", t.Name(), what, time.Now().UTC().Format("20060102T150405.000")), "_")
	path := filepath.Join(dir, name)
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		err = os.WriteFile(path, []byte(log), 0o644)
	}
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	tail := strings.Join(lines[max(0, len(lines)-tailLines):], "\n")
	if err != nil {
		// Nowhere to keep it: the output gets the whole log after all.
		t.Logf("%s (not kept: %v):\n%s", what, err, log)
		return
	}
	t.Logf("%s: %d lines in %s, the last %d:\n%s", what, len(lines), path, min(tailLines, len(lines)), tail)
}

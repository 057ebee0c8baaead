package egress

import (
	"os"
	"time"
)

// createWait bounds how long a file ffmpeg announced is waited for.
const createWait = 2 * time.Second

// awaitCreated waits until path exists, at most createWait, and reports
// whether it does. ffmpeg logs "Opening '<path>' for writing" just before
// it opens the file (libavformat's io_open), so a FILE_SLICE sent on the
// log line alone could name a file not yet on disk — one a crash at that
// moment would never leave, and one a restarted server would not list.
func awaitCreated(path string) bool {
	deadline := time.Now().Add(createWait)
	pause := 500 * time.Microsecond
	for {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 20*time.Millisecond)
	}
}

package egress

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// BenchmarkConcurrentRecordings runs RECORDINGS (default 100) single-stream
// tasks at once, each recording one user's 25 fps VP8 video (about
// 800 kbit/s) and 50 packet/s Opus audio in real time for 20 s, and reports
// the CPU it took (this process and its ffmpeg children) and what was lost.
// Run it with -benchtime=1x; docs/benchmarks.md has the numbers.
func BenchmarkConcurrentRecordings(b *testing.B) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("RECORDINGS")); err == nil && v > 0 {
		n = v
	}
	const run = 20 * time.Second
	for range b.N {
		dir := b.TempDir()
		s := New(Config{Dir: dir, Media: nopMedia{}, MaxTasks: n})
		var pidMu sync.Mutex
		var pids []int
		s.workerStarted = func(pid int) {
			pidMu.Lock()
			pids = append(pids, pid)
			pidMu.Unlock()
		}
		before := cpuTime()
		start := time.Now()
		var tasks []*Task
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for i := range n {
			id, err := s.Create(TaskParams{Room: benchKey(b), UserID: trtc.UserID(fmt.Sprintf("rec%d", i)),
				MaxIdleTime: time.Minute, Retention: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			s.mu.Lock()
			task := s.tasks[id]
			s.mu.Unlock()
			tasks = append(tasks, task)
			user := fmt.Sprintf("u%d", i)
			a := &fakeSource{id: sfu.TrackID(user + "/audio"), mime: "audio/opus"}
			v := &fakeSource{id: sfu.TrackID(user + "/video"), mime: "video/VP8"}
			task.trackChanged(trackInfo{user: trtc.UserID(user), stream: room.StreamAudio, track: a, available: true}, false)
			task.trackChanged(trackInfo{user: trtc.UserID(user), stream: room.StreamVideo, track: v, available: true}, false)
			wg.Add(1)
			go func() {
				defer wg.Done()
				pump(b, a, v, stop)
			}()
		}
		// Steady state: the second half of the run, ffmpeg start-up excluded.
		time.Sleep(run / 2)
		pidMu.Lock()
		steady := append([]int(nil), pids...)
		pidMu.Unlock()
		midSelf, midKids, midAt := selfCPU(), childrenCPU(steady), time.Now()
		time.Sleep(run / 2)
		window := time.Since(midAt).Seconds()
		selfCores := (selfCPU() - midSelf).Seconds() / window
		ffmpegCores := (childrenCPU(steady) - midKids).Seconds() / window
		steadyCores := selfCores + ffmpegCores
		close(stop)
		wg.Wait()
		var files, restarts int
		var drops uint64
		for _, task := range tasks {
			task.mu.Lock()
			for _, r := range task.recs {
				drops += r.drops.Load()
			}
			task.mu.Unlock()
			go task.stop(LeaveNormal)
		}
		for _, task := range tasks {
			<-task.exited
			info := task.info()
			files += len(info.Files)
			restarts += info.Restarts
		}
		wall := time.Since(start)
		used := cpuTime() - before
		b.ReportMetric(float64(n), "recordings")
		b.ReportMetric(used.Seconds()/wall.Seconds(), "cores")
		b.ReportMetric(float64(n)/(used.Seconds()/wall.Seconds()), "recordings/core")
		b.ReportMetric(steadyCores, "steady-cores")
		b.ReportMetric(selfCores, "steady-self-cores")
		b.ReportMetric(ffmpegCores, "steady-ffmpeg-cores")
		b.ReportMetric(float64(n)/steadyCores, "steady-recordings/core")
		b.ReportMetric(float64(drops), "drops")
		b.ReportMetric(float64(restarts), "restarts")
		if files != 2*n {
			b.Fatalf("%d files, want %d", files, 2*n)
		}
	}
}

func benchKey(b *testing.B) trtc.RoomKey {
	k, err := trtc.NewRoomKey(1400000001, 43, "")
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// pump publishes 25 fps video of 4 KB frames (a keyframe every 2 s) in
// four packets each, and 20 ms Opus packets, in real time until stop.
func pump(b *testing.B, a, v *fakeSource, stop chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var audio, frame uint32
	key := []byte{0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		pkt := make([]byte, 80)
		pkt[0] = 0xf8
		a.pushT(b, audio*960, false, pkt)
		audio++
		if audio%2 == 0 {
			for p := range 4 {
				payload := make([]byte, 1000)
				if p == 0 {
					copy(payload, key)
					if frame%50 != 0 {
						payload[1] = 0x11 // a delta frame
					}
				}
				v.pushT(b, frame*3600, p == 3, payload)
			}
			frame++
		}
	}
}

// pushT is push for benchmarks.
func (f *fakeSource) pushT(_ *testing.B, ts uint32, marker bool, payload []byte) {
	f.mu.Lock()
	tap := f.tap
	f.seq++
	seq := f.seq
	f.mu.Unlock()
	if tap == nil {
		return
	}
	hdr := make([]byte, 12, 12+len(payload))
	hdr[0] = 0x80
	hdr[1] = 96
	hdr[2], hdr[3] = byte(seq>>8), byte(seq)
	hdr[4], hdr[5], hdr[6], hdr[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
	if marker {
		hdr[1] |= 0x80
	}
	tap.TapPacket(append(hdr, payload...))
}

// childrenCPU sums the user and system time of running processes
// (/proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms).
func childrenCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The command name may hold spaces; fields count from after ")".
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.Atoi(f[11])
		k, _ := strconv.Atoi(f[12])
		total += time.Duration(u+k) * 10 * time.Millisecond
	}
	return total
}

// selfCPU is the user and system time of this process: the recorders and
// the load generator.
func selfCPU() time.Duration {
	var self syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano())
}

// cpuTime is the user and system time of this process and its waited-for
// children.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

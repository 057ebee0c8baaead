package bench

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUReader reads a process's cumulative CPU time (user + system).
type CPUReader func() (time.Duration, error)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// ProcCPU reads the CPU time of a local process from /proc/<pid>/stat.
func ProcCPU(pid int) CPUReader {
	return func() (time.Duration, error) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, err
		}
		return parseProcStat(b)
	}
}

// parseProcStat returns utime + stime from a /proc/<pid>/stat line. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseProcStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: short /proc stat")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bench: bad /proc stat times")
	}
	return time.Duration(ut+st) * clockTick, nil
}

// MetricsCPU reads process_cpu_seconds_total from a server's /metrics (for
// a server that is not our child; 10 ms resolution like /proc).
func MetricsCPU(base string) CPUReader {
	c := &http.Client{Timeout: 10 * time.Second}
	return func() (time.Duration, error) {
		resp, err := c.Get(base + "/metrics")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, err
		}
		for _, line := range strings.Split(string(body), "\n") {
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == "process_cpu_seconds_total" {
				v, err := strconv.ParseFloat(f[1], 64)
				if err != nil {
					return 0, err
				}
				return time.Duration(v * float64(time.Second)), nil
			}
		}
		return 0, fmt.Errorf("no process_cpu_seconds_total at %s/metrics", base)
	}
}

// SelfCPU is the load generator's own CPU time.
func SelfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

package rtc

import (
	"runtime"
	"time"
)

// cpuMeter measures the application's and the system's CPU use between two
// samples, as TRTCStatistics' appCpu and systemCpu: percent of the whole
// machine (all cores). Where the platform offers no counters (cpu_other.go)
// both are unknown.
type cpuMeter struct {
	at          time.Time
	proc        time.Duration // CPU time of this process
	busy, total uint64        // system CPU time counters
	primed      bool
}

// sample returns the use since the previous call (nil when unknown, as on
// the first call).
func (c *cpuMeter) sample(now time.Time) (app, sys *float64) {
	proc, procOK := processCPU()
	busy, total, sysOK := systemCPU()
	defer func() {
		c.at, c.proc, c.busy, c.total, c.primed = now, proc, busy, total, procOK || sysOK
	}()
	if !c.primed {
		return nil, nil
	}
	if wall := now.Sub(c.at); procOK && wall > 0 && proc >= c.proc {
		v := percent(float64(proc-c.proc) / (float64(wall) * float64(runtime.NumCPU())))
		app = &v
	}
	if sysOK && total > c.total && busy >= c.busy {
		v := percent(float64(busy-c.busy) / float64(total-c.total))
		sys = &v
	}
	return app, sys
}

// percent turns a share into a percentage rounded to 0.1, within 0..100.
func percent(share float64) float64 {
	v := float64(int64(share*1000+0.5)) / 10
	return min(max(v, 0), 100)
}

//go:build unix

package main

import (
	"os"
	"slices"
	"strings"
	"syscall"
)

// schedTrace is the GODEBUG setting the server runs with: the scheduler
// trace at its longest period (2^31−1 ms, 24.8 days), for its side effect.
const schedTrace = "schedtrace=2147483647"

// keepSysmonAwake re-executes the server with schedTrace added to GODEBUG,
// unless GODEBUG already has a schedtrace (GODEBUG=schedtrace=0 turns this
// off).
//
// Why: when every P is idle, Go's sysmon thread parks, and the next system
// call wakes it and puts it back to 20 µs naps for at least a millisecond.
// A media server idles between packets dozens of times a second, so sysmon
// woke ~2,000 times a second at 200 subscribers, each wake-up a thread
// switch. With a scheduler trace set, sysmon never parks and its naps grow
// to 10 ms when there is nothing to retake: −14 % server CPU per forwarded
// packet, measured (docs/benchmarks.md, "Receive offload in the SDK, and a
// sysmon that stays awake"). The trace itself prints one line to stderr
// once the machine has been up 24.8 days, and again every 24.8 days.
//
// It returns if it does not re-execute (already set, or exec failed).
func keepSysmonAwake() {
	env, ok := withSchedTrace(os.Environ())
	if !ok {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure: run as we are
}

// withSchedTrace returns environ with schedTrace added to GODEBUG, and
// false if GODEBUG sets schedtrace already.
func withSchedTrace(environ []string) ([]string, bool) {
	for i, kv := range environ {
		v, ok := strings.CutPrefix(kv, "GODEBUG=")
		if !ok {
			continue
		}
		for _, s := range strings.Split(v, ",") {
			if strings.HasPrefix(strings.TrimSpace(s), "schedtrace=") {
				return nil, false
			}
		}
		out := slices.Clone(environ)
		if strings.TrimSpace(v) == "" {
			out[i] = "GODEBUG=" + schedTrace
		} else {
			out[i] = kv + "," + schedTrace
		}
		return out, true
	}
	return append(slices.Clone(environ), "GODEBUG="+schedTrace), true
}

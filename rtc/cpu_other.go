//go:build !linux

package rtc

import "time"

// Without Linux's counters the SDK reports no CPU figures.
func processCPU() (time.Duration, bool) { return 0, false }

func systemCPU() (busy, total uint64, ok bool) { return 0, 0, false }

package sfu

import (
	"sync"
	"time"
)

// estimator is a subscriber connection's bandwidth estimate: the loss-based
// controller of GCC (draft-ietf-rmcat-gcc-02 §6) driven by the fraction lost
// in the subscriber's receiver reports, capped by REMB when the client sends
// it. It does not probe: while the subscriber sees no loss the estimate
// climbs 8 % a second up to MaxBitrate, so the room layer can try the big
// layer again, and it falls with loss above 10 %.
type estimator struct {
	mu       sync.Mutex
	clock    Clock
	min, max float64
	est      float64
	remb     float64
	last     time.Time
	reported float64
	notify   func(bps int)
}

func newEstimator(cfg Config, notify func(int)) *estimator {
	return &estimator{
		clock: cfg.Clock, min: float64(cfg.MinBitrate), max: float64(cfg.MaxBitrate),
		est: float64(cfg.InitialBitrate), notify: notify,
	}
}

// onLoss applies one receiver report's fraction lost (8-bit fixed point).
func (e *estimator) onLoss(fractionLost uint8) {
	e.mu.Lock()
	now := e.clock.Now()
	loss := float64(fractionLost) / 256
	elapsed := now.Sub(e.last)
	// Several tracks report at once; act on one report per 200 ms.
	if !e.last.IsZero() && elapsed < 200*time.Millisecond {
		e.mu.Unlock()
		return
	}
	if e.last.IsZero() {
		elapsed = time.Second
	}
	e.last = now
	switch {
	case loss > 0.10:
		e.est *= 1 - 0.5*loss
	case loss < 0.02:
		e.est *= 1 + 0.08*min(elapsed.Seconds(), 1)
	}
	e.clampAndNotify()
}

// onREMB caps the estimate with the client's REMB (draft-alvestrand-rmcat-remb).
func (e *estimator) onREMB(bps uint64) {
	e.mu.Lock()
	e.remb = float64(bps)
	e.clampAndNotify()
}

// clampAndNotify releases e.mu.
func (e *estimator) clampAndNotify() {
	if e.remb > 0 && e.est > e.remb {
		e.est = e.remb
	}
	e.est = max(e.min, min(e.max, e.est))
	est := e.est
	changed := e.reported == 0 || est < e.reported*0.95 || est > e.reported*1.05
	if changed {
		e.reported = est
	}
	e.mu.Unlock()
	if changed && e.notify != nil {
		e.notify(int(est))
	}
}

// value returns the current estimate in bits per second.
func (e *estimator) value() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return int(e.est)
}

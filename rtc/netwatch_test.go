package rtc

import (
	"sync"
	"testing"
	"time"
)

func TestDiffAddrs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prev, now  []string
		lost, gain bool
	}{
		{"same", []string{"eth0 10.0.0.1/24", "lo 127.0.0.1/8"}, []string{"eth0 10.0.0.1/24", "lo 127.0.0.1/8"}, false, false},
		{"new address", []string{"eth0 10.0.0.1/24"}, []string{"eth0 10.0.0.2/24"}, true, true},
		{"interface down", []string{"eth0 10.0.0.1/24", "lo 127.0.0.1/8"}, []string{"lo 127.0.0.1/8"}, true, false},
		{"interface up", []string{"lo 127.0.0.1/8"}, []string{"eth0 10.0.0.1/24", "lo 127.0.0.1/8"}, false, true},
		{"from nothing", nil, []string{"lo 127.0.0.1/8"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c := diffAddrs(tc.prev, tc.now); c.lost != tc.lost || c.gained != tc.gain {
				t.Fatalf("diffAddrs = %+v, want lost %v gained %v", c, tc.lost, tc.gain)
			}
		})
	}
}

// TestNetWatcher: a change in the address list reaches every subscriber,
// and the poller stops with the last subscription.
func TestNetWatcher(t *testing.T) {
	var mu sync.Mutex
	addrs := []string{"eth0 10.0.0.1/24"}
	w := &netWatcher{subs: map[chan netChange]struct{}{}, readAll: func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), addrs...)
	}}
	a, stopA := w.subscribe()
	b, stopB := w.subscribe()
	mu.Lock()
	addrs = []string{"eth0 10.0.0.2/24"}
	mu.Unlock()
	for _, ch := range []<-chan netChange{a, b} {
		select {
		case c := <-ch:
			if !c.lost || !c.gained {
				t.Fatalf("change %+v", c)
			}
		case <-time.After(5 * netWatchEvery):
			t.Fatal("no change reported")
		}
	}
	stopA()
	stopB()
	w.mu.Lock()
	running := w.stop != nil
	w.mu.Unlock()
	if running {
		t.Fatal("the poller still runs without subscribers")
	}
}

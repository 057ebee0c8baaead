package rtc

import (
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Noticing a network change. When an address of this machine goes away
// (Wi-Fi to cellular, a VPN dropping, DHCP handing out a new lease), the
// signaling connection and the media bound to it are dead, but nothing says
// so until the heartbeat and ICE consent timeouts run out, and a reconnect
// attempt begun while the network was down waits out its dial timeout. So
// one watcher per process reads the machine's addresses every
// netWatchEvery and tells every in-room session:
//
//   - an address disappeared (or its interface went down): the session drops its signaling link at once
//     (reconnecting resumes it) and repairs its media;
//   - an address appeared: a reconnect attempt in progress starts again at
//     once, and broken media is repaired without waiting.

// netWatchEvery is how often the machine's addresses are read.
const netWatchEvery = time.Second

// netChange says what changed between two readings.
type netChange struct{ lost, gained bool }

var watcher = &netWatcher{subs: map[chan netChange]struct{}{}}

// netWatcher polls the machine's addresses while anybody listens.
type netWatcher struct {
	mu      sync.Mutex
	subs    map[chan netChange]struct{}
	stop    chan struct{}
	readAll func() []string // net.InterfaceAddrs, replaceable in tests
}

// subscribe returns a channel of changes (buffered: a slow reader misses
// nothing but repeats) and a function that ends the subscription.
func (w *netWatcher) subscribe() (<-chan netChange, func()) {
	ch := make(chan netChange, 1)
	w.mu.Lock()
	w.subs[ch] = struct{}{}
	if w.stop == nil {
		// The first reading is taken now: a change after subscribe returns
		// is a change.
		w.stop = make(chan struct{})
		go w.run(w.stop, w.read())
	}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.subs, ch)
		if len(w.subs) == 0 && w.stop != nil {
			close(w.stop)
			w.stop = nil
		}
		w.mu.Unlock()
	}
}

// read lists the usable addresses: those of interfaces that are up and
// running (have a carrier), as "interface address", sorted. An address
// whose interface goes down counts as gone.
func (w *netWatcher) read() []string {
	if w.readAll != nil {
		return w.readAll()
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []string
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagRunning == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			out = append(out, ifc.Name+" "+a.String())
		}
	}
	slices.Sort(out)
	return out
}

func (w *netWatcher) run(stop chan struct{}, prev []string) {
	t := time.NewTicker(netWatchEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := w.read()
		ch := diffAddrs(prev, now)
		prev = now
		if !ch.lost && !ch.gained {
			continue
		}
		w.mu.Lock()
		for sub := range w.subs {
			select {
			case sub <- ch:
			default: // a change is pending there already; merge into it
				select {
				case old := <-sub:
					sub <- netChange{lost: old.lost || ch.lost, gained: old.gained || ch.gained}
				default:
					sub <- ch
				}
			}
		}
		w.mu.Unlock()
	}
}

// diffAddrs compares two sorted address lists.
func diffAddrs(prev, now []string) netChange {
	var c netChange
	for _, a := range prev {
		if _, found := slices.BinarySearch(now, a); !found {
			c.lost = true
		}
	}
	for _, a := range now {
		if _, found := slices.BinarySearch(prev, a); !found {
			c.gained = true
		}
	}
	return c
}

// watchNetwork follows network changes for the session until it ends
// (its own goroutine).
func (s *roomSession) watchNetwork() {
	changes, unsubscribe := watcher.subscribe()
	defer unsubscribe()
	for {
		select {
		case <-s.ctx.Done():
			return
		case ch := <-changes:
			s.onNetworkChange(ch)
		}
	}
}

func (s *roomSession) onNetworkChange(ch netChange) {
	s.c.o.log.Info("network changed", "addresses_lost", ch.lost, "addresses_gained", ch.gained)
	// Pooled keep-alive connections may be bound to an address or route
	// that is gone: the next dial must open a new one.
	http.DefaultClient.CloseIdleConnections()
	if ch.lost {
		s.c.mu.Lock()
		l := s.link
		s.c.mu.Unlock()
		if l != nil {
			l.close() // the supervisor resumes on a new link
		}
	}
	select {
	case s.netKick <- struct{}{}:
	default:
	}
	s.media.post(s.media.repairNow)
}

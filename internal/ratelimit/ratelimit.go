// Package ratelimit holds the small admission primitives the server's
// protection limits are built from: token buckets keyed by client (an IP
// address, an app, a SecretId) and counters of concurrent use. Both keep
// their memory bounded whatever the keys a flood brings, and take an injected
// clock so that their tests do not sleep.
package ratelimit

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// DefaultMaxKeys bounds the buckets a Keyed limiter keeps.
const DefaultMaxKeys = 1 << 16

// sweepEvery is how often a Keyed limiter forgets idle buckets.
const sweepEvery = time.Minute

// Keyed is a token bucket per key: each key may do perSecond actions a
// second on average, in bursts of up to burst. A bucket that has refilled is
// indistinguishable from a new one and is forgotten, so memory follows the
// keys active in the last minute, and never exceeds maxKeys buckets: keys
// beyond that share one overflow bucket (a flood of distinct keys throttles
// itself instead of growing the map). The zero value is not usable; it is
// safe for concurrent use.
type Keyed[K comparable] struct {
	rate, burst float64
	now         func() time.Time
	maxKeys     int

	mu        sync.Mutex
	buckets   map[K]*bucket
	overflow  bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewKeyed returns a limiter of perSecond actions per key with bursts of
// burst (at least 1). now may be nil for the system clock; maxKeys <= 0
// means DefaultMaxKeys.
func NewKeyed[K comparable](perSecond, burst int, maxKeys int, now func() time.Time) *Keyed[K] {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Keyed[K]{
		rate: float64(perSecond), burst: float64(max(burst, 1)), now: now, maxKeys: maxKeys,
		buckets: make(map[K]*bucket),
	}
}

// Allow takes one token from key's bucket and reports whether there was one.
func (k *Keyed[K]) Allow(key K) bool {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastSweep) >= sweepEvery {
		k.sweepLocked(now)
	}
	b := k.buckets[key]
	if b == nil {
		if len(k.buckets) >= k.maxKeys {
			k.sweepLocked(now)
		}
		if len(k.buckets) >= k.maxKeys {
			b = &k.overflow
			if b.at.IsZero() {
				*b = bucket{tokens: k.burst, at: now}
			}
		} else {
			b = &bucket{tokens: k.burst, at: now}
			k.buckets[key] = b
		}
	}
	k.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (k *Keyed[K]) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(k.burst, b.tokens+d.Seconds()*k.rate)
		b.at = now
	}
}

// sweepLocked forgets buckets that have refilled completely.
func (k *Keyed[K]) sweepLocked(now time.Time) {
	k.lastSweep = now
	for key, b := range k.buckets {
		k.refill(b, now)
		if b.tokens >= k.burst {
			delete(k.buckets, key)
		}
	}
}

// Len returns the number of buckets kept (tests and metrics).
func (k *Keyed[K]) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}

// Counter caps concurrent uses per key: Acquire succeeds at most limit times
// for a key before as many Release calls. Memory follows the keys in use.
type Counter[K comparable] struct {
	limit int

	mu sync.Mutex
	n  map[K]int
}

// NewCounter returns a counter allowing limit concurrent uses per key.
func NewCounter[K comparable](limit int) *Counter[K] {
	return &Counter[K]{limit: limit, n: make(map[K]int)}
}

// Acquire counts one use of key unless key is at its limit.
func (c *Counter[K]) Acquire(key K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key] >= c.limit {
		return false
	}
	c.n[key]++
	return true
}

// Release ends one use of key counted by a successful Acquire.
func (c *Counter[K]) Release(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key] <= 1 {
		delete(c.n, key)
		return
	}
	c.n[key]--
}

// Count returns the uses of key in progress.
func (c *Counter[K]) Count(key K) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

// ClientKey is the key per-IP limits count by: the IPv4 address, or the /64
// network of an IPv6 address (one subscriber commonly holds a whole /64, so
// counting single IPv6 addresses would give it 2^64 budgets). An address
// that does not parse is its own key (the zero prefix); callers refuse it
// before asking.
func ClientKey(ip string) netip.Prefix {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap()
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.WithZone("").Prefix(64)
	return p
}

// Exempt is a set of networks whose clients per-IP limits do not count: by
// default loopback, where a reverse proxy on the same host makes every
// client look alike.
type Exempt []netip.Prefix

// ParseExempt parses a comma-separated list of CIDR prefixes or addresses.
func ParseExempt(s string) (Exempt, error) {
	var out Exempt
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Contains reports whether ip is in one of the networks.
func (e Exempt) Contains(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range e {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

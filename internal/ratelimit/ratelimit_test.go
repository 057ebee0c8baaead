package ratelimit

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }
func allowN(k *Keyed[string], key string, n int) (ok int) {
	for range n {
		if k.Allow(key) {
			ok++
		}
	}
	return ok
}

func TestKeyedBurstThenRate(t *testing.T) {
	c := newClock()
	k := NewKeyed[string](10, 20, 0, c.now)
	if got := allowN(k, "a", 25); got != 20 {
		t.Fatalf("burst allowed %d, want 20", got)
	}
	if k.Allow("b") != true {
		t.Fatal("another key is throttled by the first")
	}
	c.add(500 * time.Millisecond) // 5 tokens back
	if got := allowN(k, "a", 10); got != 5 {
		t.Fatalf("after 0.5 s allowed %d, want 5", got)
	}
	c.add(time.Hour) // refills to the burst, not beyond
	if got := allowN(k, "a", 100); got != 20 {
		t.Fatalf("after an hour allowed %d, want the burst of 20", got)
	}
}

func TestKeyedForgetsIdleKeys(t *testing.T) {
	c := newClock()
	k := NewKeyed[string](1, 2, 0, c.now)
	for i := range 100 {
		k.Allow(fmt.Sprint(i))
	}
	if k.Len() != 100 {
		t.Fatalf("Len = %d", k.Len())
	}
	c.add(2 * sweepEvery)
	k.Allow("fresh")
	if k.Len() != 1 {
		t.Fatalf("after a sweep Len = %d, want 1 (refilled buckets forgotten)", k.Len())
	}
}

func TestKeyedBoundedKeys(t *testing.T) {
	c := newClock()
	k := NewKeyed[string](1, 1, 10, c.now)
	for i := range 10 {
		if !k.Allow(fmt.Sprint(i)) {
			t.Fatalf("key %d refused", i)
		}
	}
	// Every bucket is empty, so none can be forgotten: new keys share the
	// overflow bucket, which has one token.
	if !k.Allow("x") || k.Allow("y") {
		t.Fatal("overflow keys should share one bucket of burst 1")
	}
	if k.Len() != 10 {
		t.Fatalf("Len = %d, want the cap of 10", k.Len())
	}
}

func TestCounter(t *testing.T) {
	c := NewCounter[string](2)
	if !c.Acquire("a") || !c.Acquire("a") || c.Acquire("a") {
		t.Fatal("want two uses of a, not three")
	}
	if !c.Acquire("b") {
		t.Fatal("b is limited by a")
	}
	c.Release("a")
	if !c.Acquire("a") {
		t.Fatal("a released one use but cannot take it again")
	}
	c.Release("a")
	c.Release("a")
	c.Release("b")
	if len(c.n) != 0 {
		t.Fatalf("counter keeps %d idle keys", len(c.n))
	}
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	} {
		if got := ClientKey(tc.ip); got.String() != tc.want {
			t.Errorf("ClientKey(%q) = %v, want %s", tc.ip, got, tc.want)
		}
	}
	if ClientKey("nonsense").IsValid() {
		t.Error("a bad address has a valid key")
	}
}

func TestExempt(t *testing.T) {
	e, err := ParseExempt(" 127.0.0.0/8, ::1 ,10.1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.1.2.3/32")}
	if fmt.Sprint(e) != fmt.Sprint(want) {
		t.Fatalf("parsed %v", e)
	}
	for ip, in := range map[string]bool{"127.0.0.1": true, "127.9.9.9": true, "::1": true, "::ffff:127.0.0.1": true, "10.1.2.3": true, "10.1.2.4": false, "bad": false} {
		if e.Contains(ip) != in {
			t.Errorf("Contains(%s) = %v", ip, !in)
		}
	}
	if _, err := ParseExempt("10.0.0.0/33"); err == nil {
		t.Error("a bad prefix parsed")
	}
	if e, err := ParseExempt(""); err != nil || len(e) != 0 {
		t.Errorf("empty list: %v %v", e, err)
	}
}

func FuzzParseExempt(f *testing.F) {
	for _, s := range []string{"127.0.0.0/8,::1/128", "10.0.0.1", "", ",,", "::ffff:1.2.3.4/120", "fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseExempt(s)
		if err != nil {
			return
		}
		for _, p := range e {
			if !p.IsValid() {
				t.Fatalf("invalid prefix from %q", s)
			}
			e.Contains(p.Addr().String())
		}
	})
}

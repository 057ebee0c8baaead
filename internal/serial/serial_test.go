package serial

import (
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestOrderAndCall(t *testing.T) {
	defer goleak.VerifyNone(t)
	q := New()
	var got []int
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Add(1)
		q.Post(func() { got = append(got, i); wg.Done() })
	}
	wg.Wait()
	for i, v := range got {
		if v != i {
			t.Fatalf("out of order at %d: %d", i, v)
		}
	}
	n := 0
	if !q.Call(func() { n = len(got) }) || n != 1000 {
		t.Fatalf("Call: %d", n)
	}
	q.Close(true)
	<-q.Done()
	if q.Post(func() {}) || q.Call(func() {}) {
		t.Fatal("posts after Close were accepted")
	}
}

func TestCloseDrainsOrDrops(t *testing.T) {
	defer goleak.VerifyNone(t)
	for _, drain := range []bool{true, false} {
		q := New()
		block := make(chan struct{})
		ran := 0
		q.Post(func() { <-block })
		for range 10 {
			q.Post(func() { ran++ })
		}
		q.Close(drain)
		close(block)
		<-q.Done()
		if drain && ran != 10 || !drain && ran != 0 {
			t.Fatalf("drain=%v: ran %d", drain, ran)
		}
	}
}

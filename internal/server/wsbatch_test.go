package server

import (
	"bytes"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func TestHeldConnBatchesWrites(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &heldConn{Conn: a}
	got := make(chan []byte, 4)
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := b.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- append([]byte(nil), buf[:n]...)
		}
	}()

	// Not held: each write goes out on its own.
	if _, err := c.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	if g := <-got; string(g) != "one" {
		t.Fatalf("got %q", g)
	}
	// Held: nothing goes out until the flush, then all of it in one write.
	c.hold()
	for _, s := range []string{"a", "bb", "ccc"} {
		if n, err := c.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("held write: %d %v", n, err)
		}
	}
	select {
	case g := <-got:
		t.Fatalf("%q went out while held", g)
	default:
	}
	if err := c.flush(time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if g := <-got; !bytes.Equal(g, []byte("abbccc")) {
		t.Fatalf("flush wrote %q", g)
	}
	// A flush nobody reads gives up at its deadline.
	b.Close()
	c2a, c2b := net.Pipe()
	defer c2a.Close()
	defer c2b.Close()
	c2 := &heldConn{Conn: c2a}
	c2.hold()
	_, _ = c2.Write([]byte("stuck"))
	err := c2.flush(time.Now().Add(50 * time.Millisecond))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("flush without a reader: %v", err)
	}
	if _, ok := <-got; ok {
		t.Fatal("data after close")
	}
}

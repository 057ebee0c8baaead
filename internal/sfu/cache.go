package sfu

import "sync"

// maxPacketSize bounds the RTP packets the SFU caches and forwards. Pion's
// receive MTU is 1460 bytes.
const maxPacketSize = 1500

// packetCache is a ring of the last packets of one publisher layer, indexed
// by sequence number. The layer's reader writes it; subscriber send loops
// copy packets out of it both to forward them and to answer NACKs, so a
// subscriber that falls behind reads what it missed here instead of holding
// buffers the publisher needs. Each slot has its own lock, which the writer
// takes for one copy; readers never block the writer for longer.
type packetCache struct {
	mask  uint16
	slots []cacheSlot
}

type cacheSlot struct {
	mu  sync.RWMutex
	seq uint16
	n   int
	at  int64 // when the packet arrived (Unix ns): transit.go
	buf [maxPacketSize]byte
}

func newPacketCache(size int) *packetCache {
	return &packetCache{mask: uint16(size - 1), slots: make([]cacheSlot, size)}
}

// put stores pkt, the raw RTP packet with sequence number seq, which
// arrived at (Unix ns). Packets larger than maxPacketSize are not stored.
func (c *packetCache) put(seq uint16, pkt []byte, at int64) bool {
	if len(pkt) > maxPacketSize {
		return false
	}
	s := &c.slots[seq&c.mask]
	s.mu.Lock()
	s.seq = seq
	s.at = at
	s.n = copy(s.buf[:], pkt)
	s.mu.Unlock()
	return true
}

// get copies the packet with sequence number seq into dst and returns its
// length, or false when it has been overwritten or never arrived.
func (c *packetCache) get(seq uint16, dst []byte) (int, bool) {
	n, _, ok := c.getAt(seq, dst)
	return n, ok
}

// getAt is get that also returns when the packet arrived (Unix ns).
func (c *packetCache) getAt(seq uint16, dst []byte) (int, int64, bool) {
	s := &c.slots[seq&c.mask]
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.n == 0 || s.seq != seq {
		return 0, 0, false
	}
	return copy(dst, s.buf[:s.n]), s.at, true
}

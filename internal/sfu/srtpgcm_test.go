package sfu

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// sealerPair is our sealer and Pion's contexts on the same master keys.
type sealerPair struct {
	ours     *gcmSealer
	pion     *srtp.Context // encrypts, for comparison
	pionRecv *srtp.Context // decrypts, as a receiver would
	buf      [maxPacketSize + 64 + srtpTrailerMax]byte
}

func newSealerPair(t testing.TB, profile srtp.ProtectionProfile, keyLen int) *sealerPair {
	t.Helper()
	key, salt := make([]byte, keyLen), make([]byte, gcmSaltLen)
	_, _ = rand.Read(key)
	_, _ = rand.Read(salt)
	var p sealerPair
	var err error
	if p.ours, err = newGCMSealer(profile, key, salt); err != nil {
		t.Fatal(err)
	}
	if p.pion, err = srtp.CreateContext(key, salt, profile); err != nil {
		t.Fatal(err)
	}
	if p.pionRecv, err = srtp.CreateContext(key, salt, profile); err != nil {
		t.Fatal(err)
	}
	return &p
}

// check seals one packet both ways and fails unless the bytes are equal.
// recv also decrypts ours as a receiver and compares the plaintext (off
// for sequences a receiver's replay window would refuse).
func (p *sealerPair) check(t testing.TB, hdr *rtp.Header, payload []byte, recv bool) {
	t.Helper()
	got, err := p.ours.seal(p.buf[:], hdr, payload)
	if err != nil {
		t.Fatalf("seal seq %d: %v", hdr.SequenceNumber, err)
	}
	plain, err := (&rtp.Packet{Header: *hdr, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want, err := p.pion.EncryptRTP(nil, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("ssrc %d seq %d: ours\n%x\nPion's\n%x", hdr.SSRC, hdr.SequenceNumber, got, want)
	}
	if recv {
		back, err := p.pionRecv.DecryptRTP(nil, got, nil)
		if err != nil {
			t.Fatalf("seq %d: Pion cannot decrypt ours: %v", hdr.SequenceNumber, err)
		}
		if !bytes.Equal(back, plain) {
			t.Fatalf("seq %d: decrypted to something else", hdr.SequenceNumber)
		}
	}
}

// Our sealer's packets are byte for byte Pion's, for both GCM profiles,
// with header extensions and CSRCs, across a sequence number wrap, with
// retransmissions from before it, and with two SSRCs interleaved.
func TestGCMSealerMatchesPion(t *testing.T) {
	for _, c := range []struct {
		name    string
		profile srtp.ProtectionProfile
		keyLen  int
	}{{"AES-128-GCM", srtp.ProtectionProfileAeadAes128Gcm, 16}, {"AES-256-GCM", srtp.ProtectionProfileAeadAes256Gcm, 32}} {
		t.Run(c.name, func(t *testing.T) {
			p := newSealerPair(t, c.profile, c.keyLen)
			payload := make([]byte, 1100)
			_, _ = rand.Read(payload)
			video := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1111, Timestamp: 9000, CSRC: []uint32{7}}
			if err := video.SetExtension(3, []byte{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			audio := rtp.Header{Version: 2, PayloadType: 111, SSRC: 2222, Marker: true}
			for i := range 300 {
				video.SequenceNumber = uint16(65400 + i) // wraps at i = 136
				video.Timestamp += 3000
				p.check(t, &video, payload, true)
				audio.SequenceNumber = uint16(100 + i)
				p.check(t, &audio, payload[:80], true)
			}
			// Retransmissions (NACK answers without RTX): one from before
			// the wrap must keep its old ROC, one after it the new one.
			for _, seq := range []uint16{65500, 65535, 3, 120} {
				video.SequenceNumber = seq
				p.check(t, &video, payload, false)
			}
			if x := p.ours.indices[1111]; x.index != 1<<16|(65400+299-65536) {
				t.Fatalf("index %#x after the wrap, want ROC 1", x.index)
			}
		})
	}
}

// Any order of sequence numbers gives the ROC Pion's sender gives: jumps
// of exactly half the sequence space, backward jumps before the first
// wrap, wraps in both directions.
func FuzzGCMSealerMatchesPion(f *testing.F) {
	f.Add([]byte{0xff, 0x00, 0x80, 0x00, 0x80, 0x00, 0x7f, 0xff, 0x01, 0x00})
	f.Add([]byte{0x00, 0x10, 0xff, 0xf0, 0x80, 0x01, 0x80, 0x01, 0x80, 0x01, 0x40, 0x00})
	p := newSealerPair(f, srtp.ProtectionProfileAeadAes128Gcm, 16)
	payload := []byte("0123456789")
	var ssrc uint32
	f.Fuzz(func(t *testing.T, steps []byte) {
		// Fresh SSRCs for every input: state carried over from earlier
		// inputs would make failures unreproducible.
		ssrc += 2
		hdr := rtp.Header{Version: 2, PayloadType: 96}
		seq := uint16(0)
		for i := 0; i+1 < len(steps) && i < 128; i += 2 {
			seq += uint16(steps[i])<<8 | uint16(steps[i+1])
			hdr.SSRC = ssrc + uint32(steps[i]&1)
			hdr.SequenceNumber = seq
			p.check(t, &hdr, payload, false)
		}
	})
}

// The sealer refuses what it cannot send, and says why.
func TestGCMSealerRefuses(t *testing.T) {
	if _, err := newGCMSealer(srtp.ProtectionProfileAes128CmHmacSha1_80, make([]byte, 16), make([]byte, 14)); err == nil {
		t.Fatal("AES-CM profile accepted")
	}
	if _, err := newGCMSealer(srtp.ProtectionProfileAeadAes128Gcm, make([]byte, 32), make([]byte, 12)); err == nil {
		t.Fatal("a 32-byte key for AES-128-GCM accepted")
	}
	g, err := newGCMSealer(srtp.ProtectionProfileAeadAes128Gcm, make([]byte, 16), make([]byte, 12))
	if err != nil {
		t.Fatal(err)
	}
	hdr := rtp.Header{Version: 2, SSRC: 5, SequenceNumber: 1}
	if _, err := g.seal(make([]byte, 12+100+gcmTagLen-1), &hdr, make([]byte, 100)); !errors.Is(err, errPacketTooLarge) {
		t.Fatalf("no room for the tag: %v, want errPacketTooLarge", err)
	}
	// After 2^48 packets on an SSRC the keys must change (RFC 3711 §9.2).
	g.indices[5] = &srtpIndex{ssrc: 5, started: true, index: math.MaxUint32<<16 | 0xffff}
	g.last = nil
	hdr.SequenceNumber = 0
	if _, err := g.seal(make([]byte, 200), &hdr, make([]byte, 10)); !errors.Is(err, errSRTPExhausted) {
		t.Fatalf("ROC overflow: %v, want errSRTPExhausted", err)
	}
}

// BenchmarkSRTPSeal compares our sealer with Pion's context as the fast
// path used it (marshal, copy, EncryptRTP) on a 1,100-byte video payload.
func BenchmarkSRTPSeal(b *testing.B) {
	p := newSealerPair(b, srtp.ProtectionProfileAeadAes128Gcm, 16)
	payload := make([]byte, 1100)
	hdr := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1111}
	if err := hdr.SetExtension(3, []byte{1, 2, 3}); err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			hdr.SequenceNumber++
			if _, err := p.ours.seal(p.buf[:], &hdr, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pion", func(b *testing.B) {
		fp := &fastPath{ctx: p.pion}
		var sc fastScratch
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			hdr.SequenceNumber++
			if _, err := fp.seal(&sc, &hdr, payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

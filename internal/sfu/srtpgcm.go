package sfu

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// The fast path's own SRTP sender for the AES-GCM profiles (RFC 7714),
// which browsers and Pion offer first and so nearly every connection uses.
// Pion's Context.EncryptRTP parses the header it was just given back out
// of the marshalled packet, looks the SSRC up in a map under the context's
// state and copies the payload twice; profiles put that at about half of
// the SRTP cost of a forwarded packet. gcmSealer marshals the header once,
// straight into the output buffer, and seals the payload from where the
// packet cache holds it. The output is byte for byte what Pion's context
// with the same keys produces (TestGCMSealerMatchesPion), so the receiver
// cannot tell the two apart. Other profiles stay on Pion's context.
//
// A gcmSealer belongs to one connection's fast path and is used by that
// connection's send worker only, so it needs no lock.
type gcmSealer struct {
	aead cipher.AEAD
	salt [gcmSaltLen]byte
	iv   [gcmSaltLen]byte
	// Per-SSRC packet index. An SSRC keeps its state for the connection's
	// life: a GCM nonce (SSRC, ROC, sequence number) must never be reused
	// for different data, and a sender that forgot its ROC would reuse it.
	last    *srtpIndex
	indices map[uint32]*srtpIndex
}

const (
	gcmSaltLen = 12 // RFC 7714 §12: 96-bit master and session salts
	gcmTagLen  = 16
)

// SRTP key derivation labels (RFC 3711 §4.3.1).
const (
	labelSRTPKey  = 0x00
	labelSRTPSalt = 0x02
)

// errSRTPExhausted is returned after 2^48 packets on one SSRC, when RFC 3711
// §9.2 requires new keys.
var errSRTPExhausted = errors.New("sfu: SRTP packet index exhausted, the connection needs new keys")

// newGCMSealer derives the session key and salt for sending from the
// master key and salt of profile, which must be one of the AES-GCM ones.
func newGCMSealer(profile srtp.ProtectionProfile, masterKey, masterSalt []byte) (*gcmSealer, error) {
	var keyLen int
	switch profile {
	case srtp.ProtectionProfileAeadAes128Gcm:
		keyLen = 16
	case srtp.ProtectionProfileAeadAes256Gcm:
		keyLen = 32
	default:
		return nil, fmt.Errorf("sfu: SRTP profile %#04x is not AES-GCM", uint16(profile))
	}
	if len(masterKey) != keyLen || len(masterSalt) != gcmSaltLen {
		return nil, fmt.Errorf("sfu: SRTP master key %d and salt %d bytes, want %d and %d", len(masterKey), len(masterSalt), keyLen, gcmSaltLen)
	}
	master, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, err
	}
	g := &gcmSealer{indices: make(map[uint32]*srtpIndex)}
	key := make([]byte, keyLen)
	deriveSRTPKey(master, labelSRTPKey, masterSalt, key)
	deriveSRTPKey(master, labelSRTPSalt, masterSalt, g.salt[:])
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if g.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return g, nil
}

// deriveSRTPKey fills out with the AES-CM PRF of RFC 3711 §4.3.1 and
// §4.3.3 for label, with a key derivation rate of 0 (what DTLS-SRTP uses):
// the keystream of the master key over x = label·2^48 XOR master salt,
// the salt taken as the top bytes of a 112-bit value, counter in the last
// two bytes of the block.
func deriveSRTPKey(master cipher.Block, label byte, masterSalt, out []byte) {
	var in, ks [aes.BlockSize]byte
	copy(in[:], masterSalt)
	in[7] ^= label
	for i := 0; i < len(out); i += aes.BlockSize {
		binary.BigEndian.PutUint16(in[14:], uint16(i/aes.BlockSize))
		master.Encrypt(ks[:], in[:])
		copy(out[i:], ks[:])
	}
}

// seal writes hdr and the sealed payload to dst, which must have room for
// the header, the payload and the 16-byte tag, and returns the packet.
func (g *gcmSealer) seal(dst []byte, hdr *rtp.Header, payload []byte) ([]byte, error) {
	n, err := hdr.MarshalTo(dst)
	if err != nil {
		return nil, err
	}
	if n+len(payload)+gcmTagLen > cap(dst) {
		return nil, errPacketTooLarge
	}
	x := g.last
	if x == nil || x.ssrc != hdr.SSRC {
		if x = g.indices[hdr.SSRC]; x == nil {
			x = &srtpIndex{ssrc: hdr.SSRC}
			g.indices[hdr.SSRC] = x
		}
		g.last = x
	}
	roc, err := x.next(hdr.SequenceNumber)
	if err != nil {
		return nil, err
	}
	// RFC 7714 §8.1: IV = (00 00 ‖ SSRC ‖ ROC ‖ SEQ) XOR session salt.
	g.iv = g.salt
	binary.BigEndian.PutUint32(g.iv[2:], binary.BigEndian.Uint32(g.iv[2:])^hdr.SSRC)
	binary.BigEndian.PutUint32(g.iv[6:], binary.BigEndian.Uint32(g.iv[6:])^roc)
	binary.BigEndian.PutUint16(g.iv[10:], binary.BigEndian.Uint16(g.iv[10:])^hdr.SequenceNumber)
	// The header is the additional data; the ciphertext and tag follow it.
	out := g.aead.Seal(dst[n:n], g.iv[:], payload, dst[:n])
	return dst[:n+len(out)], nil
}

// srtpIndex is a sending SSRC's SRTP packet index (RFC 3711 §3.3.1): the
// rollover counter and the highest sequence number sent, as ROC·2^16+SEQ.
type srtpIndex struct {
	ssrc    uint32
	started bool
	index   uint64
}

// next returns the ROC to send seq with and advances the index when seq is
// the newest. A sequence number is placed within half the sequence space
// of the newest one, as the receiver estimates it (RFC 3711 Appendix A):
// a retransmission of a packet from before a wrap gets the ROC it was
// first sent with. Before the first wrap nothing can be from an earlier
// ROC, so a jump of more than half the space counts as forward, as Pion's
// sender counts it.
func (x *srtpIndex) next(seq uint16) (uint32, error) {
	if !x.started {
		x.started, x.index = true, uint64(seq)
		return 0, nil
	}
	const half = 1 << 15
	roc, s, l := uint32(x.index>>16), int32(seq), int32(x.index&0xffff)
	switch {
	case l < half && s-l > half && roc > 0: // from before the last wrap
		return roc - 1, nil
	case l >= half && l-half > s: // after the next wrap
		if roc == math.MaxUint32 {
			return 0, errSRTPExhausted
		}
		roc++
	case s <= l: // an older packet of this ROC
		return roc, nil
	}
	x.index = uint64(roc)<<16 | uint64(seq)
	return roc, nil
}

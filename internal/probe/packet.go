// Package probe is the speed test's datagram protocol (docs/protocol.md,
// "Speed test"): the packet format, the receiver's measurements (loss,
// jitter, rate) and the server's side, which answers pings, measures what a
// client sends and sends what a client asks for. It knows UDP datagrams, not
// Pion, rooms or HTTP: the server hands it the datagrams that arrive on the
// media port and a function to send with, and the signaling edge drives it.
package probe

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
)

// Magic is the first byte of every probe datagram. It lies in 4..15, a
// range that RFC 7983's demultiplexing of a media port (STUN 0–3, ZRTP
// 16–19, DTLS 20–63, TURN channels 64–79, RTP/RTCP 128–191) leaves unused, so
// probes share the media port without being mistaken for media.
const Magic = 0x0E

// Version is the probe format's version.
const Version = 1

// Packet sizes.
const (
	HeaderSize = 48 // every field below; padding follows
	MinSize    = HeaderSize
	MaxSize    = 1200 // fits any path's MTU with room for tunnels
)

// Type is a probe datagram's kind.
type Type uint8

const (
	TypeUnknown Type = iota
	TypePing         // client → server: answered at once by a Pong
	TypePong         // server → client: echoes a Ping's seq and time
	TypeUp           // client → server: measured upload traffic
	TypeDown         // server → client: measured download traffic
)

func (t Type) String() string {
	switch t {
	case TypePing:
		return "ping"
	case TypePong:
		return "pong"
	case TypeUp:
		return "up"
	case TypeDown:
		return "down"
	}
	return "unknown"
}

// Token names one speed test. The server makes it when the client's
// UserSig checks out; only datagrams that carry it are measured.
type Token [16]byte

// String is the token's hexadecimal form (as signaling carries it).
func (t Token) String() string { return hex.EncodeToString(t[:]) }

// ParseToken reads a token's hexadecimal form.
func ParseToken(s string) (Token, error) {
	var t Token
	if len(s) != 2*len(t) {
		return t, ErrBadToken
	}
	if _, err := hex.Decode(t[:], []byte(s)); err != nil {
		return t, ErrBadToken
	}
	return t, nil
}

// Packet is one probe datagram:
//
//	0      magic (0x0E)
//	1      version (1)
//	2      type
//	3      reserved (0)
//	4..19  token
//	20..23 seq: per sender and type, from 0
//	24..31 sent: the sender's clock when sending, µs
//	32..39 echo: a Pong's copy of its Ping's sent; 0 otherwise
//	40..47 cookie: the server's (Pong), echoed by the client in what it sends
//	48..   padding up to the packet's size
//
// All integers are big-endian.
type Packet struct {
	Type   Type
	Token  Token
	Seq    uint32
	Sent   uint64
	Echo   uint64
	Cookie uint64
	Size   int // the whole datagram's length
}

// Errors of Parse.
var (
	ErrNotProbe   = errors.New("probe: not a probe datagram")
	ErrBadVersion = errors.New("probe: unsupported version")
	ErrBadType    = errors.New("probe: unknown packet type")
	ErrBadToken   = errors.New("probe: malformed token")
)

// IsProbe reports whether a datagram looks like a probe (its first byte),
// the cheap test a media socket makes before handing it over.
func IsProbe(b []byte) bool { return len(b) > 0 && b[0] == Magic }

// Parse decodes a datagram.
func Parse(b []byte) (Packet, error) {
	if len(b) < HeaderSize || b[0] != Magic {
		return Packet{}, ErrNotProbe
	}
	if b[1] != Version {
		return Packet{}, ErrBadVersion
	}
	p := Packet{Type: Type(b[2]), Size: len(b)}
	if p.Type < TypePing || p.Type > TypeDown {
		return Packet{}, ErrBadType
	}
	copy(p.Token[:], b[4:20])
	p.Seq = binary.BigEndian.Uint32(b[20:24])
	p.Sent = binary.BigEndian.Uint64(b[24:32])
	p.Echo = binary.BigEndian.Uint64(b[32:40])
	p.Cookie = binary.BigEndian.Uint64(b[40:48])
	return p, nil
}

// Append encodes p, padded with zeros to p.Size bytes (clamped to
// MinSize..MaxSize), onto dst.
func (p Packet) Append(dst []byte) []byte {
	size := min(max(p.Size, MinSize), MaxSize)
	start := len(dst)
	dst = append(dst, make([]byte, size)...)
	b := dst[start:]
	b[0], b[1], b[2] = Magic, Version, byte(p.Type)
	copy(b[4:20], p.Token[:])
	binary.BigEndian.PutUint32(b[20:24], p.Seq)
	binary.BigEndian.PutUint64(b[24:32], p.Sent)
	binary.BigEndian.PutUint64(b[32:40], p.Echo)
	binary.BigEndian.PutUint64(b[40:48], p.Cookie)
	return dst
}

// PacketSize is the datagram size for a rate: 20 ms of traffic at kbps
// per packet (at least 50 packets a second), within MinSize..MaxSize.
func PacketSize(kbps int) int {
	return min(max(kbps*1000/8/50, MinSize), MaxSize)
}

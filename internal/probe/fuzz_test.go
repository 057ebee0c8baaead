package probe

import (
	"net/netip"
	"testing"
)

// FuzzParse: any datagram parses or is refused without panicking, and what
// parses encodes back to the same header.
func FuzzParse(f *testing.F) {
	f.Add(Packet{Type: TypePing, Seq: 1}.Append(nil))
	f.Add(Packet{Type: TypeDown, Size: 700}.Append(nil))
	f.Add([]byte{Magic, Version, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		again := p.Append(nil)
		if string(again[:HeaderSize]) != string(append([]byte{b[0], b[1], b[2], 0}, b[4:HeaderSize]...)) {
			t.Fatalf("header changed: %x → %x", b[:HeaderSize], again[:HeaderSize])
		}
	})
}

// FuzzHandleDatagram: the server side takes any datagram from any address.
func FuzzHandleDatagram(f *testing.F) {
	s := NewService(Config{})
	s.SetSender(func([]byte, netip.AddrPort) {})
	tok, _ := s.Start()
	f.Add(Packet{Type: TypePing, Token: tok}.Append(nil), uint16(1))
	f.Add(Packet{Type: TypeUp, Token: tok, Seq: 1 << 20}.Append(nil), uint16(2))
	f.Fuzz(func(t *testing.T, b []byte, port uint16) {
		s.HandleDatagram(b, netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), port))
	})
}

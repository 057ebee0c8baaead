package sfu

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/rtcengine/rtcengine/internal/udpbatch"
)

// The subscriber fast path. Pion's write path for one RTP packet is
// TrackLocalWriter → interceptors → SRTP session (lock, context map) →
// mux endpoint → ICE connection (selected pair, locks) → UDP mux → socket;
// profiles put it at about 2 µs per forwarded packet. A subscriber
// connection whose selected pair is UDP through the engine's own socket
// needs none of it: the send worker marshals the packet, encrypts it with
// an SRTP context of our own, keyed from the connection's DTLS handshake
// exactly as Pion keys its session, and writes it straight into the
// batching socket to the pair's remote address, inside the worker's
// Hold/Release burst.
//
// SRTP state is per SSRC (rollover counter), so one SSRC must be encrypted
// by one context only. The choice is made once per subscriber connection,
// when it first connects: if its selected pair is eligible, every RTP
// packet it ever sends (media, retransmissions, RTX) goes through our
// context; if the pair later stops being eligible (an ICE restart onto
// ICE-TCP or a TURN relay), our packets go through Pion's SRTP endpoint,
// already encrypted, which follows whatever pair ICE selected. If it is
// not eligible at first (ICE-TCP, TURN), the connection stays on Pion's
// path for good. RTCP stays on Pion's SRTCP session. Sender reports are
// ours for every connection (senderreport.go).

// fastPath is one subscriber connection's own SRTP sender. ctx is used by
// the peer's send worker only (a peer's queue is drained by one worker),
// so it needs no lock.
type fastPath struct {
	ctx  *srtp.Context
	sock *udpbatch.Conn
	// addr is the selected pair's remote address while the pair is
	// eligible; nil sends through via.
	addr atomic.Pointer[netip.AddrPort]
	via  io.Writer // Pion's SRTP endpoint (the ICE connection)
	port uint16    // the engine's UDP port: the local candidate must be on it
}

// fastState is a Peer's fast-path decision, made once.
type fastState struct {
	mu      sync.Mutex
	decided bool
	fp      atomic.Pointer[fastPath]
}

// fastScratch is a send worker's buffers for the fast path.
type fastScratch struct {
	plain [maxPacketSize + 64]byte
	enc   [maxPacketSize + 64 + srtpTrailerMax]byte
	hdr   rtp.Header
	exts  [8]rtp.Extension
}

// srtpTrailerMax bounds what SRTP adds to a packet (auth tag up to 16
// bytes for AES-GCM, plus room for an MKI); the scratch buffers leave this
// much room so EncryptRTP never allocates.
const srtpTrailerMax = 64

// errFastPathOff is returned by newFastPath for connections that stay on
// Pion's path; it is not a failure.
var errFastPathOff = errors.New("sfu: fast path not eligible")

// startFastPath decides, on the subscriber connection's first connect,
// whether it uses the fast path, and on later connects (ICE restarts)
// refreshes the remote address. It runs before subReady is set, so no
// packet is written before the decision.
func (p *Peer) startFastPath() {
	p.fast.mu.Lock()
	defer p.fast.mu.Unlock()
	if p.fast.decided {
		p.refreshFastPath(nil)
		return
	}
	p.fast.decided = true
	fp, err := p.e.newFastPath(p.sub)
	if err != nil {
		if !errors.Is(err, errFastPathOff) {
			p.log.Warn("subscriber fast path unavailable, using Pion's", "err", err)
		}
		return
	}
	p.fast.fp.Store(fp)
	p.log.Debug("subscriber fast path on", "remote", fp.addr.Load().String())
}

// refreshFastPath follows the selected candidate pair (pair, or the ICE
// transport's current one when nil).
func (p *Peer) refreshFastPath(pair *webrtc.ICECandidatePair) {
	fp := p.fast.fp.Load()
	if fp == nil {
		return
	}
	if pair == nil {
		var err error
		if pair, err = p.sub.SCTP().Transport().ICETransport().GetSelectedCandidatePair(); err != nil || pair == nil {
			return // no pair now: keep the last address until one is selected
		}
	}
	if a, ok := fp.eligible(pair); ok {
		fp.addr.Store(&a)
	} else {
		fp.addr.Store(nil)
	}
}

// newFastPath keys a fast path for a connected subscriber connection, or
// returns errFastPathOff when its selected pair does not qualify.
func (e *Engine) newFastPath(pc *webrtc.PeerConnection) (*fastPath, error) {
	if e.udp == nil {
		return nil, errFastPathOff
	}
	la, ok := e.udp.LocalAddr().(interface{ AddrPort() netip.AddrPort })
	if !ok {
		return nil, errFastPathOff
	}
	fp := &fastPath{sock: e.udp, port: la.AddrPort().Port()}
	dt := pc.SCTP().Transport()
	if dt == nil {
		return nil, errFastPathOff
	}
	pair, err := dt.ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		return nil, errFastPathOff
	}
	addr, ok := fp.eligible(pair)
	if !ok {
		return nil, errFastPathOff
	}
	if fp.ctx, err = localSRTPContext(dt); err != nil {
		return nil, err
	}
	if fp.via, err = srtpEndpointOf(dt); err != nil {
		return nil, err
	}
	fp.addr.Store(&addr)
	return fp, nil
}

// localSRTPContext builds the SRTP context for what the local side sends,
// from the same DTLS exporter and with the same profile and options as
// Pion's DTLSTransport.startSRTP (webrtc v4.2.20): the local master key and
// salt of srtp.Config.ExtractSessionKeysFromDTLS, no local options.
func localSRTPContext(dt *webrtc.DTLSTransport) (*srtp.Context, error) {
	conn, err := dtlsConnOf(dt)
	if err != nil {
		return nil, err
	}
	st, ok := conn.ConnectionState()
	if !ok {
		return nil, errors.New("sfu: no DTLS connection state")
	}
	client, err := dtlsIsClient(&st)
	if err != nil {
		return nil, err
	}
	dp, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return nil, errors.New("sfu: no SRTP protection profile negotiated")
	}
	// dtls and srtp number the profiles alike (the RFC 5764 registry).
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(dp)}
	if err := cfg.ExtractSessionKeysFromDTLS(&st, client); err != nil {
		return nil, fmt.Errorf("sfu: SRTP keys: %w", err)
	}
	ctx, err := srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, cfg.Profile)
	if err != nil {
		return nil, fmt.Errorf("sfu: SRTP context: %w", err)
	}
	return ctx, nil
}

// eligible reports whether pair runs over the engine's UDP socket to a
// directly reachable UDP address, and returns that address.
func (fp *fastPath) eligible(pair *webrtc.ICECandidatePair) (netip.AddrPort, bool) {
	if pair == nil || pair.Local == nil || pair.Remote == nil {
		return netip.AddrPort{}, false
	}
	l, r := pair.Local, pair.Remote
	if l.Protocol != webrtc.ICEProtocolUDP || l.Typ != webrtc.ICECandidateTypeHost || l.Port != fp.port {
		return netip.AddrPort{}, false
	}
	if r.Protocol != webrtc.ICEProtocolUDP || r.Typ == webrtc.ICECandidateTypeRelay {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(r.Address)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip, r.Port), true
}

// write marshals hdr and payload, encrypts them and sends the packet. It
// runs on the peer's send worker with that worker's scratch.
func (fp *fastPath) write(sc *fastScratch, hdr *rtp.Header, payload []byte) error {
	n, err := hdr.MarshalTo(sc.plain[:])
	if err != nil {
		return err
	}
	if n+len(payload) > len(sc.plain) {
		return errPacketTooLarge
	}
	n += copy(sc.plain[n:], payload)
	sc.hdr.Extensions = sc.exts[:0]
	pkt, err := fp.ctx.EncryptRTP(sc.enc[:0], sc.plain[:n], &sc.hdr)
	if err != nil {
		return err
	}
	if a := fp.addr.Load(); a != nil {
		_, err = fp.sock.WriteToAddrPort(pkt, *a)
		return err
	}
	_, err = fp.via.Write(pkt)
	return err
}

// errPacketTooLarge refuses a packet that would not fit the scratch.
var errPacketTooLarge = errors.New("sfu: RTP packet too large")

// writeRTP sends d.hdr and payload on the subscriber connection: through
// the peer's fast path when it has one, through Pion's writer otherwise.
func (d *DownTrack) writeRTP(s *sendWorker, b *binding, payload []byte) error {
	if fp := d.peer.fast.fp.Load(); fp != nil {
		if err := fp.write(&s.fast, &d.hdr, payload); err != nil {
			return err
		}
		d.stats.fastPath.Add(1)
		return nil
	}
	_, err := b.writer.WriteRTP(&d.hdr, payload)
	return err
}

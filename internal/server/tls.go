package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/rtcengine/rtcengine/internal/config"
)

// TLS termination (docs/deployment.md). The listener speaks TLS when the
// configuration has certificate files or an ACME domain; HTTP, WebSocket
// signaling, the REST API and WHIP/WHEP all ride on it. With TURN enabled
// and turn.tls_port 0, TURN over TLS shares the same port: after the
// handshake the first byte tells a TURN client (a STUN message starts with
// two zero bits) from an HTTP one (a method name in ASCII).

// handshakeTimeout bounds a TLS handshake and the wait for the first byte on
// the shared port, like ReadHeaderTimeout does for HTTP.
const handshakeTimeout = 10 * time.Second

// newTLSConfig returns the listener's TLS configuration, or nil without TLS.
func newTLSConfig(cfg config.Config, log *slog.Logger) (*tls.Config, error) {
	t := cfg.TLS
	switch {
	case t.Cert != "":
		store, err := newCertStore(t.Cert, t.Key, log)
		if err != nil {
			return nil, err
		}
		return &tls.Config{
			MinVersion:     tls.VersionTLS12,
			NextProtos:     []string{"http/1.1"},
			GetCertificate: store.get,
		}, nil
	case t.Domain != "":
		m := acmeManager(cfg)
		tc := m.TLSConfig()
		tc.MinVersion = tls.VersionTLS12
		// HTTP/1.1 only (WebSocket upgrades), and the TLS-ALPN-01 challenge.
		tc.NextProtos = []string{"http/1.1", acme.ALPNProto}
		return tc, nil
	}
	return nil, nil
}

// acmeManager obtains and renews the certificate of tls.domain, caching it
// (and the ACME account key) under data_dir/acme so that restarts do not ask
// the CA again.
func acmeManager(cfg config.Config) *autocert.Manager {
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(filepath.Join(cfg.DataDir, "acme")),
		HostPolicy: autocert.HostWhitelist(cfg.TLS.Domain),
		Email:      cfg.TLS.ACMEEmail,
	}
	if cfg.TLS.ACMEDirectory != "" {
		m.Client = &acme.Client{DirectoryURL: cfg.TLS.ACMEDirectory}
	}
	return m
}

// certStore serves a certificate from PEM files and loads them again when
// either file changes, so that a renewal (certbot, cert-manager) takes effect
// at the next handshake without a restart. A pair that does not load (one
// file rewritten, the other not yet) keeps the previous certificate.
type certStore struct {
	certPath, keyPath string
	log               *slog.Logger

	mu       sync.Mutex
	cert     *tls.Certificate
	certMod  time.Time
	keyMod   time.Time
	certSize int64
	keySize  int64
}

func newCertStore(certPath, keyPath string, log *slog.Logger) (*certStore, error) {
	s := &certStore{certPath: certPath, keyPath: keyPath, log: log}
	if _, err := s.load(); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return s, nil
}

// get is tls.Config.GetCertificate. Two stat calls per handshake are cheap
// next to the handshake itself.
func (s *certStore) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.load()
}

func (s *certStore) load() (*tls.Certificate, error) {
	ci, err1 := os.Stat(s.certPath)
	ki, err2 := os.Stat(s.keyPath)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := errors.Join(err1, err2); err != nil {
		if s.cert != nil {
			return s.cert, nil
		}
		return nil, err
	}
	if s.cert != nil && ci.ModTime().Equal(s.certMod) && ki.ModTime().Equal(s.keyMod) &&
		ci.Size() == s.certSize && ki.Size() == s.keySize {
		return s.cert, nil
	}
	c, err := tls.LoadX509KeyPair(s.certPath, s.keyPath)
	if err != nil {
		if s.cert != nil {
			s.log.Warn("tls: certificate files changed but do not load; serving the previous certificate", "err", err)
			return s.cert, nil
		}
		return nil, err
	}
	if s.cert != nil {
		s.log.Info("tls: certificate reloaded", "file", s.certPath)
	}
	s.cert = &c
	s.certMod, s.keyMod, s.certSize, s.keySize = ci.ModTime(), ki.ModTime(), ci.Size(), ki.Size()
	return s.cert, nil
}

// portMux splits one TLS port between HTTP and TURN over TLS. Connections
// are handshaken and sniffed in their own goroutine, so a slow client holds
// up nobody else; each sub-listener gets the connections that are its.
type portMux struct {
	raw  net.Listener
	tls  *tls.Config
	http *subListener
	turn *subListener

	closeOnce sync.Once
	done      chan struct{}
	open      sync.WaitGroup // sub-listeners not yet closed
}

func newPortMux(raw net.Listener, tc *tls.Config) *portMux {
	m := &portMux{raw: raw, tls: tc, done: make(chan struct{})}
	m.http = &subListener{m: m, conns: make(chan net.Conn), closed: make(chan struct{})}
	m.turn = &subListener{m: m, conns: make(chan net.Conn), closed: make(chan struct{})}
	m.open.Add(2)
	go func() {
		// The raw listener closes once both users have closed theirs.
		m.open.Wait()
		close(m.done)
		_ = raw.Close()
	}()
	go m.accept()
	return m
}

func (m *portMux) accept() {
	for {
		c, err := m.raw.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			m.http.fail(err)
			m.turn.fail(err)
			return
		}
		go m.route(c)
	}
}

// route handshakes c and hands it to HTTP or TURN by its first byte.
func (m *portMux) route(raw net.Conn) {
	_ = raw.SetDeadline(time.Now().Add(handshakeTimeout))
	tc := tls.Server(raw, m.tls)
	if err := tc.Handshake(); err != nil {
		_ = raw.Close()
		return
	}
	br := bufio.NewReader(tc)
	first, err := br.Peek(1)
	if err != nil {
		_ = tc.Close()
		return
	}
	_ = raw.SetDeadline(time.Time{})
	conn := &peekedConn{Conn: tc, r: br}
	to := m.http
	if first[0] < 0x40 { // STUN: the two most significant bits are zero (RFC 8489 §5)
		to = m.turn
	}
	to.deliver(conn)
}

// peekedConn is a TLS connection whose first bytes sit in a buffer.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// subListener is one side of a portMux.
type subListener struct {
	m      *portMux
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once

	errMu sync.Mutex
	err   error
}

func (l *subListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.closed:
		_ = c.Close()
	}
}

func (l *subListener) fail(err error) {
	l.errMu.Lock()
	l.err = err
	l.errMu.Unlock()
	_ = l.Close()
}

func (l *subListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		l.errMu.Lock()
		defer l.errMu.Unlock()
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

func (l *subListener) Close() error {
	l.once.Do(func() {
		close(l.closed)
		l.m.open.Done()
	})
	return nil
}

func (l *subListener) Addr() net.Addr { return l.m.raw.Addr() }

// scheme returns plain or plain+"s" as the listener speaks TLS.
func (s *Server) scheme(plain string) string {
	if s.reach.tls != nil {
		return plain + "s"
	}
	return plain
}

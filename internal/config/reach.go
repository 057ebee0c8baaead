package config

import (
	"net"
	"os"
	"strings"
	"time"

	"github.com/rtcengine/rtcengine/internal/ratelimit"
)

// TLS makes the HTTP listener (signaling, REST, WHIP/WHEP, the pages) speak
// HTTPS, from certificate files or from an ACME CA. Empty: plain HTTP, for
// development on loopback or behind a TLS-terminating proxy.
type TLS struct {
	// Cert and Key are PEM files (the certificate chain and its private
	// key). Both or neither. They are read again when they change, so a
	// renewed certificate needs no restart.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// Domain obtains and renews a certificate for this host name from an
	// ACME CA (Let's Encrypt by default) with the TLS-ALPN-01 challenge,
	// which needs the listener reachable on port 443 from the internet.
	// Exclusive with Cert and Key.
	Domain string `yaml:"domain"`
	// ACMEEmail is the contact address given to the CA (optional).
	ACMEEmail string `yaml:"acme_email"`
	// ACMEDirectory is the CA's directory URL; empty is Let's Encrypt's.
	ACMEDirectory string `yaml:"acme_directory"`
}

// Enabled reports whether the listener serves TLS.
func (t TLS) Enabled() bool { return t.Cert != "" || t.Domain != "" }

// TURN is the embedded TURN server (RFC 8656), the last firewall fallback:
// media relayed over UDP, TCP or TLS when neither UDP nor ICE-TCP to the
// media port gets through.
type TURN struct {
	// Enabled starts the TURN server and hands clients TURN URLs and
	// credentials in the enter response.
	Enabled bool `yaml:"enabled"`
	// Port is the UDP and TCP port of TURN (3478); 0 picks free ones.
	Port int `yaml:"port"`
	// TLSPort is the port of TURN over TLS when TLS is configured: 0 shares
	// the HTTPS listener (one port, 443, for HTTPS and TURN/TLS: the server
	// tells them apart by their first bytes); another number is a dedicated
	// listener with the same certificate. Without TLS there is no TURN/TLS.
	TLSPort int `yaml:"tls_port"`
	// Host is the name or address put in the TURN URLs; empty: tls.domain,
	// else node_ip, else the host the client used to reach signaling.
	Host string `yaml:"host"`
	// RelayIP is the local address relay sockets bind to; the SFU must reach
	// it. Empty: the media listen address when that is a single address,
	// else the first private address of the host.
	RelayIP string `yaml:"relay_ip"`
	// Realm is the TURN realm (rtcengine).
	Realm string `yaml:"realm"`
	// Secret signs the short-lived TURN credentials (TURN REST API
	// convention). Empty: a random secret per process; a cluster, or a
	// coturn with use-auth-secret, needs the same secret everywhere.
	Secret string `yaml:"secret"`
	// CredentialTTL is how long a credential can create allocations (24h).
	CredentialTTL time.Duration `yaml:"credential_ttl"`
	// UserAllocations caps the allocations of one user (sdkappid:userId) at
	// once (10); more are refused with 486 Allocation Quota Reached.
	UserAllocations int `yaml:"user_allocations"`
	// MaxAllocations caps the allocations of the whole server (10000).
	MaxAllocations int `yaml:"max_allocations"`
}

// Defaults of the reach settings.
const (
	DefaultTURNPort        = 3478
	DefaultTURNRealm       = "rtcengine"
	DefaultCredentialTTL   = 24 * time.Hour
	DefaultUserAllocations = 10
	DefaultMaxAllocations  = 10000
	// DefaultIPExempt are the networks per-IP limits do not count.
	DefaultIPExempt = "127.0.0.0/8,::1/128"
)

// DefaultTURN returns the TURN defaults (disabled).
func DefaultTURN() TURN {
	return TURN{
		Port:            DefaultTURNPort,
		Realm:           DefaultTURNRealm,
		CredentialTTL:   DefaultCredentialTTL,
		UserAllocations: DefaultUserAllocations,
		MaxAllocations:  DefaultMaxAllocations,
	}
}

// Bounds of the reach and protection settings: typo catchers.
const (
	maxCredentialTTL   = 30 * 24 * time.Hour
	maxUserAllocations = 1000
	maxAllocations     = 1 << 20
	maxPerSecond       = 1 << 20
	maxConnsPerIP      = 1 << 20
)

// The flags of TLS and TURN. Load's settings table is extended here so that
// this file holds the whole feature.
func init() {
	settings = append(settings,
		setting{flag: "tls-cert", yaml: "tls.cert", usage: "PEM certificate chain `file`: serve HTTPS and WSS (reloaded when it changes)",
			set: func(c *Config, v string) error { c.TLS.Cert = v; return nil }},
		setting{flag: "tls-key", yaml: "tls.key", usage: "PEM private key `file` of --tls-cert",
			set: func(c *Config, v string) error { c.TLS.Key = v; return nil }},
		setting{flag: "domain", yaml: "tls.domain", usage: "host `name` to obtain a certificate for from an ACME CA (Let's Encrypt)",
			set: func(c *Config, v string) error { c.TLS.Domain = v; return nil }},
		setting{flag: "turn", yaml: "turn.enabled", isBool: true, usage: "run the embedded TURN server (firewall fallback)",
			set: func(c *Config, v string) error { return setBool(&c.TURN.Enabled, v) }},
		setting{flag: "turn-port", yaml: "turn.port", usage: "UDP and TCP `port` of the TURN server (0 picks free ones)",
			set: func(c *Config, v string) error { return setInt(&c.TURN.Port, v) }},
		setting{flag: "turn-tls-port", yaml: "turn.tls_port", usage: "`port` of TURN over TLS (0 shares the HTTPS listener)",
			set: func(c *Config, v string) error { return setInt(&c.TURN.TLSPort, v) }},
		setting{flag: "turn-host", yaml: "turn.host", usage: "host `name` or address in the TURN URLs given to clients",
			set: func(c *Config, v string) error { c.TURN.Host = v; return nil }},
	)
}

// reach validates TLS, TURN and the protection limits.
func (v *validator) reach(c *Config) {
	t := c.TLS
	switch {
	case (t.Cert == "") != (t.Key == ""):
		v.bad("tls.cert", "tls.cert and tls.key go together: set both or neither")
	case t.Cert != "" && t.Domain != "":
		v.bad("tls.domain", "either certificate files (tls.cert, tls.key) or an ACME domain, not both")
	}
	for _, f := range []struct{ field, path string }{{"tls.cert", t.Cert}, {"tls.key", t.Key}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			v.bad(f.field, "%v", err)
		}
	}
	if t.Domain != "" && (net.ParseIP(t.Domain) != nil || !isHostname(t.Domain) || !strings.Contains(strings.TrimSuffix(t.Domain, "."), ".")) {
		v.bad("tls.domain", "%q is not a fully qualified host name (ACME certifies names, not addresses)", t.Domain)
	}
	if t.ACMEDirectory != "" && t.Domain == "" {
		v.bad("tls.acme_directory", "set only with tls.domain")
	}

	u := c.TURN
	if u.Port < 0 || u.Port > 65535 {
		v.bad("turn.port", "%d is not a port number (0..65535)", u.Port)
	}
	if u.TLSPort < 0 || u.TLSPort > 65535 {
		v.bad("turn.tls_port", "%d is not a port number (0..65535; 0 shares the HTTPS listener)", u.TLSPort)
	}
	if u.Enabled && u.Port != 0 && u.Port == c.UDPPort {
		v.bad("turn.port", "%d is also udp_port: TURN and media need their own ports", u.Port)
	}
	if u.Host != "" && net.ParseIP(u.Host) == nil && !isHostname(u.Host) {
		v.bad("turn.host", "%q is neither an IP address nor a host name", u.Host)
	}
	if u.RelayIP != "" && net.ParseIP(u.RelayIP) == nil {
		v.bad("turn.relay_ip", "%q is not an IP address", u.RelayIP)
	}
	if u.Realm == "" {
		v.bad("turn.realm", "must not be empty")
	}
	v.secret("turn.secret", u.Secret)
	v.duration("turn.credential_ttl", u.CredentialTTL, maxCredentialTTL)
	v.count("turn.user_allocations", u.UserAllocations, maxUserAllocations)
	v.count("turn.max_allocations", u.MaxAllocations, maxAllocations)

	l := c.Limits
	v.count("limits.conns_per_ip", l.ConnsPerIP, maxConnsPerIP)
	v.count("limits.enters_per_ip", l.EntersPerIP, maxPerSecond)
	v.count("limits.enters_per_app", l.EntersPerApp, maxPerSecond)
	v.count("limits.rest_per_ip", l.RESTPerIP, maxPerSecond)
	v.count("limits.rest_per_secret_id", l.RESTPerSecretID, maxPerSecond)
	if _, err := ratelimit.ParseExempt(l.IPExempt); err != nil {
		v.bad("limits.ip_exempt", "%q: %v (a comma-separated list of CIDR prefixes or addresses)", l.IPExempt, err)
	}
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestValidateReach(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, p := range []string{cert, key} {
		if err := os.WriteFile(p, []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		edit  func(c *Config)
		field string // "" = valid
	}{
		{"certificate files", func(c *Config) { c.TLS.Cert, c.TLS.Key = cert, key }, ""},
		{"certificate without key", func(c *Config) { c.TLS.Cert = cert }, "tls.cert"},
		{"key without certificate", func(c *Config) { c.TLS.Key = key }, "tls.cert"},
		{"missing certificate file", func(c *Config) { c.TLS.Cert, c.TLS.Key = filepath.Join(dir, "nope.pem"), key }, "tls.cert"},
		{"ACME domain", func(c *Config) { c.TLS.Domain, c.TLS.ACMEEmail = "rtc.example.com", "ops@example.com" }, ""},
		{"ACME domain and files", func(c *Config) { c.TLS.Cert, c.TLS.Key, c.TLS.Domain = cert, key, "rtc.example.com" }, "tls.domain"},
		{"ACME for an address", func(c *Config) { c.TLS.Domain = "203.0.113.7" }, "tls.domain"},
		{"ACME for a single label", func(c *Config) { c.TLS.Domain = "localhost" }, "tls.domain"},
		{"ACME directory without domain", func(c *Config) { c.TLS.ACMEDirectory = "https://ca.internal/dir" }, "tls.acme_directory"},
		{"TURN on", func(c *Config) { c.TURN.Enabled, c.TURN.Host, c.TURN.RelayIP = true, "turn.example.com", "10.0.0.5" }, ""},
		{"TURN free ports", func(c *Config) { c.TURN.Enabled, c.TURN.Port, c.UDPPort = true, 0, 0 }, ""},
		{"TURN on the media port", func(c *Config) { c.TURN.Enabled, c.TURN.Port = true, c.UDPPort }, "turn.port"},
		{"TURN port out of range", func(c *Config) { c.TURN.Port = 70000 }, "turn.port"},
		{"TURN TLS port negative", func(c *Config) { c.TURN.TLSPort = -1 }, "turn.tls_port"},
		{"TURN host with a space", func(c *Config) { c.TURN.Host = "a b" }, "turn.host"},
		{"TURN relay IP by name", func(c *Config) { c.TURN.RelayIP = "relay.local" }, "turn.relay_ip"},
		{"TURN without realm", func(c *Config) { c.TURN.Realm = "" }, "turn.realm"},
		{"TURN secret with newline", func(c *Config) { c.TURN.Secret = "s\n" }, "turn.secret"},
		{"TURN credential TTL zero", func(c *Config) { c.TURN.CredentialTTL = 0 }, "turn.credential_ttl"},
		{"TURN credential TTL of a year", func(c *Config) { c.TURN.CredentialTTL = 365 * 24 * time.Hour }, "turn.credential_ttl"},
		{"TURN zero allocations per user", func(c *Config) { c.TURN.UserAllocations = 0 }, "turn.user_allocations"},
		{"TURN zero allocations", func(c *Config) { c.TURN.MaxAllocations = 0 }, "turn.max_allocations"},
		{"zero connections per IP", func(c *Config) { c.Limits.ConnsPerIP = 0 }, "limits.conns_per_ip"},
		{"zero enters per IP", func(c *Config) { c.Limits.EntersPerIP = 0 }, "limits.enters_per_ip"},
		{"zero enters per app", func(c *Config) { c.Limits.EntersPerApp = 0 }, "limits.enters_per_app"},
		{"zero REST per IP", func(c *Config) { c.Limits.RESTPerIP = 0 }, "limits.rest_per_ip"},
		{"zero REST per SecretId", func(c *Config) { c.Limits.RESTPerSecretID = 0 }, "limits.rest_per_secret_id"},
		{"no exempt networks", func(c *Config) { c.Limits.IPExempt = "" }, ""},
		{"bad exempt network", func(c *Config) { c.Limits.IPExempt = "127.0.0.0/8,localhost" }, "limits.ip_exempt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate = %v, want a FieldError for %s", err, tt.field)
			}
		})
	}
}

func TestReachFlagsAndEnv(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	for _, p := range []string{cert, key} {
		if err := os.WriteFile(p, []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	file := writeFile(t, "turn:\n  enabled: false\n  port: 3479\n  secret: fromfile\nlimits:\n  enters_per_ip: 3\n")
	c, err := Load([]string{"--config", file, "--tls-cert", cert, "--tls-key", key, "--turn", "--turn-tls-port", "5349"},
		[]string{"RTCENGINE_TURN_PORT=3480", "RTCENGINE_TURN_HOST=turn.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.TLS.Enabled() || c.TLS.Cert != cert || c.TLS.Key != key {
		t.Errorf("TLS = %+v", c.TLS)
	}
	want := DefaultTURN()
	want.Enabled, want.Port, want.TLSPort, want.Host, want.Secret = true, 3480, 5349, "turn.example.com", "fromfile"
	if c.TURN != want {
		t.Errorf("TURN = %+v, want %+v", c.TURN, want)
	}
	if c.Limits.EntersPerIP != 3 {
		t.Errorf("enters_per_ip = %d", c.Limits.EntersPerIP)
	}
	if _, err := Load([]string{"--turn-port", "x"}, nil); err == nil {
		t.Error("--turn-port x accepted")
	}
	if _, err := Load([]string{"--domain", "rtc.example.com", "--tls-cert", cert, "--tls-key", key}, nil); err == nil {
		t.Error("--domain with certificate files accepted")
	}
}

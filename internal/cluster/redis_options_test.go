package cluster

import (
	"errors"
	"testing"
)

func TestRedisOptions(t *testing.T) {
	tests := []struct {
		name          string
		addr, pw      string
		db            int
		tls           bool
		wantAddr      string
		wantNet       string
		wantPW        string
		wantDB        int
		wantTLS, fail bool
	}{
		{name: "host:port", addr: "10.0.0.5:6379", wantAddr: "10.0.0.5:6379", wantNet: "tcp"},
		{name: "URL with db and password", addr: "redis://:secret@10.0.0.5:6380/3", wantAddr: "10.0.0.5:6380", wantNet: "tcp", wantPW: "secret", wantDB: 3},
		{name: "flags override the URL", addr: "redis://:secret@10.0.0.5:6380/3", pw: "other", db: 4, wantAddr: "10.0.0.5:6380", wantNet: "tcp", wantPW: "other", wantDB: 4},
		{name: "rediss is TLS", addr: "rediss://10.0.0.5:6380", wantAddr: "10.0.0.5:6380", wantNet: "tcp", wantTLS: true},
		{name: "TLS flag", addr: "10.0.0.5:6379", tls: true, wantAddr: "10.0.0.5:6379", wantNet: "tcp", wantTLS: true},
		{name: "unix socket", addr: "unix:///run/redis.sock", wantAddr: "/run/redis.sock", wantNet: "unix"},
		{name: "bad URL", addr: "redis://%zz", fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := RedisOptions(tt.addr, tt.pw, tt.db, tt.tls)
			if tt.fail {
				if !errors.Is(err, ErrBadConfig) {
					t.Fatalf("err = %v, want ErrBadConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			net := o.Network
			if net == "" {
				net = "tcp"
			}
			if o.Addr != tt.wantAddr || net != tt.wantNet || o.Password != tt.wantPW || o.DB != tt.wantDB || (o.TLSConfig != nil) != tt.wantTLS {
				t.Fatalf("options %s %s pw=%q db=%d tls=%v", net, o.Addr, o.Password, o.DB, o.TLSConfig != nil)
			}
			if o.MaxRetries != 1 || o.DialerRetries != 1 {
				t.Fatalf("retries %d, dial retries %d: an enter must not wait on a dead Redis", o.MaxRetries, o.DialerRetries)
			}
		})
	}
}

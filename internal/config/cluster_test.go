package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateCluster(t *testing.T) {
	const secret = "0123456789abcdef"
	clustered := func(edit func(c *Config)) func(c *Config) {
		return func(c *Config) {
			c.Redis = "127.0.0.1:6379"
			c.Cluster.Secret = secret
			edit(c)
		}
	}
	tests := []struct {
		name  string
		edit  func(c *Config)
		field string // "" = valid
	}{
		{"single node", func(c *Config) {}, ""},
		{"cluster", clustered(func(c *Config) {}), ""},
		{"every cluster setting", clustered(func(c *Config) {
			c.Cluster = Cluster{RedisPassword: "pw", RedisDB: 15, RedisTLS: true, Secret: secret, NodeID: "node-1.eu_west",
				AdvertiseURL: "https://rtc1.example.com:7880", NodeTTL: time.Second, LeaseTTL: time.Minute}
		}), ""},
		{"no secret", clustered(func(c *Config) { c.Cluster.Secret = "" }), "cluster.secret"},
		{"short secret", clustered(func(c *Config) { c.Cluster.Secret = "fifteen-chars!!" }), "cluster.secret"},
		{"node id too long", clustered(func(c *Config) { c.Cluster.NodeID = strings.Repeat("n", 65) }), "cluster.node_id"},
		{"node id with a colon", clustered(func(c *Config) { c.Cluster.NodeID = "a:b" }), "cluster.node_id"},
		{"advertise without scheme", clustered(func(c *Config) { c.Cluster.AdvertiseURL = "10.0.0.1:7880" }), "cluster.advertise_url"},
		{"advertise ws", clustered(func(c *Config) { c.Cluster.AdvertiseURL = "ws://10.0.0.1:7880" }), "cluster.advertise_url"},
		{"advertise with a path", clustered(func(c *Config) { c.Cluster.AdvertiseURL = "http://10.0.0.1:7880/signal" }), "cluster.advertise_url"},
		{"redis db 16", clustered(func(c *Config) { c.Cluster.RedisDB = 16 }), "cluster.redis_db"},
		{"node ttl too short", clustered(func(c *Config) { c.Cluster.NodeTTL = 100 * time.Millisecond }), "cluster.node_ttl"},
		{"lease ttl an hour", clustered(func(c *Config) { c.Cluster.LeaseTTL = time.Hour }), "cluster.lease_ttl"},
		{"secret without redis", func(c *Config) { c.Cluster.Secret = secret }, "cluster"},
		{"node id without redis", func(c *Config) { c.Cluster.NodeID = "n1" }, "cluster"},
		{"max users 4", clustered(func(c *Config) { c.Cluster.MaxUsers = 4 }), ""},
		{"max users negative", clustered(func(c *Config) { c.Cluster.MaxUsers = -1 }), "cluster.max_users"},
		{"max users beyond the bound", clustered(func(c *Config) { c.Cluster.MaxUsers = MaxClusterMaxUsers + 1 }), "cluster.max_users"},
		{"max users without redis", func(c *Config) { c.Cluster.MaxUsers = 4 }, "cluster"},
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

func TestClusterFlagsAndEnvironment(t *testing.T) {
	c, err := Load([]string{"--sdkappid", "5", "--sdk-secret", "s", "--redis", "127.0.0.1:6379", "--node-id", "n1",
		"--advertise-url", "http://10.0.0.1:7880", "--redis-db", "2", "--redis-tls"},
		[]string{"RTCENGINE_CLUSTER_SECRET=from-the-environment", "RTCENGINE_REDIS_PASSWORD=pw"})
	if err != nil {
		t.Fatal(err)
	}
	want := Cluster{RedisPassword: "pw", RedisDB: 2, RedisTLS: true, Secret: "from-the-environment", NodeID: "n1", AdvertiseURL: "http://10.0.0.1:7880"}
	if c.Cluster != want {
		t.Fatalf("cluster = %+v, want %+v", c.Cluster, want)
	}
}

package config

import (
	"net/url"
	"time"
)

// Cluster configures cluster mode, which Redis turns on (docs/cluster.md).
// Without Redis every field must stay empty: a single node needs nothing.
type Cluster struct {
	// RedisPassword authenticates to Redis (AUTH); empty sends none.
	RedisPassword string `yaml:"redis_password"`
	// RedisDB is the Redis database number (0..15).
	RedisDB int `yaml:"redis_db"`
	// RedisTLS speaks TLS to Redis (as a rediss:// URL does).
	RedisTLS bool `yaml:"redis_tls"`
	// Secret is shared by every node of the cluster: it signs node
	// registrations and the internal calls between nodes. At least 16
	// characters; required in cluster mode.
	Secret string `yaml:"secret"`
	// NodeID names this node in the cluster (at most 64 characters of
	// [A-Za-z0-9._-]); empty picks a random one at every start.
	NodeID string `yaml:"node_id"`
	// AdvertiseURL is this node's base URL as other nodes and redirected
	// clients reach it (http:// or https://, no path); empty uses the
	// listening address, which only suits a cluster on one host.
	AdvertiseURL string `yaml:"advertise_url"`
	// NodeTTL is how long a registration lives without a heartbeat (5s);
	// heartbeats come three times per NodeTTL.
	NodeTTL time.Duration `yaml:"node_ttl"`
	// LeaseTTL is how long a room's placement lease lives without being
	// renewed by its owner (10s); owners renew three times per LeaseTTL.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
	// MaxUsers caps the users this node serves (0: no cap); LIVE audience
	// beyond it is sent to a node with room to spare (docs/cluster.md).
	MaxUsers int `yaml:"max_users"`
}

// Bounds of the cluster settings.
const (
	MinClusterSecretLen = 16
	MaxNodeIDLen        = 64
	MaxClusterMaxUsers  = 1_000_000
)

func init() {
	settings = append(settings,
		setting{flag: "redis-password", yaml: "cluster.redis_password", usage: "Redis `password` (cluster mode)",
			set: func(c *Config, v string) error { c.Cluster.RedisPassword = v; return nil }},
		setting{flag: "redis-db", yaml: "cluster.redis_db", usage: "Redis database `number` (cluster mode)",
			set: func(c *Config, v string) error { return setInt(&c.Cluster.RedisDB, v) }},
		setting{flag: "redis-tls", yaml: "cluster.redis_tls", isBool: true, usage: "speak TLS to Redis",
			set: func(c *Config, v string) error { return setBool(&c.Cluster.RedisTLS, v) }},
		setting{flag: "cluster-secret", yaml: "cluster.secret", usage: "`secret` shared by the cluster's nodes (signs registrations and internal calls)",
			set: func(c *Config, v string) error { c.Cluster.Secret = v; return nil }},
		setting{flag: "node-id", yaml: "cluster.node_id", usage: "this node's `id` in the cluster (random when empty)",
			set: func(c *Config, v string) error { c.Cluster.NodeID = v; return nil }},
		setting{flag: "advertise-url", yaml: "cluster.advertise_url", usage: "this node's base `URL` as other nodes and clients reach it",
			set: func(c *Config, v string) error { c.Cluster.AdvertiseURL = v; return nil }},
		setting{flag: "cluster-max-users", yaml: "cluster.max_users", usage: "users this node serves at most (`n`, 0: no cap)",
			set: func(c *Config, v string) error { return setInt(&c.Cluster.MaxUsers, v) }},
	)
}

// Clustered reports whether the node runs in cluster mode.
func (c *Config) Clustered() bool { return c.Redis != "" }

func (v *validator) cluster(c *Config) {
	cl := c.Cluster
	if c.Redis == "" {
		if cl.Secret != "" || cl.NodeID != "" || cl.AdvertiseURL != "" || cl.RedisPassword != "" || cl.RedisTLS || cl.RedisDB != 0 || cl.MaxUsers != 0 {
			v.bad("cluster", "cluster settings need redis (cluster mode); a single node needs none")
		}
		return
	}
	if len(cl.Secret) < MinClusterSecretLen {
		v.bad("cluster.secret", "cluster mode needs a shared secret of at least %d characters", MinClusterSecretLen)
	}
	if len(cl.NodeID) > MaxNodeIDLen || !nodeIDChars(cl.NodeID) {
		v.bad("cluster.node_id", "%q: at most %d characters of [A-Za-z0-9._-]", cl.NodeID, MaxNodeIDLen)
	}
	if cl.AdvertiseURL != "" {
		u, err := url.Parse(cl.AdvertiseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			v.bad("cluster.advertise_url", "%q is not an http:// or https:// base URL without a path", cl.AdvertiseURL)
		}
	}
	if cl.MaxUsers < 0 || cl.MaxUsers > MaxClusterMaxUsers {
		v.bad("cluster.max_users", "%d is not 0..%d", cl.MaxUsers, MaxClusterMaxUsers)
	}
	if cl.RedisDB < 0 || cl.RedisDB > 15 {
		v.bad("cluster.redis_db", "%d is not 0..15", cl.RedisDB)
	}
	if cl.NodeTTL < 0 || (cl.NodeTTL > 0 && cl.NodeTTL < 300*time.Millisecond) || cl.NodeTTL > time.Minute {
		v.bad("cluster.node_ttl", "%v is outside 300ms..1m", cl.NodeTTL)
	}
	if cl.LeaseTTL < 0 || (cl.LeaseTTL > 0 && cl.LeaseTTL < 300*time.Millisecond) || cl.LeaseTTL > time.Minute {
		v.bad("cluster.lease_ttl", "%v is outside 300ms..1m", cl.LeaseTTL)
	}
}

func nodeIDChars(s string) bool {
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

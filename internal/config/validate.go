package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bounds that Validate enforces besides TRTC's caps. They catch typos (a
// heartbeat of 2h, a frame cap of 64 bytes) rather than express policy.
const (
	maxWebhookKeyLen     = 32 // trtc-reference §8.1
	minMaxMessageBytes   = 1 << 10
	maxMaxMessageBytes   = 16 << 20
	maxMessagesPerSecond = 10000
	maxMessageLog        = 1 << 16
	maxDropTimeout       = time.Hour
	maxLiveAudienceTTL   = 24 * time.Hour
	maxHeartbeatInterval = time.Minute
	maxHeartbeatTimeout  = 10 * time.Minute
	maxWHIPConnect       = 10 * time.Minute
)

// Validate checks the whole configuration and reports every problem at
// once, each a *FieldError naming the setting, joined with errors.Join.
func (c *Config) Validate() error {
	v := &validator{}
	v.addr("listen", c.Listen)
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		v.bad("udp_port", "%d is not a port number (0..65535; 0 picks a free port)", c.UDPPort)
	}
	if c.NodeIP != "" && net.ParseIP(c.NodeIP) == nil {
		v.bad("node_ip", "%q is not an IP address", c.NodeIP)
	}
	if c.DataDir == "" {
		v.bad("data_dir", "must not be empty")
	}
	if c.Redis != "" {
		v.redis("redis", c.Redis)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		v.bad("log_level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		v.bad("log_format", "%q is neither text nor json", c.LogFormat)
	}
	v.apps(c.Apps)
	v.limits(&c.Limits)
	v.webhook(&c.Webhook)
	v.reach(c)    // reach.go
	v.cluster(c)  // cluster.go
	v.postgres(c) // postgres.go
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

func (v *validator) bad(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// addr checks a host:port listen address; the host may be empty (every
// interface), an IP address or a host name, and the port may be 0.
func (v *validator) addr(field, s string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		v.bad(field, "%q is not host:port: %v", s, err)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.bad(field, "%q: port %q is not a number in 0..65535", s, port)
	}
	if host != "" && net.ParseIP(host) == nil && !isHostname(host) {
		v.bad(field, "%q: %q is neither an IP address nor a host name", s, host)
	}
}

// redis accepts what go-redis accepts: host:port, or a redis://, rediss://
// or unix:// URL.
func (v *validator) redis(field, s string) {
	if !strings.Contains(s, "://") {
		v.addr(field, s)
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		v.bad(field, "%q: %v", s, err)
		return
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			v.bad(field, "%q has no host", s)
		}
	case "unix":
		if u.Path == "" {
			v.bad(field, "%q has no socket path", s)
		}
	default:
		v.bad(field, "%q: scheme %q is not redis, rediss or unix", s, u.Scheme)
	}
}

func isHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !isAlnum(r) && r != '-' && r != '_' {
				return false
			}
		}
	}
	return true
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func (v *validator) apps(apps []App) {
	if len(apps) == 0 {
		v.bad("apps", "no application configured (Load creates a development app; a production config must list its apps)")
		return
	}
	ids := map[uint32]int{}
	secretIDs := map[string]int{}
	for i, a := range apps {
		field := func(name string) string { return fmt.Sprintf("apps[%d].%s", i, name) }
		if a.SDKAppID == 0 {
			v.bad(field("sdkappid"), "required, and not 0")
		} else if j, dup := ids[a.SDKAppID]; dup {
			v.bad(field("sdkappid"), "%d is also the SDKAppID of apps[%d]", a.SDKAppID, j)
		} else {
			ids[a.SDKAppID] = i
		}
		if a.SDKSecret == "" {
			v.bad(field("sdk_secret"), "required: the SDKSecretKey that signs UserSigs")
		}
		v.secret(field("sdk_secret"), a.SDKSecret)
		v.secret(field("api_secret_id"), a.APISecretID)
		v.secret(field("api_secret_key"), a.APISecretKey)
		switch {
		case a.APISecretID != "" && a.APISecretKey == "":
			v.bad(field("api_secret_key"), "required when api_secret_id is set")
		case a.APISecretID == "" && a.APISecretKey != "":
			v.bad(field("api_secret_id"), "required when api_secret_key is set")
		}
		// One SecretId may manage several apps, as a TencentCloud account's
		// key does, but it has one SecretKey.
		if j, dup := secretIDs[a.APISecretID]; dup && apps[j].APISecretKey != a.APISecretKey {
			v.bad(field("api_secret_id"), "%q is also the SecretId of apps[%d], with another api_secret_key", a.APISecretID, j)
		} else if a.APISecretID != "" && !dup {
			secretIDs[a.APISecretID] = i
		}
		if a.WebhookURL != "" {
			if u, err := url.Parse(a.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.bad(field("webhook_url"), "%q is not an http:// or https:// URL", a.WebhookURL)
			}
		}
		if len(a.WebhookKey) > maxWebhookKeyLen || strings.IndexFunc(a.WebhookKey, func(r rune) bool { return !isAlnum(r) }) >= 0 {
			v.bad(field("webhook_key"), "must be at most %d characters of A-Z, a-z, 0-9", maxWebhookKeyLen)
		}
	}
}

// secret rejects surrounding whitespace, the usual trace of a copy and
// paste: the key would be used with it and match nothing.
func (v *validator) secret(field, s string) {
	if strings.TrimSpace(s) != s {
		v.bad(field, "has leading or trailing whitespace")
	}
}

func (v *validator) limits(l *Limits) {
	v.count("limits.call_max_users", l.CallMaxUsers, trtcCallMaxUsers)
	v.count("limits.call_max_anchors", l.CallMaxAnchors, trtcCallMaxAnchors)
	v.count("limits.live_max_anchors", l.LiveMaxAnchors, trtcLiveMaxAnchors)
	v.count("limits.live_max_audience", l.LiveMaxAudience, trtcLiveMaxAudience)
	v.duration("limits.drop_timeout", l.DropTimeout, maxDropTimeout)
	v.duration("limits.live_audience_room_ttl", l.LiveAudienceRoomTTL, maxLiveAudienceTTL)
	v.duration("limits.heartbeat_interval", l.HeartbeatInterval, maxHeartbeatInterval)
	v.duration("limits.heartbeat_timeout", l.HeartbeatTimeout, maxHeartbeatTimeout)
	if l.HeartbeatInterval > 0 && l.HeartbeatTimeout < 2*l.HeartbeatInterval {
		v.bad("limits.heartbeat_timeout", "%v is less than twice heartbeat_interval (%v): one late heartbeat would drop the connection",
			l.HeartbeatTimeout, l.HeartbeatInterval)
	}
	if l.MaxMessageBytes < minMaxMessageBytes || l.MaxMessageBytes > maxMaxMessageBytes {
		v.bad("limits.max_message_bytes", "%d is outside %d..%d", l.MaxMessageBytes, minMaxMessageBytes, maxMaxMessageBytes)
	}
	v.count("limits.messages_per_second", l.MessagesPerSecond, maxMessagesPerSecond)
	v.count("limits.message_log", l.MessageLog, maxMessageLog)
	v.duration("limits.whip_connect_timeout", l.WHIPConnectTimeout, maxWHIPConnect)
}

// count checks 1 <= n <= limit.
func (v *validator) count(field string, n, limit int) {
	switch {
	case n <= 0:
		v.bad(field, "%d is not positive", n)
	case n > limit:
		v.bad(field, "%d is above the maximum of %d", n, limit)
	}
}

// duration checks 0 < d <= limit.
func (v *validator) duration(field string, d, limit time.Duration) {
	switch {
	case d <= 0:
		v.bad(field, "%v is not positive", d)
	case d > limit:
		v.bad(field, "%v is above the maximum of %v", d, limit)
	}
}

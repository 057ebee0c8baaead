// Package config holds the configuration of `rtcengine serve` and loads it
// in layers, each overriding the one before: built-in defaults, a YAML file
// (--config, unknown keys rejected), RTCENGINE_* environment variables,
// command-line flags; then Validate. docs/configuration.md documents every
// setting; rtcengine.sample.yaml shows them all.
package config

import (
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// App is one TRTC application: an SDKAppID with its keys. Apps never
// exchange media with each other.
type App struct {
	// SDKAppID identifies the application (1400000000-style).
	SDKAppID uint32 `yaml:"sdkappid"`
	// SDKSecret is the SDKSecretKey that signs UserSigs and PrivateMapKeys,
	// used as raw bytes.
	SDKSecret string `yaml:"sdk_secret"`
	// APISecretID and APISecretKey authenticate REST API 3.0 calls
	// (TC3-HMAC-SHA256) that manage this app. Both or neither.
	APISecretID  string `yaml:"api_secret_id"`
	APISecretKey string `yaml:"api_secret_key"`
	// WebhookURL receives room and media events; empty disables webhooks.
	WebhookURL string `yaml:"webhook_url"`
	// WebhookKey signs webhook bodies (the Sign header); empty sends no
	// signature. At most 32 characters of [A-Za-z0-9] (trtc-reference §8.1).
	WebhookKey string `yaml:"webhook_key"`
	// PrivilegeCheck is TRTC's "advanced permission control": entering a
	// room requires a PrivateMapKey for that room.
	PrivilegeCheck bool `yaml:"privilege_check"`
}

// Limits are the per-room caps and protocol timings. Defaults are TRTC's
// published values; the caps may be lowered (tests do) but not raised.
type Limits struct {
	// CallMaxUsers caps users in a VideoCall/AudioCall room (300).
	CallMaxUsers int `yaml:"call_max_users"`
	// CallMaxAnchors caps simultaneous publishers in a call room (50).
	CallMaxAnchors int `yaml:"call_max_anchors"`
	// LiveMaxAnchors caps anchors in a LIVE/VoiceChatRoom room (50).
	LiveMaxAnchors int `yaml:"live_max_anchors"`
	// LiveMaxAudience caps audience members in a live room (100000).
	LiveMaxAudience int `yaml:"live_max_audience"`
	// DropTimeout is how long a user whose connection dropped stays in the
	// room before being removed (90s).
	DropTimeout time.Duration `yaml:"drop_timeout"`
	// LiveAudienceRoomTTL is how long a live room lives on after its last
	// user, an audience member, leaves (10m).
	LiveAudienceRoomTTL time.Duration `yaml:"live_audience_room_ttl"`
	// HeartbeatInterval is how often clients send a heartbeat (2s).
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// HeartbeatTimeout: no message for this long means the connection is
	// lost (10s).
	HeartbeatTimeout time.Duration `yaml:"heartbeat_timeout"`
	// MaxMessageBytes caps one signaling frame (64 KiB).
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// MessagesPerSecond is the sustained rate of signaling frames allowed
	// per connection (50); bursts of twice as many are tolerated.
	MessagesPerSecond int `yaml:"messages_per_second"`
	// MessageLog is how many recent custom messages a room keeps for users
	// who fall behind (2048); older ones are reported to them as missed.
	MessageLog int `yaml:"message_log"`
	// WHIPConnectTimeout ends a WHIP or WHEP session whose media connection
	// has not connected this long after its POST (30s; docs/whip-whep.md).
	WHIPConnectTimeout time.Duration `yaml:"whip_connect_timeout"`

	// Protection (docs/deployment.md): per-client and per-app admission.
	// Rates are per second with bursts of twice as many.

	// ConnsPerIP caps concurrent signaling connections from one IP address
	// (an IPv6 /64) (50).
	ConnsPerIP int `yaml:"conns_per_ip"`
	// EntersPerIP caps enter and resume requests from one IP address (10/s).
	EntersPerIP int `yaml:"enters_per_ip"`
	// EntersPerApp caps enter requests into one app's rooms (1000/s).
	EntersPerApp int `yaml:"enters_per_app"`
	// RESTPerIP caps REST API calls from one IP address, counted before
	// authentication (50/s).
	RESTPerIP int `yaml:"rest_per_ip"`
	// RESTPerSecretID caps authenticated REST API calls per SecretId
	// (20/s, TencentCloud's usual per-account rate).
	RESTPerSecretID int `yaml:"rest_per_secret_id"`
	// IPExempt lists networks (comma-separated CIDRs) the per-IP limits do
	// not count: loopback by default, where a reverse proxy on the same host
	// makes every client look alike.
	IPExempt string `yaml:"ip_exempt"`
}

// Config is the whole configuration of a server.
type Config struct {
	// Listen is the HTTP address (WebSocket signaling, REST API, demo page).
	Listen string `yaml:"listen"`
	// UDPPort is the media port; 0 picks a free one.
	UDPPort int `yaml:"udp_port"`
	// NodeIP is the address put in ICE candidates, for a server behind NAT;
	// empty uses the addresses of the interfaces.
	NodeIP string `yaml:"node_ip"`
	// DataDir holds the history store, the webhook outbox and recordings.
	DataDir string `yaml:"data_dir"`
	// Redis is the address of the Redis server that makes a cluster
	// ("host:port" or a redis:// URL); empty runs a single node.
	Redis string `yaml:"redis"`
	// Postgres is the PostgreSQL database (a postgres:// URL or a
	// keyword=value list) that holds the history store and the webhook
	// outbox instead of the data directory, shared by a cluster's nodes
	// (postgres.go); empty keeps them under DataDir.
	Postgres string `yaml:"postgres"`
	// Dev enables development mode: generated keys are printed and
	// /dev/usersig hands out UserSigs to anybody.
	Dev bool `yaml:"dev"`
	// LogLevel is debug, info, warn or error (anything log/slog parses).
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// Apps are the applications this server hosts.
	Apps []App `yaml:"apps"`
	// Limits are room caps and protocol timings.
	Limits Limits `yaml:"limits"`
	// Webhook is the delivery schedule of the apps' webhooks.
	Webhook Webhook `yaml:"webhook"`
	// TLS makes the listener speak HTTPS (reach.go).
	TLS TLS `yaml:"tls"`
	// TURN is the embedded TURN server (reach.go).
	TURN TURN `yaml:"turn"`
	// Cluster configures cluster mode, on when Redis is set (cluster.go).
	Cluster Cluster `yaml:"cluster"`
}

// Defaults that are not limits.
const (
	DefaultListen    = "127.0.0.1:7880"
	DefaultUDPPort   = 7882
	DefaultLogLevel  = "info"
	DefaultLogFormat = "text"

	// DevSDKAppID is the SDKAppID of the development app that Load
	// creates when no app is configured.
	DevSDKAppID uint32 = 1400000001
)

// TRTC's published caps (trtc-reference §1); Validate refuses higher ones.
const (
	trtcCallMaxUsers    = 300
	trtcCallMaxAnchors  = 50
	trtcLiveMaxAnchors  = 50
	trtcLiveMaxAudience = 100000
)

// DefaultLimits returns TRTC's limits and rtcengine's protocol timings.
func DefaultLimits() Limits {
	return Limits{
		CallMaxUsers:        trtcCallMaxUsers,
		CallMaxAnchors:      trtcCallMaxAnchors,
		LiveMaxAnchors:      trtcLiveMaxAnchors,
		LiveMaxAudience:     trtcLiveMaxAudience,
		DropTimeout:         90 * time.Second,
		LiveAudienceRoomTTL: 10 * time.Minute,
		HeartbeatInterval:   2 * time.Second,
		HeartbeatTimeout:    10 * time.Second,
		MaxMessageBytes:     64 << 10,
		MessagesPerSecond:   50,
		MessageLog:          2048,
		WHIPConnectTimeout:  30 * time.Second,
		ConnsPerIP:          50,
		EntersPerIP:         10,
		EntersPerApp:        1000,
		RESTPerIP:           50,
		RESTPerSecretID:     20,
		IPExempt:            DefaultIPExempt,
	}
}

// Default returns the built-in configuration: every default set, no apps,
// and the data directory derived from the process environment.
func Default() Config {
	return defaults(os.Getenv)
}

func defaults(getenv func(string) string) Config {
	return Config{
		Listen:    DefaultListen,
		UDPPort:   DefaultUDPPort,
		DataDir:   defaultDataDir(getenv, runtime.GOOS),
		LogLevel:  DefaultLogLevel,
		LogFormat: DefaultLogFormat,
		Limits:    DefaultLimits(),
		Webhook:   DefaultWebhook(),
		TURN:      DefaultTURN(),
	}
}

// defaultDataDir is the per-user data directory, in the manner of
// os.UserConfigDir: %LocalAppData%\rtcengine on Windows; elsewhere
// $XDG_DATA_HOME/rtcengine when that is set, else
// ~/Library/Application Support/rtcengine on macOS and
// ~/.local/share/rtcengine on other systems. Without a home directory it
// falls back to "rtcengine-data" in the working directory.
func defaultDataDir(getenv func(string) string, goos string) string {
	const name = "rtcengine"
	if goos == "windows" {
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, name)
		}
		return name + "-data"
	}
	if d := getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, name)
	}
	home := getenv("HOME")
	if home == "" {
		return name + "-data"
	}
	if goos == "darwin" || goos == "ios" {
		return filepath.Join(home, "Library", "Application Support", name)
	}
	return filepath.Join(home, ".local", "share", name)
}

// App returns the app with the given SDKAppID.
func (c *Config) App(id uint32) (App, bool) {
	for _, a := range c.Apps {
		if a.SDKAppID == id {
			return a, true
		}
	}
	return App{}, false
}

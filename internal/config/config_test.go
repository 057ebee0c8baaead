package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

const samplePath = "../../rtcengine.sample.yaml"

// writeFile writes a YAML file in a temporary directory and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rtcengine.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// prodApp is a valid app for tests that need one.
var prodApp = App{SDKAppID: 1400000009, SDKSecret: "secret9", APISecretID: "AKID9", APISecretKey: "key9"}

// valid returns a valid configuration to break in one place.
func valid() Config {
	c := defaults(func(string) string { return "" })
	c.DataDir = "/tmp/rtcengine"
	c.Apps = []App{prodApp}
	return c
}

func TestDefault(t *testing.T) {
	c := defaults(func(k string) string { return map[string]string{"HOME": "/home/u"}[k] })
	want := Config{
		Listen:    "127.0.0.1:7880",
		UDPPort:   7882,
		DataDir:   defaultDataDir(func(k string) string { return map[string]string{"HOME": "/home/u"}[k] }, runtime.GOOS),
		LogLevel:  "info",
		LogFormat: "text",
		Limits: Limits{
			CallMaxUsers: 300, CallMaxAnchors: 50, LiveMaxAnchors: 50, LiveMaxAudience: 100000,
			DropTimeout: 90 * time.Second, LiveAudienceRoomTTL: 10 * time.Minute,
			HeartbeatInterval: 2 * time.Second, HeartbeatTimeout: 10 * time.Second,
			MaxMessageBytes: 64 << 10, MessagesPerSecond: 50, MessageLog: 2048,
			WHIPConnectTimeout: 30 * time.Second,
			ConnsPerIP:         50, EntersPerIP: 10, EntersPerApp: 1000, RESTPerIP: 50, RESTPerSecretID: 20,
			IPExempt: "127.0.0.0/8,::1/128",
		},
		Webhook: Webhook{Timeout: 5 * time.Second, RetryInterval: 10 * time.Second, RetryWindow: time.Minute, MaxPending: 100000},
		TURN:    TURN{Port: 3478, Realm: "rtcengine", CredentialTTL: 24 * time.Hour, UserAllocations: 10, MaxAllocations: 10000},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults =\n%+v\nwant\n%+v", c, want)
	}
	// The defaults are valid once an app exists.
	c.Apps = []App{prodApp}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultDataDir(t *testing.T) {
	tests := []struct {
		name string
		goos string
		env  map[string]string
		want string
	}{
		{"linux home", "linux", map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/rtcengine"},
		{"linux XDG", "linux", map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/data"}, "/data/rtcengine"},
		{"relative XDG ignored", "linux", map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "data"}, "/home/u/.local/share/rtcengine"},
		{"macOS", "darwin", map[string]string{"HOME": "/Users/u"}, "/Users/u/Library/Application Support/rtcengine"},
		{"windows", "windows", map[string]string{"LocalAppData": `C:\Users\u\AppData\Local`}, filepath.Join(`C:\Users\u\AppData\Local`, "rtcengine")},
		{"no home", "linux", nil, "rtcengine-data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultDataDir(func(k string) string { return tt.env[k] }, tt.goos); got != tt.want {
				t.Fatalf("defaultDataDir = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadSample(t *testing.T) {
	c, err := Load([]string{"--config", samplePath}, nil)
	if err != nil {
		t.Fatalf("the sample does not load: %v", err)
	}
	if c.Dev || len(c.Apps) != 2 {
		t.Fatalf("Dev = %v, %d apps; want a production config with 2 apps", c.Dev, len(c.Apps))
	}
	want := App{
		SDKAppID:     1400000001,
		SDKSecret:    strings.Repeat("0", 63) + "1",
		APISecretID:  "AKIDsample0000000000000000000000001",
		APISecretKey: "sampleSecretKey00000000000000001",
		WebhookURL:   "https://app.example.com/trtc/events",
		WebhookKey:   "sampleWebhookKey1",
	}
	if c.Apps[0] != want {
		t.Errorf("apps[0] = %+v, want %+v", c.Apps[0], want)
	}
	if a, ok := c.App(1400000002); !ok || !a.PrivilegeCheck || a.WebhookURL != "" {
		t.Errorf("App(1400000002) = %+v, %v", a, ok)
	}
	if c.Limits != DefaultLimits() {
		t.Errorf("sample limits %+v differ from the defaults %+v", c.Limits, DefaultLimits())
	}
	if c.DataDir != "/var/lib/rtcengine" || c.Listen != DefaultListen || c.UDPPort != DefaultUDPPort {
		t.Errorf("sample top level = %+v", c)
	}
}

// yamlKeys lists every key of the YAML schema.
func yamlKeys(typ reflect.Type) []string {
	var keys []string
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		keys = append(keys, strings.Split(f.Tag.Get("yaml"), ",")[0])
		switch f.Type.Kind() {
		case reflect.Struct:
			keys = append(keys, yamlKeys(f.Type)...)
		case reflect.Slice:
			keys = append(keys, yamlKeys(f.Type.Elem())...)
		}
	}
	return keys
}

func TestSampleAndDocsCoverEverySetting(t *testing.T) {
	sample, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range yamlKeys(reflect.TypeOf(Config{})) {
		if !regexp.MustCompile(`(?m)^[ -]*` + k + `:`).Match(sample) {
			t.Errorf("rtcengine.sample.yaml does not set %s", k)
		}
		if !strings.Contains(string(docs), "`"+k+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", k)
		}
	}
	for _, s := range settings {
		for _, name := range []string{"--" + s.flag, s.envName()} {
			if !strings.Contains(string(docs), "`"+name+"`") {
				t.Errorf("docs/configuration.md does not document `%s`", name)
			}
		}
	}
	for _, name := range []string{"--config", EnvPrefix + "CONFIG"} {
		if !strings.Contains(string(docs), "`"+name+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", name)
		}
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, `
listen: 0.0.0.0:1000
udp_port: 1001
log_level: debug
apps:
  - sdkappid: 1400000011
    sdk_secret: file-secret
    webhook_url: https://file.example/hook
  - sdkappid: 1400000012
    sdk_secret: file-secret-2
limits:
  call_max_users: 10
`)
	tests := []struct {
		name  string
		args  []string
		env   []string
		check func(t *testing.T, c Config)
	}{
		{
			name: "defaults",
			args: []string{"--sdkappid", "1400000001", "--sdk-secret", "s"},
			check: func(t *testing.T, c Config) {
				if c.Listen != DefaultListen || c.UDPPort != DefaultUDPPort || c.LogLevel != "info" || c.Limits != DefaultLimits() || c.Dev {
					t.Fatalf("got %+v", c)
				}
			},
		},
		{
			name: "file over defaults, omitted keys keep defaults",
			args: []string{"--config", file},
			check: func(t *testing.T, c Config) {
				if c.Listen != "0.0.0.0:1000" || c.UDPPort != 1001 || c.LogLevel != "debug" || c.LogFormat != "text" {
					t.Fatalf("got %+v", c)
				}
				if c.Limits.CallMaxUsers != 10 || c.Limits.LiveMaxAudience != 100000 || c.Limits.DropTimeout != 90*time.Second {
					t.Fatalf("limits %+v", c.Limits)
				}
			},
		},
		{
			name: "file named by the environment",
			env:  []string{"RTCENGINE_CONFIG=" + file},
			check: func(t *testing.T, c Config) {
				if c.UDPPort != 1001 || len(c.Apps) != 2 {
					t.Fatalf("got %+v", c)
				}
			},
		},
		{
			name: "flag --config over RTCENGINE_CONFIG",
			args: []string{"--config", file},
			env:  []string{"RTCENGINE_CONFIG=/nonexistent.yaml"},
			check: func(t *testing.T, c Config) {
				if c.UDPPort != 1001 {
					t.Fatalf("got %+v", c)
				}
			},
		},
		{
			name: "env over file",
			args: []string{"--config", file},
			env:  []string{"RTCENGINE_UDP_PORT=2001", "RTCENGINE_SDK_SECRET=env-secret", "RTCENGINE_LOG_FORMAT=json", "RTCENGINE_DEV=true"},
			check: func(t *testing.T, c Config) {
				if c.Listen != "0.0.0.0:1000" || c.UDPPort != 2001 || c.LogFormat != "json" || !c.Dev {
					t.Fatalf("got %+v", c)
				}
				if a := c.Apps[0]; a.SDKAppID != 1400000011 || a.SDKSecret != "env-secret" || a.WebhookURL != "https://file.example/hook" {
					t.Fatalf("apps[0] = %+v", a)
				}
				if c.Apps[1].SDKSecret != "file-secret-2" {
					t.Fatalf("apps[1] = %+v: the single-app settings touch only the first app", c.Apps[1])
				}
			},
		},
		{
			name: "flags over env over file",
			args: []string{"--config", file, "--udp-port", "3001", "--sdk-secret=flag-secret", "--privilege-check", "--listen", "[::1]:0"},
			env:  []string{"RTCENGINE_UDP_PORT=2001", "RTCENGINE_SDK_SECRET=env-secret", "RTCENGINE_PRIVILEGE_CHECK=false", "RTCENGINE_LOG_LEVEL=warn"},
			check: func(t *testing.T, c Config) {
				if c.UDPPort != 3001 || c.Listen != "[::1]:0" || c.LogLevel != "warn" {
					t.Fatalf("got %+v", c)
				}
				if a := c.Apps[0]; a.SDKSecret != "flag-secret" || !a.PrivilegeCheck {
					t.Fatalf("apps[0] = %+v", a)
				}
			},
		},
		{
			name: "bool flag set false over env true",
			args: []string{"--sdkappid", "5", "--sdk-secret", "s", "--dev=false"},
			env:  []string{"RTCENGINE_DEV=1"},
			check: func(t *testing.T, c Config) {
				if c.Dev {
					t.Fatal("Dev = true")
				}
			},
		},
		{
			name: "empty env ignored",
			args: []string{"--config", file},
			env:  []string{"RTCENGINE_UDP_PORT=", "RTCENGINE_LISTEN="},
			check: func(t *testing.T, c Config) {
				if c.UDPPort != 1001 || c.Listen != "0.0.0.0:1000" {
					t.Fatalf("got %+v", c)
				}
			},
		},
		{
			name: "first duplicate env entry wins, like os.Getenv",
			args: []string{"--sdkappid", "5", "--sdk-secret", "s"},
			env:  []string{"RTCENGINE_UDP_PORT=4001", "RTCENGINE_UDP_PORT=4002", "OTHER", "=x"},
			check: func(t *testing.T, c Config) {
				if c.UDPPort != 4001 {
					t.Fatalf("UDPPort = %d", c.UDPPort)
				}
			},
		},
		{
			name: "single-app flags create the app",
			env: []string{"RTCENGINE_SDKAPPID=1400000077", "RTCENGINE_SDK_SECRET=s", "RTCENGINE_API_SECRET_ID=AKIDx",
				"RTCENGINE_API_SECRET_KEY=k", "RTCENGINE_WEBHOOK_URL=http://h/x", "RTCENGINE_WEBHOOK_KEY=abc123"},
			check: func(t *testing.T, c Config) {
				want := App{SDKAppID: 1400000077, SDKSecret: "s", APISecretID: "AKIDx", APISecretKey: "k", WebhookURL: "http://h/x", WebhookKey: "abc123"}
				if c.Dev || len(c.Apps) != 1 || c.Apps[0] != want {
					t.Fatalf("got Dev=%v %+v", c.Dev, c.Apps)
				}
			},
		},
		{
			name: "every other flag",
			args: []string{"--sdkappid", "5", "--sdk-secret", "s", "--node-ip", "203.0.113.7", "--data-dir", "/srv/rtc", "--redis", "redis://10.0.0.1:6379/0", "--cluster-secret", "0123456789abcdef"},
			env:  []string{"RTCENGINE_NODE_IP=198.51.100.1", "RTCENGINE_REDIS=127.0.0.1:6379"},
			check: func(t *testing.T, c Config) {
				if c.NodeIP != "203.0.113.7" || c.DataDir != "/srv/rtc" || c.Redis != "redis://10.0.0.1:6379/0" {
					t.Fatalf("got %+v", c)
				}
			},
		},
		{
			name: "data dir from the given environment",
			args: []string{"--sdkappid", "5", "--sdk-secret", "s"},
			env:  []string{"XDG_DATA_HOME=/xdg", "HOME=/home/u"},
			check: func(t *testing.T, c Config) {
				if want := defaultDataDir(envLookup([]string{"XDG_DATA_HOME=/xdg", "HOME=/home/u"}), runtime.GOOS); c.DataDir != want {
					t.Fatalf("DataDir = %q, want %q", c.DataDir, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestDevApp(t *testing.T) {
	c, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Dev || len(c.Apps) != 1 {
		t.Fatalf("Dev = %v, apps = %+v; want one development app", c.Dev, c.Apps)
	}
	a := c.Apps[0]
	if a.SDKAppID != DevSDKAppID || a.PrivilegeCheck || a.WebhookURL != "" {
		t.Fatalf("dev app = %+v", a)
	}
	checks := []struct{ field, value, re string }{
		{"sdk_secret", a.SDKSecret, `^[0-9a-f]{64}$`},
		{"api_secret_id", a.APISecretID, `^AKID[A-Za-z0-9]{32}$`},
		{"api_secret_key", a.APISecretKey, `^[A-Za-z0-9]{32}$`},
	}
	for _, ck := range checks {
		if !regexp.MustCompile(ck.re).MatchString(ck.value) {
			t.Errorf("%s = %q does not match %s", ck.field, ck.value, ck.re)
		}
	}
	d, err := Load([]string{"--listen", "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := d.Apps[0]; b.SDKSecret == a.SDKSecret || b.APISecretID == a.APISecretID || b.APISecretKey == a.APISecretKey {
		t.Fatal("two development apps share a key: the keys are not random")
	}
	// A configured app, even by the environment alone, is not development.
	c, err = Load(nil, []string{"RTCENGINE_SDKAPPID=7", "RTCENGINE_SDK_SECRET=x"})
	if err != nil || c.Dev || len(c.Apps) != 1 {
		t.Fatalf("Load = %+v, %v", c, err)
	}
}

func TestRandomAlnumIsUniform(t *testing.T) {
	counts := map[rune]int{}
	for _, r := range randomAlnum(62 * 200) {
		counts[r]++
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters, want 62", len(counts))
	}
	for r, n := range counts {
		if n < 100 || n > 330 {
			t.Errorf("%q appears %d times in 12400, expected about 200", r, n)
		}
	}
}

func TestUnknownYAMLKeyRejected(t *testing.T) {
	tests := []struct{ name, yaml, key string }{
		{"top level typo", "lisen: 127.0.0.1:1\n", "lisen"},
		{"app key", "apps:\n  - sdkappid: 1\n    sdk_secret: s\n    secret_key: s\n", "secret_key"},
		{"limits key", "limits:\n  call_max_user: 3\n", "call_max_user"},
		{"flag spelling", "udp-port: 1\n", "udp-port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]string{"--config", writeFile(t, tt.yaml)}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("Load = %v, want an error naming %q", err, tt.key)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		file string // contents of a --config file, if any
		want string // substring of the error
	}{
		{name: "unknown flag", args: []string{"--lisen", "x"}, want: "lisen"},
		{name: "flag without value", args: []string{"--listen"}, want: "listen"},
		{name: "bad port flag", args: []string{"--udp-port", "x"}, want: "udp-port"},
		{name: "bad sdkappid flag", args: []string{"--sdkappid", "4294967296"}, want: "sdkappid"},
		{name: "bad bool flag", args: []string{"--dev=maybe"}, want: "dev"},
		{name: "positional argument", args: []string{"serve"}, want: `unexpected argument "serve"`},
		{name: "bad env number", env: []string{"RTCENGINE_UDP_PORT=x"}, want: "RTCENGINE_UDP_PORT"},
		{name: "bad env bool", env: []string{"RTCENGINE_PRIVILEGE_CHECK=yes"}, want: "RTCENGINE_PRIVILEGE_CHECK"},
		{name: "missing file", args: []string{"--config", "/nonexistent/rtcengine.yaml"}, want: "config file"},
		{name: "not YAML", file: "listen: [\n", want: "config file"},
		{name: "wrong type", file: "udp_port: high\n", want: "line 1"},
		{name: "bare integer duration", file: "limits:\n  drop_timeout: 90\n", want: "time.Duration"},
		{name: "two documents", file: "listen: a:1\n---\nlisten: b:2\n", want: "one YAML document"},
		{name: "valid layers, invalid result", args: []string{"--udp-port", "70000"}, want: "udp_port"},
		{name: "partial app", args: []string{"--webhook-url", "https://x/y"}, want: "apps[0].sdkappid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				args = append([]string{"--config", writeFile(t, tt.file)}, args...)
			}
			_, err := Load(args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadEmptyFile(t *testing.T) {
	c, err := Load([]string{"--config", writeFile(t, "# nothing yet\n")}, nil)
	if err != nil || !c.Dev || c.Listen != DefaultListen {
		t.Fatalf("Load = %+v, %v", c, err)
	}
}

func TestHelp(t *testing.T) {
	_, err := Load([]string{"--help"}, nil)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(--help) = %v, want flag.ErrHelp", err)
	}
	for _, s := range settings {
		if !strings.Contains(err.Error(), "-"+s.flag+" ["+s.envName()+"]") {
			t.Errorf("usage lacks -%s [%s]", s.flag, s.envName())
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(c *Config)
		field string // "" = valid
	}{
		{"valid", func(c *Config) {}, ""},
		{"listen on any interface, port 0", func(c *Config) { c.Listen = ":0" }, ""},
		{"listen on a host name", func(c *Config) { c.Listen = "localhost:7880" }, ""},
		{"listen on IPv6", func(c *Config) { c.Listen = "[::]:7880" }, ""},
		{"listen without port", func(c *Config) { c.Listen = "127.0.0.1" }, "listen"},
		{"listen port out of range", func(c *Config) { c.Listen = "127.0.0.1:65536" }, "listen"},
		{"listen port by name", func(c *Config) { c.Listen = "127.0.0.1:http" }, "listen"},
		{"listen on a bad host", func(c *Config) { c.Listen = "no such host:1" }, "listen"},
		{"udp port 0", func(c *Config) { c.UDPPort = 0 }, ""},
		{"udp port 65535", func(c *Config) { c.UDPPort = 65535 }, ""},
		{"udp port negative", func(c *Config) { c.UDPPort = -1 }, "udp_port"},
		{"udp port too big", func(c *Config) { c.UDPPort = 65536 }, "udp_port"},
		{"node ip", func(c *Config) { c.NodeIP = "2001:db8::1" }, ""},
		{"node ip host name", func(c *Config) { c.NodeIP = "media.example.com" }, "node_ip"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "data_dir"},
		{"redis host:port", func(c *Config) { c.Redis = "redis.internal:6379"; c.Cluster.Secret = "0123456789abcdef" }, ""},
		{"redis URL", func(c *Config) {
			c.Redis = "rediss://user:pw@redis.internal:6380/2"
			c.Cluster.Secret = "0123456789abcdef"
		}, ""},
		{"redis socket", func(c *Config) { c.Redis = "unix:///run/redis.sock"; c.Cluster.Secret = "0123456789abcdef" }, ""},
		{"redis without port", func(c *Config) { c.Redis = "redis.internal" }, "redis"},
		{"redis other scheme", func(c *Config) { c.Redis = "http://redis.internal:6379" }, "redis"},
		{"log level", func(c *Config) { c.LogLevel = "DEBUG" }, ""},
		{"bad log level", func(c *Config) { c.LogLevel = "verbose" }, "log_level"},
		{"bad log format", func(c *Config) { c.LogFormat = "logfmt" }, "log_format"},
		{"no apps", func(c *Config) { c.Apps = nil }, "apps"},
		{"zero sdkappid", func(c *Config) { c.Apps[0].SDKAppID = 0 }, "apps[0].sdkappid"},
		{"duplicate sdkappid", func(c *Config) { c.Apps = append(c.Apps, App{SDKAppID: prodApp.SDKAppID, SDKSecret: "x"}) }, "apps[1].sdkappid"},
		{"empty secret", func(c *Config) { c.Apps[0].SDKSecret = "" }, "apps[0].sdk_secret"},
		{"secret with newline", func(c *Config) { c.Apps[0].SDKSecret = "abc\n" }, "apps[0].sdk_secret"},
		{"secret id without key", func(c *Config) { c.Apps[0].APISecretKey = "" }, "apps[0].api_secret_key"},
		{"secret key without id", func(c *Config) { c.Apps[0].APISecretID = "" }, "apps[0].api_secret_id"},
		{"no API credentials", func(c *Config) { c.Apps[0].APISecretID, c.Apps[0].APISecretKey = "", "" }, ""},
		{"secret id shared with the same key", func(c *Config) {
			c.Apps = append(c.Apps, App{SDKAppID: 2, SDKSecret: "x", APISecretID: prodApp.APISecretID, APISecretKey: prodApp.APISecretKey})
		}, ""},
		{"secret id shared with another key", func(c *Config) {
			c.Apps = append(c.Apps, App{SDKAppID: 2, SDKSecret: "x", APISecretID: prodApp.APISecretID, APISecretKey: "other"})
		}, "apps[1].api_secret_id"},
		{"webhook URL", func(c *Config) { c.Apps[0].WebhookURL = "http://10.0.0.1:8080/cb?x=1" }, ""},
		{"webhook URL relative", func(c *Config) { c.Apps[0].WebhookURL = "/cb" }, "apps[0].webhook_url"},
		{"webhook URL ftp", func(c *Config) { c.Apps[0].WebhookURL = "ftp://h/cb" }, "apps[0].webhook_url"},
		{"webhook key 32", func(c *Config) { c.Apps[0].WebhookKey = strings.Repeat("aZ09", 8) }, ""},
		{"webhook key 33", func(c *Config) { c.Apps[0].WebhookKey = strings.Repeat("a", 33) }, "apps[0].webhook_key"},
		{"webhook key symbol", func(c *Config) { c.Apps[0].WebhookKey = "abc_def" }, "apps[0].webhook_key"},
		{"webhook key non-ASCII", func(c *Config) { c.Apps[0].WebhookKey = "ключ" }, "apps[0].webhook_key"},
		{"caps lowered", func(c *Config) { c.Limits.CallMaxUsers, c.Limits.LiveMaxAudience = 2, 1 }, ""},
		{"call users above TRTC", func(c *Config) { c.Limits.CallMaxUsers = 301 }, "limits.call_max_users"},
		{"call anchors above TRTC", func(c *Config) { c.Limits.CallMaxAnchors = 51 }, "limits.call_max_anchors"},
		{"live anchors above TRTC", func(c *Config) { c.Limits.LiveMaxAnchors = 51 }, "limits.live_max_anchors"},
		{"audience above TRTC", func(c *Config) { c.Limits.LiveMaxAudience = 100001 }, "limits.live_max_audience"},
		{"zero call users", func(c *Config) { c.Limits.CallMaxUsers = 0 }, "limits.call_max_users"},
		{"negative anchors", func(c *Config) { c.Limits.LiveMaxAnchors = -1 }, "limits.live_max_anchors"},
		{"short timings for tests", func(c *Config) {
			c.Limits.DropTimeout, c.Limits.LiveAudienceRoomTTL = 500*time.Millisecond, 300*time.Millisecond
			c.Limits.HeartbeatInterval, c.Limits.HeartbeatTimeout = 200*time.Millisecond, time.Second
		}, ""},
		{"zero drop timeout", func(c *Config) { c.Limits.DropTimeout = 0 }, "limits.drop_timeout"},
		{"drop timeout of a day", func(c *Config) { c.Limits.DropTimeout = 24 * time.Hour }, "limits.drop_timeout"},
		{"negative room TTL", func(c *Config) { c.Limits.LiveAudienceRoomTTL = -time.Second }, "limits.live_audience_room_ttl"},
		{"room TTL of a week", func(c *Config) { c.Limits.LiveAudienceRoomTTL = 7 * 24 * time.Hour }, "limits.live_audience_room_ttl"},
		{"zero heartbeat", func(c *Config) { c.Limits.HeartbeatInterval = 0 }, "limits.heartbeat_interval"},
		{"hourly heartbeat", func(c *Config) { c.Limits.HeartbeatInterval, c.Limits.HeartbeatTimeout = time.Hour, 2*time.Hour }, "limits.heartbeat_interval"},
		{"timeout below two heartbeats", func(c *Config) { c.Limits.HeartbeatTimeout = 3 * time.Second }, "limits.heartbeat_timeout"},
		{"zero heartbeat timeout", func(c *Config) { c.Limits.HeartbeatTimeout = 0 }, "limits.heartbeat_timeout"},
		{"tiny frames", func(c *Config) { c.Limits.MaxMessageBytes = 64 }, "limits.max_message_bytes"},
		{"huge frames", func(c *Config) { c.Limits.MaxMessageBytes = 1 << 30 }, "limits.max_message_bytes"},
		{"zero rate", func(c *Config) { c.Limits.MessagesPerSecond = 0 }, "limits.messages_per_second"},
		{"absurd rate", func(c *Config) { c.Limits.MessagesPerSecond = 1e6 }, "limits.messages_per_second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			c.Apps = append([]App(nil), c.Apps...)
			tt.edit(&c)
			err := c.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Validate = %v, want a FieldError for %s", err, tt.field)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := valid()
	c.Listen = "x"
	c.Apps = []App{{}, {WebhookKey: "!"}}
	c.Limits.CallMaxUsers = 0
	err := c.Validate()
	for _, field := range []string{"listen", "apps[0].sdkappid", "apps[0].sdk_secret", "apps[1].sdkappid", "apps[1].webhook_key", "limits.call_max_users"} {
		if !strings.Contains(err.Error(), field+": ") {
			t.Errorf("error does not name %s:\n%v", field, err)
		}
	}
}

func TestAppLookup(t *testing.T) {
	c := valid()
	c.Apps = append(c.Apps, App{SDKAppID: 7, SDKSecret: "seven"})
	if a, ok := c.App(7); !ok || a.SDKSecret != "seven" {
		t.Fatalf("App(7) = %+v, %v", a, ok)
	}
	if _, ok := c.App(8); ok {
		t.Fatal("App(8) found")
	}
}

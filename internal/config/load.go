package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the name of every environment variable Load reads.
const EnvPrefix = "RTCENGINE_"

// maxFileBytes caps the YAML file Load reads.
const maxFileBytes = 1 << 20

// A setting is one value settable by both a flag and an environment
// variable. The flag --udp-port is the variable RTCENGINE_UDP_PORT.
type setting struct {
	flag   string
	yaml   string // where the same value lives in the YAML file
	usage  string
	isBool bool
	set    func(c *Config, v string) error
}

// envName returns the environment variable of the setting.
func (s *setting) envName() string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(s.flag, "-", "_"))
}

// configFlag names the YAML file; it is a flag and a variable too, but not
// a setting of Config.
const configFlag = "config"

// settings lists every flag. The single-app flags set fields of Apps[0],
// creating it if the file listed no app.
var settings = []setting{
	{flag: "listen", yaml: "listen", usage: "HTTP `address` for signaling, the REST API and the demo page",
		set: func(c *Config, v string) error { c.Listen = v; return nil }},
	{flag: "udp-port", yaml: "udp_port", usage: "UDP `port` for media (0 picks a free one)",
		set: func(c *Config, v string) error { return setInt(&c.UDPPort, v) }},
	{flag: "node-ip", yaml: "node_ip", usage: "`IP` address advertised in ICE candidates (behind NAT)",
		set: func(c *Config, v string) error { c.NodeIP = v; return nil }},
	{flag: "data-dir", yaml: "data_dir", usage: "`directory` for the history store, webhook outbox and recordings",
		set: func(c *Config, v string) error { c.DataDir = v; return nil }},
	{flag: "redis", yaml: "redis", usage: "Redis `address` (host:port or redis:// URL) for cluster mode",
		set: func(c *Config, v string) error { c.Redis = v; return nil }},
	{flag: "dev", yaml: "dev", isBool: true, usage: "development mode: print generated keys, serve /dev/usersig",
		set: func(c *Config, v string) error { return setBool(&c.Dev, v) }},
	{flag: "log-level", yaml: "log_level", usage: "log `level`: debug, info, warn or error",
		set: func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{flag: "log-format", yaml: "log_format", usage: "log `format`: text or json",
		set: func(c *Config, v string) error { c.LogFormat = v; return nil }},
	{flag: "sdkappid", yaml: "apps[0].sdkappid", usage: "`SDKAppID` of the (first) app",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return errors.New("not a 32-bit unsigned number")
			}
			firstApp(c).SDKAppID = uint32(n)
			return nil
		}},
	{flag: "sdk-secret", yaml: "apps[0].sdk_secret", usage: "`SDKSecretKey` of the (first) app, which signs UserSigs",
		set: func(c *Config, v string) error { firstApp(c).SDKSecret = v; return nil }},
	{flag: "api-secret-id", yaml: "apps[0].api_secret_id", usage: "REST API `SecretId` of the (first) app",
		set: func(c *Config, v string) error { firstApp(c).APISecretID = v; return nil }},
	{flag: "api-secret-key", yaml: "apps[0].api_secret_key", usage: "REST API `SecretKey` of the (first) app",
		set: func(c *Config, v string) error { firstApp(c).APISecretKey = v; return nil }},
	{flag: "webhook-url", yaml: "apps[0].webhook_url", usage: "`URL` receiving the (first) app's event webhooks",
		set: func(c *Config, v string) error { firstApp(c).WebhookURL = v; return nil }},
	{flag: "webhook-key", yaml: "apps[0].webhook_key", usage: "`key` signing the (first) app's webhooks (≤32 of [A-Za-z0-9])",
		set: func(c *Config, v string) error { firstApp(c).WebhookKey = v; return nil }},
	{flag: "privilege-check", yaml: "apps[0].privilege_check", isBool: true, usage: "require a PrivateMapKey to enter rooms of the (first) app",
		set: func(c *Config, v string) error { return setBool(&firstApp(c).PrivilegeCheck, v) }},
}

func setInt(p *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return errors.New("not an integer")
	}
	*p = n
	return nil
}

func setBool(p *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("not a boolean (true, false, 1, 0)")
	}
	*p = b
	return nil
}

// firstApp returns Apps[0], creating it when there is none.
func firstApp(c *Config) *App {
	if len(c.Apps) == 0 {
		c.Apps = append(c.Apps, App{})
	}
	return &c.Apps[0]
}

// Load builds the configuration of `rtcengine serve` from its arguments
// (without the subcommand) and an environment in os.Environ form. Layers,
// each overriding the one before:
//
//  1. Default();
//  2. the YAML file named by --config or RTCENGINE_CONFIG, whose unknown
//     keys are errors;
//  3. RTCENGINE_* environment variables (empty ones are ignored);
//  4. command-line flags.
//
// If no app is configured by then, Load adds a development app (SDKAppID
// DevSDKAppID with random keys) and sets Dev so that the server prints the
// keys; production configurations must list their apps. Finally it returns
// the result of Validate. With -h or --help it returns an error wrapping
// flag.ErrHelp whose text is the usage.
func Load(args []string, env []string) (Config, error) {
	getenv := envLookup(env)
	c := defaults(getenv)

	fs := flag.NewFlagSet("rtcengine serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configFile := fs.String(configFlag, "", "YAML configuration `file`")
	type given struct {
		s *setting
		v string
	}
	var flags []given
	for i := range settings {
		s := &settings[i]
		record := func(v string) error {
			var scratch Config
			if err := s.set(&scratch, v); err != nil {
				return err
			}
			flags = append(flags, given{s, v})
			return nil
		}
		if s.isBool {
			fs.BoolFunc(s.flag, s.usage, record)
		} else {
			fs.Func(s.flag, s.usage, record)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, fmt.Errorf("%w\n%s", err, usage(fs))
		}
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	path := *configFile
	if path == "" {
		path = getenv(EnvPrefix + "CONFIG")
	}
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return Config{}, err
		}
	}
	for i := range settings {
		s := &settings[i]
		if v := getenv(s.envName()); v != "" {
			if err := s.set(&c, v); err != nil {
				return Config{}, fmt.Errorf("%s=%q: %v", s.envName(), v, err)
			}
		}
	}
	for _, g := range flags {
		if err := g.s.set(&c, g.v); err != nil {
			return Config{}, fmt.Errorf("--%s: %v", g.s.flag, err)
		}
	}

	if len(c.Apps) == 0 {
		c.Apps = []App{newDevApp()}
		c.Dev = true
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// envLookup returns a getenv over an os.Environ-style list. Like the os
// package, it takes the first of duplicate entries.
func envLookup(env []string) func(string) string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if _, seen := m[k]; ok && !seen {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// loadFile decodes a YAML file over c: keys it sets override, keys it
// omits keep their value. An empty file changes nothing.
func (c *Config) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(io.LimitReader(f, maxFileBytes))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: only one YAML document is allowed", path)
	}
	return nil
}

// usage lists the flags with their environment variables.
func usage(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("Usage: rtcengine serve [flags]\n\nEvery flag can also be set by the environment variable shown, or in the --config file.\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	s := b.String()
	for i := range settings {
		st := &settings[i]
		s = strings.Replace(s, "\n  -"+st.flag+" ", "\n  -"+st.flag+" ["+st.envName()+"] ", 1)
		s = strings.Replace(s, "\n  -"+st.flag+"\n", "\n  -"+st.flag+" ["+st.envName()+"]\n", 1)
	}
	return strings.Replace(s, "\n  -"+configFlag+" ", "\n  -"+configFlag+" ["+EnvPrefix+"CONFIG] ", 1)
}

// Development app credentials: SDKSecretKey as the console shows it (64 hex
// characters), API 3.0 SecretId "AKID" + 32 and SecretKey of 32 characters.
const (
	devSecretIDRandomLen = 32
	devSecretKeyLen      = 32
)

func newDevApp() App {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand)
	return App{
		SDKAppID:     DevSDKAppID,
		SDKSecret:    hex.EncodeToString(key),
		APISecretID:  "AKID" + randomAlnum(devSecretIDRandomLen),
		APISecretKey: randomAlnum(devSecretKeyLen),
	}
}

// randomAlnum returns n uniformly random characters of [A-Za-z0-9].
func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps the choice uniform.
			if b < 248 && len(out) < n {
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out)
}

package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions builds client options from the configuration's address
// (host:port, or a redis://, rediss:// or unix:// URL) and its separate
// password, database and TLS settings, which override the URL's.
func RedisOptions(addr, password string, db int, useTLS bool) (*redis.Options, error) {
	var opt *redis.Options
	switch {
	case strings.HasPrefix(addr, "redis://"), strings.HasPrefix(addr, "rediss://"), strings.HasPrefix(addr, "unix://"):
		o, err := redis.ParseURL(addr)
		if err != nil {
			return nil, fmt.Errorf("%w: redis address: %v", ErrBadConfig, err)
		}
		opt = o
	default:
		opt = &redis.Options{Addr: addr}
	}
	if password != "" {
		opt.Password = password
	}
	if db != 0 {
		opt.DB = db
	}
	if useTLS && opt.TLSConfig == nil {
		opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	// Fail fast: a node must never hang its enters on an unreachable Redis.
	opt.DialTimeout = dialTimeout
	opt.ReadTimeout = ioTimeout
	opt.WriteTimeout = ioTimeout
	opt.MaxRetries = 1
	opt.DialerRetries = 1
	opt.DialerRetryTimeout = 10 * time.Millisecond
	quietRedis.Do(func() { redis.SetLogger(discardLogger{}) })
	return opt, nil
}

// quietRedis silences go-redis's own logger (it prints every failed dial to
// stderr): this package logs every failed Redis operation itself, with the
// node's logger and a metric.
var quietRedis sync.Once

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

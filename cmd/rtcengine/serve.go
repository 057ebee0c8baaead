package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
	"github.com/rtcengine/rtcengine/internal/server"
)

func serve(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(args, os.Environ())
	if err != nil {
		fmt.Fprintf(stderr, "rtcengine serve: %v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	// Caught from here on: a SIGTERM while the server starts (it may be
	// delivering webhooks already) stops it cleanly once it has started,
	// instead of killing it.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	srv, err := server.New(cfg, log, nil)
	if err != nil {
		fmt.Fprintf(stderr, "rtcengine serve: %v\n", err)
		return 2
	}
	if err := srv.Start(); err != nil {
		fmt.Fprintf(stderr, "rtcengine serve: %v\n", err)
		return 1
	}
	printBanner(stdout, cfg, srv)
	log.Info("serving", "listen", srv.Addr(), "apps", len(cfg.Apps), "dev", cfg.Dev)

	got := <-sigs
	log.Info("shutting down", "signal", got.String())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	log.Info("stopped")
	return 0
}

func printBanner(w io.Writer, cfg config.Config, srv *server.Server) {
	fmt.Fprintf(w, "rtcengine is running\n")
	fmt.Fprintf(w, "  demo page:   %s/\n", srv.URL())
	fmt.Fprintf(w, "  signaling:   %s\n", srv.SignalURL())
	fmt.Fprintf(w, "  REST API:    POST %s/ (API 3.0, trtc 2019-07-22)\n", srv.URL())
	for _, a := range cfg.Apps {
		fmt.Fprintf(w, "  app %d\n", a.SDKAppID)
		if cfg.Dev {
			fmt.Fprintf(w, "    SDKSecretKey: %s\n", a.SDKSecret)
			fmt.Fprintf(w, "    SecretId:     %s\n", a.APISecretID)
			fmt.Fprintf(w, "    SecretKey:    %s\n", a.APISecretKey)
		}
	}
	if cfg.Dev {
		fmt.Fprintf(w, "  development mode: these keys are generated for this run; a UserSig: %s/dev/usersig?userId=alice\n", srv.URL())
		fmt.Fprintf(w, "  try: RTCENGINE_API_SECRET_ID=%s RTCENGINE_API_SECRET_KEY=%s rtcengine api DismissRoom --json '{\"SdkAppId\":%d,\"RoomId\":1234}'\n",
			cfg.Apps[0].APISecretID, cfg.Apps[0].APISecretKey, cfg.Apps[0].SDKAppID)
	}
}

// newLogger builds the slog logger with secrets redacted.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redact}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// redact hides values whose keys name secrets or tickets.
func redact(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	for _, s := range []string{"usersig", "secret", "password", "privatemapkey", "token", "authorization"} {
		if strings.Contains(k, s) {
			return slog.String(a.Key, "[redacted]")
		}
	}
	return a
}

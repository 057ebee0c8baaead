package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rtcengine/rtcengine/internal/pgtest"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// BenchmarkPostgresThroughput is BenchmarkThroughput on the PostgreSQL
// outbox, with one node or two sharing the database: b.N events appended by
// 8 concurrent writers (spread over the nodes; each Append returns once its
// INSERT is committed) and delivered, each app in order, to a local
// receiver. It reports events/s from the first Append to the last 2xx.
//
//	go test -run '^$' -bench PostgresThroughput -benchtime 5000x ./internal/webhook/
func BenchmarkPostgresThroughput(b *testing.B) {
	for _, tt := range []struct {
		name        string
		apps, nodes int
	}{{"1app-1node", 1, 1}, {"4apps-1node", 4, 1}, {"4apps-2nodes", 4, 2}} {
		b.Run(tt.name, func(b *testing.B) { benchPostgres(b, tt.apps, tt.nodes) })
	}
}

func benchPostgres(b *testing.B, apps, nodes int) {
	var got sync.WaitGroup
	got.Add(b.N)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Sign") != Sign(key1, body) {
			b.Error("bad signature")
		}
		w.WriteHeader(200)
		got.Done()
	}))
	defer srv.Close()
	dsn := pgtest.Shared(b).NewDatabase(b)
	cfg := Config{}
	for i := range apps {
		cfg.Apps = append(cfg.Apps, App{ID: app1 + trtc.SDKAppID(i), URL: srv.URL, Key: key1})
	}
	var svcs []*Service
	for range nodes {
		s, err := OpenPostgres(context.Background(), dsn, cfg)
		if err != nil {
			b.Fatal(err)
		}
		svcs = append(svcs, s)
	}
	const writers = 8
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := svcs[w%nodes]
			for i := w; i < b.N; i += writers {
				if err := s.Append(testEvent(app1+trtc.SDKAppID(i%apps), i)); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	appended := time.Since(start)
	got.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/appended.Seconds(), "appends/s")
	for _, s := range svcs {
		if err := s.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostgresAppend is the cost of one Append with no concurrency:
// one committed INSERT (the latency an enter or a REST call pays per event).
func BenchmarkPostgresAppend(b *testing.B) {
	s, err := OpenPostgres(context.Background(), pgtest.Shared(b).NewDatabase(b), Config{Apps: []App{{ID: app1, URL: "http://127.0.0.1:1/"}},
		RetryInterval: time.Hour, RetryWindow: 2 * time.Hour, MaxPending: 10000000})
	if err != nil {
		b.Fatal(err)
	}
	benchAppend(b, s)
}

// BenchmarkPostgresDrain measures delivery alone: b.N events of one app
// pending in PostgreSQL (left by a node whose receiver was down) are
// delivered in order by a node that opens the outbox, alone or with a
// second one. It reports events/s from Open to the last 2xx.
func BenchmarkPostgresDrain(b *testing.B) {
	for _, nodes := range []int{1, 2} {
		b.Run(map[int]string{1: "1node", 2: "2nodes"}[nodes], func(b *testing.B) {
			dsn := pgtest.Shared(b).NewDatabase(b)
			down, err := OpenPostgres(context.Background(), dsn, Config{Apps: []App{{ID: app1, URL: "http://127.0.0.1:1/"}},
				RetryInterval: time.Hour, RetryWindow: 2 * time.Hour, MaxPending: 10000000})
			if err != nil {
				b.Fatal(err)
			}
			for i := range b.N {
				if err := down.Append(testEvent(app1, i)); err != nil {
					b.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			down.Close(ctx)
			// The first event waits for its retry in an hour: make it due.
			conn, err := pgx.Connect(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := conn.Exec(context.Background(), `UPDATE webhook_events SET next_attempt_ms = 0`); err != nil {
				b.Fatal(err)
			}
			conn.Close(context.Background())
			var got sync.WaitGroup
			got.Add(b.N)
			var mu sync.Mutex
			var last uint64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				// In order, each once: the ids' numbers only grow.
				_, n, _ := strings.Cut(r.Header.Get("X-Rtcengine-Event-Id"), "-")
				lsn, _ := strconv.ParseUint(n, 10, 64)
				mu.Lock()
				if lsn <= last {
					b.Errorf("event %d delivered after event %d", lsn, last)
				}
				last = lsn
				mu.Unlock()
				w.WriteHeader(200)
				got.Done()
			}))
			defer srv.Close()
			cfg := Config{Apps: []App{{ID: app1, URL: srv.URL, Key: key1}}, MaxPending: 10000000}
			b.ResetTimer()
			start := time.Now()
			var svcs []*Service
			for range nodes {
				s, err := OpenPostgres(context.Background(), dsn, cfg)
				if err != nil {
					b.Fatal(err)
				}
				svcs = append(svcs, s)
			}
			got.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			for _, s := range svcs {
				if err := s.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

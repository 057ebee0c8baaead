package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// BenchmarkThroughput measures end-to-end webhook throughput with the
// durable outbox on: b.N events appended by 8 concurrent writers (as by 8
// rooms; each Append returns once its event is fsynced) and delivered, each
// app in order, to a local receiver that checks the signature. It reports
// events/s from the first Append to the last 2xx, and appends per fsync.
//
//	go test -run '^$' -bench Throughput -benchtime 20000x ./internal/webhook/
func BenchmarkThroughput(b *testing.B) {
	for _, apps := range []int{1, 4} {
		b.Run(map[int]string{1: "1app", 4: "4apps"}[apps], func(b *testing.B) { benchThroughput(b, apps) })
	}
}

func benchThroughput(b *testing.B, apps int) {
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
	cfg := Config{Dir: b.TempDir()}
	for i := range apps {
		cfg.Apps = append(cfg.Apps, App{ID: app1 + trtc.SDKAppID(i), URL: srv.URL, Key: key1})
	}
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	const writers = 8
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
	st := s.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/appended.Seconds(), "appends/s")
	b.ReportMetric(float64(st.Appended)/float64(max(st.Syncs, 1)), "appends/fsync")
	if err := s.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppend is the cost of one durable Append with no concurrency:
// encode, write, fsync (the latency an enter or a REST call pays per event).
func BenchmarkAppend(b *testing.B) {
	s, err := Open(Config{Dir: b.TempDir(), Apps: []App{{ID: app1, URL: "http://127.0.0.1:1/"}}, RetryInterval: time.Hour, RetryWindow: 2 * time.Hour, MaxPending: 10000000})
	if err != nil {
		b.Fatal(err)
	}
	benchAppend(b, s)
}

// benchAppend appends b.N events to s one at a time, then closes s
// without waiting for deliveries.
func benchAppend(b *testing.B, s *Service) {
	defer func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s.Close(ctx)
	}()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Append(testEvent(app1, i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDrainAfterRestart measures delivery alone: b.N events left in the
// outbox by a previous run (receiver down) are recovered by Open and
// delivered in order to one app's receiver. It reports events/s from Open
// to the last 2xx.
func BenchmarkDrainAfterRestart(b *testing.B) {
	dir := b.TempDir()
	down, err := Open(Config{Dir: dir, Apps: []App{{ID: app1, URL: "http://127.0.0.1:1/"}}, RetryInterval: time.Hour, RetryWindow: 2 * time.Hour, MaxPending: 10000000})
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

	var got sync.WaitGroup
	got.Add(b.N)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(200)
		got.Done()
	}))
	defer srv.Close()
	b.ResetTimer()
	start := time.Now()
	s, err := Open(Config{Dir: dir, Apps: []App{{ID: app1, URL: srv.URL, Key: key1}}, MaxPending: 10000000})
	if err != nil {
		b.Fatal(err)
	}
	got.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if st := s.Stats(); st.Recovered != b.N {
		b.Fatalf("recovered %d of %d", st.Recovered, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	if err := s.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

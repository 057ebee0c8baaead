package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/config"
)

func startWebServer(t *testing.T, dev bool) string {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.UDPPort = 0
	cfg.Dev = dev
	cfg.DataDir = t.TempDir()
	cfg.Apps = []config.App{{SDKAppID: 1400000001, SDKSecret: "secret-of-the-web-test-app-000000", APISecretID: "AKIDweb", APISecretKey: "key"}}
	s, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s.URL()
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestWebRoutes: the SDK is served as a JavaScript module, the demo at /,
// the status page moved to /status, and the demo learns whether the server
// hands out development UserSigs.
func TestWebRoutes(t *testing.T) {
	base := startWebServer(t, true)
	tests := []struct {
		path, status, typ, contains string
	}{
		{"/sdk/rtcengine.js", "200", "text/javascript", "export {"},
		{"/sdk/index.d.ts", "200", "text/plain", "TRTC"},
		{"/", "200", "text/html", `src="/demo/app.js"`},
		{"/demo/app.js", "200", "text/javascript", "from '/sdk/rtcengine.js'"},
		{"/demo/style.css", "200", "text/css", ".tile"},
		{"/status", "200", "text/html", "This node is running"},
		{"/sdk/nope.js", "404", "", ""},
		{"/demo/nope.css", "404", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := get(t, base+tt.path)
			if got := resp.Status[:3]; got != tt.status {
				t.Fatalf("status %s", resp.Status)
			}
			if tt.typ != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.typ) {
				t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			if !strings.Contains(body, tt.contains) {
				t.Fatalf("body does not contain %q", tt.contains)
			}
		})
	}

	// The SDK is a default-exporting ES module, revalidated by ETag.
	resp, body := get(t, base+"/sdk/rtcengine.js")
	if !strings.Contains(body, "as default") || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatal("the SDK is not a default-exporting module open to other origins")
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := get(t, base+"/sdk/rtcengine.js", "If-None-Match", etag); etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET with ETag %q: %d", etag, resp.StatusCode)
	}

	var cfg struct {
		Dev      bool   `json:"dev"`
		SDKAppID uint32 `json:"sdkAppId"`
	}
	_, body = get(t, base+"/demo/config.json")
	if err := json.Unmarshal([]byte(body), &cfg); err != nil || !cfg.Dev || cfg.SDKAppID != 1400000001 {
		t.Fatalf("dev config: %s (%v)", body, err)
	}

	// The soak benchmark reads the server's memory here.
	var mem struct{ HeapInuse, RSS uint64 }
	_, body = get(t, base+"/debug/memory")
	if err := json.Unmarshal([]byte(body), &mem); err != nil || mem.HeapInuse == 0 || mem.RSS < mem.HeapInuse {
		t.Fatalf("/debug/memory: %s (%v)", body, err)
	}
	// And an execution trace, for scheduling questions profiles cannot answer.
	if _, body := get(t, base+"/debug/pprof/trace?seconds=0.05"); !strings.HasPrefix(body, "go 1.") {
		t.Fatalf("/debug/pprof/trace is not a Go execution trace: %.40q", body)
	}
}

// TestWebProduction: a production server serves the demo but tells it to
// ask for a UserSig, and has no development endpoint.
func TestWebProduction(t *testing.T) {
	base := startWebServer(t, false)
	_, body := get(t, base+"/demo/config.json")
	if strings.TrimSpace(body) != `{"dev":false}` {
		t.Fatalf("production config: %s", body)
	}
	if _, body := get(t, base+"/dev/usersig?userId=alice"); strings.Contains(body, "userSig") {
		t.Fatalf("production hands out UserSigs: %s", body)
	}
	if resp, _ := get(t, base+"/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("demo: %s", resp.Status)
	}
	for _, path := range []string{"/debug/memory", "/debug/pprof/trace?seconds=0.05", "/debug/pprof/profile?seconds=1"} {
		// Everything unrouted gets the REST API's error envelope.
		if _, body := get(t, base+path); !strings.Contains(body, `"Error"`) {
			t.Fatalf("production serves %s: %.60q", path, body)
		}
	}
}

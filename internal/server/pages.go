package server

import (
	"encoding/json"
	"html/template"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/usersig"
)

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>rtcengine</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
code{background:#f1f3f7;padding:.1rem .3rem;border-radius:4px}td{padding:.2rem 1rem .2rem 0}</style></head>
<body><h1>rtcengine</h1>
<p>A self-hostable real-time audio/video engine with TRTC's contracts. This node is running.</p>
<table>
<tr><td>Signaling</td><td><code>{{.Signal}}</code></td></tr>
<tr><td>REST API</td><td><code>POST {{.Base}}/</code> (TencentCloud API 3.0, service trtc, version 2019-07-22)</td></tr>
<tr><td>Rooms / users</td><td>{{.Rooms}} / {{.Users}}</td></tr>
{{if .Dev}}<tr><td>Development app</td><td><code>{{.SDKAppID}}</code></td></tr>
<tr><td>UserSig</td><td><code>GET {{.Base}}/dev/usersig?userId=alice</code> (development mode only)</td></tr>{{end}}
</table>
<p><a href="/healthz">/healthz</a> · <a href="/metrics">/metrics</a></p>
</body></html>`))

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	rooms, users := s.rooms.Stats()
	data := map[string]any{
		"Base": "http://" + r.Host, "Signal": "ws://" + r.Host + "/signal",
		"Rooms": rooms, "Users": users, "Dev": s.cfg.Dev,
	}
	if len(s.cfg.Apps) > 0 {
		data["SDKAppID"] = s.cfg.Apps[0].SDKAppID
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = homePage.Execute(w, data)
}

// handleDevUserSig issues a UserSig for the first app. It exists only in
// development mode: production servers never hand out tickets.
func (s *Server) handleDevUserSig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	user := r.URL.Query().Get("userId")
	if err := trtc.ValidateUserID(user); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": trtc.ErrInvalidUserID, "message": err.Error()})
		return
	}
	app := s.cfg.Apps[0]
	if v := r.URL.Query().Get("sdkAppId"); v != "" {
		id, err := strconv.ParseUint(v, 10, 32)
		a, ok := s.cfg.App(uint32(id))
		if err != nil || !ok {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": trtc.ErrSDKAppIDServer, "message": "unknown sdkAppId"})
			return
		}
		app = a
	}
	sig, err := usersig.GenUserSig(app.SDKAppID, app.SDKSecret, user, 86400)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": trtc.ErrFailed, "message": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"sdkAppId": app.SDKAppID, "userId": user, "userSig": sig, "expire": 86400})
}

// handleMemory reports memory after a forced GC, for benchmarks. It is only
// mounted in development mode: a GC on demand is not for production.
func handleMemory(w http.ResponseWriter, _ *http.Request) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"heapInuse": ms.HeapInuse, "stackInuse": ms.StackInuse, "goroutines": runtime.NumGoroutine(),
		"rss": residentBytes(),
	})
}

// residentBytes is the process's resident set size from /proc (0 where
// there is none).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/rtcengine/rtcengine/web"
)

// webAsset is one embedded file with its type and a content hash for
// conditional requests.
type webAsset struct {
	body []byte
	typ  string
	etag string
}

// webAssets are the SDK and demo files, read once from the embedded tree.
type webAssets map[string]webAsset

var assetTypes = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".ts":   "text/plain; charset=utf-8", // .d.ts
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

func loadAssets(fsys fs.FS, prefix string, into webAssets) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		typ, ok := assetTypes[path.Ext(p)]
		if !ok {
			typ = "application/octet-stream"
		}
		sum := sha256.Sum256(b)
		into[prefix+p] = webAsset{body: b, typ: typ, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
}

// webRoutes mounts the Web SDK and the demo application:
//
//	GET /                    the demo (join form, call UI)
//	GET /demo/…              its scripts and styles
//	GET /demo/config.json    what the demo needs to know about this server
//	GET /sdk/rtcengine.js    the SDK, an ES module whose default export is TRTC
//	GET /sdk/*.d.ts          its TypeScript declarations
//	GET /status              the node's status page
func (s *Server) webRoutes(mux *http.ServeMux) {
	assets := webAssets{}
	if err := loadAssets(web.SDK(), "/sdk/", assets); err != nil {
		s.log.Error("web SDK assets", "err", err)
	}
	if err := loadAssets(web.Demo(), "/demo/", assets); err != nil {
		s.log.Error("demo assets", "err", err)
	}
	serve := func(w http.ResponseWriter, r *http.Request, name string) {
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.typ)
		w.Header().Set("ETag", a.etag)
		// Revalidate every time: a new server version must never run an old SDK.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(name, "/sdk/") {
			// Pages on other origins may import the SDK from this server.
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { serve(w, r, "/demo/index.html") })
	mux.HandleFunc("GET /sdk/{file}", func(w http.ResponseWriter, r *http.Request) { serve(w, r, r.URL.Path) })
	mux.HandleFunc("GET /demo/{file}", func(w http.ResponseWriter, r *http.Request) { serve(w, r, r.URL.Path) })
	mux.HandleFunc("GET /demo/config.json", s.handleDemoConfig)
	mux.HandleFunc("GET /status", s.handleHome)
}

// handleDemoConfig tells the demo whether this is a development server
// (which hands out UserSigs at /dev/usersig) and, if so, its app.
func (s *Server) handleDemoConfig(w http.ResponseWriter, _ *http.Request) {
	cfg := map[string]any{"dev": s.cfg.Dev}
	if s.cfg.Dev && len(s.cfg.Apps) > 0 {
		cfg["sdkAppId"] = s.cfg.Apps[0].SDKAppID
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(cfg)
}

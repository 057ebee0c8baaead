package server

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Recordings committed to VOD (StorageParams.CloudVod, docs/recording.md
// "VOD"), served read-only:
//
//	GET /vod/{FileId}/{file}
//
// A FileId is 128 random bits made at the commit; the URL is known from
// VOD_COMMIT's VideoUrl only.

// Cache-Control of VOD files: they never change once committed.
const vodCache = "public, max-age=86400, immutable"

func (s *Server) vodRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /vod/{id}/{file}", s.handleVod)
}

func (s *Server) handleVod(w http.ResponseWriter, r *http.Request) {
	path, ok := s.rec.VodFile(r.PathValue("id"), r.PathValue("file"))
	if !ok {
		liveError(w, http.StatusNotFound, "ResourceNotFound", "No such VOD file.")
		return
	}
	f, err := os.Open(path)
	if err != nil {
		liveError(w, http.StatusNotFound, "ResourceNotFound", "No such VOD file.")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		liveError(w, http.StatusInternalServerError, "InternalError", "The VOD file cannot be read.")
		return
	}
	if typ, ok := vodTypes[filepath.Ext(path)]; ok {
		w.Header().Set("Content-Type", typ)
	}
	w.Header().Set("Cache-Control", vodCache)
	http.ServeContent(w, r, "", st.ModTime(), f) // ranges, conditional requests
}

// vodTypes are the content types of recording files.
var vodTypes = map[string]string{
	".mp4": "video/mp4", ".webm": "video/webm", ".ogg": "audio/ogg", ".aac": "audio/aac",
	".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".m4s": "video/iso.segment",
}

// vodBaseURL is the base of VOD URLs: this server's HTTP(S) listener, with
// an unspecified listen address (0.0.0.0, ::) replaced by the host name.
func (s *Server) vodBaseURL() string {
	if s.listener == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(s.listener.Addr().String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, "/:") {
			host = h
		}
	}
	scheme := "http"
	if s.reach.tls != nil {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

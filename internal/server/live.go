package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rtcengine/rtcengine/internal/egress"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Built-in live HLS playback (docs/recording.md, "Live HLS playback"):
//
//	GET /live/{sdkAppId}/{roomId}/{userId}/main.m3u8       numeric room
//	GET /live/{sdkAppId}/str/{roomId}/{userId}/main.m3u8   string room
//
// (a master playlist) and the rendition playlists and segments it names,
// beside it. The URLs are public, as a CDN origin's are: anyone who knows
// the app, room and user can watch.

// liveStartWait bounds how long the first playlist request waits for a
// stream to produce its first segment.
const liveStartWait = 10 * time.Second

// Cache-Control of live HLS: a playlist changes every segment, a segment
// never changes.
const (
	livePlaylistCache = "public, max-age=1"
	liveSegmentCache  = "public, max-age=86400, immutable"
)

func (s *Server) liveRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /live/{app}/{room}/{user}/{file}", s.handleLive)
	mux.HandleFunc("GET /live/{app}/str/{room}/{user}/{file}", s.handleLive)
}

// liveError answers with a REST-style error object.
func liveError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Code": code, "Message": msg})
}

func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	appN, err := strconv.ParseUint(r.PathValue("app"), 10, 32)
	if err != nil || appN == 0 {
		liveError(w, http.StatusBadRequest, "InvalidParameter.SdkAppId", "The SdkAppId in the URL is not a number.")
		return
	}
	app := trtc.SDKAppID(appN)
	if _, ok := s.apps.Lookup(app); !ok {
		liveError(w, http.StatusNotFound, "InvalidParameter.SdkAppId", "This SdkAppId is not configured on this server.")
		return
	}
	roomID := r.PathValue("room")
	var key trtc.RoomKey
	if pathHasStr(r) {
		key, err = trtc.NewRoomKey(app, 0, roomID)
	} else {
		n, perr := strconv.ParseUint(roomID, 10, 32)
		if perr != nil {
			liveError(w, http.StatusBadRequest, "InvalidParameter.RoomId", "The room id is not a number; string rooms use /live/{sdkAppId}/str/{roomId}/….")
			return
		}
		key, err = trtc.NewRoomKey(app, n, "")
	}
	if err != nil {
		liveError(w, http.StatusBadRequest, "InvalidParameter.RoomId", "The room id is not valid: "+err.Error())
		return
	}
	user := r.PathValue("user")
	if trtc.ValidateUserID(user) != nil {
		liveError(w, http.StatusBadRequest, "InvalidParameter.UserId", "The user id is not valid.")
		return
	}
	file := r.PathValue("file")
	switch {
	case file == egress.LivePlaylist:
		ctx, cancel := context.WithTimeout(r.Context(), liveStartWait)
		defer cancel()
		master, _, err := s.rec.Live(ctx, key, trtc.UserID(user))
		if err != nil {
			liveFailed(w, err)
			return
		}
		serveLiveBytes(w, r, master, "application/vnd.apple.mpegurl", livePlaylistCache)
	case file == egress.LiveVideoPlaylist || file == egress.LiveAudioPlaylist:
		dir, err := s.rec.LiveDir(key, trtc.UserID(user))
		if err != nil {
			liveFailed(w, err)
			return
		}
		serveLiveFile(w, r, filepath.Join(dir, file), "application/vnd.apple.mpegurl", livePlaylistCache)
	case egress.IsLiveSegment(file):
		dir, err := s.rec.LiveDir(key, trtc.UserID(user))
		if err != nil {
			liveFailed(w, err)
			return
		}
		serveLiveFile(w, r, filepath.Join(dir, file), "video/mp2t", liveSegmentCache)
	default:
		liveError(w, http.StatusNotFound, "ResourceNotFound", "Only "+egress.LivePlaylist+" and the playlists and segments it names are served here.")
	}
}

// pathHasStr reports whether the request matched the string-room pattern.
func pathHasStr(r *http.Request) bool { return r.Pattern == "GET /live/{app}/str/{room}/{user}/{file}" }

func liveFailed(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, egress.ErrNoStream):
		liveError(w, http.StatusNotFound, "ResourceNotFound", "This user publishes no video in this room now.")
	case errors.Is(err, egress.ErrLiveLimit), errors.Is(err, egress.ErrTooManyTasks):
		w.Header().Set("Retry-After", "10")
		liveError(w, http.StatusServiceUnavailable, "ResourceInsufficient.RequestRejection", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", "1")
		liveError(w, http.StatusServiceUnavailable, "FailedOperation.NotReady", "The live stream has no segment yet; retry.")
	case errors.Is(err, egress.ErrClosed), errors.Is(err, context.Canceled):
		liveError(w, http.StatusServiceUnavailable, "InternalError", "The server is shutting down.")
	default:
		liveError(w, http.StatusInternalServerError, "InternalError", err.Error())
	}
}

// serveLiveFile sends a whole file; one the stream deleted meanwhile is a
// 404.
func serveLiveFile(w http.ResponseWriter, r *http.Request, path, ctype, cache string) {
	b, err := os.ReadFile(path)
	if err != nil {
		liveError(w, http.StatusNotFound, "ResourceNotFound", "No such file (a segment may have left the playlist).")
		return
	}
	serveLiveBytes(w, r, b, ctype, cache)
}

func serveLiveBytes(w http.ResponseWriter, r *http.Request, b []byte, ctype, cache string) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

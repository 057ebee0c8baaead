package egress

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/sfu"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// pngOf makes a w×h PNG of one colour with ffmpeg.
func pngOf(t *testing.T, color string, w, h int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "img.png")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"color=c="+color+":s="+itoa(w)+"x"+itoa(h), "-frames:v", "1", "-y", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imageServer serves PNGs by path; anything else is 404.
func imageServer(t *testing.T, files map[string][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestMixImages mixes a red publisher in the left half of a custom layout
// with a green background image and a yellow watermark fetched over HTTP:
// the decoded MP4 shows red in the window, green where no window is and
// yellow at the watermark. Two publishers that send no picture show
// placeholders: their window's own (blue) and the layout's default
// (white). A watermark whose URL answers 404 and one that is not an image
// are reported once each (DOWNLOAD_IMAGE_ERROR with its Url) and the mix
// goes on without them.
func TestMixImages(t *testing.T) {
	t.Parallel()
	srv := imageServer(t, map[string][]byte{
		"/bg.png": pngOf(t, "green", 320, 240),
		"/wm.png": pngOf(t, "yellow", 40, 40),
		"/ph.png": pngOf(t, "blue", 16, 16),
		"/df.png": pngOf(t, "white", 16, 16),
		"/txt":    []byte("not an image"),
	})
	s, ev := newTestService(t, Config{})
	p := testMixParams()
	p.Layout = MixLayout{Mode: LayoutCustom, Windows: []MixWindow{
		{Left: 0, Top: 0, Width: 160, Height: 240, UserID: "red", Fit: FitStretch},
		{Left: 160, Top: 0, Width: 160, Height: 120, UserID: "gray", Fit: FitStretch, Placeholder: srv.URL + "/ph.png"},
		{Left: 240, Top: 120, Width: 80, Height: 40, UserID: "cyan", Fit: FitCrop},
	},
		BackgroundImage: srv.URL + "/bg.png", BackgroundFit: FitStretch, Placeholder: srv.URL + "/df.png",
		Watermarks: []MixWatermark{
			{URL: srv.URL + "/wm.png", Left: 200, Top: 20, Width: 40, Height: 40},
			{URL: srv.URL + "/missing.png", Left: 0, Top: 0, Width: 20, Height: 20},
			{URL: srv.URL + "/txt", Left: 0, Top: 200, Width: 20, Height: 20},
		}}
	task := start(t, s, TaskParams{Mix: p, OutputFormat: FormatMP4})
	red := newMixFeed(t, "red", "red", 440)
	begin := time.Now()
	red.publish(task, "red")
	for _, u := range []string{"gray", "cyan"} { // published, never a frame
		task.trackChanged(trackInfo{user: trtc.UserID(u), stream: room.StreamVideo, available: true,
			track: &fakeSource{id: sfu.TrackID(u + "/video"), mime: "video/VP8"}}, false)
	}
	feedUntil(t, s, task, func() { red.tick(t) }, func(c []MixCell) bool {
		task.mix.mu.Lock()
		holders := 0
		for _, f := range task.mix.holders {
			if f != nil {
				holders++
			}
		}
		task.mix.mu.Unlock()
		return len(c) == 3 && c[0].Live && len(task.mix.images.paths(p.Layout)) == 4 && holders == 3 // red's cell too, before its first frame
	})
	shown := time.Since(begin)
	paced(time.Second, func() { red.tick(t) })
	info := finish(t, s, task)

	var mp4 string
	for _, f := range info.Files {
		if filepath.Ext(f.FileName) == ".mp4" {
			mp4 = filepath.Join(info.Dir, f.FileName)
		}
	}
	if mp4 == "" {
		t.Fatalf("files %+v", info.Files)
	}
	at := shown.Seconds() + 0.5
	c := rgbAt(t, mp4, at, 320, 240, [][2]int{{80, 120}, {280, 200}, {220, 40}, {10, 10}, {290, 100}, {300, 140}})
	if !isColor(c[0], [3]byte{255, 0, 0}) || !isColor(c[1], [3]byte{0, 128, 0}) || !isColor(c[2], [3]byte{255, 255, 0}) || !isColor(c[3], [3]byte{255, 0, 0}) {
		t.Fatalf("at %.1f s: window %v, background %v, watermark %v, missing watermark %v; want red, green, yellow, red", at, c[0], c[1], c[2], c[3])
	}
	if !isColor(c[4], [3]byte{0, 0, 255}) || !isColor(c[5], [3]byte{255, 255, 255}) {
		t.Fatalf("at %.1f s: placeholders %v and %v; want blue (the window's) and white (the default)", at, c[4], c[5])
	}
	var failed []string
	ev.mu.Lock()
	for _, e := range ev.all {
		if e.Type == EventDownloadImage {
			failed = append(failed, e.Payload["Url"].(string))
		}
	}
	ev.mu.Unlock()
	if strings.Join(failed, " ") != srv.URL+"/missing.png "+srv.URL+"/txt" && strings.Join(failed, " ") != srv.URL+"/txt "+srv.URL+"/missing.png" {
		t.Fatalf("DOWNLOAD_IMAGE_ERROR for %v; want the 404 and the text once each", failed)
	}
	if _, err := os.Stat(filepath.Join(info.Dir, imageDir)); err != nil {
		t.Fatal(err)
	}
	for _, f := range info.Files {
		if strings.HasPrefix(f.FileName, imageDir) {
			t.Fatalf("an image is listed: %+v", f)
		}
	}
}

// TestMixStillCanvas: a mix of a voice only (no stream takes a cell) with
// a background image and a watermark composes its canvas once, and the
// MP4 shows both.
func TestMixStillCanvas(t *testing.T) {
	t.Parallel()
	srv := imageServer(t, map[string][]byte{"/bg.png": pngOf(t, "green", 64, 48), "/wm.png": pngOf(t, "yellow", 8, 8)})
	s, _ := newTestService(t, Config{})
	p := testMixParams()
	p.Layout.BackgroundImage, p.Layout.BackgroundFit = srv.URL+"/bg.png", FitCrop
	p.Layout.Watermarks = []MixWatermark{{URL: srv.URL + "/wm.png", Left: 280, Top: 200, Width: 40, Height: 40}}
	task := start(t, s, TaskParams{Mix: p, OutputFormat: FormatMP4})
	feed := newMixFeed(t, "voice", "red", 440)
	task.trackChanged(trackInfo{user: trtc.UserID("voice"), stream: room.StreamAudio, track: feed.audio, available: true}, false)
	tick := func() {
		feed.audio.push(t, uint32(feed.n*960), false, feed.tone[feed.n%len(feed.tone)])
		feed.n++
	}
	begin := time.Now()
	deadline := begin.Add(15 * time.Second)
	for {
		task.mix.mu.Lock()
		ready := task.mix.canvas != nil
		task.mix.mu.Unlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no still canvas within 15 s")
		}
		paced(100*time.Millisecond, tick)
	}
	shown := time.Since(begin)
	paced(time.Second, tick)
	info := finish(t, s, task)
	if len(info.Files) != 1 {
		t.Fatalf("files %+v", info.Files)
	}
	at := shown.Seconds() + 0.5
	c := rgbAt(t, filepath.Join(info.Dir, info.Files[0].FileName), at, 320, 240, [][2]int{{100, 100}, {300, 220}})
	if !isColor(c[0], [3]byte{0, 128, 0}) || !isColor(c[1], [3]byte{255, 255, 0}) {
		t.Fatalf("at %.1f s: %v %v; want the green background and the yellow watermark", at, c[0], c[1])
	}
}

// FuzzCheckImageURL: an accepted image URL is absolute http or https with
// a host, within MaxImageURLLen.
func FuzzCheckImageURL(f *testing.F) {
	for _, u := range []string{"http://a/b.png", "https://[::1]:8/x", "file:///etc/passwd", "http:///x", "//a/b", "HTTP://A/B"} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if CheckImageURL(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > MaxImageURLLen {
			t.Fatalf("accepted %q", raw)
		}
	})
}

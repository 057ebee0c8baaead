package egress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Images of mixed layouts (MixLayoutParams.BackgroundImageUrl and image
// watermarks, trtc-reference §7.6 and §3.8): fetched over HTTP(S) into the
// task's directory, checked with ffmpeg's decoder, and composited by the
// compositor ffmpeg. An image that cannot be fetched or decoded is reported
// once per task (DOWNLOAD_IMAGE_ERROR, 309) and the mix goes on without it.

// Limits of layout images (docs/recording.md).
const (
	// MaxImageURLLen bounds an image URL (TRTC's 512 bytes).
	MaxImageURLLen = 512
	// MaxImageBytes bounds an image file (TRTC's 2 MB).
	MaxImageBytes = 2 << 20
	// MaxWatermarks bounds WaterMarkList.
	MaxWatermarks = 25
	// maxTaskImages bounds the distinct URLs one task fetches over its
	// life (layout changes included); later ones are reported as failed.
	maxTaskImages = 64
	// imageFetchTimeout bounds one download, connection to last byte;
	// imageDecodeTimeout the decoder's check.
	imageFetchTimeout  = 10 * time.Second
	imageDecodeTimeout = 10 * time.Second
	// maxImageRedirects bounds redirects (each to http or https only).
	maxImageRedirects = 3
)

// imageDir is where a task keeps its layout images; a directory, so file
// listings and uploads of the task pass it by.
const imageDir = "images"

// MixWatermark is an image watermark (WaterMarkList entry of type 0):
// drawn over every stream, stretched to Width×Height at Left, Top.
type MixWatermark struct {
	URL                      string
	Left, Top, Width, Height int
}

// imageTypes are the content types accepted, as sniffed from the bytes
// (http.DetectContentType), whatever the server's Content-Type says.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/bmp": true}

// CheckImageURL validates an image URL: absolute http or https with a host,
// at most MaxImageURLLen bytes.
func CheckImageURL(raw string) error {
	if len(raw) > MaxImageURLLen {
		return fmt.Errorf("%w: an image URL has %d bytes, at most %d", ErrBadLayout, len(raw), MaxImageURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: image URL %q is not an http or https URL", ErrBadLayout, raw)
	}
	return nil
}

// imageState is one URL's fetch.
type imageState struct {
	path   string // the decoded-checked file once ready
	ready  bool
	failed bool
}

// mixImages fetches and keeps the layout images of one task.
type mixImages struct {
	dir    string
	ffmpeg string
	client *http.Client
	// ready is called when an image became usable; failed when it could
	// not be fetched (once per URL).
	ready  func()
	failed func(url string, err error)

	mu     sync.Mutex
	state  map[string]*imageState
	closed bool // no new work (close)
	wg     sync.WaitGroup
}

// spawn runs f on a goroutine that close waits for; false (f not run)
// once closed.
func (mi *mixImages) spawn(f func()) bool {
	mi.mu.Lock()
	defer mi.mu.Unlock()
	if mi.closed {
		return false
	}
	mi.wg.Add(1)
	go func() {
		defer mi.wg.Done()
		f()
	}()
	return true
}

// close stops new work and waits for the work under way (it ends with the
// context it was given).
func (mi *mixImages) close() {
	mi.mu.Lock()
	mi.closed = true
	mi.mu.Unlock()
	mi.wg.Wait()
}

func newMixImages(dir, ffmpeg string, ready func(), failed func(string, error)) *mixImages {
	return &mixImages{
		dir: filepath.Join(dir, imageDir), ffmpeg: ffmpeg, ready: ready, failed: failed,
		state: map[string]*imageState{},
		client: &http.Client{
			Timeout: imageFetchTimeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxImageRedirects {
					return fmt.Errorf("more than %d redirects", maxImageRedirects)
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to %s", req.URL.Scheme)
				}
				return nil
			},
		},
	}
}

// urls lists the images a layout uses.
func layoutImageURLs(l MixLayout) []string {
	var out []string
	if l.BackgroundImage != "" {
		out = append(out, l.BackgroundImage)
	}
	for _, w := range l.Watermarks {
		out = append(out, w.URL)
	}
	if l.Placeholder != "" {
		out = append(out, l.Placeholder)
	}
	for _, w := range l.Windows {
		if w.Placeholder != "" {
			out = append(out, w.Placeholder)
		}
	}
	return out
}

// fetch starts fetching the layout's images not yet known, in the
// background, until ctx ends.
func (mi *mixImages) fetch(ctx context.Context, l MixLayout) {
	for _, u := range layoutImageURLs(l) {
		mi.mu.Lock()
		if mi.state[u] != nil {
			mi.mu.Unlock()
			continue
		}
		st := &imageState{}
		mi.state[u] = st
		full := len(mi.state) > maxTaskImages
		mi.mu.Unlock()
		if full {
			mi.done(st, u, "", fmt.Errorf("more than %d images in one task", maxTaskImages))
			continue
		}
		mi.spawn(func() {
			path, err := mi.download(ctx, u)
			mi.done(st, u, path, err)
		})
	}
}

func (mi *mixImages) done(st *imageState, u, path string, err error) {
	mi.mu.Lock()
	if err != nil {
		st.failed = true
	} else {
		st.path, st.ready = path, true
	}
	mi.mu.Unlock()
	if err != nil {
		mi.failed(u, err)
		return
	}
	mi.ready()
}

// paths maps the layout's usable images to their files.
func (mi *mixImages) paths(l MixLayout) map[string]string {
	mi.mu.Lock()
	defer mi.mu.Unlock()
	out := map[string]string{}
	for _, u := range layoutImageURLs(l) {
		if st := mi.state[u]; st != nil && st.ready {
			out[u] = st.path
		}
	}
	return out
}

// download fetches u into the image directory and checks that ffmpeg
// decodes it.
func (mi *mixImages) download(ctx context.Context, u string) (string, error) {
	if err := CheckImageURL(u); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, imageFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := mi.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %s", resp.Status)
	}
	if resp.ContentLength > MaxImageBytes {
		return "", fmt.Errorf("%d bytes, at most %d", resp.ContentLength, MaxImageBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxImageBytes+1))
	if err != nil {
		return "", err
	}
	if len(body) > MaxImageBytes {
		return "", fmt.Errorf("over %d bytes", MaxImageBytes)
	}
	if typ := http.DetectContentType(body); !imageTypes[typ] {
		return "", fmt.Errorf("content is %s, not PNG, JPEG or BMP", strings.SplitN(typ, ";", 2)[0])
	}
	if err := os.MkdirAll(mi.dir, 0o755); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(u))
	path := filepath.Join(mi.dir, hex.EncodeToString(sum[:8])+".img")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return "", err
	}
	if err := mi.checkDecodes(ctx, path); err != nil {
		_ = os.Remove(path)
		return "", err
	}
	return path, nil
}

// checkDecodes runs ffmpeg's decoder over the image: one that does not
// decode must not reach the compositor, whose failure would stop the mix.
func (mi *mixImages) checkDecodes(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, imageDecodeTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, mi.ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
		"-i", path, "-frames:v", "1", "-f", "null", "-").CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return errors.Join(errors.New("the image does not decode"), fmt.Errorf("%w: %s", err, msg))
	}
	return nil
}

// imageOverlays is the compositor's image part: input arguments (after the
// cells' raw inputs) and the filter steps that draw the background image
// under the cells and the watermarks over them.
type imageOverlays struct {
	inputs     []string
	background string // the filter steps making [bgimg], or ""
	watermarks []watermarkOverlay
}

type watermarkOverlay struct {
	steps string // making [wm<i>]
	x, y  int
}

// layoutImages builds the overlays of the layout's ready images (paths
// from mixImages.paths); the first image is input first.
func layoutImages(p MixParams, paths map[string]string, first int) imageOverlays {
	var o imageOverlays
	l := p.Layout
	idx := first
	if path := paths[l.BackgroundImage]; l.BackgroundImage != "" && path != "" {
		o.inputs = append(o.inputs, "-i", path)
		o.background = fmt.Sprintf("[%d:v]%s,format=yuva420p[bgimg]", idx, fitFilter(l.BackgroundFit, p.Width, p.Height, l.Background))
		idx++
	}
	for _, w := range l.Watermarks {
		path := paths[w.URL]
		if path == "" {
			continue
		}
		o.inputs = append(o.inputs, "-i", path)
		o.watermarks = append(o.watermarks, watermarkOverlay{
			steps: fmt.Sprintf("[%d:v]scale=%d:%d,format=yuva420p[wm%d]", idx, even(w.Width), even(w.Height), len(o.watermarks)),
			x:     evenPos(w.Left), y: evenPos(w.Top),
		})
		idx++
	}
	return o
}

// empty reports whether no image is drawn.
func (o imageOverlays) empty() bool { return len(o.inputs) == 0 }

// compositorImageArgs is compositorArgs with the layout's images: the
// background image over the colour, the cells, then the watermarks. The
// images are single-frame inputs that overlay repeats (eof_action=repeat).
// With no cells it makes one canvas (stillCanvas).
func compositorImageArgs(p MixParams, cells []mixCell, img imageOverlays) []string {
	args := append([]string{}, ffBase...)
	for i, c := range cells {
		args = append(args, rawVideoIn(c.w, c.h, p.Fps, fdOf(i))...)
	}
	args = append(args, img.inputs...)
	var g strings.Builder
	fmt.Fprintf(&g, "color=c=%s:s=%dx%d:r=%d[b0]", hexColor(p.Layout.Background), p.Width, p.Height, p.Fps)
	base := "b0"
	if img.background != "" {
		fmt.Fprintf(&g, ";%s;[b0][bgimg]overlay=x=0:y=0:eof_action=repeat:format=yuv420[bi]", img.background)
		base = "bi"
	}
	for i, c := range cells {
		fmt.Fprintf(&g, ";[%s][%d:v]overlay=x=%d:y=%d:eof_action=repeat[c%d]", base, i, c.x, c.y, i)
		base = fmt.Sprintf("c%d", i)
	}
	for i, w := range img.watermarks {
		fmt.Fprintf(&g, ";%s;[%s][wm%d]overlay=x=%d:y=%d:eof_action=repeat:format=yuv420[w%d]", w.steps, base, i, w.x, w.y, i)
		base = fmt.Sprintf("w%d", i)
	}
	fmt.Fprintf(&g, ";[%s]format=yuv420p[out]", base)
	args = append(args, "-filter_complex", g.String(), "-map", "[out]")
	if len(cells) == 0 {
		args = append(args, "-frames:v", "1")
	}
	args = append(args, rawOut...)
	return append(args, "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1")
}

// stillCanvas composes the canvas of a layout without cells (its colour
// and images) once, with ffmpeg.
func stillCanvas(ctx context.Context, ffmpeg string, p MixParams, img imageOverlays) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, imageDecodeTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, ffmpeg, compositorImageArgs(p, nil, img)...).Output()
	if err != nil {
		return nil, fmt.Errorf("egress: still canvas: %w", err)
	}
	if len(out) != frameSize(p.Width, p.Height) {
		return nil, fmt.Errorf("egress: still canvas: %d bytes", len(out))
	}
	return out, nil
}

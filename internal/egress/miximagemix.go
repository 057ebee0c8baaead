package egress

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// What layout images add to the mixer (miximage.go fetches them).

// startImages makes the mixer's image fetcher and fetches the first
// layout's images. A ready image restarts the compositor with it; a failed
// one is reported (DOWNLOAD_IMAGE_ERROR) and left out.
func (m *mixer) startImages() {
	ctx, cancel := context.WithCancel(m.t.svc.ctx)
	m.imgStop = cancel
	m.images = newMixImages(m.t.dir, m.t.svc.cfg.FFmpeg, func() {
		m.mu.Lock()
		m.vChanged = true
		m.live = false
		m.changed = time.Now()
		m.mu.Unlock()
	}, func(url string, err error) {
		if m.t.push != nil { // a relay: DescribePublishCdnStream reports it (cdnimage.go)
			m.t.svc.log.Warn("CDN relay image not used", "task", m.t.id, "url", redactURL(url), "err", err)
			m.t.push.imageFailed(url, err)
			return
		}
		m.t.svc.log.Warn("mixed recording image not used", "task", m.t.id, "url", url, "err", err)
		m.t.svc.emit(m.t, EventDownloadImage, map[string]any{"Url": url})
	})
	if m.out.video() {
		m.images.fetch(ctx, m.layout)
	}
	m.imgCtx = ctx
}

// fetchImagesLocked fetches the images of a new layout.
func (m *mixer) fetchImagesLocked() {
	if m.out.video() {
		m.images.fetch(m.imgCtx, m.layout)
	}
}

// stopImages ends the downloads under way.
func (m *mixer) stopImages() {
	m.imgStop()
	m.images.close()
}

// stillImages composes the canvas of a layout without cells when it has
// images (the compositor only runs with cells): once, in the background,
// kept while the compositor generation gen is current.
func (m *mixer) stillImages(gen int) {
	m.mu.Lock()
	p := m.p
	p.Layout = m.layout
	m.mu.Unlock()
	img := layoutImages(p, m.images.paths(p.Layout), 0)
	if img.empty() {
		return
	}
	m.images.spawn(func() {
		f, err := stillCanvas(m.imgCtx, m.t.svc.cfg.FFmpeg, p, img)
		if err != nil {
			m.t.svc.log.Warn("mixed recording canvas without cells", "task", m.t.id, "err", err)
			return
		}
		m.mu.Lock()
		if m.compGen == gen && m.canvas == nil {
			m.canvas = f
		}
		m.mu.Unlock()
	})
}

// checkLayoutImages validates the layout's image URLs and watermark
// rectangles against a canvas of w×h.
func checkLayoutImages(l MixLayout, w, h int) error {
	if l.BackgroundImage != "" {
		if err := CheckImageURL(l.BackgroundImage); err != nil {
			return err
		}
	}
	for i, win := range l.Windows {
		if win.Placeholder != "" {
			if err := CheckImageURL(win.Placeholder); err != nil {
				return fmt.Errorf("MixLayoutList[%d]: %w", i, err)
			}
		}
	}
	if l.Placeholder != "" {
		if err := CheckImageURL(l.Placeholder); err != nil {
			return err
		}
	}
	if len(l.Watermarks) > MaxWatermarks {
		return fmt.Errorf("%w: WaterMarkList has %d entries, at most %d", ErrBadLayout, len(l.Watermarks), MaxWatermarks)
	}
	for i, wm := range l.Watermarks {
		if err := CheckImageURL(wm.URL); err != nil {
			return err
		}
		if wm.Width < 2 || wm.Height < 2 || wm.Top < 0 || wm.Left < 0 || wm.Left+wm.Width > w || wm.Top+wm.Height > h {
			return fmt.Errorf("%w: WaterMarkList[%d] (Left %d, Top %d, %dx%d) must lie inside the %dx%d canvas and be at least 2x2",
				ErrBadLayout, i, wm.Left, wm.Top, wm.Width, wm.Height, w, h)
		}
	}
	return nil
}

// holderKey is a placeholder frame: an image at a cell's size and fit.
type holderKey struct {
	url  string
	w, h int
	fit  Fit
}

// placeholderFor returns the placeholder frame of a cell (its window's
// image, else the layout's default) once ffmpeg made it at the cell's size,
// or nil. The first call for a shape starts making it in the background.
func (m *mixer) placeholderFor(pc placed) []byte {
	m.mu.Lock()
	url := pc.cell.placeholder
	if url == "" {
		url = m.layout.Placeholder
	}
	bg := m.layout.Background
	m.mu.Unlock()
	if url == "" {
		return nil
	}
	path := m.images.paths(MixLayout{Placeholder: url})[url]
	if path == "" {
		return nil // not fetched (yet), or failed
	}
	key := holderKey{url: url, w: pc.cell.w, h: pc.cell.h, fit: pc.cell.fit}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holders == nil {
		m.holders = map[holderKey][]byte{}
	}
	if f, ok := m.holders[key]; ok {
		return f
	}
	m.holders[key] = nil
	m.images.spawn(func() {
		f, err := imageFrame(m.imgCtx, m.t.svc.cfg.FFmpeg, path, key.w, key.h, key.fit, bg)
		if err != nil {
			m.t.svc.log.Warn("mixed recording placeholder not made", "task", m.t.id, "url", url, "err", err)
			return
		}
		m.mu.Lock()
		m.holders[key] = f
		m.mu.Unlock()
	})
	return nil
}

// imageFrame decodes an image with ffmpeg into one yuv420p frame of w×h,
// fitted as fit says.
func imageFrame(ctx context.Context, ffmpeg, path string, w, h int, fit Fit, bg [3]byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, imageDecodeTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", path,
		"-vf", fitFilter(fit, w, h, bg)+",format=yuv420p", "-frames:v", "1",
		"-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1").Output()
	if err != nil {
		return nil, fmt.Errorf("egress: placeholder: %w", err)
	}
	if len(out) != frameSize(w, h) {
		return nil, fmt.Errorf("egress: placeholder: %d bytes for %dx%d", len(out), w, h)
	}
	return out, nil
}

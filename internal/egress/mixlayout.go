package egress

import (
	"fmt"
	"math"
	"slices"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Mixed recording (RecordMode 2) layouts: MixLayoutParams of
// trtc-reference §7.6. Layout computation is pure: sources in, cells out.

// Layout templates (MixLayoutParams.MixLayoutMode).
const (
	LayoutFloating    = 1
	LayoutScreenShare = 2
	LayoutGrid        = 3 // nine-grid, the default
	LayoutCustom      = 4
)

// Limits of the layouts (docs/recording.md).
const (
	MaxGridInputs        = 9  // nine-grid shows at most 9 streams
	MaxFloatingInputs    = 16 // floating: 1 full screen + 15 small windows
	MaxScreenShareInputs = 5  // screen share: 1 large + a column of 4
	MaxLayoutWindows     = 25 // custom: MixLayoutList entries
	MaxLayoutCoord       = 1920
)

// Fit says how a stream fills its cell.
type Fit int

const (
	FitCrop    Fit = iota // scale to cover the cell, crop the overflow
	FitStretch            // scale to the cell, ignoring the aspect ratio
	FitPad                // scale to fit inside, pad with the background colour
	FitBlack              // scale to fit inside, pad with black
)

// MixWindow is one MixLayoutList entry (custom layout), in canvas pixels.
type MixWindow struct {
	Top, Left, Width, Height int
	// UserID is the user shown; empty fills the window with the next
	// stream no other window names.
	UserID string
	// Sub selects the user's screen share (MediaId 1) instead of the
	// camera.
	Sub   bool
	Layer int // ImageLayer: higher is drawn over lower
	Fit   Fit
	// Placeholder (SubBackgroundImage, a URL) is shown while the window's
	// stream has no picture (miximagemix.go).
	Placeholder string
}

// MixLayout is a validated MixLayoutParams.
type MixLayout struct {
	Mode       int // LayoutFloating .. LayoutCustom
	Windows    []MixWindow
	Background [3]byte // RGB
	// MaxResolutionUser is shown large in the floating and screen-share
	// templates (its camera, or its screen share with MaxResolutionSub).
	MaxResolutionUser trtc.UserID
	MaxResolutionSub  bool
	Fit               Fit // of the template cells (1..3)
	// BackgroundImage (a URL) covers the canvas under the cells, fitted
	// as BackgroundFit says; Watermarks are drawn over everything
	// (miximage.go).
	BackgroundImage string
	BackgroundFit   Fit
	Watermarks      []MixWatermark
	// Placeholder (DefaultSubBackgroundImage, a URL) is shown in a cell
	// whose stream has no picture, unless its window has its own.
	Placeholder string
}

// DefaultMixLayout is nine-grid on black, cropping.
func DefaultMixLayout() MixLayout { return MixLayout{Mode: LayoutGrid, Fit: FitCrop} }

// mixSource is one video stream offered to the layout, in arrival order.
type mixSource struct {
	user trtc.UserID
	sub  bool
}

// mixCell places source src on the canvas.
type mixCell struct {
	src         int
	x, y, w, h  int
	fit         Fit
	placeholder string // the window's own placeholder image URL
}

// even rounds a size down to an even number (4:2:0 chroma needs even sizes
// and offsets), at least 2.
func even(v int) int { return max(v&^1, 2) }

// evenPos rounds an offset down to an even number.
func evenPos(v int) int { return max(v&^1, 0) }

// CheckLayout validates l against a canvas of w×h.
func CheckLayout(l MixLayout, w, h int) error {
	if l.Mode < LayoutFloating || l.Mode > LayoutCustom {
		return fmt.Errorf("%w: MixLayoutMode must be 1 to 4, not %d", ErrBadLayout, l.Mode)
	}
	if len(l.Windows) > MaxLayoutWindows {
		return fmt.Errorf("%w: MixLayoutList has %d windows, at most %d", ErrBadLayout, len(l.Windows), MaxLayoutWindows)
	}
	if l.Mode == LayoutCustom && len(l.Windows) == 0 {
		return fmt.Errorf("%w: MixLayoutMode 4 (custom) needs a MixLayoutList", ErrBadLayout)
	}
	if err := checkLayoutImages(l, w, h); err != nil {
		return err
	}
	for i, win := range l.Windows {
		if win.Width < 2 || win.Height < 2 || win.Top < 0 || win.Left < 0 ||
			win.Left+win.Width > w || win.Top+win.Height > h {
			return fmt.Errorf("%w: MixLayoutList[%d] (Left %d, Top %d, %dx%d) must lie inside the %dx%d canvas and be at least 2x2",
				ErrBadLayout, i, win.Left, win.Top, win.Width, win.Height, w, h)
		}
	}
	return nil
}

// layoutCells places srcs on a w×h canvas as l says, in drawing order
// (later cells are drawn over earlier ones). Sources beyond what the
// template shows get no cell.
func layoutCells(l MixLayout, w, h int, srcs []mixSource) []mixCell {
	if len(srcs) == 0 && l.Mode != LayoutCustom {
		return nil
	}
	switch l.Mode {
	case LayoutFloating:
		return floatingCells(l, w, h, srcs)
	case LayoutScreenShare:
		return screenShareCells(l, w, h, srcs)
	case LayoutCustom:
		return customCells(l, srcs)
	}
	return gridCells(l, w, h, srcs)
}

// bigFirst returns the source order with the large one first: the
// MaxResolutionUser's stream, else (preferSub) the first screen share,
// else the first source.
func bigFirst(l MixLayout, srcs []mixSource, preferSub bool) []int {
	big := -1
	if l.MaxResolutionUser != "" {
		big = slices.IndexFunc(srcs, func(s mixSource) bool {
			return s.user == l.MaxResolutionUser && s.sub == l.MaxResolutionSub
		})
	}
	if big < 0 && preferSub {
		big = slices.IndexFunc(srcs, func(s mixSource) bool { return s.sub })
	}
	big = max(big, 0)
	order := []int{big}
	for i := range srcs {
		if i != big {
			order = append(order, i)
		}
	}
	return order
}

// gridCells: 1 stream full canvas, 2 side by side, 3–4 in 2×2, 5–9 in 3×3;
// a last row that is not full is centred.
func gridCells(l MixLayout, w, h int, srcs []mixSource) []mixCell {
	order := bigFirst(l, srcs, false)
	if l.MaxResolutionUser == "" {
		order = order[:0]
		for i := range srcs {
			order = append(order, i)
		}
	}
	n := min(len(order), MaxGridInputs)
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	cw, ch := even(w/cols), even(h/rows)
	var cells []mixCell
	for i := range n {
		r, c := i/cols, i%cols
		x := c * cw
		if last := n - r*cols; r == rows-1 && last < cols {
			x += evenPos((cols - last) * cw / 2)
		}
		cells = append(cells, mixCell{src: order[i], x: x, y: r * ch, w: cw, h: ch, fit: l.Fit})
	}
	return cells
}

// floatingCells: the first (or MaxResolutionUser's) stream fills the
// canvas; the others float over it in small windows, in columns of 4
// from the bottom right corner.
func floatingCells(l MixLayout, w, h int, srcs []mixSource) []mixCell {
	order := bigFirst(l, srcs, false)
	cells := []mixCell{{src: order[0], w: even(w), h: even(h), fit: l.Fit}}
	m := even(w / 40)
	sw, sh := even((w-5*m)/4), even((h-5*m)/4)
	for i, src := range order[1:min(len(order), MaxFloatingInputs)] {
		col, row := i/4, i%4
		cells = append(cells, mixCell{src: src, x: evenPos(w - (col+1)*(sw+m)), y: evenPos(h - (row+1)*(sh+m)), w: sw, h: sh, fit: l.Fit})
	}
	return cells
}

// screenShareCells: the screen share (or MaxResolutionUser's stream, or
// the first) fills the left three quarters; up to 4 others stack in the
// right-hand column.
func screenShareCells(l MixLayout, w, h int, srcs []mixSource) []mixCell {
	order := bigFirst(l, srcs, true)
	if len(order) == 1 {
		return []mixCell{{src: order[0], w: even(w), h: even(h), fit: l.Fit}}
	}
	bw := even(w * 3 / 4)
	sw, sh := even(w-bw), even(h/4)
	cells := []mixCell{{src: order[0], w: bw, h: even(h), fit: l.Fit}}
	for i, src := range order[1:min(len(order), MaxScreenShareInputs)] {
		cells = append(cells, mixCell{src: src, x: bw, y: i * sh, w: sw, h: sh, fit: l.Fit})
	}
	return cells
}

// customCells binds the MixLayoutList windows to sources: a window naming
// a user shows that user's stream; windows without a user take the
// streams no window names, in arrival order. Windows are drawn by Layer.
func customCells(l MixLayout, srcs []mixSource) []mixCell {
	used := make([]bool, len(srcs))
	bound := make([]int, len(l.Windows))
	for i, win := range l.Windows {
		bound[i] = -1
		if win.UserID == "" {
			continue
		}
		for j, s := range srcs {
			if string(s.user) == win.UserID && s.sub == win.Sub && !used[j] {
				bound[i], used[j] = j, true
				break
			}
		}
	}
	// Named users never fill anonymous windows.
	named := map[trtc.UserID]bool{}
	for _, win := range l.Windows {
		if win.UserID != "" {
			named[trtc.UserID(win.UserID)] = true
		}
	}
	next := 0
	for i, win := range l.Windows {
		if win.UserID != "" {
			continue
		}
		for next < len(srcs) && (used[next] || named[srcs[next].user]) {
			next++
		}
		if next < len(srcs) {
			bound[i], used[next] = next, true
		}
	}
	idx := make([]int, 0, len(l.Windows))
	for i := range l.Windows {
		if bound[i] >= 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return l.Windows[a].Layer - l.Windows[b].Layer })
	cells := make([]mixCell, 0, len(idx))
	for _, i := range idx {
		win := l.Windows[i]
		cells = append(cells, mixCell{src: bound[i], x: evenPos(win.Left), y: evenPos(win.Top),
			w: even(win.Width), h: even(win.Height), fit: win.Fit, placeholder: win.Placeholder})
	}
	return cells
}

package egress

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

func srcs(users ...string) []mixSource {
	var out []mixSource
	for _, u := range users {
		sub := false
		if len(u) > 4 && u[len(u)-4:] == "/sub" {
			u, sub = u[:len(u)-4], true
		}
		out = append(out, mixSource{user: trtc.UserID(u), sub: sub})
	}
	return out
}

// cellsString renders cells as "user x,y wxh" for table tests.
func cellsString(cells []mixCell, s []mixSource) string {
	out := ""
	for _, c := range cells {
		u := string(s[c.src].user)
		if s[c.src].sub {
			u += "/sub"
		}
		out += fmt.Sprintf("[%s %d,%d %dx%d]", u, c.x, c.y, c.w, c.h)
	}
	return out
}

func TestLayoutCells(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layout MixLayout
		srcs   []mixSource
		want   string
	}{
		{"grid of one", MixLayout{Mode: LayoutGrid}, srcs("a"), "[a 0,0 320x240]"},
		{"grid of two side by side", MixLayout{Mode: LayoutGrid}, srcs("a", "b"), "[a 0,0 160x240][b 160,0 160x240]"},
		{"grid of three, last row centred", MixLayout{Mode: LayoutGrid}, srcs("a", "b", "c"),
			"[a 0,0 160x120][b 160,0 160x120][c 80,120 160x120]"},
		{"grid of ten shows nine", MixLayout{Mode: LayoutGrid}, srcs("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"),
			"[a 0,0 106x80][b 106,0 106x80][c 212,0 106x80][d 0,80 106x80][e 106,80 106x80][f 212,80 106x80][g 0,160 106x80][h 106,160 106x80][i 212,160 106x80]"},
		{"grid with MaxResolutionUser first", MixLayout{Mode: LayoutGrid, MaxResolutionUser: "b"}, srcs("a", "b"),
			"[b 0,0 160x240][a 160,0 160x240]"},
		{"floating", MixLayout{Mode: LayoutFloating}, srcs("a", "b", "c"),
			"[a 0,0 320x240][b 242,182 70x50][c 242,124 70x50]"},
		{"floating, MaxResolutionUser large", MixLayout{Mode: LayoutFloating, MaxResolutionUser: "c"}, srcs("a", "b", "c"),
			"[c 0,0 320x240][a 242,182 70x50][b 242,124 70x50]"},
		{"screen share large", MixLayout{Mode: LayoutScreenShare}, srcs("a", "b", "b/sub"),
			"[b/sub 0,0 240x240][a 240,0 80x60][b 240,60 80x60]"},
		{"screen share without a share", MixLayout{Mode: LayoutScreenShare}, srcs("a", "b"),
			"[a 0,0 240x240][b 240,0 80x60]"},
		{"custom by user and layer", MixLayout{Mode: LayoutCustom, Windows: []MixWindow{
			{Left: 10, Top: 10, Width: 100, Height: 80, UserID: "a", Layer: 2},
			{Width: 320, Height: 240, UserID: "b", Layer: 1},
		}}, srcs("a", "b"), "[b 0,0 320x240][a 10,10 100x80]"},
		{"custom fills anonymous windows with the others", MixLayout{Mode: LayoutCustom, Windows: []MixWindow{
			{Width: 160, Height: 240},
			{Left: 160, Width: 160, Height: 240, UserID: "a"},
			{Left: 0, Top: 0, Width: 20, Height: 20},
		}}, srcs("a", "b"), "[b 0,0 160x240][a 160,0 160x240]"},
		{"custom screen share window", MixLayout{Mode: LayoutCustom, Windows: []MixWindow{
			{Width: 320, Height: 240, UserID: "a", Sub: true},
		}}, srcs("a", "a/sub"), "[a/sub 0,0 320x240]"},
		{"custom of an absent user", MixLayout{Mode: LayoutCustom, Windows: []MixWindow{
			{Width: 320, Height: 240, UserID: "z"},
		}}, srcs("a"), ""},
		{"nobody", MixLayout{Mode: LayoutFloating}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cellsString(layoutCells(tc.layout, 320, 240, tc.srcs), tc.srcs); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCheckLayout(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    MixLayout
		ok   bool
	}{
		{"grid", DefaultMixLayout(), true},
		{"mode 0", MixLayout{}, false},
		{"mode 5", MixLayout{Mode: 5}, false},
		{"custom without windows", MixLayout{Mode: LayoutCustom}, false},
		{"window fits", MixLayout{Mode: LayoutCustom, Windows: []MixWindow{{Left: 220, Top: 140, Width: 100, Height: 100}}}, true},
		{"window too wide", MixLayout{Mode: LayoutCustom, Windows: []MixWindow{{Left: 221, Width: 100, Height: 100}}}, false},
		{"window too small", MixLayout{Mode: LayoutCustom, Windows: []MixWindow{{Width: 1, Height: 100}}}, false},
		{"26 windows", MixLayout{Mode: LayoutCustom, Windows: make([]MixWindow, 26)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLayout(tc.l, 320, 240)
			if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrBadLayout) {
				t.Fatalf("CheckLayout: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// FuzzLayoutCells: any valid layout puts every shown stream once, inside
// the canvas, with even sizes and offsets.
func FuzzLayoutCells(f *testing.F) {
	f.Add(uint8(3), uint8(4), uint16(320), uint16(240), int16(10), int16(10), uint16(100), uint16(80), "b")
	f.Add(uint8(1), uint8(16), uint16(1920), uint16(1080), int16(0), int16(0), uint16(2), uint16(2), "")
	f.Fuzz(func(t *testing.T, mode, n uint8, w, h uint16, left, top int16, ww, wh uint16, user string) {
		cw, ch := int(w%1920+16)&^1, int(h%1920+16)&^1
		l := MixLayout{Mode: int(mode%4) + 1, MaxResolutionUser: trtc.UserID(user)}
		l.Windows = []MixWindow{{Left: int(left), Top: int(top), Width: int(ww), Height: int(wh), UserID: user},
			{Width: cw, Height: ch}}
		if CheckLayout(l, cw, ch) != nil {
			return
		}
		var s []mixSource
		for i := range int(n % 30) {
			s = append(s, mixSource{user: trtc.UserID(fmt.Sprint("u", i%5)), sub: i%7 == 3})
		}
		seen := map[int]bool{}
		for _, c := range layoutCells(l, cw, ch, s) {
			if c.src < 0 || c.src >= len(s) || seen[c.src] {
				t.Fatalf("cell %+v of %d sources (seen %v)", c, len(s), seen)
			}
			seen[c.src] = true
			if c.x < 0 || c.y < 0 || c.w < 2 || c.h < 2 || c.x+c.w > cw || c.y+c.h > ch || c.x%2+c.y%2+c.w%2+c.h%2 != 0 {
				t.Fatalf("cell %+v on %dx%d", c, cw, ch)
			}
		}
	})
}

func TestMixFilesRecovered(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"mix_1700000000000_hls.m3u8", "mix_1700000000000_hls_00000.ts", "mix_1700000000000_000.mp4",
		"mix_1700000000000_001.aac", "mix_x_000.mp4", "task.json", "alice_main_audio_1700000000001_000.ogg"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, f := range filesIn(dir) {
		got = append(got, fmt.Sprintf("%s %s %s %q", f.FileName, f.TrackType, f.MediaID, f.UserID))
	}
	want := `[mix_1700000000000_000.mp4 audio_video mix "" mix_1700000000000_001.aac audio mix "" mix_1700000000000_hls.m3u8 audio_video mix "" alice_main_audio_1700000000001_000.ogg audio main "alice"]`
	if fmt.Sprint(got) != want {
		t.Fatalf("got  %v\nwant %s", got, want)
	}
}

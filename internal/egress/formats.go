package egress

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// OutputFormat values of RecordParams.OutputFormat (trtc-reference §7.6).
const (
	FormatHLS    = 0
	FormatHLSMP4 = 1
	FormatHLSAAC = 2
	FormatMP4    = 3
	FormatAAC    = 4
)

// Output says what a single-stream track is recorded as.
type Output int

const (
	// OutputFiles (the zero value): split files, WebM/MP4/Ogg by codec.
	OutputFiles Output = iota
	// OutputHLS: an HLS playlist and its segments where the codec allows
	// (H.264, Opus), split files otherwise (VP8).
	OutputHLS
	// OutputHLSFiles: both.
	OutputHLSFiles
	// OutputHLSAAC (hls+aac): every track as HLS where the codec allows
	// (VP8 as WebM), and audio also as split AAC files transcoded from
	// Opus.
	OutputHLSAAC
	// OutputAAC (aac): audio only, as split AAC files transcoded from
	// Opus; video tracks are not recorded.
	OutputAAC
)

// OutputOf maps RecordParams.OutputFormat to an Output: hls → OutputHLS,
// hls+mp4 → OutputHLSFiles, hls+aac → OutputHLSAAC, aac → OutputAAC, mp4
// and anything else → OutputFiles.
func OutputOf(format int) Output {
	switch format {
	case FormatHLS:
		return OutputHLS
	case FormatHLSMP4:
		return OutputHLSFiles
	case FormatHLSAAC:
		return OutputHLSAAC
	case FormatAAC:
		return OutputAAC
	}
	return OutputFiles
}

// aac reports whether audio files are AAC (transcoded) rather than Ogg.
func (o Output) aac() bool { return o == OutputHLSAAC || o == OutputAAC }

// recordAACBitRate is the bit rate of AAC files transcoded from Opus
// (48 kHz stereo AAC-LC, ffmpeg's native encoder).
const recordAACBitRate = 96000

// aacSegmentArgs are ffmpeg's output arguments for split AAC (ADTS) files
// transcoded from the Opus input, named by pattern (with %03d).
func aacSegmentArgs(segment time.Duration, pattern string) []string {
	return []string{
		"-map", "0:a", "-c:a", "aac", "-b:a", fmt.Sprint(recordAACBitRate), "-ar", "48000", "-ac", "2",
		"-f", "segment", "-segment_format", "adts",
		"-segment_time", fmt.Sprintf("%.3f", segment.Seconds()),
		"-reset_timestamps", "1", "-y", pattern,
	}
}

// hlsSegmentShift names HLS files: the playlist <base>_hls.m3u8, segments
// <base>_hls_NNNNN.<ts|m4s>, the init segment <base>_hls_init.mp4.
const hlsSegmentShift = "_hls"

// recordHLSSegment is the target length of recorded HLS segments; a segment is
// cut at the first keyframe after it.
const recordHLSSegment = 4 * time.Second

// segmentArgs are ffmpeg's output arguments for split files of format out
// (webm, mp4 or ogg) named by pattern (with %03d).
func segmentArgs(out string, segment time.Duration, pattern string) []string {
	args := []string{
		"-map", "0", "-c", "copy",
		"-f", "segment", "-segment_format", out,
		"-segment_time", fmt.Sprintf("%.3f", segment.Seconds()),
		"-reset_timestamps", "1",
	}
	if out == "mp4" {
		// Fragmented MP4: everything written so far stays playable if the
		// server dies before the file is closed.
		args = append(args, "-segment_format_options", "movflags=+frag_keyframe+empty_moov+default_base_moof")
	}
	return append(args, "-y", pattern)
}

// hlsArgs are ffmpeg's output arguments for a recorded HLS playlist at
// base+"_hls.m3u8": MPEG-TS segments for H.264, fragmented-MP4 segments for
// Opus (MPEG-TS players rarely play Opus). The playlist is an EVENT
// playlist that lists every segment and ends with EXT-X-ENDLIST.
func hlsArgs(base string, fmp4 bool, segment time.Duration) []string {
	args := []string{
		"-map", "0", "-c", "copy", "-f", "hls",
		"-hls_time", fmt.Sprintf("%.3f", segment.Seconds()),
		"-hls_list_size", "0", "-hls_playlist_type", "event",
	}
	ext := "ts"
	if fmp4 {
		ext = "m4s"
		args = append(args, "-hls_segment_type", "fmp4",
			"-hls_fmp4_init_filename", filepath.Base(base)+hlsSegmentShift+"_init.mp4")
	}
	return append(args, "-hls_segment_filename", base+hlsSegmentShift+"_%05d."+ext, "-y", base+hlsSegmentShift+".m3u8")
}

// outputPlan says which files one recorded track makes: HLS, split files
// (WebM/MP4/Ogg), or both. HLS needs a codec the HLS containers carry
// without transcoding: H.264 (MPEG-TS) and Opus (fragmented MP4); VP8 has no
// HLS container (ffmpeg's MP4 muxer refuses it), so a VP8 track is recorded
// as WebM whatever the output.
func outputPlan(o Output, codec string) (hls, files bool) {
	canHLS := codec == "h264" || codec == "opus"
	switch o {
	case OutputHLS:
		return canHLS, !canHLS
	case OutputHLSFiles:
		return canHLS, true
	case OutputHLSAAC:
		return canHLS, !canHLS || codec == "opus"
	case OutputAAC:
		return false, codec == "opus"
	}
	return false, true
}

// isHLSPart reports whether an output path is an HLS segment, init segment
// or playlist rather than a recorded file.
func isHLSPart(path string) bool {
	name := filepath.Base(path)
	return strings.Contains(name, hlsSegmentShift+"_") || strings.HasSuffix(name, ".m3u8.tmp") || strings.HasSuffix(name, ".m3u8")
}

// completion turns ffmpeg's "Opening … for writing" lines into "file
// complete" calls: a muxer opens its next file only after closing the
// previous one, so a split file or HLS segment is complete when the next of
// its kind opens, and every open file when ffmpeg exits. A playlist is
// rewritten after each segment (to a .tmp file, then renamed): it is
// reported at the next line, and at exit, so its last version is reported
// last.
type completion struct {
	done     func(path string)
	file     string // the open split file
	segment  string // the open HLS segment
	playlist string // a playlist written since the last report
	last     string // the final playlist, reported at exit
}

func (c *completion) opened(path string) {
	if c.done == nil {
		return
	}
	if p, ok := strings.CutSuffix(path, ".tmp"); ok && strings.HasSuffix(p, ".m3u8") {
		c.playlist, c.last = p, p
		return
	}
	if c.playlist != "" {
		c.done(c.playlist)
		c.playlist = ""
	}
	open := &c.file
	if isHLSPart(path) {
		open = &c.segment
	}
	if *open != "" {
		c.done(*open)
	}
	*open = path
}

func (c *completion) exited() {
	if c.done == nil {
		return
	}
	for _, p := range []string{c.file, c.segment, c.last} {
		if p != "" {
			c.done(p)
		}
	}
}

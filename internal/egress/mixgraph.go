package egress

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MixParams is a validated MixTranscodeParams (trtc-reference §7.6) with
// the layout and the RecordParams that shape a mixed recording.
type MixParams struct {
	Width, Height int // canvas, even
	Fps           int
	VideoBitRate  int // bit/s
	Gop           int // s between keyframes
	SampleRate    int // Hz of the output audio
	Channels      int
	AudioBitRate  int // bit/s
	Layout        MixLayout
	// Streams is RecordParams.MediaId: 0 camera and screen share, 1
	// camera only, 2 screen share only.
	Streams int
	// FillBlack is RecordParams.FillType 1: a muted video shows black
	// instead of its last frame.
	FillBlack bool
	// PassThrough: a relay of one user (WithTranscoding 0), whose H.264
	// is copied rather than re-encoded (cdncopy.go).
	PassThrough bool
}

// mixRate is the sample rate and channel count of the PCM exchanged
// between the decoders, the audio mixer and the encoder.
const (
	mixRate     = 48000
	mixChannels = 2
	mixFrameLen = mixChannels * 2 // bytes per s16le sample frame
)

// frameSize is the byte size of a yuv420p frame.
func frameSize(w, h int) int { return w*h + 2*(w/2)*(h/2) }

// yuvColor converts RGB to BT.601 limited-range YCbCr, the matrix ffmpeg's
// colour sources use for yuv420p.
func yuvColor(c [3]byte) (y, u, v byte) {
	r, g, b := float64(c[0]), float64(c[1]), float64(c[2])
	clip := func(x float64) byte { return byte(min(max(x+0.5, 0), 255)) }
	return clip(16 + 0.257*r + 0.504*g + 0.098*b), clip(128 - 0.148*r - 0.291*g + 0.439*b), clip(128 + 0.439*r - 0.368*g - 0.071*b)
}

// solidFrame is a w×h yuv420p frame of one colour.
func solidFrame(w, h int, c [3]byte) []byte {
	y, u, v := yuvColor(c)
	f := make([]byte, frameSize(w, h))
	luma := w * h
	chroma := (w / 2) * (h / 2)
	for i := range f {
		switch {
		case i < luma:
			f[i] = y
		case i < luma+chroma:
			f[i] = u
		default:
			f[i] = v
		}
	}
	return f
}

func hexColor(c [3]byte) string { return fmt.Sprintf("0x%02X%02X%02X", c[0], c[1], c[2]) }

// fitFilter is the filter chain that brings a decoded stream to a w×h cell.
func fitFilter(f Fit, w, h int, bg [3]byte) string {
	switch f {
	case FitStretch:
		return fmt.Sprintf("scale=%d:%d", w, h)
	case FitPad, FitBlack:
		if f == FitBlack {
			bg = [3]byte{}
		}
		return fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=%s",
			w, h, w, h, hexColor(bg))
	}
	return fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=increase:force_divisible_by=2,crop=%d:%d", w, h, w, h)
}

// Every mixing ffmpeg starts with these: quiet, no keyboard, no stats.
var ffBase = []string{"-hide_banner", "-loglevel", "warning", "-nostats"}

// lowDelayIn makes ffmpeg start decoding a live pipe at once instead of
// probing seconds of it.
var lowDelayIn = []string{"-probesize", "32", "-analyzeduration", "0", "-flags", "low_delay"}

// rawOut writes raw frames to stdout as soon as each is ready.
var rawOut = []string{"-fps_mode", "passthrough", "-flush_packets", "1"}

// videoDecoderArgs decodes an IVF stream on stdin into yuv420p frames of
// the cell on stdout.
func videoDecoderArgs(c mixCell, bg [3]byte) []string {
	args := append(append([]string{}, ffBase...), lowDelayIn...)
	args = append(args, "-threads", "1", "-f", "ivf", "-i", "pipe:0",
		"-vf", fitFilter(c.fit, c.w, c.h, bg)+",format=yuv420p", "-an")
	args = append(args, rawOut...)
	return append(args, "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1")
}

// audioDecoderArgs decodes an Ogg Opus stream on stdin into 48 kHz stereo
// s16le on stdout.
func audioDecoderArgs() []string {
	args := append(append([]string{}, ffBase...), lowDelayIn...)
	args = append(args, "-f", "ogg", "-i", "pipe:0", "-vn")
	args = append(args, rawOut...)
	return append(args, "-f", "s16le", "-ar", strconv.Itoa(mixRate), "-ac", strconv.Itoa(mixChannels), "pipe:1")
}

// rawVideoIn declares a raw yuv420p input on file descriptor fd.
func rawVideoIn(w, h, fps, fd int) []string {
	return []string{"-thread_queue_size", "64", "-probesize", "32", "-analyzeduration", "0", "-f", "rawvideo", "-pix_fmt", "yuv420p",
		"-video_size", fmt.Sprintf("%dx%d", w, h), "-framerate", strconv.Itoa(fps), "-i", fmt.Sprintf("pipe:%d", fd)}
}

// rawAudioIn declares a raw PCM input on file descriptor fd.
func rawAudioIn(fd int) []string {
	return []string{"-thread_queue_size", "64", "-probesize", "32", "-analyzeduration", "0", "-f", "s16le", "-ar", strconv.Itoa(mixRate),
		"-ac", strconv.Itoa(mixChannels), "-i", fmt.Sprintf("pipe:%d", fd)}
}

// fdOf is the file descriptor of a mixing ffmpeg's input i: stdin, then
// 3, 4, … (mixProc.input).
func fdOf(i int) int {
	if i == 0 {
		return 0
	}
	return i + 2
}

// compositorArgs overlays the cells, fed as raw frames on inputs 0, 1, …, on
// a canvas of the background colour, and writes the canvas to stdout
// (compositorImageArgs, miximage.go, adds the layout's images).
func compositorArgs(p MixParams, cells []mixCell) []string {
	return compositorImageArgs(p, cells, imageOverlays{})
}

// audioMixerArgs mixes n PCM inputs 0, 1, … (amix, no
// normalisation: each voice keeps its level) into PCM on stdout.
func audioMixerArgs(n int) []string {
	args := append([]string{}, ffBase...)
	var g strings.Builder
	for i := range n {
		args = append(args, rawAudioIn(fdOf(i))...)
		fmt.Fprintf(&g, "[%d:a]", i)
	}
	fmt.Fprintf(&g, "amix=inputs=%d:duration=longest:dropout_transition=0:normalize=0[a]", n)
	args = append(args, "-filter_complex", g.String(), "-map", "[a]")
	args = append(args, rawOut...)
	return append(args, "-f", "s16le", "-ar", strconv.Itoa(mixRate), "-ac", strconv.Itoa(mixChannels), "pipe:1")
}

// mixOutputs says which files a mixed recording writes.
type mixOutputs struct {
	hls, mp4, aac bool
	// stream: a CDN relay's MPEG-TS on stdout (cdn.go), with video when
	// streamVideo.
	stream, streamVideo bool
}

func outputsOf(format int) mixOutputs {
	switch format {
	case FormatHLSMP4:
		return mixOutputs{hls: true, mp4: true}
	case FormatHLSAAC:
		return mixOutputs{hls: true, aac: true}
	case FormatMP4:
		return mixOutputs{mp4: true}
	case FormatAAC:
		return mixOutputs{aac: true}
	}
	return mixOutputs{hls: true}
}

// video reports whether the outputs carry video (all but AAC only).
func (o mixOutputs) video() bool { return o.hls || o.mp4 || o.streamVideo }

// encoderArgs encodes the canvas (raw frames on stdin, unless the outputs
// are audio only) and the mixed PCM (fd 3, or stdin when audio only) into
// H.264 and AAC, written through ffmpeg's tee muxer to every output at
// once: one encode, several files. ffmpeg runs in the task's directory and
// base is a plain file name prefix ("mix_<beginMs>"), so no path needs the
// tee muxer's escaping.
func encoderArgs(p MixParams, o mixOutputs, base string, split time.Duration) []string {
	args := append([]string{}, "-hide_banner", "-loglevel", "info", "-nostats")
	audioFD := 0
	if o.video() {
		args = append(args, rawVideoIn(p.Width, p.Height, p.Fps, 0)...)
		audioFD = fdOf(1)
	}
	args = append(args, rawAudioIn(audioFD)...)
	if o.video() {
		args = append(args, "-map", "0:v", "-map", "1:a",
			"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
			"-b:v", strconv.Itoa(p.VideoBitRate), "-maxrate", strconv.Itoa(p.VideoBitRate),
			"-bufsize", strconv.Itoa(2*p.VideoBitRate),
			"-g", strconv.Itoa(p.Fps*p.Gop), "-keyint_min", strconv.Itoa(p.Fps*p.Gop), "-sc_threshold", "0")
	} else {
		args = append(args, "-map", "0:a")
	}
	args = append(args, "-c:a", "aac", "-b:a", strconv.Itoa(p.AudioBitRate),
		"-ar", strconv.Itoa(p.SampleRate), "-ac", strconv.Itoa(p.Channels),
		"-flags", "+global_header", "-fflags", "+flush_packets")
	segTime := fmt.Sprintf("%.3f", split.Seconds())
	var slaves []string
	if o.hls {
		slaves = append(slaves, fmt.Sprintf("[f=hls:hls_time=%d:hls_list_size=0:hls_playlist_type=event:hls_segment_filename=%s]%s",
			int(recordHLSSegment/time.Second), base+hlsSegmentShift+"_%05d.ts", base+hlsSegmentShift+".m3u8"))
	}
	if o.mp4 {
		slaves = append(slaves, fmt.Sprintf("[f=segment:segment_time=%s:segment_format=mp4:reset_timestamps=1:segment_format_options=%s]%s",
			segTime, "movflags=+frag_keyframe+empty_moov+default_base_moof", base+"_%03d.mp4"))
	}
	if o.aac {
		slaves = append(slaves, fmt.Sprintf("[f=segment:select=a:segment_time=%s:segment_format=adts]%s",
			segTime, base+"_%03d.aac"))
	}
	return append(args, "-f", "tee", "-y", strings.Join(slaves, "|"))
}

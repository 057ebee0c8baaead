//go:build cgo && rtccodecs

package rtc

// Raw-format codecs through cgo: VP8 with libvpx and Opus with libopus. Build
// with -tags rtccodecs on a machine with libvpx-dev and libopus-dev
// (scripts/deps.sh installs them). Go memory is passed to C only for the
// duration of a call; every codec context lives in C memory and is freed by
// close.

/*
#cgo pkg-config: vpx opus
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <opus.h>

typedef struct {
	vpx_codec_ctx_t ctx;
	int w, h;
} rtc_vpx_enc;

static rtc_vpx_enc *rtc_vpx_enc_new(int w, int h, int kbps, int threads) {
	vpx_codec_enc_cfg_t cfg;
	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) return NULL;
	cfg.g_w = w;
	cfg.g_h = h;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = 1000; // pts in ms
	cfg.g_threads = threads;
	cfg.g_lag_in_frames = 0;
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_target_bitrate = kbps;
	cfg.rc_min_quantizer = 2;
	cfg.rc_max_quantizer = 56;
	cfg.rc_undershoot_pct = 100;
	cfg.rc_overshoot_pct = 15;
	cfg.rc_buf_initial_sz = 500;
	cfg.rc_buf_optimal_sz = 600;
	cfg.rc_buf_sz = 1000;
	cfg.rc_dropframe_thresh = 0;
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_max_dist = 3000; // keyframes come from PLIs
	rtc_vpx_enc *e = calloc(1, sizeof *e);
	if (!e) return NULL;
	if (vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) {
		free(e);
		return NULL;
	}
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, -6);
	vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	e->w = w;
	e->h = h;
	return e;
}

// rtc_vpx_encode encodes one tightly packed I420 frame and writes the
// compressed frame to out (twice the raw size: always enough). It returns
// its length, 0 if the encoder dropped the frame, -1 on error.
static int rtc_vpx_encode(rtc_vpx_enc *e, unsigned char *i420, long long pts, long dur, int force_key,
		unsigned char *out, int cap, int *key) {
	vpx_image_t img;
	int w = e->w, h = e->h, cw = (w + 1) / 2, ch = (h + 1) / 2;
	if (!vpx_img_wrap(&img, VPX_IMG_FMT_I420, w, h, 1, i420)) return -1;
	img.planes[VPX_PLANE_Y] = i420;
	img.planes[VPX_PLANE_U] = i420 + w * h;
	img.planes[VPX_PLANE_V] = i420 + w * h + cw * ch;
	img.stride[VPX_PLANE_Y] = w;
	img.stride[VPX_PLANE_U] = cw;
	img.stride[VPX_PLANE_V] = cw;
	if (vpx_codec_encode(&e->ctx, &img, pts, dur, force_key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME) != VPX_CODEC_OK) return -1;
	vpx_codec_iter_t iter = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	int n = 0;
	*key = 0;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &iter)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		if ((int)pkt->data.frame.sz > cap - n) return -1;
		memcpy(out + n, pkt->data.frame.buf, pkt->data.frame.sz);
		n += (int)pkt->data.frame.sz;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) *key = 1;
	}
	return n;
}

static void rtc_vpx_enc_free(rtc_vpx_enc *e) {
	vpx_codec_destroy(&e->ctx);
	free(e);
}

typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_image_t *img; // the last decoded frame, valid until the next decode
} rtc_vpx_dec;

static rtc_vpx_dec *rtc_vpx_dec_new(void) {
	rtc_vpx_dec *d = calloc(1, sizeof *d);
	if (!d) return NULL;
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = 1;
	if (vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0) != VPX_CODEC_OK) {
		free(d);
		return NULL;
	}
	return d;
}

// rtc_vpx_decode decodes one frame; on success *w and *h are the size of
// the picture to copy out with rtc_vpx_copy (0 when there is none).
static int rtc_vpx_decode(rtc_vpx_dec *d, unsigned char *data, int n, int *w, int *h) {
	d->img = NULL;
	*w = *h = 0;
	if (vpx_codec_decode(&d->ctx, data, n, NULL, 0) != VPX_CODEC_OK) return -1;
	vpx_codec_iter_t iter = NULL;
	vpx_image_t *img = vpx_codec_get_frame(&d->ctx, &iter);
	if (!img) return 0;
	if (img->fmt != VPX_IMG_FMT_I420) return -1;
	d->img = img;
	*w = img->d_w;
	*h = img->d_h;
	return 0;
}

// rtc_vpx_copy packs the last decoded picture into out (w*h + 2*cw*ch).
static void rtc_vpx_copy(rtc_vpx_dec *d, unsigned char *out) {
	vpx_image_t *img = d->img;
	int w = img->d_w, h = img->d_h, cw = (w + 1) / 2, ch = (h + 1) / 2;
	for (int y = 0; y < h; y++) memcpy(out + y * w, img->planes[VPX_PLANE_Y] + y * img->stride[VPX_PLANE_Y], w);
	out += w * h;
	for (int y = 0; y < ch; y++) memcpy(out + y * cw, img->planes[VPX_PLANE_U] + y * img->stride[VPX_PLANE_U], cw);
	out += cw * ch;
	for (int y = 0; y < ch; y++) memcpy(out + y * cw, img->planes[VPX_PLANE_V] + y * img->stride[VPX_PLANE_V], cw);
}

static void rtc_vpx_dec_free(rtc_vpx_dec *d) {
	vpx_codec_destroy(&d->ctx);
	free(d);
}

// The opus_*_ctl calls are variadic macros, which cgo cannot call.
static OpusEncoder *rtc_opus_enc_new(int rate, int channels, int bps, int *err) {
	OpusEncoder *e = opus_encoder_create(rate, channels, OPUS_APPLICATION_VOIP, err);
	if (!e) return NULL;
	opus_encoder_ctl(e, OPUS_SET_BITRATE(bps));
	opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(5));
	return e;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

func init() {
	rawCodecs = &codecFactory{
		newVideoEncoder: newVPXEncoder,
		newVideoDecoder: newVPXDecoder,
		newAudioEncoder: newOpusEncoder,
		newAudioDecoder: newOpusDecoder,
	}
}

type vpxEncoder struct {
	e    *C.rtc_vpx_enc
	w, h int
	out  []byte
}

func newVPXEncoder(w, h, kbps int) (videoEncoder, error) {
	threads := 1
	if w*h >= 1280*720 && runtime.NumCPU() > 2 {
		threads = 2
	}
	e := C.rtc_vpx_enc_new(C.int(w), C.int(h), C.int(kbps), C.int(threads))
	if e == nil {
		return nil, fmt.Errorf("rtc: libvpx: cannot create a %dx%d VP8 encoder", w, h)
	}
	return &vpxEncoder{e: e, w: w, h: h, out: make([]byte, w*h*3+64<<10)}, nil
}

func (v *vpxEncoder) encode(i420 []byte, ptsMs int64, durMs int, forceKey bool) ([]byte, bool, error) {
	if v.e == nil {
		return nil, false, errCodecClosed
	}
	if len(i420) < i420Size(v.w, v.h) {
		return nil, false, ErrInvalidFrame
	}
	var key C.int
	force := C.int(0)
	if forceKey {
		force = 1
	}
	n := C.rtc_vpx_encode(v.e, (*C.uchar)(unsafe.Pointer(&i420[0])), C.longlong(ptsMs), C.long(durMs), force,
		(*C.uchar)(unsafe.Pointer(&v.out[0])), C.int(len(v.out)), &key)
	switch {
	case n < 0:
		return nil, false, errors.New("rtc: libvpx: encoding failed")
	case n == 0:
		return nil, false, nil // dropped by rate control
	}
	return append([]byte(nil), v.out[:n]...), key != 0, nil
}

func (v *vpxEncoder) close() {
	if v.e != nil {
		C.rtc_vpx_enc_free(v.e)
		v.e = nil
	}
}

type vpxDecoder struct{ d *C.rtc_vpx_dec }

func newVPXDecoder() (videoDecoder, error) {
	d := C.rtc_vpx_dec_new()
	if d == nil {
		return nil, errors.New("rtc: libvpx: cannot create a VP8 decoder")
	}
	return &vpxDecoder{d: d}, nil
}

func (v *vpxDecoder) decode(frame []byte) ([]byte, int, int, error) {
	if v.d == nil {
		return nil, 0, 0, errCodecClosed
	}
	if len(frame) == 0 {
		return nil, 0, 0, ErrInvalidFrame
	}
	var w, h C.int
	if C.rtc_vpx_decode(v.d, (*C.uchar)(unsafe.Pointer(&frame[0])), C.int(len(frame)), &w, &h) != 0 {
		return nil, 0, 0, errors.New("rtc: libvpx: cannot decode the VP8 frame")
	}
	if w == 0 || h == 0 {
		return nil, 0, 0, nil
	}
	out := make([]byte, i420Size(int(w), int(h)))
	C.rtc_vpx_copy(v.d, (*C.uchar)(unsafe.Pointer(&out[0])))
	return out, int(w), int(h), nil
}

func (v *vpxDecoder) close() {
	if v.d != nil {
		C.rtc_vpx_dec_free(v.d)
		v.d = nil
	}
}

// maxOpusPacket is libopus's recommended output buffer.
const maxOpusPacket = 4000

type opusEncoder struct {
	e        *C.OpusEncoder
	channels int
	out      []byte
}

func newOpusEncoder(rate, channels int) (audioEncoder, error) {
	var cerr C.int
	bps := 32000 * channels
	e := C.rtc_opus_enc_new(C.int(rate), C.int(channels), C.int(bps), &cerr)
	if e == nil {
		return nil, fmt.Errorf("rtc: libopus: %s", C.GoString(C.opus_strerror(cerr)))
	}
	return &opusEncoder{e: e, channels: channels, out: make([]byte, maxOpusPacket)}, nil
}

func (o *opusEncoder) encode(pcm []int16) ([]byte, error) {
	if o.e == nil {
		return nil, errCodecClosed
	}
	n := C.opus_encode(o.e, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)/o.channels),
		(*C.uchar)(unsafe.Pointer(&o.out[0])), C.opus_int32(len(o.out)))
	if n < 0 {
		return nil, fmt.Errorf("rtc: libopus: %s", C.GoString(C.opus_strerror(C.int(n))))
	}
	return append([]byte(nil), o.out[:n]...), nil
}

func (o *opusEncoder) close() {
	if o.e != nil {
		C.opus_encoder_destroy(o.e)
		o.e = nil
	}
}

// maxOpusSamples is 120 ms at 48 kHz, the longest Opus packet.
const maxOpusSamples = 5760

type opusDecoder struct {
	d        *C.OpusDecoder
	channels int
	pcm      []int16
}

func newOpusDecoder(channels int) (audioDecoder, error) {
	var cerr C.int
	d := C.opus_decoder_create(48000, C.int(channels), &cerr)
	if d == nil {
		return nil, fmt.Errorf("rtc: libopus: %s", C.GoString(C.opus_strerror(cerr)))
	}
	return &opusDecoder{d: d, channels: channels, pcm: make([]int16, maxOpusSamples*channels)}, nil
}

func (o *opusDecoder) decode(pkt []byte) ([]int16, error) {
	if o.d == nil {
		return nil, errCodecClosed
	}
	if len(pkt) == 0 {
		return nil, ErrInvalidFrame
	}
	n := C.opus_decode(o.d, (*C.uchar)(unsafe.Pointer(&pkt[0])), C.opus_int32(len(pkt)),
		(*C.opus_int16)(unsafe.Pointer(&o.pcm[0])), C.int(maxOpusSamples), 0)
	if n < 0 {
		return nil, fmt.Errorf("rtc: libopus: %s", C.GoString(C.opus_strerror(n)))
	}
	return append([]int16(nil), o.pcm[:int(n)*o.channels]...), nil
}

func (o *opusDecoder) close() {
	if o.d != nil {
		C.opus_decoder_destroy(o.d)
		o.d = nil
	}
}

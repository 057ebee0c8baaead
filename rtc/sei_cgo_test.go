//go:build cgo && rtccodecs

package rtc

import (
	"bytes"
	"testing"
)

// TestVP8DecoderIgnoresSEITrailer backs the claim of sei.go that a VP8
// decoder which does not know the trailer still decodes the frame: libvpx
// (what browsers use for VP8) gives the same picture with and without it.
func TestVP8DecoderIgnoresSEITrailer(t *testing.T) {
	const w, h = 320, 180
	enc, err := rawCodecs.newVideoEncoder(w, h, defaultVideoKbps(w, h))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.close()
	plain, err := rawCodecs.newVideoDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer plain.close()
	unaware, err := rawCodecs.newVideoDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer unaware.close()
	for n := range 30 {
		data, _, err := enc.encode(gradient(w, h, n), int64(n*33), 33, n == 10)
		if err != nil || data == nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		msgs := [][]byte{bytes.Repeat([]byte{byte(n)}, 1000), []byte("second")}
		want, _, _, err := plain.decode(data)
		if err != nil {
			t.Fatal(err)
		}
		got, gw, gh, err := unaware.decode(appendSEITrailer(data, msgs))
		if err != nil {
			t.Fatalf("frame %d with a trailer: %v", n, err)
		}
		if gw != w || gh != h || !bytes.Equal(got, want) {
			t.Fatalf("frame %d decodes differently with a trailer", n)
		}
	}
}

package egress

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// ffprobeStream returns the codec, packet count and duration ffprobe finds
// in path.
func ffprobeStream(t *testing.T, path string) (codec string, packets int, dur float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-show_entries",
		"stream=codec_name,nb_read_packets:format=duration", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p struct {
		Streams []struct {
			CodecName string `json:"codec_name"`
			Packets   string `json:"nb_read_packets"`
		}
		Format struct{ Duration string }
	}
	if err := json.Unmarshal(out, &p); err != nil || len(p.Streams) != 1 {
		t.Fatalf("ffprobe %s: %s", path, out)
	}
	n, _ := strconv.Atoi(p.Streams[0].Packets)
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return p.Streams[0].CodecName, n, d
}

func TestOggOpusReadsBack(t *testing.T) {
	var w oggWriter
	w.serial = 7
	b := w.opusHeaders(nil, 2)
	var g uint64
	for i := 0; i < 100; i++ {
		pkt := append([]byte{0xf8}, make([]byte, 40+i%300)...) // some packets span two lacing values
		g += 960
		b = w.appendPage(b, pkt, g, 0)
	}
	path := filepath.Join(t.TempDir(), "a.ogg")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	codec, n, dur := ffprobeStream(t, path)
	if codec != "opus" || n != 100 || dur < 1.95 || dur > 2.05 {
		t.Fatalf("ffprobe: %s, %d packets, %.3f s; want opus, 100, 2 s", codec, n, dur)
	}
}

func TestIVFReadsBack(t *testing.T) {
	b := ivfHeader("VP80", 320, 240)
	key := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}
	for i := 0; i < 50; i++ {
		b = appendIVFFrame(b, key, uint64(i)*3600) // 40 ms at 90 kHz
	}
	path := filepath.Join(t.TempDir(), "v.ivf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	codec, n, _ := ffprobeStream(t, path)
	if codec != "vp8" || n != 50 {
		t.Fatalf("ffprobe: %s, %d packets; want vp8, 50", codec, n)
	}
	if w, h := vp8Size(key); w != 320 || h != 240 {
		t.Fatalf("vp8Size %dx%d", w, h)
	}
}

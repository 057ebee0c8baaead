package browser

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCDNStreamingPlugin: a page's trtc.startPlugin('CDNStreaming') relays
// its fake camera and microphone to a real RTMP sink (ffmpeg listening),
// which receives H.264 and AAC; a second start of the same mode is refused
// by the SDK; stopPlugin ends the push (docs/cdn.md).
func TestCDNStreamingPlugin(t *testing.T) {
	s := newServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("rtmp://%s/live/page", l.Addr())
	l.Close()
	out := filepath.Join(t.TempDir(), "page.flv")
	sink := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "info", "-listen", "1", "-i", url, "-c", "copy", "-y", out)
	stderr, err := sink.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	connected, ended := make(chan struct{}), make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if !once && strings.HasPrefix(sc.Text(), "Input #0") { // a publisher connected and its stream was probed
				once = true
				close(connected)
			}
		}
		ended <- sink.Wait()
	}()
	t.Cleanup(func() {
		_ = sink.Process.Kill()
	})

	alice := openSDKPage(t, s, "alice", "")
	alice.MustEnter("alice", 4701, "rtc", "anchor")
	alice.Publish()
	opts := fmt.Sprintf(`{ target: { publishMode: 'PublishMainStreamToCDN', url: %q },
		encoding: { videoWidth: 320, videoHeight: 240, videoFramerate: 15, videoBitrate: 300, audioSampleRate: 48000, audioChannels: 1, audioBitrate: 48 } }`, url)
	if e := alice.Err(`rt.t.startPlugin('CDNStreaming', ` + opts + `)`); e != nil {
		t.Fatalf("startPlugin: %v", e)
	}
	if e := alice.Err(`rt.t.startPlugin('CDNStreaming', ` + opts + `)`); e == nil || e.Code != 5100 {
		t.Fatalf("a second start of the mode: %v, want 5100", e)
	}
	if e := alice.Err(`rt.t.startPlugin('Watermark', {})`); e == nil || e.Code != 5000 {
		t.Fatalf("an unknown plugin: %v, want 5000", e)
	}
	select {
	case <-connected:
	case <-time.After(20 * time.Second):
		t.Fatal("the RTMP sink received nothing")
	}
	if e := alice.Err(`rt.t.stopPlugin('CDNStreaming', { target: { publishMode: 'PublishMainStreamToCDN' } })`); e != nil {
		t.Fatalf("stopPlugin: %v", e)
	}
	select {
	case err := <-ended:
		if err != nil {
			t.Fatalf("RTMP sink: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the push did not end after stopPlugin")
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
		"-of", "csv=p=0", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(probe)); len(got) != 2 || got[0] != "h264,320,240" || got[1] != "aac" {
		t.Fatalf("the sink received %q; want H.264 320x240 and AAC", got)
	}
}

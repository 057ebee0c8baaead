package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Server is a real S3-compatible server (gofakes3 over an in-memory
// backend) on a loopback port; it can be stopped and started again on the
// same port, its objects kept, to stand for a storage outage.
type s3Server struct {
	t       testing.TB
	addr    string
	backend *s3mem.Backend
	mu      sync.Mutex
	srv     *http.Server
}

func newS3Server(t *testing.T, buckets ...string) *s3Server {
	t.Helper()
	s := &s3Server{t: t, backend: s3mem.New()}
	for _, b := range buckets {
		if err := s.backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.stop)
	return s
}

func (s *s3Server) serve(ln net.Listener) {
	srv := &http.Server{Handler: gofakes3.New(s.backend).Server()}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// stop closes the listener and every connection: requests are refused.
func (s *s3Server) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// start serves again on the same port.
func (s *s3Server) start() {
	s.t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.serve(ln)
}

func (s *s3Server) storage(bucket string) *CloudStorage {
	return &CloudStorage{Vendor: VendorS3, Region: "us-east-1", Bucket: bucket, AccessKey: "AKIDTEST",
		SecretKey: "secret-test-key", Prefix: []string{"rec", "app1"}, EndpointURL: "http://" + s.addr}
}

// object reads an object back with an S3 client.
func (s *s3Server) object(bucket, key string) ([]byte, error) {
	c, err := minio.New(s.addr, &minio.Options{Creds: credentials.NewStaticV4("AKIDTEST", "secret-test-key", ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return nil, err
	}
	o, err := c.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer o.Close()
	return io.ReadAll(o)
}

// checkUploaded compares every file of the task's directory (but the
// task's own records) with its object.
func checkUploaded(t *testing.T, s3 *s3Server, cs *CloudStorage, taskID, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Name() == stateFile || e.Name() == uploadsFile {
			continue
		}
		local, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		remote, err := s3.object(cs.Bucket, cs.ObjectKey(taskID, e.Name()))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if !bytes.Equal(local, remote) {
			t.Fatalf("%s: the object (%d bytes) differs from the local file (%d bytes)", e.Name(), len(remote), len(local))
		}
		n++
	}
	return n
}

// TestUploadSplitFilesAndHLS records audio as HLS plus split Ogg files
// (hls+mp4) into a bucket: every file, segment and playlist is uploaded
// byte for byte under prefix/TaskId/, with UPLOAD_START, FILE_INFO (the
// first playlist) and UPLOAD_STOP LeaveCode 0.
func TestUploadSplitFilesAndHLS(t *testing.T) {
	t.Parallel()
	s3 := newS3Server(t, "records")
	s, ev := newTestService(t, Config{})
	cs := s3.storage("records")
	task := start(t, s, TaskParams{Storage: cs, Output: OutputHLSFiles, MaxFileDuration: time.Second})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 150, 80) // 3 s
	info := finish(t, s, task)
	stop := ev.waitEvent(t, EventUploadStop)
	if stop.Payload["LeaveCode"] != UploadStopAll {
		t.Fatalf("UPLOAD_STOP %v", stop.Payload)
	}
	var playlist, ogg int
	for _, f := range s.mustDescribe(t, task).Files {
		if f.UploadState != UploadUploaded {
			t.Fatalf("%s: upload state %q", f.FileName, f.UploadState)
		}
		switch filepath.Ext(f.FileName) {
		case ".m3u8":
			playlist++
		case ".ogg":
			ogg++
		}
	}
	if playlist != 1 || ogg < 3 {
		t.Fatalf("files %+v: want one playlist and 3 or more Ogg files", info.Files)
	}
	if n := checkUploaded(t, s3, cs, task.id, info.Dir); n < 6 {
		t.Fatalf("%d objects, want the playlist, its init segment, a segment and 3 Ogg files", n)
	}
	fi := ev.waitEvent(t, EventFileInfo)
	if l := fi.Payload["FileList"].([]string); len(l) != 1 || !strings.HasPrefix(l[0], "rec/app1/"+task.id+"/") || !strings.HasSuffix(l[0], "_hls.m3u8") {
		t.Fatalf("FILE_INFO %v", fi.Payload)
	}
	if types := ev.types(); types[0] != EventRecorderStart || types[1] != EventUploadStart {
		t.Fatalf("events %v: want 301, 303 first", types)
	}
	// The HLS recording plays: ffprobe reads the playlist.
	codec, _, dur := ffprobeStream(t, filepath.Join(info.Dir, playlistOf(t, info)))
	if codec != "opus" || dur < 2.7 || dur > 3.3 {
		t.Fatalf("playlist: %s, %.3f s; want opus, 3 s", codec, dur)
	}
}

func playlistOf(t *testing.T, info TaskInfo) string {
	for _, f := range info.Files {
		if strings.HasSuffix(f.FileName, ".m3u8") {
			return f.FileName
		}
	}
	t.Fatalf("no playlist in %+v", info.Files)
	return ""
}

func (s *Service) mustDescribe(t *testing.T, task *Task) TaskInfo {
	t.Helper()
	info, err := s.Describe(task.p.Room.App, task.id)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestUploadOutageSurvivesRestart: the storage is down while a task
// records and ends — UPLOAD_ERROR, then UPLOAD_STOP LeaveCode 1, the files
// wait locally as Retrying — and the server stops. A server started on the
// same directory, with the storage back, uploads them all (UPLOAD_STOP
// LeaveCode 2) and describes the task with its files Uploaded.
func TestUploadOutageSurvivesRestart(t *testing.T) {
	t.Parallel()
	s3 := newS3Server(t, "records")
	s3.stop()
	cfg := Config{UploadRetryMin: 20 * time.Millisecond, UploadRetryMax: 50 * time.Millisecond}
	s1, ev1 := newTestService(t, cfg)
	cs := s3.storage("records")
	task := start(t, s1, TaskParams{Storage: cs, MaxFileDuration: time.Second})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 100, 80)
	e := ev1.waitEvent(t, EventUploadError)
	if msg, _ := e.Payload["Message"].(string); !strings.Contains(msg, "refused") {
		t.Fatalf("UPLOAD_ERROR %v: want a refused connection", e.Payload)
	}
	info := finish(t, s1, task)
	if stop := ev1.waitEvent(t, EventUploadStop); stop.Payload["LeaveCode"] != UploadStopBackup {
		t.Fatalf("UPLOAD_STOP %v, want LeaveCode 1 (kept locally)", stop.Payload)
	}
	for _, f := range s1.mustDescribe(t, task).Files {
		if f.UploadState != UploadRetrying && f.UploadState != UploadLocal && f.UploadState != UploadUploading {
			t.Fatalf("%s: state %q while the storage is down", f.FileName, f.UploadState)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s1.Close(ctx); err != nil {
		t.Fatal(err)
	}

	s3.start()
	ev2 := newEvents()
	s2 := New(Config{Dir: s1.cfg.Dir, Media: nopMedia{}, Events: ev2})
	t.Cleanup(func() { _ = s2.Close(context.Background()) })
	if _, err := s2.Recover(); err != nil {
		t.Fatal(err)
	}
	if stop := ev2.waitEvent(t, EventUploadStop); stop.Payload["LeaveCode"] != UploadStopRecovered {
		t.Fatalf("UPLOAD_STOP %v after the restart, want LeaveCode 2", stop.Payload)
	}
	after := s2.mustDescribe(t, task)
	if after.Status != StatusExited || len(after.Files) != len(info.Files) {
		t.Fatalf("recovered %+v, want Exited with %d files", after, len(info.Files))
	}
	for _, f := range after.Files {
		if f.UploadState != UploadUploaded {
			t.Fatalf("%s: state %q after the restart", f.FileName, f.UploadState)
		}
	}
	if n := checkUploaded(t, s3, cs, task.id, info.Dir); n != len(info.Files) {
		t.Fatalf("%d objects, want %d", n, len(info.Files))
	}
}

// TestUploadNoSuchBucket: a bucket that does not exist is an UPLOAD_ERROR
// naming it, and the files stay local, Retrying with the error.
func TestUploadNoSuchBucket(t *testing.T) {
	t.Parallel()
	s3 := newS3Server(t, "records")
	s, ev := newTestService(t, Config{UploadRetryMin: 50 * time.Millisecond})
	task := start(t, s, TaskParams{Storage: s3.storage("nope")})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 25, 80)
	info := finish(t, s, task)
	e := ev.waitEvent(t, EventUploadError)
	if msg, _ := e.Payload["Message"].(string); !strings.Contains(msg, "NoSuchBucket") || e.Payload["FileName"] != info.Files[0].FileName {
		t.Fatalf("UPLOAD_ERROR %v", e.Payload)
	}
	ev.waitEvent(t, EventUploadStop)
	f := s.mustDescribe(t, task).Files[0]
	if f.UploadState != UploadRetrying || !strings.Contains(f.UploadError, "NoSuchBucket") {
		t.Fatalf("file %+v: want Retrying with NoSuchBucket", f)
	}
	if _, err := os.Stat(filepath.Join(info.Dir, f.FileName)); err != nil {
		t.Fatal(err)
	}
}

// TestBadStorage: an endpoint that is not an http(s) URL is refused at
// Create.
func TestBadStorage(t *testing.T) {
	s, _ := newTestService(t, Config{})
	_, err := s.Create(TaskParams{Room: testKey(t), UserID: "r", MaxIdleTime: time.Minute, Retention: time.Hour,
		Storage: &CloudStorage{Region: "r", Bucket: "b", AccessKey: "a", SecretKey: "s", EndpointURL: "ftp://x"}})
	if !errors.Is(err, ErrBadStorage) {
		t.Fatalf("Create: %v, want ErrBadStorage", err)
	}
	if s.Running() != 0 {
		t.Fatal("a refused task still counts")
	}
}

// BenchmarkS3Upload uploads a 16 MiB recording file to the loopback S3
// server through the recorder's ObjectStore (SigV4, single PUT); the
// throughput is in docs/benchmarks.md.
func BenchmarkS3Upload(b *testing.B) {
	s3 := &s3Server{t: b, backend: s3mem.New()}
	if err := s3.backend.CreateBucket("records"); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s3.addr = ln.Addr().String()
	s3.serve(ln)
	defer s3.stop()
	store, err := NewS3Store(*s3.storage("records"))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "rec.mp4")
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := range b.N {
		if err := store.Put(context.Background(), fmt.Sprintf("k/%d.mp4", i), path); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUploadResumesAfterCrash: a server dies while a task records with the
// storage down (its uploader stops where it was; task.json still says
// InProgress). The next server reports the task ended (RECORDER_STOP 100)
// and uploads every file the directory holds, also the one being written
// when it died, which the old queue never listed.
func TestUploadResumesAfterCrash(t *testing.T) {
	t.Parallel()
	s3 := newS3Server(t, "records")
	s3.stop()
	s1, ev1 := newTestService(t, Config{UploadRetryMin: 20 * time.Millisecond, UploadRetryMax: 50 * time.Millisecond})
	cs := s3.storage("records")
	task := start(t, s1, TaskParams{Storage: cs, MaxFileDuration: time.Second})
	src, ti := audioSource("alice")
	task.trackChanged(ti, false)
	src.pushAudio(t, 0, 75, 80) // 1.5 s: one complete piece, one open
	ev1.waitEvent(t, EventUploadError)
	s1.cancel() // the uploads stop as in a crash; the recording goes on
	<-task.up.done

	s3.start()
	ev2 := newEvents()
	s2 := New(Config{Dir: s1.cfg.Dir, Media: nopMedia{}, Events: ev2})
	t.Cleanup(func() { _ = s2.Close(context.Background()) })
	if n, err := s2.Recover(); err != nil || n != 1 {
		t.Fatalf("Recover: %d, %v", n, err)
	}
	if stop := ev2.waitEvent(t, EventRecorderStop); stop.Payload["LeaveCode"] != LeaveFailed {
		t.Fatalf("RECORDER_STOP %v", stop.Payload)
	}
	if stop := ev2.waitEvent(t, EventUploadStop); stop.Payload["LeaveCode"] != UploadStopRecovered {
		e, _ := ev2.find(EventUploadError)
		t.Fatalf("UPLOAD_STOP %v (%v)", stop.Payload, e.Payload)
	}
	info := s2.mustDescribe(t, task)
	if len(info.Files) < 2 {
		t.Fatalf("files %+v: want the complete piece and the open one", info.Files)
	}
	for _, f := range info.Files {
		if f.UploadState != UploadUploaded {
			t.Fatalf("%s: %q", f.FileName, f.UploadState)
		}
		if _, err := s3.object("records", cs.ObjectKey(task.id, f.FileName)); err != nil {
			t.Fatalf("%s: %v", f.FileName, err)
		}
	}
}

package webhook

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// DefaultSegmentBytes is the size at which the outbox starts a new segment
// file. Segments whose events were all delivered (or given up) are deleted,
// so the outbox holds about one segment plus the backlog.
const DefaultSegmentBytes = 4 << 20

// outbox is the durable log of events waiting for delivery (format in
// segment.go). Appends are written at once and made durable by a group
// commit: concurrent appenders share one fsync. Acks (an event delivered or
// given up) are written without waiting for an fsync, since losing one only
// means the event is sent again after a crash: delivery is at least once.
//
// Every event gets a log sequence number (LSN), increasing across apps and
// restarts. The last segment is never deleted, so the next LSN is always
// known at recovery: the highest LSN found plus one, or the last segment's
// base.
type outbox struct {
	dir      string
	segLimit int64
	log      *slog.Logger
	lock     *os.File
	instance uint64
	syncs    atomic.Uint64 // fsyncs of segment files, for the statistics

	mu     sync.Mutex
	segs   []*segment // oldest first; appends go to the last
	next   uint64     // LSN of the next event
	segSeq uint64     // number of the last segment created
	wseq   uint64     // records written: the group-commit sequence
	broken error      // a failed fsync: later appends fail fast
	closed bool
	buf    []byte

	smu     sync.Mutex
	scond   *sync.Cond
	synced  uint64 // wseq covered by a finished fsync
	syncing bool   // an fsync is running on behalf of everybody
}

// segment is one file of the outbox.
type segment struct {
	base    uint64
	path    string
	f       *os.File
	size    int64
	pending int // events in it neither delivered nor given up
}

// stored is an event held by the outbox. seg is nil when the outbox could
// not write it: it is then delivered from memory only.
type stored struct {
	lsn  uint64
	app  trtc.SDKAppID
	typ  EventType
	info []byte
	id   string
	seg  *segment
}

// openOutbox opens (creating if needed) the outbox in dir and returns the
// events not yet delivered, oldest first.
func openOutbox(dir string, segLimit int64, log *slog.Logger) (*outbox, []*stored, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("webhook: outbox: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, "LOCK"))
	if err != nil {
		return nil, nil, err
	}
	o := &outbox{dir: dir, segLimit: segLimit, log: log, lock: lock, next: 1}
	o.scond = sync.NewCond(&o.smu)
	events, err := o.recover()
	if err == nil && len(o.segs) == 0 {
		err = o.newSegmentLocked()
	}
	if err != nil {
		o.closeFiles()
		return nil, nil, err
	}
	o.compactLocked()
	return o, events, nil
}

// segmentFile is a segment's file name, "<base LSN>-<number>.seg", with
// the two numbers it encodes. Numbers order the segments; the base LSN (the
// next LSN when the segment was created) is a floor for the numbering even
// when the segment holds only acks.
type segmentFile struct {
	name      string
	base, seq uint64
}

func listSegments(dir string) ([]segmentFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("webhook: outbox: %w", err)
	}
	var out []segmentFile
	for _, e := range entries {
		stem, ok := strings.CutSuffix(e.Name(), ".seg")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		b, q, ok := strings.Cut(stem, "-")
		base, err1 := strconv.ParseUint(b, 10, 64)
		seq, err2 := strconv.ParseUint(q, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		out = append(out, segmentFile{e.Name(), base, seq})
	}
	slices.SortFunc(out, func(a, b segmentFile) int { return cmpUint(a.seq, b.seq) })
	return out, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// recover reads every segment, truncates a torn tail of the last one, and
// returns the events that have no ack.
func (o *outbox) recover() ([]*stored, error) {
	files, err := listSegments(o.dir)
	if err != nil {
		return nil, err
	}
	var events []*stored
	acked := map[uint64]bool{}
	haveInstance := false
	for i, sf := range files {
		last := i == len(files)-1
		path := filepath.Join(o.dir, sf.name)
		o.next = max(o.next, sf.base)
		o.segSeq = max(o.segSeq, sf.seq)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("webhook: outbox: %w", err)
		}
		h, err := decodeHeader(data)
		if err != nil {
			// A segment created by a process that died before its header
			// reached the disk, or a damaged file: keep it aside for
			// inspection and go on.
			o.log.Warn("webhook outbox: segment without a valid header set aside", "file", path, "bytes", len(data))
			if err := os.Rename(path, path+".bad"); err != nil {
				return nil, fmt.Errorf("webhook: outbox: %w", err)
			}
			continue
		}
		recs, valid := parseRecords(data[segHeaderBytes:])
		seg := &segment{base: h.base, path: path, size: int64(segHeaderBytes + valid)}
		torn := !allZero(data[seg.size:]) // zeros are preallocated space, not damage
		if torn {
			if last {
				o.log.Warn("webhook outbox: torn write at the end of the log truncated", "file", path, "at", seg.size, "bytes", int64(len(data))-seg.size)
			} else {
				o.log.Warn("webhook outbox: damaged segment, records after the damage are lost", "file", path, "at", seg.size)
			}
		}
		o.instance, haveInstance = h.instance, true
		o.next = max(o.next, h.base)
		for _, r := range recs {
			switch r.kind {
			case kindAck:
				acked[r.lsn] = true
			case kindEvent:
				events = append(events, &stored{lsn: r.lsn, app: r.app, typ: r.typ, info: bytes.Clone(r.info), seg: seg})
				o.next = max(o.next, r.lsn+1)
			}
		}
		if seg.f, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
			return nil, fmt.Errorf("webhook: outbox: %w", err)
		}
		o.segs = append(o.segs, seg)
		if last && torn {
			if err := seg.f.Truncate(seg.size); err != nil {
				return nil, fmt.Errorf("webhook: outbox: truncate %s: %w", path, err)
			}
			preallocate(seg.f, o.segLimit)
			if err := seg.f.Sync(); err != nil {
				return nil, fmt.Errorf("webhook: outbox: %w", err)
			}
		}
	}
	if !haveInstance {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.instance = binary.LittleEndian.Uint64(b[:])
	}
	pending := events[:0]
	for _, e := range events {
		if !acked[e.lsn] {
			e.id = eventID(o.instance, e.lsn)
			e.seg.pending++
			pending = append(pending, e)
		}
	}
	return pending, nil
}

// newSegmentLocked starts a segment whose base is the next LSN and makes its
// existence durable (file and directory entry) before anything goes in it.
func (o *outbox) newSegmentLocked() error {
	path := filepath.Join(o.dir, fmt.Sprintf("%020d-%020d.seg", o.next, o.segSeq+1))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("webhook: outbox: %w", err)
	}
	preallocate(f, o.segLimit)
	hdr := segHeader{instance: o.instance, base: o.next}.encode()
	if _, err := f.Write(hdr); err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = syncDir(o.dir)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("webhook: outbox: new segment: %w", err)
	}
	o.syncs.Add(1)
	o.segSeq++
	o.segs = append(o.segs, &segment{base: o.next, path: path, f: f, size: segHeaderBytes})
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// writeLocked writes one framed record at the end of the log, starting a
// new segment first when the current one is full.
func (o *outbox) writeLocked(rec []byte) (*segment, error) {
	seg := o.segs[len(o.segs)-1]
	if seg.size > segHeaderBytes && seg.size+int64(len(rec)) > o.segLimit {
		// The full segment is made durable before the next one starts:
		// from here on, only the last segment can hold unsynced records.
		if err := datasync(seg.f); err != nil {
			o.broken = fmt.Errorf("webhook: outbox fsync: %w", err)
			return nil, o.broken
		}
		o.syncs.Add(1)
		if err := o.newSegmentLocked(); err != nil {
			return nil, err
		}
		seg = o.segs[len(o.segs)-1]
	}
	if _, err := seg.f.WriteAt(rec, seg.size); err != nil {
		// Leave no partial record behind: zero what may have been written.
		_, _ = seg.f.WriteAt(make([]byte, len(rec)), seg.size)
		return nil, fmt.Errorf("webhook: outbox write: %w", err)
	}
	seg.size += int64(len(rec))
	o.wseq++
	return seg, nil
}

// append writes an event and, with sync, waits until it is on disk;
// without, it becomes durable with the next synced append or close.
func (o *outbox) append(app trtc.SDKAppID, typ EventType, info []byte, sync bool) (*stored, error) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil, ErrClosed
	}
	if o.broken != nil {
		o.mu.Unlock()
		return nil, o.broken
	}
	o.buf = appendRecord(o.buf[:0], &record{kind: kindEvent, lsn: o.next, app: app, typ: typ, info: info})
	if len(o.buf)-recHeaderBytes > maxRecordBytes {
		o.mu.Unlock()
		return nil, ErrEventTooLarge
	}
	seg, err := o.writeLocked(o.buf)
	if err != nil {
		o.mu.Unlock()
		return nil, err
	}
	seg.pending++
	st := &stored{lsn: o.next, app: app, typ: typ, info: info, id: eventID(o.instance, o.next), seg: seg}
	o.next++
	target := o.wseq
	o.mu.Unlock()
	if !sync {
		return st, nil
	}
	return st, o.syncTo(target)
}

// syncTo returns once the records up to wseq target are on disk. One caller
// at a time runs the fsync, covering everything written before it started;
// the others wait for it and are usually covered too (group commit).
func (o *outbox) syncTo(target uint64) error {
	o.smu.Lock()
	defer o.smu.Unlock()
	for o.synced < target {
		if o.syncing {
			o.scond.Wait()
			continue
		}
		o.syncing = true
		o.smu.Unlock()
		o.mu.Lock()
		upto, f, broken := o.wseq, o.segs[len(o.segs)-1].f, o.broken
		o.mu.Unlock()
		err := broken
		if err == nil {
			err = datasync(f)
			o.syncs.Add(1)
			// A segment stops being the last only after an fsync of its own
			// (writeLocked), and only then may compaction close it: an
			// fsync that finds it closed has nothing left to do.
			if errors.Is(err, os.ErrClosed) {
				err = nil
			}
		}
		o.smu.Lock()
		o.syncing = false
		o.scond.Broadcast()
		if err != nil {
			o.mu.Lock()
			if o.broken == nil {
				o.broken = fmt.Errorf("webhook: outbox fsync: %w", err)
			}
			err = o.broken
			o.mu.Unlock()
			return err
		}
		o.synced = max(o.synced, upto)
	}
	return nil
}

// ack records that an event was delivered or given up, and deletes the
// oldest segments once none of their events is pending.
func (o *outbox) ack(st *stored) {
	if st.seg == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	st.seg.pending--
	if o.broken == nil {
		o.buf = appendRecord(o.buf[:0], &record{kind: kindAck, lsn: st.lsn})
		if _, err := o.writeLocked(o.buf); err != nil {
			o.log.Warn("webhook outbox: ack not written; the event will be sent again after a restart", "event", st.id, "err", err)
		}
	}
	o.compactLocked()
}

func (o *outbox) compactLocked() {
	for len(o.segs) > 1 && o.segs[0].pending == 0 {
		s := o.segs[0]
		s.f.Close()
		if err := os.Remove(s.path); err != nil {
			o.log.Warn("webhook outbox: delivered segment not deleted", "file", s.path, "err", err)
		}
		o.segs = o.segs[1:]
	}
}

// segments reports the number of segment files (tests).
func (o *outbox) segments() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.segs)
}

// close makes everything written durable and releases the directory.
func (o *outbox) close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	target := o.wseq
	o.mu.Unlock()
	err := o.syncTo(target)
	o.closeFiles()
	return err
}

func (o *outbox) closeFiles() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.segs {
		if s.f != nil {
			s.f.Close()
		}
	}
	o.lock.Close()
}

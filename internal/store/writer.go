package store

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// sink is the database a writer commits to: SQLite or PostgreSQL.
type sink interface {
	// write commits the records of batch in one transaction, skipping
	// barriers.
	write(ctx context.Context, batch []op) error
	// purge deletes up to purgeSlice rows of purgeTables[table] older than
	// cutoff (Unix ms) and reports how many it deleted.
	purge(ctx context.Context, table int, cutoff int64) (int64, error)
}

// purgeTables are purged in this order: samples first, rooms last.
var purgeTables = [...]string{"samples", "sessions", "rooms"}

// writer is the write side shared by the stores: records are handed over
// through a bounded queue without ever blocking, one goroutine owns every
// write and commits what is queued in batched transactions, and purges
// what is past the retention between records.
type writer struct {
	sink sink
	opt  Options
	log  *slog.Logger

	mu     sync.RWMutex // closed and the right to send on queue
	closed bool
	queue  chan op
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	written, dropped, failed, batches atomic.Uint64

	lingerT *time.Timer // linger's (the writer goroutine's)
}

func newWriter(k sink, opt Options) *writer {
	return &writer{
		sink: k, opt: opt, log: opt.Logger,
		queue: make(chan op, opt.QueueLength),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

// shutdown stops taking records, commits what is queued, then runs
// release (closing the database). Only the first call does anything.
func (s *writer) shutdown(release func() error) error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		<-s.done
		err = release()
	})
	return err
}

func (s *writer) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

type opKind uint8

const (
	opRoomCreated opKind = iota
	opRoomDestroyed
	opSessionStarted
	opSessionEnded
	opSessionRole
	opSample
	opEnd
	opBarrier = opEnd // Flush: no statement, only a signal
)

// op is one record on its way to the writer.
type op struct {
	kind    opKind
	room    Room
	session Session
	sample  Sample
	id      string
	at      time.Time
	role    trtc.Role  // opSessionRole
	done    chan error // opBarrier only
}

// RoomCreated records a new room.
func (s *writer) RoomCreated(r Room) { s.enqueue(op{kind: opRoomCreated, room: r}) }

// RoomDestroyed records the end of a room; r.Destroyed is when.
func (s *writer) RoomDestroyed(r Room) { s.enqueue(op{kind: opRoomDestroyed, room: r}) }

// SessionStarted records a user entering a room.
func (s *writer) SessionStarted(x Session) { s.enqueue(op{kind: opSessionStarted, session: x}) }

// SessionEnded records a session's end.
func (s *writer) SessionEnded(id string, at time.Time) {
	s.enqueue(op{kind: opSessionEnded, id: id, at: at})
}

// SessionRole records a session's new role (a role switch).
func (s *writer) SessionRole(id string, role trtc.Role) {
	s.enqueue(op{kind: opSessionRole, id: id, role: role})
}

// AddSample records one quality sample.
func (s *writer) AddSample(x Sample) { s.enqueue(op{kind: opSample, sample: x}) }

// enqueue hands a record to the writer without ever blocking: when the
// queue is full (the disk cannot keep up) the record is dropped and counted.
func (s *writer) enqueue(o op) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.dropped.Add(1)
		return
	}
	select {
	case s.queue <- o:
	default:
		if n := s.dropped.Add(1); n == 1 || n%10000 == 0 {
			s.log.Warn("history: writer queue full; records dropped", "dropped", n, "queue", cap(s.queue))
		}
	}
}

// Flush waits until everything queued before it is committed and returns
// the error of the last transaction, if it failed.
func (s *writer) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.queue <- op{kind: opBarrier, done: done}:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WriterStats counts the writer's work since Open.
type WriterStats struct {
	Written uint64 // records committed
	Dropped uint64 // records refused: queue full, or after Close
	Failed  uint64 // records lost with a failed transaction
	Batches uint64 // transactions committed
	Queued  int    // records waiting now
}

// Stats returns the writer's counters.
func (s *writer) Stats() WriterStats {
	return WriterStats{
		Written: s.written.Load(), Dropped: s.dropped.Load(), Failed: s.failed.Load(),
		Batches: s.batches.Load(), Queued: len(s.queue),
	}
}

// run is the writer goroutine: it owns every write to the database.
// Queued records come first; purging proceeds a slice at a time when the
// queue is empty.
func (s *writer) run() {
	defer close(s.done)
	tick := time.NewTicker(s.opt.PurgeEvery)
	defer tick.Stop()
	var p purger
	batch := make([]op, 0, s.opt.MaxBatch)
	for {
		select {
		case o := <-s.queue:
			batch = s.commit(s.linger(s.collect(append(batch[:0], o))))
			continue
		case <-s.stop:
			s.drain(batch)
			return
		default:
		}
		if p.active {
			s.purgeStep(context.Background(), &p)
			continue
		}
		select {
		case o := <-s.queue:
			batch = s.commit(s.linger(s.collect(append(batch[:0], o))))
		case <-tick.C:
			s.startPurge(&p)
		case <-s.stop:
			s.drain(batch)
			return
		}
	}
}

// drain commits what is queued once nothing more can be.
func (s *writer) drain(batch []op) {
	for {
		select {
		case o := <-s.queue:
			batch = s.commit(s.collect(append(batch[:0], o)))
		default:
			return
		}
	}
}

// collect adds to batch whatever else is queued, up to MaxBatch: under load
// transactions grow, at rest each record commits at once.
func (s *writer) collect(batch []op) []op {
	for len(batch) < s.opt.MaxBatch {
		select {
		case o := <-s.queue:
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

// linger holds a batch of quality samples only — nobody waits for them —
// up to SampleLinger for more records, so that the steady trickle of
// reports (one per user every 2 s) shares transactions instead of
// committing one each. Any other record (a room, a session, a Flush), a
// full batch or the writer's stop ends the wait at once.
func (s *writer) linger(batch []op) []op {
	if s.opt.SampleLinger <= 0 || len(batch) >= s.opt.MaxBatch {
		return batch
	}
	for _, o := range batch {
		if o.kind != opSample {
			return batch
		}
	}
	if s.lingerT == nil {
		s.lingerT = time.NewTimer(s.opt.SampleLinger)
	} else {
		s.lingerT.Reset(s.opt.SampleLinger)
	}
	defer s.lingerT.Stop()
	for len(batch) < s.opt.MaxBatch {
		select {
		case o := <-s.queue:
			batch = append(batch, o)
			if o.kind != opSample {
				return s.collect(batch)
			}
		case <-s.lingerT.C:
			return batch
		case <-s.stop:
			return batch
		}
	}
	return batch
}

// commit writes a batch in one transaction and answers its barriers. It
// returns the batch emptied for reuse.
func (s *writer) commit(batch []op) []op {
	n, err := s.write(batch)
	if err != nil {
		s.failed.Add(uint64(n))
		s.log.Error("history: write failed; records lost", "records", n, "err", err)
	} else if n > 0 {
		s.written.Add(uint64(n))
		s.batches.Add(1)
	}
	for i := range batch {
		if batch[i].done != nil {
			batch[i].done <- err
		}
		batch[i] = op{}
	}
	return batch[:0]
}

// write runs the records of batch in one transaction and returns how many
// there were (barriers excluded).
func (s *writer) write(batch []op) (int, error) {
	n := 0
	for _, o := range batch {
		if o.kind != opBarrier {
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return n, s.sink.write(ctx, batch)
}

var statementName = [opEnd]string{"room created", "room destroyed", "session started", "session ended", "session role", "sample"}

// args are the statement arguments of a record.
func (o *op) args() []any {
	switch o.kind {
	case opRoomCreated:
		r := o.room
		return []any{int64(r.App), r.RoomID, r.StrRoom, r.CommID(), r.Created.UnixMilli(), string(r.Creator)}
	case opRoomDestroyed:
		r := o.room
		return []any{int64(r.App), r.RoomID, r.StrRoom, r.CommID(), r.Created.UnixMilli(), nullMs(r.Destroyed), string(r.Creator)}
	case opSessionStarted:
		x := o.session
		return []any{x.ID, int64(x.App), x.CommID, x.RoomID, string(x.UserID), x.Joined.UnixMilli(),
			clipText(x.DeviceType), clipText(x.SDKVersion), clipText(x.ClientIP), int64(roleOrAnchor(x.Role))}
	case opSessionEnded:
		return []any{o.at.UnixMilli(), o.id}
	case opSessionRole:
		return []any{int64(roleOrAnchor(o.role)), o.id}
	case opSample:
		x := o.sample
		args := make([]any, 0, 6+int(metricEnd)-1)
		args = append(args, int64(x.App), x.CommID, x.Session, string(x.UserID), string(x.PeerID), x.At.UnixMilli())
		for m := Metric(1); m < metricEnd; m++ {
			if v, ok := x.Values[m]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
				args = append(args, v)
			} else {
				args = append(args, nil)
			}
		}
		return args
	}
	return nil
}

// purgeSlice is how many rows one purge statement deletes: small enough
// that records queued meanwhile wait only milliseconds.
const purgeSlice = 5000

// purger walks the tables deleting what is past the retention, one slice
// at a time. The zero value is idle.
type purger struct {
	cutoff int64 // ms
	table  int   // index in purgeTables; len = done
	active bool
}

func (s *writer) startPurge(p *purger) {
	*p = purger{cutoff: s.opt.Now().Add(-s.opt.Retention).UnixMilli(), active: true}
}

// purgeStep deletes one slice and moves on to the next table when the
// current one has nothing left to delete.
func (s *writer) purgeStep(ctx context.Context, p *purger) {
	n, err := s.sink.purge(ctx, p.table, p.cutoff)
	if err != nil {
		s.log.Warn("history: purge failed", "table", purgeTables[p.table], "err", err)
		p.active = false
		return
	}
	if n < purgeSlice {
		p.table++
	}
	if p.table == len(purgeTables) {
		p.active = false
	}
}

// purgeAll deletes everything past the retention now (at Open).
func (s *writer) purgeAll(ctx context.Context) {
	var p purger
	for s.startPurge(&p); p.active; {
		s.purgeStep(ctx, &p)
	}
}

// roleOrAnchor is role, or anchor (TRTC's default) when unset.
func roleOrAnchor(role trtc.Role) trtc.Role {
	if role == 0 {
		return trtc.RoleAnchor
	}
	return role
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

type opKind uint8

const (
	opRoomCreated opKind = iota
	opRoomDestroyed
	opSessionStarted
	opSessionEnded
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
	done    chan error // opBarrier only
}

var statements = [opEnd]string{
	opRoomCreated: `INSERT OR IGNORE INTO rooms(app, room, str_room, comm_id, created_ms, destroyed_ms, creator)
		VALUES(?, ?, ?, ?, ?, NULL, ?)`,
	// The upsert records a room whose creation record was dropped.
	opRoomDestroyed: `INSERT INTO rooms(app, room, str_room, comm_id, created_ms, destroyed_ms, creator)
		VALUES(?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(app, str_room, room, created_ms) DO UPDATE SET destroyed_ms = excluded.destroyed_ms
		WHERE destroyed_ms IS NULL`,
	opSessionStarted: `INSERT OR IGNORE INTO sessions(session, app, comm_id, room, user_id, joined_ms, left_ms, device_type, sdk_version, client_ip)
		VALUES(?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
	opSessionEnded: `UPDATE sessions SET left_ms = ? WHERE session = ? AND left_ms IS NULL`,
	opSample: `INSERT INTO samples(app, comm_id, session, user_id, peer_id, ts_ms,
		app_cpu, sys_cpu, a_bit, a_block, v_bit, v_cap_fps, v_enc_fps, v_dec_fps, v_block, a_loss, v_loss, v_width, v_height)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
}

func (s *SQLite) prepare(ctx context.Context) error {
	for k, q := range statements {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			s.closeStmts()
			return fmt.Errorf("store: prepare: %w", err)
		}
		s.stmts[k] = st
	}
	return nil
}

func (s *SQLite) closeStmts() {
	for i, st := range s.stmts {
		if st != nil {
			st.Close()
			s.stmts[i] = nil
		}
	}
}

// RoomCreated records a new room.
func (s *SQLite) RoomCreated(r Room) { s.enqueue(op{kind: opRoomCreated, room: r}) }

// RoomDestroyed records the end of a room; r.Destroyed is when.
func (s *SQLite) RoomDestroyed(r Room) { s.enqueue(op{kind: opRoomDestroyed, room: r}) }

// SessionStarted records a user entering a room.
func (s *SQLite) SessionStarted(x Session) { s.enqueue(op{kind: opSessionStarted, session: x}) }

// SessionEnded records a session's end.
func (s *SQLite) SessionEnded(id string, at time.Time) {
	s.enqueue(op{kind: opSessionEnded, id: id, at: at})
}

// AddSample records one quality sample.
func (s *SQLite) AddSample(x Sample) { s.enqueue(op{kind: opSample, sample: x}) }

// enqueue hands a record to the writer without ever blocking: when the
// queue is full (the disk cannot keep up) the record is dropped and counted.
func (s *SQLite) enqueue(o op) {
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
func (s *SQLite) Flush(ctx context.Context) error {
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
func (s *SQLite) Stats() WriterStats {
	return WriterStats{
		Written: s.written.Load(), Dropped: s.dropped.Load(), Failed: s.failed.Load(),
		Batches: s.batches.Load(), Queued: len(s.queue),
	}
}

// run is the writer goroutine: it owns every write to the database.
// Queued records come first; purging proceeds a slice at a time when the
// queue is empty.
func (s *SQLite) run() {
	defer close(s.done)
	tick := time.NewTicker(s.opt.PurgeEvery)
	defer tick.Stop()
	var p purger
	batch := make([]op, 0, s.opt.MaxBatch)
	for {
		select {
		case o := <-s.queue:
			batch = s.commit(s.collect(append(batch[:0], o)))
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
			batch = s.commit(s.collect(append(batch[:0], o)))
		case <-tick.C:
			s.startPurge(&p)
		case <-s.stop:
			s.drain(batch)
			return
		}
	}
}

// drain commits what is queued once nothing more can be.
func (s *SQLite) drain(batch []op) {
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
func (s *SQLite) collect(batch []op) []op {
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

// commit writes a batch in one transaction and answers its barriers. It
// returns the batch emptied for reuse.
func (s *SQLite) commit(batch []op) []op {
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
func (s *SQLite) write(batch []op) (int, error) {
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return n, err
	}
	defer tx.Rollback()
	var stmts [opEnd]*sql.Stmt
	for _, o := range batch {
		if o.kind == opBarrier {
			continue
		}
		if stmts[o.kind] == nil {
			stmts[o.kind] = tx.StmtContext(ctx, s.stmts[o.kind])
		}
		if _, err := stmts[o.kind].ExecContext(ctx, o.args()...); err != nil {
			return n, fmt.Errorf("%s: %w", statementName[o.kind], err)
		}
	}
	return n, tx.Commit()
}

var statementName = [opEnd]string{"room created", "room destroyed", "session started", "session ended", "sample"}

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
			clipText(x.DeviceType), clipText(x.SDKVersion), clipText(x.ClientIP)}
	case opSessionEnded:
		return []any{o.at.UnixMilli(), o.id}
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

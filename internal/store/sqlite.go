package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// FileName is the history database's name inside the data directory.
const FileName = "history.db"

// Defaults of Options.
const (
	DefaultQueueLength = 8192
	DefaultMaxBatch    = 1000
	DefaultRetention   = 14 * 24 * time.Hour // what DescribeRoomInfo & co. may query
	DefaultPurgeEvery  = time.Minute
	// DefaultSampleLinger is how long the writer holds quality samples for
	// more records to share their transaction.
	DefaultSampleLinger = time.Second
)

// Options tune the store. Zero fields take the defaults.
type Options struct {
	// QueueLength bounds the records waiting for the writer; more are
	// dropped and counted.
	QueueLength int
	// MaxBatch bounds the records committed in one transaction.
	MaxBatch int
	// Retention is how long finished rooms, sessions and samples are kept.
	Retention time.Duration
	// PurgeEvery is how often the writer starts deleting what is past
	// Retention (in slices, between records: writes come first).
	PurgeEvery time.Duration
	// SampleLinger is how long the writer holds a batch of quality samples
	// only, waiting for more to commit with them (negative: commit at once).
	// Room and session records and Flush never wait.
	SampleLinger time.Duration
	// Now is the clock for purging and for closing what a crash left open.
	Now func() time.Time
	// Node names this node in a shared store (PostgreSQL, at most
	// MaxNodeName bytes): rooms and sessions are recorded under it, and
	// OpenPostgres closes only what this node left open. It must be stable
	// across restarts of the node. SQLite, one node's own, ignores it.
	Node   string
	Logger *slog.Logger
	// Leftovers, when set, is told at Open what a previous process of
	// this node left open (it crashed or was killed): every open room and
	// session of the embedded store; in PostgreSQL those of this node that
	// nobody continued on another node (TakeOverNode). It runs inside the
	// transaction that closes them: an error leaves them open and fails
	// Open, so that the next start reports them again.
	Leftovers func(Leftovers) error
}

func (o Options) withDefaults() Options {
	if o.QueueLength <= 0 {
		o.QueueLength = DefaultQueueLength
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.PurgeEvery <= 0 {
		o.PurgeEvery = DefaultPurgeEvery
	}
	if o.SampleLinger == 0 {
		o.SampleLinger = DefaultSampleLinger
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// SQLite is the embedded history store. Its write methods (RoomCreated,
// RoomDestroyed, SessionStarted, SessionEnded, AddSample) never block; its
// read methods may run concurrently with them and with each other.
type SQLite struct {
	*writer
	db   *sql.DB
	path string

	stmts [opEnd]*sql.Stmt
}

// Open opens (creating if needed) the history database in dir and starts
// its writer. Rooms and sessions that a previous process left open (it
// crashed) are closed at their last recorded activity.
func Open(dir string, opt Options) (*SQLite, error) {
	opt = opt.withDefaults()
	if dir == "" {
		return nil, errors.New("store: no data directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", dir, err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// Every connection of the pool gets the pragmas: WAL so that readers
	// never block the writer, NORMAL sync (durable at checkpoints; a power
	// cut may lose the last transactions, never corrupt the file), and a
	// busy timeout for the rare reader that meets a checkpoint.
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: "_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(OFF)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	s := &SQLite{db: db, path: abs}
	s.writer = newWriter(s, opt)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.closeLeftovers(ctx, opt.Leftovers); err != nil {
		s.closeStmts()
		db.Close()
		return nil, err
	}
	s.purgeAll(ctx)
	go s.run()
	return s, nil
}

// Path is the database file.
func (s *SQLite) Path() string { return s.path }

// schemaVersion is PRAGMA user_version after migrate.
const schemaVersion = 2

// upgrades[v] takes a database from version v to v+1 (a fresh one gets
// the schema above at once).
var upgrades = map[int][]string{
	1: {`ALTER TABLE sessions ADD COLUMN role INTEGER NOT NULL DEFAULT 20`},
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS rooms (
		id           INTEGER PRIMARY KEY,
		app          INTEGER NOT NULL,
		room         TEXT    NOT NULL,
		str_room     INTEGER NOT NULL,
		comm_id      TEXT    NOT NULL,
		created_ms   INTEGER NOT NULL,
		destroyed_ms INTEGER,
		creator      TEXT    NOT NULL
	)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS rooms_key ON rooms(app, str_room, room, created_ms)`,
	`CREATE INDEX IF NOT EXISTS rooms_app_created ON rooms(app, created_ms)`,
	`CREATE TABLE IF NOT EXISTS sessions (
		session     TEXT PRIMARY KEY,
		app         INTEGER NOT NULL,
		comm_id     TEXT    NOT NULL,
		room        TEXT    NOT NULL,
		user_id     TEXT    NOT NULL,
		joined_ms   INTEGER NOT NULL,
		left_ms     INTEGER,
		device_type TEXT    NOT NULL,
		sdk_version TEXT    NOT NULL,
		client_ip   TEXT    NOT NULL,
		role        INTEGER NOT NULL DEFAULT 20
	)`,
	`CREATE INDEX IF NOT EXISTS sessions_call ON sessions(app, comm_id, joined_ms)`,
	`CREATE TABLE IF NOT EXISTS samples (
		app       INTEGER NOT NULL,
		comm_id   TEXT    NOT NULL,
		session   TEXT    NOT NULL,
		user_id   TEXT    NOT NULL,
		peer_id   TEXT    NOT NULL,
		ts_ms     INTEGER NOT NULL,
		app_cpu REAL, sys_cpu REAL, a_bit REAL, a_block REAL, v_bit REAL, v_cap_fps REAL,
		v_enc_fps REAL, v_dec_fps REAL, v_block REAL, a_loss REAL, v_loss REAL, v_width REAL, v_height REAL
	)`,
	`CREATE INDEX IF NOT EXISTS samples_call ON samples(app, comm_id, user_id, ts_ms)`,
	`CREATE INDEX IF NOT EXISTS samples_session ON samples(session)`,
	`CREATE INDEX IF NOT EXISTS samples_ts ON samples(ts_ms)`,
}

func (s *SQLite) migrate(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("store: read schema version of %s: %w", s.path, err)
	}
	if v > schemaVersion {
		return fmt.Errorf("store: %s has schema version %d; this build knows %d", s.path, v, schemaVersion)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	for ; v > 0 && v < schemaVersion; v++ {
		for _, q := range upgrades[v] {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("store: upgrade schema from version %d: %w", v, err)
			}
		}
	}
	for _, q := range schema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: create schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: create schema: %w", err)
	}
	return nil
}

// closeLeftovers ends what a crashed process left open: a session at its
// last sample (or its join), a room at its last session's end (or its
// creation). The embedded store belongs to one node, so anything open at
// Open is from a process that is gone. With report set, it is told what
// was closed, in the same transaction.
func (s *SQLite) closeLeftovers(ctx context.Context, report func(Leftovers) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	var l Leftovers
	var sessionIDs []string
	var roomIDs []int64
	if report != nil {
		if l.Gone, sessionIDs, err = sqliteOpenSessions(ctx, tx); err != nil {
			return err
		}
		if l.Ended, roomIDs, err = sqliteOpenRooms(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET left_ms = MAX(joined_ms,
		COALESCE((SELECT MAX(ts_ms) FROM samples WHERE samples.session = sessions.session), joined_ms))
		WHERE left_ms IS NULL`); err != nil {
		return fmt.Errorf("store: close sessions left open: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rooms SET destroyed_ms = MAX(created_ms,
		COALESCE((SELECT MAX(left_ms) FROM sessions WHERE sessions.app = rooms.app AND sessions.comm_id = rooms.comm_id), created_ms))
		WHERE destroyed_ms IS NULL`); err != nil {
		return fmt.Errorf("store: close rooms left open: %w", err)
	}
	if report == nil {
		return tx.Commit()
	}
	// The times the updates chose.
	for i, id := range sessionIDs {
		var ms int64
		if err := tx.QueryRowContext(ctx, `SELECT left_ms FROM sessions WHERE session = ?`, id).Scan(&ms); err != nil {
			return fmt.Errorf("store: read closing times: %w", err)
		}
		l.Gone[i].Left = time.UnixMilli(ms)
	}
	for i, id := range roomIDs {
		var ms int64
		if err := tx.QueryRowContext(ctx, `SELECT destroyed_ms FROM rooms WHERE id = ?`, id).Scan(&ms); err != nil {
			return fmt.Errorf("store: read closing times: %w", err)
		}
		l.Ended[i].Destroyed = time.UnixMilli(ms)
	}
	l.sort()
	if err := report(l); err != nil {
		return err
	}
	return tx.Commit()
}

// sqliteOpenSessions returns the sessions left open, with their ids.
func sqliteOpenSessions(ctx context.Context, tx *sql.Tx) ([]LeftSession, []string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT s.session, s.app, s.room, s.user_id, s.role,
		COALESCE((SELECT MAX(r.str_room) FROM rooms r WHERE r.app = s.app AND r.comm_id = s.comm_id), 0)
		FROM sessions s WHERE s.left_ms IS NULL ORDER BY s.joined_ms LIMIT ?`, maxLeftovers)
	if err != nil {
		return nil, nil, fmt.Errorf("store: sessions left open: %w", err)
	}
	defer rows.Close()
	var out []LeftSession
	var ids []string
	for rows.Next() {
		var x LeftSession
		var id, user string
		var app, role int64
		if err := rows.Scan(&id, &app, &x.RoomID, &user, &role, &x.StrRoom); err != nil {
			return nil, nil, fmt.Errorf("store: sessions left open: %w", err)
		}
		x.App, x.UserID, x.Role = trtc.SDKAppID(app), trtc.UserID(user), trtc.Role(role)
		out = append(out, x)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: sessions left open: %w", err)
	}
	return out, ids, nil
}

// sqliteOpenRooms returns the rooms left open, with their ids.
func sqliteOpenRooms(ctx context.Context, tx *sql.Tx) ([]LeftRoom, []int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, app, room, str_room FROM rooms
		WHERE destroyed_ms IS NULL ORDER BY id LIMIT ?`, maxLeftovers)
	if err != nil {
		return nil, nil, fmt.Errorf("store: rooms left open: %w", err)
	}
	defer rows.Close()
	var out []LeftRoom
	var ids []int64
	for rows.Next() {
		var r LeftRoom
		var id, app int64
		if err := rows.Scan(&id, &app, &r.RoomID, &r.StrRoom); err != nil {
			return nil, nil, fmt.Errorf("store: rooms left open: %w", err)
		}
		r.App = trtc.SDKAppID(app)
		out = append(out, r)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: rooms left open: %w", err)
	}
	return out, ids, nil
}

var purgeStatements = [len(purgeTables)]string{
	`DELETE FROM samples WHERE rowid IN (SELECT rowid FROM samples WHERE ts_ms < ? LIMIT 5000)`,
	`DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE left_ms < ? LIMIT 5000)`,
	`DELETE FROM rooms WHERE rowid IN (SELECT rowid FROM rooms WHERE destroyed_ms < ? LIMIT 5000)`,
}

func (s *SQLite) purge(ctx context.Context, table int, cutoff int64) (int64, error) {
	res, err := s.db.ExecContext(ctx, purgeStatements[table], cutoff)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Close stops taking records, commits what is queued, and closes the
// database. Later writes are dropped and counted; later reads fail with
// ErrClosed. Close is idempotent.
func (s *SQLite) Close() error {
	return s.shutdown(func() error {
		s.closeStmts()
		return s.db.Close()
	})
}

var statements = [opEnd]string{
	opRoomCreated: `INSERT OR IGNORE INTO rooms(app, room, str_room, comm_id, created_ms, destroyed_ms, creator)
		VALUES(?, ?, ?, ?, ?, NULL, ?)`,
	// The upsert records a room whose creation record was dropped.
	opRoomDestroyed: `INSERT INTO rooms(app, room, str_room, comm_id, created_ms, destroyed_ms, creator)
		VALUES(?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(app, str_room, room, created_ms) DO UPDATE SET destroyed_ms = excluded.destroyed_ms
		WHERE destroyed_ms IS NULL`,
	opSessionStarted: `INSERT OR IGNORE INTO sessions(session, app, comm_id, room, user_id, joined_ms, left_ms, device_type, sdk_version, client_ip, role)
		VALUES(?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
	opSessionEnded: `UPDATE sessions SET left_ms = ? WHERE session = ? AND left_ms IS NULL`,
	opSessionRole:  `UPDATE sessions SET role = ? WHERE session = ?`,
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

// write runs the records of batch in one transaction.
func (s *SQLite) write(ctx context.Context, batch []op) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
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
			return fmt.Errorf("%s: %w", statementName[o.kind], err)
		}
	}
	return tx.Commit()
}

// Rooms returns a page of the rooms that match q, oldest first, and how
// many match in all.
func (s *SQLite) Rooms(ctx context.Context, q RoomQuery) ([]Room, int, error) {
	if q.Offset < 0 || q.Limit < 0 || q.To.Before(q.From) {
		return nil, 0, ErrQuery
	}
	if s.isClosed() {
		return nil, 0, ErrClosed
	}
	where := `app = ? AND created_ms <= ? AND (destroyed_ms IS NULL OR destroyed_ms >= ?)`
	args := []any{int64(q.App), q.To.UnixMilli(), q.From.UnixMilli()}
	if q.RoomID != "" {
		where += ` AND room = ?`
		args = append(args, q.RoomID)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rooms WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count rooms: %w", err)
	}
	if q.Limit == 0 || q.Offset >= total {
		return []Room{}, total, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT room, str_room, created_ms, destroyed_ms, creator FROM rooms WHERE `+where+
		` ORDER BY created_ms, id LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list rooms: %w", err)
	}
	defer rows.Close()
	out := []Room{}
	for rows.Next() {
		r := Room{App: q.App}
		var created int64
		var destroyed sql.NullInt64
		var creator string
		if err := rows.Scan(&r.RoomID, &r.StrRoom, &created, &destroyed, &creator); err != nil {
			return nil, 0, fmt.Errorf("store: list rooms: %w", err)
		}
		r.Created, r.Destroyed, r.Creator = fromMs(created), fromNullMs(destroyed), trtc.UserID(creator)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: list rooms: %w", err)
	}
	return out, total, nil
}

// Sessions returns a page of the sessions that match q, in order of
// joining, and how many match in all.
func (s *SQLite) Sessions(ctx context.Context, q SessionQuery) ([]Session, int, error) {
	if q.Offset < 0 || q.Limit < 0 || q.To.Before(q.From) {
		return nil, 0, ErrQuery
	}
	if s.isClosed() {
		return nil, 0, ErrClosed
	}
	where := `app = ? AND comm_id = ? AND joined_ms <= ? AND (left_ms IS NULL OR left_ms >= ?)`
	args := []any{int64(q.App), q.CommID, q.To.UnixMilli(), q.From.UnixMilli()}
	if q.Users != nil {
		where += ` AND user_id IN (` + placeholders(len(q.Users)) + `)`
		for _, u := range q.Users {
			args = append(args, string(u))
		}
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count sessions: %w", err)
	}
	if q.Limit == 0 || q.Offset >= total {
		return []Session{}, total, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT session, room, user_id, joined_ms, left_ms, device_type, sdk_version, client_ip
		FROM sessions WHERE `+where+` ORDER BY joined_ms, session LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list sessions: %w", err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		x := Session{App: q.App, CommID: q.CommID}
		var user string
		var joined int64
		var left sql.NullInt64
		if err := rows.Scan(&x.ID, &x.RoomID, &user, &joined, &left, &x.DeviceType, &x.SDKVersion, &x.ClientIP); err != nil {
			return nil, 0, fmt.Errorf("store: list sessions: %w", err)
		}
		x.UserID, x.Joined, x.Left = trtc.UserID(user), fromMs(joined), fromNullMs(left)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: list sessions: %w", err)
	}
	return out, total, nil
}

// Series returns, for each user of q (in q's order), each path (uplink
// first, then peers by id) and each metric of q (in q's order), the
// samples in [From, To] averaged over Step. A metric no sample measured
// on a path yields no series.
func (s *SQLite) Series(ctx context.Context, q SeriesQuery) ([]Series, error) {
	if q.To.Before(q.From) || q.Step < 0 {
		return nil, ErrQuery
	}
	for _, m := range q.Metrics {
		if m == MetricUnknown || m >= metricEnd {
			return nil, ErrQuery
		}
	}
	if s.isClosed() {
		return nil, ErrClosed
	}
	if len(q.Users) == 0 || len(q.Metrics) == 0 {
		return []Series{}, nil
	}
	step := max(q.Step.Milliseconds(), 1)
	cols := make([]string, len(q.Metrics))
	for i, m := range q.Metrics {
		cols[i] = "AVG(" + metricColumns[m] + ")"
	}
	args := []any{step, step, int64(q.App), q.CommID}
	for _, u := range q.Users {
		args = append(args, string(u))
	}
	args = append(args, q.From.UnixMilli(), q.To.UnixMilli())
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, peer_id, (ts_ms / ?) * ? AS bucket, `+strings.Join(cols, ", ")+`
		FROM samples WHERE app = ? AND comm_id = ? AND user_id IN (`+placeholders(len(q.Users))+`) AND ts_ms BETWEEN ? AND ?
		GROUP BY user_id, peer_id, bucket ORDER BY user_id, peer_id, bucket`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read samples: %w", err)
	}
	defer rows.Close()
	acc := newSeriesBuilder(q)
	vals := make([]sql.NullFloat64, len(q.Metrics))
	dst := make([]any, 3+len(q.Metrics))
	var user, peer string
	var bucket int64
	dst[0], dst[1], dst[2] = &user, &peer, &bucket
	for i := range vals {
		dst[3+i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("store: read samples: %w", err)
		}
		for i, v := range vals {
			if v.Valid {
				acc.add(user, peer, i, bucket, v.Float64)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read samples: %w", err)
	}
	return acc.result(), nil
}

func placeholders(n int) string {
	if n <= 0 {
		return "NULL"
	}
	return strings.Repeat("?,", n-1) + "?"
}

func fromMs(ms int64) time.Time { return time.UnixMilli(ms) }

func fromNullMs(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

func nullMs(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// clipText bounds client-supplied text kept in the history, cutting at a
// character boundary.
func clipText(s string) string {
	if len(s) <= maxClientText {
		return s
	}
	cut := maxClientText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

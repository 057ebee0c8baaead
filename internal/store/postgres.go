package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rtcengine/rtcengine/internal/pgschema"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Postgres is the history store in a PostgreSQL database, shared by the
// nodes of a cluster so that any of them answers the Describe actions. It
// offers the methods of SQLite: writes never block (the same bounded queue,
// batching, drop-and-count and draining Close), reads run beside them.
//
// Rooms and sessions carry the node that recorded them: at Open a node
// closes only what it left open itself, and CloseNode closes what a node
// that will not come back left open.
type Postgres struct {
	*writer
	pool *pgxpool.Pool
	node string
}

// pgComponent is the history store's name in rtcengine_schema.
const pgComponent = "history"

// pgSchema are the migrations of the history tables: pgSchema[i] takes the
// schema from version i to i+1. Indexes serve the Describe windows (an app's
// rooms by creation, a call's sessions by join, a call's samples by user and
// time), purging (by end time) and closing a node's leftovers.
var pgSchema = [][]string{{
	`CREATE TABLE history_rooms (
		id           bigserial PRIMARY KEY,
		app          bigint  NOT NULL,
		room         text    NOT NULL,
		str_room     boolean NOT NULL,
		comm_id      text    NOT NULL,
		created_ms   bigint  NOT NULL,
		destroyed_ms bigint,
		creator      text    NOT NULL,
		node         text    NOT NULL
	)`,
	`CREATE UNIQUE INDEX history_rooms_key ON history_rooms(app, str_room, room, created_ms)`,
	`CREATE INDEX history_rooms_app_created ON history_rooms(app, created_ms)`,
	`CREATE INDEX history_rooms_destroyed ON history_rooms(destroyed_ms)`,
	`CREATE INDEX history_rooms_open ON history_rooms(node) WHERE destroyed_ms IS NULL`,
	`CREATE TABLE history_sessions (
		session     text   PRIMARY KEY,
		app         bigint NOT NULL,
		comm_id     text   NOT NULL,
		room        text   NOT NULL,
		user_id     text   NOT NULL,
		joined_ms   bigint NOT NULL,
		left_ms     bigint,
		device_type text   NOT NULL,
		sdk_version text   NOT NULL,
		client_ip   text   NOT NULL,
		node        text   NOT NULL
	)`,
	`CREATE INDEX history_sessions_call ON history_sessions(app, comm_id, joined_ms)`,
	`CREATE INDEX history_sessions_left ON history_sessions(left_ms)`,
	`CREATE INDEX history_sessions_open ON history_sessions(node) WHERE left_ms IS NULL`,
	`CREATE TABLE history_samples (
		app       bigint NOT NULL,
		comm_id   text   NOT NULL,
		session   text   NOT NULL,
		user_id   text   NOT NULL,
		peer_id   text   NOT NULL,
		ts_ms     bigint NOT NULL,
		app_cpu double precision, sys_cpu double precision, a_bit double precision, a_block double precision,
		v_bit double precision, v_cap_fps double precision, v_enc_fps double precision, v_dec_fps double precision,
		v_block double precision, a_loss double precision, v_loss double precision, v_width double precision,
		v_height double precision
	)`,
	`CREATE INDEX history_samples_call ON history_samples(app, comm_id, user_id, ts_ms)`,
	`CREATE INDEX history_samples_session ON history_samples(session)`,
	`CREATE INDEX history_samples_ts ON history_samples(ts_ms)`,
}, {
	// A dead node's takeover asks whether each of its users entered the
	// room again elsewhere (postgres_failover.go).
	`CREATE INDEX history_sessions_user ON history_sessions(app, user_id, joined_ms)`,
}, {
	// The role, for the 104s of a dead node's users.
	`ALTER TABLE history_sessions ADD COLUMN role smallint NOT NULL DEFAULT 20`,
}}

// pgStatements are the statements of the records (samples go by COPY). The
// node is the last parameter of those that take it.
var pgStatements = [opEnd]string{
	opRoomCreated: `INSERT INTO history_rooms(app, room, str_room, comm_id, created_ms, destroyed_ms, creator, node)
		VALUES($1, $2, $3, $4, $5, NULL, $6, $7) ON CONFLICT DO NOTHING`,
	// The upsert records a room whose creation record was dropped.
	opRoomDestroyed: `INSERT INTO history_rooms(app, room, str_room, comm_id, created_ms, destroyed_ms, creator, node)
		VALUES($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT(app, str_room, room, created_ms) DO UPDATE SET destroyed_ms = excluded.destroyed_ms
		WHERE history_rooms.destroyed_ms IS NULL`,
	opSessionStarted: `INSERT INTO history_sessions(session, app, comm_id, room, user_id, joined_ms, left_ms, device_type, sdk_version, client_ip, role, node)
		VALUES($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
	opSessionEnded: `UPDATE history_sessions SET left_ms = $1 WHERE session = $2 AND left_ms IS NULL`,
	opSessionRole:  `UPDATE history_sessions SET role = $1 WHERE session = $2`,
}

// sampleColumns are history_samples' columns in COPY order.
var sampleColumns = append([]string{"app", "comm_id", "session", "user_id", "peer_id", "ts_ms"}, metricColumns[1:]...)

// MaxNodeName bounds Options.Node.
const MaxNodeName = 128

// OpenPostgres connects to the database at dsn (a postgres:// URL or a
// keyword=value string), creates or migrates the history tables, closes
// what opt.Node left open when it last stopped without shutting down, and
// starts the writer.
func OpenPostgres(ctx context.Context, dsn string, opt Options) (*Postgres, error) {
	opt = opt.withDefaults()
	if len(opt.Node) > MaxNodeName {
		return nil, fmt.Errorf("store: node name longer than %d bytes", MaxNodeName)
	}
	pool, err := pgschema.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := pgschema.Migrate(ctx, pool, pgComponent, pgSchema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Postgres{pool: pool, node: opt.Node}
	s.writer = newWriter(s, opt)
	closeOwn := func() error { return s.CloseNode(ctx, opt.Node) }
	if opt.Leftovers != nil {
		closeOwn = func() error { return s.TakeOverNode(ctx, opt.Node, opt.Leftovers) }
	}
	if err := closeOwn(); err != nil {
		pool.Close()
		return nil, err
	}
	s.purgeAll(ctx)
	go s.run()
	return s, nil
}

// Node is the name under which this store records rooms and sessions.
func (s *Postgres) Node() string { return s.node }

// CloseNode ends what node left open: a session at its last sample (or its
// join), a room at its last session's end (or its creation). A node calls
// it for itself at Open; the cluster calls it for a node whose registration
// expired.
func (s *Postgres) CloseNode(ctx context.Context, node string) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := closeNodeTx(ctx, tx, node); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// closeNodeTx closes what node left open, in tx.
func closeNodeTx(ctx context.Context, tx pgx.Tx, node string) error {
	if _, err := tx.Exec(ctx, `UPDATE history_sessions s SET left_ms = GREATEST(s.joined_ms,
		COALESCE((SELECT MAX(x.ts_ms) FROM history_samples x WHERE x.session = s.session), s.joined_ms))
		WHERE s.left_ms IS NULL AND s.node = $1`, node); err != nil {
		return fmt.Errorf("store: close sessions left open: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE history_rooms r SET destroyed_ms = GREATEST(r.created_ms,
		COALESCE((SELECT MAX(x.left_ms) FROM history_sessions x WHERE x.app = r.app AND x.comm_id = r.comm_id), r.created_ms))
		WHERE r.destroyed_ms IS NULL AND r.node = $1`, node); err != nil {
		return fmt.Errorf("store: close rooms left open: %w", err)
	}
	return nil
}

// Close stops taking records, commits what is queued, and closes the pool.
// Later writes are dropped and counted; later reads fail with ErrClosed.
// Close is idempotent.
func (s *Postgres) Close() error {
	return s.shutdown(func() error {
		s.pool.Close()
		return nil
	})
}

// write runs the room and session records of batch in order, in one round
// trip, then copies its samples, all in one transaction.
func (s *Postgres) write(ctx context.Context, batch []op) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var b pgx.Batch
	var samples [][]any
	for i := range batch {
		o := &batch[i]
		switch o.kind {
		case opBarrier:
		case opSample:
			samples = append(samples, pgText(o.args()))
		case opSessionEnded, opSessionRole:
			b.Queue(pgStatements[o.kind], pgText(o.args())...)
		default:
			b.Queue(pgStatements[o.kind], pgText(append(o.args(), s.node))...)
		}
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("rooms and sessions: %w", err)
		}
	}
	if len(samples) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"history_samples"}, sampleColumns, pgx.CopyFromRows(samples)); err != nil {
			return fmt.Errorf("samples: %w", err)
		}
	}
	return tx.Commit(ctx)
}

var pgPurgeStatements = [len(purgeTables)]string{
	`DELETE FROM history_samples WHERE ctid IN (SELECT ctid FROM history_samples WHERE ts_ms < $1 LIMIT 5000)`,
	`DELETE FROM history_sessions WHERE ctid IN (SELECT ctid FROM history_sessions WHERE left_ms < $1 LIMIT 5000)`,
	`DELETE FROM history_rooms WHERE ctid IN (SELECT ctid FROM history_rooms WHERE destroyed_ms < $1 LIMIT 5000)`,
}

func (s *Postgres) purge(ctx context.Context, table int, cutoff int64) (int64, error) {
	tag, err := s.pool.Exec(ctx, pgPurgeStatements[table], cutoff)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// pgArgs builds a statement's numbered parameters.
type pgArgs []any

// add appends v and returns its placeholder.
func (a *pgArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// readTx runs f in a read-only repeatable-read transaction: a count and a
// page see the same rows.
func (s *Postgres) readTx(ctx context.Context, f func(pgx.Tx) error) error {
	if s.isClosed() {
		return ErrClosed
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Rooms returns a page of the rooms that match q, oldest first, and how
// many match in all.
func (s *Postgres) Rooms(ctx context.Context, q RoomQuery) ([]Room, int, error) {
	if q.Offset < 0 || q.Limit < 0 || q.To.Before(q.From) {
		return nil, 0, ErrQuery
	}
	var args pgArgs
	where := `app = ` + args.add(int64(q.App)) + ` AND created_ms <= ` + args.add(q.To.UnixMilli()) +
		` AND (destroyed_ms IS NULL OR destroyed_ms >= ` + args.add(q.From.UnixMilli()) + `)`
	if q.RoomID != "" {
		where += ` AND room = ` + args.add(q.RoomID)
	}
	var out []Room
	var total int
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM history_rooms WHERE `+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count rooms: %w", err)
		}
		out = []Room{}
		if q.Limit == 0 || q.Offset >= total {
			return nil
		}
		page := append(pgArgs(nil), args...)
		rows, err := tx.Query(ctx, `SELECT room, str_room, created_ms, destroyed_ms, creator FROM history_rooms WHERE `+where+
			` ORDER BY created_ms, id LIMIT `+page.add(q.Limit)+` OFFSET `+page.add(q.Offset), page...)
		if err != nil {
			return fmt.Errorf("store: list rooms: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			r := Room{App: q.App}
			var created int64
			var destroyed *int64
			var creator string
			if err := rows.Scan(&r.RoomID, &r.StrRoom, &created, &destroyed, &creator); err != nil {
				return fmt.Errorf("store: list rooms: %w", err)
			}
			r.Created, r.Destroyed, r.Creator = fromMs(created), fromMsPtr(destroyed), trtc.UserID(creator)
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: list rooms: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Sessions returns a page of the sessions that match q, in order of
// joining, and how many match in all.
func (s *Postgres) Sessions(ctx context.Context, q SessionQuery) ([]Session, int, error) {
	if q.Offset < 0 || q.Limit < 0 || q.To.Before(q.From) {
		return nil, 0, ErrQuery
	}
	var args pgArgs
	where := `app = ` + args.add(int64(q.App)) + ` AND comm_id = ` + args.add(q.CommID) + ` AND joined_ms <= ` +
		args.add(q.To.UnixMilli()) + ` AND (left_ms IS NULL OR left_ms >= ` + args.add(q.From.UnixMilli()) + `)`
	if q.Users != nil {
		where += ` AND user_id = ANY(` + args.add(userStrings(q.Users)) + `)`
	}
	var out []Session
	var total int
	err := s.readTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM history_sessions WHERE `+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count sessions: %w", err)
		}
		out = []Session{}
		if q.Limit == 0 || q.Offset >= total {
			return nil
		}
		page := append(pgArgs(nil), args...)
		rows, err := tx.Query(ctx, `SELECT session, room, user_id, joined_ms, left_ms, device_type, sdk_version, client_ip
			FROM history_sessions WHERE `+where+` ORDER BY joined_ms, session COLLATE "C" LIMIT `+page.add(q.Limit)+` OFFSET `+page.add(q.Offset), page...)
		if err != nil {
			return fmt.Errorf("store: list sessions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			x := Session{App: q.App, CommID: q.CommID}
			var user string
			var joined int64
			var left *int64
			if err := rows.Scan(&x.ID, &x.RoomID, &user, &joined, &left, &x.DeviceType, &x.SDKVersion, &x.ClientIP); err != nil {
				return fmt.Errorf("store: list sessions: %w", err)
			}
			x.UserID, x.Joined, x.Left = trtc.UserID(user), fromMs(joined), fromMsPtr(left)
			out = append(out, x)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: list sessions: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Series returns the quality series of q, in the order SQLite.Series
// documents.
func (s *Postgres) Series(ctx context.Context, q SeriesQuery) ([]Series, error) {
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
	var args pgArgs
	st := args.add(step)
	query := `SELECT user_id, peer_id, (ts_ms / ` + st + `) * ` + st + ` AS bucket, ` + strings.Join(cols, ", ") + `
		FROM history_samples WHERE app = ` + args.add(int64(q.App)) + ` AND comm_id = ` + args.add(q.CommID) +
		` AND user_id = ANY(` + args.add(userStrings(q.Users)) + `) AND ts_ms BETWEEN ` + args.add(q.From.UnixMilli()) +
		` AND ` + args.add(q.To.UnixMilli()) + ` GROUP BY user_id, peer_id, bucket ORDER BY user_id COLLATE "C", peer_id COLLATE "C", bucket`
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read samples: %w", err)
	}
	defer rows.Close()
	acc := newSeriesBuilder(q)
	vals := make([]*float64, len(q.Metrics))
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
			if v != nil {
				acc.add(user, peer, i, bucket, *v)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read samples: %w", err)
	}
	return acc.result(), nil
}

// pgText makes the text arguments storable: PostgreSQL's text holds
// neither NUL bytes nor invalid UTF-8, and one such value from a client
// would fail the whole batch.
func pgText(args []any) []any {
	for i, a := range args {
		if v, ok := a.(string); ok && !validText(v) {
			args[i] = strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "")
		}
	}
	return args
}

func validText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func userStrings(users []trtc.UserID) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = string(u)
	}
	return out
}

func fromMsPtr(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMilli(*v)
}

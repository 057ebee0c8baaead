package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rtcengine/rtcengine/internal/pgschema"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// The PostgreSQL outbox lets the nodes of a cluster share the webhook
// events: any node appends (a committed INSERT before the action is
// acknowledged), any live node delivers.
//
// Order. Each app has a row in webhook_apps that carries a lease. A node
// attempts an app's oldest event only after taking the lease in a
// transaction that locks the app's row (SELECT … FOR UPDATE SKIP LOCKED):
// one attempt at a time per app in the whole cluster, always of the oldest
// event. The lease is released with the attempt's outcome, fenced by a
// token that every claim increments: a node whose lease ran out and was
// taken over cannot record anything. A node that dies mid-attempt holds the
// lease until it runs out (Config.Lease); another node then attempts the
// event again, with the same EventId. Appends of one app are serialized by
// a transaction-scoped advisory lock so that ids are committed in order:
// a claimer never sees event n+1 before event n.
//
// Schedule. The attempts of the head and the app's failure streak are
// columns, so the retry schedule of §8.1 goes on where it was when the node
// that was following it dies.

// pgComponent is the outbox's name in rtcengine_schema.
const pgComponent = "webhook"

var pgSchema = [][]string{{
	`CREATE TABLE webhook_meta (
		one      boolean PRIMARY KEY DEFAULT true CHECK (one),
		instance bigint  NOT NULL
	)`,
	// The instance names the outbox in EventIds, as a file outbox's does.
	`INSERT INTO webhook_meta(instance) VALUES ((floor(random() * 9.2e18))::bigint)`,
	`CREATE TABLE webhook_events (
		id              bigserial PRIMARY KEY,
		app             bigint  NOT NULL,
		type            integer NOT NULL,
		info            bytea   NOT NULL,
		created_ms      bigint  NOT NULL,
		attempts        integer NOT NULL DEFAULT 0,
		next_attempt_ms bigint  NOT NULL DEFAULT 0
	)`,
	`CREATE INDEX webhook_events_app ON webhook_events(app, id)`,
	`CREATE TABLE webhook_apps (
		app              bigint PRIMARY KEY,
		lease_owner      text,
		lease_until      timestamptz,
		token            bigint NOT NULL DEFAULT 0,
		failing_since_ms bigint
	)`,
}}

// notifyChannel carries the app of each appended event to every node.
const notifyChannel = "rtcengine_webhook"

// appendLockBase is the high half of the advisory lock key of an app's
// appends ("wh"); the low half is the app.
const appendLockBase int64 = 0x7768 << 32

// pgAppendTimeout bounds one append: the room waits for it.
const pgAppendTimeout = 5 * time.Second

// pgOpTimeout bounds the outbox's other statements.
const pgOpTimeout = 10 * time.Second

// OpenPostgres opens the webhook outbox in the PostgreSQL database at dsn,
// creating or migrating its tables, and starts delivering the events of
// cfg.Apps that are pending there, whichever node appended them. cfg.Dir is
// not used.
func OpenPostgres(ctx context.Context, dsn string, cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	pool, err := pgschema.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	// Claims and outcomes may be lost with the server (the event is then
	// attempted again): they need not wait for the disk. Appends do.
	lease, err := pgschema.Open(ctx, dsn, pgschema.AsyncCommit)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("webhook: %w", err)
	}
	b := &pgBackend{pool: pool, lease: lease, lanes: map[trtc.SDKAppID]*pgLane{}}
	if err := b.init(ctx, cfg); err != nil {
		pool.Close()
		lease.Close()
		return nil, err
	}
	s := newService(cfg)
	b.svc = s
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	b.owner = cfg.Node + "/" + hex.EncodeToString(rnd[:])
	for _, a := range cfg.Apps {
		b.lanes[a.ID] = &pgLane{b: b, app: a, wake: make(chan struct{}, 1)}
	}
	b.found = b.pending()
	if b.found > 0 {
		cfg.Logger.Info("webhook: delivering events pending in PostgreSQL", "events", b.found)
	}
	// Listening before Open returns: an event appended by another node
	// from now on wakes this one.
	conn, err := b.listenConn(ctx, dsn)
	if err != nil {
		pool.Close()
		lease.Close()
		return nil, fmt.Errorf("webhook: listen: %w", err)
	}
	b.listenCtx, b.stopListen = context.WithCancel(context.Background())
	b.listening.Add(1)
	go b.listen(dsn, conn)
	s.start(b)
	return s, nil
}

// pgBackend is the outbox in PostgreSQL.
type pgBackend struct {
	svc      *Service
	pool     *pgxpool.Pool // appends and counts
	lease    *pgxpool.Pool // claims and outcomes, committed asynchronously
	lanes    map[trtc.SDKAppID]*pgLane
	instance uint64
	owner    string // lease owner: node name and a random suffix per process
	found    int
	lastPend atomic.Int64 // the last count pending() read, for when it cannot

	listenCtx  context.Context
	stopListen context.CancelFunc
	listening  sync.WaitGroup
}

// init migrates the schema, reads the instance and registers the apps.
func (b *pgBackend) init(ctx context.Context, cfg Config) error {
	if err := pgschema.Migrate(ctx, b.pool, pgComponent, pgSchema); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	var inst int64
	if err := b.pool.QueryRow(ctx, `SELECT instance FROM webhook_meta`).Scan(&inst); err != nil {
		return fmt.Errorf("webhook: read outbox instance: %w", err)
	}
	b.instance = uint64(inst)
	apps := make([]int64, len(cfg.Apps))
	for i, a := range cfg.Apps {
		apps[i] = int64(a.ID)
	}
	if _, err := b.pool.Exec(ctx, `INSERT INTO webhook_apps(app) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING`, apps); err != nil {
		return fmt.Errorf("webhook: register apps: %w", err)
	}
	return nil
}

func (b *pgBackend) lane(app trtc.SDKAppID) lane { return b.lanes[app] }

// append inserts the event and tells every node, in one statement: the
// advisory lock orders the app's appends, the notification goes out when
// the insert commits.
func (b *pgBackend) append(app trtc.SDKAppID, typ EventType, info []byte, _ bool) (bool, error) {
	if len(info) > maxRecordBytes {
		return false, ErrEventTooLarge
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgAppendTimeout)
	defer cancel()
	var id int64
	err := b.pool.QueryRow(ctx, `WITH l AS (SELECT pg_advisory_xact_lock($1)),
		ins AS (INSERT INTO webhook_events(app, type, info, created_ms) SELECT $2, $3, $4, $5 FROM l RETURNING id)
		SELECT id FROM ins, pg_notify('`+notifyChannel+`', $6)`,
		appendLockBase|int64(app), int64(app), int(typ), info, b.svc.cfg.Clock.Now().UnixMilli(),
		strconv.FormatUint(uint64(app), 10)).Scan(&id)
	if err != nil {
		b.svc.unsaved.Add(1)
		return false, fmt.Errorf("webhook: store event in PostgreSQL (the event is lost): %w", err)
	}
	b.lanes[app].poke()
	return true, nil
}

// pending counts the pending events of the configured apps, cluster-wide.
func (b *pgBackend) pending() int {
	apps := make([]int64, 0, len(b.lanes))
	for a := range b.lanes {
		apps = append(apps, int64(a))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var n int64
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_events WHERE app = ANY($1)`, apps).Scan(&n); err != nil {
		return int(b.lastPend.Load())
	}
	b.lastPend.Store(n)
	return int(n)
}

func (b *pgBackend) recovered() int { return b.found }
func (b *pgBackend) syncs() uint64  { return 0 }

func (b *pgBackend) close() error {
	b.stopListen()
	b.listening.Wait()
	b.pool.Close()
	b.lease.Close()
	return nil
}

// listenConn connects and listens for the notifications of appends.
func (b *pgBackend) listenConn(ctx context.Context, dsn string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

// listen wakes the lanes on the notifications of appends, on a connection
// of its own, reconnecting after a failure. Lanes poll too, so a lost
// notification costs at most Config.Poll.
func (b *pgBackend) listen(dsn string, conn *pgx.Conn) {
	defer b.listening.Done()
	ctx := b.listenCtx
	log := b.svc.cfg.Logger
	for {
		err := b.wakeOnNotifications(ctx, conn)
		conn.Close(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return
		}
		log.Warn("webhook: PostgreSQL notifications lost; polling until they are back", "err", err)
		for conn = nil; conn == nil; {
			// Every lane looks now: something may have been appended
			// meanwhile.
			for _, l := range b.lanes {
				l.poke()
			}
			t := time.NewTimer(b.svc.cfg.Poll)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			conn, _ = b.listenConn(ctx, dsn)
		}
	}
}

func (b *pgBackend) wakeOnNotifications(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		app, err := strconv.ParseUint(n.Payload, 10, 32)
		if err != nil {
			continue
		}
		if l := b.lanes[trtc.SDKAppID(app)]; l != nil {
			l.poke()
		}
	}
}

// pgLane is one app's lane in PostgreSQL.
type pgLane struct {
	b    *pgBackend
	app  App
	wake chan struct{}
	// Only the lane's goroutine touches these.
	//
	// next is the head that the last settle claimed in its transaction:
	// a busy app costs one transaction per event.
	next *claim
	// lastTrim is when the backlog was last trimmed to MaxPending.
	lastTrim time.Time
}

func (l *pgLane) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// claim waits until the app's head is due and its lease free, and takes
// the lease. It looks when told (an append, here or elsewhere), when the
// head's next attempt or another node's lease is due, and every Poll.
func (l *pgLane) claim(ctx context.Context) *claim {
	if c := l.next; c != nil {
		l.next = nil
		if ctx.Err() != nil {
			l.settle(c, outcome{verdict: verdictAbandoned, attempts: c.attempts, failingSince: c.failingSince})
			return nil
		}
		return c
	}
	cfg := &l.b.svc.cfg
	for {
		c, due, err := l.tryClaim(ctx)
		if c != nil {
			return c
		}
		if err != nil && ctx.Err() == nil {
			cfg.Logger.Warn("webhook: claim in PostgreSQL failed", "app", uint32(l.app.ID), "err", err)
		}
		wait := cfg.Poll
		if !due.IsZero() {
			wait = min(wait, max(due.Sub(cfg.Clock.Now()), time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-l.wake:
			t.Stop()
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// head is the app's lease and head event.
type head struct {
	leaseLeftMs int64
	failing     *int64
	id          *int64
	typ         int32
	info        []byte
	attempts    int32
	next        int64
}

// readHead locks the app's row, unless another node holds that lock now
// (pgx.ErrNoRows), and reads its lease and head. Two statements: in READ
// COMMITTED the second one's snapshot is taken after the lock, so it sees
// what the previous holder of the lock committed (a head it deleted).
func (l *pgLane) readHead(ctx context.Context, tx pgx.Tx) (head, error) {
	var h head
	err := tx.QueryRow(ctx, `SELECT COALESCE(EXTRACT(EPOCH FROM (lease_until - clock_timestamp())) * 1000, 0)::bigint, failing_since_ms
		FROM webhook_apps WHERE app = $1 FOR UPDATE SKIP LOCKED`, int64(l.app.ID)).Scan(&h.leaseLeftMs, &h.failing)
	if err != nil || h.leaseLeftMs > 0 {
		return h, err
	}
	var id int64
	err = tx.QueryRow(ctx, `SELECT id, type, info, attempts, next_attempt_ms FROM webhook_events
		WHERE app = $1 ORDER BY id LIMIT 1`, int64(l.app.ID)).Scan(&id, &h.typ, &h.info, &h.attempts, &h.next)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, nil
	}
	if err == nil {
		h.id = &id
	}
	return h, err
}

// take leases the head h that tx has read for one attempt, and returns the
// claim; nil when there is no head or it is not due yet (then due says
// when it will be).
func (l *pgLane) take(ctx context.Context, tx pgx.Tx, h head) (c *claim, due time.Time, err error) {
	b := l.b
	cfg := &b.svc.cfg
	if h.id == nil {
		return nil, time.Time{}, nil
	}
	if due := time.UnixMilli(h.next); due.After(cfg.Clock.Now()) {
		return nil, due, nil
	}
	c = &claim{ev: &stored{app: l.app.ID, lsn: uint64(*h.id), typ: EventType(h.typ), info: h.info}, attempts: int(h.attempts)}
	if err := tx.QueryRow(ctx, `UPDATE webhook_apps SET lease_owner = $2, lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond',
		token = token + 1 WHERE app = $1 RETURNING token`, int64(l.app.ID), b.owner, cfg.Lease.Milliseconds()).Scan(&c.token); err != nil {
		return nil, time.Time{}, err
	}
	c.ev.id = eventID(b.instance, c.ev.lsn)
	if h.failing != nil {
		c.failingSince = time.UnixMilli(*h.failing)
	}
	return c, time.Time{}, nil
}

// tryClaim takes the app's head if it may be attempted now. Otherwise it
// returns when to look again (zero: when told or at the next poll).
func (l *pgLane) tryClaim(ctx context.Context) (*claim, time.Time, error) {
	b := l.b
	cfg := &b.svc.cfg
	ctx, cancel := context.WithTimeout(ctx, pgOpTimeout)
	defer cancel()
	tx, err := b.lease.Begin(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer tx.Rollback(ctx)
	h, err := l.readHead(ctx, tx)
	if errors.Is(err, pgx.ErrNoRows) {
		// Another node is claiming or settling right now.
		return nil, cfg.Clock.Now().Add(10 * time.Millisecond), nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if h.leaseLeftMs > 0 {
		// Another node is attempting the head; look again when its lease
		// runs out (it settles sooner, and an append or the poll wakes us).
		return nil, cfg.Clock.Now().Add(time.Duration(h.leaseLeftMs) * time.Millisecond), nil
	}
	c, due, err := l.take(ctx, tx, h)
	if err != nil {
		return nil, time.Time{}, err
	}
	var trimmed int64
	if c == nil && !due.IsZero() {
		// The receiver is failing: meanwhile, keep the backlog under
		// MaxPending (at most once per Poll).
		if now := time.Now(); now.Sub(l.lastTrim) >= cfg.Poll {
			l.lastTrim = now
			if trimmed, err = l.trim(ctx, tx, *h.id); err != nil {
				return nil, due, err
			}
		}
	}
	if c == nil && trimmed == 0 {
		return nil, due, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, due, err
	}
	l.given(trimmed)
	return c, due, nil
}

// settle records the outcome and releases the lease, if the lease is still
// this claim's. A failed attempt also gives up what is past MaxPending. When
// the event is done and the next one is due, the same transaction claims
// it (l.next).
func (l *pgLane) settle(c *claim, out outcome) {
	b := l.b
	cfg := &b.svc.cfg
	// Counted before the event leaves the table (the POST's outcome stands
	// whatever becomes of the transaction).
	b.svc.count(out)
	ctx, cancel := context.WithTimeout(context.Background(), pgOpTimeout)
	defer cancel()
	var trimmed int64
	var next *claim
	err := pgx.BeginFunc(ctx, b.lease, func(tx pgx.Tx) error {
		trimmed, next = 0, nil
		var failing *int64
		if !out.failingSince.IsZero() {
			ms := out.failingSince.UnixMilli()
			failing = &ms
		}
		tag, err := tx.Exec(ctx, `UPDATE webhook_apps SET lease_owner = NULL, lease_until = NULL, failing_since_ms = $3
			WHERE app = $1 AND token = $2`, int64(l.app.ID), c.token, failing)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errLeaseLost
		}
		switch out.verdict {
		case verdictDelivered, verdictGivenUp:
			_, err = tx.Exec(ctx, `DELETE FROM webhook_events WHERE id = $1`, c.ev.lsn)
		case verdictRetry:
			_, err = tx.Exec(ctx, `UPDATE webhook_events SET attempts = $2, next_attempt_ms = $3 WHERE id = $1`,
				c.ev.lsn, out.attempts, out.next.UnixMilli())
		}
		if err != nil {
			return err
		}
		if out.verdict == verdictRetry || out.verdict == verdictGivenUp {
			if trimmed, err = l.trim(ctx, tx, int64(c.ev.lsn)); err != nil {
				return err
			}
		}
		if out.verdict != verdictDelivered && out.verdict != verdictGivenUp {
			return nil
		}
		// The app's row is locked by the UPDATE above: the head read now
		// is the app's, and nobody else's to claim.
		h, err := l.readHead(ctx, tx)
		if err != nil {
			return err
		}
		next, _, err = l.take(ctx, tx, h)
		return err
	})
	switch {
	case errors.Is(err, errLeaseLost):
		cfg.Logger.Warn("webhook: lease ran out during an attempt; another node attempts the event again", "app", uint32(l.app.ID), "event", c.ev.id, "lease", cfg.Lease)
	case err != nil:
		cfg.Logger.Warn("webhook: outcome not recorded in PostgreSQL; the event is attempted again after the lease", "app", uint32(l.app.ID), "event", c.ev.id, "err", err)
	default:
		l.next = next
		l.given(trimmed)
	}
}

// errLeaseLost: the claim's lease was taken over.
var errLeaseLost = errors.New("webhook: lease lost")

// trim gives up the oldest events after the head beyond MaxPending, in
// tx (on the lease pool: given-up events that come back after a server
// crash are given up again); the caller reports them with given once tx
// has committed.
func (l *pgLane) trim(ctx context.Context, tx pgx.Tx, head int64) (int64, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM webhook_events WHERE app = $1 AND id > $2 AND id < COALESCE((
		SELECT min(id) FROM (SELECT id FROM webhook_events WHERE app = $1 ORDER BY id DESC LIMIT $3) AS newest), 9223372036854775807)`,
		int64(l.app.ID), head, l.b.svc.cfg.MaxPending-1)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// given counts and logs events that trim gave up.
func (l *pgLane) given(n int64) {
	if n == 0 {
		return
	}
	cfg := &l.b.svc.cfg
	l.b.svc.givenUp.Add(uint64(n))
	l.b.svc.notify()
	cfg.Logger.Warn("webhook: events given up, too many pending", "app", uint32(l.app.ID), "events", n, "max_pending", cfg.MaxPending)
}

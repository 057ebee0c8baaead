// Package pgschema creates and migrates the PostgreSQL tables of rtcengine's
// components (the history store, the webhook outbox). Each component has a
// version in the table rtcengine_schema; Migrate runs the steps the database
// has not seen yet, under a transaction-scoped advisory lock, so that nodes
// starting together on an empty database migrate it once.
package pgschema

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lockKey is the advisory lock of every migration ("rtcs" in ASCII).
const lockKey = 0x72746373

// ErrTooNew: the database was migrated by a newer build than this one.
var ErrTooNew = errors.New("pgschema: the database schema is newer than this build")

// Migrate brings component to version len(steps): steps[i] holds the
// statements that take it from version i to i+1. All pending steps run in
// one transaction: a failure leaves the database as it was.
func Migrate(ctx context.Context, pool *pgxpool.Pool, component string, steps [][]string) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgschema: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lockKey)); err != nil {
		return fmt.Errorf("pgschema: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS rtcengine_schema (
		component text PRIMARY KEY,
		version   integer NOT NULL
	)`); err != nil {
		return fmt.Errorf("pgschema: %w", err)
	}
	v := 0
	err = tx.QueryRow(ctx, `SELECT version FROM rtcengine_schema WHERE component = $1`, component).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgschema: read version of %s: %w", component, err)
	}
	if v > len(steps) {
		return fmt.Errorf("%w: %s is at version %d, this build knows %d", ErrTooNew, component, v, len(steps))
	}
	if v == len(steps) {
		return tx.Commit(ctx)
	}
	for i := v; i < len(steps); i++ {
		for _, q := range steps[i] {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("pgschema: %s version %d: %w", component, i+1, err)
			}
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO rtcengine_schema(component, version) VALUES($1, $2)
		ON CONFLICT (component) DO UPDATE SET version = excluded.version`, component, len(steps)); err != nil {
		return fmt.Errorf("pgschema: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgschema: %s: %w", component, err)
	}
	return nil
}

// Version reports the version of component (0 when it has none yet).
func Version(ctx context.Context, pool *pgxpool.Pool, component string) (int, error) {
	var v int
	err := pool.QueryRow(ctx, `SELECT version FROM rtcengine_schema WHERE component = $1`, component).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// Open connects a pool to dsn (a postgres:// URL or a keyword=value string;
// pool_max_conns and the other pgxpool parameters apply) and checks that the
// server answers before ctx ends. tune, if given, adjusts the pool's
// configuration first.
func Open(ctx context.Context, dsn string, tune ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	for _, f := range tune {
		f(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return pool, nil
}

// AsyncCommit makes a pool's transactions return before their commit
// reaches the disk (synchronous_commit off): a server crash may lose the
// last ones, never corrupt anything. For bookkeeping that may be redone.
func AsyncCommit(cfg *pgxpool.Config) {
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
}

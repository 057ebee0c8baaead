package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// TakeOverNode closes what node left open, as CloseNode does, and hands
// report what nobody continued elsewhere, in one transaction: when report
// fails nothing is closed (the caller tries again); when it succeeds the
// rows are closed, so a second takeover finds nothing to report.
func (s *Postgres) TakeOverNode(ctx context.Context, node string, report func(Leftovers) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback(ctx)
	rooms, roomIDs, err := leftRooms(ctx, tx, node)
	if err != nil {
		return err
	}
	gone, sessionIDs, err := leftSessions(ctx, tx, node)
	if err != nil {
		return err
	}
	if err := closeNodeTx(ctx, tx, node); err != nil {
		return err
	}
	// The times closeNodeTx chose.
	if err := scanTimes(ctx, tx, `SELECT session, left_ms FROM history_sessions WHERE session = ANY($1)`, sessionIDs, func(i int, ms int64) {
		gone[i].Left = time.UnixMilli(ms)
	}); err != nil {
		return err
	}
	if err := scanTimes(ctx, tx, `SELECT id::text, destroyed_ms FROM history_rooms WHERE id::text = ANY($1)`, roomIDs, func(i int, ms int64) {
		rooms[i].Destroyed = time.UnixMilli(ms)
	}); err != nil {
		return err
	}
	l := Leftovers{Gone: gone, Ended: rooms}
	l.sort()
	if err := report(l); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// leftRooms locks node's open rooms and returns those not created again
// elsewhere since, with their ids.
func leftRooms(ctx context.Context, tx pgx.Tx, node string) ([]LeftRoom, []string, error) {
	rows, err := tx.Query(ctx, `SELECT r.id::text, r.app, r.room, r.str_room,
		NOT EXISTS (SELECT 1 FROM history_rooms y WHERE y.app = r.app AND y.str_room = r.str_room AND y.room = r.room
			AND y.node <> r.node AND y.created_ms >= r.created_ms)
		FROM history_rooms r WHERE r.node = $1 AND r.destroyed_ms IS NULL ORDER BY r.id LIMIT $2 FOR UPDATE OF r`, node, maxLeftovers)
	if err != nil {
		return nil, nil, fmt.Errorf("store: rooms left open: %w", err)
	}
	defer rows.Close()
	var out []LeftRoom
	var ids []string
	for rows.Next() {
		var r LeftRoom
		var id string
		var app int64
		var ended bool
		if err := rows.Scan(&id, &app, &r.RoomID, &r.StrRoom, &ended); err != nil {
			return nil, nil, fmt.Errorf("store: rooms left open: %w", err)
		}
		if ended {
			r.App = trtc.SDKAppID(app)
			out = append(out, r)
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: rooms left open: %w", err)
	}
	return out, ids, nil
}

// leftSessions locks node's open sessions and returns those of users who
// did not enter the same room on another node since, with their ids.
func leftSessions(ctx context.Context, tx pgx.Tx, node string) ([]LeftSession, []string, error) {
	rows, err := tx.Query(ctx, `SELECT s.session, s.app, s.room, s.user_id, s.role,
		COALESCE((SELECT bool_or(r.str_room) FROM history_rooms r WHERE r.app = s.app AND r.comm_id = s.comm_id), false),
		NOT EXISTS (SELECT 1 FROM history_sessions y WHERE y.app = s.app AND y.user_id = s.user_id AND y.room = s.room
			AND y.node <> s.node AND y.joined_ms >= s.joined_ms)
		FROM history_sessions s WHERE s.node = $1 AND s.left_ms IS NULL ORDER BY s.joined_ms LIMIT $2 FOR UPDATE OF s`, node, maxLeftovers)
	if err != nil {
		return nil, nil, fmt.Errorf("store: sessions left open: %w", err)
	}
	defer rows.Close()
	var out []LeftSession
	var ids []string
	for rows.Next() {
		var x LeftSession
		var id, user string
		var app int64
		var role int16
		var gone bool
		if err := rows.Scan(&id, &app, &x.RoomID, &user, &role, &x.StrRoom, &gone); err != nil {
			return nil, nil, fmt.Errorf("store: sessions left open: %w", err)
		}
		if gone {
			x.App, x.UserID, x.Role = trtc.SDKAppID(app), trtc.UserID(user), trtc.Role(role)
			out = append(out, x)
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: sessions left open: %w", err)
	}
	return out, ids, nil
}

// scanTimes reads (id, ms) rows for ids and calls set with each id's index.
func scanTimes(ctx context.Context, tx pgx.Tx, query string, ids []string, set func(i int, ms int64)) error {
	if len(ids) == 0 {
		return nil
	}
	at := make(map[string]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	rows, err := tx.Query(ctx, query, ids)
	if err != nil {
		return fmt.Errorf("store: read closing times: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ms *int64
		if err := rows.Scan(&id, &ms); err != nil {
			return fmt.Errorf("store: read closing times: %w", err)
		}
		if i, ok := at[id]; ok && ms != nil {
			set(i, *ms)
		}
	}
	return rows.Err()
}

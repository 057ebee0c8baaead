package egress

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Relay tasks across server restarts (docs/cdn.md, "Restarts"). A relay
// task keeps its caller's description (PushParams.Record) in its state
// file; a restarted server lists the tasks its previous run left running
// (RecoverRelays) and can start each again under its old id.

// RelayRecord is a relay task the previous run of the server left running.
type RelayRecord struct {
	TaskID string
	App    trtc.SDKAppID
	// Record is the task's PushParams.Record.
	Record []byte
}

// savedRecord is the record kept in the task's state file. nil-safe.
func (s *pushSet) savedRecord() json.RawMessage {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.record) == 0 || !json.Valid(s.record) {
		return nil
	}
	return slices.Clone(s.record)
}

// SetRelayRecord replaces a running relay task's record (after an update)
// and saves it.
func (s *Service) SetRelayRecord(app trtc.SDKAppID, id string, rec []byte) error {
	t, err := s.relay(app, id)
	if err != nil {
		return err
	}
	t.push.mu.Lock()
	t.push.record = slices.Clone(rec)
	t.push.mu.Unlock()
	// Under t.mu: the end of the task (which sets StatusExited first)
	// writes its state after this one, never before or at once.
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status == StatusExited {
		return nil
	}
	return t.saveState(StatusInProgress, 0)
}

// RecoverRelays lists the relay tasks that were running when the previous
// run of the server ended (it shut down, crashed or was killed) and marks
// them ended
// on disk, so that a task is resumed at most by the next run: a task
// started again (PushParams.ResumeID) is marked running by Create. Call it
// once, before Create.
func (s *Service) RecoverRelays() ([]RelayRecord, error) {
	records, errs, err := readRecords(filepath.Join(s.cfg.Dir, "cdn", "*", "*", stateFile))
	if err != nil {
		return nil, err
	}
	var out []RelayRecord
	for _, r := range records {
		path, rec := r.path, r.rec
		// Running when the server died, or stopped by its shutdown.
		if rec.Status == StatusExited.String() && rec.LeaveCode != LeaveServerKicked {
			continue
		}
		dir := filepath.Dir(path)
		if rec.TaskID != filepath.Base(dir) || !validTaskID(rec.TaskID) || len(rec.Relay) == 0 {
			continue
		}
		rec.Status, rec.LeaveCode = StatusExited.String(), LeaveFailed
		if err := writeRecord(dir, rec); err != nil {
			errs = append(errs, fmt.Errorf("egress: %s: %w", path, err))
			continue
		}
		out = append(out, RelayRecord{TaskID: rec.TaskID, App: trtc.SDKAppID(rec.App), Record: rec.Relay})
	}
	return out, errors.Join(errs...)
}

// validTaskID accepts the ids newTaskID makes.
func validTaskID(id string) bool {
	b, err := hex.DecodeString(id)
	return err == nil && len(b) == 16
}

// writeRecord writes a state file atomically (temporary file, rename).
func writeRecord(dir string, rec taskRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

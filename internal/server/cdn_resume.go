package server

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Relay tasks across server restarts (docs/cdn.md, "Restarts"). Each task
// keeps its validated request, owner and SequenceNumber with the
// recorder's state of the task (egress.PushParams.Record); a restarted
// server starts every task its previous run left running again, under the
// same TaskId. A task that cannot be resumed (its app is gone, its record
// unreadable, the recorder refuses it) stays describable as Exited, with
// the reason, for relayRetention.

// relayRecord is what a relay task persists.
type relayRecord struct {
	Request api.CdnRequest `json:"request"`
	Owner   trtc.UserID    `json:"owner,omitempty"`
	Seq     uint64         `json:"seq"`
	SeqSet  bool           `json:"seqSet,omitempty"`
}

// record encodes the task's relayRecord; r.mu held, or t not shared yet.
func (t *relayTask) record() ([]byte, error) {
	return json.Marshal(relayRecord{Request: t.req, Owner: t.owner, Seq: t.seq, SeqSet: t.seqSet})
}

// resume starts again the relay tasks the previous run left running;
// Server.Start calls it once the server listens.
func (r *relayService) resume() {
	recs, err := r.rec.RecoverRelays()
	if err != nil {
		r.log.Warn("relay tasks of the previous run not all read", "err", err)
	}
	for _, rec := range recs {
		t := &relayTask{app: rec.App, resumed: true}
		var saved relayRecord
		switch err := json.Unmarshal(rec.Record, &saved); {
		case err != nil:
			t.lost = "its saved state is unreadable: " + err.Error()
		case saved.Request.Room.App != rec.App:
			t.lost = "its saved state names another app"
		default:
			t.req, t.owner, t.seq, t.seqSet = saved.Request, saved.Owner, saved.Seq, saved.SeqSet
			if _, ok := r.apps.Lookup(rec.App); !ok {
				t.lost = "its SdkAppId is no longer configured"
			}
		}
		if t.lost == "" {
			if _, err := r.launch(t, rec.TaskID); err != nil {
				var ae *api.Error
				if errors.As(err, &ae) {
					t.lost = ae.Message
				} else {
					t.lost = err.Error()
				}
			}
		}
		if t.lost == "" {
			r.log.Info("relay task resumed after a restart", "task", rec.TaskID, "room", t.req.Room.String())
			continue
		}
		r.log.Warn("relay task interrupted by a restart not resumed", "task", rec.TaskID, "reason", t.lost)
		r.mu.Lock()
		r.tasks[rec.TaskID] = t
		r.mu.Unlock()
		id := rec.TaskID
		time.AfterFunc(relayRetention, func() { r.forget(id) })
	}
}

package server

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"time"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/egress"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/internal/webhook"
	"github.com/rtcengine/rtcengine/usersig"
)

// recordingsDir is where recordings live under --data-dir.
const recordingsDir = "recordings"

// newRecorder builds the cloud recording service and registers its REST
// actions (docs/recording.md).
func (s *Server) newRecorder() *egress.Service {
	rec := egress.New(egress.Config{
		Dir:    filepath.Join(s.cfg.DataDir, recordingsDir),
		Media:  s.media,
		Events: recordingEvents{s.hooks},
		Logger: s.log,
		// VOD_COMMIT's VideoUrl (vod.go)
		VodBaseURL: s.vodBaseURL,
	})
	// Tasks a crash interrupted are reported ended (docs/recording.md).
	if n, err := rec.Recover(); err != nil || n > 0 {
		s.log.Warn("recording tasks interrupted by the previous run reported ended", "tasks", n, "err", err)
	}
	api.RegisterRecordingActions(s.api, recorderAdmin{rec: rec, apps: s.apps, now: time.Now})
	return rec
}

// Recorder exposes the recording service (tests).
func (s *Server) Recorder() *egress.Service { return s.rec }

// recordingEvents sends recording events to the app's webhook.
type recordingEvents struct{ w *webhooks }

func (r recordingEvents) RecordingEvent(e egress.Event) {
	if r.w == nil {
		return
	}
	payload, err := json.Marshal(e.Payload)
	if err != nil {
		payload = []byte("{}")
	}
	r.w.add(webhook.Event{Type: webhook.EventType(e.Type), Room: e.Room, At: e.At, UserID: e.UserID,
		TaskID: e.TaskID, Payload: payload})
}

// recorderAdmin adapts the recording service to the REST edge.
type recorderAdmin struct {
	rec  *egress.Service
	apps appTable
	now  func() time.Time
}

func (a recorderAdmin) CreateRecording(_ context.Context, r api.RecordingRequest) (string, error) {
	app, ok := a.apps.Lookup(r.Room.App)
	if !ok {
		return "", api.Errorf(api.CodeInvalidSDKAppID, "SdkAppId %d is not configured on this server.", uint32(r.Room.App))
	}
	// The robot's credentials are checked as an enter would check them.
	if err := usersig.VerifyUserSig(uint32(app.SDKAppID), app.Secret, string(r.UserID), r.UserSig, a.now()); err != nil {
		return "", api.Errorf(api.CodeInvalidUserSig, "UserSig is expired or wrong for UserId %q: %v", string(r.UserID), err)
	}
	f, err := compileSubscription(r.Subscription)
	if err != nil {
		return "", err
	}
	mix, err := mixParams(r.Mix) // recording_mix.go
	if err != nil {
		return "", err
	}
	id, err := a.rec.Create(egress.TaskParams{
		Mix:  mix,
		Room: r.Room, UserID: r.UserID,
		MaxIdleTime:     time.Duration(r.MaxIdleTime) * time.Second,
		StreamType:      int(r.StreamType),
		Filter:          f,
		MaxFileDuration: time.Duration(r.MaxFileMinutes) * time.Minute,
		OutputFormat:    int(r.OutputFormat),
		Output:          egress.OutputOf(int(r.OutputFormat)),
		Storage:         cloudStorage(r.Storage),
		Vod:             r.Vod != nil,
		Retention:       time.Duration(r.ResourceExpires) * time.Hour,
	})
	return id, recordingError(err)
}

func compileSubscription(s api.RecordingSubscription) (egress.Filter, error) {
	f, err := egress.CompileSubscription(egress.Subscription{
		Audio: s.SubscribeAudioUserIds, UnAudio: s.UnSubscribeAudioUserIds,
		Video: s.SubscribeVideoUserIds, UnVideo: s.UnSubscribeVideoUserIds,
	})
	if err != nil {
		return egress.Filter{}, api.Errorf(api.CodeInvalidParameter, "SubscribeStreamUserIds: %v", err)
	}
	return f, nil
}

// recordingOnly refuses the ids of relay tasks (StartPublishCdnStream),
// which share the recorder's task table: the recording actions do not see
// them, as on TRTC, where the two are different services.
func (a recorderAdmin) recordingOnly(app trtc.SDKAppID, id string) error {
	if a.rec.IsRelay(app, id) {
		return recordingError(egress.ErrTaskNotFound)
	}
	return nil
}

func (a recorderAdmin) DescribeRecording(_ context.Context, app trtc.SDKAppID, id string) (api.RecordingTask, error) {
	if err := a.recordingOnly(app, id); err != nil {
		return api.RecordingTask{}, err
	}
	info, err := a.rec.Describe(app, id)
	if err != nil {
		return api.RecordingTask{}, recordingError(err)
	}
	out := api.RecordingTask{TaskID: info.ID, Status: info.Status.String()}
	for _, f := range info.Files {
		out.StorageFileList = append(out.StorageFileList, api.RecordingFile{
			UserID: f.UserID, FileName: f.FileName, TrackType: f.TrackType, BeginTimeStamp: uint64(f.BeginTimeStamp),
			UploadStatus: f.UploadState, UploadError: f.UploadError,
		})
	}
	return out, nil
}

func (a recorderAdmin) ModifyRecording(_ context.Context, app trtc.SDKAppID, id string, s api.RecordingSubscription) error {
	if err := a.recordingOnly(app, id); err != nil {
		return err
	}
	f, err := compileSubscription(s)
	if err != nil {
		return err
	}
	return recordingError(a.rec.Modify(app, id, f))
}

func (a recorderAdmin) DeleteRecording(_ context.Context, app trtc.SDKAppID, id string) error {
	if err := a.recordingOnly(app, id); err != nil {
		return err
	}
	return recordingError(a.rec.Delete(app, id))
}

// recordingError maps the recorder's sentinels to API codes.
func recordingError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, egress.ErrTaskNotFound):
		return api.Errorf(api.CodeResourceNotFound, "No recording task with this TaskId (it may have ended and expired).")
	case errors.Is(err, egress.ErrTooManyTasks):
		return api.Errorf(api.CodeRestrictedConcurrency, "%v", err)
	case errors.Is(err, egress.ErrTaskExists):
		return api.Errorf(api.CodeTaskExist, "A recording task of this room already runs with this UserId.")
	case errors.Is(err, egress.ErrBadStorage):
		return api.Errorf(api.CodeInvalidParameter, "StorageParams.CloudStorage: %v", err)
	case errors.Is(err, egress.ErrClosed):
		return api.Errorf(api.CodeCRInternalError, "The server is shutting down.")
	}
	return api.Errorf(api.CodeCRInternalError, "%v", err)
}

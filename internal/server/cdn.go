package server

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/api"
	"github.com/rtcengine/rtcengine/internal/egress"
	"github.com/rtcengine/rtcengine/internal/trtc"
	"github.com/rtcengine/rtcengine/usersig"
)

// Mix transcoding and CDN relay (docs/cdn.md): the relay actions of the
// REST edge and the SDKs' PublishMediaStream messages are served by one
// relayService, which runs its tasks on the recording service (egress).

// relayRetention is how long an ended relay task stays describable.
const relayRetention = time.Hour

// relayService keeps what the recorder does not: each relay task's request
// (for updates) and its newest SequenceNumber.
type relayService struct {
	rec       *egress.Service
	apps      appTable
	now       func() time.Time
	signalURL func() string // where feedback robots enter (cdn_feedback.go)
	log       *slog.Logger
	// notify sends an event to a member (signaling.Server.NotifyMember).
	notify func(key trtc.RoomKey, user trtc.UserID, typ string, data any) bool

	mu    sync.Mutex
	tasks map[string]*relayTask
}

type relayTask struct {
	app    trtc.SDKAppID
	req    api.CdnRequest
	seq    uint64
	seqSet bool
	// owner is the SDK user that started the task ("" for the REST API).
	owner trtc.UserID
	// resumed: the task was started again after a server restart;
	// lost, if set, says why a task a restart interrupted was not
	// (cdn_resume.go).
	resumed bool
	lost    string
}

// newRelay builds the relay service and registers its REST actions.
func (s *Server) newRelay() *relayService {
	r := &relayService{rec: s.rec, apps: s.apps, now: time.Now, signalURL: s.SignalURL, log: s.log, tasks: map[string]*relayTask{},
		notify: s.signal.NotifyMember}
	api.RegisterRelayActions(s.api, r)
	s.signal.SetMediaStreams(sdkRelay{r}) // cdn_sdk.go
	return r
}

// StartCdn implements api.Relay.
func (r *relayService) StartCdn(_ context.Context, req api.CdnRequest) (string, error) {
	app, ok := r.apps.Lookup(req.Room.App)
	if !ok {
		return "", api.Errorf(api.CodeInvalidSDKAppID, "SdkAppId %d is not configured on this server.", uint32(req.Room.App))
	}
	if err := usersig.VerifyUserSig(uint32(app.SDKAppID), app.Secret, string(req.UserID), req.UserSig, r.now()); err != nil {
		return "", api.Errorf(api.CodeInvalidUserSig, "AgentParams.UserSig is expired or wrong for UserId %q: %v", string(req.UserID), err)
	}
	if err := r.checkFeedBackSigs(req); err != nil {
		return "", err
	}
	return r.start(req, "")
}

// start runs a validated, authorized request.
func (r *relayService) start(req api.CdnRequest, owner trtc.UserID) (string, error) {
	return r.launch(&relayTask{app: req.Room.App, req: req, owner: owner}, "")
}

// launch runs task t: a new one, or one a restart interrupted under its
// old id resume (cdn_resume.go).
func (r *relayService) launch(t *relayTask, resume string) (string, error) {
	req, owner := t.req, t.owner
	mix := relayMix(req)
	if err := r.checkLayout(mix); err != nil {
		return "", err
	}
	f, err := relayFilter(req)
	if err != nil {
		return "", err
	}
	streams := egress.StreamAudioVideo
	if !req.Encode.Video {
		streams = egress.StreamAudioOnly
	}
	record, err := t.record()
	if err != nil {
		return "", api.Errorf(api.CodeInternalError, "%v", err)
	}
	push := &egress.PushParams{URLs: req.URLs, Video: req.Encode.Video, Feeds: r.feeds(req, mix),
		Record: record, ResumeID: resume}
	var id string
	if owner != "" { // an SDK's task: its member hears the targets' states (cdn_sdk.go)
		ready := make(chan struct{})
		defer close(ready)
		push.OnState = func(target string, st egress.PushState, failure string) {
			<-ready // the first states can come before Create returned the id
			r.notifyState(req.Room, owner, id, target, st, failure)
		}
	}
	id, err = r.rec.Create(egress.TaskParams{
		Room: req.Room, UserID: req.UserID,
		MaxIdleTime: time.Duration(req.MaxIdleTime) * time.Second,
		StreamType:  streams,
		Filter:      f,
		Mix:         &mix,
		Push:        push,
		Retention:   relayRetention,
	})
	if err != nil {
		return "", relayError(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for old, t := range r.tasks { // forget tasks past their retention
		if _, err := r.rec.Describe(t.app, old); t.lost == "" && errors.Is(err, egress.ErrTaskNotFound) {
			delete(r.tasks, old)
		}
	}
	r.tasks[id] = t
	return id, nil
}

func (r *relayService) checkLayout(mix egress.MixParams) error {
	if mix.Width == 0 {
		return nil // audio only
	}
	if err := egress.CheckLayout(mix.Layout, mix.Width, mix.Height); err != nil {
		return api.Errorf(api.CodeOutOfRange, "VideoParams.LayoutParams: %v", err)
	}
	return nil
}

// relayMix maps a request to the mixer's parameters. Pass-through
// (WithTranscoding 0) is a mix of one window: the user's stream on the
// whole canvas, fitted on black.
func relayMix(req api.CdnRequest) egress.MixParams {
	e := req.Encode
	p := egress.MixParams{
		SampleRate: e.SampleRate, Channels: e.Channels, AudioBitRate: e.AudioKbps * 1000,
		Fps: 25, Gop: 1, // audio only: the mixer's clock still ticks
	}
	if e.Video {
		kbps := e.VideoKbps
		if kbps == 0 {
			kbps = api.AutoVideoKbps(e.Width, e.Height, e.Fps)
		}
		p.Width, p.Height, p.Fps, p.Gop, p.VideoBitRate = e.Width, e.Height, e.Fps, e.Gop, kbps*1000
	}
	p.Layout = relayLayout(req)
	p.PassThrough = req.Single != nil // H.264 is copied (egress cdncopy.go)
	return p
}

func relayLayout(req api.CdnRequest) egress.MixLayout {
	fits := []egress.Fit{egress.FitCrop, egress.FitPad, egress.FitBlack}
	if req.Single != nil {
		return egress.MixLayout{Mode: egress.LayoutCustom, Fit: egress.FitBlack, Windows: []egress.MixWindow{{
			Width: req.Encode.Width, Height: req.Encode.Height,
			UserID: req.Single.UserID, Sub: req.Single.Sub, Fit: egress.FitBlack,
		}}}
	}
	l := req.Layout
	out := egress.MixLayout{Mode: l.Mode, Background: l.Background, Fit: fits[l.Fit],
		BackgroundImage: l.BackgroundImageURL,
		BackgroundFit:   []egress.Fit{egress.FitCrop, egress.FitPad, egress.FitBlack, egress.FitStretch, egress.FitStretch}[l.BackgroundImageRenderMode]}
	for _, w := range l.Watermarks {
		out.Watermarks = append(out.Watermarks, egress.MixWatermark{URL: w.URL, Left: w.Left, Top: w.Top, Width: w.Width, Height: w.Height})
	}
	if l.MaxVideoUser != nil {
		out.MaxResolutionUser, out.MaxResolutionSub = trtc.UserID(l.MaxVideoUser.UserID), l.MaxVideoUser.Sub
	}
	for _, w := range l.Windows {
		out.Windows = append(out.Windows, egress.MixWindow{
			Top: w.Top, Left: w.Left, Width: w.Width, Height: w.Height,
			UserID: w.Stream.UserID, Sub: w.Stream.Sub, Layer: w.ZOrder, Fit: fits[w.Fit],
			Placeholder: w.Placeholder,
		})
	}
	return out
}

// relayFilter says whose streams the task takes: the one user of a
// pass-through, else every video (the layout picks) and the audio lists.
func relayFilter(req api.CdnRequest) (egress.Filter, error) {
	robots := feedBackUsers(req)
	s := egress.Subscription{Audio: req.AudioIn, UnAudio: slices.Concat(req.AudioOut, robots), UnVideo: robots}
	if req.Single != nil {
		s = egress.Subscription{Audio: []string{req.Single.UserID}, Video: []string{req.Single.UserID}}
	}
	f, err := egress.CompileSubscription(s)
	if err != nil {
		return egress.Filter{}, api.Errorf(api.CodeInvalidParameter, "AudioParams: %v", err)
	}
	return f, nil
}

// task returns a relay task of app.
func (r *relayService) task(app trtc.SDKAppID, id string) (*relayTask, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[id]
	if t == nil || t.app != app {
		return nil, api.Errorf(api.CodeResourceNotFound, "No relay task with this TaskId (it may have ended).")
	}
	return t, nil
}

// UpdateCdn implements api.Relay. Everything is checked before anything
// changes; SequenceNumber must exceed the last accepted update's.
func (r *relayService) UpdateCdn(_ context.Context, u api.CdnUpdate) error {
	t, err := r.task(u.App, u.TaskID)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.seqSet && u.Sequence <= t.seq {
		return api.Errorf(api.CodeInvalidParameter, "SequenceNumber %d is not greater than %d, the last applied update's: this update is stale.", u.Sequence, t.seq)
	}
	req := t.req
	if u.Encode != nil && !u.Encode.SameEncode(req.Encode) {
		return api.Errorf(api.CodeUnsupportedOperation, "AudioEncode and VideoEncode cannot change while a task runs (nor can audio only become audio and video).")
	}
	req.Transcode = u.Transcode
	switch {
	case !u.Transcode && u.Single != nil:
		req.Single = u.Single
	case !u.Transcode && req.Single == nil:
		return api.Errorf(api.CodeMissingParameter, "WithTranscoding 0 needs SingleSubscribeParams.UserMediaStream.")
	case u.Transcode:
		req.Single = nil
	}
	for _, s := range []*api.CdnStream{req.Single} {
		if s != nil && trtc.ValidateUserID(s.UserID) != nil {
			return api.Errorf(api.CodeInvalidUserID, "SingleSubscribeParams: invalid UserId.")
		}
	}
	if u.Layout != nil {
		req.Layout = *u.Layout
	}
	if u.AudioIn != nil {
		req.AudioIn, req.AudioOut = *u.AudioIn, *u.AudioOut
	}
	if u.URLs != nil {
		if len(*u.URLs) == 0 && len(req.FeedBack) == 0 {
			return api.Errorf(api.CodeMissingParameter, "PublishCdnParams cannot be emptied: a task needs an RTMP URL (StopPublishCdnStream ends it).")
		}
		req.URLs = *u.URLs
	}
	mix := relayMix(req)
	if err := r.checkLayout(mix); err != nil {
		return err
	}
	f, err := relayFilter(req)
	if err != nil {
		return err
	}
	if req.Encode.Video {
		if err := r.rec.SetPassThrough(u.App, u.TaskID, mix.PassThrough); err != nil {
			return relayError(err)
		}
		if err := r.rec.SetLayout(u.App, u.TaskID, mix.Layout); err != nil {
			return relayError(err)
		}
	}
	if err := r.rec.Modify(u.App, u.TaskID, f); err != nil {
		return relayError(err)
	}
	if err := r.rec.SetPushTargets(u.App, u.TaskID, req.URLs); err != nil {
		return relayError(err)
	}
	t.req, t.seq, t.seqSet = req, u.Sequence, true
	if rec, err := t.record(); err == nil {
		err = r.rec.SetRelayRecord(u.App, u.TaskID, rec)
		if err != nil && !errors.Is(err, egress.ErrTaskNotFound) {
			r.log.Warn("relay task state not saved", "task", u.TaskID, "err", err)
		}
	}
	return nil
}

// StopCdn implements api.Relay.
func (r *relayService) StopCdn(_ context.Context, app trtc.SDKAppID, id string) error {
	t, err := r.task(app, id)
	if err != nil {
		return err
	}
	if t.lost != "" {
		return api.Errorf(api.CodeResourceNotFound, "The relay task ended when the server restarted: %s", t.lost)
	}
	if err := r.rec.Delete(app, id); err != nil {
		return relayError(err)
	}
	return nil
}

// DescribeCdn implements api.Relay.
func (r *relayService) DescribeCdn(_ context.Context, app trtc.SDKAppID, id string) (api.CdnTask, error) {
	t, err := r.task(app, id)
	if err != nil {
		return api.CdnTask{}, err
	}
	if t.lost != "" {
		return api.CdnTask{TaskID: id, Status: egress.StatusExited.String(), SequenceNumber: t.seq,
			PublishCdn: []api.CdnTarget{}, ImageErrors: []api.CdnImageError{},
			Message: "the task ended when the server restarted: " + t.lost}, nil
	}
	info, err := r.rec.Describe(app, id)
	if err != nil {
		r.forget(id)
		return api.CdnTask{}, relayError(err)
	}
	targets, err := r.rec.PushTargets(app, id)
	if err != nil {
		return api.CdnTask{}, relayError(err)
	}
	images, err := r.rec.ImageFailures(app, id)
	if err != nil {
		return api.CdnTask{}, relayError(err)
	}
	r.mu.Lock()
	out := api.CdnTask{TaskID: id, Status: info.Status.String(), SequenceNumber: t.seq, PublishCdn: []api.CdnTarget{},
		Restarts: info.Restarts, ImageErrors: []api.CdnImageError{}, Resumed: t.resumed}
	r.mu.Unlock()
	for _, f := range images {
		out.ImageErrors = append(out.ImageErrors, api.CdnImageError{URL: f.URL, Error: f.Error})
	}
	for _, pt := range targets {
		out.PublishCdn = append(out.PublishCdn, api.CdnTarget{PublishCdnUrl: pt.URL, State: int(pt.State),
			StateName: pt.State.String(), Attempts: pt.Attempts, Failures: pt.Failures, LastError: pt.LastError})
	}
	return out, nil
}

func (r *relayService) forget(id string) {
	r.mu.Lock()
	delete(r.tasks, id)
	r.mu.Unlock()
}

// relayError maps the recorder's sentinels to the relay actions' codes.
func relayError(err error) error {
	var ae *api.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, egress.ErrTaskNotFound):
		return api.Errorf(api.CodeResourceNotFound, "No relay task with this TaskId (it may have ended).")
	case errors.Is(err, egress.ErrTooManyTasks):
		return api.Errorf(api.CodeRestrictedConcurrency, "%v", err)
	case errors.Is(err, egress.ErrTaskExists):
		return api.Errorf(api.CodeTaskExist, "A task of this room already runs with this AgentParams.UserId.")
	case errors.Is(err, egress.ErrBadLayout):
		return api.Errorf(api.CodeOutOfRange, "VideoParams.LayoutParams: %v", err)
	case errors.Is(err, egress.ErrBadPush):
		return api.Errorf(api.CodeInvalidStreamURL, "%v", err)
	case errors.Is(err, egress.ErrClosed):
		return api.Errorf(api.CodeInternalError, "The server is shutting down.")
	}
	return api.Errorf(api.CodeInternalError, "%v", err)
}

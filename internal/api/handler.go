// Package api is rtcengine's REST edge: TencentCloud API 3.0 for service
// trtc, version 2019-07-22 (trtc-reference §7; architecture "REST API").
//
// Every request is POST / with a JSON body, X-TC-Action, X-TC-Version,
// X-TC-Timestamp and a TC3-HMAC-SHA256 Authorization header. Every answer is
// HTTP 200 with {"Response": {..., "RequestId": "<uuid>"}}, and on failure
// {"Response": {"Error": {"Code", "Message"}, "RequestId"}}; the SDKs treat
// any other status as a transport error.
//
// Checks run in this order, each with its own code: method, path,
// content type, body size; Authorization (tc3.Verify: header, SecretId,
// timestamp window, signature); X-TC-Version; X-TC-Action; then the action:
// body decoding, missing fields, field values, SdkAppId ownership, the room
// operation itself. Actions live in a registry, so new ones plug in with
// Register without touching the dispatcher.
//
// Body decoding is strict, as TencentCloud's gateway is: a field of the wrong
// JSON type is InvalidParameter.BodyParamsError (a string RoomId to
// RemoveUser, a number to RemoveUserByStrRoomId), and a field the action does
// not define is UnknownParameter — TencentCloud documents that passing
// undefined parameters is an error, and silently ignoring a misspelt
// optional field would do something other than what the caller asked.
// Field names are case-sensitive. X-TC-Region and X-TC-Language are
// accepted and ignored; messages are in English.
package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rtcengine/rtcengine/internal/tc3"
	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Version is the API version of service trtc; requests naming another
// version fail with NoSuchVersion.
const Version = "2019-07-22"

// DefaultMaxBodyBytes bounds a request body when Config.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 1 << 20

// RoomAdmin is what the room actions need from the room service.
type RoomAdmin interface {
	// RemoveUsers removes users from the room; users not in it are ignored.
	// It returns room.ErrRoomNotFound if there is no such room.
	RemoveUsers(ctx context.Context, key trtc.RoomKey, users []trtc.UserID) error
	// DismissRoom removes everyone and closes the room, or returns
	// room.ErrRoomNotFound.
	DismissRoom(ctx context.Context, key trtc.RoomKey) error
}

// Credentials resolves API keys. apps reports whether the key may manage an
// application; a nil apps manages none.
type Credentials interface {
	Lookup(secretID string) (secretKey string, apps func(trtc.SDKAppID) bool, ok bool)
}

// Config configures a Handler. Zero fields take defaults; a nil Credentials
// rejects every key, and a nil Rooms leaves the room actions unregistered.
type Config struct {
	Rooms       RoomAdmin
	Credentials Credentials
	// Now is the clock for the signature window (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// Observe, if set, is called once per request with the registered action
	// name ("" when X-TC-Action names no registered action, so that labels
	// stay bounded), the error code ("" on success) and the handling time.
	Observe func(action, errorCode string, d time.Duration)
	// MaxBodyBytes bounds the request body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// History, if set, serves DescribeRoomInfo, DescribeUserInfo and
	// DescribeCallDetailInfo (describe.go).
	History History
	// Blocker, if set, serves SetUserBlocked and SetUserBlockedByStrRoomId
	// (block.go).
	Blocker UserBlocker
	// Limiter, if set, throttles calls per address and per SecretId
	// (limit.go).
	Limiter Limiter
}

// ActionFunc serves one action. It returns the response value — a struct
// or map marshalled as the Response object, without RequestId, which the
// handler adds; nil for a RequestId-only response — or an error: an *Error,
// or a room sentinel that the handler maps (room.ErrRoomNotFound →
// FailedOperation.RoomNotExist …); any other error is an InternalError.
//
// Before succeeding, an action must call Call.Authorize for the SdkAppId it
// touches (Typed does so for parameters implementing AppScoped). A success
// without it is reported as InternalError: the check fails closed.
type ActionFunc func(ctx context.Context, call *Call) (any, error)

// Call is one authenticated request as an action sees it.
type Call struct {
	Action    string // the registered action name
	RequestID string
	SecretID  string // authenticated
	Region    string // X-TC-Region, informational
	Body      []byte // the raw JSON body
	Logger    *slog.Logger

	apps       func(trtc.SDKAppID) bool
	authorized bool
}

// Authorize checks that the calling SecretId may manage app, and returns
// UnauthorizedOperation.SdkAppId if not.
func (c *Call) Authorize(app trtc.SDKAppID) error {
	if c.apps == nil || !c.apps(app) {
		return Errorf(CodeUnauthorizedSDKAppID, "The SecretId is not authorized to operate SdkAppId %d.", app)
	}
	c.authorized = true
	return nil
}

// Handler serves API 3.0 requests. Create it with NewHandler.
type Handler struct {
	creds   Credentials
	now     func() time.Time
	log     *slog.Logger
	observe func(action, errorCode string, d time.Duration)
	maxBody int64
	limiter Limiter

	mu      sync.RWMutex
	actions map[string]ActionFunc
}

// NewHandler returns a handler with the room actions registered when
// cfg.Rooms is set: RemoveUser, RemoveUserByStrRoomId, DismissRoom,
// DismissRoomByStrRoomId.
func NewHandler(cfg Config) *Handler {
	h := &Handler{
		creds:   cfg.Credentials,
		now:     cfg.Now,
		log:     cfg.Logger,
		observe: cfg.Observe,
		maxBody: cfg.MaxBodyBytes,
		limiter: cfg.Limiter,
		actions: make(map[string]ActionFunc),
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.observe == nil {
		h.observe = func(string, string, time.Duration) {}
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if cfg.Rooms != nil {
		registerRoomActions(h, cfg.Rooms)
	}
	if cfg.History != nil {
		registerDescribeActions(h, cfg.History)
	}
	if cfg.Blocker != nil {
		registerBlockActions(h, cfg.Blocker)
	}
	return h
}

// Register adds an action. It panics if the name is empty, fn is nil, or the
// action is already registered, as http.ServeMux does for patterns.
func (h *Handler) Register(action string, fn ActionFunc) {
	if action == "" || fn == nil {
		panic("api: Register needs an action name and a function")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.actions[action]; dup {
		panic("api: action " + action + " registered twice")
	}
	h.actions[action] = fn
}

func (h *Handler) action(name string) ActionFunc {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.actions[name]
}

// outcome is what serve decided, for the envelope and the log.
type outcome struct {
	resp   any
	err    *Error
	cause  error // the underlying error, logged, never sent
	secret string
}

// ServeHTTP answers every request, whatever its method or path, with HTTP
// 200 and an API 3.0 envelope.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.Header.Get("X-TC-Action")
	fn := h.action(name)
	call := &Call{RequestID: newRequestID(), Region: r.Header.Get("X-TC-Region")}
	if fn != nil {
		call.Action = name
	}
	call.Logger = h.log.With("request_id", call.RequestID, "action", call.Action)

	out := h.serve(w, r, call, fn)
	body, err := envelope(call.RequestID, out.resp, out.err)
	if err != nil {
		out.err, out.cause = &Error{CodeInternalError, msgInternalError}, err
		body, _ = envelope(call.RequestID, nil, out.err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-TC-RequestId", call.RequestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)

	d := time.Since(start)
	code := ""
	if out.err != nil {
		code = out.err.Code
	}
	h.observe(call.Action, code, d)
	h.logOutcome(r, call, out, d)
}

// serve runs the checks in order and the action; it never panics.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, call *Call, fn ActionFunc) (out outcome) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			out = outcome{
				err:   &Error{CodeInternalError, msgInternalError},
				cause: fmt.Errorf("panic: %v\n%s", v, debug.Stack()),
			}
		}
	}()

	if e := h.allowIP(r); e != nil {
		return outcome{err: e}
	}
	if r.Method != http.MethodPost {
		return outcome{err: Errorf(CodeUnsupportedProtocol, "Only POST requests with a JSON body are supported, not %s.", clip(r.Method))}
	}
	if r.URL.Path != "/" {
		return outcome{err: Errorf(CodeInvalidRequest, "Requests must be sent to path /.")}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return outcome{err: Errorf(CodeInvalidRequest, "Content-Type must be application/json.")}
	}
	body, e := h.readBody(w, r)
	if e != nil {
		return outcome{err: e}
	}

	var apps func(trtc.SDKAppID) bool
	lookup := func(id string) (string, bool) {
		if h.creds == nil {
			return "", false
		}
		key, a, ok := h.creds.Lookup(id)
		apps = a
		return key, ok
	}
	secretID, err := tc3.Verify(r, body, lookup, h.now(), tc3.DefaultWindow)
	if err != nil {
		return outcome{err: authError(err, r.Header.Get(tc3.HeaderTimestamp) != ""), cause: err, secret: secretID}
	}
	if e := h.allowSecretID(secretID); e != nil {
		return outcome{err: e, secret: secretID}
	}
	call.SecretID, call.Body, call.apps = secretID, body, apps
	call.Logger = call.Logger.With("secret_id", secretID)

	if v := r.Header.Get("X-TC-Version"); v != Version {
		return outcome{err: Errorf(CodeNoSuchVersion, "The API version %q does not exist; service trtc has %s.", clip(v), Version), secret: secretID}
	}
	if fn == nil {
		return outcome{err: Errorf(CodeInvalidAction, "The action %q does not exist.", clip(r.Header.Get("X-TC-Action"))), secret: secretID}
	}

	resp, err := fn(r.Context(), call)
	if err != nil {
		return outcome{err: toAPIError(err), cause: err, secret: secretID}
	}
	if !call.authorized {
		return outcome{
			err:    &Error{CodeInternalError, msgInternalError},
			cause:  fmt.Errorf("action %s succeeded without calling Call.Authorize", call.Action),
			secret: secretID,
		}
	}
	return outcome{resp: resp, secret: secretID}
}

func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	tooLarge := Errorf(CodeRequestSizeLimitExceeded, "The request body exceeds %d bytes.", h.maxBody)
	if r.ContentLength > h.maxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge
	case err != nil:
		return nil, Errorf(CodeInvalidRequest, "The request body could not be read.")
	}
	return body, nil
}

func (h *Handler) logOutcome(r *http.Request, call *Call, out outcome, d time.Duration) {
	attrs := []any{"remote", r.RemoteAddr, "duration", d}
	if out.secret != "" && call.SecretID == "" {
		attrs = append(attrs, "secret_id", out.secret) // claimed, not authenticated
	}
	switch {
	case out.err == nil:
		call.Logger.Debug("rest request", attrs...)
	case out.err.Code == CodeInternalError:
		call.Logger.Error("rest request failed", append(attrs, "code", out.err.Code, "err", out.cause)...)
	default:
		if out.cause != nil {
			attrs = append(attrs, "err", out.cause)
		}
		call.Logger.Info("rest request rejected", append(attrs, "code", out.err.Code)...)
	}
}

// envelope marshals {"Response": {...}}: the error, or the fields of resp
// followed by RequestId.
func envelope(requestID string, resp any, e *Error) ([]byte, error) {
	if e != nil {
		var env struct {
			Response struct {
				Error     *Error `json:"Error"`
				RequestID string `json:"RequestId"`
			} `json:"Response"`
		}
		env.Response.Error, env.Response.RequestID = e, requestID
		return json.Marshal(env)
	}
	id, _ := json.Marshal(requestID)
	fields := []byte("{}")
	if resp != nil {
		b, err := json.Marshal(resp)
		if err != nil {
			return nil, fmt.Errorf("api: marshal response: %w", err)
		}
		if b = bytes.TrimSpace(b); len(b) < 2 || b[0] != '{' {
			return nil, fmt.Errorf("api: response %T is not a JSON object", resp)
		}
		fields = b
	}
	var out bytes.Buffer
	out.WriteString(`{"Response":`)
	out.Write(fields[:len(fields)-1])
	if len(bytes.TrimSpace(fields[1:len(fields)-1])) > 0 {
		out.WriteByte(',')
	}
	out.WriteString(`"RequestId":`)
	out.Write(id)
	out.WriteString("}}")
	return out.Bytes(), nil
}

// newRequestID returns a random (version 4) UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// clip bounds client-supplied text echoed in messages.
func clip(s string) string {
	const n = 64
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/rtcengine/rtcengine/internal/room"
	"github.com/rtcengine/rtcengine/internal/tc3"
)

// API 3.0 error codes this edge returns (trtc-reference §7.2, §7.7).
const (
	CodeInvalidAuthorization = "AuthFailure.InvalidAuthorization"
	CodeSecretIDNotFound     = "AuthFailure.SecretIdNotFound"
	CodeSignatureExpire      = "AuthFailure.SignatureExpire"
	CodeSignatureFailure     = "AuthFailure.SignatureFailure"

	CodeUnsupportedProtocol      = "UnsupportedProtocol"
	CodeInvalidRequest           = "InvalidRequest"
	CodeRequestSizeLimitExceeded = "RequestSizeLimitExceeded"
	CodeNoSuchVersion            = "NoSuchVersion"
	CodeInvalidAction            = "InvalidAction"
	CodeUnknownParameter         = "UnknownParameter"
	CodeMissingParameter         = "MissingParameter"
	CodeInvalidParameterValue    = "InvalidParameterValue"

	CodeBodyParamsError      = "InvalidParameter.BodyParamsError"
	CodeMissingSDKAppID      = "MissingParameter.SdkAppId"
	CodeMissingRoomID        = "MissingParameter.RoomId"
	CodeMissingUserIDs       = "MissingParameter.UserIds"
	CodeInvalidSDKAppID      = "InvalidParameter.SdkAppId"
	CodeInvalidRoomID        = "InvalidParameter.RoomId"
	CodeInvalidRoomIDValue   = "InvalidParameterValue.RoomId"
	CodeInvalidUserIDs       = "InvalidParameter.UserIds"
	CodeUnauthorizedSDKAppID = "UnauthorizedOperation.SdkAppId"
	CodeRoomNotExist         = "FailedOperation.RoomNotExist"
	CodeUserNotExist         = "FailedOperation.UserNotExist"
	CodeFailedOperation      = "FailedOperation"
	CodeInternalError        = "InternalError"
)

// Codes of the Describe* and SetUserBlocked actions (§7.3, §7.4).
const (
	CodeInvalidParameter   = "InvalidParameter"
	CodeMissingUserID      = "MissingParameter.UserId"
	CodeInvalidUserID      = "InvalidParameter.UserId"
	CodeMissingCommID      = "MissingParameter.CommId"
	CodeMissingStartTs     = "MissingParameter.StartTs"
	CodeMissingEndTs       = "MissingParameter.EndTs"
	CodeInvalidStartTs     = "InvalidParameter.StartTs"
	CodeInvalidEndTs       = "InvalidParameter.EndTs"
	CodeStartTsOversize    = "InvalidParameter.StartTsOversize"
	CodeQueryScaleOversize = "InvalidParameter.QueryScaleOversize"
	CodeInvalidPageNumber  = "InvalidParameter.PageNumber"
	CodeInvalidPageSize    = "InvalidParameter.PageSize"
	CodePageSizeOversize   = "InvalidParameter.PageSizeOversize"
	CodeUserIDsMoreThanSix = "InvalidParameter.UserIdsMorethanSix"
	CodeDBError            = "InternalError.DBError"
)

const (
	msgInternalError  = "An internal error occurred; retry later."
	msgServerShutdown = "The server is shutting down; retry the request, on another node if there is one."
)

// Error is an API 3.0 error: the Code and Message of the envelope's Error
// object. Actions return it (or a room sentinel, mapped by the handler).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// toAPIError maps an action's error to the envelope's error. Causes that
// are not the client's doing become InternalError with a generic message;
// the handler logs the cause.
func toAPIError(err error) *Error {
	var ae *Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, room.ErrRoomNotFound):
		return Errorf(CodeRoomNotExist, "The room does not exist.")
	case errors.Is(err, room.ErrUserNotFound):
		return Errorf(CodeUserNotExist, "The user is not in the room.")
	case errors.Is(err, room.ErrClosed):
		return &Error{CodeFailedOperation, msgServerShutdown}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Errorf(CodeInternalError, "The request was cancelled or timed out.")
	}
	return &Error{CodeInternalError, msgInternalError}
}

// authError maps a tc3.Verify error; hadTimestamp tells a missing
// X-TC-Timestamp from a malformed one.
func authError(err error, hadTimestamp bool) *Error {
	switch {
	case errors.Is(err, tc3.ErrSecretIDNotFound):
		return Errorf(CodeSecretIDNotFound, "The SecretId does not exist or is disabled.")
	case errors.Is(err, tc3.ErrTimestamp) && !hadTimestamp:
		return Errorf(CodeMissingParameter, "The request is missing the required header X-TC-Timestamp.")
	case errors.Is(err, tc3.ErrTimestamp):
		return Errorf(CodeInvalidParameterValue, "X-TC-Timestamp must be a decimal unix time in seconds.")
	case errors.Is(err, tc3.ErrSignatureExpire):
		return Errorf(CodeSignatureExpire, "Signature expired: X-TC-Timestamp and server time cannot differ by more than five minutes.")
	case errors.Is(err, tc3.ErrSignatureFailure):
		return Errorf(CodeSignatureFailure, "The provided credentials could not be validated. Please check your signature is correct.")
	case errors.Is(err, tc3.ErrMethod):
		return Errorf(CodeUnsupportedProtocol, "Only POST requests are supported.")
	}
	// ErrInvalidAuthorization: its reason is the client's own header, so
	// say what is wrong with it.
	return Errorf(CodeInvalidAuthorization, "The Authorization header is invalid: %v.", err)
}

package tc3

import "errors"

// Errors returned by Verify and ParseAuthorization. They are wrapped with a
// reason (use errors.Is); the REST edge turns them into API 3.0 codes.
var (
	// ErrInvalidAuthorization: the Authorization header is missing, not
	// TC3-HMAC-SHA256, or malformed (AuthFailure.InvalidAuthorization).
	ErrInvalidAuthorization = errors.New("tc3: invalid Authorization header")
	// ErrSecretIDNotFound: the SecretId is unknown (AuthFailure.SecretIdNotFound).
	ErrSecretIDNotFound = errors.New("tc3: SecretId not found")
	// ErrTimestamp: X-TC-Timestamp is missing or not a decimal unix time.
	ErrTimestamp = errors.New("tc3: X-TC-Timestamp is missing or malformed")
	// ErrSignatureExpire: X-TC-Timestamp is further from the server's clock
	// than the allowed window (AuthFailure.SignatureExpire).
	ErrSignatureExpire = errors.New("tc3: signature expired")
	// ErrSignatureFailure: the signature, its credential scope or its service
	// does not match the request (AuthFailure.SignatureFailure).
	ErrSignatureFailure = errors.New("tc3: signature does not match")
	// ErrMethod: only GET and POST requests are signed with TC3.
	ErrMethod = errors.New("tc3: only GET and POST requests are supported")
)

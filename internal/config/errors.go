package config

import "errors"

// ErrInvalid is wrapped by every error Validate reports (use errors.Is).
var ErrInvalid = errors.New("invalid configuration")

// A FieldError reports one invalid setting. Field is the setting's YAML
// path, such as "listen", "apps[1].webhook_key" or "limits.call_max_users";
// docs/configuration.md gives the matching flag and environment variable.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes every FieldError match ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

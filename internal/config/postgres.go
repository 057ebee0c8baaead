package config

import (
	"errors"
	"net/url"
	"strings"
)

// MaxPostgresDSNLen bounds the postgres setting.
const MaxPostgresDSNLen = 4096

func init() {
	settings = append(settings,
		setting{flag: "postgres", yaml: "postgres", usage: "PostgreSQL `DSN` (postgres:// URL or key=value list) for the shared history store and webhook outbox",
			set: func(c *Config, v string) error { c.Postgres = v; return nil }})
}

// postgres checks the form of the DSN only; whether the server answers is
// known at start. Reasons never quote the DSN: it may hold a password.
func (v *validator) postgres(c *Config) {
	if c.Postgres == "" {
		return
	}
	if err := CheckPostgresDSN(c.Postgres); err != nil {
		v.bad("postgres", "%v", err)
	}
}

// dsnErrors are the reasons CheckPostgresDSN gives: constants, so that no error quotes a
// DSN (it may hold a password).
var (
	errDSNTooLong      = errors.New("longer than 4096 bytes")
	errDSNBadURL       = errors.New("not a valid postgres:// URL")
	errDSNScheme       = errors.New("a URL must start with postgres:// or postgresql://")
	errDSNEmptyKeyword = errors.New("a keyword=value list has an empty keyword")
	errDSNForm         = errors.New("neither a postgres:// URL nor a keyword=value list")
	errDSNQuote        = errors.New("a quoted value is not closed")
	errDSNEmpty        = errors.New("empty")
)

// CheckPostgresDSN accepts the two forms libpq (and pgx) read: a
// postgres:// or postgresql:// URL, or a list of keyword=value pairs
// separated by spaces, a value being a bare word or a single-quoted string
// with \' and \\ escapes. Its errors are the dsnErrors.
func CheckPostgresDSN(s string) error {
	switch {
	case len(s) > MaxPostgresDSNLen:
		return errDSNTooLong
	case strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://"):
		if _, err := url.Parse(s); err != nil {
			return errDSNBadURL
		}
		return nil
	case strings.Contains(s, "://"):
		return errDSNScheme
	}
	return checkKeywordDSN(s)
}

// checkKeywordDSN parses "key=value key2='quoted value'".
func checkKeywordDSN(s string) error {
	pairs := 0
	for i := 0; ; {
		for i < len(s) && isDSNSpace(s[i]) {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && s[i] != '=' && !isDSNSpace(s[i]) {
			i++
		}
		if i == start {
			return errDSNEmptyKeyword
		}
		for i < len(s) && isDSNSpace(s[i]) {
			i++
		}
		if i == len(s) || s[i] != '=' {
			return errDSNForm
		}
		i++
		for i < len(s) && isDSNSpace(s[i]) {
			i++
		}
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					i += 2
					continue
				}
				if s[i] == '\'' {
					closed = true
					i++
					break
				}
				i++
			}
			if !closed {
				return errDSNQuote
			}
		} else {
			for i < len(s) && !isDSNSpace(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				i++
			}
		}
		pairs++
	}
	if pairs == 0 {
		return errDSNEmpty
	}
	return nil
}

func isDSNSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

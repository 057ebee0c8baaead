package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestCheckPostgresDSN(t *testing.T) {
	for _, tt := range []struct {
		name, dsn string
		ok        bool
	}{
		{"url", "postgres://rtc:secret@db.example:5432/rtcengine?sslmode=require", true},
		{"postgresql url", "postgresql://db/rtcengine", true},
		{"keywords", "host=db port=5432 user=rtc dbname=rtcengine", true},
		{"quoted value", `host=db password='it''s \' spaced \\ value' dbname=x`, false}, // '' is not an escape
		{"escaped quote", `host=db password='it\'s spaced' dbname=x`, true},
		{"spaces around =", "host = db  dbname =x", true},
		{"other scheme", "mysql://db/x", false},
		{"bad url", "postgres://%zz", false},
		{"no value", "host", false},
		{"empty keyword", "=db", false},
		{"open quote", "password='abc", false},
		{"only spaces", "   ", false},
		{"too long", "host=" + strings.Repeat("a", MaxPostgresDSNLen), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPostgresDSN(tt.dsn)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckPostgresDSN(%q) = %v, want ok=%v", tt.dsn, err, tt.ok)
			}
			// What this check accepts, the driver parses.
			if tt.ok {
				if _, err := pgconn.ParseConfig(tt.dsn); err != nil {
					t.Fatalf("accepted, but the driver refuses it: %v", err)
				}
			}
		})
	}
}

func TestPostgresSetting(t *testing.T) {
	const dsn = "postgres://rtc:hunter2hunter2@127.0.0.1:5432/rtc"
	c, err := Load([]string{"--postgres", dsn}, nil)
	if err != nil || c.Postgres != dsn {
		t.Fatalf("--postgres: %q, %v", c.Postgres, err)
	}
	c, err = Load(nil, []string{"RTCENGINE_POSTGRES=host=db dbname=rtc"})
	if err != nil || c.Postgres != "host=db dbname=rtc" {
		t.Fatalf("RTCENGINE_POSTGRES: %q, %v", c.Postgres, err)
	}
	_, err = Load([]string{"--postgres", "mysql://rtc:hunter2hunter2@db/x"}, nil)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "postgres" {
		t.Fatalf("a bad DSN: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the error quotes the password: %v", err)
	}
}

// FuzzCheckPostgresDSN: any input is answered without a panic, with one of
// the constant reasons (none quotes the input, which may hold a password).
func FuzzCheckPostgresDSN(f *testing.F) {
	for _, s := range []string{"postgres://u:p@h/d", "host=h password='a\\'b'", "a=b c", "='", "x=\\", "postgresql://%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckPostgresDSN(s)
		switch err {
		case nil, errDSNTooLong, errDSNBadURL, errDSNScheme, errDSNEmptyKeyword, errDSNForm, errDSNQuote, errDSNEmpty:
		default:
			t.Fatalf("error %q is not one of the constant reasons", err)
		}
	})
}

package importcheck

import "testing"

// This package imports none of the module's; a fake test records what
// Only reports for a package that does (the SDK's directory).
func TestOnly(t *testing.T) {
	Only(t)
	var rec recorder
	t.Chdir("../../rtc")
	Only(&rec, "internal/proto")
	if rec.errors == 0 {
		t.Fatal("rtc imports more of the module than internal/proto, and Only did not say so")
	}
}

type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.errors++ }
func (r *recorder) Fatal(args ...any)     { panic(args) }

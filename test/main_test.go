package test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests: every
// server is shut down and every SDK instance closed by t.Cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

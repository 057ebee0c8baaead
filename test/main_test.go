package test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/rtcengine/rtcengine/internal/pgtest"
)

// TestMain fails the package if any goroutine outlives the tests: every
// server is shut down and every SDK instance closed by t.Cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(cleanup{pgtest.WrapM(m)}) // stops the PostgreSQL of postgres_test.go
}

// cleanup removes what the tests shared after they ran: the server binary
// of buildServer.
type cleanup struct{ m interface{ Run() int } }

func (c cleanup) Run() int {
	code := c.m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

//go:build !unix

package webhook

import (
	"fmt"
	"os"
)

// lockDir only creates dir/LOCK where flock(2) does not exist: running two
// servers on one data directory there is the operator's mistake to avoid.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("webhook: lock: %w", err)
	}
	return f, nil
}

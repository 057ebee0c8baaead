//go:build !linux

package webhook

import "os"

// preallocate does nothing where fallocate(2) does not exist: segments grow
// as they are written.
func preallocate(*os.File, int64) {}

// datasync makes a segment's written bytes (and its size) durable.
func datasync(f *os.File) error { return f.Sync() }

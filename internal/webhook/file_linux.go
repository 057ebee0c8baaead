package webhook

import (
	"os"
	"syscall"
)

// preallocate reserves a segment's full size up front: appends then never
// change the file's size, so fdatasync has no metadata to journal. Failure
// (a file system without fallocate) only costs speed.
func preallocate(f *os.File, size int64) {
	_ = syscall.Fallocate(int(f.Fd()), 0, 0, size)
}

// datasync makes a segment's written bytes durable. With the size fixed by
// preallocate, fdatasync is enough and cheaper than fsync.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err == syscall.EBADF {
				return os.ErrClosed
			}
			return err
		}
	}
}

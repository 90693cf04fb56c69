package pipesize

import (
	"os"
	"syscall"
)

// fcntl commands for a pipe's capacity (linux/fcntl.h), not in package syscall.
const (
	fSetPipeSz = 1031
	fGetPipeSz = 1032
)

func grow(f *os.File, size int) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	rc.Control(func(fd uintptr) {
		n, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, fGetPipeSz, 0)
		if errno != 0 {
			return
		}
		// The kernel reads the size as 32 bits: a larger one would wrap
		// round to a tiny pipe.
		if int(n) < size && size <= 1<<30 {
			// Refused beyond pipe-max-size or the user's pipe-user-pages
			// limits (EPERM): the pipe keeps what it had.
			if m, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, uintptr(size)); errno == 0 {
				n = m
			}
		}
		got = int(n)
	})
	return got
}

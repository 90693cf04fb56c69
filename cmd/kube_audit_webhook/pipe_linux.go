package main

import (
	"os"
	"syscall"
)

// fcntl commands for a pipe's capacity (linux/fcntl.h), not in package syscall.
const (
	fSetPipeSz = 1031
	fGetPipeSz = 1032
)

// growPipe raises the capacity of f to size bytes when f is a pipe and
// the kernel allows it, and reports the capacity it has afterwards (0 when
// f is not a pipe). Failure is harmless: writes just take more steps.
func growPipe(f *os.File, size int) int {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return 0
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	rc.Control(func(fd uintptr) {
		syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, uintptr(size))
		n, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, fGetPipeSz, 0)
		if errno == 0 {
			got = int(n)
		}
	})
	return got
}

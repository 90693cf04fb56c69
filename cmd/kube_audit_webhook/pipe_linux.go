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

// polledStdout keeps the File pollStdout makes for the process's life:
// collecting it would close descriptor 1.
var polledStdout *os.File

// pollStdout returns a File for the process's stdout that waits on the
// Go runtime's poller when it is a pipe, or f itself. os.Stdout blocks its
// thread in write(2) whenever the pipe is full (several times per batch,
// as a batch's XML is four times the pipe); the runtime then hands the
// thread's processor to another thread, and its monitor, seeing threads
// blocked in system calls, keeps waking every 20 µs (6% of the input's
// CPU under load, mostly in context switches). With O_NONBLOCK the write
// parks the goroutine instead. The write end is the input's own (splunkd
// holds the read end), and nothing else in the process writes to stdout:
// os.Stdout would get EAGAIN once the descriptor is non-blocking.
func pollStdout(f *os.File) *os.File {
	if f != os.Stdout {
		return f
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return f
	}
	if err := syscall.SetNonblock(int(f.Fd()), true); err != nil {
		return f
	}
	polledStdout = os.NewFile(f.Fd(), "/dev/stdout")
	return polledStdout
}

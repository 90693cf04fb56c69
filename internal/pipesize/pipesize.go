// Package pipesize raises the capacity of a pipe the process was given.
//
// Linux pipes hold 64 KiB unless asked for more. A reader that empties a
// pipe faster than its writer fills it then sleeps after every 64 KiB and
// must be woken for the next, and in a virtual machine each wake-up can
// cost tens of microseconds: through a 64 KiB pipe a process that does
// nothing but read got 0.6–0.7 GB/s where a 256 KiB pipe gave it 2.0–2.6 GB/s
// (BENCHMARKS.md). The capacity belongs to the pipe, so either end may
// raise it.
package pipesize

import "os"

// Grow raises the capacity of f to size bytes when f is a pipe smaller
// than that and the kernel allows it (an unprivileged process may ask for
// up to /proc/sys/fs/pipe-max-size, 1 MiB by default). It never shrinks a
// pipe and reports the capacity f has afterwards: 0 when f is not a pipe
// or the platform cannot tell; Grow(f, 0) only reports it. Failure is harmless: reads and writes just
// take more steps.
func Grow(f *os.File, size int) int {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return 0
	}
	return grow(f, size)
}

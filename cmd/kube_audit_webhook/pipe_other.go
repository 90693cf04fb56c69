//go:build !linux

package main

import "os"

// growPipe does nothing where pipe capacity cannot be set.
func growPipe(f *os.File, size int) int { return 0 }

// pollStdout returns f: only Linux's stdout pipe is switched to the poller.
func pollStdout(f *os.File) *os.File { return f }

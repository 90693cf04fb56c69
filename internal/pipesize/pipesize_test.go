package pipesize

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestGrow(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if runtime.GOOS != "linux" {
		if got := Grow(pw, 1<<18); got != 0 {
			t.Errorf("Grow = %d, want 0 where capacity cannot be set", got)
		}
		return
	}
	// Either end raises the pipe's capacity.
	if got := Grow(pr, 1<<18); got != 1<<18 {
		t.Errorf("Grow(read end, 256 KiB) = %d", got)
	}
	if got := Grow(pw, 1<<20); got != 1<<20 {
		t.Errorf("Grow(write end, 1 MiB) = %d", got)
	}
	// Never shrinks: a pipe the parent made larger stays so.
	if got := Grow(pr, 1<<16); got != 1<<20 {
		t.Errorf("Grow(64 KiB) on a 1 MiB pipe = %d, want 1 MiB kept", got)
	}
	// What the kernel refuses leaves the pipe as it was.
	// A size past 32 bits must not reach the kernel, which would read it
	// as 0 and make a one-page pipe (a variable: the constant does not
	// fit a 32-bit int, where it converts to 0, which only asks).
	huge := uint64(1) << 40
	if got := Grow(pr, int(huge)); got != 1<<20 {
		t.Errorf("Grow(1 TiB) = %d, want 1 MiB kept", got)
	}
	if got := Grow(pr, 1<<30+1); got != 1<<20 {
		t.Errorf("Grow(1 GiB + 1) = %d, want 1 MiB kept", got)
	}
	// The capacity is the pipe's: 1 MiB written without a reader fits.
	pw.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if n, err := pw.Write(make([]byte, 1<<20)); n != 1<<20 || err != nil {
		t.Errorf("writing 1 MiB into the grown pipe: %d, %v", n, err)
	}
}

func TestGrowNotAPipe(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := Grow(f, 1<<20); got != 0 {
		t.Errorf("regular file: %d, want 0 (left alone)", got)
	}
	f.Close()
	if got := Grow(f, 1<<20); got != 0 {
		t.Errorf("closed file: %d, want 0", got)
	}
}

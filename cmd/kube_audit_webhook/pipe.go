package main

// stdoutPipeBytes is the capacity asked for stdout when it is a pipe.
// Whatever sits in the pipe was acknowledged to the API server but not yet
// read by splunkd, and is lost if splunkd dies: about capacity / 2.6 KB
// events. BenchmarkPipeSize (docs/bench-webhook.md) found 256 KiB as fast
// as 1 MiB and 64 KiB slower (a write wakes the reader every 64 KiB), so
// 256 KiB: one modinput.ChunkBytes write fits, and at most ~100 events of
// 2.6 KB (or 256 KiB of smaller ones) are at risk instead of ~400. The
// Linux default is 64 KiB; unprivileged processes may ask up to
// /proc/sys/fs/pipe-max-size (1 MiB by default).
const stdoutPipeBytes = 256 << 10

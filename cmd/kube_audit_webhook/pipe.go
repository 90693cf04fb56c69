package main

// stdoutPipeBytes is the capacity asked for stdout when it is a pipe: a
// whole batch of 400 ~2.6 KB events (XML) fits, so writing one costs a few
// system calls and wake-ups instead of one per 64 KiB (the default), and
// the input does not stall each time splunkd is a little late to read.
// 1 MiB is the default limit for unprivileged processes
// (/proc/sys/fs/pipe-max-size).
const stdoutPipeBytes = 1 << 20

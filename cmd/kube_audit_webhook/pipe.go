package main

// stdoutPipeBytes is the capacity asked for stdout when it is a pipe: 1 MiB,
// the most an unprivileged process may ask for by default
// (/proc/sys/fs/pipe-max-size), against Linux's 64 KiB.
//
// The input writes a batch's XML in modinput.ChunkBytes pieces (256 KiB).
// A pipe that holds only one piece makes every write wait until splunkd
// has emptied it, so writer and reader take turns, each turn a wake-up of
// the other process; when the cores are busy (the input parsing, splunkd
// indexing) every turn waits for a core. A 1 MiB pipe holds a whole
// batch of 400 pod-create events, so the input rarely waits: at 4 and 16
// connections on 2 busy cores it handled 12–36% more events/s than with
// 256 KiB, using 5–11% less CPU per event (bench/webhook-pipe.sh,
// docs/bench-webhook.md).
//
// The price: whatever sits in the pipe was acknowledged to the API
// server but not yet read by splunkd, and is lost if splunkd dies (the
// input then logs how much): up to 1 MiB of XML, about 400 events of the
// 2.6 KB pod-create kind, one API server batch of the default size.
const stdoutPipeBytes = 1 << 20

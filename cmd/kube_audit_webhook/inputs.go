package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
	"github.com/kubeprivpod/kubeprivpod/internal/webhook"
)

// shutdownGrace bounds how long SIGTERM waits for batches in flight.
// splunkd gives a stopping input some time before it kills it; in-flight
// batches that do not finish are not acknowledged, so the API server
// re-sends them.
// closeGrace bounds the wait for the stream's closing tag after that.
// Both are variables for tests.
var shutdownGrace, closeGrace = 20 * time.Second, 5 * time.Second

// stanzaSink writes one stanza's batches to the shared stream.
type stanzaSink struct {
	stream *modinput.Stream
	route  *modinput.Route
}

func (k stanzaSink) Deliver(b *webhook.Batch) error { return k.stream.WriteBatch(k.route, b) }

// runInputs is run mode: one HTTPS listener per enabled stanza, all
// writing to one serialised XML stream on stdout, until a signal arrives
// on sig (exit 0 after draining) or stdout fails (exit 1).
//
// pipeBytes is the capacity of the stdout pipe (0 when stdout is not a
// pipe): what was written but may not have been read yet.
func runInputs(stdin io.Reader, stdout, stderr io.Writer, sig <-chan os.Signal, pipeBytes int) int {
	log := modinput.NewLogger(stderr)
	// splunkd writes the configuration at once; a person running the
	// input by hand may not, and must be able to stop it meanwhile.
	type read struct {
		def *modinput.InputDefinition
		err error
	}
	got := make(chan read, 1)
	go func() {
		def, err := modinput.ReadInputDefinition(stdin)
		got <- read{def, err}
	}()
	if f, ok := stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			log.Logf(modinput.Info, "waiting for the configuration XML on stdin, as splunkd sends it (see docs/webhook.md); Ctrl-C to stop")
		}
	}
	var def *modinput.InputDefinition
	select {
	case r := <-got:
		if r.err != nil {
			log.Logf(modinput.Error, "%v", r.err)
			return 1
		}
		def = r.def
	case s := <-sig:
		log.Logf(modinput.Info, "received %v while waiting for the configuration; exiting", s)
		return 0
	}
	setMemoryLimit(def, log)
	stream := modinput.NewStream(stdout)
	if pipeBytes > 0 {
		stream.KeepWindow(int64(pipeBytes))
	}
	sinkFailed := make(chan error, 1)
	var servers []*webhook.Server
	served := make(chan error, len(def.Stanzas))
	for _, st := range def.Stanzas {
		if d := strings.TrimSpace(st.Params["disabled"]); d == "1" || strings.EqualFold(d, "true") {
			continue
		}
		in, err := parseInput(st)
		if err != nil {
			log.Logf(modinput.Error, "stanza %s not started: %v", st.Name, err)
			continue
		}
		srv := newServer(in, stream, log, sinkFailed)
		ln, err := net.Listen("tcp", in.listen)
		if err != nil {
			log.Logf(modinput.Error, "stanza %s not started: listen %s: %v", st.Name, in.listen, err)
			continue
		}
		log.Logf(modinput.Info, "stanza %s listening on https://%s%s (client certificates: %t, token: %t)",
			st.Name, ln.Addr(), in.path, in.clientCAs != nil, in.token != nil)
		servers = append(servers, srv)
		go func() { served <- srv.Serve(ln) }()
	}
	if len(servers) == 0 {
		log.Logf(modinput.Error, "no stanza could be started (%d configured)", len(def.Stanzas))
		stream.Close()
		return 1
	}

	code := 0
	running := len(servers)
wait:
	for {
		select {
		case s := <-sig:
			log.Logf(modinput.Info, "received %v; finishing batches in flight", s)
			break wait
		case err := <-sinkFailed:
			log.Logf(modinput.Error, "stopping: writing to stdout failed: %v", err)
			if pipeBytes > 0 {
				ev, n := stream.Unread()
				log.Logf(modinput.Error, "up to %d acknowledged events (%d bytes; the stdout pipe holds %d) may not have reached splunkd", ev, n, pipeBytes)
			}
			code = 1
			break wait
		case err := <-served:
			if !errors.Is(err, http.ErrServerClosed) {
				log.Logf(modinput.Error, "listener stopped: %v", err)
			}
			if running--; running == 0 {
				code = 1
				break wait
			}
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(ctx); err != nil {
				log.Logf(modinput.Warn, "shutdown: %v", err)
			}
		}()
	}
	wg.Wait()
	// A batch still stuck writing to a stdout nobody reads holds the
	// stream; do not wait for it forever.
	closed := make(chan error, 1)
	go func() { closed <- stream.Close() }()
	select {
	case err := <-closed:
		if err != nil && code == 0 {
			log.Logf(modinput.Error, "closing the event stream: %v", err)
			code = 1
		}
	case <-time.After(closeGrace):
		log.Logf(modinput.Error, "stdout still blocked %v after shutdown; exiting without closing the stream", closeGrace)
		code = 1
	}
	var batches, events, dups int64
	for _, srv := range servers {
		st := srv.Stats()
		batches += st.Batches.Load()
		events += st.Events.Load()
		dups += st.Duplicates.Load()
	}
	log.Logf(modinput.Info, "stopped: %d batches, %d events written, %d duplicates dropped", batches, events, dups)
	return code
}

func newServer(in *input, stream *modinput.Stream, log *modinput.Logger, sinkFailed chan<- error) *webhook.Server {
	return &webhook.Server{
		Addr:              in.listen,
		Path:              in.path,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{in.cert}, MinVersion: tls.VersionTLS12},
		ClientCAs:         in.clientCAs,
		Token:             in.token,
		MaxBodyBytes:      in.maxBody,
		MaxEventsPerBatch: in.maxEvents,
		Sink: stanzaSink{
			stream: stream,
			route:  modinput.NewRoute(in.stanza, in.stanza, in.sourcetype, in.index, in.cluster),
		},
		OnSinkError: func(err error) {
			select {
			case sinkFailed <- err:
			default:
			}
		},
		Logf: func(level, format string, args ...any) {
			log.Logf(modinput.Level(level), "stanza "+in.stanza+": "+format, args...)
		},
	}
}

// setMemoryLimit sets the Go runtime's soft memory limit (unless GOMEMLIMIT
// is set) to what the stanzas may hold at once by docs/webhook.md's
// formula, so garbage from one large batch is collected before the next
// one doubles the heap.
func setMemoryLimit(def *modinput.InputDefinition, log *modinput.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var limit int64 = 32 << 20 // the process without batches, with slack
	for _, st := range def.Stanzas {
		if d := strings.TrimSpace(st.Params["disabled"]); d == "1" || strings.EqualFold(d, "true") {
			continue
		}
		in, err := parseInput(st)
		if err != nil {
			continue
		}
		limit += memoryBound(in)
	}
	debug.SetMemoryLimit(limit)
	log.Logf(modinput.Info, "memory limit for the Go runtime: %d MiB (GOMEMLIMIT overrides it)", limit>>20)
}

// memoryBound is one stanza's share of the bound in docs/webhook.md:
// bodies being read (MaxBufferedBytes, by default 4 × max_body_bytes),
// for the 4 batches parsed at once 40 bytes per event and the
// validator's block marks (an eighth of the body), the duplicate
// filter's 1M keys at about 100 bytes, and the XML chunk.
func memoryBound(in *input) int64 {
	batches := int64(webhook.DefaultMaxConcurrentBatches)
	return batches*in.maxBody + batches*(64*int64(in.maxEvents)+in.maxBody/8) + webhook.DefaultDedupeMaxKeys*100 + 2*modinput.ChunkBytes
}

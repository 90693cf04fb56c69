package webhook

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// refusalLog writes refusals to Logf without letting a flood of them
// flood the log: in each interval the first burst refusals get a line of
// their own, the rest are counted, and when the interval ends one summary
// line gives their number, addresses and reasons. Reasons are a fixed set
// of constant strings, so the summary's size is bounded too; the
// client-controlled detail of a refusal (path, method, x509 error) is only
// in the detailed lines, cut to a few hundred bytes.
type refusalLog struct {
	logf     func(level, format string, args ...any)
	what     string // "connections" or "batches"
	one      string // "connection" or "batch"
	interval time.Duration
	burst    int
	now      func() time.Time

	mu        sync.Mutex
	start     time.Time      // of the current interval
	total     int            // refusals in the interval
	shown     int            // of which logged in detail
	reasons   map[string]int // by reason
	addrs     map[string]struct{}
	moreAddrs bool // addrs stopped growing at maxAddrs
	timer     *time.Timer
}

// maxAddrs bounds the distinct addresses counted per interval.
const maxAddrs = 4096

// maxDetail bounds each client-controlled part of a detailed line.
const maxDetail = 160

func newRefusalLog(what, one string, interval time.Duration, burst int, now func() time.Time, logf func(level, format string, args ...any)) *refusalLog {
	return &refusalLog{logf: logf, what: what, one: one, interval: interval, burst: burst, now: now,
		reasons: map[string]int{}, addrs: map[string]struct{}{}}
}

// note records one refusal of a client at addr (host:port or host) for
// reason, a constant; detail, when not empty, says more and is cut.
func (l *refusalLog) note(level, addr, reason, detail string) {
	host := addr
	if i := strings.LastIndexByte(addr, ':'); i > 0 && !strings.HasSuffix(addr, "]") {
		host = addr[:i]
	}
	now := l.now()
	l.mu.Lock()
	if !l.start.IsZero() && now.Sub(l.start) >= l.interval {
		l.flushLocked()
	}
	if l.start.IsZero() {
		l.start = now
	}
	l.total++
	l.reasons[reason]++
	if _, ok := l.addrs[host]; !ok {
		if len(l.addrs) < maxAddrs {
			l.addrs[host] = struct{}{}
		} else {
			l.moreAddrs = true
		}
	}
	show := l.shown < l.burst
	if show {
		l.shown++
	} else if l.timer == nil {
		// Say what was left out even if no refusal follows to flush it.
		l.timer = time.AfterFunc(l.interval-now.Sub(l.start), l.flush)
	}
	l.mu.Unlock()
	if !show {
		return
	}
	if detail != "" {
		l.logf(level, "refused %s from %s: %s (%s)", l.one, cut(addr, 64), reason, cut(detail, maxDetail))
	} else {
		l.logf(level, "refused %s from %s: %s", l.one, cut(addr, 64), reason)
	}
}

// flush ends the current interval, summarising it if lines were left out.
func (l *refusalLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *refusalLog) flushLocked() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	if l.total > l.shown {
		type rc struct {
			r string
			n int
		}
		var rs []rc
		for r, n := range l.reasons {
			rs = append(rs, rc{r, n})
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].n > rs[j].n || rs[i].n == rs[j].n && rs[i].r < rs[j].r })
		parts := make([]string, len(rs))
		for i, x := range rs {
			parts[i] = fmt.Sprintf("%d %s", x.n, x.r)
		}
		addrs := fmt.Sprint(len(l.addrs))
		if l.moreAddrs {
			addrs = "more than " + addrs
		}
		elapsed := l.now().Sub(l.start).Round(time.Second)
		l.logf("WARN", "%d refused %s from %s addresses in the last %v (%d shown above): %s",
			l.total, l.what, addrs, max(elapsed, l.interval), l.shown, strings.Join(parts, ", "))
	}
	l.start, l.total, l.shown, l.moreAddrs = time.Time{}, 0, 0, false
	clear(l.reasons)
	clear(l.addrs)
}

// cut returns s, or its first max bytes (on a rune boundary) and the
// number left out.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:i], len(s))
}

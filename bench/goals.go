package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A goal is one bound of the speed and memory goals, with what one run
// measured.
type goal struct {
	name     string  // what is measured
	figure   string  // the measurement as printed
	value    float64 // the figure the bound applies to
	bound    float64
	atLeast  bool // true: value >= bound; false: value <= bound
	boundTxt string
}

func (g goal) met() bool {
	if g.atLeast {
		return g.value >= g.bound
	}
	return g.value <= g.bound
}

// goals reads the outputs bench/goals.sh leaves in dir (ratios/runs.txt,
// ratios/ratios.md, groups.txt, mr.txt, webhook.txt) and returns every
// goal with its figure. An output missing a figure is an error naming
// the file and what it lacks: a goal must never pass for want of data.
func goals(dir string) ([]goal, error) {
	var gs []goal
	r, err := readRuns(filepath.Join(dir, "ratios", "runs.txt"))
	if err != nil {
		return nil, err
	}
	ir, err := readInstructions(filepath.Join(dir, "ratios", "ratios.md"))
	if err != nil {
		return nil, err
	}
	escuSink := r.medianRatio("sink", "escu", wall)
	extEscu := r.medianRatio("escu", "extended", cpu)
	mrEscu := r.medianRatio("escu", "mapreduce", cpu)
	xmrExt := r.medianRatio("extended", "xmapreduce", cpu)
	for _, x := range []struct {
		name string
		v    float64
	}{{"escu/sink", escuSink}, {"extended/escu", extEscu}, {"mapreduce/escu", mrEscu}, {"xmapreduce/extended", xmrExt}} {
		if x.v == 0 {
			return nil, fmt.Errorf("%s: no round has both cases of %s", r.path, x.name)
		}
	}
	gs = append(gs,
		goal{name: "default mode ÷ pipe ceiling (wall, median of " + strconv.Itoa(len(r.rounds)) + " rounds)", figure: f2(escuSink), value: escuSink, bound: 0.70, atLeast: true, boundTxt: "≥ 0.70"},
		goal{name: "extended ÷ default mode (CPU, median)", figure: f2(extEscu), value: extEscu, bound: 1.33, boundTxt: "≤ 1.33"},
		goal{name: "extended ÷ default mode (instructions)", figure: fmt.Sprintf("%.3f", ir["extended"]/ir["escu"]), value: ir["extended"] / ir["escu"], bound: 1.33, boundTxt: "≤ 1.33"},
		goal{name: "default mode: map + reduce ÷ one process (CPU, median)", figure: f2(mrEscu), value: mrEscu, bound: 1.2, boundTxt: "≤ 1.2"},
		goal{name: "extended: map + reduce ÷ one process (CPU, median)", figure: f2(xmrExt), value: xmrExt, bound: 1.2, boundTxt: "≤ 1.2"},
		goal{name: "extended: map + reduce ÷ one process (instructions)", figure: fmt.Sprintf("%.3f", ir["xmapreduce"]/ir["extended"]), value: ir["xmapreduce"] / ir["extended"], bound: 1.2, boundTxt: "≤ 1.2"},
	)
	g, err := readGroups(filepath.Join(dir, "groups.txt"))
	if err != nil {
		return nil, err
	}
	gs = append(gs, g...)
	g, err = readMapReduce(filepath.Join(dir, "mr.txt"))
	if err != nil {
		return nil, err
	}
	gs = append(gs, g...)
	g, err = readWebhook(filepath.Join(dir, "webhook.txt"))
	if err != nil {
		return nil, err
	}
	return append(gs, g...), nil
}

// printGoals writes gs as a Markdown table and reports whether every goal
// was met.
func printGoals(w io.Writer, gs []goal) bool {
	all := true
	fmt.Fprintln(w, "| goal | figure | bound | |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	for _, g := range gs {
		verdict := "met"
		if !g.met() {
			verdict, all = "**NOT met**", false
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", g.name, g.figure, g.boundTxt, verdict)
	}
	return all
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// runs holds bench/ratios.sh's runs.txt: per round, per case, the wall
// and CPU seconds of the build "new" (and of the sink).
type runs struct {
	path   string
	rounds map[int]map[string][2]float64 // round → case → {wall, cpu}
}

const (
	wall = 0
	cpu  = 1
)

// readRuns reads lines "ROUND LOAD CASE BINARY WALL CPU RSS_KIB".
func readRuns(path string) (*runs, error) {
	r := &runs{path: path, rounds: map[int]map[string][2]float64{}}
	err := eachLine(path, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) != 7 {
			return fmt.Errorf("%s:%d: %d fields, want 7 (round load case binary wall cpu rss)", path, n, len(f))
		}
		if f[3] != "new" && f[3] != "-" {
			return nil // an OLD binary's run
		}
		round, err1 := strconv.Atoi(f[0])
		w, err2 := strconv.ParseFloat(f[4], 64)
		c, err3 := strconv.ParseFloat(f[5], 64)
		if err1 != nil || err2 != nil || err3 != nil || w <= 0 || c <= 0 {
			return fmt.Errorf("%s:%d: bad round, wall or CPU in %q", path, n, line)
		}
		if r.rounds[round] == nil {
			r.rounds[round] = map[string][2]float64{}
		}
		r.rounds[round][f[2]] = [2]float64{w, c}
		return nil
	})
	if err == nil && len(r.rounds) == 0 {
		err = fmt.Errorf("%s: no rounds", path)
	}
	return r, err
}

// medianRatio is the median over rounds of case b measured against case
// a: by wall time, a's wall ÷ b's (b's speed relative to a's); by CPU,
// b's CPU ÷ a's. 0 when no round has both.
func (r *runs) medianRatio(a, b string, measure int) float64 {
	var xs []float64
	for _, cases := range r.rounds {
		ma, okA := cases[a]
		mb, okB := cases[b]
		if !okA || !okB {
			continue
		}
		if measure == wall {
			xs = append(xs, ma[wall]/mb[wall])
		} else {
			xs = append(xs, mb[cpu]/ma[cpu])
		}
	}
	return median(xs)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// readInstructions reads ratios.md's callgrind table rows
// "| CASE | new | MB | INSTRUCTIONS | PER BYTE |".
func readInstructions(path string) (map[string]float64, error) {
	ir := map[string]float64{}
	err := eachLine(path, func(n int, line string) error {
		c := cells(line)
		if len(c) != 5 || c[1] != "new" {
			return nil
		}
		if v, err := strconv.ParseFloat(c[3], 64); err == nil && v > 0 {
			ir[c[0]] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range []string{"escu", "extended", "xmapreduce"} {
		if ir[c] == 0 {
			return nil, fmt.Errorf("%s: no instruction count for %s (run bench/ratios.sh with CALLGRIND=1)", path, c)
		}
	}
	return ir, nil
}

// readGroups reads bench/groups.sh's sweep rows "| MODE | GROUPS | INPUT
// MB | REPLY MB | RSS MiB | RATIO | SCAN MB | SCAN RSS MiB |" and returns
// the worst ratio of the search and of scan (whose ratio it computes the
// same way: peak RSS ÷ (2 × output + 32 MiB)).
func readGroups(path string) ([]goal, error) {
	worst, worstScan := -1.0, -1.0
	var at, atScan string
	rows := 0
	err := eachLine(path, func(n int, line string) error {
		c := cells(line)
		if len(c) != 8 || (c[0] != "escu" && c[0] != "extended") {
			return nil
		}
		v := make([]float64, 6)
		for i := range v {
			x, err := strconv.ParseFloat(c[i+2], 64)
			if err != nil {
				return fmt.Errorf("%s:%d: cell %d %q is not a number", path, n, i+3, c[i+2])
			}
			v[i] = x
		}
		rows++
		if v[3] > worst {
			worst, at = v[3], c[0]+", "+c[1]+" groups"
		}
		scan := v[5] / (2*v[4]*1e6/(1<<20) + 32)
		if scan > worstScan {
			worstScan, atScan = scan, c[0]+", "+c[1]+" groups"
		}
		return nil
	})
	if err == nil && rows == 0 {
		err = fmt.Errorf("%s: no sweep rows", path)
	}
	if err != nil {
		return nil, err
	}
	return []goal{
		{name: "search: peak RSS ÷ (2 × reply + 32 MiB), worst of " + strconv.Itoa(rows) + " sizes", figure: f2(worst) + " (" + at + ")", value: worst, bound: 1, boundTxt: "≤ 1"},
		{name: "scan: peak RSS ÷ (2 × output + 32 MiB), worst", figure: f2(worstScan) + " (" + atScan + ")", value: worstScan, bound: 1, boundTxt: "≤ 1"},
	}, nil
}

// readMapReduce reads bench/groups.sh MAPREDUCE=1's rows "| ROUND | LOAD |
// new | SINGLE | MAP | REDUCE | MB | RATIO |" and its instruction row
// "| new | SINGLE | MAP | REDUCE | RATIO |".
func readMapReduce(path string) ([]goal, error) {
	var xs []float64
	var instr float64
	err := eachLine(path, func(n int, line string) error {
		c := cells(line)
		switch {
		case len(c) == 8 && c[2] == "new":
			v, err := strconv.ParseFloat(c[7], 64)
			if err != nil {
				return fmt.Errorf("%s:%d: ratio %q is not a number", path, n, c[7])
			}
			xs = append(xs, v)
		case len(c) == 5 && c[0] == "new":
			v, err := strconv.ParseFloat(c[4], 64)
			if err != nil {
				return fmt.Errorf("%s:%d: ratio %q is not a number", path, n, c[4])
			}
			instr = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 || instr == 0 {
		return nil, fmt.Errorf("%s: want the rounds' ratios and the instructions' ratio (MAPREDUCE=1 CALLGRIND=1 bench/groups.sh)", path)
	}
	m := median(xs)
	return []goal{
		{name: "one group per event: map + reduce ÷ one process (CPU, median of " + strconv.Itoa(len(xs)) + " rounds)", figure: f2(m), value: m, bound: 1.2, boundTxt: "≤ 1.2"},
		{name: "one group per event: map + reduce ÷ one process (instructions)", figure: fmt.Sprintf("%.3f", instr), value: instr, bound: 1.2, boundTxt: "≤ 1.2"},
	}, nil
}

// readWebhook reads bench/webhook.sh's summary line for this tree at 16
// connections: "new conns=16: mean N events/s (…), p50 mean … ms, p99
// mean M ms (…), … (K rounds)".
func readWebhook(path string) ([]goal, error) {
	var gs []goal
	err := eachLine(path, func(n int, line string) error {
		rest, ok := strings.CutPrefix(line, "new conns=16: mean ")
		if !ok {
			return nil
		}
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != "events/s" {
			return fmt.Errorf("%s:%d: no events/s in %q", path, n, line)
		}
		ev, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return fmt.Errorf("%s:%d: bad events/s in %q", path, n, line)
		}
		_, after, _ := strings.Cut(rest, "p99 mean ")
		p := strings.Fields(after)
		if len(p) == 0 {
			return fmt.Errorf("%s:%d: no p99 in %q", path, n, line)
		}
		p99, err := strconv.ParseFloat(p[0], 64)
		if err != nil {
			return fmt.Errorf("%s:%d: bad p99 in %q", path, n, line)
		}
		rounds := ""
		if i := strings.LastIndex(line, "("); i >= 0 {
			rounds = ", " + strings.TrimSuffix(line[i+1:], ")")
		}
		gs = append(gs,
			goal{name: "webhook input, 16 connections: events/s (mean" + rounds + ")", figure: fmt.Sprintf("%.0f", ev), value: ev, bound: 300000, atLeast: true, boundTxt: "≥ 300,000"},
			goal{name: "webhook input, 16 connections: p99 batch latency (mean)", figure: fmt.Sprintf("%.1f ms", p99), value: p99, bound: 50, boundTxt: "≤ 50 ms"})
		return nil
	})
	if err == nil && len(gs) == 0 {
		err = fmt.Errorf("%s: no summary line for this tree at 16 connections (CONNS=16 bench/webhook.sh)", path)
	}
	return gs, err
}

// cells splits a Markdown table row into its trimmed cells; nil for
// other lines.
func cells(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
		return nil
	}
	c := strings.Split(line[1:len(line)-1], "|")
	for i := range c {
		c[i] = strings.TrimSpace(c[i])
	}
	return c
}

// eachLine calls fn with each line of the file and its number, stopping
// at fn's first error.
func eachLine(path string, fn func(n int, line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		if err := fn(n, s.Text()); err != nil {
			return err
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoalsOfASitting reads the outputs of a real sitting and checks every
// figure against what the tables in them say (BENCHMARKS.md quotes them).
func TestGoalsOfASitting(t *testing.T) {
	gs, err := goals("testdata/goals")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if !printGoals(&out, gs) {
		t.Errorf("a goal not met:\n%s", out.String())
	}
	want := map[string]string{
		"default mode ÷ pipe ceiling (wall, median of 9 rounds)":                    "1.28",
		"extended ÷ default mode (CPU, median)":                                     "1.22",
		"extended ÷ default mode (instructions)":                                    "1.203",
		"default mode: map + reduce ÷ one process (CPU, median)":                    "1.03",
		"extended: map + reduce ÷ one process (CPU, median)":                        "1.10",
		"extended: map + reduce ÷ one process (instructions)":                       "1.198",
		"search: peak RSS ÷ (2 × reply + 32 MiB), worst of 8 sizes":                 "0.80 (extended, 100000 groups)",
		"scan: peak RSS ÷ (2 × output + 32 MiB), worst":                             "0.81 (extended, 100000 groups)",
		"one group per event: map + reduce ÷ one process (CPU, median of 5 rounds)": "1.17",
		"one group per event: map + reduce ÷ one process (instructions)":            "1.155",
		"webhook input, 16 connections: events/s (mean, 5 rounds)":                  "372473",
		"webhook input, 16 connections: p99 batch latency (mean)":                   "34.6 ms",
	}
	if len(gs) != len(want) {
		t.Errorf("%d goals, want %d:\n%s", len(gs), len(want), out.String())
	}
	for _, g := range gs {
		if w, ok := want[g.name]; !ok || g.figure != w {
			t.Errorf("%s: %q, want %q", g.name, g.figure, w)
		}
	}
}

// copyGoals copies testdata/goals into a temporary directory, with edit
// applied to the file named by rel.
func copyGoals(t *testing.T, rel string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"ratios/runs.txt", "ratios/ratios.md", "groups.txt", "mr.txt", "webhook.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata/goals", f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if f == rel {
			s = edit(s)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGoalNotMet: a slower webhook series is reported, not passed.
func TestGoalNotMet(t *testing.T) {
	dir := copyGoals(t, "webhook.txt", func(s string) string {
		return strings.Replace(s, "new conns=16: mean 372473 events/s", "new conns=16: mean 299999 events/s", 1)
	})
	gs, err := goals(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if printGoals(&out, gs) {
		t.Fatalf("299,999 events/s passed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "| webhook input, 16 connections: events/s (mean, 5 rounds) | 299999 | ≥ 300,000 | **NOT met** |") {
		t.Errorf("table:\n%s", out.String())
	}
}

// TestGoalsMissingData: an output that lacks a figure is an error naming
// the file and the line or figure, never a pass.
func TestGoalsMissingData(t *testing.T) {
	for _, c := range []struct {
		rel  string
		edit func(string) string
		want string
	}{
		{"webhook.txt", func(s string) string { return strings.ReplaceAll(s, "new conns=16:", "new conns=4:") },
			"webhook.txt: no summary line for this tree at 16 connections"},
		{"webhook.txt", func(s string) string {
			return strings.Replace(s, "new conns=16: mean 372473 events/s", "new conns=16: mean", 1)
		}, "no events/s"},
		{"ratios/ratios.md", func(s string) string { return strings.Replace(s, "| xmapreduce | new |", "| xmapreduce | old |", 1) },
			"ratios.md: no instruction count for xmapreduce"},
		{"ratios/runs.txt", func(s string) string {
			return strings.Replace(s, "1 1.09 sink - 0.97 0.5 2020", "1 1.09 sink - 0.97", 1)
		},
			"runs.txt:1: 5 fields, want 7"},
		{"ratios/runs.txt", func(s string) string { return strings.ReplaceAll(s, " sink ", " sonk ") },
			"no round has both cases of escu/sink"},
		{"groups.txt", func(s string) string { return strings.Replace(s, "| 0.22 |", "| x |", 1) },
			"is not a number"},
		{"groups.txt", func(string) string { return "" }, "groups.txt: no sweep rows"},
		{"mr.txt", func(s string) string { return strings.Replace(s, "| new | 7336 |", "| old | 7336 |", 1) },
			"mr.txt: want the rounds' ratios and the instructions' ratio"},
	} {
		_, err := goals(copyGoals(t, c.rel, c.edit))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s edited: error %v, want %q", c.rel, err, c.want)
		}
	}
	if _, err := goals(t.TempDir()); err == nil || !strings.Contains(err.Error(), "runs.txt") {
		t.Errorf("empty directory: %v", err)
	}
}

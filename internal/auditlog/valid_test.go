package auditlog

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

func TestReaderRejectsDeepNesting(t *testing.T) {
	in := ev1 + "\n" + strings.Repeat("[", 3_000_000) + "\n" + `{"a":` + strings.Repeat("[", jsonscan.MaxDepth) + "\n" + ev2 + "\n"
	r := NewReader(strings.NewReader(in), "deep.log")
	got := readAll(t, r)
	want := []string{"ev 001: " + ev1,
		"err: deep.log:2: JSON nested deeper than 10000 levels",
		"err: deep.log:3: JSON nested deeper than 10000 levels",
		"ev 004: " + ev2}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", got)
	}
	_, err := NewReader(strings.NewReader(strings.Repeat("[", jsonscan.MaxDepth+1)), "x").Next()
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("got %v", err)
	}
}

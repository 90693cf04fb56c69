package detect

import (
	"errors"
	"reflect"
	"testing"
)

func TestWriteTableThroughTableWriter(t *testing.T) {
	in := Table{
		Columns: []string{"user", "reasons", "count"},
		Rows: []Row{
			{{"alice"}, {"privileged", "hostPID"}, {"2"}},
			{{"bob"}, nil, {"1"}},
		},
	}
	var tw TableWriter
	if err := WriteTable(&tw, in); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tw.Table, in) {
		t.Errorf("got %+v, want %+v", tw.Table, in)
	}
	if got, want := in.Multivalue(), []bool{false, true, false}; !reflect.DeepEqual(got, want) {
		t.Errorf("Multivalue() = %v, want %v", got, want)
	}
}

// failing fails on the n-th call of either method.
type failing struct{ n int }

var errFull = errors.New("full")

func (f *failing) WriteHeader([]string, []bool) error { return f.step() }
func (f *failing) Write([][]string) error             { return f.step() }
func (f *failing) step() error {
	if f.n--; f.n < 0 {
		return errFull
	}
	return nil
}

func TestWriteTableStopsAtTheFirstError(t *testing.T) {
	tb := Table{Columns: []string{"a"}, Rows: []Row{{{"1"}}, {{"2"}}}}
	for n := 0; n < 3; n++ {
		if err := WriteTable(&failing{n: n}, tb); !errors.Is(err, errFull) {
			t.Errorf("failing after %d calls: err %v, want %v", n, err, errFull)
		}
	}
	if err := WriteTable(&failing{n: 3}, tb); err != nil {
		t.Errorf("enough room: %v", err)
	}
}

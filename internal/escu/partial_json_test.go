package escu

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The former partial format, one JSON object per row, kept here as the
// oracle the current format is checked against: whatever state the JSON
// rows carried, the current rows carry too.

type jsonGroupRow struct {
	Escu     int       `json:"escu"`
	Key      []*string `json:"k"`
	Count    int64     `json:"n"`
	Groups   []string  `json:"g,omitempty"`
	NoGroups bool      `json:"m,omitempty"`
}

type jsonStateRow struct {
	Escu    int      `json:"escu"`
	Present []string `json:"present"`
	NonJSON int64    `json:"nonjson"`
	TooMany int64    `json:"toomany"`
}

type jsonAnyRow struct {
	Escu     *int      `json:"escu"`
	Key      []*string `json:"k"`
	Count    *int64    `json:"n"`
	Groups   []string  `json:"g"`
	NoGroups *bool     `json:"m"`
	Present  []string  `json:"present"`
	NonJSON  *int64    `json:"nonjson"`
	TooMany  *int64    `json:"toomany"`
}

// jsonFlush writes d's state as the former format's rows, without
// forgetting it.
func jsonFlush(t testing.TB, d *Detector, emit func([]byte)) {
	tb := &d.groups
	order := make([]int, tb.len())
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(tb.key(a), tb.key(b)) })
	for _, i := range order {
		g := &tb.recs[i]
		vals, ok := decodeKey(tb.key(i))
		row := jsonGroupRow{Escu: 1, Key: make([]*string, nBy), Count: g.count, NoGroups: g.noGroups, Groups: tb.sets.list(g.set)}
		for f := range nBy {
			if ok[f] {
				row.Key[f] = &vals[f]
			}
		}
		b, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		emit(b)
	}
	if d.present != 0 || d.nonJSON != 0 || d.tooMany != 0 {
		row := jsonStateRow{Escu: 1, Present: []string{}, NonJSON: d.nonJSON, TooMany: d.tooMany}
		for f := range nFields {
			if d.present&(1<<f) != 0 {
				row.Present = append(row.Present, fieldNames[f])
			}
		}
		b, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		emit(b)
	}
}

// jsonAddPartial is the former AddPartial.
func jsonAddPartial(d *Detector, p []byte) error {
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	var r jsonAnyRow
	if err := dec.Decode(&r); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	if r.Escu == nil || *r.Escu != 1 {
		return errors.New("no mark")
	}
	if r.Key != nil {
		if r.Present != nil || r.NonJSON != nil || r.TooMany != nil || len(r.Key) != nBy || r.Count == nil || *r.Count < 1 {
			return errors.New("bad group row")
		}
		var key []byte
		for _, v := range r.Key {
			if v == nil {
				key = append(key, 0)
				continue
			}
			if *v == "" {
				return errors.New("empty value")
			}
			key = append(key, 1)
			key = appendUvarint(key, len(*v))
			key = append(key, *v...)
		}
		var ids []uint32
		for _, v := range r.Groups {
			if v == "" {
				return errors.New("empty group")
			}
			ids = append(ids, d.groups.sets.value([]byte(v)))
		}
		slices.Sort(ids)
		set := d.groups.sets.set(slices.Compact(ids))
		g := d.groups.get(key)
		g.count += *r.Count
		g.set = d.groups.sets.union(g.set, set)
		if r.NoGroups != nil && *r.NoGroups {
			g.noGroups = true
		}
		d.version++
		return nil
	}
	if r.Count != nil || r.Groups != nil || r.NoGroups != nil || r.Present == nil || r.NonJSON == nil || r.TooMany == nil || *r.NonJSON < 0 || *r.TooMany < 0 {
		return errors.New("bad state row")
	}
	for _, name := range r.Present {
		f := slices.Index(fieldNames[:], name)
		if f < 0 {
			return errors.New("unknown field")
		}
		d.present |= 1 << f
	}
	d.nonJSON += *r.NonJSON
	d.tooMany += *r.TooMany
	d.version++
	return nil
}

// throughPartials returns a detector holding d's state after a trip
// through the current partial format.
func throughPartials(t testing.TB, d *Detector) *Detector {
	t.Helper()
	e := New()
	if err := d.Flush(func(p []byte) error {
		if err := e.AddPartial(p); err != nil {
			t.Fatalf("AddPartial(%q): %v", p, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// Every state the JSON format could carry (any row its decoder took),
// the current format carries to the same result and messages.
func FuzzPartialSameStateAsJSON(f *testing.F) {
	d := run(distCorpus(f)...)
	jsonFlush(f, d, func(p []byte) { f.Add(p) })
	f.Add([]byte(`{"escu":1,"k":["a\tb","\\x41",null,"\u0000","\r\n",null,"é","\ufffd","\\","x","y","z"],"n":7,"g":["\\t","\u007f","a"],"m":true}`))
	f.Add([]byte(`{"escu":1,"present":["user.groups{}","kind"],"nonjson":3,"toomany":4}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		d := New()
		if jsonAddPartial(d, p) != nil {
			return
		}
		want, wantMsg := d.Result(), d.Messages()
		e := throughPartials(t, d)
		if got := e.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("row %s: result differs:\n%s\nwant:\n%s", p, strings.Join(rows(got), "\n"), strings.Join(rows(want), "\n"))
		}
		if got := e.Messages(); !reflect.DeepEqual(got, wantMsg) {
			t.Fatalf("row %s: messages %q, want %q", p, got, wantMsg)
		}
	})
}

// A JSON row from an older map process is refused with a message that
// says what to do.
func TestFormerJSONRowsRefused(t *testing.T) {
	d := run(distCorpus(t)...)
	var old [][]byte
	jsonFlush(t, d, func(p []byte) { old = append(old, p) })
	for _, p := range old {
		err := New().AddPartial(p)
		if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "former JSON partial format") || !strings.Contains(err.Error(), "same version") {
			t.Fatalf("AddPartial(%s) = %v", p, err)
		}
	}
}

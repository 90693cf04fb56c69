package chunked

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll returns the header and every row's plain fields as strings.
func readAll(t testing.TB, rr *RecordReader) (header []string, rows [][]string, err error) {
	t.Helper()
	header, err = rr.Header()
	if err != nil {
		return nil, nil, err
	}
	for rr.Next() {
		row := make([]string, len(header))
		for i := range header {
			row[i] = string(rr.Field(i))
		}
		rows = append(rows, row)
	}
	return header, rows, rr.Err()
}

// readers feeds the same body whole, one byte at a time and in odd-sized
// pieces, so every buffer boundary case of the parser is exercised.
func readers(body string) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(body) },
		"bytewise": func() io.Reader { return iotest.OneByteReader(strings.NewReader(body)) },
		"halves":   func() io.Reader { return iotest.HalfReader(strings.NewReader(body)) },
		"dataerr":  func() io.Reader { return iotest.DataErrReader(strings.NewReader(body)) },
	}
}

func TestRecordReader(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		header []string
		rows   [][]string
	}{
		{"empty body", "", nil, nil},
		{"header only", "age,\"_chunked_idx\",\"__mv_age\",\"__mv__chunked_idx\"\n",
			[]string{"age", "_chunked_idx"}, nil},
		{"header only without newline", "a,b", []string{"a", "b"}, nil},
		{"splunkd style", "\"_serial\",\"_time\",text,\"__mv__serial\",\"__mv__time\",\"__mv_text\"\n0,1380899494,\"excellent review\",,,\n",
			[]string{"_serial", "_time", "text"}, [][]string{{"0", "1380899494", "excellent review"}}},
		{"quoted newline and doubled quotes", "a,b\n\"x\ny\",\"say \"\"hi\"\"\"\n",
			[]string{"a", "b"}, [][]string{{"x\ny", `say "hi"`}}},
		{"CRLF rows", "a,b\r\n1,2\r\n\"3\",\"4\"\r\n",
			[]string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"CRLF inside quotes kept", "a\n\"x\r\ny\"\n", []string{"a"}, [][]string{{"x\r\ny"}}},
		{"lone CR inside unquoted field kept", "a,b\nx\ry,z\n", []string{"a", "b"}, [][]string{{"x\ry", "z"}}},
		{"no final newline", "a,b\n1,2", []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"no final newline after quote", "a,b\n1,\"2\"", []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"empty fields", "a,b,c\n,,\n\"\",,\"\"\n", []string{"a", "b", "c"}, [][]string{{"", "", ""}, {"", "", ""}}},
		{"trailing comma at EOF", "a,b\n1,", []string{"a", "b"}, [][]string{{"1", ""}}},
		{"blank lines skipped", "\n\na,b\n\n1,2\r\n\r\n3,4\n\n", []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"quoted empty single column", "a\n\"\"\n", []string{"a"}, [][]string{{""}}},
		{"invalid UTF-8 untouched", "a\n\xff\xfe\"\n", nil, nil}, // bare quote: see errors test
		{"invalid UTF-8 passes", "a,b\n\xff\xfe,\"\xc3\x28\"\n", []string{"a", "b"}, [][]string{{"\xff\xfe", "\xc3\x28"}}},
		{"multibyte", "\"_time\",teststring,\"__mv__time\",\"__mv_teststring\"\n\"1599172247.704\",\"ทt\",,\n",
			[]string{"_time", "teststring"}, [][]string{{"1599172247.704", "ทt"}}},
		{"JSON in quotes", "\"_raw\",\"__mv__raw\"\n\"{\"\"kind\"\":\"\"Event\"\",\"\"a\"\":[\"\"\"\"]}\",\n",
			[]string{"_raw"}, [][]string{{`{"kind":"Event","a":[""]}`}}},
		{"quote pair at the end", "a\n\"x\"\"\"\n", []string{"a"}, [][]string{{`x"`}}},
		{"only quotes", "a\n\"\"\"\"\"\"\n", []string{"a"}, [][]string{{`""`}}},
	}
	for _, tc := range tests {
		if tc.name == "invalid UTF-8 untouched" {
			continue
		}
		for how, src := range readers(tc.body) {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				header, rows, err := readAll(t, NewRecordReader(src()))
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if !reflect.DeepEqual(header, tc.header) {
					t.Errorf("header = %q, want %q", header, tc.header)
				}
				if !reflect.DeepEqual(rows, tc.rows) {
					t.Errorf("rows = %q, want %q", rows, tc.rows)
				}
			})
		}
	}
}

func TestRecordReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		rows int // rows read before the error
		want ParseError
		text string
	}{
		{"bare quote", "a,b\n1,2\nx,y\"z\n", 1,
			ParseError{Row: 2, Line: 3, Column: 4, Err: ErrBareQuote},
			`body row 2 line 3 column 4: bare " in non-quoted field`},
		{"bare quote in header", "a,b\"\n", 0,
			ParseError{Row: 0, Line: 1, Column: 4, Err: ErrBareQuote},
			`body header line 1 column 4: bare " in non-quoted field`},
		{"text after closing quote", "a,b\n\"x\"y,2\n", 0,
			ParseError{Row: 1, Line: 2, Column: 4, Err: ErrQuote},
			`body row 1 line 2 column 4: extraneous or missing " in quoted field`},
		{"CR not before LF after quote", "a\n\"x\"\ry\n", 0,
			ParseError{Row: 1, Line: 2, Column: 4, Err: ErrQuote},
			`body row 1 line 2 column 4: extraneous or missing " in quoted field`},
		{"unclosed quote", "a,b\n1,2\n3,\"abc\n\n", 1,
			ParseError{Row: 2, Line: 3, Column: 3, Err: ErrQuote},
			`body row 2 line 3 column 3: extraneous or missing " in quoted field: quoted field not closed at the end of the body`},
		{"field count", "a,b\n1,2\n1,2,3\n", 1,
			ParseError{Row: 2, Line: 3, Column: 1, Err: ErrFieldCount},
			`body row 2 line 3 column 1: wrong number of fields: row has 3, header has 2`},
		{"field count after quoted newlines", "a,b\n\"1\n2\n3\",4\n5\n", 1,
			ParseError{Row: 2, Line: 5, Column: 1, Err: ErrFieldCount},
			`body row 2 line 5 column 1: wrong number of fields: row has 1, header has 2`},
		{"column after multiline field", "a,b\n\"x\ny\"\"\"\"z\",q\"\n", 0,
			// line 3 is: y""""z",q"  — the bare quote is its 10th byte
			ParseError{Row: 1, Line: 3, Column: 10, Err: ErrBareQuote},
			`body row 1 line 3 column 10: bare " in non-quoted field`},
		{"invalid UTF-8 then bare quote", "a\n\xff\xfe\"\n", 0,
			ParseError{Row: 1, Line: 2, Column: 3, Err: ErrBareQuote},
			`body row 1 line 2 column 3: bare " in non-quoted field`},
	}
	for _, tc := range tests {
		for how, src := range readers(tc.body) {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				rr := NewRecordReader(src())
				n := 0
				for rr.Next() {
					n++
				}
				if n != tc.rows {
					t.Errorf("read %d rows before the error, want %d", n, tc.rows)
				}
				var pe *ParseError
				if !errors.As(rr.Err(), &pe) {
					t.Fatalf("Err() = %v, want a *ParseError", rr.Err())
				}
				if !errors.Is(pe, tc.want.Err) {
					t.Errorf("error %v does not wrap %v", pe.Err, tc.want.Err)
				}
				if pe.Row != tc.want.Row || pe.Line != tc.want.Line || pe.Column != tc.want.Column {
					t.Errorf("at row %d line %d column %d, want row %d line %d column %d",
						pe.Row, pe.Line, pe.Column, tc.want.Row, tc.want.Line, tc.want.Column)
				}
				if pe.Error() != tc.text {
					t.Errorf("text %q, want %q", pe.Error(), tc.text)
				}
				if rr.Next() {
					t.Error("Next after an error returned true")
				}
			})
		}
	}
}

func TestRecordReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	rr := NewRecordReader(io.MultiReader(strings.NewReader("a,b\n1,2\n3,"), iotest.ErrReader(boom)))
	n := 0
	for rr.Next() {
		n++
	}
	if n != 1 || rr.Err() != boom {
		t.Fatalf("rows %d, err %v; want 1 row then boom", n, rr.Err())
	}
}

func TestRecordReaderMultivalue(t *testing.T) {
	body := "a,b,c,\"__mv_a\",\"__mv_c\",\"__mv_orphan\"\n" +
		"\"x\ny\",1,,\"$x$;$y$\",,\n" + // mv wins over the plain value
		"solo,2,,,,\n" + // empty __mv_: the plain value
		",3,,,,\n" + // both empty: nil
		"\"\nx\",4,,\"$$;$x$\",,\n" + // an empty element
		"z,5,\"a$\nb\",,\"$a$$$;$b$\",\n" + // '$' inside a value
		"z,6,w,,\"$$$$;$x$\",\n" + // a lone '$' value
		"plain,7,,\"$broken\",\"$a$x\",\n" // malformed: fall back to plain
	want := []struct{ a, c []string }{
		{[]string{"x", "y"}, nil},
		{[]string{"solo"}, nil},
		{nil, nil},
		{[]string{"", "x"}, nil},
		{[]string{"z"}, []string{"a$", "b"}},
		{[]string{"z"}, []string{"$", "x"}},
		{[]string{"plain"}, nil},
	}
	rr := NewRecordReader(strings.NewReader(body))
	h, err := rr.Header()
	if err != nil || !reflect.DeepEqual(h, []string{"a", "b", "c"}) {
		t.Fatalf("header %q, %v", h, err)
	}
	if rr.Index("__mv_a") != -1 || rr.Index("c") != 2 || rr.Index("nope") != -1 {
		t.Error("Index should only know plain columns")
	}
	strs := func(v [][]byte) []string {
		if v == nil {
			return nil
		}
		s := make([]string, len(v))
		for i := range v {
			s[i] = string(v[i])
		}
		return s
	}
	for i, w := range want {
		if !rr.Next() {
			t.Fatalf("row %d missing: %v", i+1, rr.Err())
		}
		if got := strs(rr.Values(0)); !reflect.DeepEqual(got, w.a) {
			t.Errorf("row %d a = %q, want %q", i+1, got, w.a)
		}
		if got := strs(rr.Values(2)); !reflect.DeepEqual(got, w.c) {
			t.Errorf("row %d c = %q, want %q", i+1, got, w.c)
		}
		if got := strs(rr.Values(1)); len(got) != 1 || got[0] != string(rune('1'+i)) {
			t.Errorf("row %d b = %q", i+1, got)
		}
	}
	if rr.Next() || rr.Err() != nil {
		t.Fatalf("extra row or error: %v", rr.Err())
	}
	if rr.Values(0) != nil || rr.Field(0) != nil {
		t.Error("no current row: want nil")
	}
}

// TestRecordReaderHugeField checks 20 MB fields read through small pieces
// and that memory follows the record: the buffer ends up about the size of
// the record, not of the body.
func TestRecordReaderHugeField(t *testing.T) {
	big := bytes.Repeat([]byte(`{""k"":""v""},`), 20<<20/14)
	want := bytes.ReplaceAll(big, []byte(`""`), []byte(`"`))
	var body bytes.Buffer
	body.WriteString("\"_raw\",n\n")
	for i := 0; i < 2; i++ {
		body.WriteString("\"")
		body.Write(big)
		body.WriteString("\",")
		body.WriteString(string(rune('0' + i)))
		body.WriteString("\n")
	}
	rr := NewRecordReader(iotest.HalfReader(&body))
	n := 0
	for rr.Next() {
		if !bytes.Equal(rr.Field(0), want) {
			t.Fatalf("row %d: field of %d bytes differs from the expected %d bytes", n+1, len(rr.Field(0)), len(want))
		}
		if string(rr.Field(1)) != string(rune('0'+n)) {
			t.Fatalf("row %d: n = %q", n+1, rr.Field(1))
		}
		n++
	}
	if rr.Err() != nil || n != 2 {
		t.Fatalf("%d rows, %v", n, rr.Err())
	}
	if len(rr.buf) > 4*len(big) {
		t.Errorf("buffer grew to %d bytes for records of %d", len(rr.buf), len(big))
	}
}

// TestRecordReaderNoAllocs checks the steady state allocates nothing per
// row (the benchmarks report the same through ReportAllocs).
func TestRecordReaderNoAllocs(t *testing.T) {
	body := benchBody(2000, false)
	allocs := testing.AllocsPerRun(5, func() {
		rr := NewRecordReader(bytes.NewReader(body))
		i := rr.Index("_raw")
		for rr.Next() {
			_ = rr.Field(i)
			_ = rr.Values(i)
		}
	})
	// A few for the reader, the header and the buffer's seven doublings
	// from initialBuffer to readBuffer; none per row.
	if allocs > 25 {
		t.Errorf("%v allocations for 2000 rows", allocs)
	}
}

func TestRecordReaderReset(t *testing.T) {
	rr := NewRecordReader(strings.NewReader("a,b\n\"x\"\"\",2\n"))
	_, rows, err := readAll(t, rr)
	if err != nil || !reflect.DeepEqual(rows, [][]string{{`x"`, "2"}}) {
		t.Fatalf("%q %v", rows, err)
	}
	buf := &rr.buf[0]
	rr.Reset(strings.NewReader("c\n3\n4\n"))
	h, rows, err := readAll(t, rr)
	if err != nil || !reflect.DeepEqual(h, []string{"c"}) || !reflect.DeepEqual(rows, [][]string{{"3"}, {"4"}}) || rr.Row() != 2 {
		t.Fatalf("after Reset: %q %q %v", h, rows, err)
	}
	if &rr.buf[0] != buf {
		t.Error("Reset did not keep the buffer")
	}
	rr.Reset(strings.NewReader(""))
	if h, err := rr.Header(); h != nil || err != nil || rr.Next() {
		t.Errorf("empty body after Reset: %q %v", h, err)
	}
}

// TestRecordReaderRoundTrip writes random tables with encoding/csv (values
// dense in quotes, so every path of the quoted-field decoder is taken,
// including pairs split across words and reads) and reads them back.
func TestRecordReaderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`""""""abcdefgh,$` + "\n")
	for iter := range 3000 {
		cols := 2 + rng.IntN(3)
		var want [][]string
		var body bytes.Buffer
		w := csv.NewWriter(&body)
		for r := range 1 + rng.IntN(6) {
			row := make([]string, cols)
			for c := range row {
				n := rng.IntN(70)
				if r == 0 {
					n = 1 + rng.IntN(3) // short header names
				}
				v := make([]byte, n)
				for i := range v {
					v[i] = alphabet[rng.IntN(len(alphabet))]
				}
				if r == 0 {
					v = bytes.ReplaceAll(v, []byte("$"), []byte("d")) // no __mv_ names
				}
				row[c] = string(v)
			}
			want = append(want, row)
			w.Write(row)
		}
		w.Flush()
		src := body.String()
		for how, r := range readers(src) {
			header, rows, err := readAll(t, NewRecordReader(r()))
			if err != nil {
				t.Fatalf("iteration %d (%s): %v\n%q", iter, how, err, src)
			}
			if !reflect.DeepEqual(header, want[0]) || !reflect.DeepEqual(rows, want[1:]) && len(want) > 1 {
				t.Fatalf("iteration %d (%s):\n got %q %q\nwant %q\nbody %q", iter, how, header, rows, want, src)
			}
		}
	}
}

func TestRecordReaderMaxRecord(t *testing.T) {
	body := "a,b\n1,2\n\"" + strings.Repeat("x,y\n", 300<<10) // an unclosed quote
	rr := NewRecordReader(strings.NewReader(body))
	rr.MaxRecord = 100 << 10
	n := 0
	for rr.Next() {
		n++
	}
	var pe *ParseError
	if n != 1 || !errors.As(rr.Err(), &pe) || !errors.Is(pe, ErrRecordSize) || pe.Row != 2 || pe.Line != 3 {
		t.Fatalf("%d rows, %v", n, rr.Err())
	}
	if want := "body row 2 line 3 column 1: record too large: over 102400 bytes and not ended"; pe.Error() != want {
		t.Errorf("text %q", pe.Error())
	}
	if len(rr.buf) > 4*rr.MaxRecord {
		t.Errorf("buffer grew to %d", len(rr.buf))
	}
	// The same body under the default limit is an unclosed quote.
	rr = NewRecordReader(strings.NewReader(body))
	for rr.Next() {
	}
	if !errors.Is(rr.Err(), ErrQuote) {
		t.Errorf("default limit: %v", rr.Err())
	}
}

// plainEnd finds the first stop byte wherever it sits in a word, with
// the other stop bytes and their neighbours (a byte one above, which a
// borrow could flag) after it.
func TestPlainEnd(t *testing.T) {
	slow := func(b []byte, p int) int {
		for ; p < len(b); p++ {
			if c := b[p]; c == ',' || c == '\n' || c == '"' {
				break
			}
		}
		return p
	}
	for n := 0; n <= 100; n++ {
		for stop := -1; stop < n; stop++ {
			for _, c := range []byte{',', '\n', '"'} {
				b := bytes.Repeat([]byte{'a'}, n)
				for i := range b {
					b[i] = "-\v#+a\x00\xff"[i%7] // one above each stop, and more
				}
				if stop >= 0 {
					b[stop] = c
					for i := stop + 1; i < n; i += 3 {
						b[i] = ",\n\""[i%3]
					}
				}
				for p := 0; p <= min(n, 17); p++ {
					if got, want := plainEnd(b, p), slow(b, p); got != want {
						t.Fatalf("plainEnd(%q, %d) = %d, want %d", b, p, got, want)
					}
					if got, want := plainEndWords(b, p), slow(b, p); got != want {
						t.Fatalf("plainEndWords(%q, %d) = %d, want %d", b, p, got, want)
					}
				}
			}
		}
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReduceInput turns a map reply (getinfo reply, a chunk with partial
// rows, an empty one, a final one with rows) into reduce requests.
func TestReduceInput(t *testing.T) {
	getinfo := filepath.Join(t.TempDir(), "getinfo")
	meta := `{"action":"getinfo","searchinfo":{"args":["mode=escu"]}}`
	if err := os.WriteFile(getinfo, []byte("chunked 1.0,"+strconv.Itoa(len(meta))+",0\n"+meta), 0o600); err != nil {
		t.Fatal(err)
	}
	body1 := "__kubeprivpod_partial\n\"{\"\"escu\"\":1}\"\n"
	body2 := "__kubeprivpod_partial\nx\n"
	reply := "chunked 1.0,20,0\n" + `{"type":"streaming"}` +
		"chunked 1.0,18," + strconv.Itoa(len(body1)) + "\n" + `{"finished":false}` + body1 +
		"chunked 1.0,18,0\n" + `{"finished":false}` +
		"chunked 1.0,17," + strconv.Itoa(len(body2)) + "\n" + `{"finished":true}` + body2
	var out bytes.Buffer
	if err := reduceInput(getinfo, strings.NewReader(reply), &out); err != nil {
		t.Fatal(err)
	}
	want := "chunked 1.0," + strconv.Itoa(len(meta)) + ",0\n" + meta +
		"chunked 1.0,37," + strconv.Itoa(len(body1)) + "\n" + `{"action":"execute","finished":false}` + body1 +
		"chunked 1.0,37," + strconv.Itoa(len(body2)) + "\n" + `{"action":"execute","finished":false}` + body2 +
		"chunked 1.0,36,0\n" + `{"action":"execute","finished":true}`
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}

	// A truncated reply is an error, not a short input.
	if err := reduceInput(getinfo, strings.NewReader(reply[:len(reply)-3]), &out); err == nil {
		t.Fatal("truncated reply accepted")
	}
	if err := reduceInput(getinfo, strings.NewReader("chunked 1.0,x,0\n"), &out); err == nil {
		t.Fatal("bad header accepted")
	}
}

func TestSink(t *testing.T) {
	if err := sink(strings.NewReader(strings.Repeat("x", 3<<20))); err != nil {
		t.Fatal(err)
	}
}

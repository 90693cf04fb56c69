package modinput

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSchemeWriteTo(t *testing.T) {
	s := &Scheme{
		Title:                 "T & co",
		Description:           "desc",
		UseExternalValidation: true,
		UseSingleInstance:     true,
		Args: []Arg{
			{Name: "listen", Title: "Listen", Description: "host:port", RequiredOnCreate: true},
			{Name: "n", DataType: TypeNumber, Validation: "is_pos_int('n')"},
		},
	}
	var b bytes.Buffer
	if _, err := s.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := `<scheme>
  <title>T &amp; co</title>
  <description>desc</description>
  <use_external_validation>true</use_external_validation>
  <use_single_instance>true</use_single_instance>
  <streaming_mode>xml</streaming_mode>
  <endpoint>
    <args>
      <arg name="listen">
        <title>Listen</title>
        <description>host:port</description>
        <data_type>string</data_type>
        <required_on_edit>false</required_on_edit>
        <required_on_create>true</required_on_create>
      </arg>
      <arg name="n">
        <validation>is_pos_int(&#39;n&#39;)</validation>
        <data_type>number</data_type>
        <required_on_edit>false</required_on_edit>
        <required_on_create>false</required_on_create>
      </arg>
    </args>
  </endpoint>
</scheme>
`
	if b.String() != want {
		t.Errorf("scheme XML:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestReadInputDefinition(t *testing.T) {
	f, err := os.Open("testdata/input_two_stanzas.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	def, err := ReadInputDefinition(f)
	if err != nil {
		t.Fatal(err)
	}
	want := &InputDefinition{
		Metadata: Metadata{
			ServerHost:    "idx-1",
			ServerURI:     "https://127.0.0.1:8089",
			SessionKey:    "k3y&s3cret",
			CheckpointDir: "/opt/splunk/var/lib/splunk/modinputs/kube_audit_webhook",
		},
		Stanzas: []Stanza{
			{Name: "kube_audit_webhook://prod", App: "kubeprivpod",
				Params: map[string]string{"listen": "0.0.0.0:9443", "cluster": "prod-eu-1", "disabled": "0", "index": "kube", "host": "idx-1"},
				Lists:  map[string][]string{}},
			{Name: "kube_audit_webhook://lab", App: "kubeprivpod",
				Params: map[string]string{"listen": "127.0.0.1:9444"},
				Lists:  map[string][]string{"extra": {"a", "b < c"}}},
		},
	}
	if !reflect.DeepEqual(def, want) {
		t.Errorf("got %+v\nwant %+v", def, want)
	}
	if got := def.Stanzas[1].Param("path", "/audit"); got != "/audit" {
		t.Errorf("Param default = %q", got)
	}
	if got := def.Stanzas[0].Param("cluster", "x"); got != "prod-eu-1" {
		t.Errorf("Param = %q", got)
	}
}

func TestReadValidationDefinition(t *testing.T) {
	f, err := os.Open("testdata/validation.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	def, err := ReadValidationDefinition(f)
	if err != nil {
		t.Fatal(err)
	}
	if def.Item.Name != "prod" || def.Item.Params["listen"] != "0.0.0.0:9443" || def.Item.Params["max_body_bytes"] != "1048576" || def.SessionKey != "abc" {
		t.Errorf("got %+v", def)
	}
}

func TestDefinitionErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
		validation      bool
	}{
		{"empty", "", "modular input configuration: empty input, expected <input> XML as splunkd sends it", false},
		{"blank", " \n\t", "modular input configuration: empty input, expected <input> XML as splunkd sends it", false},
		{"not XML", "listen=0.0.0.0:9443\npath=/audit\n", `modular input configuration: no XML element in the input, expected <input> as splunkd sends it; got "listen=0.0.0.0:9443\npath=/audit\n"`, false},
		{"JSON", `{"listen":"0.0.0.0:9443"}`, `modular input configuration: no XML element in the input, expected <items> as splunkd sends it; got "{\"listen\":\"0.0.0.0:9443\"}"`, true},
		{"wrong root", "<items></items>", "modular input configuration: root element is <items>, expected <input>", false},
		{"syntax", "<input>\n<configuration>\n<stanza name='a'>\n</input>", "modular input configuration: line 4: element <stanza> closed by </input>", false},
		{"no name", "<input><configuration><stanza><param name='x'>1</param></stanza></configuration></input>", "modular input configuration: configuration stanza 1: missing name attribute", false},
		{"dup param", "<input><configuration><stanza name='s://a'><param name='x'>1</param><param name='x'>2</param></stanza></configuration></input>", `modular input configuration: stanza "s://a": param "x": given twice`, false},
		{"unnamed param", "<input><configuration><stanza name='s://a'><param>1</param></stanza></configuration></input>", `modular input configuration: stanza "s://a": <param> without a name attribute`, false},
		{"two items", "<items><item name='a'/><item name='b'/></items>", "modular input configuration: <items>: want exactly one <item>, got 2", true},
		{"no item", "<items></items>", "modular input configuration: <items>: want exactly one <item>, got 0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.validation {
				_, err = ReadValidationDefinition(strings.NewReader(tc.doc))
			} else {
				_, err = ReadInputDefinition(strings.NewReader(tc.doc))
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("errors.Is(err, ErrConfig) = false")
			}
		})
	}
}

func TestWriteValidationError(t *testing.T) {
	var b bytes.Buffer
	if err := WriteValidationError(&b, `listen: "x<y" is bad & wrong`); err != nil {
		t.Fatal(err)
	}
	want := "<error><message>listen: &#34;x&lt;y&#34; is bad &amp; wrong</message></error>\n"
	if b.String() != want {
		t.Errorf("got %q want %q", b.String(), want)
	}
}

type events []struct {
	t    time.Time
	data []byte
}

func (e events) Len() int                        { return len(e) }
func (e events) Event(i int) (time.Time, []byte) { return e[i].t, e[i].data }

func TestStream(t *testing.T) {
	var out bytes.Buffer
	s := NewStream(&out)
	r := NewRoute(`kube_audit_webhook://a"b`, "kube_audit_webhook://a\"b", "kube:apiserver:auditlog", "main", "prod<1>")
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	if err := s.WriteBatch(r, events{{ts, []byte(`{"a":"<&>"}`)}, {time.Time{}, []byte("x\r\ny")}}); err != nil {
		t.Fatal(err)
	}
	bare := NewRoute("s://b", "", "", "", "")
	if err := s.WriteBatch(bare, events{{time.Unix(5, 7000), []byte("z")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := "<stream>\n" +
		`<event stanza="kube_audit_webhook://a&quot;b" unbroken="1"><time>1714979289.123456</time><data>{"a":"&lt;&amp;&gt;"}</data>` +
		`<source>kube_audit_webhook://a"b</source><sourcetype>kube:apiserver:auditlog</sourcetype><index>main</index><host>prod&lt;1&gt;</host><done/></event>` + "\n" +
		`<event stanza="kube_audit_webhook://a&quot;b" unbroken="1"><data>x&#xD;` + "\n" + `y</data>` +
		`<source>kube_audit_webhook://a"b</source><sourcetype>kube:apiserver:auditlog</sourcetype><index>main</index><host>prod&lt;1&gt;</host><done/></event>` + "\n" +
		`<event stanza="s://b" unbroken="1"><time>5.000007</time><data>z</data><done/></event>` + "\n" +
		"</stream>\n"
	if out.String() != want {
		t.Errorf("stream:\n%s\nwant:\n%s", out.String(), want)
	}
	if err := s.WriteBatch(bare, events{{time.Time{}, []byte("late")}}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	// The stream must be well-formed XML whose data decodes back.
	type xev struct {
		Stanza string `xml:"stanza,attr"`
		Data   string `xml:"data"`
	}
	var doc struct {
		Events []xev `xml:"event"`
	}
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Events) != 3 || doc.Events[0].Data != `{"a":"<&>"}` || doc.Events[1].Data != "x\r\ny" || doc.Events[0].Stanza != `kube_audit_webhook://a"b` {
		t.Errorf("decoded %+v", doc.Events)
	}
}

func TestStreamEmptyClose(t *testing.T) {
	var out bytes.Buffer
	if err := NewStream(&out).Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "<stream>\n</stream>\n" {
		t.Errorf("got %q", out.String())
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, io.ErrClosedPipe
}

func TestStreamStickyError(t *testing.T) {
	fw := &failWriter{}
	s := NewStream(fw)
	r := NewRoute("s://a", "", "", "", "")
	if err := s.WriteBatch(r, events{{time.Time{}, []byte("a")}}); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("err = %v", err)
	}
	if err := s.WriteBatch(r, events{{time.Time{}, []byte("b")}}); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("second err = %v", err)
	}
	if err := s.Close(); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("close err = %v", err)
	}
	if fw.n != 1 {
		t.Errorf("writes after failure: %d", fw.n)
	}
}

func TestAppendEscaped(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain ascii \"quoted\" 'x'\t\n", "plain ascii \"quoted\" 'x'\t\n"},
		{"a<b>c&d", "a&lt;b&gt;c&amp;d"},
		{"]]>", "]]&gt;"},
		{"cr\r", "cr&#xD;"},
		{"nul\x00bel\x07esc\x1b", "nul\uFFFDbel\uFFFDesc\uFFFD"},
		{"del\x7f", "del\x7f"},
		{"héllo ☃ 𝄞", "héllo ☃ 𝄞"},
		{"bad\xff\xfeutf8", "bad\uFFFD\uFFFDutf8"},
		{"trunc\xe2\x98", "trunc\uFFFD\uFFFD"},
		{"nonchar\uFFFE\uFFFF", "nonchar\uFFFD\uFFFD"},
		{"keep\uFFFD", "keep\uFFFD"},
		{"surrogate\xed\xa0\x80", "surrogate\uFFFD\uFFFD\uFFFD"},
	} {
		if got := string(appendEscaped(nil, []byte(tc.in), false)); got != tc.want {
			t.Errorf("appendEscaped(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := string(appendEscaped([]byte("p:"), []byte("a\"b\n\tc"), true)); got != "p:a&quot;b&#xA;&#x9;c" {
		t.Errorf("attr = %q", got)
	}
}

// sanitize is what appendEscaped must preserve: the text with every
// character XML 1.0 cannot carry replaced by U+FFFD.
func sanitize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1,
			r < 0x20 && r != '\t' && r != '\n' && r != '\r',
			r == 0xFFFE, r == 0xFFFF:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func FuzzAppendEscaped(f *testing.F) {
	for _, s := range []string{"", "a<b", "\r\n\t", "\x00\xff", "\uFFFE", `{"k":"v"}`, "é\xe2\x98"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, attr := range []bool{false, true} {
			doc := []byte("<d a=\"")
			if attr {
				doc = appendEscaped(doc, in, true)
			}
			doc = append(doc, "\">"...)
			if !attr {
				doc = appendEscaped(doc, in, false)
			}
			doc = append(doc, "</d>"...)
			var v struct {
				A    string `xml:"a,attr"`
				Text string `xml:",chardata"`
			}
			if err := xml.Unmarshal(doc, &v); err != nil {
				t.Fatalf("not well-formed (attr=%v): %v\n%q", attr, err, doc)
			}
			got := v.Text
			if attr {
				got = v.A
			}
			if want := sanitize(string(in)); got != want {
				t.Fatalf("attr=%v: decoded %q, want %q", attr, got, want)
			}
		}
	})
}

func FuzzReadInputDefinition(f *testing.F) {
	for _, name := range []string{"testdata/input_two_stanzas.xml", "testdata/validation.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("<input><configuration><stanza name='a'><param name='b'>c</param></stanza></configuration></input>"))
	f.Fuzz(func(t *testing.T, in []byte) {
		def, err := ReadInputDefinition(bytes.NewReader(in))
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			return
		}
		for _, s := range def.Stanzas {
			if s.Name == "" || s.Params == nil || s.Lists == nil {
				t.Fatalf("incomplete stanza %+v", s)
			}
		}
		if _, err := ReadValidationDefinition(bytes.NewReader(in)); err == nil {
			t.Fatalf("document accepted both as <input> and as <items>")
		}
	})
}

func TestLogger(t *testing.T) {
	var b bytes.Buffer
	l := NewLogger(&b)
	l.Logf(Info, "listening on %s", ":9443")
	l.Logf(Error, "multi\nline\r\nmessage")
	if want := "INFO listening on :9443\nERROR multi\\nline\\r\\nmessage\n"; b.String() != want {
		t.Errorf("got %q want %q", b.String(), want)
	}
}

// TestLoggerEscapesControls: nothing a client sends can end a line, start
// a forged one, move the cursor or reorder text in splunkd.log.
func TestLoggerEscapesControls(t *testing.T) {
	var b bytes.Buffer
	l := NewLogger(&b)
	in := "a\x00b\x1b[2Jc\vd\fe\x7ff\u0085g\u2028h\u2029i\u202ej\u2066k\u200bl\ufeffm\xffn\\o\ufffdp é 日本"
	l.Logf(Warn, "refused %s", in)
	want := `WARN refused a\x00b\x1b[2Jc\x0bd\x0ce\x7ff\u0085g\u2028h\u2029i\u202ej\u2066k\u200bl\ufeffm\xffn\\o\ufffdp é 日本` + "\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
	for i, c := range b.String()[:b.Len()-1] {
		if c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 || c == 0x2028 || c == 0x2029 {
			t.Errorf("control %U left at %d", c, i)
		}
	}
	// A long message is cut, and says by how much.
	b.Reset()
	l.Logf(Warn, "path %s", strings.Repeat("x", 60000))
	if b.Len() > MaxLineBytes+64 || !strings.HasSuffix(b.String(), "... (55909 more bytes)\n") {
		t.Errorf("long line: %d bytes, ends %q", b.Len(), b.String()[b.Len()-40:])
	}
}

// TestStreamChunksAndUnread: a large batch is written in ChunkBytes
// pieces (its buffer is not kept), and Unread counts the batches that may
// still sit in a pipe of the window's size.
func TestStreamChunksAndUnread(t *testing.T) {
	var w countingWriter
	s := NewStream(&w)
	s.KeepWindow(10000)
	r := NewRoute("s", "", "", "", "")
	big := make(events, 5000)
	for i := range big {
		big[i] = struct {
			t    time.Time
			data []byte
		}{time.Time{}, bytes.Repeat([]byte("x"), 200)}
	}
	if err := s.WriteBatch(r, big); err != nil {
		t.Fatal(err)
	}
	if w.writes < 4 || w.max > ChunkBytes+1024 {
		t.Errorf("%d writes, largest %d bytes", w.writes, w.max)
	}
	if cap(s.buf) > 2*ChunkBytes {
		t.Errorf("kept a %d-byte buffer", cap(s.buf))
	}
	// Of a large batch only the events in the window's bytes count.
	perBig := len(`<event stanza="s" unbroken="1"><data></data><done/></event>`) + 1 + 200
	if ev, _ := s.Unread(); ev < int64(10000/perBig) || ev > int64(10000/perBig)+1 {
		t.Errorf("after a 5000-event batch Unread = %d events, want %d", ev, 10000/perBig)
	}
	small := events{{time.Time{}, []byte("y")}, {time.Time{}, []byte("z")}}
	for i := 0; i < 100; i++ {
		s.WriteBatch(r, small)
	}
	per := int64(len(`<event stanza="s" unbroken="1"><data>y</data><done/></event>`) + 1)
	ev, n := s.Unread()
	// 10000 bytes hold the last 10000/(2*per) batches of two events, and
	// the one cut by the window's start.
	if wantEv := 2 * (10000/(2*per) + 1); ev != wantEv || n != 10000 {
		t.Errorf("Unread = %d events, %d bytes; want %d, 10000", ev, n, wantEv)
	}
	if len(s.recent) > 2*int(10000/(2*per))+2 {
		t.Errorf("remembers %d batches", len(s.recent))
	}
	if tb, te := s.Written(); te != 5200 || tb != w.n {
		t.Errorf("Written = %d, %d; wrote %d", tb, te, w.n)
	}
}

type countingWriter struct {
	n           int64
	writes, max int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.writes++
	c.max = max(c.max, len(p))
	return len(p), nil
}

// BenchmarkStreamWriteBatch writes 400 events that need escaping checked
// byte by byte; BenchmarkStreamWritePlainBatch the same events from a
// batch that vouches they are plain text (as webhook batches do).
func BenchmarkStreamWriteBatch(b *testing.B) { benchStream(b, false) }

// BenchmarkStreamWritePlainBatch: see BenchmarkStreamWriteBatch.
func BenchmarkStreamWritePlainBatch(b *testing.B) { benchStream(b, true) }

func benchStream(b *testing.B, plain bool) {
	ev := make(events, 400)
	data := []byte(strings.Repeat(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","requestURI":"/api/v1/namespaces/default/pods?fieldManager=kubectl"}`, 16))
	for i := range ev {
		ev[i].t = time.Unix(1700000000, int64(i)*1000)
		ev[i].data = data
	}
	s := NewStream(io.Discard)
	r := NewRoute("kube_audit_webhook://prod", "kube_audit_webhook://prod", "kube:apiserver:auditlog", "main", "prod")
	b.SetBytes(int64(len(data) * len(ev)))
	b.ReportAllocs()
	var batch Batch = ev
	if plain {
		batch = plainEvents{ev, true}
	}
	for b.Loop() {
		if err := s.WriteBatch(r, batch); err != nil {
			b.Fatal(err)
		}
	}
}

// plainEvents vouches (truthfully or not) that its data is plain text.
type plainEvents struct {
	events
	plain bool
}

func (p plainEvents) Plain() bool { return p.plain }

// TestStreamPlainBatch checks that plain data is copied as it is (the
// same bytes escaping would give), and that Plain() false still escapes.
func TestStreamPlainBatch(t *testing.T) {
	data := []byte(`{"kind":"Event","a":"\u003c\u0026 x` + "\t\n" + `"}`)
	r := NewRoute("s://p", "", "", "", "")
	var viaPlain, viaEscape bytes.Buffer
	ev := events{{time.Unix(1, 0), data}}
	if err := NewStream(&viaPlain).WriteBatch(r, plainEvents{ev, true}); err != nil {
		t.Fatal(err)
	}
	if err := NewStream(&viaEscape).WriteBatch(r, ev); err != nil {
		t.Fatal(err)
	}
	want := "<stream>\n" + `<event stanza="s://p" unbroken="1"><time>1.000000</time><data>` + string(data) + "</data><done/></event>\n"
	if viaPlain.String() != want || viaEscape.String() != want {
		t.Errorf("plain:\n%q\nescaped:\n%q\nwant:\n%q", viaPlain.String(), viaEscape.String(), want)
	}
	var out bytes.Buffer
	if err := NewStream(&out).WriteBatch(r, plainEvents{events{{time.Time{}, []byte("<&>")}}, false}); err != nil {
		t.Fatal(err)
	}
	if want := "<stream>\n" + `<event stanza="s://p" unbroken="1"><data>&lt;&amp;&gt;</data><done/></event>` + "\n"; out.String() != want {
		t.Errorf("not plain: %q, want %q", out.String(), want)
	}
}

// FuzzLoggerEscapes: whatever a message holds, Logf writes one line of
// at most MaxLineBytes (plus the level and the cut note), valid UTF-8,
// without a control, separator or bidirectional character.
func FuzzLoggerEscapes(f *testing.F) {
	f.Add("plain")
	f.Add("a\x00b\x1b[2J\r\n\u2028\u2029\u202e\xff\\")
	f.Add(strings.Repeat("\u0085", 3000))
	f.Fuzz(func(t *testing.T, msg string) {
		var b bytes.Buffer
		NewLogger(&b).Logf(Warn, "%s", msg)
		out := b.String()
		if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") || !strings.HasPrefix(out, "WARN ") {
			t.Fatalf("not one line: %q", out)
		}
		if len(out) > MaxLineBytes+64 {
			t.Fatalf("%d bytes", len(out))
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		for _, r := range out[:len(out)-1] {
			if r < 0x20 || r == 0x7f || unsafeRune(r) && r >= 0x80 {
				t.Fatalf("%U left in %q", r, out)
			}
		}
	})
}

// TestStreamTimes: the seconds written for one event are never those of
// an earlier event in another second (the stream reuses the last
// seconds' digits while they hold).
func TestStreamTimes(t *testing.T) {
	var out bytes.Buffer
	s := NewStream(&out)
	r := NewRoute("s://t", "", "", "", "")
	var evs events
	var want strings.Builder
	want.WriteString("<stream>\n")
	for _, us := range []int64{0, 999_999, 1_000_000, 1_000_001, 1714979289_123456, 1714979289_999999, 1714979290_000000, 5, 1714979290_000001} {
		evs = append(evs, struct {
			t    time.Time
			data []byte
		}{time.UnixMicro(us), []byte("e")})
		fmt.Fprintf(&want, `<event stanza="s://t" unbroken="1"><time>%d.%06d</time><data>e</data><done/></event>`+"\n", us/1e6, us%1e6)
	}
	if err := s.WriteBatch(r, evs[:4]); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(r, evs[4:]); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Errorf("stream:\n%s\nwant:\n%s", out.String(), want.String())
	}
}

package modinput

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Metadata is what Splunk tells every invocation about itself.
type Metadata struct {
	ServerHost    string
	ServerURI     string // management URI, e.g. https://127.0.0.1:8089
	SessionKey    string
	CheckpointDir string
}

// Stanza is one configured input: its name and parameters.
type Stanza struct {
	// Name is "scheme://name" in run mode and the bare name in validation.
	Name string
	App  string
	// Params holds single-valued parameters, including Splunk's own
	// (index, host, sourcetype, disabled, interval, ...).
	Params map[string]string
	// Lists holds multi-valued parameters (<param_list>).
	Lists map[string][]string
}

// Param returns the parameter's value, or def when it is absent or blank.
func (s *Stanza) Param(name, def string) string {
	if v, ok := s.Params[name]; ok && strings.TrimSpace(v) != "" {
		return v
	}
	return def
}

// InputDefinition is the configuration XML Splunk writes to stdin in run mode.
type InputDefinition struct {
	Metadata
	Stanzas []Stanza
}

// ValidationDefinition is the XML Splunk writes to stdin for --validate-arguments.
type ValidationDefinition struct {
	Metadata
	Item Stanza
}

// ErrConfig is wrapped by every error of ReadInputDefinition and
// ReadValidationDefinition.
var ErrConfig = errors.New("modular input configuration")

// ConfigError says where in the configuration XML a problem is.
type ConfigError struct {
	Line int    // 1-based line of the input where decoding stopped, 0 if unknown
	What string // e.g. `stanza "x://y": param "listen"`
	Err  error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("modular input configuration")
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.What != "" {
		b.WriteString(": ")
		b.WriteString(e.What)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap lets errors.Is(err, ErrConfig) and the inner error both match.
func (e *ConfigError) Unwrap() []error { return []error{ErrConfig, e.Err} }

type xmlParam struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

type xmlParamList struct {
	Name   string   `xml:"name,attr"`
	Values []string `xml:"value"`
}

type xmlStanza struct {
	Name   string         `xml:"name,attr"`
	App    string         `xml:"app,attr"`
	Params []xmlParam     `xml:"param"`
	Lists  []xmlParamList `xml:"param_list"`
}

type xmlInput struct {
	XMLName       xml.Name
	ServerHost    string      `xml:"server_host"`
	ServerURI     string      `xml:"server_uri"`
	SessionKey    string      `xml:"session_key"`
	CheckpointDir string      `xml:"checkpoint_dir"`
	Stanzas       []xmlStanza `xml:"configuration>stanza"`
	Items         []xmlStanza `xml:"item"`
}

// ReadInputDefinition parses the run-mode configuration (root <input>).
func ReadInputDefinition(r io.Reader) (*InputDefinition, error) {
	x, err := decode(r, "input")
	if err != nil {
		return nil, err
	}
	def := &InputDefinition{Metadata: x.meta()}
	for i, s := range x.Stanzas {
		st, err := s.stanza(fmt.Sprintf("configuration stanza %d", i+1))
		if err != nil {
			return nil, err
		}
		def.Stanzas = append(def.Stanzas, st)
	}
	return def, nil
}

// ReadValidationDefinition parses the --validate-arguments input (root
// <items> with exactly one <item>).
func ReadValidationDefinition(r io.Reader) (*ValidationDefinition, error) {
	x, err := decode(r, "items")
	if err != nil {
		return nil, err
	}
	if len(x.Items) != 1 {
		return nil, &ConfigError{What: "<items>", Err: fmt.Errorf("want exactly one <item>, got %d", len(x.Items))}
	}
	st, err := x.Items[0].stanza("item")
	if err != nil {
		return nil, err
	}
	return &ValidationDefinition{Metadata: x.meta(), Item: st}, nil
}

// headRecorder keeps the first bytes read through it, to quote them when
// the input turns out not to be XML.
type headRecorder struct {
	r    io.Reader
	head []byte
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := 64 - len(h.head); room > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	return n, err
}

func decode(r io.Reader, root string) (*xmlInput, error) {
	var x xmlInput
	hr := &headRecorder{r: r}
	d := xml.NewDecoder(hr)
	if err := d.Decode(&x); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, &ConfigError{Line: se.Line, Err: errors.New(se.Msg)}
		}
		if err == io.EOF {
			if len(bytes.TrimSpace(hr.head)) == 0 {
				return nil, &ConfigError{Err: errors.New("empty input, expected <" + root + "> XML as splunkd sends it")}
			}
			return nil, &ConfigError{Err: fmt.Errorf("no XML element in the input, expected <%s> as splunkd sends it; got %q", root, hr.head)}
		}
		return nil, &ConfigError{Err: err}
	}
	if x.XMLName.Local != root {
		return nil, &ConfigError{Err: fmt.Errorf("root element is <%s>, expected <%s>", x.XMLName.Local, root)}
	}
	return &x, nil
}

func (x *xmlInput) meta() Metadata {
	return Metadata{
		ServerHost:    strings.TrimSpace(x.ServerHost),
		ServerURI:     strings.TrimSpace(x.ServerURI),
		SessionKey:    strings.TrimSpace(x.SessionKey),
		CheckpointDir: strings.TrimSpace(x.CheckpointDir),
	}
}

func (s *xmlStanza) stanza(what string) (Stanza, error) {
	if s.Name == "" {
		return Stanza{}, &ConfigError{What: what, Err: errors.New("missing name attribute")}
	}
	st := Stanza{Name: s.Name, App: s.App, Params: map[string]string{}, Lists: map[string][]string{}}
	for _, p := range s.Params {
		if p.Name == "" {
			return Stanza{}, &ConfigError{What: fmt.Sprintf("stanza %q", s.Name), Err: errors.New("<param> without a name attribute")}
		}
		if _, dup := st.Params[p.Name]; dup {
			return Stanza{}, &ConfigError{What: fmt.Sprintf("stanza %q: param %q", s.Name, p.Name), Err: errors.New("given twice")}
		}
		st.Params[p.Name] = p.Value
	}
	for _, l := range s.Lists {
		if l.Name == "" {
			return Stanza{}, &ConfigError{What: fmt.Sprintf("stanza %q", s.Name), Err: errors.New("<param_list> without a name attribute")}
		}
		st.Lists[l.Name] = l.Values
	}
	return st, nil
}

// WriteValidationError writes the document Splunk shows the user when
// --validate-arguments rejects a stanza. The caller then exits 1.
func WriteValidationError(w io.Writer, message string) error {
	var b strings.Builder
	b.WriteString("<error><message>")
	if err := xml.EscapeText(&b, []byte(message)); err != nil {
		return err
	}
	b.WriteString("</message></error>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Package conf reads Splunk .conf files: [stanza] headers, key = value
// settings, values continued over several lines with a trailing backslash,
// and # comments.
//
// It is stricter than splunkd in one way on purpose: a repeated stanza or a
// repeated key within a stanza is an error, because in a file an app ships
// the later copy silently overriding the earlier one is always a mistake.
package conf

import (
	"bytes"
	"errors"
	"fmt"
)

// Errors returned by Parse, wrapped in *ParseError.
var (
	ErrStanza       = errors.New("stanza header has no closing ]")
	ErrNoEquals     = errors.New(`setting has no "="`)
	ErrEmptyKey     = errors.New("setting has an empty key")
	ErrDupStanza    = errors.New("stanza repeated")
	ErrDupKey       = errors.New("key repeated in stanza")
	ErrContinuation = errors.New("file ends inside a continued value")
	ErrNUL          = errors.New("NUL byte")
)

// ParseError says where in which file parsing stopped. Line and Column
// count from 1; Column counts bytes.
type ParseError struct {
	File   string
	Line   int
	Column int
	Err    error
}

func (e *ParseError) Error() string {
	name := e.File
	if name == "" {
		name = "conf"
	}
	return fmt.Sprintf("%s:%d:%d: %v", name, e.Line, e.Column, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Setting is one key = value pair and the line its key is on.
type Setting struct {
	Key   string
	Value string
	Line  int
}

// Stanza is a [name] section and its settings in file order. Settings
// written before the first header belong to a stanza named "default"
// with Line 0, as splunkd treats them.
type Stanza struct {
	Name     string
	Line     int
	Settings []Setting
}

// Get returns the value of key and whether the stanza sets it.
func (s *Stanza) Get(key string) (string, bool) {
	for _, kv := range s.Settings {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// File is a parsed .conf file.
type File struct {
	Name    string
	Stanzas []*Stanza
}

// Stanza returns the named stanza, or nil.
func (f *File) Stanza(name string) *Stanza {
	for _, s := range f.Stanzas {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Parse reads the .conf file data; name is used only in errors.
//
// Values keep the line breaks of continued lines: "a = x\<LF>y" gives
// "x\ny", as splunkd stores a multi-line search. Leading and trailing
// blanks around keys and values are dropped. A "#" starts a comment only
// at the start of a line (after blanks), never inside a value.
func Parse(name string, data []byte) (*File, error) {
	f := &File{Name: name}
	fail := func(line, col int, err error) (*File, error) {
		return nil, &ParseError{File: name, Line: line, Column: col, Err: err}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line := 1 + bytes.Count(data[:i], []byte{'\n'})
		return fail(line, i-bytes.LastIndexByte(data[:i], '\n'), ErrNUL)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))

	var cur *Stanza
	seen := map[string]bool{}
	keys := map[string]bool{}
	lineNo := 0
	for len(data) > 0 {
		raw := nextLine(&data)
		lineNo++
		start := lineNo
		text := bytes.TrimLeft(raw, " \t")
		indent := len(raw) - len(text)
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		if text[0] == '[' {
			t := bytes.TrimRight(text, " \t")
			if t[len(t)-1] != ']' {
				return fail(start, indent+len(t)+1, ErrStanza)
			}
			sname := string(t[1 : len(t)-1])
			if seen[sname] {
				return fail(start, indent+1, fmt.Errorf("%w: [%s]", ErrDupStanza, sname))
			}
			seen[sname] = true
			cur = &Stanza{Name: sname, Line: start}
			f.Stanzas = append(f.Stanzas, cur)
			clear(keys)
			continue
		}
		eq := bytes.IndexByte(text, '=')
		if eq < 0 {
			return fail(start, indent+1, ErrNoEquals)
		}
		key := string(bytes.TrimRight(text[:eq], " \t"))
		if key == "" {
			return fail(start, indent+1, ErrEmptyKey)
		}
		val := bytes.TrimLeft(text[eq+1:], " \t")
		var buf []byte
		last := raw
		for endsContinued(val) {
			if len(data) == 0 {
				return fail(lineNo, len(last), ErrContinuation)
			}
			buf = append(buf, val[:len(val)-1]...)
			buf = append(buf, '\n')
			val = nextLine(&data)
			last = val
			lineNo++
		}
		if buf != nil {
			val = append(buf, val...)
		}
		val = bytes.TrimRight(val, " \t")
		if cur == nil {
			cur = &Stanza{Name: "default"}
			seen["default"] = true
			f.Stanzas = append(f.Stanzas, cur)
		}
		if keys[key] {
			return fail(start, indent+1, fmt.Errorf("%w: %s in [%s]", ErrDupKey, key, cur.Name))
		}
		keys[key] = true
		cur.Settings = append(cur.Settings, Setting{Key: key, Value: string(val), Line: start})
	}
	return f, nil
}

// nextLine cuts the next line off *data, without its LF or CRLF ending.
func nextLine(data *[]byte) []byte {
	line, rest, _ := bytes.Cut(*data, []byte{'\n'})
	*data = rest
	return bytes.TrimSuffix(line, []byte{'\r'})
}

// endsContinued reports whether a value line ends in a backslash. Like
// splunkd, any trailing backslash continues the value, so searchbnf's
// paragraph mark at a line end is written "\p\\".
func endsContinued(v []byte) bool {
	return len(v) > 0 && v[len(v)-1] == '\\'
}

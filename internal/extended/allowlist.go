package extended

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// An allowlist that does not blind. An entry names the workload it allows
// (namespace, owner or user) and what it allows it to be: its images and
// its reasons. A row it matches is marked allowlisted=<comment>, not
// removed; a row under an allowlisted name that has an image outside the
// entry's patterns, a reason beyond the entry's, a change to a container's
// command, or that the entry no longer covers because it expired, is not
// allowlisted, and allowlist_note says why.
//
// In Splunk the same rules run in SPL (the kubeprivpod_allowlist macro, a
// lookup of lookups/kubeprivpod_allowlist.csv); this is the offline
// implementation for 'kubeprivpod scan --allowlist FILE', and the tests
// hold the two to the same patterns.

// AllowlistHeader is the header of kubeprivpod_allowlist.csv.
var AllowlistHeader = []string{"namespace", "owner", "user", "images", "reasons", "expires", "comment"}

// Allowlist columns added to the result.
const (
	ColAllowlisted   = "allowlisted"
	ColAllowlistNote = "allowlist_note"
)

// AllowEntry is one row of the allowlist.
type AllowEntry struct {
	// Namespace, Owner and User are Splunk WILDCARD lookup patterns ("*"
	// matches any run of characters) for a row's namespace, workload
	// ("DaemonSet/calico-node") and user.
	Namespace, Owner, User string
	// Images and Reasons are space-separated patterns; every image and
	// every reason of a row must match one of them.
	Images, Reasons string
	// Expires is "" or a date (YYYY-MM-DD): the entry stops matching at
	// its start, 00:00 UTC.
	Expires string
	// Comment says why the entry exists; it is the allowlisted value and
	// must be unique.
	Comment string
	// Line is the entry's line in its file.
	Line int

	expiry      time.Time
	ns, own, us *regexp.Regexp
	img, rsn    *regexp.Regexp
}

// Allowlist is a parsed kubeprivpod_allowlist.csv.
type Allowlist struct {
	Entries []AllowEntry
}

// patternChars are the characters an images or reasons pattern may hold.
// None is special to a regular expression but "." and "*", which the SPL
// rewrites without a backslash ("." as "[.]", "*" as "[^ ]*").
var patternChars = regexp.MustCompile(`^[A-Za-z0-9._/:@* -]+$`)

// ParseAllowlist reads an allowlist CSV. Errors name the file (name), the
// line and the field.
func ParseAllowlist(r io.Reader, name string) (*Allowlist, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(AllowlistHeader)
	cr.Comment = 0
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty file: want the header %s", name, strings.Join(AllowlistHeader, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !slices.Equal(head, AllowlistHeader) {
		return nil, fmt.Errorf("%s:1: header is %q, want %s", name, strings.Join(head, ","), strings.Join(AllowlistHeader, ","))
	}
	al := &Allowlist{}
	comments := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return al, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		e := AllowEntry{Namespace: rec[0], Owner: rec[1], User: rec[2], Images: rec[3], Reasons: rec[4],
			Expires: rec[5], Comment: rec[6], Line: line}
		if err := e.compile(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if prev, ok := comments[e.Comment]; ok {
			return nil, fmt.Errorf("%s:%d: field \"comment\" %q is also on line %d: comments name entries and must be unique", name, line, e.Comment, prev)
		}
		comments[e.Comment] = line
		al.Entries = append(al.Entries, e)
	}
}

func (e *AllowEntry) compile() error {
	for _, f := range [...]struct{ name, v string }{{"namespace", e.Namespace}, {"owner", e.Owner}, {"user", e.User},
		{"images", e.Images}, {"reasons", e.Reasons}, {"comment", e.Comment}} {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("field %q is empty (use * for any namespace, owner or user; an entry must name its images and reasons)", f.name)
		}
	}
	if e.Owner == "*" && e.User == "*" {
		return errors.New(`fields "owner" and "user" are both *: an entry names the workload or the user it allows`)
	}
	for _, f := range [...]struct{ name, v string }{{"images", e.Images}, {"reasons", e.Reasons}} {
		if !patternChars.MatchString(f.v) {
			return fmt.Errorf("field %q is %q: patterns hold only letters, digits, space and . _ / : @ * -", f.name, f.v)
		}
		for _, p := range strings.Fields(f.v) {
			if strings.Trim(p, "*") == "" {
				return fmt.Errorf("field %q has the pattern %q, which allows anything: name what the entry allows", f.name, p)
			}
		}
	}
	if e.Expires != "" {
		t, err := time.Parse(time.DateOnly, e.Expires)
		if err != nil {
			return fmt.Errorf("field \"expires\" is %q, want a date YYYY-MM-DD or nothing", e.Expires)
		}
		e.expiry = t
	}
	e.ns, e.own, e.us = wildcard(e.Namespace), wildcard(e.Owner), wildcard(e.User)
	e.img, e.rsn = listPattern(e.Images), listPattern(e.Reasons)
	return nil
}

// wildcard compiles a Splunk WILDCARD lookup value: "*" is any run of
// characters, everything else literal, case-sensitive.
func wildcard(p string) *regexp.Regexp {
	parts := strings.Split(p, "*")
	for i, s := range parts {
		parts[i] = regexp.QuoteMeta(s)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// listPattern builds, as the SPL does, the regular expression that a
// row's values joined by spaces, plus a trailing space, must match: each
// value one of the space-separated patterns, "*" any run of non-spaces.
func listPattern(patterns string) *regexp.Regexp {
	return regexp.MustCompile(listRegex(patterns))
}

// listRegex is the SPL's rewrite: trim, spaces → "|", "." → "[.]", "*"
// → "[^ ]*" (in this order: the last one brings a space), wrapped in
// "^(?:(?:…) )+$".
func listRegex(patterns string) string {
	s := strings.TrimSpace(patterns)
	s = spaces.ReplaceAllString(s, "|")
	s = strings.ReplaceAll(s, ".", "[.]")
	s = strings.ReplaceAll(s, "*", "[^ ]*")
	return "^(?:(?:" + s + ") )+$"
}

var spaces = regexp.MustCompile(" +")

// covers reports whether every value is matched by the list pattern re,
// as the SPL checks it: values holding a space are never covered.
func covers(re *regexp.Regexp, values []string) bool {
	if len(values) == 0 {
		return false
	}
	joined := strings.Join(values, " ")
	if strings.Contains(strings.Join(values, ""), " ") {
		return false
	}
	return re.MatchString(joined + " ")
}

// codeChange matches the changed values that put new code under an
// allowed image: no entry covers those.
var codeChange = regexp.MustCompile(`^(command|args|lifecycle):`)

// verdict returns "" when e allows the row, else why not.
func (e *AllowEntry) verdict(images, reasons, changed []string, now time.Time) string {
	q := "'" + e.Comment + "'"
	switch {
	case e.Expires != "" && !now.Before(e.expiry):
		return "entry " + q + " expired on " + e.Expires
	case slices.ContainsFunc(changed, codeChange.MatchString):
		return "the write changes the command, args or lifecycle of a container: entry " + q + " does not cover new code under an allowed image"
	case len(images) == 0:
		return "no image to check against entry " + q
	case !covers(e.img, images):
		return "images " + strings.Join(images, ", ") + " not all within entry " + q + " (" + e.Images + ")"
	case !covers(e.rsn, reasons):
		return "reasons " + strings.Join(reasons, ", ") + " not all within entry " + q + " (" + e.Reasons + ")"
	}
	return ""
}

// Apply returns t with the columns allowlisted (the comments of the
// entries that allow the row) and allowlist_note (for a row under an
// allowlisted name that no entry allows: why). Rows are neither removed
// nor reordered. now decides expiry.
func (a *Allowlist) Apply(t detect.Table, now time.Time) detect.Table {
	get := func(r detect.Row, c string) []string {
		if i := t.Index(c); i >= 0 {
			return r[i]
		}
		return nil
	}
	first := func(v []string) string {
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	out := detect.Table{Columns: append(slices.Clone(t.Columns), ColAllowlisted, ColAllowlistNote)}
	for _, r := range t.Rows {
		ns, wl, user := first(get(r, "namespace")), first(get(r, "workload")), first(get(r, "user"))
		var ok, notes []string
		for i := range a.Entries {
			e := &a.Entries[i]
			// A lookup input that is empty matches no entry.
			if ns == "" || wl == "" || user == "" || !e.ns.MatchString(ns) || !e.own.MatchString(wl) || !e.us.MatchString(user) {
				continue
			}
			if why := e.verdict(get(r, "images"), get(r, "reasons"), get(r, "changed"), now); why != "" {
				notes = append(notes, why)
			} else {
				ok = append(ok, e.Comment)
			}
		}
		if len(ok) > 0 {
			notes = nil
		}
		row := append(slices.Clone(r), sortedSet(ok), sortedSet(notes))
		out.Rows = append(out.Rows, row)
	}
	return out
}

// sortedSet returns the distinct values sorted, as Splunk's values().
func sortedSet(vs []string) []string {
	if len(vs) == 0 {
		return nil
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	return slices.Compact(s)
}

package escu

import "bytes"

// The ESCU search, clause by clause:
//
//	objectRef.resource=pods verb=create OR verb=update
//	requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration=*\"privileged\":true*
//
// SPL evaluates OR before the implied AND, so it is a conjunction of three
// clauses and the middle clause is a disjunction of two terms.
var search = [][]term{
	{{fResource, compile(`pods`)}},
	{{fVerb, compile(`create`)}, {fVerb, compile(`update`)}},
	{{fAnnotation, compile(`*\"privileged\":true*`)}},
}

// term is one field=value comparison of a search.
type term struct {
	field int
	value pattern
}

// pattern is a field value as written in SPL: a backslash makes the next
// character literal and * stands for any run of characters, newlines
// included. Comparisons ignore ASCII case, as Splunk's search does.
type pattern struct {
	parts    [][]byte // the literal runs, lower-cased, between the stars
	wildcard bool     // whether there was any star at all
	leading  bool     // the pattern starts with a star
	trailing bool     // the pattern ends with a star
}

// compile parses an SPL value. It is only ever given the constants above.
func compile(s string) pattern {
	var p pattern
	var cur []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			cur = append(cur, lower(s[i]))
		case c == '*':
			if !p.wildcard && len(cur) == 0 && len(p.parts) == 0 {
				p.leading = true
			}
			p.wildcard = true
			if len(cur) > 0 {
				p.parts = append(p.parts, cur)
				cur = nil
			}
			p.trailing = i == len(s)-1
		default:
			cur = append(cur, lower(c))
		}
	}
	if len(cur) > 0 || !p.wildcard {
		p.parts = append(p.parts, cur)
	}
	return p
}

// match reports whether v (one value of a field) satisfies the pattern.
func (p *pattern) match(v []byte) bool {
	if !p.wildcard {
		return equalFold(v, p.parts[0])
	}
	parts := p.parts
	if !p.leading {
		if len(v) < len(parts[0]) || !equalFold(v[:len(parts[0])], parts[0]) {
			return false
		}
		v = v[len(parts[0]):]
		parts = parts[1:]
	}
	var last []byte
	if !p.trailing && len(parts) > 0 {
		last = parts[len(parts)-1]
		parts = parts[:len(parts)-1]
	}
	for _, part := range parts {
		i := indexFold(v, part)
		if i < 0 {
			return false
		}
		v = v[i+len(part):]
	}
	if last != nil {
		return len(v) >= len(last) && equalFold(v[len(v)-len(last):], last)
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold compares s with the lower-case lit, ignoring ASCII case.
func equalFold(s, lit []byte) bool {
	if len(s) != len(lit) {
		return false
	}
	for i, c := range s {
		if lower(c) != lit[i] {
			return false
		}
	}
	return true
}

// indexFold finds the lower-case lit in s, ignoring ASCII case.
func indexFold(s, lit []byte) int {
	if len(lit) == 0 {
		return 0
	}
	first := lit[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for i := 0; i+len(lit) <= len(s); {
		j := bytes.IndexByte(s[i:len(s)-len(lit)+1], first)
		if upper != first {
			if k := bytes.IndexByte(s[i:len(s)-len(lit)+1], upper); k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 {
			return -1
		}
		if equalFold(s[i+j:i+j+len(lit)], lit) {
			return i + j
		}
		i += j + 1
	}
	return -1
}

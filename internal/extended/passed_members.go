package extended

import (
	"encoding/binary"
	"math/bits"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// each calls fn with the key and value of each member of the object r, or
// with "" and each element of the array r, or once with "" and r itself
// when r is neither, until fn returns false: r.ForEach, with the key's
// text for its Result. When the inspected text is known valid JSON the
// members are found by jsonscan's skippers, where gjson's walk crosses
// every value byte by byte once for each level it lies under.
func (in *inspector) each(r gjson.Result, fn func(k string, v gjson.Result) bool) {
	eachOf(in.valid, r, fn)
}

// eachOf is each for r read from text that is known valid JSON when
// valid is true.
func eachOf(valid bool, r gjson.Result, fn func(k string, v gjson.Result) bool) {
	if !valid {
		r.ForEach(func(k, v gjson.Result) bool { return fn(k.Str, v) })
		return
	}
	eachValid(r, fn)
}

// eachValid is each for r read from valid JSON.
func eachValid(r gjson.Result, fn func(k string, v gjson.Result) bool) {
	if !r.Exists() {
		return
	}
	if r.Type != gjson.JSON {
		fn("", r)
		return
	}
	raw := r.Raw
	b := bytesOf(raw)
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) {
		return
	}
	obj := b[i] == '{'
	if !obj && b[i] != '[' {
		return
	}
	i = jsonscan.SkipSpace(b, i+1)
	for i < len(b) && b[i] != '}' && b[i] != ']' {
		var key string
		if obj {
			end, esc := skipStr(b, i)
			key = raw[i+1 : end-1]
			if esc {
				// gjson hands out the key decoded.
				key = unescapeValid(key, strings.IndexByte(key, '\\'))
			}
			i = jsonscan.SkipSpace(b, end) // at the colon
			i = jsonscan.SkipSpace(b, i+1) // at the value
		}
		var v gjson.Result
		end := 0
		if b[i] == '"' {
			// The string's one scan also tells whether it holds an
			// escape to decode.
			var esc bool
			end, esc = skipStr(b, i)
			v = gjson.Result{Type: gjson.String, Raw: raw[i:end], Str: raw[i+1 : end-1]}
			if esc {
				v = parseValue(v.Raw)
			}
		} else {
			end = jsonscan.SkipValue(b, i)
			v = parseValue(raw[i:end])
		}
		if !fn(key, v) {
			return
		}
		i = jsonscan.SkipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = jsonscan.SkipSpace(b, i+1)
		}
	}
}

// get is r.Get(name) for an object r and a name without gjson's path
// syntax: the value of the first member whose decoded key is name.
func (in *inspector) get(r gjson.Result, name string) gjson.Result { return getOf(in.valid, r, name) }

// getOf is get for r read from text that is known valid JSON when valid
// is true.
func getOf(valid bool, r gjson.Result, name string) gjson.Result {
	if !valid {
		return r.Get(name)
	}
	var out gjson.Result
	if r.IsObject() {
		eachValid(r, func(k string, v gjson.Result) bool {
			if k == name {
				out = v
				return false
			}
			return true
		})
	}
	return out
}

// skipStr returns the index after the valid JSON string whose opening
// quote is at b[i], and whether the string holds an escape: jsonscan's
// eight-bytes-at-a-time search for a quote or a backslash.
func skipStr(b []byte, i int) (end int, escaped bool) {
	i++
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(jsonscan.Ones*'"'), x^(jsonscan.Ones*'\\')
			if m := ((q-jsonscan.Ones)&^q | (bs-jsonscan.Ones)&^bs) & jsonscan.Highs; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for b[i] != '"' && b[i] != '\\' {
			i++
		}
		if b[i] == '"' {
			return i + 1, escaped
		}
		escaped = true
		i += 2 // a backslash and the character it escapes
	}
}

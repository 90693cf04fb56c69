package chunked

// Splunk's multivalue encoding (the Intersplunk convention), used in both
// directions: a field f with values v1, v2, … travels as a plain column f
// holding the values joined by "\n" and a column __mv_f holding $v1$;$v2$,
// each '$' inside a value doubled. Single values leave __mv_f empty.

// decodeMV decodes a non-empty __mv_ value, appending the values to vals
// and their bytes to buf (give it room for len(mv) bytes to avoid growing
// it; the values point into it). Decoding is
// positional: '$' opens a value, "$$" inside it is a literal '$', a lone
// '$' closes it and must be followed by ';' or the end. ok is false when mv
// is not of that form.
func decodeMV(vals [][]byte, buf, mv []byte) (_ [][]byte, _ []byte, ok bool) {
	i := 0
	for {
		if i >= len(mv) || mv[i] != '$' {
			return vals, buf, false
		}
		i++
		start := len(buf)
		for {
			j := indexDollar(mv[i:])
			if j < 0 {
				return vals, buf, false // no closing '$'
			}
			buf = append(buf, mv[i:i+j]...)
			i += j
			if i+1 < len(mv) && mv[i+1] == '$' {
				buf = append(buf, '$')
				i += 2
				continue
			}
			i++ // the closing '$'
			break
		}
		vals = append(vals, buf[start:len(buf):len(buf)])
		if i == len(mv) {
			return vals, buf, true
		}
		if mv[i] != ';' {
			return vals, buf, false
		}
		i++
	}
}

func indexDollar(b []byte) int {
	for i, c := range b {
		if c == '$' {
			return i
		}
	}
	return -1
}

// appendMV appends the __mv_ encoding of values to dst.
func appendMV(dst []byte, values []string) []byte {
	for k, v := range values {
		if k > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, '$')
		for i := 0; i < len(v); i++ {
			if v[i] == '$' {
				dst = append(dst, '$')
			}
			dst = append(dst, v[i])
		}
		dst = append(dst, '$')
	}
	return dst
}

package jsonscan

// refSkipStringCSV is SkipStringCSV written the plain way, a backslash and
// the byte it escapes crossed as a pair: the oracle the search by
// IndexByte and a look back at backslashes is held to.
func refSkipStringCSV(b []byte, i int) int {
	i += 2
	for {
		if i = quoteOrBackslash(b, i); i >= len(b) {
			return -1
		}
		if b[i] == '"' {
			if !pairAt(b, i) {
				return -1
			}
			return i + 2
		}
		// A backslash and the character it escapes, which is a pair
		// when it is a quote.
		switch {
		case pairAt(b, i+1):
			i += 3
		case i+1 < len(b) && b[i+1] == '"':
			return -1
		default:
			i += 2
		}
	}
}

// refSkipValueCSV is SkipValueCSV over refSkipStringCSV.
func refSkipValueCSV(b []byte, i int) int {
	switch b[i] {
	case '"':
		if !pairAt(b, i) {
			return -1
		}
		return refSkipStringCSV(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			if !structural[b[i]] {
				i++
				continue
			}
			switch b[i] {
			case '"':
				if !pairAt(b, i) {
					return -1
				}
				if i = refSkipStringCSV(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	// Scalars stop at a quote, and hold none, in both forms.
	if e := SkipScalar(b, i); e > i {
		return e
	}
	return -1
}

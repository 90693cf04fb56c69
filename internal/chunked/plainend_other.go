//go:build !amd64

package chunked

// plainEnd returns the index of the first comma, newline or double quote
// of b at or after p, or len(b): where an unquoted field stops. For the
// long unquoted fields some commands send (the partial rows of a map
// phase); the readers look at a field's first bytes one by one
// themselves, as most fields are short (a row number, an empty
// multivalue column) and a call costs more than they do.
func plainEnd(b []byte, p int) int { return plainEndWords(b, p) }

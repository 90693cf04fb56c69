package chunked

// plainEnd returns the index of the first comma, newline or double quote
// of b at or after p, or len(b): where an unquoted field stops. For the
// long unquoted fields some commands send (the partial rows of a map
// phase); the readers look at a field's first bytes one by one
// themselves, as most fields are short (a row number, an empty
// multivalue column) and a call costs more than they do. Sixteen bytes
// at a time in plainend_amd64.s (a fifth of the word loop's
// instructions), the last few with plainEndWords.
func plainEnd(b []byte, p int) int {
	if len(b)-p >= 16 {
		p += plainEndBlocks(b[p:])
		if p < len(b) && (b[p] == ',' || b[p] == '\n' || b[p] == '"') {
			return p
		}
	}
	return plainEndWords(b, p)
}

// plainEndBlocks searches whole 16-byte blocks of b for a comma, newline
// or double quote: its index, or where fewer than 16 bytes are left.
//
//go:noescape
func plainEndBlocks(b []byte) int

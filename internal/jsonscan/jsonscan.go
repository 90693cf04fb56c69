// Package jsonscan is the one place the project reads JSON by hand: a
// validator that says where a document stops being JSON, walks over the
// members of an object and the elements of an array, string and value
// skipping, JSON string decoding, and the eight-bytes-at-a-time (SWAR)
// helpers they are built on.
//
// Nothing here builds a tree or copies: values are handed out as
// sub-slices of the input, as gjson's Result.Raw is, so reading a field
// of an audit event costs a scan of the bytes before it.
//
// Two kinds of input meet these functions. Validate and ValidatePlain
// take anything and report a positioned *SyntaxError. The walkers and
// skippers expect valid JSON (validated here, or by the detections'
// gjson) and only find boundaries; on broken input they stop early,
// returning -1 where documented, and never panic or loop.
package jsonscan

// IsBlank reports whether c is JSON whitespace: space, tab, LF or CR.
func IsBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first byte at or after b[i] that is
// not JSON whitespace, or len(b).
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsBlank(b[i]) {
		i++
	}
	return i
}

//go:build !amd64

package escu

import "bytes"

// nextSign returns the index of the first backslash of q at or after i,
// or -1: where there is no vector version every backslash is checked in
// full.
func nextSign(q []byte, i int) int {
	if j := bytes.IndexByte(q[i:], '\\'); j >= 0 {
		return i + j
	}
	return -1
}

package escu

import (
	"bytes"

	"github.com/kubeprivpod/kubeprivpod/internal/cpufeat"
)

// signBlocks looks for signs (signAt) in q from i, which must be at least
// 1, sixteen bytes at a time while the bytes from one before to three
// after are in q: the first sign and true, or the index where it stopped
// and false, every backslash before which starts no sign. In
// signs_amd64.s: 64 bytes a compare where there is no backslash at all,
// and no call per backslash where there are many — the quoted
// last-applied-configuration annotation has one every few bytes, and
// calling IndexByte for each was a third of the default mode's
// instructions.
//
//go:noescape
func signBlocks(q []byte, i int) (p int, found bool)

// nextSign returns the index of the first backslash of q at or after i
// that may start a sign, or -1. Every backslash it passes over starts
// none; the ones it returns are then checked in full.
func nextSign(q []byte, i int) int {
	if i == 0 {
		if len(q) > 0 && q[0] == '\\' {
			return 0
		}
		i = 1
	}
	if i < len(q) {
		p, found := signBlocks(q, i)
		if found {
			return p
		}
		i = p
	}
	if i >= len(q) {
		return -1
	}
	if j := bytes.IndexByte(q[i:], '\\'); j >= 0 {
		return i + j
	}
	return -1
}

// useAVX2 makes signBlocks take 64 bytes in two AVX2 compares instead of
// four SSE2 ones while it finds no backslash: one byte the assembly
// reads (1 when set), fixed at start-up; the tests switch it to compare
// both paths.
var useAVX2 = cpufeat.Flag(cpufeat.AVX2)

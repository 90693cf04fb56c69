package jsonscan

// unquoteBlocks is UnquoteCSV's loop over the 64-byte blocks of q[:end]
// (end a multiple of 64), writing to dst[w:] with carry as dropMask has
// it: each block's drops found as dropMask finds them, and each eight
// bytes of it moved to the output with its dropped quotes left out by
// one PSHUFB, whose control unquoteShuffles holds for each drop mask.
// It returns w and carry after the blocks. dst must have room for
// len(q[:end]) bytes after w, and eight more. Needs SSSE3.
//
//go:noescape
func unquoteBlocks(dst, q *byte, end, w int, carry uint64) (int, uint64)

// vectorUnquote reports whether unquoteBlocks can run: the CPU has SSSE3.
var vectorUnquote = hasSSSE3

// unquoteShuffles holds, for each mask m of the quotes to drop among
// eight bytes, the PSHUFB control that gathers the bytes kept to the
// front (then 0xFF bytes, whose high bit makes a zero byte), and how
// many are kept.
var unquoteShuffles = func() (t [256][2]uint64) {
	for m := range 256 {
		ctl, n := ^uint64(0), 0
		for j := range 8 {
			if m>>j&1 == 0 {
				ctl = ctl&^(0xFF<<(8*n)) | uint64(j)<<(8*n)
				n++
			}
		}
		t[m] = [2]uint64{ctl, uint64(n)}
	}
	return t
}()

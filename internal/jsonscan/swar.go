package jsonscan

// SWAR ("SIMD within a register") helpers: eight bytes loaded as one
// little-endian uint64 are tested at once with the classic zero-byte
// trick. In every mask below, only the lowest set bit is exact: a borrow
// can mark bytes above the first match, never below it, so callers take
// bits.TrailingZeros64(m)/8 as the index of the first match.
const (
	Ones  = 0x0101010101010101 // 0x01 in every byte
	Highs = 0x8080808080808080 // the high bit of every byte
)

// HasZero sets the high bit of each zero byte of x (lowest one exact).
func HasZero(x uint64) uint64 { return (x - Ones) &^ x & Highs }

// HasByte sets the high bit of each byte of x equal to c (lowest one
// exact).
func HasByte(x uint64, c byte) uint64 { return HasZero(x ^ Ones*uint64(c)) }

// HasLess sets the high bit of each byte of x below n, for n <= 0x80
// (lowest one exact).
func HasLess(x uint64, n byte) uint64 { return (x - Ones*uint64(n)) &^ x & Highs }

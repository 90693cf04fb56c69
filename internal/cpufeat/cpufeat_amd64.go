package cpufeat

// SSSE3 and AVX2 report whether this CPU (and, for AVX2, the OS, which
// must save the YMM registers) runs those instructions.
var SSSE3, AVX2 = features()

// features reads SSSE3 and AVX2 support as Go's internal/cpu does:
// CPUID leaf 1 (SSSE3, OSXSAVE, AVX), XCR0 (XMM and YMM state), leaf 7
// (AVX2).
func features() (ssse3, avx2 bool) {
	maxLeaf, _, _, _ := cpuid(0, 0)
	_, _, c1, _ := cpuid(1, 0)
	ssse3 = c1&(1<<9) != 0
	const osxsaveAVX = 1<<27 | 1<<28
	if maxLeaf < 7 || c1&osxsaveAVX != osxsaveAVX || xgetbv0()&6 != 6 {
		return ssse3, false
	}
	_, b7, _, _ := cpuid(7, 0)
	return ssse3, b7&(1<<5) != 0
}

// cpuid executes CPUID for leaf and subleaf sub. In cpufeat_amd64.s.
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// xgetbv0 returns the low half of XCR0, the register states the OS
// saves. In cpufeat_amd64.s.
func xgetbv0() uint32

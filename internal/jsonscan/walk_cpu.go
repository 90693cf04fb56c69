package jsonscan

// HasAVX2 reports whether this CPU and OS run AVX2 code, for the vector
// searches of other packages.
func HasAVX2() bool { return hasAVX2 }

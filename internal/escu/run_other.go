//go:build !amd64

package escu

// swapRun is swapRunWords where there is no vector version.
func swapRun(dst, src []byte, k *runKind) int { return swapRunWords(dst, src, k) }

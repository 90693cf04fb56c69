module github.com/kubeprivpod/kubeprivpod/test/e2e

go 1.26.0

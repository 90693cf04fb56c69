package auditfield

import (
	"bytes"
	"os"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
	"github.com/tidwall/gjson"
)

// privilegedEvent is the sample's kubectl-apply privileged pod create,
// a 4 KB RequestResponse event.
func privilegedEvent(b *testing.B) []byte {
	data, err := os.ReadFile("../../testdata/audit.log")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if bytes.Contains(line, []byte(`"name":"node-shell"`)) && bytes.Contains(line, []byte(`"verb":"create","user"`)) &&
			bytes.Contains(line, []byte(`"stage":"ResponseComplete"`)) {
			return line
		}
	}
	b.Fatal("sample event not found")
	return nil
}

var escuFields = []string{
	"kind", "objectRef.name", "objectRef.namespace", "objectRef.resource", "requestObject.kind",
	"responseStatus.code", "sourceIPs{}", "stage", "user.username", "userAgent", "verb",
	"requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration", "user.groups{}",
}

// BenchmarkExtract reads the 13 fields of the ESCU search in one pass.
func BenchmarkExtract(b *testing.B) {
	raw := privilegedEvent(b)
	x := NewExtractor(escuFields...)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		x.Extract(raw, func(int, []byte) bool { n++; return true })
	}
	if n == 0 {
		b.Fatal("no values")
	}
}

// BenchmarkGJSONValid is the validation the escu detection runs on events
// that pass its search, for comparison with Extract.
func BenchmarkGJSONValid(b *testing.B) {
	raw := privilegedEvent(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if !gjson.ValidBytes(raw) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkExtractValid is the walk that validates as it reads, on the
// same event: what the escu detection ran on every candidate, and still
// runs on those ScanPlain refuses.
func BenchmarkExtractValid(b *testing.B) {
	raw := privilegedEvent(b)
	x := NewExtractor(escuFields...)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if !x.ExtractValid(raw, func(int, []byte) bool { return true }) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkScanPlainValidate is the validation the escu detection runs
// on candidates whose fields pass its search, after Extract: together
// against BenchmarkExtractValid.
func BenchmarkScanPlainValidate(b *testing.B) {
	raw := privilegedEvent(b)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := jsonscan.ScanPlain(raw, nil, 0); err != nil {
			b.Fatal(err)
		}
	}
}

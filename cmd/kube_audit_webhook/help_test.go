package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/buildversion"
)

// --version and version print the same line as kubeprivpod's, stamped the
// same way.
func TestVersion(t *testing.T) {
	old := version
	defer func() { version = old }()
	for _, linked := range []string{"v1.2.3", ""} {
		version = linked
		for _, arg := range []string{"--version", "version"} {
			var out, errb bytes.Buffer
			code := run([]string{arg}, nil, &out, &errb)
			want := buildversion.Line(Scheme, linked) + "\n"
			if code != 0 || out.String() != want || errb.Len() != 0 {
				t.Errorf("%s with version %q: exit %d, stdout %q (want %q), stderr %q", arg, linked, code, out.String(), want, errb.String())
			}
		}
	}
	version = "v1.2.3"
	var out bytes.Buffer
	run([]string{"--version"}, nil, &out, new(bytes.Buffer))
	if !strings.HasPrefix(out.String(), "kube_audit_webhook v1.2.3 (go1.") {
		t.Errorf("stamped version line %q", out.String())
	}
	// Unstamped, the VCS fallback names a build rather than printing "".
	version = ""
	out.Reset()
	run([]string{"--version"}, nil, &out, new(bytes.Buffer))
	if strings.HasPrefix(out.String(), "kube_audit_webhook  ") || strings.HasPrefix(out.String(), "kube_audit_webhook (") {
		t.Errorf("unstamped version line %q", out.String())
	}
}

// --help, -h and help print the usage on stdout and exit 0 (they exited 2
// with an error before); an unknown flag still exits 2 on stderr.
func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		var out, errb bytes.Buffer
		code := run([]string{arg}, nil, &out, &errb)
		if code != 0 || out.String() != usageText || errb.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", arg, code, out.String(), errb.String())
		}
	}
	for _, mode := range []string{"--scheme", "--validate-arguments", "--version", "--help"} {
		if !strings.Contains(usageText, "kube_audit_webhook "+mode) {
			t.Errorf("usage does not show %s", mode)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"--bogus"}, nil, &out, &errb); code != 2 || out.Len() != 0 || !strings.Contains(errb.String(), "--help") {
		t.Errorf("--bogus: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

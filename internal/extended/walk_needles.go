package extended

import "strings"

// What nextNeedle finds.
const (
	needleNone   = iota // no name from i on
	needleName          // privileged, capabilities, host or patch: mayFindCSV is true
	needleRunAs         // runAs, which runAsMayBeRoot looks at
	needleEscape        // \u, which letterEscapeAt looks at
	needleMore          // nextNeedleAVX2 only: none before at, where 32 bytes or fewer are left
)

// nextNeedle returns the first place at or after s[i] where one of the
// names mayFindCSV looks for starts: privileged, capabilities, host and
// patch answer it; runAs and \u are returned for their closer look. One
// search for the five, by their anchor bytes ('v', 'b', 'h', 'A', '\\',
// the rarest of each in audit events), where each name had its own
// search over the whole event: the pod-spec writes that mayFindCSV
// rejects are searched once instead of five times.
func nextNeedle(s string, i int) (at, kind int) {
	if len(s) < 16 {
		return nextNeedleGo(s, i)
	}
	if useAVX2Needles && len(s)-i > 32 {
		// A pod spec is searched whole, a few kilobytes: half the
		// vector work per byte, and the SSE2 search for the rest.
		if at, kind = nextNeedleAVX2(s, i); kind != needleMore {
			return at, kind
		}
		i = at
	}
	return nextNeedleSSE(s, i)
}

// nextNeedleGo is nextNeedle one byte at a time: the fallback where
// there is no vector version, and the tests' oracle.
func nextNeedleGo(s string, i int) (at, kind int) {
	for k := i; k < len(s); k++ {
		switch s[k] {
		case 'v':
			if k >= 3 && strings.HasPrefix(s[k-3:], "privileged") {
				return k - 3, needleName
			}
		case 'b':
			if k >= 4 && strings.HasPrefix(s[k-4:], "capabilities") {
				return k - 4, needleName
			}
		case 'h':
			if strings.HasPrefix(s[k:], "host") {
				return k, needleName
			}
			if k >= 4 && s[k-4:k] == "patc" {
				return k - 4, needleName
			}
		case 'A':
			if k >= 3 && strings.HasPrefix(s[k-3:], "runAs") {
				return k - 3, needleRunAs
			}
		case '\\':
			if strings.HasPrefix(s[k:], `\u`) {
				return k, needleEscape
			}
		}
	}
	return -1, needleNone
}

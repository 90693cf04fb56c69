package extended

import "strings"

// maxScores bounds inspector.scores: the paths a search's pod specs mount
// are few, and those of a stream of crafted ones are not all kept.
const maxScores = 256

// scoreOf is hostPathScore(p), remembered: the same few paths recur in
// every request for a workload's pods, and hostPathScore cleans the path
// and builds a prefix for each sensitive tree on every call (about 4,700
// instructions where a look-up costs some 200).
func (in *inspector) scoreOf(p string) int {
	if s, ok := in.scores[p]; ok {
		return s
	}
	s := hostPathScore(p)
	if len(in.scores) < maxScores {
		if in.scores == nil {
			in.scores = make(map[string]int)
		}
		in.scores[strings.Clone(p)] = s // p aliases the event
	}
	return s
}

package jsonscan

import "encoding/binary"

// csvStep reads the common shape of a member walk's step (CSVMembers.Key,
// Seek and Value) on CSV-quoted text, where the byte walk spent a few
// hundred instructions per member in calls and checks: strings, objects
// and arrays of strings, keys followed at once by "":, members joined by
// a bare comma.
//
// With mode 0 a key's opening "" pair is at q[i]; with mode 1 a value is
// at q[i], then a comma and the next key; with mode 2 only the value at
// q[i]; with mode 3 a value ended at q[i], and a comma and the next key
// follow (stepModes maps a walk's states onto these). It returns where
// the key's text starts and ends and where its value starts (modes 0, 1
// and 3), or where the value ends (mode 2), exactly as the byte walk
// reads them. Unless k1 is 0, keys whose keyCode is not k1, k2 or k3 are
// passed over, their values crossed, as a caller that seeks some keys
// would. next is stepClosed (modes 0, 1 and 3) where a '}' follows a
// value instead of a comma: the object ends there. next is -1 where the
// text leaves that shape (a scalar, a blank, a backslash in a key, a
// lone quote, the end of q): the byte walk then reads the step.
// In walk_step_amd64.s, and csvStepGo elsewhere.
//
// The byte walk's answers it must match: a string ends at the first
// quote after its opening pair that an odd run of backslashes does not
// escape; an object or array ends where its bracket depth, counted
// outside strings, returns to zero (other bytes, backslashes too, are
// passed over as SkipValueCSV passes them).

// stepClosed is csvStep's next where the object ends after a value.
const stepClosed = -2

// csvStepGo is csvStep in plain Go: the fallback where there is no
// vector version, and the tests' oracle.
func csvStepGo(q []byte, i, mode int, k1, k2, k3 uint64) (keyStart, keyEnd, next int) {
	for {
		ks, ke, next := stepOnce(q, i, mode)
		if next < 0 || mode == 2 || k1 == 0 {
			return ks, ke, next
		}
		if c := keyCodeAt(q, ks, ke); c == k1 || c == k2 || c == k3 {
			return ks, ke, next
		}
		i, mode = next, 1
	}
}

// keyCode is what csvStep compares a key by: its length and its first
// four bytes (zeros past its end), so that a key of four bytes or more
// is told apart from most others without a call.
func keyCode(key string) uint64 {
	var b [4]byte
	copy(b[:], key)
	return uint64(len(key))<<32 | uint64(binary.LittleEndian.Uint32(b[:]))
}

// keyCodeAt is csvStep's keyCode of the key q[ks:ke], read as csvStep
// reads it: four bytes from ks, which for a key shorter than four are
// the quotes and colon after it, so that it never equals keyCode(key).
func keyCodeAt(q []byte, ks, ke int) uint64 {
	return uint64(ke-ks)<<32 | uint64(binary.LittleEndian.Uint32(q[ks:]))
}

// stepOnce is csvStepGo for one member.
func stepOnce(q []byte, i, mode int) (keyStart, keyEnd, next int) {
	n := len(q)
	if mode == 0 {
		if i+2 > n || q[i] != '"' || q[i+1] != '"' {
			return 0, 0, -1
		}
		i += 2
	} else {
		if mode != 3 {
			if i = stepValue(q, i); i < 0 || mode == 2 {
				return 0, 0, i
			}
		}
		if i+3 > n || q[i] != ',' || q[i+1] != '"' {
			if i < n && q[i] == '}' {
				return 0, 0, stepClosed
			}
			return 0, 0, -1
		}
		if q[i+2] != '"' {
			return 0, 0, -1
		}
		i += 3
	}
	ks := i
	for i < n && q[i] != '"' && q[i] != '\\' {
		i++
	}
	if i+3 >= n || q[i] != '"' || q[i+1] != '"' || q[i+2] != ':' || q[i+3] <= ' ' {
		return 0, 0, -1
	}
	return ks, i, i + 3
}

// stepValue returns the index after the string, object or array at q[i],
// or -1 for a scalar or where csvStep gives up.
func stepValue(q []byte, i int) int {
	n := len(q)
	if i >= n {
		return -1
	}
	switch c := q[i]; {
	case c == '"':
		if i+1 >= n || q[i+1] != '"' {
			return -1
		}
		return stepString(q, i+2)
	case c|0x20 == '{':
		return stepContainer(q, i)
	}
	return -1
}

// stepString returns the index after the closing "" pair of a string
// whose text starts at q[i] (after its opening pair), as SkipStringCSV,
// or -1 at a lone quote or the end of q.
func stepString(q []byte, i int) int {
	for {
		for i < len(q) && q[i] != '"' {
			i++
		}
		if i+1 >= len(q) || q[i+1] != '"' {
			return -1
		}
		// A quote bounds the run of backslashes: the opening pair's.
		n := 0
		for k := i - 1; q[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return i + 2
		}
		i += 2
	}
}

// stepContainer returns the index after the object or array whose
// opening bracket is q[i], or -1 where csvStep gives up.
func stepContainer(q []byte, i int) int {
	depth := 0
	for i < len(q) {
		switch c := q[i]; {
		case c == '"':
			if i+1 >= len(q) || q[i+1] != '"' {
				return -1
			}
			if i = stepString(q, i+2); i < 0 {
				return -1
			}
			continue
		case c|0x20 == '{':
			depth++
		case c|0x20 == '}':
			if depth--; depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}

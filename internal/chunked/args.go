package chunked

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrOption is wrapped by ParseArgs' errors.
var ErrOption = errors.New("invalid option")

// Args are a command's SPL arguments split into options and the rest.
type Args struct {
	Options    map[string]string // key=value arguments, by key
	Positional []string          // every other argument, in order
}

// ParseArgs splits args (searchinfo.args: quotes already stripped by
// splunkd) into key=value options and positional arguments. An argument is
// an option when the text before its first '=' is a name: a letter or '_',
// then letters, digits, '_' or '.'. Keys are case-sensitive, must be among
// allowed and may appear once; otherwise the error names the option and
// lists the allowed ones.
func ParseArgs(args []string, allowed ...string) (Args, error) {
	a := Args{Options: map[string]string{}}
	for _, arg := range args {
		key, value, ok := strings.Cut(arg, "=")
		if !ok || !isOptionName(key) {
			a.Positional = append(a.Positional, arg)
			continue
		}
		if !slices.Contains(allowed, key) {
			return Args{}, fmt.Errorf("%w: unknown option %q in %q (%s)", ErrOption, key, arg, allowedList(allowed))
		}
		if _, dup := a.Options[key]; dup {
			return Args{}, fmt.Errorf("%w: option %q given more than once", ErrOption, key)
		}
		a.Options[key] = value
	}
	return a, nil
}

func allowedList(allowed []string) string {
	if len(allowed) == 0 {
		return "this command takes no options"
	}
	return "allowed: " + strings.Join(allowed, ", ")
}

func isOptionName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '.'):
		default:
			return false
		}
	}
	return true
}

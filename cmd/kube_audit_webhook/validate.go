package main

import (
	"fmt"
	"io"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
)

// validate answers --validate-arguments: exit 0 when the stanza is
// usable, else an <error><message> naming the field and the fix, exit 1.
func validate(stdin io.Reader, stdout, stderr io.Writer) int {
	def, err := modinput.ReadValidationDefinition(stdin)
	if err != nil {
		modinput.WriteValidationError(stdout, err.Error())
		fmt.Fprintf(stderr, "ERROR %v\n", err)
		return 1
	}
	if _, err := parseInput(def.Item); err != nil {
		modinput.WriteValidationError(stdout, err.Error())
		return 1
	}
	return 0
}

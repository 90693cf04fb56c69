package main

import (
	"fmt"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/internal/escu"
	"github.com/kubeprivpod/kubeprivpod/internal/extended"
)

// The detection modes, by the name users type (mode=escu, --mode extended).

// defaultMode is the mode used when none is given: the ESCU search, exactly.
const defaultMode = "escu"

// modeNames lists the modes in the order the usage texts show them.
var modeNames = []string{"escu", "extended"}

// columnType is how scan --format json writes a column's cells.
type columnType uint8

const (
	// textColumn: a string (several values: an array of strings).
	textColumn columnType = iota
	// numberColumn: a JSON number when the value is an integer, else the
	// string as is (ESCU's fillnull writes "null" for a missing field).
	numberColumn
	// listColumn: always an array of strings, [] for a null cell, so that
	// jq '.reasons[]' works on every row.
	listColumn
)

// jsonSchemas gives, per mode, the type of each of its columns; the
// schema is documented in docs/scan.md and TestJSONSchemaCoversColumns
// keeps it complete.
var jsonSchemas = map[string]map[string]columnType{
	"escu": {
		"kind": textColumn, "objectRef.name": textColumn, "objectRef.namespace": textColumn,
		"objectRef.resource": textColumn, "requestObject.kind": textColumn, "responseStatus.code": numberColumn,
		"src_ip": textColumn, "stage": textColumn, "user": textColumn, "userAgent": textColumn, "verb": textColumn,
		"requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration": textColumn,
		"count": numberColumn, "user_groups": listColumn,
	},
	"extended": {
		"firstTime": textColumn, "lastTime": textColumn, "count": numberColumn, "user": textColumn,
		"user_groups": listColumn, "src_ip": listColumn, "userAgent": textColumn, "verb": textColumn,
		"resource": textColumn, "subresource": textColumn, "namespace": textColumn,
		// name lists the pods of a folded controller row, so it is a list everywhere.
		"name": listColumn, "owner_kind": textColumn, "owner_namespace": textColumn, "owner_name": textColumn,
		"workload": textColumn, "outcome": textColumn, "containers": listColumn, "images": listColumn,
		"reasons": listColumn, "changed": listColumn, "risk_score": numberColumn, "message": textColumn,
	},
}

// newDetector returns a fresh detector for the named mode.
func newDetector(mode string) (detect.Detector, error) {
	switch mode {
	case "escu":
		return escu.New(), nil
	case "extended":
		return extended.New(), nil
	}
	return nil, fmt.Errorf("unknown mode %q (want one of %s)", mode, strings.Join(modeNames, ", "))
}

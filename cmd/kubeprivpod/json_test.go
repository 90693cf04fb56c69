package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestJSONSchemaCoversColumns keeps jsonSchemas complete: every column a
// mode returns has a declared type, and the schema names no column the
// mode does not have. A detection that gains a column fails here until
// the column is typed (and docs/scan.md says how).
func TestJSONSchemaCoversColumns(t *testing.T) {
	for _, mode := range modeNames {
		d, err := newDetector(mode)
		if err != nil {
			t.Fatal(err)
		}
		cols := d.Result().Columns
		schema := jsonSchemas[mode]
		for _, c := range cols {
			if _, ok := schema[c]; !ok {
				t.Errorf("mode %s: column %q has no JSON type", mode, c)
			}
		}
		for c := range schema {
			if !slices.Contains(cols, c) {
				t.Errorf("mode %s: schema types %q, which is not a column", mode, c)
			}
		}
	}
}

// TestScanJSONTypes runs both real modes over the sample in JSON and
// checks each line against the schema the way jq users rely on it:
// 'select(.risk_score > 100)' compares numbers, '.reasons[]' iterates.
func TestScanJSONTypes(t *testing.T) {
	for _, mode := range modeNames {
		code, out, errs := scanWith(t, newDetector, "", "--mode", mode, "--format", "json", sample)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, code, errs)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) < 2 {
			t.Fatalf("%s: %d rows", mode, len(lines))
		}
		for _, line := range lines {
			var row map[string]any
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("%s: %v: %s", mode, err, line)
			}
			for col, typ := range jsonSchemas[mode] {
				v, present := row[col]
				switch typ {
				case numberColumn:
					if _, ok := v.(float64); present && !ok && v != "null" {
						t.Errorf("%s: %s = %#v, want a number", mode, col, v)
					}
				case listColumn:
					if _, ok := v.([]any); !ok {
						t.Errorf("%s: %s = %#v, want an array", mode, col, v)
					}
				case textColumn:
					if _, ok := v.(string); present && !ok {
						t.Errorf("%s: %s = %#v, want a string", mode, col, v)
					}
				}
			}
			if _, ok := row["count"].(float64); !ok {
				t.Errorf("%s: count %#v is not a number", mode, row["count"])
			}
		}
	}
}

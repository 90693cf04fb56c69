package extended

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// partialMagic marks the partial rows this mode writes; AddPartial rejects
// any other row.
// Version 3 hashes the request key with the requestReceivedTimestamp,
// counts unknown objects ("cnt.unknown", "cnt.ukeys"), and carries the
// judged images, the code fingerprint, the fields a patch changed and the
// resourceVersions ("img", "sp", "chg", "brv", "nrv"), which folding and
// the restatement rule need in the reduce. Version 2 carried 32 hex
// digits of a key without the timestamp, and version 1 the key itself.
// Neither is read: a split run would merge differently.
const partialMagic = "kubeprivpod/extended/3"

// ErrForeignPartial is returned (wrapped) by AddPartial for a row this mode
// did not write.
var ErrForeignPartial = errors.New("not a partial row of kubeprivpod mode=extended")

// partial is one partial row: exactly one of a request's finding or the
// counters of a map process.
type partial struct {
	Magic string    `json:"kpp"`
	Rec   *record   `json:"rec,omitempty"`
	Cnt   *counters `json:"cnt,omitempty"`
}

// counters carry what Messages needs. Blind maps request keys (hex) to
// blind flags, so the reduce can still drop requests another map
// process judged.
type counters struct {
	NonJSON    int              `json:"nonjson,omitempty"`
	NoKeyBody  int              `json:"nobody,omitempty"`
	NoKeyTrunc int              `json:"notrunc,omitempty"`
	Blind      map[string]uint8 `json:"blind,omitempty"`
	Unknown    int              `json:"unknown,omitempty"`
	UnknownKey string           `json:"ukeys,omitempty"`
}

// Flush writes one partial row per finding, then one with the counters,
// and forgets them. The bytes passed to emit are valid only during the call.
func (d *Detector) Flush(emit func(p []byte) error) error {
	keys := make([]reqKey, 0, len(d.keyed))
	for k := range d.keyed {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int { return bytes.Compare(a[:], b[:]) })
	for _, k := range keys {
		q := d.keyed[k]
		if err := d.emit(emit, partial{Magic: partialMagic, Rec: q.record(k.String())}); err != nil {
			return err
		}
	}
	for i := range d.unkeyed {
		if err := d.emit(emit, partial{Magic: partialMagic, Rec: d.unkeyed[i].record("")}); err != nil {
			return err
		}
	}
	if d.nonJSON > 0 || d.unknown > 0 || len(d.blind) > 0 || d.blindNoKey != [2]int{} {
		c := &counters{NonJSON: d.nonJSON, NoKeyBody: d.blindNoKey[0], NoKeyTrunc: d.blindNoKey[1],
			Unknown: d.unknown, UnknownKey: d.unknownKeys}
		if len(d.blind) > 0 {
			c.Blind = make(map[string]uint8, len(d.blind))
			for k, f := range d.blind {
				c.Blind[k.String()] = f
			}
		}
		if err := d.emit(emit, partial{Magic: partialMagic, Cnt: c}); err != nil {
			return err
		}
	}
	d.reset()
	return nil
}

func (d *Detector) emit(emit func([]byte) error, p partial) error {
	d.buf.Reset()
	enc := json.NewEncoder(&d.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return err
	}
	return emit(bytes.TrimSuffix(d.buf.Bytes(), []byte{'\n'}))
}

// AddPartial merges one partial row written by Flush.
func (d *Detector) AddPartial(p []byte) error {
	var row partial
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&row); err != nil {
		return fmt.Errorf("extended: partial row: %w: %v", ErrForeignPartial, err)
	}
	if rest := bytes.TrimSpace(p[dec.InputOffset():]); len(rest) > 0 {
		return fmt.Errorf("extended: partial row: %w: data after the object at byte %d", ErrForeignPartial, dec.InputOffset())
	}
	if row.Magic != partialMagic {
		return fmt.Errorf("extended: partial row: %w: field \"kpp\" is %q, want %q", ErrForeignPartial, row.Magic, partialMagic)
	}
	switch {
	case row.Rec != nil && row.Cnt == nil:
		if err := row.Rec.validate(); err != nil {
			return fmt.Errorf("extended: partial row: field \"rec\": %w", err)
		}
		row.Rec.Nano = parseTime(row.Rec.Time)
		d.add(row.Rec, true)
	case row.Cnt != nil && row.Rec == nil:
		c := row.Cnt
		if c.NonJSON < 0 || c.NoKeyBody < 0 || c.NoKeyTrunc < 0 || c.Unknown < 0 {
			return errors.New("extended: partial row: field \"cnt\": negative count")
		}
		blind := make(map[reqKey]uint8, len(c.Blind))
		for k, f := range c.Blind {
			h, ok := parseReqKey(k)
			if !ok || f == 0 || f&^(blindNoBody|blindTruncated) != 0 {
				return fmt.Errorf("extended: partial row: field \"cnt.blind\": bad entry %q: %d", k, f)
			}
			blind[h] = f
		}
		d.nonJSON += c.NonJSON
		d.noteUnknown(c.Unknown, c.UnknownKey)
		d.blindNoKey[0] += c.NoKeyBody
		d.blindNoKey[1] += c.NoKeyTrunc
		for h, f := range blind {
			d.blind[h] |= f
		}
	default:
		return errors.New("extended: partial row: want exactly one of the fields \"rec\" and \"cnt\"")
	}
	return nil
}

// validate checks a record read from a partial row.
func (r *record) validate() error {
	switch {
	case r.Key != "" && !validReqKey(r.Key):
		return fmt.Errorf("field \"k\" (request key) is %q, want 32 hex digits", r.Key)
	case r.Verb == "":
		return errors.New(`field "v" (verb) is empty`)
	case r.Resource == "":
		return errors.New(`field "res" (resource) is empty`)
	case r.Pend && (r.Verb != "patch" || len(r.Changed) == 0 || len(r.Reasons) != 0 || r.Risk != 0):
		return errors.New(`field "pend": a pending code patch has verb patch, changed fields, and no reasons or risk`)
	case r.Pend:
		// Judged at Result against the object's previous version.
	case len(r.Reasons) == 0:
		return errors.New(`field "rsn" (reasons) is empty`)
	case r.Rank < 0 || r.Rank > maxRank:
		return fmt.Errorf("field \"r\" (stage rank) is %d, want 0 to %d", r.Rank, maxRank)
	case r.Risk <= 0 && !r.Pend:
		return errors.New(`field "risk" is not positive`)
	case r.Outcome != OutcomeAllowed && r.Outcome != OutcomeDenied && r.Outcome != OutcomeFailed &&
		r.Outcome != OutcomeDryRun && r.Outcome != OutcomeUnknown:
		return fmt.Errorf("field \"o\" (outcome) is %q", r.Outcome)
	}
	return nil
}

package modinput

import (
	"encoding/xml"
	"io"
)

// Streaming modes a Scheme may declare.
const (
	StreamingXML    = "xml"
	StreamingSimple = "simple"
)

// Data types of an Arg.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeBoolean = "boolean"
)

// Scheme is the introspection document a modular input prints for
// --scheme. Splunk reads it once to learn the input's arguments.
type Scheme struct {
	Title                 string
	Description           string
	UseExternalValidation bool
	UseSingleInstance     bool
	StreamingMode         string // StreamingXML or StreamingSimple; empty means StreamingXML
	Args                  []Arg
}

// Arg describes one argument of the input's inputs.conf stanza.
type Arg struct {
	Name             string
	Title            string
	Description      string
	Validation       string // Splunk's internal validation expression, e.g. is_pos_int('x'); empty for none
	DataType         string // TypeString (default), TypeNumber or TypeBoolean
	RequiredOnCreate bool
	RequiredOnEdit   bool
}

// xmlScheme mirrors the wire layout, which differs from Scheme's shape
// (arguments sit under <endpoint><args>).
type xmlScheme struct {
	XMLName               xml.Name `xml:"scheme"`
	Title                 string   `xml:"title"`
	Description           string   `xml:"description,omitempty"`
	UseExternalValidation bool     `xml:"use_external_validation"`
	UseSingleInstance     bool     `xml:"use_single_instance"`
	StreamingMode         string   `xml:"streaming_mode"`
	Args                  []xmlArg `xml:"endpoint>args>arg"`
}

type xmlArg struct {
	Name             string `xml:"name,attr"`
	Title            string `xml:"title,omitempty"`
	Description      string `xml:"description,omitempty"`
	Validation       string `xml:"validation,omitempty"`
	DataType         string `xml:"data_type"`
	RequiredOnEdit   bool   `xml:"required_on_edit"`
	RequiredOnCreate bool   `xml:"required_on_create"`
}

// WriteTo writes the scheme as indented XML followed by a newline.
func (s *Scheme) WriteTo(w io.Writer) (int64, error) {
	x := xmlScheme{
		Title:                 s.Title,
		Description:           s.Description,
		UseExternalValidation: s.UseExternalValidation,
		UseSingleInstance:     s.UseSingleInstance,
		StreamingMode:         s.StreamingMode,
	}
	if x.StreamingMode == "" {
		x.StreamingMode = StreamingXML
	}
	for _, a := range s.Args {
		dt := a.DataType
		if dt == "" {
			dt = TypeString
		}
		x.Args = append(x.Args, xmlArg{
			Name: a.Name, Title: a.Title, Description: a.Description, Validation: a.Validation,
			DataType: dt, RequiredOnEdit: a.RequiredOnEdit, RequiredOnCreate: a.RequiredOnCreate,
		})
	}
	out, err := xml.MarshalIndent(x, "", "  ")
	if err != nil {
		return 0, err
	}
	out = append(out, '\n')
	n, err := w.Write(out)
	return int64(n), err
}

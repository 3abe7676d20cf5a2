package tinker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FieldError is a request that is wrong in one field: Field is its path
// from the body's root (a.b[3].c; empty for the body itself).
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// fieldErrorf returns a *FieldError for field.
func fieldErrorf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// under prefixes err's field path with parent (a key, or "[i]" for an
// index), turning any other error into a *FieldError at parent.
func under(parent string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		return &FieldError{Field: parent, Msg: jsonMessage(err)}
	}
	switch {
	case fe.Field == "":
		return &FieldError{Field: parent, Msg: fe.Msg}
	case parent == "":
		return fe
	case strings.HasPrefix(fe.Field, "["):
		return &FieldError{Field: parent + fe.Field, Msg: fe.Msg}
	}
	return &FieldError{Field: parent + "." + fe.Field, Msg: fe.Msg}
}

// jsonMessage rewrites encoding/json's errors without Go type names where
// it can: what the client sent and what was wanted.
func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("got a JSON %s, want %s", te.Value, wantOf(te.Type.Kind().String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	}
	return err.Error()
}

func wantOf(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "a boolean"
	case kind == "slice":
		return "a list"
	case kind == "map", kind == "struct":
		return "an object"
	}
	return kind
}

// field is one key of a JSON object to decode: into dst with
// json.Unmarshal, or through dec when set.
type field struct {
	name     string
	dst      any
	dec      func(raw []byte) error
	required bool
	seen     *bool // set when the key was present and not null
}

// decodeObject decodes a JSON object into fields, refusing keys not listed
// and reporting absent required ones. A null value counts as absent, as an
// optional field left None is (the SDK drops None fields before sending).
func decodeObject(raw []byte, fields ...field) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return &FieldError{Msg: "want a JSON object"}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return &FieldError{Msg: jsonMessage(err)}
	}
	var unknown []string
	for k := range m {
		if !slices.ContainsFunc(fields, func(f field) bool { return f.name == k }) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fieldErrorf(unknown[0], "unknown field (the request models refuse extra keys)")
	}
	for _, f := range fields {
		v, ok := m[f.name]
		if !ok || string(bytes.TrimSpace(v)) == "null" {
			if f.required {
				return fieldErrorf(f.name, "required")
			}
			continue
		}
		if f.seen != nil {
			*f.seen = true
		}
		var err error
		if f.dec != nil {
			err = f.dec(v)
		} else {
			err = json.Unmarshal(v, f.dst)
		}
		if err != nil {
			return under(f.name, err)
		}
	}
	return nil
}

// decodeList decodes a JSON list, each element through dec, naming a bad
// element by its index.
func decodeList(raw []byte, dec func(i int, raw []byte) error) (int, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return 0, &FieldError{Msg: jsonMessage(err)}
	}
	for i, it := range items {
		if err := dec(i, it); err != nil {
			return 0, under(fmt.Sprintf("[%d]", i), err)
		}
	}
	return len(items), nil
}

// literal returns a decoder that accepts only the string want (the
// requests' "type" tags).
func literal(want string) func([]byte) error {
	return func(raw []byte) error {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		if s != want {
			return fieldErrorf("", "got %q, want %q", s, want)
		}
		return nil
	}
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"research/internal/jsonl"
)

// maxRecordLine bounds one JSON Lines record that score and metrics parse:
// decoding and normalising a record takes tens of times its size, so an
// unbounded line (a 100 MB one took 4.4 GB) could exhaust memory. A full
// 8,192-token rollout is about 40 KB.
const maxRecordLine = 16 << 20

// jsonObject is one JSONL record whose fields we add to without disturbing
// the others; they are written back sorted by name.
type jsonObject map[string]json.RawMessage

// decodeField decodes one field into v; a missing field is an error unless
// optional is set.
func (o jsonObject) decodeField(name string, v any, optional bool) error {
	raw, ok := o[name]
	if !ok || string(raw) == "null" {
		if optional {
			return nil
		}
		return fmt.Errorf("missing field %q", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("field %q: %w", name, err)
	}
	return nil
}

func (o jsonObject) set(name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("field %q: %w", name, err)
	}
	o[name] = raw
	return nil
}

// mapJSONL reads JSON Lines from r, lets fn add fields to each object, and
// writes the objects to w, one per line. Blank lines are skipped; a line
// longer than maxRecordLine is refused. Errors name the input and the line.
func mapJSONL(r io.Reader, name string, w io.Writer, fn func(jsonObject) error) error {
	lr := jsonl.NewReader(r, name, maxRecordLine)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for {
		text, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		line := lr.Line()
		if trimmed := bytes.TrimSpace(text); len(trimmed) > 0 {
			var obj jsonObject
			if uerr := json.Unmarshal(trimmed, &obj); uerr != nil || obj == nil {
				return fmt.Errorf("%s:%d: want one JSON object per line: %v", name, line, uerr)
			}
			if ferr := fn(obj); ferr != nil {
				return fmt.Errorf("%s:%d: %w", name, line, ferr)
			}
			if werr := enc.Encode(obj); werr != nil {
				return fmt.Errorf("write output: %w", werr)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

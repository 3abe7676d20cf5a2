package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ReadFile reads every example of a dataset file: JSON Lines, a JSON array,
// or parquet (recognised by its magic bytes, not its name). Examples whose
// record does not say its dataset get the file's base name as Source.
func ReadFile(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	source := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(4); string(magic) == parquetMagic {
		return readParquet(f, path, source)
	}
	return Read(br, path, source)
}

// Read reads examples from JSON Lines or a JSON array. name is used in
// errors ("name:line: …"); source is the default Example.Source.
func Read(r io.Reader, name, source string) ([]Example, error) {
	br := bufio.NewReader(r)
	first, skippedLines, err := firstNonSpace(br)
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty dataset", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if first == '[' {
		return readArray(br, name, source)
	}
	return readLines(br, name, source, 1+skippedLines)
}

// firstNonSpace skips leading whitespace and a UTF-8 byte-order mark, as
// some exporters write one, and returns the next byte without consuming it
// and the number of lines skipped.
func firstNonSpace(br *bufio.Reader) (first byte, lines int, err error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, lines, err
		}
		switch b[0] {
		case '\n':
			lines++
			fallthrough
		case ' ', '\t', '\r':
			br.ReadByte()
		case 0xEF:
			if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
				br.Discard(3)
				continue
			}
			return b[0], lines, nil
		default:
			return b[0], lines, nil
		}
	}
}

func readLines(br *bufio.Reader, name, source string, firstLine int) ([]Example, error) {
	var out []Example
	for line := firstLine; ; line++ {
		text, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if trimmed := bytes.TrimSpace(text); len(trimmed) > 0 {
			ex, perr := parseRecord(trimmed, source, len(out))
			if perr != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, line, perr)
			}
			out = append(out, ex)
		}
		if err == io.EOF {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no examples", name)
	}
	return out, nil
}

func readArray(br *bufio.Reader, name, source string) ([]Example, error) {
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []Example
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s: element %d (byte %d): %w", name, len(out), dec.InputOffset(), err)
		}
		ex, err := parseRecord(raw, source, len(out))
		if err != nil {
			return nil, fmt.Errorf("%s: element %d (byte %d): %w", name, len(out), dec.InputOffset(), err)
		}
		out = append(out, ex)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s: unterminated JSON array: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no examples", name)
	}
	return out, nil
}

func parseRecord(raw []byte, source string, position int) (Example, error) {
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Example{}, fmt.Errorf("want a JSON object per example, got %s", typeErr.Value)
		}
		return Example{}, fmt.Errorf("invalid JSON: %w", err)
	}
	ex, err := r.toExample(source, position)
	if err != nil {
		return Example{}, err
	}
	if strings.TrimSpace(ex.Question) == "" {
		return Example{}, fmt.Errorf("empty question")
	}
	return ex, nil
}

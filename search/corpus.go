package search

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLineBytes bounds one corpus line, so that a file without newlines
// cannot make the reader buffer all of it.
const MaxLineBytes = 64 << 20

// Passage is one corpus record: an id and FlashRAG contents.
type Passage struct {
	ID       string
	Contents string
}

// corpusRecord accepts both FlashRAG layouts: {"id","contents"} and
// {"id","title","text"}. The id may be a JSON string or number.
type corpusRecord struct {
	ID       json.RawMessage `json:"id"`
	Contents *string         `json:"contents"`
	Title    *string         `json:"title"`
	Text     *string         `json:"text"`
}

// ParsePassage parses one JSONL corpus line. Errors say which field is wrong;
// callers add the file and line.
func ParsePassage(line []byte) (Passage, error) {
	var r corpusRecord
	if err := json.Unmarshal(line, &r); err != nil {
		return Passage{}, fmt.Errorf("invalid JSON: %w", err)
	}
	var p Passage
	switch {
	case len(r.ID) == 0 || string(r.ID) == "null":
		return Passage{}, errors.New(`missing "id"`)
	case r.ID[0] == '"':
		if err := json.Unmarshal(r.ID, &p.ID); err != nil {
			return Passage{}, fmt.Errorf(`"id": %w`, err)
		}
	case r.ID[0] == '-' || '0' <= r.ID[0] && r.ID[0] <= '9':
		p.ID = string(r.ID)
	default:
		return Passage{}, fmt.Errorf(`"id" must be a string or a number, got %s`, r.ID)
	}
	switch {
	case r.Contents != nil:
		p.Contents = *r.Contents
	case r.Text != nil:
		title := ""
		if r.Title != nil {
			title = *r.Title
		}
		p.Contents = JoinContents(title, *r.Text)
	default:
		return Passage{}, errors.New(`need "contents" or "text"`)
	}
	return p, nil
}

// LineReader reads a JSONL file line by line, skipping blank lines and
// counting line numbers for error messages.
type LineReader struct {
	r    *bufio.Reader
	Line int // number of the line last returned, 1-based
	buf  []byte
}

// NewLineReader returns a LineReader on r.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{r: bufio.NewReaderSize(r, 1<<20)}
}

// Next returns the next non-blank line, valid until the following call, or
// io.EOF at the end.
func (lr *LineReader) Next() ([]byte, error) {
	for {
		lr.buf = lr.buf[:0]
		for {
			chunk, err := lr.r.ReadSlice('\n')
			lr.buf = append(lr.buf, chunk...)
			if len(lr.buf) > MaxLineBytes {
				return nil, fmt.Errorf("line %d: longer than %d bytes", lr.Line+1, MaxLineBytes)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil && err != io.EOF {
				return nil, fmt.Errorf("line %d: %w", lr.Line+1, err)
			}
			if err == io.EOF && len(lr.buf) == 0 {
				return nil, io.EOF
			}
			break
		}
		lr.Line++
		if line := bytes.TrimSpace(lr.buf); len(line) > 0 {
			return line, nil
		}
	}
}

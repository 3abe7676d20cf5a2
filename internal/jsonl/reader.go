package jsonl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Reader reads lines, numbering them from 1 so that errors can name
// name:line.
type Reader struct {
	br         *bufio.Reader
	name       string
	limit      int
	line       int
	terminated bool
}

// NewReader reads lines from r, which errors call name. A line longer than
// limit bytes, counting its "\n", is refused before more of it is read,
// since decoding a record takes many times its size; limit <= 0 means no
// bound, for files this program wrote itself.
func NewReader(r io.Reader, name string, limit int) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Reader{br: br, name: name, limit: limit}
}

// Next returns the next line without its "\n", or io.EOF once no bytes are
// left. A last line without a "\n" is returned too; Terminated tells it
// apart. Other errors are prefixed with name:line.
func (r *Reader) Next() ([]byte, error) {
	var line []byte
	r.line++
	for {
		chunk, err := r.br.ReadSlice('\n')
		line = append(line, chunk...)
		if r.limit > 0 && len(line) > r.limit {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", r.name, r.line, r.limit)
		}
		switch {
		case err == nil:
			r.terminated = true
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) > 0:
			r.terminated = false
			return line, nil
		case err == io.EOF:
			r.line--
			return nil, io.EOF
		default:
			return nil, fmt.Errorf("%s:%d: %w", r.name, r.line, err)
		}
	}
}

// Line is the number of the line Next last returned.
func (r *Reader) Line() int { return r.line }

// Terminated reports whether the line Next last returned ended in "\n";
// only the last line of a file can lack it.
func (r *Reader) Terminated() bool { return r.terminated }

package jsonl

import (
	"fmt"
	"io"
	"os"
)

// File is a JSON Lines file open for appending, one record a line, each
// synced as written.
type File struct {
	path string
	f    *os.File
}

// OpenAppend opens (or creates) the file at path, calls fn with each
// complete line it holds (numbered from 1, without its "\n"), and positions
// it for appending after them. A last line without its "\n" is a record a
// crash cut short: it is not passed to fn, and it is truncated away so the
// next record starts on a line of its own. An error from fn stops the open
// and is returned as it is, so callers word their own.
func OpenAppend(path string, fn func(n int, line []byte) error) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	good, err := ReadComplete(f, path, fn)
	if err == nil {
		if err = f.Truncate(good); err == nil {
			_, err = f.Seek(good, io.SeekStart)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &File{path: path, f: f}, nil
}

// ReadComplete calls fn with each complete line of r, as OpenAppend does,
// and returns the length of the prefix they make up, for readers of a file
// that may still be being appended to. The lines are not bounded: these
// are files this program wrote.
func ReadComplete(r io.Reader, name string, fn func(n int, line []byte) error) (int64, error) {
	lr := NewReader(r, name, 0)
	var good int64
	for {
		line, err := lr.Next()
		if err == io.EOF {
			return good, nil
		}
		if err != nil {
			return 0, err
		}
		if !lr.Terminated() {
			return good, nil // a torn last line, dropped
		}
		if fn != nil {
			if err := fn(lr.Line(), line); err != nil {
				return 0, err
			}
		}
		good += int64(len(line)) + 1
	}
}

// Append writes line and a "\n" in one write and syncs the file, so that a
// crash leaves either the whole record or a torn one that the next
// OpenAppend drops. line must not contain "\n".
func (f *File) Append(line []byte) error {
	buf := make([]byte, 0, len(line)+1)
	buf = append(append(buf, line...), '\n')
	if _, err := f.f.Write(buf); err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	if err := f.f.Sync(); err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	return nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

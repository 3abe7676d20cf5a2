//go:build !unix

package diskfile

import (
	"io"
	"os"
)

// mapFile reads the file into memory where mmap is not available; the
// copy is private either way.
func mapFile(f *os.File, size int, _ bool) ([]byte, func() error, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

//go:build !unix

package diskfile

import (
	"io"
	"os"
)

// mapPrivate reads the whole file where memory mapping is not available.
func mapPrivate(f *os.File, size int64) ([]byte, func() error, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

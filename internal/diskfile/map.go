package diskfile

import (
	"fmt"
	"os"
)

// Map maps a whole file read-only and returns the function that unmaps it.
// Empty files map to an empty slice.
func Map(path string) ([]byte, func() error, error) { return mapPath(path, false) }

// MapPrivate maps a whole file copy-on-write: pages are read lazily from the
// page cache, and a caller that writes to a weight gets a private copy of
// the page instead of corrupting the file.
func MapPrivate(path string) ([]byte, func() error, error) { return mapPath(path, true) }

func mapPath(path string, private bool) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := st.Size()
	if size == 0 {
		return []byte{}, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("%s: %d bytes is too large to map", path, size)
	}
	data, unmap, err := mapFile(f, int(size), private)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, unmap, nil
}

package diskfile

import (
	"fmt"
	"os"
)

// MapPrivate maps the whole file at path copy-on-write (read into memory
// where the system cannot map files) and returns its bytes and the function
// that unmaps them. Writes to the bytes never reach the file.
func MapPrivate(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	data, unmap, err := mapPrivate(f, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, unmap, nil
}

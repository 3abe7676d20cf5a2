//go:build !unix

package diskfile

import "os"

// Map reads the whole file into memory where mmap is not available.
func Map(path string) ([]byte, func() error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

//go:build unix

package diskfile

import (
	"fmt"
	"os"
	"syscall"
)

// mapPrivate maps a whole open file of size bytes copy-on-write: pages are
// read lazily from the page cache, and a caller that writes to a weight gets
// a private copy of the page instead of corrupting the file.
func mapPrivate(f *os.File, size int64) ([]byte, func() error, error) {
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("file of %d bytes is too large to map", size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}

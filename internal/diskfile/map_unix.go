//go:build unix

package diskfile

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps size bytes of f, shared read-only or private read-write.
func mapFile(f *os.File, size int, private bool) ([]byte, func() error, error) {
	prot, flags := syscall.PROT_READ, syscall.MAP_SHARED
	if private {
		prot, flags = syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, prot, flags)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}

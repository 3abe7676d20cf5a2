package dense

import (
	"bufio"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
)

// fileWriter writes a file through a buffer while computing its size and
// CRC-32C; Close flushes and fsyncs it.
type fileWriter struct {
	f    *os.File
	w    *bufio.Writer
	crc  hash.Hash32
	size int64
}

func createFile(path string) (*fileWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &fileWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), crc: crc32.New(castagnoli)}, nil
}

func (fw *fileWriter) Write(p []byte) (int, error) {
	fw.crc.Write(p)
	fw.size += int64(len(p))
	return fw.w.Write(p)
}

// Close flushes, syncs and closes the file and returns its size and checksum.
func (fw *fileWriter) Close() (FileInfo, error) {
	err := fw.w.Flush()
	if err == nil {
		err = fw.f.Sync()
	}
	if cerr := fw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileInfo{}, fmt.Errorf("write %s: %w", fw.f.Name(), err)
	}
	return FileInfo{Size: fw.size, CRC32C: fw.crc.Sum32()}, nil
}

// syncDir fsyncs a directory so that renames and creations in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

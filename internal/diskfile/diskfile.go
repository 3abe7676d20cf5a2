// Package diskfile holds what the on-disk indexes share: files written
// through a buffer with their size and CRC-32C computed on the way and
// fsynced on close, directory syncs that make renames durable, read-only
// memory maps for opening, and the copy-on-write maps model weights are
// read through.
package diskfile

import (
	"bufio"
	"fmt"
	"hash"
	"hash/crc32"
	"os"
	"path/filepath"
)

// Info is what an index's metadata records of each file, to check it when
// opening.
type Info struct {
	Size   int64  `json:"size"`
	CRC32C uint32 `json:"crc32c"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C (Castagnoli) of data.
func Checksum(data []byte) uint32 { return crc32.Checksum(data, castagnoli) }

// Writer writes a new file through a buffer while computing its size and
// CRC-32C.
type Writer struct {
	f    *os.File
	w    *bufio.Writer
	crc  hash.Hash32
	size int64
}

// Create creates path, which must not exist yet.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &Writer{f: f, w: bufio.NewWriterSize(f, 1<<20), crc: crc32.New(castagnoli)}, nil
}

// Write implements io.Writer.
func (fw *Writer) Write(p []byte) (int, error) {
	fw.crc.Write(p)
	fw.size += int64(len(p))
	return fw.w.Write(p)
}

// Close flushes, syncs and closes the file and returns its size and checksum.
func (fw *Writer) Close() (Info, error) {
	err := fw.w.Flush()
	if err == nil {
		err = fw.f.Sync()
	}
	if cerr := fw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, fmt.Errorf("write %s: %w", fw.f.Name(), err)
	}
	return Info{Size: fw.size, CRC32C: fw.crc.Sum32()}, nil
}

// Abort closes the file after a failure; the caller removes it.
func (fw *Writer) Abort() { fw.f.Close() }

// SyncDir fsyncs a directory so that renames and creations in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Size is the number of bytes written so far.
func (fw *Writer) Size() int64 { return fw.size }

// ReplaceDir renames the finished build directory tmp to out, moving an
// old out aside first and removing it after, and syncs out's parent so the
// rename is durable.
func ReplaceDir(tmp, out string) error {
	// The finished index is no longer a build in progress.
	if err := os.Remove(filepath.Join(tmp, buildMarker)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("finish build: %w", err)
	}
	if _, err := os.Stat(out); err == nil {
		old := tmp + ".old"
		if err := os.Rename(out, old); err != nil {
			return fmt.Errorf("move old index aside: %w", err)
		}
		if err := os.Rename(tmp, out); err != nil {
			return fmt.Errorf("move index into place: %w", err)
		}
		os.RemoveAll(old)
	} else if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("move index into place: %w", err)
	}
	return SyncDir(filepath.Dir(filepath.Clean(out)))
}

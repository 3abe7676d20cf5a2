package diskfile

import (
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteChecksumMap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("hello, "))
	w.Write([]byte("index"))
	if w.Size() != 12 {
		t.Errorf("size %d while writing", w.Size())
	}
	info, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := crc32.Checksum([]byte("hello, index"), crc32.MakeTable(crc32.Castagnoli))
	if info.Size != 12 || info.CRC32C != want {
		t.Errorf("info %+v, want size 12 crc %08x", info, want)
	}
	data, unmap, err := Map(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "hello, index" || Checksum(data) != want {
		t.Errorf("mapped %q", data)
	}
	unmap()
	if _, err := Create(path); err == nil {
		t.Error("Create overwrote an existing file")
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o644)
	if data, _, err := Map(empty); err != nil || len(data) != 0 {
		t.Errorf("empty file: %v %d", err, len(data))
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		t.Error(err)
	}
}

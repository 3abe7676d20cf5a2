package search

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt marks a read that found an index's files damaged, which only
// an index opened without verification can meet: servers tell it from a
// failed search and say how to find the damage.
var ErrCorrupt = errors.New("corrupt index")

// AppendStored appends the record an index's passage store keeps for p:
// the id and the contents, each after its uvarint length.
func AppendStored(rec []byte, p Passage) []byte {
	rec = binary.AppendUvarint(rec, uint64(len(p.ID)))
	rec = append(rec, p.ID...)
	rec = binary.AppendUvarint(rec, uint64(len(p.Contents)))
	return append(rec, p.Contents...)
}

// StoredDoc decodes record i of a passage store. offsets holds each
// record's little-endian u64 file offset and, last, the end of the store;
// records holds the store's bytes after its base-byte header, where the
// offsets count from.
func StoredDoc(records, offsets []byte, i int, base uint64) (Doc, error) {
	if i < 0 || 8*i+16 > len(offsets) {
		return Doc{}, fmt.Errorf("passage %d: no such record", i)
	}
	start := binary.LittleEndian.Uint64(offsets[8*i:])
	end := binary.LittleEndian.Uint64(offsets[8*i+8:])
	if start > end || start < base || end-base > uint64(len(records)) {
		return Doc{}, fmt.Errorf("passage %d: %w: store offsets out of range", i, ErrCorrupt)
	}
	rec := records[start-base : end-base]
	id, rec, ok := readField(rec)
	contents, _, ok2 := readField(rec)
	if !ok || !ok2 {
		return Doc{}, fmt.Errorf("passage %d: %w: store record unreadable", i, ErrCorrupt)
	}
	d := Doc{ID: string(id), Contents: string(contents)}
	d.Title, d.Text = SplitContents(d.Contents)
	return d, nil
}

// readField reads a uvarint length and that many bytes.
func readField(b []byte) (field, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

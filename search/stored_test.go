package search

import (
	"encoding/binary"
	"testing"
)

func TestStoredRoundTrip(t *testing.T) {
	const base = 12
	var records, offsets []byte
	ps := []Passage{{ID: "a", Contents: "\"T\"\ntext"}, {ID: "b7", Contents: ""}}
	for _, p := range ps {
		offsets = binary.LittleEndian.AppendUint64(offsets, uint64(base+len(records)))
		records = AppendStored(records, p)
	}
	offsets = binary.LittleEndian.AppendUint64(offsets, uint64(base+len(records)))
	for i, p := range ps {
		d, err := StoredDoc(records, offsets, i, base)
		if err != nil || d.ID != p.ID || d.Contents != p.Contents {
			t.Errorf("record %d: %+v, %v", i, d, err)
		}
	}
	if d, _ := StoredDoc(records, offsets, 0, base); d.Title != "T" || d.Text != "text" {
		t.Errorf("title/text %q %q", d.Title, d.Text)
	}
	if _, err := StoredDoc(records, offsets, 2, base); err == nil {
		t.Error("record past the end accepted")
	}
	bad := append([]byte(nil), offsets...)
	binary.LittleEndian.PutUint64(bad[8:], 1<<40)
	if _, err := StoredDoc(records, bad, 0, base); err == nil {
		t.Error("corrupt offsets accepted")
	}
	if _, err := StoredDoc(records[:3], offsets, 0, base); err == nil {
		t.Error("truncated store accepted")
	}
}

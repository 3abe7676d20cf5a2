package dense

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzStore corrupts the passage store of an index opened without the
// checksum pass: every passage must still come back or fail cleanly.
func FuzzStore(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "idx")
	enc := newTable(4, 4, 1)
	if _, err := Build(context.Background(), strings.NewReader(corpus(4)), "c", dir, enc, BuildOptions{}); err != nil {
		f.Fatal(err)
	}
	idx, _ := os.ReadFile(filepath.Join(dir, "storeidx.bin"))
	store, _ := os.ReadFile(filepath.Join(dir, "store.bin"))
	f.Add(idx[headerSize:], store[headerSize:])
	f.Fuzz(func(t *testing.T, idxBody, storeBody []byte) {
		if len(idxBody) != 8*5 {
			return
		}
		ix := &Index{Meta: &Meta{Count: 4}, storeIdx: idxBody, store: storeBody}
		for i := range 4 {
			ix.Passage(i)
		}
	})
}

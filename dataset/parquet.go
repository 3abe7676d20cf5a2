package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

const parquetMagic = "PAR1"

// readParquet reads a veRL dataset parquet file. Rows are read through the
// file's own schema into generic maps (lists become slices, groups maps),
// then take the same path as JSON records, so both exports of one dataset
// read identically.
func readParquet(f *os.File, path, source string) (out []Example, err error) {
	// parquet-go panics on some malformed files; a bad file is an input
	// error, not a crash.
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%s: malformed parquet file: %v", path, p)
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := parquet.NewGenericReader[map[string]any](f, pf.Schema())
	defer r.Close()
	batch := make([]map[string]any, 256)
	for {
		for i := range batch {
			batch[i] = map[string]any{}
		}
		n, rerr := r.Read(batch)
		for _, row := range batch[:n] {
			raw, err := json.Marshal(row)
			if err != nil {
				return nil, fmt.Errorf("%s: row %d: %w", path, len(out), err)
			}
			ex, err := parseRecord(raw, source, len(out))
			if err != nil {
				return nil, fmt.Errorf("%s: row %d: %w", path, len(out), err)
			}
			out = append(out, ex)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("%s: row %d: %w", path, len(out), rerr)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no examples", path)
	}
	return out, nil
}

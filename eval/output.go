package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"research/internal/jsonl"
	"research/internal/safefile"
)

// Output is a results JSONL file open for appending: a run that was
// interrupted is resumed by skipping the ids it holds. Each record is
// written as one line and synced, so a crash loses at most the line being
// written, which the next open drops.
type Output struct {
	path    string
	mu      sync.Mutex
	f       *jsonl.File
	records []Record
	done    map[string]bool
}

// OpenOutput opens (or creates) the results file at path and reads the
// records it already holds.
func OpenOutput(path string) (*Output, error) {
	o := &Output{path: path, done: map[string]bool{}}
	f, err := jsonl.OpenAppend(path, o.add)
	if err != nil {
		return nil, err // it names the file, and add words its own errors
	}
	o.f = f
	return o, nil
}

// add takes line n of the file as the next record.
func (o *Output) add(n int, line []byte) error {
	rec, err := parseRecord(line)
	if err != nil {
		return fmt.Errorf("results %s line %d: %w", o.path, n, err)
	}
	if o.done[rec.ID] {
		return fmt.Errorf("results %s line %d: id %q appears twice", o.path, n, rec.ID)
	}
	o.done[rec.ID] = true
	o.records = append(o.records, rec)
	return nil
}

func parseRecord(line []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(line, &rec); err != nil {
		return rec, err
	}
	if rec.Version != RecordVersion {
		return rec, fmt.Errorf("record format version %d, this build reads %d", rec.Version, RecordVersion)
	}
	if rec.ID == "" {
		return rec, errors.New(`record without an "id"`)
	}
	return rec, nil
}

// Done reports whether the file holds a record for id.
func (o *Output) Done(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.done[id]
}

// Records returns the records held, in file order.
func (o *Output) Records() []Record {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Record(nil), o.records...)
}

// Append writes a record and syncs it.
func (o *Output) Append(rec *Record) error {
	var line bytes.Buffer
	if err := newEncoder(&line).Encode(rec); err != nil {
		return fmt.Errorf("results %s: %w", o.path, err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done[rec.ID] {
		return fmt.Errorf("results %s: id %q written twice", o.path, rec.ID)
	}
	if err := o.f.Append(bytes.TrimSuffix(line.Bytes(), []byte("\n"))); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	o.done[rec.ID] = true
	o.records = append(o.records, *rec)
	return nil
}

// Rewrite replaces the file's records (e.g. with verdicts added)
// atomically and keeps it open for appending.
func (o *Output) Rewrite(records []Record) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	err := safefile.Write(o.path, func(w io.Writer) error {
		enc := newEncoder(w)
		for i := range records {
			if err := enc.Encode(&records[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("results %s: %w", o.path, err)
	}
	f, err := jsonl.OpenAppend(o.path, nil)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	o.f.Close()
	o.f = f
	o.records = append([]Record(nil), records...)
	o.done = map[string]bool{}
	for _, r := range records {
		o.done[r.ID] = true
	}
	return nil
}

// DropIncomplete removes the incomplete records (see Record.Incomplete),
// so that a rerun of the same command runs those questions again instead
// of keeping a failure that a dead retriever caused. It returns how many
// it removed.
func (o *Output) DropIncomplete() (int, error) {
	var kept []Record
	for _, r := range o.Records() {
		if !r.Incomplete() {
			kept = append(kept, r)
		}
	}
	dropped := len(o.Records()) - len(kept)
	if dropped == 0 {
		return 0, nil
	}
	return dropped, o.Rewrite(kept)
}

// Close closes the file.
func (o *Output) Close() error { return o.f.Close() }

// ReadRecords reads a whole results file.
func ReadRecords(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	o := &Output{path: path, done: map[string]bool{}}
	if _, err := jsonl.ReadComplete(f, path, o.add); err != nil {
		return nil, err
	}
	return o.records, nil
}

// newEncoder writes JSON lines that keep tags such as <answer> readable.
func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

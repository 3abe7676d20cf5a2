package jsonl

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// open opens path for appending and returns the lines it held.
func open(t *testing.T, path string) (*File, []string) {
	t.Helper()
	var lines []string
	f, err := OpenAppend(path, func(n int, line []byte) error {
		if n != len(lines)+1 {
			t.Errorf("line numbered %d, want %d", n, len(lines)+1)
		}
		lines = append(lines, string(line))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, lines
}

// TestCrashMidWrite is the crash a results file or judge cache must
// survive: a process dies while writing a record, leaving part of a line.
// Reopening keeps every whole record, drops the torn one, and the next
// record starts a line of its own.
func TestCrashMidWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	f, lines := open(t, path)
	if len(lines) != 0 {
		t.Fatalf("new file holds %q", lines)
	}
	for _, rec := range []string{`{"id":"a"}`, `{"id":"b"}`} {
		if err := f.Append([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	// The crash: half of a third record, no newline.
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(`{"id":"c","answ`)
	w.Close()

	f, lines = open(t, path)
	if want := []string{`{"id":"a"}`, `{"id":"b"}`}; !slices.Equal(lines, want) {
		t.Fatalf("after the crash: %q, want %q", lines, want)
	}
	if err := f.Append([]byte(`{"id":"c"}`)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n"; string(raw) != want {
		t.Errorf("file holds %q, want %q", raw, want)
	}
}

func TestOpenAppendStopsAtBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.jsonl")
	if err := os.WriteFile(path, []byte("good\nbad\ngood\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errBad := errors.New("bad line")
	_, err := OpenAppend(path, func(n int, line []byte) error {
		if string(line) == "bad" {
			return errBad
		}
		return nil
	})
	if !errors.Is(err, errBad) {
		t.Fatalf("error %v, want fn's error as it is", err)
	}
	if raw, _ := os.ReadFile(path); string(raw) != "good\nbad\ngood\n" {
		t.Errorf("a refused file was changed: %q", raw)
	}
}

package diskfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testFormat = "research-test"

// TestNewBuildDirRefusesStrangers checks that overwrite replaces only an
// index of the build's own format: a file, a folder of notes or another
// index kind at out is refused and left as it was.
func TestNewBuildDirRefusesStrangers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		make      func(out string) // nil: out is absent
		overwrite bool
		wantErr   string // "" when the build may go ahead
	}{
		{"absent", nil, false, ""},
		{"our index, overwrite", func(out string) { writeMeta(t, out, testFormat) }, true, ""},
		{"our index, no overwrite", func(out string) { writeMeta(t, out, testFormat) }, false, "already exists"},
		{"an empty folder, overwrite", func(out string) { os.Mkdir(out, 0o755) }, true, ""},
		{"a jsonl file", func(out string) { os.WriteFile(out, []byte("{}\n"), 0o644) }, true, "is a file"},
		{"a folder of notes", func(out string) {
			os.Mkdir(out, 0o755)
			os.WriteFile(filepath.Join(out, "notes.txt"), []byte("keep me"), 0o644)
		}, true, "no readable meta.json"},
		{"another index kind", func(out string) { writeMeta(t, out, "research-dense") }, true, `holds a "research-dense" index`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "idx")
			if tc.make != nil {
				tc.make(out)
			}
			before := snapshot(t, out)
			tmp, err := NewBuildDir(out, testFormat, tc.overwrite)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(tmp, buildMarker)); err != nil {
					t.Errorf("build directory has no marker: %v", err)
				}
				if err := ReplaceDir(tmp, out); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(out, buildMarker)); !os.IsNotExist(err) {
					t.Errorf("the finished index still has the build marker (%v)", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if after := snapshot(t, out); after != before {
				t.Errorf("out changed: %q -> %q", before, after)
			}
		})
	}
}

// TestNewBuildDirRemovesStale checks that a build removes what killed
// builds of the same index left, and nothing else: not a running build's
// directory, not an unmarked or foreign one, not another index's.
func TestNewBuildDirRemovesStale(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "idx")
	host, _ := os.Hostname()
	const deadPID = 1<<31 - 2 // beyond any pid_max
	mark := func(name string, m marker) {
		dir := filepath.Join(parent, name)
		os.Mkdir(dir, 0o755)
		raw, _ := json.Marshal(m)
		os.WriteFile(filepath.Join(dir, buildMarker), raw, 0o644)
	}
	mark("idx.tmp-1", marker{testFormat, deadPID, host})             // killed: removed
	mark("idx.tmp-2", marker{testFormat, os.Getpid(), host})         // running: kept
	mark("idx.tmp-3", marker{"research-dense", deadPID, host})       // another kind: kept
	mark("idx.tmp-4", marker{testFormat, deadPID, host + "-x"})      // another host: kept
	mark("other.tmp-5", marker{testFormat, deadPID, host})           // another index: kept
	mark("idx.tmp-6x", marker{testFormat, deadPID, host})            // not MkdirTemp's name: kept
	os.Mkdir(filepath.Join(parent, "idx.tmp-7"), 0o755)              // no marker: kept
	writeMeta(t, filepath.Join(parent, "idx.tmp-8.old"), testFormat) // moved aside, not removed: removed
	writeMeta(t, filepath.Join(parent, "idx.tmp-9.old"), "research-dense")
	os.WriteFile(filepath.Join(parent, "idx.tmp-10"), []byte("a file"), 0o644)

	tmp, err := NewBuildDir(out, testFormat, false)
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(tmp)
	for name, want := range map[string]bool{
		"idx.tmp-1": false, "idx.tmp-2": true, "idx.tmp-3": true, "idx.tmp-4": true, "other.tmp-5": true,
		"idx.tmp-6x": true, "idx.tmp-7": true, "idx.tmp-8.old": false, "idx.tmp-9.old": true, "idx.tmp-10": true,
	} {
		_, err := os.Stat(filepath.Join(parent, name))
		if got := err == nil; got != want {
			t.Errorf("%s present = %v, want %v", name, got, want)
		}
	}
}

func writeMeta(t *testing.T, dir, format string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"format": format, "version": 1})
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot lists a path's files and contents, to see it left untouched.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(path, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		b.WriteString(p)
		if !info.IsDir() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		b.WriteByte('\n')
		return nil
	})
	return b.String()
}

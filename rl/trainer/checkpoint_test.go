package trainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTruncateMetrics: a resume keeps the metric lines up to its step and
// drops a torn last line; any other bad line is an error naming file and
// line.
func TestTruncateMetrics(t *testing.T) {
	const (
		s1 = `{"step":1,"phase":"train"}` + "\n"
		s2 = `{"step":2,"phase":"train"}` + "\n"
		v2 = `{"step":2,"phase":"val"}` + "\n"
		s3 = `{"step":3,"phase":"train"}` + "\n"
	)
	tests := []struct {
		name, file, want, err string
	}{
		{"later steps", s1 + s2 + v2 + s3, s1 + s2 + v2, ""},
		{"torn last line", s1 + s2 + `{"step":3,"pha`, s1 + s2, ""},
		{"bad line", s1 + "{oops}\n" + s2, "", "metrics.jsonl:2: not a metrics record"},
		{"bad last line", s1 + "oops\n", "", "metrics.jsonl:2: not a metrics record"},
		{"empty", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "metrics.jsonl")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			tr := &Trainer{Config: Defaults(), step: 2}
			tr.Config.Train.Out = dir
			err := tr.truncateMetrics()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tc.want || len(tr.history) != strings.Count(tc.want, "\n") {
				t.Errorf("kept %q (%d in history), want %q", got, len(tr.history), tc.want)
			}
		})
	}
	if err := (&Trainer{Config: Config{Train: LoopConfig{Out: t.TempDir()}}}).truncateMetrics(); err != nil {
		t.Errorf("no metrics file: %v", err)
	}
}

package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRecordLineBound feeds score and metrics a line longer than
// maxRecordLine: it must be refused with its line number before it is
// parsed (a 100 MB line used to take 4.4 GB).
func TestRecordLineBound(t *testing.T) {
	good := `{"prediction":"Nile","golden_answers":["Nile"]}` + "\n"
	long := `{"prediction":"x","golden_answers":["x"],"pad":"` + strings.Repeat("a", maxRecordLine) + `"}` + "\n"
	for _, tc := range []struct {
		name, input, wantErr string
		wantLines            int
	}{
		{"fits", good + good, "", 2},
		{"long second line", good + long + good, "in.jsonl:2: line longer than", 0},
		{"long last line without newline", good + strings.TrimSuffix(long, "\n"), "in.jsonl:2: line longer than", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, summary bytes.Buffer
			err := runMetrics(strings.NewReader(tc.input), "in.jsonl", &out, &summary)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if tc.wantErr == "" {
				if n := strings.Count(out.String(), "\n"); n != tc.wantLines {
					t.Errorf("%d lines out, want %d", n, tc.wantLines)
				}
			}
		})
	}
}

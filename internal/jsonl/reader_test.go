package jsonl

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		limit       int
		want        []string // lines, then the error text if any
		wantErr     string
		terminated  bool // of the last line read
	}{
		{"empty", "", 8, nil, "", false},
		{"lines", "a\nbb\n", 8, []string{"a", "bb"}, "", true},
		{"blank lines kept", "a\n\nb\n", 8, []string{"a", "", "b"}, "", true},
		{"last line without newline", "a\nbb", 8, []string{"a", "bb"}, "", false},
		{"at the limit, counting the newline", "1234567\n", 8, []string{"1234567"}, "", true},
		{"newline past the limit", "12345678\n", 8, nil, "in.jsonl:1: line longer than 8 bytes", false},
		{"long second line", "a\n123456789\nb\n", 8, []string{"a"}, "in.jsonl:2: line longer than 8 bytes", false},
		{"long last line without newline", "a\n123456789", 8, []string{"a"}, "in.jsonl:2: line longer than 8 bytes", false},
		{"no bound", "a\n" + strings.Repeat("x", 100000) + "\n", 0, []string{"a", strings.Repeat("x", 100000)}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A small buffer makes long lines arrive in several chunks.
			r := NewReader(bufio.NewReaderSize(strings.NewReader(tc.input), 16), "in.jsonl", tc.limit)
			var got []string
			var err error
			for {
				var line []byte
				line, err = r.Next()
				if err != nil {
					break
				}
				got = append(got, string(line))
				if r.Line() != len(got) {
					t.Fatalf("Line() = %d after %d lines", r.Line(), len(got))
				}
			}
			if tc.wantErr == "" && err != io.EOF || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("lines %q, want %q", got, tc.want)
			}
			if tc.wantErr == "" && len(got) > 0 && r.Terminated() != tc.terminated {
				t.Errorf("Terminated() = %v, want %v", r.Terminated(), tc.terminated)
			}
		})
	}
}

package search

import (
	"io"
	"strings"
	"testing"
)

func TestParsePassage(t *testing.T) {
	cases := []struct {
		line, id, contents, err string
	}{
		{`{"id": "7", "contents": "\"T\"\nbody"}`, "7", "\"T\"\nbody", ""},
		{`{"id": 12, "title": "T", "text": "body"}`, "12", "\"T\"\nbody", ""},
		{`{"id": "1", "text": "body"}`, "1", "\"\"\nbody", ""},
		{`{"id": "1", "contents": ""}`, "1", "", ""},
		{`{"id": null, "contents": "x"}`, "", "", `missing "id"`},
		{`{"id": true, "contents": "x"}`, "", "", `"id" must be a string or a number`},
		{`{"id": "1", "contents": 5}`, "", "", "invalid JSON"},
		{`[1]`, "", "", "invalid JSON"},
	}
	for _, c := range cases {
		p, err := ParsePassage([]byte(c.line))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil || p.ID != c.id || p.Contents != c.contents {
			t.Errorf("%s: got %+v, %v", c.line, p, err)
		}
	}
}

func TestSplitContents(t *testing.T) {
	for _, c := range []struct{ in, title, text string }{
		{"\"Kansas Song\"\nKansas Song is", "Kansas Song", "Kansas Song is"},
		{"\"A\"\nline 1\nline 2", "A", "line 1\nline 2"},
		{"no newline", "", "no newline"},
	} {
		title, text := SplitContents(c.in)
		if title != c.title || text != c.text {
			t.Errorf("SplitContents(%q) = %q, %q", c.in, title, text)
		}
		if c.title != "" && JoinContents(title, text) != c.in {
			t.Errorf("JoinContents(%q, %q) = %q, want %q", title, text, JoinContents(title, text), c.in)
		}
	}
}

func TestLineReader(t *testing.T) {
	lr := NewLineReader(strings.NewReader("a\n\n  \nb\r\nc"))
	var got []string
	var lines []int
	for {
		l, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(l))
		lines = append(lines, lr.Line)
	}
	if strings.Join(got, ",") != "a,b,c" || lines[1] != 4 || lines[2] != 5 {
		t.Errorf("got %q at lines %v", got, lines)
	}
}

func FuzzParsePassage(f *testing.F) {
	f.Add([]byte(`{"id": "7", "contents": "\"T\"\nbody"}`))
	f.Add([]byte(`{"id": 1e3, "title": "T", "text": "x"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		p, err := ParsePassage(line)
		if err == nil && p.ID == "" && !strings.Contains(string(line), `""`) {
			t.Fatalf("accepted %q with an empty id", line)
		}
	})
}

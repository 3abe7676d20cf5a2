package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestNonTTYThrottles(t *testing.T) {
	old := LogInterval
	LogInterval = time.Hour
	defer func() { LogInterval = old }()

	var buf bytes.Buffer
	b := NewTo(&buf, false, 1000, "indexing", "passages")
	for i := 0; i < 1000; i++ {
		b.Add(1)
	}
	if buf.Len() != 0 {
		t.Fatalf("non-TTY bar wrote before its interval: %q", buf.String())
	}
	b.Finish()
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "1000/1000 passages") {
		t.Fatalf("final line = %q, want one line with 1000/1000 passages", out)
	}
	if strings.Contains(out, "\r") {
		t.Fatalf("non-TTY output contains carriage returns: %q", out)
	}
}

func TestUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	b := NewTo(&buf, false, -1, "reading", "lines")
	b.Add(7)
	b.Finish()
	if !strings.Contains(buf.String(), "reading: 7 lines") {
		t.Fatalf("got %q", buf.String())
	}
}

func TestRateText(t *testing.T) {
	for _, c := range []struct {
		rate float64
		want string
	}{{0, "0"}, {0.1034, "0.103"}, {5.5, "5.5"}, {45.21, "45.2"}, {1234.4, "1234"}} {
		if got := rateText(c.rate); got != c.want {
			t.Errorf("rateText(%g) = %q, want %q", c.rate, got, c.want)
		}
	}
}

package ctxlimit

import (
	"errors"
	"testing"
)

func TestCheckAndFit(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		prompt, maxTokens, context int
		checkErr                   bool
		fit                        int
		fitErr                     bool
	}{
		{"fits", 10, 20, 100, false, 20, false},
		{"exactly full", 10, 90, 100, false, 90, false},
		{"budget too long", 10, 91, 100, true, 90, false},
		{"prompt fills the context", 100, 1, 100, true, 0, true},
		{"prompt beyond the context", 6246, 8192, 4096, true, 0, true},
		{"unknown context", 1 << 30, 1 << 30, 0, false, 1 << 30, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.prompt, tc.maxTokens, tc.context)
			var ce *Error
			if (err != nil) != tc.checkErr || (err != nil && !errors.As(err, &ce)) {
				t.Errorf("Check: %v, want error %v", err, tc.checkErr)
			}
			n, err := Fit(tc.prompt, tc.maxTokens, tc.context)
			if (err != nil) != tc.fitErr || n != tc.fit {
				t.Errorf("Fit: %d, %v; want %d, error %v", n, err, tc.fit, tc.fitErr)
			}
		})
	}
}

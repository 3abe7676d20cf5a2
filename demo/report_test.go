package demo

import (
	"strings"
	"testing"
)

// TestReportCountsFailures: failed questions and searches show in the
// demo's report, and only then (the usual report stays as it was).
func TestReportCountsFailures(t *testing.T) {
	row := func(errs, searches int) Row {
		return Row{Method: "ReSearch", EM: map[string]float64{}, F1: map[string]float64{}, N: map[string]int{}, Errors: errs, SearchFailures: searches}
	}
	for _, tc := range []struct {
		name string
		row  Row
		want string // "" when no failure line is wanted
	}{
		{"whole", row(0, 0), ""},
		{"dead retriever", row(0, 3), "Incomplete: ReSearch: 0 questions failed, 3 searches failed."},
		{"too long", row(2, 0), "Incomplete: ReSearch: 2 questions failed, 0 searches failed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Result{Rows: []Row{tc.row}}
			var b strings.Builder
			r.Markdown(&b)
			got := strings.Contains(b.String(), "Incomplete")
			if got != (tc.want != "") || (tc.want != "" && !strings.Contains(b.String(), tc.want)) {
				t.Errorf("report:\n%s\nwant %q", b.String(), tc.want)
			}
		})
	}
}

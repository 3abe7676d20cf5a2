package view

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkLargeRun times the pages of a run the size of demo --full
// (200 steps × 40 rollouts, a validation every 10 steps, prompts of 300
// ids, a data file of 12,000 questions), each on a freshly opened run, as
// a user who starts research view and opens the page waits for it:
//
//	go test ./view -run '^$' -bench LargeRun -benchtime 20x
func BenchmarkLargeRun(b *testing.B) {
	dir := b.TempDir()
	writeTrainRun(b, dir, fixture{steps: 200, questions: 8, n: 5, valEvery: 10, promptTokens: 300, dataQuestions: 12000})
	pages := []struct{ name, target string }{
		{"overview", "/"},
		{"metrics", "/api/metrics"},
		{"steps", "/steps?page=3"},
		{"step", "/rollouts/train/137"},
		{"rollout", "/rollouts/train/137/21"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				run, err := Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				s, err := New(run, Options{})
				if err != nil {
					b.Fatal(err)
				}
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, httptest.NewRequest("GET", p.target, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: status %d", p.target, rec.Code)
				}
				run.Close()
			}
		})
	}
}

package eval

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"research/eval/judge"
)

// A results directory holds, for each method, one JSONL file per dataset
// and the manifest of the run, plus the judge's cache and the report:
//
//	DIR/<method>/<dataset>.jsonl
//	DIR/<method>/manifest.json
//	DIR/judge-cache.jsonl
//	DIR/report.json, DIR/report.md
const (
	ManifestFile   = "manifest.json"
	JudgeCacheFile = "judge-cache.jsonl"
	ReportJSON     = "report.json"
	ReportMarkdown = "report.md"
)

var datasetName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// CheckDatasetName refuses names that cannot be a file name.
func CheckDatasetName(name string) error {
	if !datasetName.MatchString(name) {
		return fmt.Errorf("dataset name %q: use letters, digits, '.', '_' and '-'", name)
	}
	return nil
}

// DatasetName is the default name of a dataset file: its base name without
// extensions ("hotpotqa_500.jsonl" → "hotpotqa_500").
func DatasetName(path string) string {
	base := filepath.Base(path)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base
}

// ResultsPath is where a method's results on a dataset go.
func ResultsPath(dir string, m Method, dataset string) string {
	return filepath.Join(dir, string(m), dataset+".jsonl")
}

// BuildReport aggregates every results file in dir.
func BuildReport(dir string) (*Report, error) {
	rep := &Report{Version: ReportVersion}
	for _, m := range Methods {
		files, err := filepath.Glob(filepath.Join(dir, string(m), "*.jsonl"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			records, err := ReadRecords(f)
			if err != nil {
				return nil, err
			}
			rep.Cells = append(rep.Cells, Summarize(m, strings.TrimSuffix(filepath.Base(f), ".jsonl"), records))
		}
		man, err := ReadManifest(filepath.Join(dir, string(m), ManifestFile))
		if err != nil {
			return nil, err
		}
		if man != nil {
			rep.Manifests = append(rep.Manifests, *man)
		}
	}
	if len(rep.Cells) == 0 {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("results directory %s does not exist", dir)
		}
		return nil, fmt.Errorf("no results in %s (want %s/<method>/<dataset>.jsonl)", dir, dir)
	}
	return rep, nil
}

// JudgeRecords asks j for a verdict on every record that has none (and,
// with retryFailed, on those whose judge failed before), workers at a
// time, calling progress after each. It returns the records with their
// verdicts; a failed verdict is kept, never dropped.
func JudgeRecords(ctx context.Context, j *judge.Judge, records []Record, workers int, retryFailed bool, progress func()) []Record {
	out := append([]Record(nil), records...)
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := &out[i]
				v := j.Judge(ctx, r.Question, r.Golds, r.Prediction)
				r.Judge = &v
				if progress != nil {
					progress()
				}
			}
		}()
	}
	for i, r := range out {
		if r.Judge != nil && !(retryFailed && r.Judge.Failed()) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

// NeedJudging counts the records JudgeRecords would ask about.
func NeedJudging(records []Record, retryFailed bool) int {
	n := 0
	for _, r := range records {
		if r.Judge == nil || (retryFailed && r.Judge.Failed()) {
			n++
		}
	}
	return n
}

package view

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"research/eval"
)

// EvalFile is one results file of an eval run: a method on a dataset.
type EvalFile struct {
	Method  eval.Method
	Dataset string
	path    string
}

// evalCache reads results files on demand and keeps them while they are
// unchanged (an eval still running appends to them).
type evalCache struct {
	dir     string
	mu      sync.Mutex
	entries map[string]*evalEntry
	mans    []eval.Manifest
	manErrs []string
	manOnce sync.Once
}

type evalEntry struct {
	size    int64
	mod     time.Time
	records []eval.Record
}

func newEvalCache(dir string) *evalCache {
	return &evalCache{dir: dir, entries: map[string]*evalEntry{}}
}

// manifests reads each method's manifest once.
func (c *evalCache) manifests() []eval.Manifest {
	c.manOnce.Do(func() {
		if c.dir == "" {
			return
		}
		for _, m := range eval.Methods {
			man, err := eval.ReadManifest(filepath.Join(c.dir, string(m), eval.ManifestFile))
			if err != nil {
				c.manErrs = append(c.manErrs, err.Error())
			}
			if man != nil {
				c.mans = append(c.mans, *man)
			}
		}
	})
	return c.mans
}

// files lists the results files, methods in Table 2's order.
func (c *evalCache) files() []EvalFile {
	if c.dir == "" {
		return nil
	}
	var out []EvalFile
	for _, m := range eval.Methods {
		paths, _ := filepath.Glob(filepath.Join(c.dir, string(m), "*.jsonl"))
		slices.Sort(paths)
		for _, p := range paths {
			ds := strings.TrimSuffix(filepath.Base(p), ".jsonl")
			if eval.CheckDatasetName(ds) == nil {
				out = append(out, EvalFile{Method: m, Dataset: ds, path: p})
			}
		}
	}
	return out
}

// file finds a results file by the names in a URL; names that are not a
// method or a dataset name are refused before any path is built.
func (c *evalCache) file(method, dataset string) (EvalFile, bool) {
	m, err := eval.ParseMethod(method)
	if c.dir == "" || err != nil || eval.CheckDatasetName(dataset) != nil {
		return EvalFile{}, false
	}
	p := eval.ResultsPath(c.dir, m, dataset)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return EvalFile{}, false
	}
	return EvalFile{Method: m, Dataset: dataset, path: p}, true
}

// records reads a results file, or returns it from the cache.
func (c *evalCache) records(f EvalFile) ([]eval.Record, error) {
	st, err := os.Stat(f.path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e, ok := c.entries[f.path]
	c.mu.Unlock()
	if ok && e.size == st.Size() && e.mod.Equal(st.ModTime()) {
		return e.records, nil
	}
	recs, err := eval.ReadRecords(f.path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.entries[f.path] = &evalEntry{size: st.Size(), mod: st.ModTime(), records: recs}
	c.mu.Unlock()
	return recs, nil
}

// datasets lists the datasets evaluated, in the order first seen.
func (c *evalCache) datasets() []string {
	var out []string
	for _, f := range c.files() {
		if !slices.Contains(out, f.Dataset) {
			out = append(out, f.Dataset)
		}
	}
	return out
}

// Comparison is one dataset's questions under every method evaluated.
type Comparison struct {
	Dataset string
	Methods []eval.Method
	Rows    []CompareRow
	Errs    []string
}

// CompareRow is one question: a record per method, nil where a method has
// none.
type CompareRow struct {
	ID       string
	Question string
	Golds    []string
	Type     string
	Records  []*eval.Record
}

func (r *Run) compare(dataset string) *Comparison {
	cmp := &Comparison{Dataset: dataset}
	byID := map[string]int{}
	for _, f := range r.evals.files() {
		if f.Dataset != dataset {
			continue
		}
		recs, err := r.evals.records(f)
		if err != nil {
			cmp.Errs = append(cmp.Errs, err.Error())
			continue
		}
		col := len(cmp.Methods)
		cmp.Methods = append(cmp.Methods, f.Method)
		for i := range cmp.Rows {
			cmp.Rows[i].Records = append(cmp.Rows[i].Records, nil)
		}
		for i := range recs {
			rec := &recs[i]
			row, ok := byID[rec.ID]
			if !ok {
				row = len(cmp.Rows)
				byID[rec.ID] = row
				cmp.Rows = append(cmp.Rows, CompareRow{ID: rec.ID, Question: rec.Question, Golds: rec.Golds,
					Type: r.types.lookup(rec.ID), Records: make([]*eval.Record, col+1)})
			}
			cmp.Rows[row].Records[col] = rec
		}
	}
	return cmp
}

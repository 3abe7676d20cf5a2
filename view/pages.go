package view

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"research/eval"
	"research/search"
)

// pageData is what every page's layout needs, with the page's own data
// in Body.
type pageData struct {
	Title string
	Run   *Run
	Body  any
}

func (s *Server) page(title string, body any) pageData {
	return pageData{Title: title, Run: s.run, Body: body}
}

// Page sizes: a page stays quick to render and to read.
const (
	stepsPerPage   = 50
	groupsPerPage  = 10
	recordsPerPage = 50
)

// pager is the page numbers of a paginated list.
type pager struct {
	Page, Pages, Total int
	Query              url.Values // the list's other parameters
}

func (p pager) Prev() string  { return p.link(p.Page - 1) }
func (p pager) Next() string  { return p.link(p.Page + 1) }
func (p pager) HasPrev() bool { return p.Page > 1 }
func (p pager) HasNext() bool { return p.Page < p.Pages }

func (p pager) link(n int) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(n))
	return "?" + q.Encode()
}

// paginate returns the bounds of page (1-based, from the query) in a list
// of total items.
func paginate(r *http.Request, total, per int, query url.Values) (pager, int, int) {
	pages := max(1, (total+per-1)/per)
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, pages)
	lo := (n - 1) * per
	return pager{Page: n, Pages: pages, Total: total, Query: query}, lo, min(lo+per, total)
}

// pathInt reads a path segment that must be a small non-negative number;
// anything else is a page that does not exist.
func pathInt(r *http.Request, name string) (int, bool) {
	s := r.PathValue(name)
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

type overviewData struct {
	Latest    []latestValue
	LatestAt  int
	Errors    []string
	Train     int // dumps
	Val       int
	FirstStep int
	HasStep   bool
	Evals     []EvalFile
	Datasets  []string
	PollMS    int64
	ManErrs   []string
}

type latestValue struct {
	Key, Title string
	Value      float64
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	run := s.run
	points, errs, _, _ := run.metrics.snapshot(0)
	d := overviewData{Errors: errs, PollMS: s.opt.Poll.Milliseconds(), Evals: run.evals.files(), Datasets: run.evals.datasets()}
	run.evals.manifests()
	d.ManErrs = run.evals.manErrs
	for i := len(points) - 1; i >= 0; i-- {
		if points[i].Phase == "train" {
			d.LatestAt = points[i].Step
			for _, k := range metricKeys(points[i : i+1]) {
				d.Latest = append(d.Latest, latestValue{k, title(k), points[i].Values[k]})
			}
			break
		}
	}
	dumps, err := run.listDumps()
	if err != nil {
		d.Errors = append(d.Errors, err.Error())
	}
	for _, dp := range dumps {
		if dp.Phase == "train" {
			if !d.HasStep {
				d.FirstStep, d.HasStep = dp.Step, true
			}
			d.Train++
		} else {
			d.Val++
		}
	}
	s.render(w, http.StatusOK, "overview.html", s.page("Overview", d))
}

func title(key string) string {
	if t, ok := metricTitles[key]; ok {
		return t
	}
	return key
}

type stepsData struct {
	Rows  []stepRow
	Pager pager
}

type stepRow struct {
	Ref    DumpRef
	Metric *Point
}

func (s *Server) steps(w http.ResponseWriter, r *http.Request) {
	dumps, err := s.run.listDumps()
	if err != nil {
		s.render(w, http.StatusInternalServerError, "error.html", s.page("Steps", errorData{err.Error()}))
		return
	}
	points, _, _, _ := s.run.metrics.snapshot(0)
	at := map[string]*Point{}
	for i := range points {
		at[fmt.Sprint(points[i].Phase, points[i].Step)] = &points[i]
	}
	pg, lo, hi := paginate(r, len(dumps), stepsPerPage, nil)
	d := stepsData{Pager: pg}
	for _, dp := range dumps[lo:hi] {
		d.Rows = append(d.Rows, stepRow{Ref: dp, Metric: at[fmt.Sprint(dp.Phase, dp.Step)]})
	}
	s.render(w, http.StatusOK, "steps.html", s.page("Steps", d))
}

type stepData struct {
	Step     *Step
	Filter   Filter
	Choices  choices
	Groups   []shownGroup
	Shown    int
	Pager    pager
	Prev     *DumpRef
	Next     *DumpRef
	Metric   *Point
	PageHref string
}

type shownGroup struct {
	Group
	Rollouts []*Rollout
}

// neighbours finds the dumps of the same phase before and after ref.
func (s *Server) neighbours(ref DumpRef) (prev, next *DumpRef) {
	dumps, _ := s.run.listDumps()
	for i := range dumps {
		d := &dumps[i]
		if d.Phase != ref.Phase {
			continue
		}
		if d.Step < ref.Step {
			prev = d
		}
		if d.Step > ref.Step && next == nil {
			next = d
		}
	}
	return prev, next
}

func (s *Server) loadStep(w http.ResponseWriter, r *http.Request) (*Step, bool) {
	step, ok := pathInt(r, "step")
	phase := r.PathValue("phase")
	ref, found := s.run.dump(phase, step)
	if !ok || !found {
		s.notFound(w, fmt.Sprintf("this run has no %s rollouts at step %q", phase, r.PathValue("step")))
		return nil, false
	}
	st, err := s.run.step(ref)
	if err != nil {
		s.render(w, http.StatusInternalServerError, "error.html", s.page("Rollouts", errorData{err.Error()}))
		return nil, false
	}
	return st, true
}

func (s *Server) stepPage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.loadStep(w, r)
	if !ok {
		return
	}
	f := parseFilter(r.URL.Query())
	var groups []shownGroup
	shown := 0
	for _, g := range st.Groups {
		sg := shownGroup{Group: g}
		for _, i := range g.Members {
			if f.match(&st.Rollouts[i]) {
				sg.Rollouts = append(sg.Rollouts, &st.Rollouts[i])
			}
		}
		if len(sg.Rollouts) > 0 {
			groups = append(groups, sg)
			shown += len(sg.Rollouts)
		}
	}
	pg, lo, hi := paginate(r, len(groups), groupsPerPage, f.Query())
	d := stepData{Step: st, Filter: f, Choices: stepChoices(st), Groups: groups[lo:hi], Shown: shown, Pager: pg}
	d.Prev, d.Next = s.neighbours(st.Ref)
	points, _, _, _ := s.run.metrics.snapshot(0)
	for i := range points {
		if points[i].Phase == st.Ref.Phase && points[i].Step == st.Ref.Step {
			d.Metric = &points[i]
		}
	}
	s.render(w, http.StatusOK, "step.html", s.page(fmt.Sprintf("Step %d (%s)", st.Ref.Step, st.Ref.Phase), d))
}

type rolloutData struct {
	Step    *Step
	R       *Rollout
	Parts   []Part
	Tokens  []tokenCell
	Group   []*Rollout
	Back    string
	HasPrev bool
	HasNext bool
}

func (s *Server) rolloutPage(w http.ResponseWriter, r *http.Request) {
	st, ok := s.loadStep(w, r)
	if !ok {
		return
	}
	i, ok := pathInt(r, "index")
	if !ok || i >= len(st.Rollouts) {
		s.notFound(w, fmt.Sprintf("step %d has %d rollouts; no rollout %q", st.Ref.Step, len(st.Rollouts), r.PathValue("index")))
		return
	}
	ro := &st.Rollouts[i]
	d := rolloutData{Step: st, R: ro, Parts: traceParts(ro.T), HasPrev: i > 0, HasNext: i+1 < len(st.Rollouts)}
	d.Tokens = s.run.tokenCells(ro.T)
	for _, g := range st.Groups {
		if g.ExampleID == ro.T.ExampleID {
			for _, m := range g.Members {
				d.Group = append(d.Group, &st.Rollouts[m])
			}
		}
	}
	s.render(w, http.StatusOK, "rollout.html", s.page(fmt.Sprintf("Rollout %d of step %d", i, st.Ref.Step), d))
}

type evalIndexData struct {
	Cells    []eval.Cell
	Errs     []string
	Datasets []string
}

func (s *Server) evalIndex(w http.ResponseWriter, r *http.Request) {
	d := evalIndexData{Datasets: s.run.evals.datasets()}
	for _, f := range s.run.evals.files() {
		recs, err := s.run.evals.records(f)
		if err != nil {
			d.Errs = append(d.Errs, err.Error())
			continue
		}
		d.Cells = append(d.Cells, eval.Summarize(f.Method, f.Dataset, recs))
	}
	s.render(w, http.StatusOK, "eval.html", s.page("Evaluation", d))
}

type evalFileData struct {
	File    EvalFile
	Rows    []evalRow
	Pager   pager
	Text    string
	Correct string
	Shown   int
}

type evalRow struct {
	N   int
	Rec *eval.Record
}

func (s *Server) loadEvalFile(w http.ResponseWriter, r *http.Request) (EvalFile, []eval.Record, bool) {
	f, ok := s.run.evals.file(r.PathValue("method"), r.PathValue("dataset"))
	if !ok {
		s.notFound(w, "this run has no results for that method and dataset")
		return f, nil, false
	}
	recs, err := s.run.evals.records(f)
	if err != nil {
		s.render(w, http.StatusInternalServerError, "error.html", s.page("Results", errorData{err.Error()}))
		return f, nil, false
	}
	return f, recs, true
}

func (s *Server) evalFile(w http.ResponseWriter, r *http.Request) {
	f, recs, ok := s.loadEvalFile(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	d := evalFileData{File: f, Text: strings.TrimSpace(q.Get("q")), Correct: q.Get("em")}
	var rows []evalRow
	for i := range recs {
		rec := &recs[i]
		if d.Correct == "1" && rec.Metrics.EM != 1 || d.Correct == "0" && rec.Metrics.EM == 1 {
			continue
		}
		if d.Text != "" && !containsFold(d.Text, rec.ID, rec.Question, rec.Prediction, strings.Join(rec.Golds, "\n")) {
			continue
		}
		rows = append(rows, evalRow{N: i, Rec: rec})
	}
	keep := url.Values{}
	if d.Text != "" {
		keep.Set("q", d.Text)
	}
	if d.Correct != "" {
		keep.Set("em", d.Correct)
	}
	pg, lo, hi := paginate(r, len(rows), recordsPerPage, keep)
	d.Rows, d.Pager, d.Shown = rows[lo:hi], pg, len(rows)
	s.render(w, http.StatusOK, "evalfile.html", s.page(fmt.Sprintf("%s on %s", f.Method.Title(), f.Dataset), d))
}

type evalRecordData struct {
	File  EvalFile
	N     int
	Rec   *eval.Record
	Parts []Part
}

func (s *Server) evalRecord(w http.ResponseWriter, r *http.Request) {
	f, recs, ok := s.loadEvalFile(w, r)
	if !ok {
		return
	}
	n, ok := pathInt(r, "n")
	if !ok || n >= len(recs) {
		s.notFound(w, fmt.Sprintf("%s holds %d records; no record %q", f.Dataset, len(recs), r.PathValue("n")))
		return
	}
	d := evalRecordData{File: f, N: n, Rec: &recs[n]}
	if t := d.Rec.Trajectory; t != nil {
		d.Parts = traceParts(t)
	}
	s.render(w, http.StatusOK, "record.html", s.page(fmt.Sprintf("%s: %s", f.Method.Title(), d.Rec.ID), d))
}

type compareData struct {
	C     *Comparison
	Rows  []compareRowN
	Pager pager
	Text  string
}

type compareRowN struct {
	N int
	CompareRow
}

func (s *Server) loadComparison(w http.ResponseWriter, r *http.Request) (*Comparison, bool) {
	ds := r.PathValue("dataset")
	if !slices.Contains(s.run.evals.datasets(), ds) {
		s.notFound(w, "this run has no results on that dataset")
		return nil, false
	}
	return s.run.compare(ds), true
}

func (s *Server) comparePage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.loadComparison(w, r)
	if !ok {
		return
	}
	d := compareData{C: c, Text: strings.TrimSpace(r.URL.Query().Get("q"))}
	var rows []compareRowN
	for i, row := range c.Rows {
		if d.Text == "" || containsFold(d.Text, row.ID, row.Question, strings.Join(row.Golds, "\n")) {
			rows = append(rows, compareRowN{i, row})
		}
	}
	keep := url.Values{}
	if d.Text != "" {
		keep.Set("q", d.Text)
	}
	pg, lo, hi := paginate(r, len(rows), recordsPerPage, keep)
	d.Rows, d.Pager = rows[lo:hi], pg
	s.render(w, http.StatusOK, "compare.html", s.page("Before and after: "+c.Dataset, d))
}

type compareQuestionData struct {
	C       *Comparison
	N       int
	Row     CompareRow
	Columns []compareColumn
}

type compareColumn struct {
	Method eval.Method
	Rec    *eval.Record
	Parts  []Part
}

func (s *Server) compareQuestion(w http.ResponseWriter, r *http.Request) {
	c, ok := s.loadComparison(w, r)
	if !ok {
		return
	}
	n, ok := pathInt(r, "n")
	if !ok || n >= len(c.Rows) {
		s.notFound(w, fmt.Sprintf("%s has %d questions; no question %q", c.Dataset, len(c.Rows), r.PathValue("n")))
		return
	}
	d := compareQuestionData{C: c, N: n, Row: c.Rows[n]}
	for i, m := range c.Methods {
		col := compareColumn{Method: m, Rec: d.Row.Records[i]}
		if col.Rec != nil && col.Rec.Trajectory != nil {
			col.Parts = traceParts(col.Rec.Trajectory)
		}
		d.Columns = append(d.Columns, col)
	}
	s.render(w, http.StatusOK, "question.html", s.page("Before and after: "+d.Row.ID, d))
}

type searchData struct {
	Query string
	K     int
	Docs  []search.Doc
	Err   string
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := searchData{Query: strings.TrimSpace(q.Get("q")), K: 5}
	if c := s.run.Config; c != nil && c.Retriever.TopK > 0 {
		d.K = c.Retriever.TopK
	}
	if k, err := strconv.Atoi(q.Get("k")); err == nil {
		d.K = min(max(k, 1), 50)
	}
	switch {
	case s.run.IndexDir == "":
		d.Err = "This run names no index that can be opened here."
	case d.Query != "":
		docs, err := s.run.search.search(r.Context(), d.Query, d.K)
		if err != nil {
			d.Err = err.Error()
		}
		d.Docs = docs
	}
	s.render(w, http.StatusOK, "search.html", s.page("Search", d))
}

// metricsAnswer is /api/metrics: the points after the client's count,
// so that a page polling a run in training receives only what is new.
type metricsAnswer struct {
	Points  []Point           `json:"points"`
	Total   int               `json:"total"`
	Errors  []string          `json:"errors"`
	Keys    []string          `json:"keys"`
	Titles  map[string]string `json:"titles"`
	Updated int64             `json:"updated_ms"` // metrics.jsonl's modification time
}

func (s *Server) apiMetrics(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	points, errs, total, mod := s.run.metrics.snapshot(after)
	all, _, _, _ := s.run.metrics.snapshot(0)
	a := metricsAnswer{Points: points, Total: total, Errors: errs, Keys: metricKeys(all), Titles: map[string]string{}}
	if a.Points == nil {
		a.Points = []Point{}
	}
	for _, k := range a.Keys {
		a.Titles[k] = title(k)
	}
	if !mod.IsZero() {
		a.Updated = mod.UnixMilli()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(a)
}

var funcs = map[string]any{
	"f":    func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) },
	"f2":   func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) },
	"pct":  func(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) },
	"add":  func(a, b int) int { return a + b },
	"join": strings.Join,
	"dur":  func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"rewardClass": func(x float64) string {
		switch {
		case x >= 1:
			return "r-full"
		case x > 0.1:
			return "r-part"
		case x > 0:
			return "r-fmt"
		}
		return "r-zero"
	},
	"advClass": func(x float64) string {
		return []string{"adv-neg", "adv-zero", "adv-pos"}[cmp.Compare(x, 0)+1]
	},
	"query": func(v url.Values) string {
		if len(v) == 0 {
			return ""
		}
		return "?" + v.Encode()
	},
	"short": func(s string, n int) string {
		s = strings.Join(strings.Fields(s), " ")
		if r := []rune(s); len(r) > n {
			return string(r[:n]) + "…"
		}
		return s
	},
	"firstLine": func(s string) string {
		line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
		return line
	},
}

package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"research/internal/safefile"
)

// Cell is the aggregate of one method on one dataset: FlashRAG's means of
// the per-question metrics, and the judge's share of correct verdicts over
// every question, judge failures counted as not correct.
type Cell struct {
	Method  Method  `json:"method"`
	Dataset string  `json:"dataset"`
	N       int     `json:"n"`
	EM      float64 `json:"em"`
	Acc     float64 `json:"acc"`
	F1      float64 `json:"f1"`
	// Judged counts questions with a verdict or a judge failure; LJ is
	// reported only when every question was judged.
	Judged        int      `json:"judged"`
	JudgeFailures int      `json:"judge_failures"`
	LJ            *float64 `json:"lj,omitempty"`
	JudgeModel    string   `json:"judge_model,omitempty"`
	// Errors counts questions that could not be run (a prompt beyond the
	// model's context); SearchFailures counts searches that failed (the
	// retriever was down) over all questions. Either makes the cell
	// incomplete.
	Errors         int `json:"errors"`
	SearchFailures int `json:"search_failures"`
}

// Incomplete says what of the cell's results is missing or degraded, or ""
// when nothing is.
func (c Cell) Incomplete() string {
	var parts []string
	if c.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d questions failed", c.Errors))
	}
	if c.SearchFailures > 0 {
		parts = append(parts, fmt.Sprintf("%d searches failed", c.SearchFailures))
	}
	if c.JudgeFailures > 0 {
		parts = append(parts, fmt.Sprintf("%d judge failures", c.JudgeFailures))
	}
	return strings.Join(parts, ", ")
}

// Summarize aggregates records of one method on one dataset.
func Summarize(method Method, datasetName string, records []Record) Cell {
	c := Cell{Method: method, Dataset: datasetName, N: len(records)}
	correct := 0
	for _, r := range records {
		c.EM += r.Metrics.EM
		c.Acc += r.Metrics.Acc
		c.F1 += r.Metrics.F1
		c.SearchFailures += r.SearchFailures()
		if r.Error != "" {
			c.Errors++
		}
		if r.Judge == nil {
			continue
		}
		c.Judged++
		c.JudgeModel = r.Judge.Model
		if r.Judge.Failed() {
			c.JudgeFailures++
		}
		if r.Judge.IsCorrect() {
			correct++
		}
	}
	if c.N > 0 {
		n := float64(c.N)
		c.EM, c.Acc, c.F1 = c.EM/n, c.Acc/n, c.F1/n
		if c.Judged == c.N {
			lj := float64(correct) / n
			c.LJ = &lj
		}
	}
	return c
}

// ReportVersion is the format version of report.json.
const ReportVersion = 1

// Report is Table 2 of the paper for the runs in one results directory:
// methods by datasets, with the manifests of the runs.
type Report struct {
	Version   int        `json:"version"`
	Cells     []Cell     `json:"cells"`
	Manifests []Manifest `json:"manifests"`
}

// paperDatasets are Table 2's columns, in order; other datasets follow in
// name order.
var paperDatasets = []string{"hotpotqa", "2wiki", "musique", "bamboogle"}

func datasetRank(name string) int {
	lower := strings.ToLower(name)
	for i, p := range paperDatasets {
		if strings.HasPrefix(lower, p) {
			return i
		}
	}
	return len(paperDatasets)
}

// Sort orders cells as Table 2: methods in its row order, datasets in its
// column order.
func (r *Report) Sort() {
	slices.SortFunc(r.Cells, func(a, b Cell) int {
		if d := slices.Index(Methods, a.Method) - slices.Index(Methods, b.Method); d != 0 {
			return d
		}
		if d := datasetRank(a.Dataset) - datasetRank(b.Dataset); d != 0 {
			return d
		}
		return strings.Compare(a.Dataset, b.Dataset)
	})
}

// Markdown renders the table: one row per method, EM and LJ (%) per
// dataset, then F1, acc and judge failures in a second table, then the
// manifests' key facts.
func (r *Report) Markdown() string {
	r.Sort()
	var datasets []string
	var methods []Method
	at := map[string]Cell{}
	for _, c := range r.Cells {
		if !slices.Contains(datasets, c.Dataset) {
			datasets = append(datasets, c.Dataset)
		}
		if !slices.Contains(methods, c.Method) {
			methods = append(methods, c.Method)
		}
		at[string(c.Method)+"\x00"+c.Dataset] = c
	}
	slices.SortStableFunc(datasets, func(a, b string) int { return datasetRank(a) - datasetRank(b) })
	var b strings.Builder
	table := func(title string, cols []string, cell func(Cell) []string) {
		fmt.Fprintf(&b, "%s\n\n| Method |", title)
		for _, d := range datasets {
			for _, c := range cols {
				fmt.Fprintf(&b, " %s %s |", d, c)
			}
		}
		b.WriteString("\n|---|" + strings.Repeat("---:|", len(datasets)*len(cols)) + "\n")
		for _, m := range methods {
			fmt.Fprintf(&b, "| %s |", m.Title())
			for _, d := range datasets {
				c, ok := at[string(m)+"\x00"+d]
				for i := range cols {
					v := "–"
					if ok {
						v = cell(c)[i]
					}
					fmt.Fprintf(&b, " %s |", v)
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	table("## EM / LLM-as-judge (%)", []string{"EM", "LJ"}, func(c Cell) []string {
		return []string{pct(c.EM), ljText(c)}
	})
	table("## F1 / acc (%), questions, failures", []string{"F1", "acc", "n", "fail", "err", "search fail"}, func(c Cell) []string {
		return []string{pct(c.F1), pct(c.Acc), fmt.Sprint(c.N), fmt.Sprint(c.JudgeFailures), fmt.Sprint(c.Errors), fmt.Sprint(c.SearchFailures)}
	})
	b.WriteString("LJ counts judge failures as incorrect; – means not (fully) judged. fail: judge failures; " +
		"err: questions that could not be run (scored 0); search fail: searches that failed (\"search failed\" inserted).\n\n## Runs\n\n")
	for _, m := range r.Manifests {
		policy := strings.TrimSpace(m.Policy.Kind + " " + m.Policy.Location + " " + m.Policy.Model)
		fmt.Fprintf(&b, "- **%s** (%s): policy %s; retriever %s %s top-%d; prompt %s %.12s; temperature %g, max %d tokens; %s\n",
			m.Method.Title(), m.Created.UTC().Format("2006-01-02 15:04Z"), policy,
			m.Retriever.Kind, m.Retriever.Location, m.Retriever.TopK, m.Prompt.Template, m.Prompt.SHA256,
			m.Decoding.Temperature, m.Decoding.MaxTokens, m.Tool)
		for _, d := range m.Data {
			fmt.Fprintf(&b, "  - %s: %s (%d questions, sha256 %.16s)\n", d.Name, d.Path, d.Examples, d.SHA256)
		}
	}
	return b.String()
}

func pct(x float64) string { return fmt.Sprintf("%.2f", 100*x) }

func ljText(c Cell) string {
	if c.LJ == nil {
		return "–"
	}
	return pct(*c.LJ)
}

// Write writes report.json and report.md into dir atomically.
func (r *Report) Write(jsonPath, mdPath string) error {
	r.Sort()
	r.Version = ReportVersion
	err := safefile.Write(jsonPath, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
	if err != nil {
		return err
	}
	return safefile.Write(mdPath, func(w io.Writer) error {
		_, err := io.WriteString(w, r.Markdown())
		return err
	})
}

package eval

import (
	"research/dataset"
	"research/eval/judge"
	"research/reward"
	"research/rollout"
)

// RecordVersion is the format version of result records; readers refuse
// others.
const RecordVersion = 1

// Record is the result of one question: the prediction, its metrics, the
// full trace that produced it and, once judged, the judge's verdict. It is
// one line of a results JSONL file.
type Record struct {
	Version  int      `json:"version"`
	Dataset  string   `json:"dataset"`
	ID       string   `json:"id"`
	Method   Method   `json:"method"`
	Question string   `json:"question"`
	Golds    []string `json:"golden_answers"`

	Prediction string         `json:"pred"`
	Metrics    reward.Metrics `json:"metrics"`
	// Finish is how generation ended: "stop" or "length" for the
	// baselines' last generation, the trajectory's finish for ReSearch.
	Finish string `json:"finish"`
	// Tokens counts the tokens the policy generated for this question.
	Tokens int `json:"generated_tokens"`

	// Steps trace a baseline: every retrieval and generation in order.
	Steps []Step `json:"steps,omitempty"`
	// Trajectory traces the ReSearch method: ids, text, searches, reward.
	Trajectory *rollout.Trajectory `json:"trajectory,omitempty"`

	Judge *judge.Verdict `json:"judge,omitempty"`

	// Error says why the question could not be run (its prompt does not
	// fit in the model's context); its metrics are zero and it counts in
	// the report's errors.
	Error string `json:"error,omitempty"`
}

// SearchFailures counts the searches of the question that failed (the
// retriever kept failing; "search failed" was inserted instead).
func (r *Record) SearchFailures() int {
	n := 0
	if r.Trajectory != nil {
		for _, s := range r.Trajectory.Searches {
			if s.Error != "" {
				n++
			}
		}
	}
	return n
}

// Incomplete reports whether the question's result is not what the
// method would give with its dependencies up: it could not be run, or a
// search failed on the way.
func (r *Record) Incomplete() bool { return r.Error != "" || r.SearchFailures() > 0 }

// failedRecord is the record of a question that could not be run.
func failedRecord(datasetName string, method Method, ex dataset.Example, err error) *Record {
	return &Record{
		Version: RecordVersion, Dataset: datasetName, ID: ex.ID, Method: method,
		Question: ex.Question, Golds: ex.Answers, Metrics: reward.Evaluate("", ex.Answers),
		Finish: FinishError, Error: err.Error(),
	}
}

// FinishError is the finish of a question that could not be run.
const FinishError = "error"

// Step is one round of a baseline: an optional retrieval, then a
// generation.
type Step struct {
	Query  string    `json:"query,omitempty"` // the retrieval query; absent when the step did not retrieve
	DocIDs []string  `json:"doc_ids,omitempty"`
	Scores []float64 `json:"scores,omitempty"`
	Prompt string    `json:"prompt"`
	// PromptTokens counts the prompt's tokens as sent: fewer than the
	// prompt's when it was cut to Config.MaxPromptTokens.
	PromptTokens int    `json:"prompt_tokens"`
	Output       string `json:"output"`
	Finish       string `json:"finish"`
	Tokens       int    `json:"tokens"`
}

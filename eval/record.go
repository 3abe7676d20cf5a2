package eval

import (
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
}

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

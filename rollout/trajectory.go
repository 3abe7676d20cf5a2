package rollout

import "time"

// Trajectory is one rollout of one question: everything the trainer needs
// (ids, mask, logprobs) and everything a person needs to see what happened
// (text, searches, timings). It is written as one JSONL record. The loop
// leaves Reward and Reason empty: the reward stage (package score) fills
// them.
type Trajectory struct {
	Version   int    `json:"version"` // TrajectoryVersion when written
	ExampleID string `json:"example_id"`
	Sample    int    `json:"sample"` // index within the group of n rollouts of one question
	// Group is the index of the question among the examples given to
	// Runner.Run: the n rollouts of one question share it, and GRPO's
	// advantages compare them (veRL's uid). A question asked twice in one
	// run makes two groups. Not written: a dump groups by ExampleID.
	Group    int      `json:"-"`
	Question string   `json:"question"`
	Golds    []string `json:"golden_answers"`

	Prompt   []int     `json:"prompt_ids"`
	Response []int     `json:"response_ids"`
	Mask     []uint8   `json:"loss_mask"` // 1 for policy tokens, 0 for inserted results
	Logprobs []float64 `json:"logprobs"`  // sampler logprob per response token; 0 on inserted tokens

	PromptText   string `json:"prompt"`
	ResponseText string `json:"response"`

	Searches     []Search `json:"searches"`
	SearchFailed bool     `json:"search_failed,omitempty"`
	Finish       string   `json:"finish"` // "eos", "length", "max_turns"
	StopID       int      `json:"stop_id"`

	EOSText string  `json:"eos_token"` // what the reward expects at the end
	Reward  float64 `json:"reward"`    // set by the reward stage, before any shaping
	Reason  string  `json:"reason"`

	GenerateTime time.Duration `json:"generate_ns"`
	SearchTime   time.Duration `json:"search_ns"`
}

// TrajectoryVersion is the format version of trajectory records; readers
// refuse others.
const TrajectoryVersion = 1

// Finish reasons of a Trajectory.
const (
	EndEOS      = "eos"       // the policy produced a stop id
	EndLength   = "length"    // the response budget ran out (reward 0: no EOS)
	EndMaxTurns = "max_turns" // the policy asked for one search more than Config.MaxTurns
)

// Search is one search turn.
type Search struct {
	Turn     int           `json:"turn"`
	Query    string        `json:"query"`
	DocIDs   []string      `json:"doc_ids"`
	Scores   []float64     `json:"scores"`
	Inserted int           `json:"inserted_tokens"`
	Latency  time.Duration `json:"latency_ns"`
	Error    string        `json:"error,omitempty"`
}

// PolicyTokens counts the tokens the policy wrote (mask 1).
func (t *Trajectory) PolicyTokens() int {
	n := 0
	for _, m := range t.Mask {
		n += int(m)
	}
	return n
}

// Package score is the reward stage of training and evaluation: a Scorer
// gives each finished rollout trajectory its reward, after the rollout and
// before the advantages. ReSearch is the paper's reward (package reward's
// compute_score over the decoded prompt and response); Overlong adds DAPO's
// soft overlong penalty to another Scorer's score, as veRL's DAPO reward
// manager does.
//
// The rollout loop does not score: it returns trajectories, and the trainer,
// the evaluation and the CLI call a Scorer on them.
package score

// Package jsonl holds the two rules every JSON Lines file of the module
// follows: lines are read through one reader that bounds their length and
// names the file and line in its errors, and files that a run appends to
// as it goes (results, judge verdicts) are opened through one
// append-with-recovery rule, so that a crash mid-write costs at most the
// line being written.
package jsonl

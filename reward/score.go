package reward

import (
	"fmt"
	"strings"

	"research/protocol"
)

// Scores of the ReSearch reward besides F1.
const (
	// FormatOnly is given to a well-formed answer that shares no token with
	// any gold answer: the format is rewarded a little on its own.
	FormatOnly = 0.1
)

// Result is a reward and the reason for it, worded as the reference.
type Result struct {
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

// ScoreResponse is the ReSearch reward (compute_score) of a response, the
// text the policy and the environment wrote after the prompt, ending in the
// EOS token text when the policy stopped by itself:
//   - 0, "bad format: …" when ValidateFormat fails;
//   - 0, "over length" when the response does not end in eos;
//   - 0, "cannot extract answer" / "find box error: …" when no answer or box
//     can be read;
//   - F1 against the gold answers when it is positive;
//   - FormatOnly otherwise.
func ScoreResponse(response string, golds []string, eos string) Result {
	if ok, reason := protocol.ValidateFormat(response); !ok {
		return Result{0, "bad format: " + reason}
	}
	if !strings.HasSuffix(response, eos) {
		return Result{0, "over length"}
	}
	response = strings.TrimSuffix(response, eos)
	span, ok := protocol.AnswerSpan(response)
	if !ok {
		return Result{0, "cannot extract answer"}
	}
	box, ok := protocol.LastBoxed(span)
	if !ok {
		// The reference passes None on to remove_boxed, whose first
		// statement raises this TypeError.
		return Result{0, "find box error: argument of type 'NoneType' is not iterable"}
	}
	answer, err := protocol.RemoveBoxed(box)
	if err != nil {
		return Result{0, "find box error: " + err.Error()}
	}
	if f1 := F1(answer, golds); f1 > 0 {
		return Result{f1, "correct answer, get f1 score: " + PyFloat(f1)}
	}
	return Result{FormatOnly, "wrong answer but good format: " + answer}
}

// ScoreSolution scores a whole decoded rollout, prompt and response, as the
// reference's compute_score receives it: the response is the text between
// the first and the second occurrence of the chat template's assistant
// header, or, when there is none, of "Assistant:". Where the reference
// raises IndexError because neither marker occurs, this returns 0 with a
// reason saying so.
func ScoreSolution(solution string, golds []string, eos string) Result {
	marker := protocol.Instruct.ResponseMarker()
	if !strings.Contains(solution, marker) {
		marker = protocol.Base.ResponseMarker()
	}
	parts := strings.SplitN(solution, marker, 3)
	if len(parts) < 2 {
		return Result{0, fmt.Sprintf("bad format: no response marker (%q or %q) in the solution",
			protocol.Instruct.ResponseMarker(), protocol.Base.ResponseMarker())}
	}
	return ScoreResponse(parts[1], golds, eos)
}
